"""Sign-in for API clients and who-am-I."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel, Field

from anju.core import audit as audit_service
from anju.core import identity
from anju.core.web import ActorDep, SessionDep

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


@router.post("/auth/token", response_model=TokenOut)
def token(request: Request, session: SessionDep,
          form: Annotated[OAuth2PasswordRequestForm, Depends()]) -> TokenOut:
    client = request.client.host if request.client else "-"
    account = identity.login(session, form.username, form.password, client)
    return TokenOut(access_token=identity.issue_token(account))


@router.get("/me", response_model=MeOut)
def me(actor: ActorDep) -> MeOut:
    return MeOut(username=actor.username, role=actor.role, division_code=actor.division_code,
                 department=actor.department, person_code=actor.person_code)


class VerifyOut(BaseModel):
    ok: bool
    checked: int
    bad_seq: int | None
    message: str


@router.get("/audit/verify", response_model=VerifyOut)
def audit_verify(session: SessionDep, actor: ActorDep) -> VerifyOut:
    result = audit_service.verify(session, actor)
    return VerifyOut(ok=result.ok, checked=result.checked, bad_seq=result.bad_seq,
                     message=result.message())


class AccountIn(BaseModel):
    username: str = Field(min_length=2, max_length=64, pattern=r"^[A-Za-z0-9_.\-]+$")
    password: str = Field(min_length=8, max_length=128)
    role: str
    division: str | None = Field(None, max_length=12)
    department: str | None = Field(None, max_length=32)
    person_code: str | None = Field(None, max_length=16)


class AccountOut(BaseModel):
    username: str
    role: str
    division_code: str
    department: str | None
    person_code: str | None
    active: bool


def _account_out(account) -> AccountOut:
    return AccountOut(username=account.username, role=account.role,
                      division_code=account.division_code, department=account.department,
                      person_code=account.person_code, active=account.active)


@router.get("/accounts", response_model=list[AccountOut])
def list_accounts(session: SessionDep, actor: ActorDep) -> list[AccountOut]:
    return [_account_out(a) for a in identity.manage_list_accounts(session, actor)]


@router.post("/accounts", response_model=AccountOut, status_code=201)
def create_account(body: AccountIn, session: SessionDep, actor: ActorDep) -> AccountOut:
    return _account_out(identity.manage_create_account(session, actor, **body.model_dump()))


@router.post("/accounts/{username}/disable", response_model=AccountOut)
def disable_account(username: str, session: SessionDep, actor: ActorDep) -> AccountOut:
    return _account_out(identity.manage_set_active(session, actor, username, False))
