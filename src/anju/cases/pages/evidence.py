"""Cases pages (evidence): the public service guide (办事指南), the apply form made from the
catalogue's form fields, a case's evidence with its sources and the uploads asked for, and the
public check of an electronic residence permit. Routes parse, call one service function and
render; a refusal is shown on the page, in both languages, next to its field."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, Request, UploadFile
from fastapi.responses import FileResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from anju.cases import catalogue
from anju.cases.service import evidence, guide, permits
from anju.core import identity
from anju.core.errors import AnjuError, Forbidden
from anju.core.pages import submit
from anju.core.policy import Actor
from anju.core.types import RecordId
from anju.core.web import SESSION_COOKIE, ActorDep, SessionDep

router = APIRouter(include_in_schema=False)
MENU: dict[str, list[tuple[str, str]]] = {
    role: [("/services", "cases.menu.services")]
    for role in ("resident", "landlord", "window_clerk", "dept_officer", "dept_supervisor",
                 "service_provider")}
NOTICES = {"uploaded": "cases.evidence.uploaded", "opened": "cases.evidence.opened"}


def _page(request: Request, name: str, status_code: int = 200, **context) -> Response:
    context.setdefault("error", None)
    context["notices"] = [NOTICES[n] for n in request.query_params.getlist("notice")
                          if n in NOTICES]
    return request.app.state.templates.TemplateResponse(request, f"cases/{name}", context,
                                                        status_code)


def _signed_in(request: Request, session: Session) -> Actor | None:
    """The public pages show the signed-in person's menu (and an apply button) when there is
    one; nobody signed in is fine."""
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return None
    try:
        actor = identity.actor_of(identity.account_from_session(session, cookie))
    except AnjuError:
        return None
    request.state.actor = actor
    return actor


def _applicant(actor: ActorDep) -> Actor:
    if not actor.person_code:
        raise Forbidden("not_a_person", "该页面仅供居民和房东使用",
                        "this page is for residents and landlords")
    return actor


ApplicantDep = Annotated[Actor, Depends(_applicant)]


# --- the public guide ------------------------------------------------------------------------
@router.get("/services")
def services(request: Request, session: SessionDep):
    _signed_in(request, session)
    return _page(request, "guide_list.html", services=guide.public_services())


@router.get("/services/{code}")
def service_guide(code: str, request: Request, session: SessionDep):
    actor = _signed_in(request, session)
    service = guide.public_service(code)
    may_apply = actor is not None and actor.person_code is not None
    return _page(request, "guide.html", service=service, may_apply=may_apply,
                 apply_from=catalogue.load()[code].apply_from,
                 signed_in=actor is not None)


# --- applying ------------------------------------------------------------------------------
def _apply_page(request: Request, session: Session, code: str, actor: Actor,
                error: AnjuError | None = None, form: dict | None = None) -> Response:
    service = guide.public_service(code)
    entry = catalogue.load()[code]
    if entry.apply_from:  # opened where the thing appealed is picked, never by typing its number
        return RedirectResponse(entry.apply_from, status_code=303)
    allowed = actor.role.value in entry.applicants
    found = evidence.preview(session, actor, entry, form) if allowed else []
    return _page(request, "apply.html", error.http_status if error else 200, service=service,
                 error=error, form=form or {}, allowed=allowed, found=found)


@router.get("/services/{code}/apply")
def apply_form(code: str, request: Request, session: SessionDep, actor: ApplicantDep):
    return _apply_page(request, session, code, actor)


@router.post("/services/{code}/apply")
async def apply(code: str, request: Request, session: SessionDep, actor: ApplicantDep):
    service = guide.public_service(code)
    if apply_from := catalogue.load()[code].apply_from:
        return RedirectResponse(apply_from, status_code=303)
    posted = await request.form()
    form = {f.name: str(posted.get(f.name, "")).strip() or None for f in service.form}

    def redisplay(error: AnjuError) -> Response:
        if error.field and error.field.startswith("form."):
            error.field = error.field[len("form."):]  # the page's inputs are named plainly
        return _apply_page(request, session, code, actor, error, form)
    return submit(session, lambda: _open(session, actor, code, form), redisplay,
                  lambda case_id: f"/me/cases/{case_id}/evidence?notice=opened")


def _open(session: Session, actor: Actor, code: str, form: dict) -> int:
    # opening a case is the cases core's use case (cases.service.cases), which calls
    # evidence.collect; the page only hands it the form
    from anju.cases.service import cases, shapes

    return cases.open_case(session, actor, shapes.CaseIn(service_code=code, form=form)).case_id


# --- a case's evidence ---------------------------------------------------------------------
def _evidence_page(request: Request, session: Session, actor: Actor, case_id: int,
                   error: AnjuError | None = None) -> Response:
    items = evidence.case_evidence(session, actor, case_id)
    pulled = sum(1 for i in items if i.obtained_on and not i.supplied_by_applicant)
    share = f"{pulled / len(items):.0%}" if items else "—"
    return _page(request, "my_case_evidence.html", error.http_status if error else 200,
                 case_id=case_id, items=items, error=error, share=share,
                 needed=[i for i in items if i.needed])


@router.get("/me/cases/{case_id}/evidence")
def my_case_evidence(case_id: RecordId, request: Request, session: SessionDep,
                     actor: ActorDep):
    return _evidence_page(request, session, actor, case_id)


@router.post("/me/cases/{case_id}/evidence/{item}")
def upload(case_id: RecordId, item: str, request: Request, session: SessionDep,
           actor: ActorDep, file: Annotated[UploadFile, File()]):
    def redisplay(error: AnjuError) -> Response:
        if error.http_status == 404:
            raise error
        return _evidence_page(request, session, actor, case_id, error)
    return submit(session, lambda: evidence.supply(session, actor, case_id, item, file.filename,
                                                   file.file.read(evidence.MAX_UPLOAD + 1)),
                  redisplay, f"/me/cases/{case_id}/evidence?notice=uploaded")


@router.get("/cases/{case_id}/evidence/{item}/document")
def evidence_document(case_id: RecordId, item: str, session: SessionDep, actor: ActorDep):
    path, name, media = evidence.document(session, actor, case_id, item)
    return FileResponse(path, media_type=media, filename=name,
                        headers={"X-Content-Type-Options": "nosniff"})


# --- the public check of an electronic permit -------------------------------------------------
@router.get("/verify")
def verify(request: Request, session: SessionDep, payload: str | None = None):
    """A QR scanner may open this page with the code's text; anyone may paste it here."""
    _signed_in(request, session)
    result = permits.verify(session, payload) if payload else None
    return _page(request, "verify.html", result=result, payload=payload or "")
