"""Housing pages: my keys and fees (tenants), keys and fees on my rooms (landlords), the task list
with counts per village (grid workers, police). Each route calls the housing service and renders
through the app's shared layout; houses, rooms and tenants are the registry's pages.

The pages' words are in `anju.housing.words` (declared in the descriptor); templates say
`t("housing.<key>")`.
"""
from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from pydantic import BaseModel
from sqlalchemy.orm import Session

from anju.core import clock, divisions, inputs
from anju.core.config import get_settings
from anju.core.errors import AnjuError, ValidationError
from anju.core.pages import confirm, submit
from anju.core.pages import confirmed as is_confirmed
from anju.core.policy import Actor, Role
from anju.core.types import RecordId
from anju.core.web import ActorDep, SessionDep
from anju.housing import rules, service
from anju.housing.schemas import AssistEndIn, AssistRevokeIn, ConsentIn
from anju.registry.rules import Reason
from anju.registry.schemas import HouseIn, PersonIn, ReasonIn

TEMPLATES = Path(__file__).parent / "templates"
# County outlines shipped with the app (illustrative, not an approved map): web/static/vendor/geo.
OUTLINES = Path(__file__).resolve().parents[1] / "web" / "static" / "vendor" / "geo"
router = APIRouter(include_in_schema=False)
Text = Annotated[str, Form()]

MENU = {
    "resident": [("/me/keys", "housing.menu_my_keys"), ("/me/fees", "housing.menu_my_fees")],
    "landlord": [("/landlord/keys", "housing.menu_room_keys"),
                 ("/landlord/fees", "housing.menu_room_fees"),
                 ("/landlord/assisted", "housing.menu_assisted"),
                 ("/me/keys", "housing.menu_my_keys")],
    "grid_worker": [("/tasks", "housing.menu_tasks"), ("/assist", "housing.menu_assist")],
    "police": [("/tasks", "housing.menu_tasks")],
}

def _page(request: Request, name: str, status_code: int = 200, **context) -> Response:
    context.setdefault("error", None)
    context.setdefault("notice", None)
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
    def do():
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
        return service.revoke_key(session, actor, key_id, note.strip())
    return submit(session, do, lambda e: _keys_page(request, session, actor, landlord=True,
                                                     error=e), "/landlord/keys?done=1")


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
def resolve(task_id: RecordId, request: Request, session: SessionDep, actor: ActorDep,
            outcome: Text = "", note: Text = "", end_date: Text = "", confirmed: Text = ""):
    def do():
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
        return service.resolve_task(session, actor, task_id, outcome, note.strip() or None, left)
    return submit(session, do, lambda e: _tasks_page(request, session, actor, None, error=e),
                  "/tasks?done=1")


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
                 landlords=found, now=datetime.now(clock.CST).strftime("%Y-%m-%dT%H:%M"))


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
    return submit(session, lambda: service.record_consent(session, actor, _parse(ConsentIn, form)),
                  lambda e: _assist_page(request, session, actor, error=e, form=form),
                  lambda consent: f"/assist/consents/{consent.consent_id}?done=consent")


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
def consent_page(consent_id: RecordId, request: Request, session: SessionDep, actor: ActorDep,
                 done: str = ""):
    notice = {"consent": "consent_notice", "1": "done_notice"}.get(done)
    return _consent_page(request, session, actor, consent_id, notice=notice)


def _assisted(request: Request, session: Session, actor: Actor, consent_id: int, do):
    return submit(session, do, lambda e: _consent_page(request, session, actor, consent_id,
                                                       error=e),
                  f"/assist/consents/{consent_id}?done=1")


@router.post("/assist/consents/{consent_id}/house")
def assisted_house(consent_id: RecordId, request: Request, session: SessionDep, actor: ActorDep,
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
def assisted_tenant(consent_id: RecordId, request: Request, session: SessionDep, actor: ActorDep,
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
def assisted_end(consent_id: RecordId, request: Request, session: SessionDep, actor: ActorDep,
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
def assisted_revoke(consent_id: RecordId, request: Request, session: SessionDep, actor: ActorDep,
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
def withdraw(consent_id: RecordId, request: Request, session: SessionDep, actor: ActorDep):
    # which page to go back to, not a permission
    landlord = actor.role is Role.LANDLORD
    page = _assisted_page if landlord else _assist_page
    return submit(session, lambda: service.withdraw_consent(session, actor, consent_id),
                  lambda e: page(request, session, actor, error=e),
                  f"{'/landlord/assisted' if landlord else '/assist'}?done=1")


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
