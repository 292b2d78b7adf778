"""Exchange pages: the data steward's clerical review queue, and one pair side by side with
"same person" / "not the same person" buttons. Each route calls the exchange service and renders
through the app's shared layout; CSRF is checked for every POST by the web layer.

The pages' own words are in TEXT (Chinese first, English second), so this domain adds no keys to
the shared dictionary; templates read them as `h.<key>` for the current language.
"""
from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from anju.core.errors import AnjuError
from anju.core.pages import confirm
from anju.core.pages import confirmed as is_confirmed
from anju.core.policy import Actor
from anju.core.types import RecordId
from anju.core.web import ActorDep, SessionDep
from anju.exchange import connectors, service

TEMPLATES = Path(__file__).parent / "templates"
router = APIRouter(include_in_schema=False)
Text = Annotated[str, Form()]
IdPath = RecordId  # the shared bound (anju.core.types)

MENU = {"data_steward": [("/exchange/imports", "exchange.menu_imports"),
                         ("/exchange/review", "exchange.menu_review")]}

FIELDS = ("department", "source_record_id", "as_of", "name", "id_number", "sex", "birth_date",
          "phone", "hukou_address", "current_address", "employer", "golden_id")
TEXT = {
    "zh": {
        "menu_imports": "部门数据导入",
        "imports_title": "部门数据导入",
        "imports_intro": "上传部门导出的数据文件（按该部门的格式，无需改动）。导入在后台分批进行，"
                         "期间系统照常可用；同一文件重复上传不会重复导入，中断的导入再次上传同一文件"
                         "即从中断处继续。",
        "department_field": "部门", "file_field": "数据文件", "upload": "上传并导入",
        "recent": "最近的导入", "no_imports": "还没有导入记录。", "file": "文件",
        "progress": "进度", "state": "状态", "started": "开始时间", "open_job": "查看",
        "state_running": "导入中", "state_finished": "已完成", "state_failed": "失败",
        "state_interrupted": "已中断",
        "job_title": "导入进度", "records_done": "已处理记录", "refreshing": "本页每 3 秒自动刷新。",
        "report": "导入结果", "status_imported": "已导入",
        "status_unchanged": "该文件此前已导入，未重复导入。",
        "rows": "记录数", "new_records": "新增", "updated_records": "更新",
        "unchanged_records": "未变化", "error_count": "被拒绝的值", "linked": "关联方式",
        "linked_exact_id": "身份证号已在库", "linked_registry": "人口库已登记",
        "linked_matched": "自动匹配", "linked_review": "待人工复核", "linked_new": "新身份",
        "row": "行", "reason": "原因", "back_imports": "返回导入列表", "*": "整行",
        "menu_review": "记录复核",
        "queue_title": "记录复核", "pair_title": "记录复核：是否同一人",
        "intro": "以下记录对的匹配分值处于不确定区间，请对照两条记录判断是否为同一人。身份证号码已脱敏。",
        "empty": "暂无待复核的记录对。", "weight": "匹配分值", "left": "记录甲", "right": "记录乙",
        "open": "复核", "match": "是同一人（合并）", "non_match": "不是同一人",
        "decided_notice": "复核结论已记录。", "field": "项目", "status": "状态",
        "pending": "待复核", "match_status": "同一人", "non_match_status": "不是同一人",
        "back": "返回复核队列",
        "department": "部门", "source_record_id": "部门记录编号", "as_of": "数据日期",
        "name": "姓名", "id_number": "身份证号码", "sex": "性别", "birth_date": "出生日期",
        "phone": "联系电话", "hukou_address": "户籍地址", "current_address": "现住址",
        "employer": "工作单位", "golden_id": "主记录编号",
        "confirm_title": "确认复核结论",
        "confirm_match": "确定这两条记录是同一人吗？两条主记录将合并为一条。",
        "confirm_non_match": "确定这两条记录不是同一人吗？这一对记录以后不会再提交复核。",
    },
    "en": {
        "menu_imports": "Department imports",
        "imports_title": "Department imports",
        "imports_intro": "Upload a department's extract as the department exported it. The import "
                         "runs in the background in batches, and the system stays usable "
                         "meanwhile; a file uploaded again is not imported twice, and uploading an "
                         "interrupted import's file again resumes it.",
        "department_field": "Department", "file_field": "Extract file",
        "upload": "Upload and import", "recent": "Recent imports",
        "no_imports": "No imports yet.", "file": "File", "progress": "Progress",
        "state": "State", "started": "Started", "open_job": "Open",
        "state_running": "importing", "state_finished": "finished", "state_failed": "failed",
        "state_interrupted": "interrupted",
        "job_title": "Import progress", "records_done": "Records done",
        "refreshing": "This page refreshes every 3 seconds.",
        "report": "Result", "status_imported": "Imported",
        "status_unchanged": "This file was imported before; nothing was imported again.",
        "rows": "Records", "new_records": "New", "updated_records": "Updated",
        "unchanged_records": "Unchanged", "error_count": "Rejected values", "linked": "Linked by",
        "linked_exact_id": "ID number already held", "linked_registry": "registered person",
        "linked_matched": "matched", "linked_review": "for review", "linked_new": "new identity",
        "row": "Row", "reason": "Reason", "back_imports": "Back to imports", "*": "whole row",
        "menu_review": "Match review",
        "queue_title": "Match review", "pair_title": "Match review: the same person?",
        "intro": "These pairs scored in the uncertain band. Compare the two records and decide "
                 "whether they describe the same person. ID numbers are masked.",
        "empty": "No pairs are waiting for review.", "weight": "Match weight", "left": "Record A",
        "right": "Record B", "open": "Review", "match": "Same person (merge)",
        "non_match": "Not the same person", "decided_notice": "Decision recorded.",
        "field": "Field", "status": "Status", "pending": "pending", "match_status": "same person",
        "non_match_status": "not the same person", "back": "Back to the review queue",
        "department": "Department", "source_record_id": "Department record", "as_of": "As of",
        "name": "Name", "id_number": "ID number", "sex": "Sex", "birth_date": "Birth date",
        "phone": "Phone", "hukou_address": "Household registration address",
        "current_address": "Current address", "employer": "Employer", "golden_id": "Golden record",
        "confirm_title": "Confirm the decision",
        "confirm_match": "Are these two records the same person? Their golden records will be "
                         "merged into one.",
        "confirm_non_match": "Are these two records different people? The pair will not be "
                             "proposed for review again.",
    },
}


def _department(code: str | None, lang: str) -> str:
    """A department by its name in the page's language (its connector's), never its code."""
    found = connectors.available().get(code or "")
    if found is None:
        return code or ""
    return found.name_en if lang == "en" else found.name_zh


def _page(request: Request, name: str, status_code: int = 200, **context) -> Response:
    context.setdefault("error", None)
    context.setdefault("notice", None)
    context["H"], context["fields"], context["department"] = TEXT, FIELDS, _department
    return request.app.state.templates.TemplateResponse(request, f"exchange/{name}", context,
                                                        status_code)


def _queue(request: Request, session: Session, actor: Actor, notice: str | None = None):
    return _page(request, "review.html", pairs=service.list_review_pairs(session, actor),
                 notice=notice)


def _imports(request: Request, session: Session, actor: Actor,
             error: AnjuError | None = None) -> Response:
    return _page(request, "imports.html", error.http_status if error else 200, error=error,
                 departments=service.import_departments(), imports=service.list_imports(
                     session, actor, limit=30))


@router.get("/exchange/imports")
def imports_page(request: Request, session: SessionDep, actor: ActorDep):
    return _imports(request, session, actor)


@router.post("/exchange/imports")
def upload(request: Request, session: SessionDep, actor: ActorDep,
           file: Annotated[UploadFile, File()], department: Text = ""):
    """The same background job as the API's upload; then its progress page."""
    try:
        job = service.submit_import(session, actor, request.app.state.jobs, file.file,
                                    department, file.filename,
                                    spool=request.app.state.settings.data_dir / "imports")
    except AnjuError as error:
        session.rollback()
        return _imports(request, session, actor, error)
    return RedirectResponse(f"/exchange/imports/{job.job_id}", status_code=303)


@router.get("/exchange/imports/{job_id}")
def import_job_page(job_id: IdPath, request: Request, session: SessionDep, actor: ActorDep):
    return _page(request, "import_job.html",
                 job=service.import_job(session, actor, job_id, request.app.state.jobs))


@router.get("/exchange/review")
def review_queue(request: Request, session: SessionDep, actor: ActorDep, done: str = ""):
    return _queue(request, session, actor, "decided_notice" if done else None)


def _pair(request: Request, session: Session, actor: Actor, pair_id: int,
          error: AnjuError | None = None) -> Response:
    return _page(request, "pair.html", error.http_status if error else 200,
                 pair=service.read_review_pair(session, actor, pair_id), error=error)


@router.get("/exchange/review/{pair_id}")
def review_pair(pair_id: IdPath, request: Request, session: SessionDep, actor: ActorDep):
    return _pair(request, session, actor, pair_id)


@router.post("/exchange/review/{pair_id}")
def decide(pair_id: IdPath, request: Request, session: SessionDep, actor: ActorDep,
           decision: Text = "", confirmed: Text = ""):
    try:
        if decision in ("match", "non_match") and not is_confirmed(confirmed):
            pair = service.read_review_pair(session, actor, pair_id)
            if pair.status == "pending":
                lang = request.cookies.get("anju_lang", "zh")

                def side(record):
                    return f"{_department(record.department, lang)} · {record.name or ''} · " \
                           f"{record.id_number or ''}"

                return confirm(request, title="exchange.confirm_title",
                               question=f"exchange.confirm_{decision}",
                               action=f"/exchange/review/{pair_id}",
                               back=f"/exchange/review/{pair_id}", fields={"decision": decision},
                               facts=[("exchange.left", side(pair.left)),
                                      ("exchange.right", side(pair.right)),
                                      ("exchange.weight", f"{pair.weight:.1f}")],
                               button=f"exchange.{decision}",
                               style="ok" if decision == "match" else "primary")
        service.decide_review_pair(session, actor, pair_id, decision)
    except AnjuError as error:
        session.rollback()
        return _pair(request, session, actor, pair_id, error)
    return RedirectResponse("/exchange/review?done=1", status_code=303)
