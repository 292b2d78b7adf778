"""Sign-in for API clients, who-am-I, the audit check, and account administration."""
from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel, Field

from anju.core import accounts, auditlog, identity
from anju.core.web import ActorDep, LocatorDep, SessionDep, client_address

router = APIRouter(prefix="/api/v1", tags=["auth"])


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"


class MeOut(BaseModel):
    username: str
    role: str
    division_code: str
    department: str | None
    person_code: str | None
    binding_pending: bool = Field(description="a resident/landlord account whose binding to a "
                                              "person waits for a police officer's confirmation")


@router.post("/auth/token", response_model=TokenOut)
def token(request: Request, session: SessionDep,
          form: Annotated[OAuth2PasswordRequestForm, Depends()]) -> TokenOut:
    account = identity.login(session, form.username, form.password, client_address(request))
    return TokenOut(access_token=identity.issue_token(account))


@router.get("/me", response_model=MeOut)
def me(actor: ActorDep) -> MeOut:
    return MeOut(username=actor.username, role=actor.role, division_code=actor.division_code,
                 department=actor.department, person_code=actor.person_code,
                 binding_pending=actor.binding_pending)


class MissingOut(BaseModel):
    partition: int
    first: int = Field(description="first entry a witness or recorded root had seen that is gone")
    last: int


class VerifyOut(BaseModel):
    ok: bool
    checked: int = Field(description="sealed entries checked")
    pending: int = Field(description="entries appended but not sealed yet (not tampering)")
    partitions: int
    roots_checked: int = Field(description="recorded Merkle roots that hold")
    bad_partition: int | None
    bad_seq: int | None
    missing: list[MissingOut]
    witness_seq: int | None = Field(description="the latest valid witness: entries it vouches for")
    witness_at: str | None
    witness_root: str | None
    problems: list[dict[str, str]] = Field(description="each problem in Chinese and English")
    message: str
    message_zh: str
    message_en: str


@router.get("/audit/verify", response_model=VerifyOut)
def audit_verify(session: SessionDep, actor: ActorDep) -> VerifyOut:
    result = auditlog.verify(session, actor)
    w = result.witness
    return VerifyOut(ok=result.ok, checked=result.checked, pending=result.pending,
                     partitions=result.partitions, roots_checked=result.roots,
                     bad_partition=result.bad_part, bad_seq=result.bad_seq,
                     missing=[MissingOut(partition=p, first=a, last=b)
                              for p, a, b in result.missing],
                     witness_seq=w.seq if w else None, witness_at=w.at if w else None,
                     witness_root=(w.root or None) if w else None,
                     problems=[{"message_zh": zh, "message_en": en} for zh, en in result.problems],
                     message=result.message(), message_zh=result.text("zh"),
                     message_en=result.text("en"))


class AccountIn(BaseModel):
    username: str = Field(min_length=2, max_length=64, pattern=r"^[A-Za-z0-9_.\-]+$")
    password: str = Field(min_length=8, max_length=128)
    role: str
    division: str | None = Field(None, max_length=12)
    department: str | None = Field(None, max_length=32)
    person_code: str | None = Field(None, max_length=16, description=(
        "residents and landlords: the person the account is for; the account is created "
        "unbound and a police officer whose jurisdiction reaches the person confirms it"))


class AccountOut(BaseModel):
    username: str
    role: str
    division_code: str
    department: str | None
    binding: Literal["bound", "pending", "refused", "none"] = Field(
        description="whether the account is bound to a person (the person code is not shown "
                    "to administrators)")
    active: bool


def _account_out(account) -> AccountOut:
    return AccountOut(username=account.username, role=account.role,
                      division_code=account.division_code, department=account.department,
                      binding=accounts.binding_of(account), active=account.active)


class PasswordIn(BaseModel):
    password: str = Field(min_length=8, max_length=128)


@router.get("/accounts", response_model=list[AccountOut])
def list_accounts(session: SessionDep, actor: ActorDep) -> list[AccountOut]:
    return [_account_out(a) for a in accounts.manage_list_accounts(session, actor)]


@router.post("/accounts", response_model=AccountOut, status_code=201)
def create_account(body: AccountIn, session: SessionDep, actor: ActorDep,
                   locate: LocatorDep) -> AccountOut:
    return _account_out(accounts.manage_create_account(session, actor, locate,
                                                       **body.model_dump()))


@router.post("/accounts/{username}/disable", response_model=AccountOut)
def disable_account(username: str, session: SessionDep, actor: ActorDep) -> AccountOut:
    return _account_out(accounts.manage_set_active(session, actor, username, False))


@router.post("/accounts/{username}/enable", response_model=AccountOut)
def enable_account(username: str, session: SessionDep, actor: ActorDep) -> AccountOut:
    return _account_out(accounts.manage_set_active(session, actor, username, True))


@router.post("/accounts/{username}/password", response_model=AccountOut)
def reset_password(username: str, body: PasswordIn, session: SessionDep,
                   actor: ActorDep) -> AccountOut:
    """Set a new password; every session and token of the account ends."""
    return _account_out(accounts.manage_reset_password(session, actor, username, body.password))


class BindingOut(BaseModel):
    username: str
    role: str
    person_code: str
    requested_by: str | None
    requested_at: datetime | None


def _binding_out(account) -> BindingOut:
    return BindingOut(username=account.username, role=account.role,
                      person_code=account.pending_person_code,
                      requested_by=account.binding_requested_by,
                      requested_at=account.binding_requested_at)


@router.get("/account-bindings", response_model=list[BindingOut])
def pending_bindings(session: SessionDep, actor: ActorDep) -> list[BindingOut]:
    """Police: accounts waiting to be bound to a person within the officer's jurisdiction."""
    return [_binding_out(a) for a in accounts.pending_bindings(session, actor)]


@router.post("/account-bindings/{username}/confirm", response_model=AccountOut)
def confirm_binding(username: str, session: SessionDep, actor: ActorDep,
                    locate: LocatorDep) -> AccountOut:
    return _account_out(accounts.decide_binding(session, actor, locate, username, True))


@router.post("/account-bindings/{username}/refuse", response_model=AccountOut)
def refuse_binding(username: str, session: SessionDep, actor: ActorDep,
                   locate: LocatorDep) -> AccountOut:
    return _account_out(accounts.decide_binding(session, actor, locate, username, False))


@router.get("/me/access-log", response_model=list[auditlog.AccessLogEntry])
def my_access_log(session: SessionDep, actor: ActorDep,
                  limit: Annotated[int, Query(ge=1, le=1000)] = 200):
    """Who accessed my data, when and why (refused attempts included)."""
    return auditlog.my_access_log(session, actor, limit)
