"""Registry pages: residents, landlords, police and searchers, each over the registry service.

Routes parse the form, call the service and render through the app's shared templates
(`request.app.state.templates`). A refused action is rolled back and shown on the page the user
was on, in both languages, with what they typed kept. CSRF is checked for every POST by the web
layer that includes this router.
"""
from __future__ import annotations

import secrets
from datetime import date
from pathlib import Path
from typing import Annotated
from urllib.parse import parse_qsl, urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from anju.core import auditlog, clock, divisions, inputs, notes, qr
from anju.core.errors import AnjuError, Forbidden, ValidationError
from anju.core.pages import confirm, submit
from anju.core.pages import confirmed as confirmed_
from anju.core.policy import Actor, Scope, department_code, is_allowed, scopes_for
from anju.core.types import RecordId
from anju.core.web import ActorDep, SessionDep
from anju.registry import house_pages, service
from anju.registry import policy as P
from anju.registry.rules import Reason, RegistrationStatus
from anju.registry.schemas import HouseIn, PersonIn, RegistrationIn, RejectIn, StatusIn

TEMPLATES = Path(__file__).parent / "templates"
router = APIRouter(include_in_schema=False)
Text = Annotated[str, Form()]
IdPath = RecordId  # the shared bound (anju.core.types)

_SEARCH = ("/persons", "registry.menu.search")
_ACCESS_LOG = ("/me/access-log", "registry.menu.access_log")
_HOUSES = ("/houses", "registry.menu.houses_all")
MENU = {
    "resident": [("/me/registrations", "registry.menu.my_registrations"),
                 ("/me/register", "registry.menu.register"),
                 ("/me/permit", "registry.menu.my_permit"), _ACCESS_LOG],
    "landlord": [("/landlord/houses", "registry.menu.houses"),
                 ("/landlord/houses/new", "registry.menu.house_new"),
                 ("/landlord/tenants", "registry.menu.tenants"),
                 ("/landlord/tenants/new", "registry.menu.tenant_new"), _ACCESS_LOG],
    "police": [("/police/queue", "registry.menu.queue"), _SEARCH, _HOUSES],
    "grid_worker": [_SEARCH, _HOUSES], "dept_officer": [_SEARCH],
    "data_steward": [_SEARCH],
}
NOTICES = {"submitted", "approved", "rejected", "ended", "house_created", "tenant_registered",
           "permit_issued", "room_over_capacity"}
REASONS = [r.value for r in Reason]


# --- helpers ---------------------------------------------------------------------------------
def _page(request: Request, name: str, status_code: int = 200, **context) -> Response:
    context.setdefault("error", None)
    context["notices"] = [f"registry.notice.{n}" for n in request.query_params.getlist("notice")
                          if n in NOTICES]
    return request.app.state.templates.TemplateResponse(request, f"registry/{name}", context,
                                                        status_code)


def _done(path: str, *notices: str) -> str:
    """Where a page form goes once done: `path` showing the notices."""
    query = "&".join(f"notice={n}" for n in notices)
    joiner = "&" if "?" in path else "?"
    return f"{path}{joiner}{query}" if query else path


# --- confirming a change that is hard to undo (anju.core.pages) -------------------------------
def _registration_facts(session: Session, actor: Actor, registration_id: int):
    """The registration as the actor may see it (for the confirmation), or None if it is not
    one they reach — then the action itself answers, with the service's refusal."""
    found = service.list_registrations(session, actor, query=str(registration_id), limit=1)
    if not found:
        return None
    r = found[0]
    facts = [("field.registration_id", r.registration_id)]
    if r.person_name:
        facts.append(("field.person", r.person_name))
    facts += [("field.address", f"{r.address or ''} {r.room_label or ''}".strip()),
              ("field.start_date", r.start_date), ("field.reason", {"key": f"reason.{r.reason}"}),
              ("registry.field.status", {"key": f"status.{r.status}"})]
    return r, facts


def _local(target: str, prefix: str, default: str) -> str:
    """A return address on one of our own pages (the queue with its filters), else `default`."""
    return target if target.startswith(prefix) and "//" not in target else default


def _warned(registration) -> list[str]:
    return [w["code"] for w in registration.warnings if w["code"] in NOTICES]


def _model(cls: type[BaseModel], **data) -> BaseModel:
    """Build a schema from form text; its first complaint becomes a bilingual field error."""
    return inputs.parse(cls, data)


def _date(text: str, field: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ValidationError("date_format", "日期格式应为 YYYY-MM-DD", "dates are YYYY-MM-DD",
                              field=field) from None


def _person_actor(actor: ActorDep) -> Actor:
    """The "my …" pages are about the signed-in person (residents, landlords)."""
    if not actor.person_code:
        raise Forbidden("not_a_person", "该页面仅供居民和房东使用",
                        "this page is for residents and landlords")
    return actor


PersonActorDep = Annotated[Actor, Depends(_person_actor)]


# --- resident: my registrations, register, permit, access log ----------------------------------
def _my_registrations(request: Request, session: Session, actor: Actor,
                      error: AnjuError | None = None) -> Response:
    rows = service.list_registrations(session, actor, person_code=actor.person_code)
    # what other domains say about each registration (an arrival notice sent, and to whom)
    lines = notes.lines("registration", session, actor, [r.registration_id for r in rows])
    return _page(request, "my_registrations.html", error.http_status if error else 200,
                 rows=rows, error=error, today=clock.today(), back="me", notes=lines)


@router.get("/me/registrations")
def my_registrations(request: Request, session: SessionDep, actor: PersonActorDep):
    return _my_registrations(request, session, actor)


def _register_page(request: Request, session: Session, actor: Actor, q: str, form: dict,
                   error: AnjuError | None = None) -> Response:
    rooms = service.list_rooms_for_registration(session, actor, q) if q.strip() else []
    return _page(request, "register.html", error.http_status if error else 200, rooms=rooms,
                 q=q, form=form, reasons=REASONS, error=error)


@router.get("/me/register")
def register_form(request: Request, session: SessionDep, actor: PersonActorDep, q: str = ""):
    form = {"start_date": clock.today().isoformat(), "reason": "", "room_id": "",
            "idempotency_key": secrets.token_urlsafe(16)}
    return _register_page(request, session, actor, q, form)


@router.post("/me/register")
def register(request: Request, session: SessionDep, actor: PersonActorDep, q: Text = "",
             room_id: Text = "", start_date: Text = "", reason: Text = "",
             idempotency_key: Text = ""):
    form = {"room_id": room_id, "start_date": start_date, "reason": reason,
            "idempotency_key": idempotency_key}

    def do():
        data = _model(RegistrationIn, person_code=actor.person_code, room_id=room_id,
                      start_date=start_date, reason=reason)
        return service.submit_registration(session, actor, data, idempotency_key or None)[0]
    return submit(session, do, lambda e: _register_page(request, session, actor, q, form, e),
                  lambda registration: _done("/me/registrations", "submitted",
                                             *_warned(registration)))


def _permit_page(request: Request, session: Session, actor: Actor, person_code: str,
                 error: AnjuError | None = None) -> Response:
    eligibility = service.permit_eligibility(session, actor, person_code)
    permits = service.list_permits(session, actor, person_code)
    return _page(request, "permit.html", error.http_status if error else 200,
                 eligibility=eligibility, permits=permits, person_code=person_code, error=error,
                 own=person_code == actor.person_code,
                 holds_valid=any(p.status == "valid" for p in permits),
                 may_issue=_may_issue(actor), qr_codes=_qr_codes(permits))


def _may_issue(actor: Actor) -> bool:
    """A department officer issues only as public security's (the policy's department reach)."""
    return is_allowed(actor.role, P.PERMIT_ISSUE) and (
        Scope.DEPARTMENT not in scopes_for(actor.role, P.PERMIT_ISSUE)
        or department_code(actor.department) == P.PERMIT_DEPARTMENT)


def _qr_codes(permits) -> dict[str, str]:
    """The electronic permit: each valid permit's signed payload drawn as an inline SVG."""
    return {p.permit_number: qr.svg(p.qr_payload, label=f"电子居住证 {p.permit_number} / "
                                    f"electronic residence permit {p.permit_number}")
            for p in permits if p.qr_payload}


@router.get("/me/permit")
def my_permit(request: Request, session: SessionDep, actor: PersonActorDep):
    return _permit_page(request, session, actor, actor.person_code)


@router.get("/me/access-log")
def my_access_log(request: Request, session: SessionDep, actor: PersonActorDep):
    entries = auditlog.my_access_log(session, actor)
    return _page(request, "access_log.html", entries=entries)


@router.post("/registrations/{registration_id}/end")
def end_registration(registration_id: IdPath, request: Request, session: SessionDep,
                     actor: ActorDep, end_date: Text = "", back: Text = "me",
                     confirmed: Text = ""):
    pages = {"me": ("/me/registrations", _my_registrations),
             "tenants": ("/landlord/tenants", _tenants)}
    path, show = pages.get(back, pages["me"])

    def do():
        day = _date(end_date, "end_date")
        found = _registration_facts(session, actor, registration_id)
        if not confirmed_(confirmed) and found and found[0].status in ("submitted", "approved"):
            return confirm(request, title="confirm.end_title", question="confirm.end_question",
                           action=f"/registrations/{registration_id}/end", back=path,
                           fields={"end_date": day.isoformat(), "back": back},
                           facts=[*found[1], ("field.end_date", day)],
                           button="confirm.end_button")
        return service.end_registration(session, actor, registration_id, day)
    return submit(session, do, lambda e: show(request, session, actor, e), _done(path, "ended"))


# --- landlord: houses, tenants ---------------------------------------------------------------
def _division_choices(actor: Actor) -> list[tuple[str, str]]:
    root = divisions.get(actor.division_code)
    if root is None:
        return []
    if root.level >= divisions.TOWNSHIP:
        return [(root.code, root.name)]
    return [(d.code, d.name) for d in divisions.children(root.code)
            if d.level == divisions.TOWNSHIP]


@router.get("/landlord/houses")
def houses(request: Request, session: SessionDep, actor: ActorDep):
    return _page(request, "houses.html", houses=service.list_houses(session, actor))


def _house_form(request: Request, actor: Actor, form: dict, error: AnjuError | None = None):
    return _page(request, "house_new.html", error.http_status if error else 200, form=form,
                 groups=house_pages.division_groups(actor), error=error)


@router.get("/landlord/houses/new")
def house_form(request: Request, actor: ActorDep):
    form = {"address": "", "division_code": "", "rooms": [("", "")] * 4}
    return _house_form(request, actor, form)


@router.post("/landlord/houses/new")
def create_house(request: Request, session: SessionDep, actor: PersonActorDep,
                 address: Text = "", division_code: Text = "",
                 room_label: Annotated[list[str], Form()] = [],  # noqa: B006 - FastAPI copies it
                 room_capacity: Annotated[list[str], Form()] = []):  # noqa: B006
    rows = list(zip(room_label, room_capacity))
    form = {"address": address, "division_code": division_code, "rooms": rows or [("", "")]}

    def do():
        data = _model(HouseIn, address=address, division_code=division_code,
                      landlord_person_code=actor.person_code,
                      rooms=[{"label": label.strip(), "capacity": capacity.strip()}
                             for label, capacity in rows if label.strip() or capacity.strip()])
        return service.create_house(session, actor, data)
    return submit(session, do, lambda e: _house_form(request, actor, form, e),
                  _done("/landlord/houses", "house_created"))


def _tenants(request: Request, session: Session, actor: Actor,
             error: AnjuError | None = None) -> Response:
    rows = service.list_registrations(session, actor)
    return _page(request, "tenants.html", error.http_status if error else 200, rows=rows,
                 error=error, today=clock.today(), back="tenants")


@router.get("/landlord/tenants")
def tenants(request: Request, session: SessionDep, actor: ActorDep):
    return _tenants(request, session, actor)


def _tenant_form(request: Request, session: Session, actor: Actor, form: dict,
                 error: AnjuError | None = None) -> Response:
    rooms = service.list_rooms_for_registration(session, actor)
    return _page(request, "tenant_new.html", error.http_status if error else 200, rooms=rooms,
                 form=form, reasons=REASONS, error=error)


@router.get("/landlord/tenants/new")
def tenant_form(request: Request, session: SessionDep, actor: ActorDep):
    form = {"name": "", "id_number": "", "phone": "", "room_id": "", "reason": "",
            "start_date": clock.today().isoformat(), "idempotency_key": secrets.token_urlsafe(16)}
    return _tenant_form(request, session, actor, form)


@router.post("/landlord/tenants/new")
def register_tenant(request: Request, session: SessionDep, actor: ActorDep, name: Text = "",
                    id_number: Text = "", phone: Text = "", room_id: Text = "",
                    start_date: Text = "", reason: Text = "", idempotency_key: Text = ""):
    form = {"name": name, "id_number": id_number, "phone": phone, "room_id": room_id,
            "start_date": start_date, "reason": reason, "idempotency_key": idempotency_key}

    # One unit of work: the person is kept only if their registration is accepted.
    def do():
        person = service.create_person(session, actor, _model(
            PersonIn, name=name, id_number=id_number, phone=phone or None))
        return service.submit_registration(session, actor, _model(
            RegistrationIn, person_code=person.person_code, room_id=room_id,
            start_date=start_date, reason=reason), idempotency_key or None)[0]
    return submit(session, do, lambda e: _tenant_form(request, session, actor, form, e),
                  lambda registration: _done("/landlord/tenants", "tenant_registered",
                                             *_warned(registration)))


# --- police: approval queue, permits -----------------------------------------------------------
QUEUE_PAGE = 50


class QueueFilter(BaseModel):
    """The queue's filters, read from the query string (empty fields mean "any")."""

    model_config = ConfigDict(str_strip_whitespace=True)

    status: StatusIn | None = RegistrationStatus.SUBMITTED
    division: str | None = Field(None, max_length=12)
    submitted_from: date | None = None
    submitted_to: date | None = None
    q: str | None = Field(None, max_length=64)
    page: int = Field(1, ge=1, le=1_000_000)


def _queue_filter(query: str) -> tuple[QueueFilter, AnjuError | None]:
    raw = {k: v for k, v in parse_qsl(query) if k in QueueFilter.model_fields and v.strip()}
    if raw.get("status") == "all":
        raw["status"] = None
    elif "status" not in raw and "q" in raw:
        raw["status"] = None  # a search looks through every state unless one is chosen
    try:
        return inputs.parse(QueueFilter, raw), None
    except AnjuError as error:
        return QueueFilter(), error


def _queue(request: Request, session: Session, actor: Actor, error: AnjuError | None = None,
           query: str | None = None) -> Response:
    query = request.url.query if query is None else query
    filters, bad = _queue_filter(query)
    error = error or bad
    rows = service.list_registrations(
        session, actor, filters.status, limit=QUEUE_PAGE, offset=(filters.page - 1) * QUEUE_PAGE,
        division=filters.division, submitted_from=filters.submitted_from,
        submitted_to=filters.submitted_to, query=filters.q)
    kept = {k: ("all" if k == "status" and v is None else v)
            for k, v in filters.model_dump(exclude={"page"}).items()
            if v is not None or k == "status"}
    here = "/police/queue" + (f"?{query}" if query else "")
    pages = -(-rows.total // QUEUE_PAGE)
    return _page(request, "queue.html", error.http_status if error else 200, rows=rows,
                 error=error, filters=filters, here=here, pages=pages,
                 townships=_division_choices(actor),
                 statuses=[s.value for s in RegistrationStatus],
                 link=lambda page: "/police/queue?" + urlencode({**kept, "page": page}))


@router.get("/police/queue")
def queue(request: Request, session: SessionDep, actor: ActorDep):
    return _queue(request, session, actor)


def _back_query(back: str) -> str:
    return _local(back, "/police/queue", "/police/queue").partition("?")[2]


@router.post("/registrations/{registration_id}/approve")
def approve(registration_id: IdPath, request: Request, session: SessionDep, actor: ActorDep,
            back: Text = "", confirmed: Text = ""):
    back = _local(back, "/police/queue", "/police/queue")

    def do():
        found = _registration_facts(session, actor, registration_id)
        if not confirmed_(confirmed) and found and found[0].status == "submitted":
            return confirm(request, title="registry.confirm.approve_title",
                           question="registry.confirm.approve_question",
                           action=f"/registrations/{registration_id}/approve", back=back,
                           fields={"back": back}, facts=found[1],
                           button="registry.confirm.approve_button", style="ok")
        return service.approve_registration(session, actor, registration_id)
    return submit(session, do, lambda e: _queue(request, session, actor, e, _back_query(back)),
                  _done(back, "approved"))


@router.post("/registrations/{registration_id}/reject")
def reject(registration_id: IdPath, request: Request, session: SessionDep, actor: ActorDep,
           reason: Text = "", back: Text = "", confirmed: Text = ""):
    back = _local(back, "/police/queue", "/police/queue")

    def do():
        body = _model(RejectIn, reason=reason.strip())
        found = _registration_facts(session, actor, registration_id)
        if not confirmed_(confirmed) and found and found[0].status == "submitted":
            return confirm(request, title="registry.confirm.reject_title",
                           question="registry.confirm.reject_question",
                           action=f"/registrations/{registration_id}/reject", back=back,
                           fields={"reason": body.reason, "back": back},
                           facts=[*found[1], ("registry.field.rejection_reason", body.reason)],
                           button="registry.confirm.reject_button")
        return service.reject_registration(session, actor, registration_id, body.reason)
    return submit(session, do, lambda e: _queue(request, session, actor, e, _back_query(back)),
                  _done(back, "rejected"))


@router.get("/persons/{person_code}/permit")
def person_permit(person_code: str, request: Request, session: SessionDep, actor: ActorDep):
    return _permit_page(request, session, actor, person_code)


@router.post("/persons/{person_code}/permit")
def issue_permit(person_code: str, request: Request, session: SessionDep, actor: ActorDep):
    return submit(session, lambda: service.issue_permit(session, actor, person_code),
                  lambda e: _permit_page(request, session, actor, person_code, e),
                  _done(f"/persons/{person_code}/permit", "permit_issued"))


# --- person search (police, grid workers, officers, data stewards) ----------------------------
@router.get("/persons")
def search(request: Request, session: SessionDep, actor: ActorDep, q: str = ""):
    results = service.search_persons(session, actor, q[:64])
    return _page(request, "search.html", results=results, q=q)


@router.get("/persons/{person_code}")
def person(person_code: str, request: Request, session: SessionDep, actor: ActorDep):
    # Officials who read permits across their area are shown the way to this person's.
    permits = Scope.JURISDICTION in scopes_for(actor.role, P.PERMIT_READ)
    return _page(request, "person.html", person=service.read_person(session, actor, person_code),
                 permits_link=permits)


router.include_router(house_pages.router)  # houses after registration: find, correct, rooms
