"""Account administration, and binding an account to a person with a second role's proof.

An administrator manages accounts but reaches no person. So an administrator cannot make an
account "be" someone: a resident or landlord account they create names a person code, but is
created unbound with a pending binding request. A police officer whose jurisdiction reaches
that person confirms (or refuses) it; until then the account sees no personal data. Request,
confirmation and refusal are audited under the person's code, so they show in that person's
"who accessed my data". (The server console, `anju user create --person-code`, binds directly:
see `anju.core.identity.create_account`.)

Where a person lives comes from the registry through a `PersonLocator` the caller hands in.
"""
from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from anju.core import identity
from anju.core.access import Access
from anju.core.audit import AuditEvent
from anju.core.db import utcnow
from anju.core.errors import Conflict, NotFound
from anju.core.identity import PersonLocator
from anju.core.models import Account, LoginFailure
from anju.core.permissions import ACCOUNT_ADMINISTRATION as PURPOSE
from anju.core.permissions import (
    ACCOUNT_BIND,
    ACCOUNT_MANAGE,
    BIND_CONFIRM,
    BIND_REFUSE,
    BIND_REQUEST,
)
from anju.core.permissions import ACCOUNT_BINDING as BINDING
from anju.core.policy import Actor


def _manage(session: Session, actor: Actor) -> Access:
    access = Access(session, actor)
    access.check(ACCOUNT_MANAGE, "账号")
    return access


def _account(session: Session, username: str) -> Account:
    account = session.execute(select(Account).where(Account.username == username)).scalar()
    if account is None:
        raise NotFound("not_found", "账号不存在", "account not found", field="username")
    return account


def binding_of(account: Account) -> str:
    """What an administrator may know of an account's person: bound, pending, refused or none
    (never the person code itself — showing it to them would be a read of that person)."""
    if account.person_code:
        return "bound"
    return account.binding_state or "none"


def manage_create_account(session: Session, actor: Actor, locate: PersonLocator, *,
                          username: str, password: str, role: str, division: str | None = None,
                          department: str | None = None, person_code: str | None = None,
                          display_name: str | None = None) -> Account:
    """An administrator creates an account; a person code becomes a binding request."""
    access = _manage(session, actor)
    account = identity.create_account(
        session, username=username, password=password, role=role, division=division,
        department=department, person_code=person_code, display_name=display_name,
        locate=locate, bind=False)
    access.record(AuditEvent(ACCOUNT_MANAGE, PURPOSE, None, "account", account.username,
                             {"op": "create", "role": account.role}))
    if person_code:
        account.binding_requested_by, account.binding_requested_at = actor.username, utcnow()
        access.record(AuditEvent(BIND_REQUEST, BINDING, person_code, "account", account.username))
    return account


def manage_list_accounts(session: Session, actor: Actor, limit: int = 500) -> list[Account]:
    _manage(session, actor)
    return list(session.execute(select(Account).order_by(Account.id).limit(limit)).scalars())


def manage_get_account(session: Session, actor: Actor, username: str) -> Account:
    _manage(session, actor)
    return _account(session, username)


def manage_set_active(session: Session, actor: Actor, username: str, active: bool) -> Account:
    """Disable or re-enable an account. Disabling signs it out everywhere at once; nobody can
    disable their own account (an installation must never lose its last administrator so)."""
    access = _manage(session, actor)
    account = _account(session, username)
    if not active and account.id == actor.account_id:
        raise Conflict("account_self", "不能停用自己的账号", "you cannot disable your own account",
                       field="username")
    account.active = active
    if not active:
        identity.end_all_sessions(session, account)
    access.record(AuditEvent(ACCOUNT_MANAGE, PURPOSE, account.person_code, "account",
                             account.username, {"op": "enable" if active else "disable"}))
    return account


def manage_reset_password(session: Session, actor: Actor, username: str,
                          password: str) -> Account:
    """Set a new password; every session and token of the account ends, and its failed-login
    count is cleared so the holder can sign in with the new one at once."""
    access = _manage(session, actor)
    account = _account(session, username)
    identity.check_password(password)
    account.password_hash = identity.hash_password(password)
    identity.end_all_sessions(session, account)
    session.execute(delete(LoginFailure).where(LoginFailure.username == account.username))
    access.record(AuditEvent(ACCOUNT_MANAGE, PURPOSE, account.person_code, "account",
                             account.username, {"op": "reset_password"}))
    return account


# --- the police officer's side of a binding ----------------------------------------------------
def binding_not_found() -> NotFound:
    return NotFound("not_found", "待确认的账号关联不存在", "no such binding request",
                    field="username")


def pending_bindings(session: Session, actor: Actor) -> list[Account]:
    """Binding requests for persons in the actor's jurisdiction, oldest first."""
    where = Access(session, actor).restrict(ACCOUNT_BIND, division_col=Account.pending_division_code)
    return list(session.execute(select(Account).where(where, Account.binding_state == "pending")
                                .order_by(Account.binding_requested_at, Account.id)).scalars())


def decide_binding(session: Session, actor: Actor, locate: PersonLocator, username: str,
                   confirm: bool) -> Account:
    """Confirm (bind) or refuse a pending request. The person must be within the actor's reach
    where they live now; otherwise the request looks missing, like any record out of reach."""
    access = Access(session, actor)
    access.scopes(ACCOUNT_BIND)
    account = session.execute(select(Account).where(
        Account.username == username, Account.binding_state == "pending")).scalar()
    if account is None or not account.pending_person_code:
        raise binding_not_found()
    code = account.pending_person_code
    access.check(ACCOUNT_BIND, "待确认的账号关联", division_code=locate(session, code),
                 person_codes=[code])
    detail = {"requested_by": account.binding_requested_by}
    if confirm:
        account.person_code, account.binding_state = code, None
    else:
        account.binding_state = "refused"
    account.pending_person_code = account.pending_division_code = None
    access.record(AuditEvent(BIND_CONFIRM if confirm else BIND_REFUSE, BINDING, code, "account",
                             account.username, detail))
    return account
