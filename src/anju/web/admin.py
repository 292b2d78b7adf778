"""Account pages: the administrator's account desk and the police officer's binding review.

Every change is one service call (anju.core.accounts), confirmed on the page afterwards; the
ones that are hard to undo (disabling an account, binding an account to a person) first show
what will happen and ask. Jurisdictions and departments are picked by name.
"""
from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi import Path as PathParam
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from anju.core import accounts, divisions
from anju.core.config import get_settings
from anju.core.errors import AnjuError
from anju.core.models import Account
from anju.core.policy import ACCOUNT_ROLES, Actor, department_code, departments
from anju.core.web import ActorDep, LocatorDep, SessionDep
from anju.web import i18n
from anju.web.pages import account_notice, lang, render

router = APIRouter(include_in_schema=False)
Text = Annotated[str, Form()]
Username = Annotated[str, PathParam(min_length=1, max_length=64)]


def _done(path: str, notice: str, username: str) -> RedirectResponse:
    return RedirectResponse(f"{path}?{urlencode({'done': notice, 'u': username})}",
                            status_code=303)


# --- choices by name -------------------------------------------------------------------------
def _jurisdictions() -> list[dict]:
    """The county, then each township with its villages/communities: [{code, name, places}]."""
    county = divisions.get(divisions.canonical(get_settings().county_code))
    if county is None:
        return []
    groups = [{"code": county.code, "name": county.name, "places": []}]
    for township in divisions.children(county.code):
        groups.append({"code": township.code, "name": township.name,
                       "places": [(v.code, v.name) for v in divisions.children(township.code)]})
    return groups


def _departments(request: Request) -> list[tuple[str, str]]:
    return [(code, i18n.t(f"dept.{code}", lang(request))) for code in departments()]


def _roles(request: Request) -> list[tuple[str, str]]:
    return [(role.value, i18n.t(f"role.{role.value}", lang(request))) for role in ACCOUNT_ROLES]


def _accounts_page(request: Request, session: Session, actor: Actor, status_code: int = 200,
                   error: AnjuError | None = None, form: dict | None = None) -> Response:
    return render(request, "accounts.html", status_code,
                  accounts=accounts.manage_list_accounts(session, actor), error=error,
                  form=form or {}, roles=_roles(request), departments=_departments(request),
                  jurisdictions=_jurisdictions(), notice=account_notice(request),
                  binding_of=accounts.binding_of, department_code=department_code)


# --- the administrator's desk ------------------------------------------------------------------
@router.get("/admin/accounts")
def accounts_page(request: Request, session: SessionDep, actor: ActorDep):
    return _accounts_page(request, session, actor)


@router.post("/admin/accounts")
def accounts_create(request: Request, session: SessionDep, actor: ActorDep, locate: LocatorDep,
                    username: Text = "", password: Text = "", role: Text = "",
                    division: Text = "", department: Text = "", person_code: Text = ""):
    form = {"username": username, "role": role, "division": division, "department": department,
            "person_code": person_code}
    try:
        with session.begin_nested():
            account = accounts.manage_create_account(
                session, actor, locate, username=username.strip(), password=password, role=role,
                division=division.strip() or None, department=department.strip() or None,
                person_code=person_code.strip().upper() or None)
    except AnjuError as error:
        return _accounts_page(request, session, actor, error.http_status, error, form)
    notice = "created_pending" if account.binding_state == "pending" else "created"
    return _done("/admin/accounts", notice, account.username)


def _account_page(request: Request, session: Session, actor: Actor, username: str,
                  status_code: int = 200, error: AnjuError | None = None,
                  confirm: str | None = None) -> Response:
    account = accounts.manage_get_account(session, actor, username)
    return render(request, "account.html", status_code, account=account, error=error,
                  binding=accounts.binding_of(account), notice=account_notice(request),
                  confirm=confirm, is_self=account.id == actor.account_id,
                  department_code=department_code)


@router.get("/admin/accounts/{username}")
def account_page(username: Username, request: Request, session: SessionDep, actor: ActorDep):
    return _account_page(request, session, actor, username)


@router.get("/admin/accounts/{username}/disable")
def account_disable_confirm(username: Username, request: Request, session: SessionDep,
                            actor: ActorDep):
    return _account_page(request, session, actor, username, confirm="disable")


@router.post("/admin/accounts/{username}/disable")
def account_disable(username: Username, request: Request, session: SessionDep, actor: ActorDep,
                    confirm: Text = ""):
    if confirm != "yes":  # only the confirmation step's form says yes
        return _account_page(request, session, actor, username, confirm="disable")
    try:
        with session.begin_nested():
            accounts.manage_set_active(session, actor, username, False)
    except AnjuError as error:
        return _account_page(request, session, actor, username, error.http_status, error)
    return _done(f"/admin/accounts/{username}", "disabled", username)


@router.post("/admin/accounts/{username}/enable")
def account_enable(username: Username, request: Request, session: SessionDep, actor: ActorDep):
    accounts.manage_set_active(session, actor, username, True)
    return _done(f"/admin/accounts/{username}", "enabled", username)


@router.post("/admin/accounts/{username}/password")
def account_password(username: Username, request: Request, session: SessionDep,
                     actor: ActorDep, password: Text = ""):
    try:
        with session.begin_nested():
            accounts.manage_reset_password(session, actor, username, password)
    except AnjuError as error:
        return _account_page(request, session, actor, username, error.http_status, error)
    return _done(f"/admin/accounts/{username}", "password", username)


# --- the police officer's review of a binding request ------------------------------------------
def _pending(session: Session, actor: Actor, username: str) -> Account:
    for account in accounts.pending_bindings(session, actor):
        if account.username == username:
            return account
    raise accounts.binding_not_found()


@router.get("/police/bindings/{username}")
def binding_page(username: Username, request: Request, session: SessionDep, actor: ActorDep):
    return render(request, "binding.html", account=_pending(session, actor, username),
                  error=None)


@router.post("/police/bindings/{username}/confirm")
def binding_confirm(username: Username, session: SessionDep, actor: ActorDep,
                    locate: LocatorDep):
    accounts.decide_binding(session, actor, locate, username, True)
    return _done("/", "bound", username)


@router.post("/police/bindings/{username}/refuse")
def binding_refuse(username: Username, session: SessionDep, actor: ActorDep,
                   locate: LocatorDep):
    accounts.decide_binding(session, actor, locate, username, False)
    return _done("/", "refused", username)
