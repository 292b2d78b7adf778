"""Cases pages (notices, ratings, participation): the inbox with the notice preference; rating a
decided case; the department's rectifications and satisfaction; suggestions (send, answer,
publish) and the published answers (public); the admin's service providers. Each route calls
one service function and renders; words are `t("cases.<key>")` (anju.cases.words.notices)."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from anju.cases import catalogue
from anju.cases.rules import RATING_WORDS
from anju.cases.service import notices, participation, ratings
from anju.core.errors import AnjuError
from anju.core.pages import submit
from anju.core.policy import Actor, Role
from anju.core.types import RecordId
from anju.core.web import ActorDep, SessionDep

router = APIRouter(include_in_schema=False)
Text = Annotated[str, Form()]
PAGE = 20
_OFFICERS = [("/inbox", "cases.menu_inbox"), ("/rectifications", "cases.menu_rectifications"),
             ("/suggestions", "cases.menu_suggestions_desk")]
MENU: dict[str, list[tuple[str, str]]] = {
    "resident": [("/inbox", "cases.menu_inbox"), ("/suggestions", "cases.menu_suggestions")],
    "landlord": [("/inbox", "cases.menu_inbox"), ("/suggestions", "cases.menu_suggestions")],
    "dept_officer": _OFFICERS,
    "dept_supervisor": [*_OFFICERS, ("/satisfaction", "cases.menu_satisfaction")],
    "analyst": [("/satisfaction", "cases.menu_satisfaction")],
    "service_provider": [("/inbox", "cases.menu_inbox")],
    "admin": [("/admin/providers", "cases.menu_providers")],
}
PERSONS = (Role.RESIDENT, Role.LANDLORD)


def _page(request: Request, name: str, status_code: int = 200, **context) -> Response:
    context.setdefault("error", None)
    context.setdefault("done", request.query_params.get("done"))
    context["departments"] = notices.DEPARTMENTS
    context["rating_words"] = RATING_WORDS
    context["services"] = {code: (s.name.zh, s.name.en) for code, s in catalogue.load().items()}
    return request.app.state.templates.TemplateResponse(request, f"cases/{name}", context,
                                                        status_code)


def _done(path: str, done: str) -> str:
    return f"{path}?done={done}"


# --- the inbox -------------------------------------------------------------------------------
def _inbox(request: Request, session: Session, actor: Actor, page: int = 1, unread: bool = False,
           error: AnjuError | None = None) -> Response:
    page = max(page, 1)
    rows = notices.inbox(session, actor, unread=unread, offset=(page - 1) * PAGE, limit=PAGE)
    preference = notices.preference(session, actor) if actor.role in PERSONS else None
    return _page(request, "inbox.html", error.http_status if error else 200, rows=rows,
                 page=page, pages=max(1, -(-rows.total // PAGE)), unread=unread,
                 preference=preference, error=error)


@router.get("/inbox")
def inbox(request: Request, session: SessionDep, actor: ActorDep,
          page: Annotated[int, Query(ge=1, le=100_000)] = 1, unread: bool = False):
    return _inbox(request, session, actor, page, unread)


@router.post("/inbox/{notice_id}/read")
def read(notice_id: RecordId, request: Request, session: SessionDep, actor: ActorDep):
    return submit(session, lambda: notices.mark_read(session, actor, notice_id),
                  lambda e: _inbox(request, session, actor, error=e),
                  _done("/inbox", "read"))


@router.post("/inbox/read-all")
def read_all(request: Request, session: SessionDep, actor: ActorDep):
    notices.mark_all_read(session, actor)
    return RedirectResponse(_done("/inbox", "read"), status_code=303)


@router.post("/inbox/preferences")
def preferences(request: Request, session: SessionDep, actor: ActorDep,
                non_essential: Text = ""):
    return submit(session, lambda: notices.set_preference(session, actor,
                                                          non_essential == "on"),
                  lambda e: _inbox(request, session, actor, error=e),
                  _done("/inbox", "preferences"))


# --- rating a decided case -------------------------------------------------------------------
@router.get("/me/cases/{case_id}/rate")
def rate_form(case_id: RecordId, request: Request, session: SessionDep, actor: ActorDep):
    return _page(request, "rate.html", case_id=case_id,
                 rating=ratings.rating_of(session, actor, case_id))


@router.post("/me/cases/{case_id}/rate")
def rate(case_id: RecordId, request: Request, session: SessionDep, actor: ActorDep,
         score: Text = "", comment: Text = ""):
    return submit(session, lambda: ratings.rate(session, actor, case_id,
                                               int(score) if score.isdigit() else 0, comment),
                  lambda e: _page(request, "rate.html", e.http_status, case_id=case_id, rating=None,
                                    error=e),
                  _done(f"/me/cases/{case_id}/rate", "rated"))


# --- rectifications and satisfaction (officers, supervisors) ---------------------------------
def _desk(request: Request, session: Session, actor: Actor,
          error: AnjuError | None = None) -> Response:
    supervisor = actor.role is Role.DEPT_SUPERVISOR
    return _page(request, "rate_desk.html", error.http_status if error else 200,
                 rows=ratings.list_rectifications(session, actor), supervisor=supervisor,
                 satisfaction={by: ratings.satisfaction(session, actor, by)
                               for by in ("service", "window")} if supervisor else None,
                 error=error)


@router.get("/rectifications")
def rectifications(request: Request, session: SessionDep, actor: ActorDep):
    return _desk(request, session, actor)


@router.post("/rectifications/{rect_id}/answer")
def answer_rectification(rect_id: RecordId, request: Request, session: SessionDep,
                         actor: ActorDep, answer: Text = ""):
    return submit(session, lambda: ratings.answer_rectification(session, actor, rect_id, answer),
                  lambda e: _desk(request, session, actor, e),
                  _done("/rectifications", "answered"))


@router.post("/rectifications/{rect_id}/follow-up")
def follow_up(rect_id: RecordId, request: Request, session: SessionDep, actor: ActorDep,
              accepted: Text = "", note: Text = ""):
    return submit(session, lambda: ratings.follow_up(session, actor, rect_id, accepted == "yes",
                                                    note),
                  lambda e: _desk(request, session, actor, e),
                  _done("/rectifications", "followed"))


@router.get("/satisfaction")
def satisfaction(request: Request, session: SessionDep, actor: ActorDep):
    """Satisfaction per service, department and window, computed from the ratings."""
    return _page(request, "rate_satisfaction.html",
                 tables={by: ratings.satisfaction(session, actor, by)
                         for by in ("department", "service", "window")})


# --- suggestions -----------------------------------------------------------------------------
def _suggestions(request: Request, session: Session, actor: Actor,
                 error: AnjuError | None = None) -> Response:
    rows = participation.list_suggestions(session, actor)
    name = "suggest.html" if actor.role in PERSONS else "suggest_desk.html"
    return _page(request, name, error.http_status if error else 200, rows=rows, error=error)


@router.get("/suggestions")
def suggestions(request: Request, session: SessionDep, actor: ActorDep):
    return _suggestions(request, session, actor)


@router.post("/suggestions")
def suggest(request: Request, session: SessionDep, actor: ActorDep, kind: Text = "",
            department: Text = "", subject: Text = "", body: Text = ""):
    return submit(session, lambda: participation.submit_suggestion(
                      session, actor, kind=kind, department=department, subject=subject,
                      body=body),
                  lambda e: _suggestions(request, session, actor, e),
                  _done("/suggestions", "sent"))


@router.post("/suggestions/{suggestion_id}/answer")
def answer_suggestion(suggestion_id: RecordId, request: Request, session: SessionDep,
                      actor: ActorDep, answer: Text = ""):
    return submit(session, lambda: participation.answer_suggestion(session, actor, suggestion_id,
                                                                  answer),
                  lambda e: _suggestions(request, session, actor, e),
                  _done("/suggestions", "answered"))


@router.post("/suggestions/{suggestion_id}/publish")
def publish_suggestion(suggestion_id: RecordId, request: Request, session: SessionDep,
                       actor: ActorDep, text: Text = ""):
    return submit(session, lambda: participation.publish_suggestion(session, actor, suggestion_id,
                                                                   text),
                  lambda e: _suggestions(request, session, actor, e),
                  _done("/suggestions", "published"))


@router.get("/suggestions/published")
def published(request: Request, session: SessionDep):
    """Public: the answers the departments published, naming no one."""
    return _page(request, "suggest_public.html", rows=participation.published_suggestions(session))


# --- service providers (the admin) -----------------------------------------------------------
def _providers(request: Request, session: Session, actor: Actor,
               error: AnjuError | None = None) -> Response:
    return _page(request, "provider.html", error.http_status if error else 200,
                 rows=participation.list_providers(session, actor),
                 kinds=participation.PROVIDER_KINDS, error=error)


@router.get("/admin/providers")
def providers(request: Request, session: SessionDep, actor: ActorDep):
    return _providers(request, session, actor)


@router.post("/admin/providers")
def register_provider(request: Request, session: SessionDep, actor: ActorDep, code: Text = "",
                      name: Text = "", kind: Text = "", division_code: Text = ""):
    return submit(session, lambda: participation.register_provider(
                      session, actor, code=code, name=name, kind=kind,
                      division_code=division_code),
                  lambda e: _providers(request, session, actor, e),
                  _done("/admin/providers", "registered"))


@router.post("/admin/providers/{code}/active")
def provider_active(code: str, request: Request, session: SessionDep, actor: ActorDep,
                    active: Text = ""):
    return submit(session, lambda: participation.set_provider_active(session, actor, code[:32],
                                                                    active == "yes"),
                  lambda e: _providers(request, session, actor, e),
                  _done("/admin/providers", "changed"))


@router.post("/admin/providers/{code}/account")
def provider_account(code: str, request: Request, session: SessionDep, actor: ActorDep,
                     username: Text = "", password: Text = ""):
    return submit(session, lambda: participation.create_provider_account(
                      session, actor, code[:32], username, password),
                  lambda e: _providers(request, session, actor, e),
                  _done("/admin/providers", "account"))


@router.post("/cases/{case_id}/assign-provider")
def assign(case_id: RecordId, request: Request, session: SessionDep, actor: ActorDep,
           provider_code: Text = ""):
    """The case page's "assign to a provider" form (an officer of the case's department)."""
    participation.assign_to_provider(session, actor, case_id, provider_code)
    return RedirectResponse(f"/cases/{case_id}?done=assigned", status_code=303)
