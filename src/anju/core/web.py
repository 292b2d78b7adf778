"""What every route shares: the database, the acting identity, and bilingual error answers.

Routes declare `session: SessionDep, actor: ActorDep` and call one service function. The actor
comes from a bearer token (programs) or the session cookie (browsers); there is no other way
in. A cookie alone never changes anything: a state-changing request signed in by the cookie
also carries the CSRF token — the pages' form field (checked by `anju.web.pages`) or, for the
JSON API, the `X-CSRF-Token` header (pages expose the token in `<meta name="csrf-token">`).
"""
from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.security import OAuth2PasswordBearer
from itsdangerous import Signer
from sqlalchemy.orm import Session

from anju.core import identity
from anju.core.config import Settings, get_settings
from anju.core.db import Database
from anju.core.errors import AnjuError, Forbidden
from anju.core.identity import AuthError, PersonLocator
from anju.core.policy import Actor

oauth2 = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)

SESSION_COOKIE = "anju_session"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def get_db(request: Request) -> Database:
    return request.app.state.db


def get_session(request: Request):
    with get_db(request).unit_of_work() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


def csrf_token_for(basis: str | None) -> str:
    """The CSRF token of a session: HMAC of its cookie (or the pre-session cookie) under the
    secret key. Pages put it in their forms and in a <meta> tag; scripts send it as a header."""
    if not basis:
        return ""
    return Signer(get_settings().secret_key, salt="csrf").get_signature(basis).decode()


def csrf_matches(sent: str | None, basis: str | None) -> bool:
    expected = csrf_token_for(basis)
    return bool(expected) and hmac.compare_digest(str(sent or ""), expected)


def csrf_refused() -> Forbidden:
    return Forbidden("csrf_failed", "请求来源无法确认：用登录 Cookie 调用接口须附带 X-CSRF-Token "
                     "请求头（或改用令牌），页面请刷新后重试",
                     "the request's origin is not confirmed: a request signed in by the session "
                     "cookie needs the X-CSRF-Token header (or use a bearer token); on a page, "
                     "reload and retry")


def client_address(request: Request) -> str:
    """The client's address. Forwarded headers are believed only from the proxies in
    ANJU_TRUSTED_PROXIES: the server (uvicorn, see `server_options`) rewrites the
    address for those and ignores the headers from anyone else."""
    return request.client.host if request.client else "-"


def server_options(settings: Settings) -> dict:
    """How uvicorn must run the app (`anju serve`, `anju demo`, the live-server tests): believe
    X-Forwarded-For/-Proto only from ANJU_TRUSTED_PROXIES. uvicorn's own default would believe
    them from 127.0.0.1, so any local client could pick its address and dodge login throttling."""
    proxies = settings.trusted_proxies
    return {"proxy_headers": bool(proxies), "forwarded_allow_ips": proxies or ""}


def get_actor(request: Request, session: SessionDep,
              bearer: Annotated[str | None, Depends(oauth2)]) -> Actor:
    if bearer:
        settings = request.app.state.settings
        account = identity.account_from_token(session, bearer, max_age=settings.token_ttl_seconds)
    else:
        cookie = request.cookies.get(SESSION_COOKIE)
        if not cookie:
            raise AuthError("not_authenticated", "请先登录", "authentication required")
        account = identity.account_from_session(session, cookie)
        # A page's form token was checked (and noted) by the page layer; anything else that
        # changes state with only the cookie must show the token in the header.
        if request.method not in SAFE_METHODS and not getattr(request.state, "csrf_ok", False) \
                and not csrf_matches(request.headers.get(CSRF_HEADER), cookie):
            raise csrf_refused()
    actor = identity.actor_of(account)
    request.state.actor = actor
    return actor


ActorDep = Annotated[Actor, Depends(get_actor)]


def _nobody(session: Session, person_code: str) -> str | None:
    return None


def get_person_locator(request: Request) -> PersonLocator:
    """Where a person lives, as the registry says (wired by the app: core cannot import it)."""
    return getattr(request.app.state, "locate_person", _nobody)


LocatorDep = Annotated[PersonLocator, Depends(get_person_locator)]

def status_of(error: AnjuError) -> int:
    return getattr(error, "http_status", 400)


def error_body(error: AnjuError) -> dict:
    return {"error": {"code": error.code, "field": error.field, "message_zh": error.message_zh,
                      "message_en": error.message_en}}


# Pydantic's error types, said in Chinese too.
_ZH = {
    "missing": "必填项缺失", "string_too_short": "内容太短", "string_too_long": "内容太长",
    "date_from_datetime_parsing": "日期格式应为 YYYY-MM-DD", "date_parsing": "日期格式应为 YYYY-MM-DD",
    "date_type": "日期格式应为 YYYY-MM-DD", "int_parsing": "应为整数", "int_type": "应为整数",
    "enum": "取值不在允许范围内", "greater_than_equal": "数值太小", "less_than_equal": "数值太大",
    "json_invalid": "JSON 格式错误", "model_attributes_type": "请求体应为 JSON 对象",
    "too_short": "条目太少", "too_long": "条目太多", "string_type": "应为文本",
}


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(AnjuError)
    async def _anju_error(request: Request, error: AnjuError):
        status = status_of(error)
        headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
        return JSONResponse(error_body(error), status_code=status, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, error: RequestValidationError):
        fields = []
        for item in error.errors():
            loc = [str(p) for p in item.get("loc", ()) if p not in ("body", "query", "path")]
            fields.append({"field": ".".join(loc) or None, "code": item.get("type"),
                           "message_en": item.get("msg"),
                           "message_zh": _ZH.get(item.get("type", ""), "输入不符合要求")})
        first = fields[0] if fields else {"field": None, "message_zh": "输入不符合要求",
                                          "message_en": "invalid input"}
        body = {"error": {"code": "invalid_input", "field": first["field"],
                          "message_zh": f"{first['field'] or '输入'}：{first['message_zh']}",
                          "message_en": f"{first['field'] or 'input'}: {first['message_en']}",
                          "fields": fields}}
        return JSONResponse(body, status_code=422)
