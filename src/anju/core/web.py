"""What every route shares: the database, the acting identity, and bilingual error answers.

Routes declare `session: SessionDep, actor: ActorDep` and call one service function. The actor
comes from a bearer token (API) or the signed session cookie (pages); there is no other way in.
"""
from __future__ import annotations

from typing import Annotated

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy.orm import Session

from anju.core import identity, inputs
from anju.core.db import Database
from anju.core.errors import AnjuError
from anju.core.identity import AuthError
from anju.core.policy import Actor

oauth2 = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)

SESSION_COOKIE = "anju_session"


def get_db(request: Request) -> Database:
    return request.app.state.db


def get_session(request: Request):
    with get_db(request).unit_of_work() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


def _token_from_request(request: Request, bearer: str | None) -> tuple[str | None, str]:
    if bearer:
        return bearer, "api-token"
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        return cookie, "ui-session"
    return None, ""


def get_actor(request: Request, session: SessionDep,
              bearer: Annotated[str | None, Depends(oauth2)]) -> Actor:
    token, salt = _token_from_request(request, bearer)
    if not token:
        raise AuthError("not_authenticated", "请先登录", "authentication required")
    settings = request.app.state.settings
    max_age = settings.token_ttl_seconds if salt == "api-token" else settings.session_ttl_seconds
    account = identity.account_from_token(session, token, salt=salt, max_age=max_age)
    actor = identity.actor_of(account)
    request.state.actor = actor
    return actor


ActorDep = Annotated[Actor, Depends(get_actor)]

def status_of(error: AnjuError) -> int:
    return getattr(error, "http_status", 400)


def error_body(error: AnjuError) -> dict:
    return {"error": {"code": error.code, "field": error.field, "message_zh": error.message_zh,
                      "message_en": error.message_en}}


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(AnjuError)
    async def _anju_error(request: Request, error: AnjuError):
        status = status_of(error)
        headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
        return JSONResponse(error_body(error), status_code=status, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, error: RequestValidationError):
        # Every pydantic complaint in both languages, each field named by its label.
        explained = inputs.explain(error.errors())
        body = error_body(explained)
        body["error"]["fields"] = explained.fields
        return JSONResponse(body, status_code=422)
