"""Cases pages (cases core): the resident's "my cases", the case page with its timeline and the
steps the viewer may take, the department's queue, the window clerk's desk, the supervisor's
overdue view and the case figures. Each route calls the cases service and renders through the
app's layout; words are `cases.<key>` (anju.cases.words.cases)."""
from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import Response
from pydantic import ValidationError as PydanticError
from sqlalchemy.orm import Session

from anju.cases import catalogue, rules
from anju.cases.policy import (
    CASE_ACCEPT,
    CASE_DECIDE,
    CASE_NOT_ACCEPT,
    CASE_REQUEST_SUPPLEMENT,
    CASE_START,
    CASE_SUPPLY,
    CASE_TRANSFER,
    CASE_WITHDRAW,
)
from anju.cases.rules import MACHINE, CaseStatus, Transition
from anju.cases.service import cases, stats
from anju.cases.service.shapes import CaseIn, ConsentIn
from anju.core.errors import AnjuError, ValidationError
from anju.core.pages import submit
from anju.core.policy import Actor, Role, department_code, departments, is_allowed
from anju.core.types import RecordId
from anju.core.web import ActorDep, SessionDep

router = APIRouter(include_in_schema=False)
MENU: dict[str, list[tuple[str, str]]] = {
    "resident": [("/me/cases", "cases.menu_my_cases")],
    "window_clerk": [("/window", "cases.menu_window")],
    "dept_officer": [("/cases/queue", "cases.menu_queue")],
    "dept_supervisor": [("/cases/queue", "cases.menu_queue"),
                        ("/cases/overdue", "cases.menu_overdue"),
                        ("/cases/counts", "cases.menu_counts")],
    "service_provider": [("/cases/queue", "cases.menu_queue")],
    "analyst": [("/cases/counts", "cases.menu_counts")],
}
Text = Annotated[str, Form()]
PageNo = Annotated[int, Query(ge=1, le=10**5)]
PAGE = 50
STEP_ACTIONS = {Transition.ACCEPT: CASE_ACCEPT, Transition.NOT_ACCEPT: CASE_NOT_ACCEPT,
                Transition.START: CASE_START,
                Transition.REQUEST_SUPPLEMENT: CASE_REQUEST_SUPPLEMENT,
                Transition.SUPPLY: CASE_SUPPLY, Transition.DECIDE_APPROVE: CASE_DECIDE,
                Transition.WITHDRAW: CASE_WITHDRAW, Transition.TRANSFER: CASE_TRANSFER}


def _names() -> dict:
    """What the templates name things by: services, statuses (zh, en), departments."""
    services = catalogue.load()
    return {"services": {c: (s.name.zh, s.name.en) for c, s in services.items()},
            "service_list": sorted(services.values(), key=lambda s: s.code),
            "statuses": {s.value: words for s, words in rules.STATUS_WORDS.items()},
            "departments": sorted(departments())}


def _page(request: Request, name: str, status_code: int = 200, **context) -> Response:
    context.setdefault("error", None)
    context.setdefault("notice", None)
    return request.app.state.templates.TemplateResponse(request, f"cases/{name}",
                                                        {**_names(), **context}, status_code)


# --- lists -------------------------------------------------------------------------------------
@router.get("/me/cases")
def my_cases(request: Request, session: SessionDep, actor: ActorDep):
    return _page(request, "cases_mine.html", rows=stats.my_cases(session, actor))


def _query(**params) -> str:
    return urlencode({k: v for k, v in params.items() if v not in (None, "", 0)})


@router.get("/cases/queue")
def queue(request: Request, session: SessionDep, actor: ActorDep, status: str = "",
          service: str = "", warning: str = "", page: PageNo = 1):
    filters = {"status": status[:16], "service": service[:40], "warning": warning[:8]}
    try:
        rows = stats.queue(session, actor, status=filters["status"] or None,
                           service_code=filters["service"] or None,
                           warning=filters["warning"] or None, offset=(page - 1) * PAGE,
                           limit=PAGE)
    except ValidationError as error:
        return _page(request, "queue.html", 422, rows=[], filters=filters, page=page,
                     error=error, link=lambda p: "/cases/queue")
    return _page(request, "queue.html", rows=rows, filters=filters, page=page,
                 link=lambda p: "/cases/queue?" + _query(**filters, page=p))


@router.get("/cases/overdue")
def overdue(request: Request, session: SessionDep, actor: ActorDep, page: PageNo = 1):
    rows = stats.overdue(session, actor, offset=(page - 1) * PAGE, limit=PAGE)
    return _page(request, "supervisor.html", rows=rows, page=page,
                 counts=stats.counts(session, actor) if is_allowed(actor.role, "case.stats")
                 else [], link=lambda p: f"/cases/overdue?page={p}")


@router.get("/cases/counts")
def counts(request: Request, session: SessionDep, actor: ActorDep):
    return _page(request, "case_counts.html", counts=stats.counts(session, actor))


# --- one case ------------------------------------------------------------------------------------
def _steps(actor: Actor, case) -> list[str]:
    """The steps this viewer may take now: allowed by the state and by their role."""
    allowed = MACHINE.get(CaseStatus(case.status), {})
    steps = [t.value for t, action in STEP_ACTIONS.items()
             if t in allowed and is_allowed(actor.role, action)]
    if Transition.DECIDE_REJECT in allowed and is_allowed(actor.role, CASE_DECIDE):
        steps.append(Transition.DECIDE_REJECT.value)
    if actor.person_code != case.person_code and actor.role is not Role.WINDOW_CLERK:
        steps = [s for s in steps if s not in ("supply", "withdraw")]
    if department_code(actor.department) not in (None, case.department, case.provider_code):
        # a department approving in parallel decides its approval or asks for a supplement
        steps = [s for s in steps if s in ("approve", "reject", "request_supplement")]
    return steps


def _case_page(request: Request, session: Session, actor: Actor, case_id: int,
               error: AnjuError | None = None, notice: str | None = None) -> Response:
    case = cases.read_case(session, actor, case_id)
    return _page(request, "case.html", error.http_status if error else 200, case=case,
                 service=catalogue.load()[case.service_code], steps=_steps(actor, case),
                 error=error, notice=notice,
                 back="/me/cases" if actor.person_code == case.person_code else
                 "/window" if actor.role is Role.WINDOW_CLERK else "/cases/queue")


@router.get("/cases/{case_id}")
def case_page(case_id: RecordId, request: Request, session: SessionDep, actor: ActorDep,
              done: str = ""):
    notice = f"cases.done_{done}" if done in {
        "open", "accept", "not_accept", "start", "request_supplement", "supply", "decide",
        "withdraw", "transfer"} else None
    return _case_page(request, session, actor, case_id, notice=notice)


def _after(request: Request, session: Session, actor: Actor, case_id: int, step: str, call):
    def then(out) -> str:
        if step == "transfer" and out.department != actor.department:
            return "/cases/queue"  # no longer ours to see
        return f"/cases/{case_id}?done={step}"
    return submit(session, call, lambda e: _case_page(request, session, actor, case_id, error=e),
                  then)


@router.post("/cases/{case_id}/accept")
def accept(case_id: RecordId, request: Request, session: SessionDep, actor: ActorDep):
    return _after(request, session, actor, case_id, "accept",
                  lambda: cases.accept(session, actor, case_id))


@router.post("/cases/{case_id}/not-accept")
def not_accept(case_id: RecordId, request: Request, session: SessionDep, actor: ActorDep,
               reason: Text = ""):
    return _after(request, session, actor, case_id, "not_accept",
                  lambda: cases.not_accept(session, actor, case_id, reason[:500]))


@router.post("/cases/{case_id}/start")
def start(case_id: RecordId, request: Request, session: SessionDep, actor: ActorDep):
    return _after(request, session, actor, case_id, "start",
                  lambda: cases.start(session, actor, case_id))


@router.post("/cases/{case_id}/request-supplement")
def request_supplement(case_id: RecordId, request: Request, session: SessionDep,
                       actor: ActorDep, reason: Text = ""):
    return _after(request, session, actor, case_id, "request_supplement",
                  lambda: cases.request_supplement(session, actor, case_id, reason[:500]))


@router.post("/cases/{case_id}/supplement")
async def supplement(case_id: RecordId, request: Request, session: SessionDep,
                     actor: ActorDep):
    posted = await request.form()
    form = {k[5:]: str(v)[:500] for k, v in posted.items() if k.startswith("form.")}
    note = str(posted.get("note") or "")[:500]
    return _after(request, session, actor, case_id, "supply",
                  lambda: cases.supply(session, actor, case_id, form, note))


@router.post("/cases/{case_id}/decide")
def decide(case_id: RecordId, request: Request, session: SessionDep, actor: ActorDep,
           decision: Text = "", reason: Text = ""):
    return _after(request, session, actor, case_id, "decide",
                  lambda: cases.decide(session, actor, case_id, decision[:16], reason[:500]))


@router.post("/cases/{case_id}/withdraw")
def withdraw(case_id: RecordId, request: Request, session: SessionDep, actor: ActorDep,
             reason: Text = ""):
    return _after(request, session, actor, case_id, "withdraw",
                  lambda: cases.withdraw(session, actor, case_id, reason[:500]))


@router.post("/cases/{case_id}/transfer")
def transfer(case_id: RecordId, request: Request, session: SessionDep, actor: ActorDep,
             department: Text = "", reason: Text = ""):
    return _after(request, session, actor, case_id, "transfer",
                  lambda: cases.transfer(session, actor, case_id, department[:32], reason[:500]))


# --- the window ----------------------------------------------------------------------------------
def _window(request: Request, session: Session, actor: Actor, *, applicant=None,
            service_code: str = "", error: AnjuError | None = None) -> Response:
    person_rows = stats.person_cases(session, actor, applicant.person_code) if applicant else []
    service = catalogue.load().get(service_code) if service_code else None
    return _page(request, "window.html", error.http_status if error else 200,
                 applicant=applicant, person_rows=person_rows, chosen=service,
                 mine=stats.opened_by_me(session, actor, limit=20), error=error)


@router.get("/window")
def window(request: Request, session: SessionDep, actor: ActorDep, person: str = "",
           service: str = ""):
    return submit(session, lambda: cases.applicant(session, actor, person[:16]) if person else None,
                  lambda e: _window(request, session, actor, error=e),
                  lambda applicant: _window(request, session, actor, applicant=applicant,
                                            service_code=service[:40]))


@router.post("/window/find")
def window_find(request: Request, session: SessionDep, actor: ActorDep, id_number: Text = ""):
    return submit(session, lambda: cases.find_applicant(session, actor, id_number[:40]),
                  lambda e: _window(request, session, actor, error=e),
                  lambda applicant: _window(request, session, actor, applicant=applicant))


@router.post("/window/open")
async def window_open(request: Request, session: SessionDep, actor: ActorDep):
    posted = await request.form()
    person, service = str(posted.get("person_code") or "")[:16], str(posted.get("service") or "")

    def do():
        try:
            consent = ConsentIn(method=str(posted.get("consent_method") or ""),
                                reference=str(posted.get("consent_reference") or "")[:64] or None)
        except PydanticError:
            raise ValidationError("consent_method", "请选择申请人本人同意的方式",
                                  "choose how the applicant consented",
                                  field="consent_method") from None
        form = {k[5:]: str(v)[:500] for k, v in posted.items() if k.startswith("form.")}
        return cases.open_case(session, actor, CaseIn(service_code=service[:40],
                                                      person_code=person, form=form,
                                                      consent=consent))

    def redisplay(error: AnjuError) -> Response:
        try:
            applicant = cases.applicant(session, actor, person)
        except AnjuError:
            applicant = None
        return _window(request, session, actor, applicant=applicant, service_code=service[:40],
                       error=error)
    return submit(session, do, redisplay, lambda out: f"/cases/{out.case_id}?done=open")
