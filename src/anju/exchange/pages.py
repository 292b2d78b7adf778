"""Exchange pages: the data steward's clerical review queue, and one pair side by side with
"same person" / "not the same person" buttons. Each route calls the exchange service and renders
through the app's shared layout; CSRF is checked for every POST by the web layer.

The pages' own words are in TEXT (Chinese first, English second), so this domain adds no keys to
the shared dictionary; templates read them as `h.<key>` for the current language.
"""
from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi import Path as PathParam
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from anju.core.errors import AnjuError
from anju.core.pages import confirm
from anju.core.pages import confirmed as is_confirmed
from anju.core.policy import Actor
from anju.core.web import ActorDep, SessionDep
from anju.exchange import connectors, service

TEMPLATES = Path(__file__).parent / "templates"
router = APIRouter(include_in_schema=False)
Text = Annotated[str, Form()]
IdPath = Annotated[int, PathParam(ge=1, le=2_147_483_647)]

MENU = {"data_steward": [("/exchange/review", "exchange.menu_review")]}

FIELDS = ("department", "source_record_id", "as_of", "name", "id_number", "sex", "birth_date",
          "phone", "hukou_address", "current_address", "employer", "golden_id")
TEXT = {
    "zh": {
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
