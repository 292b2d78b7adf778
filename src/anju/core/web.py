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

from anju.core import identity
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
