"""Housing pages: my keys and fees (tenants), keys and fees on my rooms (landlords), the task list
with counts per village (grid workers, police). Each route calls the housing service and renders
through the app's shared layout; houses, rooms and tenants are the registry's pages.

The pages' own words are in TEXT (Chinese first, English second), so this domain adds no keys to
the shared dictionary; templates read them as `h.<key>` for the current language.
"""
from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi import Path as PathParam
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from anju.core.config import get_settings
from anju.core.errors import AnjuError, ValidationError
from anju.core.policy import Actor
from anju.core.web import ActorDep, SessionDep
from anju.housing import rules, service

TEMPLATES = Path(__file__).parent / "templates"
router = APIRouter(include_in_schema=False)
Text = Annotated[str, Form()]
IdPath = Annotated[int, PathParam(ge=1, le=2_147_483_647)]  # a database integer

MENU = {
    "resident": [("/me/keys", "我的钥匙 · My keys"), ("/me/fees", "服务费 · My fees")],
    "landlord": [("/landlord/keys", "房间钥匙 · Keys"), ("/landlord/fees", "租户服务费 · Fees"),
                 ("/me/keys", "我的钥匙 · My keys")],
    "grid_worker": [("/tasks", "管理任务 · Tasks")],
    "police": [("/tasks", "管理任务 · Tasks")],
}

TEXT = {
    "zh": {
        "keys_title": "我的钥匙", "room_keys_title": "房间钥匙", "fees_title": "我的服务费",
        "room_fees_title": "租户服务费", "tasks_title": "管理任务",
        "key_id": "钥匙编号", "room": "房间", "status": "状态", "valid_from": "生效日期",
        "valid_until": "有效期至", "kind": "类型", "person": "人员编码", "reason": "收回原因",
        "open_ended": "随登记有效", "no_keys": "暂无钥匙。居住登记审核通过后自动发放。",
        "revoke": "收回钥匙", "revoke_note": "收回原因（必填）", "revoked_notice": "钥匙已收回。",
        "month": "月份", "fee": "标准", "due": "应缴", "paid": "已缴", "exemption": "减免",
        "no_fees": "暂无账单。", "yuan": "元",
        "village": "村（社区）", "open": "待处理", "no_tasks": "辖区内暂无待处理任务。",
        "what": "事项", "where": "地址", "who": "人员", "since": "生成时间", "due_on": "到期日",
        "detail": "说明", "outcome": "处理结果", "note": "备注", "resolve": "提交",
        "resolved_notice": "任务已处理。", "end_date": "搬离日期（搬离时）",
        "privacy": "门锁数据只保留 {n} 天，之后只留每日是否开门的统计；任何页面都不显示个人进出时间。",
        "active": "有效", "revoked": "已收回", "expired": "已过期",
        "tenant": "正式", "provisional": "临时",
        "due_status": "待缴", "paid_status": "已缴", "exempt_status": "免缴",
        "suspected_move_out": "疑似搬离", "unregistered_occupant": "疑似未登记居住",
        "permit_expiring": "居住证即将到期",
        "moved_out": "已搬离（注销登记并收回钥匙）", "still_living": "仍在居住",
        "registered": "已补登记", "no_extra_occupant": "无额外居住人员",
        "reminded": "已提醒", "not_needed": "无需提醒",
        "silent": "钥匙至少 {n} 天未使用", "regular": "常用钥匙 {k} 把（核定 {c} 人），其中未登记 {u} 把",
        "permit": "居住证 {p}",
    },
    "en": {
        "keys_title": "My keys", "room_keys_title": "Keys on my rooms", "fees_title": "My fees",
        "room_fees_title": "Tenants' fees", "tasks_title": "Management tasks",
        "key_id": "Key", "room": "Room", "status": "Status", "valid_from": "Valid from",
        "valid_until": "Valid until", "kind": "Kind", "person": "Person code",
        "reason": "Revoked because", "open_ended": "while registered",
        "no_keys": "No keys yet. A key is issued when the residence registration is approved.",
        "revoke": "Revoke key", "revoke_note": "Reason (required)", "revoked_notice": "Key revoked.",
        "month": "Month", "fee": "Fee", "due": "Due", "paid": "Paid", "exemption": "Exemption",
        "no_fees": "No statements yet.", "yuan": "yuan",
        "village": "Village / community", "open": "Open", "no_tasks": "No open tasks here.",
        "what": "Task", "where": "Address", "who": "Person", "since": "Raised",
        "due_on": "Due", "detail": "Detail", "outcome": "Outcome", "note": "Note",
        "resolve": "Submit", "resolved_notice": "Task closed.",
        "end_date": "Move-out date (if moved out)",
        "privacy": "Lock events are kept {n} days, then only whether a key was used each day; no "
                   "page shows anyone's comings and goings.",
        "active": "active", "revoked": "revoked", "expired": "expired",
        "tenant": "tenant", "provisional": "provisional",
        "due_status": "due", "paid_status": "paid", "exempt_status": "exempt",
        "suspected_move_out": "Suspected move-out",
        "unregistered_occupant": "Possible unregistered occupant",
        "permit_expiring": "Residence permit expiring",
        "moved_out": "Moved out (end registration, revoke key)", "still_living": "Still living there",
        "registered": "Occupant registered", "no_extra_occupant": "No extra occupant",
        "reminded": "Reminded", "not_needed": "Not needed",
        "silent": "key unused for at least {n} days",
        "regular": "{k} keys in regular use (room holds {c}), {u} without registration",
        "permit": "permit {p}",
    },
}


def _page(request: Request, name: str, status_code: int = 200, **context) -> Response:
    context.setdefault("error", None)
    context.setdefault("notice", None)
    context["H"] = TEXT
    context["outcomes"] = {k.value: list(v) for k, v in rules.OUTCOMES.items()}
    context["yuan"] = rules.yuan
    context["retention_days"] = get_settings().lock_event_retention_days
    return request.app.state.templates.TemplateResponse(request, f"housing/{name}", context,
                                                        status_code)


def _keys_page(request: Request, session: Session, actor: Actor, landlord: bool,
               error: AnjuError | None = None, notice: str | None = None) -> Response:
    keys = service.list_keys(session, actor, None if landlord else actor.person_code)
    if landlord:
        keys = [k for k in keys if k.person_code != actor.person_code]
    return _page(request, "keys.html", error.http_status if error else 200, keys=keys,
                 landlord=landlord, error=error, notice=notice)


@router.get("/me/keys")
def my_keys(request: Request, session: SessionDep, actor: ActorDep):
    return _keys_page(request, session, actor, landlord=False)


@router.get("/landlord/keys")
def room_keys(request: Request, session: SessionDep, actor: ActorDep, done: str = ""):
    return _keys_page(request, session, actor, landlord=True,
                      notice="revoked_notice" if done else None)


@router.post("/landlord/keys/{key_id}/revoke")
def revoke_key(key_id: str, request: Request, session: SessionDep, actor: ActorDep,
               note: Text = ""):
    try:
        if len(note.strip()) < 2:
            raise ValidationError("note_required", "请填写收回原因", "please give a reason",
                                  field="note")
        service.revoke_key(session, actor, key_id, note.strip())
    except AnjuError as error:
        session.rollback()
        return _keys_page(request, session, actor, landlord=True, error=error)
    return RedirectResponse("/landlord/keys?done=1", status_code=303)


@router.get("/me/fees")
def my_fees(request: Request, session: SessionDep, actor: ActorDep):
    return _page(request, "fees.html", statements=service.list_fees(session, actor,
                                                                    actor.person_code),
                 landlord=False)


@router.get("/landlord/fees")
def room_fees(request: Request, session: SessionDep, actor: ActorDep):
    statements = [s for s in service.list_fees(session, actor)
                  if s.person_code != actor.person_code]
    return _page(request, "fees.html", statements=statements, landlord=True)


def _tasks_page(request: Request, session: Session, actor: Actor, division: str | None,
                error: AnjuError | None = None, notice: str | None = None) -> Response:
    return _page(request, "tasks.html", error.http_status if error else 200,
                 counts=service.task_counts(session, actor, division),
                 tasks=service.list_tasks(session, actor, division), division=division or "",
                 error=error, notice=notice)


@router.get("/tasks")
def tasks(request: Request, session: SessionDep, actor: ActorDep, division: str = "",
          done: str = ""):
    return _tasks_page(request, session, actor, division or None,
                       notice="resolved_notice" if done else None)


@router.post("/tasks/{task_id}/resolve")
def resolve(task_id: IdPath, request: Request, session: SessionDep, actor: ActorDep,
            outcome: Text = "", note: Text = "", end_date: Text = ""):
    try:
        try:
            left = date.fromisoformat(end_date) if end_date.strip() else None
        except ValueError:
            raise ValidationError("date_format", "日期格式应为 YYYY-MM-DD", "dates are YYYY-MM-DD",
                                  field="end_date") from None
        service.resolve_task(session, actor, task_id, outcome, note.strip() or None, left)
    except AnjuError as error:
        session.rollback()
        return _tasks_page(request, session, actor, None, error=error)
    return RedirectResponse("/tasks?done=1", status_code=303)
