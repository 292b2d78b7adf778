"""Housing pages: my keys and fees (tenants), keys and fees on my rooms (landlords), the task list
with counts per village (grid workers, police). Each route calls the housing service and renders
through the app's shared layout; houses, rooms and tenants are the registry's pages.

The pages' own words are in TEXT (Chinese first, English second), so this domain adds no keys to
the shared dictionary; templates read them as `h.<key>` for the current language.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel
from sqlalchemy.orm import Session

from anju.core import clock, divisions, inputs
from anju.core.config import get_settings
from anju.core.errors import AnjuError, ValidationError
from anju.core.pages import confirm
from anju.core.pages import confirmed as is_confirmed
from anju.core.policy import Actor, Role
from anju.core.types import RecordId
from anju.core.web import ActorDep, SessionDep
from anju.housing import rules, service
from anju.housing.schemas import AssistEndIn, AssistRevokeIn, ConsentIn
from anju.registry.rules import Reason
from anju.registry.schemas import HouseIn, PersonIn, ReasonIn

TEMPLATES = Path(__file__).parent / "templates"
CST = timezone(timedelta(hours=8))
# County outlines shipped with the app (illustrative, not an approved map): web/static/vendor/geo.
OUTLINES = Path(__file__).resolve().parents[1] / "web" / "static" / "vendor" / "geo"
router = APIRouter(include_in_schema=False)
Text = Annotated[str, Form()]
IdPath = RecordId  # the shared bound (anju.core.types)

MENU = {
    "resident": [("/me/keys", "housing.menu_my_keys"), ("/me/fees", "housing.menu_my_fees")],
    "landlord": [("/landlord/keys", "housing.menu_room_keys"),
                 ("/landlord/fees", "housing.menu_room_fees"),
                 ("/landlord/assisted", "housing.menu_assisted"),
                 ("/me/keys", "housing.menu_my_keys")],
    "grid_worker": [("/tasks", "housing.menu_tasks"), ("/assist", "housing.menu_assist")],
    "police": [("/tasks", "housing.menu_tasks")],
}

TEXT = {
    "zh": {
        "menu_my_keys": "我的钥匙", "menu_my_fees": "服务费", "menu_room_keys": "房间钥匙",
        "menu_room_fees": "租户服务费", "menu_assisted": "代办记录", "menu_tasks": "管理任务",
        "menu_assist": "协助房东",
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
        "map_title": "各乡镇（街道）待处理任务", "map_outline": "县域轮廓",
        "map_note": "示意图：县域轮廓仅作示意，不是经审核的地图（无审图号），也不表示准确边界；"
                    "暂无乡镇、村级边界数据，因此各乡镇任务数以旁边的柱状图显示。",
        "assist_title": "协助房东办理", "assisted_title": "代办记录",
        "assist_intro": "为不便使用手机的房东代办：先记录房东本人的同意（谁、以何种方式、何时），"
                        "再在同意有效期内代为登记房屋、登记租客、注销租住或收回钥匙。每项代办都记入审计日志，"
                        "房东可在“代办记录”中查看。",
        "consent_new": "记录房东同意", "landlord_code": "房东", "method": "同意方式",
        "paper_form": "书面同意书", "in_person": "当面口头同意",
        "reference": "同意书编号 / 当面同意的地点与在场人", "consented_at": "同意时间",
        "valid_days": "有效天数（1–30）", "save": "保存", "consents": "同意记录",
        "consent": "同意记录", "live": "有效", "not_live": "已失效",
        "withdraw": "撤回同意", "withdrawn": "已撤回", "open_consent": "代办",
        "no_consents": "暂无同意记录。", "actions": "代办事项", "no_actions": "暂无代办记录。",
        "grid_worker": "网格员", "done_at": "办理时间", "object": "对象",
        "house.create": "登记房屋", "registration.submit": "登记租客",
        "registration.end": "注销租住", "key.revoke": "收回钥匙",
        "address": "地址", "room_labels": "房间号（逗号分隔）", "capacity": "每间核定人数",
        "start_date": "起租日期", "reason_label": "居住事由", "registration_id": "登记编号",
        "end_on": "搬离日期", "note_required": "原因",
        "done_notice": "已代为办理，并记入审计日志。", "consent_notice": "已记录房东同意。",
        "withdrawn_notice": "同意已撤回，之后不能再凭此代办。",
        "assisted_intro": "以下是网格员凭您的同意代您办理的事项。如不再需要代办，可随时撤回同意。",
        "landlord_q": "查找房东：姓名、身份证号码或手机号码", "find": "查找",
        "landlord_q_hint": "结果已脱敏，查询会被记录。", "landlord_pick": "房东",
        "no_landlord_found": "没有找到符合条件的人员。请核对姓名或改用身份证号码查找。",
        "search_first": "请先在上方查找房东。", "division_pick": "所在乡镇（街道）或村（社区）",
        "tenant_name": "租客姓名", "tenant_id_number": "租客身份证号码",
        "tenant_phone": "租客手机号码（选填）", "room_pick": "房间",
        "no_rooms": "该房东在您辖区内还没有登记房屋，请先代为登记房屋。",
        "tenancy_pick": "在住租客", "no_tenancies": "该房东名下暂无在住租客。",
        "key_pick": "钥匙", "no_active_keys": "该房东的房间暂无有效钥匙。",
        "since_date": "起", "choose": "请选择",
        "object_house": "房屋", "object_registration": "居住登记", "object_ekey": "钥匙",
        "object_assist_consent": "同意记录",
        "confirm_revoke_title": "确认收回钥匙",
        "confirm_revoke_question": "确定收回这把电子钥匙吗？收回后持有人将不能再用它开门。",
        "confirm_revoke_button": "确认收回",
        "confirm_moved_out_title": "确认已搬离",
        "confirm_moved_out_question": "确定按“已搬离”处理吗？这将注销该租客的居住登记并收回其钥匙。",
        "confirm_moved_out_button": "确认已搬离",
        "tenant_label": "租客", "task_label": "任务",
    },
    "en": {
        "menu_my_keys": "My keys", "menu_my_fees": "My fees", "menu_room_keys": "Keys",
        "menu_room_fees": "Tenants' fees", "menu_assisted": "Done on my behalf",
        "menu_tasks": "Tasks", "menu_assist": "Assist a landlord",
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
        "map_title": "Open tasks per township", "map_outline": "County outline",
        "map_note": "Illustrative only: the county outline is not an approved map (no 审图号) and "
                    "does not show exact borders. There are no township or village shapes, so "
                    "task counts per township are charted beside it.",
        "assist_title": "Assist a landlord", "assisted_title": "Done on my behalf",
        "assist_intro": "For landlords who do not use the app: first record the landlord's own "
                        "consent (who, how, when); while it is valid, register a house or a tenant, "
                        "end a tenancy or revoke a key for them. Every action is audited and the "
                        "landlord sees it under \"Done on my behalf\".",
        "consent_new": "Record the landlord's consent", "landlord_code": "Landlord",
        "method": "How consent was given", "paper_form": "Signed paper form",
        "in_person": "In person", "reference": "Form number / where and who was present",
        "consented_at": "Consented at", "valid_days": "Valid for days (1–30)", "save": "Save",
        "consents": "Consents", "consent": "Consent",
        "live": "valid", "not_live": "no longer valid", "withdraw": "Withdraw consent",
        "withdrawn": "withdrawn", "open_consent": "Act", "no_consents": "No consents yet.",
        "actions": "Actions", "no_actions": "Nothing done on a landlord's behalf yet.",
        "grid_worker": "Grid worker", "done_at": "Done at", "object": "Record",
        "house.create": "Registered a house", "registration.submit": "Registered a tenant",
        "registration.end": "Ended a tenancy", "key.revoke": "Revoked a key",
        "address": "Address",
        "room_labels": "Room labels (comma-separated)", "capacity": "Capacity per room",
        "start_date": "Start date",
        "reason_label": "Reason", "registration_id": "Registration id", "end_on": "Move-out date",
        "note_required": "Reason",
        "done_notice": "Done for the landlord and audited.", "consent_notice": "Consent recorded.",
        "withdrawn_notice": "Consent withdrawn; nothing more can be done under it.",
        "assisted_intro": "What grid workers did for you under your consent. You can withdraw a "
                          "consent at any time.",
        "landlord_q": "Find the landlord: name, ID number or mobile number", "find": "Find",
        "landlord_q_hint": "Results are masked; searches are logged.", "landlord_pick": "Landlord",
        "no_landlord_found": "No one found. Check the name, or search by ID number.",
        "search_first": "Find the landlord above first.",
        "division_pick": "Township / street or village / community",
        "tenant_name": "Tenant's name", "tenant_id_number": "Tenant's ID number",
        "tenant_phone": "Tenant's mobile (optional)", "room_pick": "Room",
        "no_rooms": "This landlord has no house in your area yet; register one first.",
        "tenancy_pick": "Current tenant", "no_tenancies": "No current tenants of this landlord.",
        "key_pick": "Key", "no_active_keys": "No active keys on this landlord's rooms.",
        "since_date": "from", "choose": "Choose…",
        "object_house": "House", "object_registration": "Registration", "object_ekey": "Key",
        "object_assist_consent": "Consent",
        "confirm_revoke_title": "Confirm revoking the key",
        "confirm_revoke_question": "Revoke this e-key? Its holder will no longer open the door "
                                   "with it.",
        "confirm_revoke_button": "Revoke it",
        "confirm_moved_out_title": "Confirm move-out",
        "confirm_moved_out_question": "Record that the tenant moved out? This ends their "
                                      "residence registration and revokes their key.",
        "confirm_moved_out_button": "They moved out",
        "tenant_label": "Tenant", "task_label": "Task",
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


def _key_facts(key) -> list[tuple[str, object]]:
    facts = [("housing.key_id", key.key_id),
             ("housing.room", f"{key.address or ''} {key.room_label or ''}".strip())]
    if key.person_name:
        facts.append(("housing.tenant_label", key.person_name))
    return facts + [("housing.valid_from", key.valid_from)]


@router.post("/landlord/keys/{key_id}/revoke")
def revoke_key(key_id: str, request: Request, session: SessionDep, actor: ActorDep,
               note: Text = "", confirmed: Text = ""):
    try:
        if len(note.strip()) < 2:
            raise ValidationError("note_required", "请填写收回原因", "please give a reason",
                                  field="note")
        key = next((k for k in service.list_keys(session, actor) if k.key_id == key_id), None)
        if not is_confirmed(confirmed) and key and key.status == "active":
            return confirm(request, title="housing.confirm_revoke_title",
                           question="housing.confirm_revoke_question",
                           action=f"/landlord/keys/{key_id}/revoke", back="/landlord/keys",
                           fields={"note": note.strip()},
                           facts=[*_key_facts(key), ("housing.revoke_note", note.strip())],
                           button="housing.confirm_revoke_button")
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
    county = get_settings().county_code[:6]
    townships = service.task_counts_by_township(session, actor, division)
    return _page(request, "tasks.html", error.http_status if error else 200,
                 counts=service.task_counts(session, actor, division),
                 tasks=service.list_tasks(session, actor, division), division=division or "",
                 error=error, notice=notice,
                 townships=[{"code": t.division_code, "name": t.division_name or t.division_code,
                             "open": t.open} for t in townships],
                 outline=f"/static/vendor/geo/{county}.geo.json"
                 if (OUTLINES / f"{county}.geo.json").exists() else None)


@router.get("/tasks")
def tasks(request: Request, session: SessionDep, actor: ActorDep, division: str = "",
          done: str = ""):
    return _tasks_page(request, session, actor, division or None,
                       notice="resolved_notice" if done else None)


@router.post("/tasks/{task_id}/resolve")
def resolve(task_id: IdPath, request: Request, session: SessionDep, actor: ActorDep,
            outcome: Text = "", note: Text = "", end_date: Text = "", confirmed: Text = ""):
    try:
        try:
            left = date.fromisoformat(end_date) if end_date.strip() else None
        except ValueError:
            raise ValidationError("date_format", "日期格式应为 YYYY-MM-DD", "dates are YYYY-MM-DD",
                                  field="end_date") from None
        if outcome == rules.Outcome.MOVED_OUT and not is_confirmed(confirmed):
            task = next((t for t in service.list_tasks(session, actor) if t.task_id == task_id),
                        None)
            if task is not None:
                return confirm(request, title="housing.confirm_moved_out_title",
                               question="housing.confirm_moved_out_question",
                               action=f"/tasks/{task_id}/resolve", back="/tasks",
                               fields={"outcome": outcome, "note": note, "end_date": end_date},
                               facts=[("housing.what", {"key": f"housing.{task.kind}"}),
                                      ("housing.where", f"{task.address or ''} "
                                                        f"{task.room_label or ''}".strip()),
                                      ("housing.who", task.person_name or ""),
                                      ("housing.end_on", left or clock.today())],
                               button="housing.confirm_moved_out_button")
        service.resolve_task(session, actor, task_id, outcome, note.strip() or None, left)
    except AnjuError as error:
        session.rollback()
        return _tasks_page(request, session, actor, None, error=error)
    return RedirectResponse("/tasks?done=1", status_code=303)


# --- assisted mode ---------------------------------------------------------------------------
def _division_groups(actor: Actor) -> list[tuple[str, list[tuple[str, str]]]]:
    """The actor's townships, each with its villages, by name (a house lies in one of them)."""
    return [(t.name, [(t.code, t.name)] + [(v.code, v.name) for v in villages])
            for t, villages in divisions.townships_with_villages(actor.division_code)]


def _assist_page(request: Request, session: Session, actor: Actor,
                 error: AnjuError | None = None, notice: str | None = None,
                 form: dict | None = None) -> Response:
    landlord_q = request.query_params.get("landlord_q", "")[:64] if request.method == "GET" \
        else (form or {}).get("landlord_q", "")
    found = service.find_landlords(session, actor, landlord_q) if landlord_q.strip() else []
    return _page(request, "assist.html", error.http_status if error else 200,
                 consents=service.list_consents(session, actor),
                 actions=service.list_assisted_actions(session, actor, limit=100),
                 error=error, notice=notice, form=form or {}, landlord_q=landlord_q,
                 landlords=found, now=datetime.now(CST).strftime("%Y-%m-%dT%H:%M"))


@router.get("/assist")
def assist(request: Request, session: SessionDep, actor: ActorDep, done: str = ""):
    return _assist_page(request, session, actor, notice="withdrawn_notice" if done else None)


@router.post("/assist/consents")
def record_consent(request: Request, session: SessionDep, actor: ActorDep,
                   landlord_person_code: Text = "", method: Text = "", reference: Text = "",
                   consented_at: Text = "", valid_days: Text = "7", landlord_q: Text = ""):
    form = {"landlord_person_code": landlord_person_code, "method": method,
            "reference": reference, "consented_at": consented_at, "valid_days": valid_days,
            "landlord_q": landlord_q}
    try:
        data = _parse(ConsentIn, form)
        consent = service.record_consent(session, actor, data)
    except AnjuError as error:
        session.rollback()
        return _assist_page(request, session, actor, error=error, form=form)
    return RedirectResponse(f"/assist/consents/{consent.consent_id}?done=consent",
                            status_code=303)


class _RegistrationRef(BaseModel):
    registration_id: RecordId


class _Stay(BaseModel):
    room_id: RecordId
    start_date: date
    reason: ReasonIn


def _parse(model, form: dict):
    """A schema from form fields, or a bilingual ValidationError naming the first bad field."""
    return inputs.parse(model, form)


def _consent_page(request: Request, session: Session, actor: Actor, consent_id: int,
                  error: AnjuError | None = None, notice: str | None = None) -> Response:
    consent = service.get_consent(session, actor, consent_id)
    actions = [a for a in service.list_assisted_actions(session, actor,
                                                        consent.landlord_person_code)
               if a.consent_id == consent_id]
    choices = service.assist_choices(session, actor, consent_id) if consent.live else {}
    return _page(request, "assist_consent.html", error.http_status if error else 200,
                 consent=consent, actions=actions, error=error, notice=notice,
                 reasons=[r.value for r in Reason], groups=_division_groups(actor),
                 today=clock.today(), **choices)


@router.get("/assist/consents/{consent_id}")
def consent_page(consent_id: IdPath, request: Request, session: SessionDep, actor: ActorDep,
                 done: str = ""):
    notice = {"consent": "consent_notice", "1": "done_notice"}.get(done)
    return _consent_page(request, session, actor, consent_id, notice=notice)


def _assisted(request: Request, session: Session, actor: Actor, consent_id: int, do):
    try:
        asked = do()
        if asked is not None:  # a confirmation page: nothing was done yet
            return asked
    except AnjuError as error:
        session.rollback()
        return _consent_page(request, session, actor, consent_id, error=error)
    return RedirectResponse(f"/assist/consents/{consent_id}?done=1", status_code=303)


@router.post("/assist/consents/{consent_id}/house")
def assisted_house(consent_id: IdPath, request: Request, session: SessionDep, actor: ActorDep,
                   address: Text = "", division_code: Text = "", room_labels: Text = "",
                   capacity: Text = "1"):
    def do():
        consent = service.get_consent(session, actor, consent_id)
        labels = [x.strip() for x in room_labels.replace("，", ",").split(",") if x.strip()]
        data = _parse(HouseIn, {"address": address, "division_code": division_code,
                                "landlord_person_code": consent.landlord_person_code,
                                "rooms": [{"label": x, "capacity": capacity} for x in labels]})
        service.assisted_create_house(session, actor, consent_id, data)
    return _assisted(request, session, actor, consent_id, do)


@router.post("/assist/consents/{consent_id}/tenant")
def assisted_tenant(consent_id: IdPath, request: Request, session: SessionDep, actor: ActorDep,
                    name: Text = "", id_number: Text = "", phone: Text = "", room_id: Text = "",
                    start_date: Text = "", reason: Text = ""):
    def do():
        person = _parse(PersonIn, {"name": name, "id_number": id_number,
                                   "phone": phone or None})
        stay = _parse(_Stay, {"room_id": room_id, "start_date": start_date, "reason": reason})
        service.assisted_register_person(session, actor, consent_id, person, stay.room_id,
                                         stay.start_date, stay.reason)
    return _assisted(request, session, actor, consent_id, do)


@router.post("/assist/consents/{consent_id}/end")
def assisted_end(consent_id: IdPath, request: Request, session: SessionDep, actor: ActorDep,
                 registration_id: Text = "", end_date: Text = "", confirmed: Text = ""):
    def do():
        data = _parse(AssistEndIn, {"end_date": end_date})
        reg = _parse(_RegistrationRef, {"registration_id": registration_id})
        tenancy = next((r for r in service.assist_choices(session, actor, consent_id)["tenancies"]
                        if r.registration_id == reg.registration_id), None)
        if tenancy is not None and not is_confirmed(confirmed):
            return confirm(request, title="confirm.end_title", question="confirm.end_question",
                           action=f"/assist/consents/{consent_id}/end",
                           back=f"/assist/consents/{consent_id}",
                           fields={"registration_id": reg.registration_id,
                                   "end_date": data.end_date.isoformat()},
                           facts=[("field.registration_id", tenancy.registration_id),
                                  ("field.person", tenancy.person_name or ""),
                                  ("field.address", f"{tenancy.address or ''} "
                                                    f"{tenancy.room_label or ''}".strip()),
                                  ("field.start_date", tenancy.start_date),
                                  ("field.end_date", data.end_date)],
                           button="confirm.end_button")
        service.assisted_end_tenancy(session, actor, consent_id, reg.registration_id,
                                     data.end_date)
        return None
    return _assisted(request, session, actor, consent_id, do)


@router.post("/assist/consents/{consent_id}/revoke")
def assisted_revoke(consent_id: IdPath, request: Request, session: SessionDep, actor: ActorDep,
                    key_id: Text = "", note: Text = "", confirmed: Text = ""):
    def do():
        data = _parse(AssistRevokeIn, {"note": note.strip()})
        key = next((k for k in service.assist_choices(session, actor, consent_id)["keys"]
                    if k.key_id == key_id.strip()), None)
        if key is not None and not is_confirmed(confirmed):
            return confirm(request, title="housing.confirm_revoke_title",
                           question="housing.confirm_revoke_question",
                           action=f"/assist/consents/{consent_id}/revoke",
                           back=f"/assist/consents/{consent_id}",
                           fields={"key_id": key.key_id, "note": data.note},
                           facts=[*_key_facts(key), ("housing.revoke_note", data.note)],
                           button="housing.confirm_revoke_button")
        service.assisted_revoke_key(session, actor, consent_id, key_id.strip()[:24], data.note)
        return None
    return _assisted(request, session, actor, consent_id, do)


@router.post("/assist/consents/{consent_id}/withdraw")
def withdraw(consent_id: IdPath, request: Request, session: SessionDep, actor: ActorDep):
    try:
        service.withdraw_consent(session, actor, consent_id)
    except AnjuError as error:
        session.rollback()
        if actor.role is Role.LANDLORD:
            return _assisted_page(request, session, actor, error=error)
        return _assist_page(request, session, actor, error=error)
    target = "/landlord/assisted" if actor.role is Role.LANDLORD else "/assist"
    return RedirectResponse(f"{target}?done=1", status_code=303)


def _assisted_page(request: Request, session: Session, actor: Actor,
                   error: AnjuError | None = None, notice: str | None = None) -> Response:
    return _page(request, "assisted.html", error.http_status if error else 200,
                 consents=service.list_consents(session, actor, actor.person_code),
                 actions=service.list_assisted_actions(session, actor, actor.person_code),
                 error=error, notice=notice)


@router.get("/landlord/assisted")
def assisted_for_me(request: Request, session: SessionDep, actor: ActorDep, done: str = ""):
    """The landlord's view: what was done on my behalf, and my consents."""
    return _assisted_page(request, session, actor, notice="withdrawn_notice" if done else None)
