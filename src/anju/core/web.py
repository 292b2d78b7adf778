"""What every route shares: the database, the acting identity, and bilingual error answers.

Routes declare `session: SessionDep, actor: ActorDep` and call one service function. The actor
comes from a bearer token (programs) or the session cookie (browsers); there is no other way
in. A cookie alone never changes anything: a state-changing request signed in by the cookie
also carries the CSRF token — the pages' form field (checked by `anju.web.pages`) or, for the
JSON API, the `X-CSRF-Token` header (pages expose the token in `<meta name="csrf-token">`).
"""
from __future__ import annotations

import asyncio
import contextvars
import hmac
import logging
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Annotated, TypeVar

import anyio
import anyio.to_thread
from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.security import OAuth2PasswordBearer
from itsdangerous import Signer
from pydantic import BaseModel, Field, TypeAdapter
from sqlalchemy import exc as sa_exc
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException as StarletteHTTPException

from anju.core import identity, inputs
from anju.core.config import Settings, get_settings
from anju.core.db import Database, left_to_commit
from anju.core.errors import AnjuError, Forbidden, Unavailable, ValidationError
from anju.core.identity import AuthError, PersonLocator
from anju.core.policy import Actor

T = TypeVar("T")
oauth2 = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)

SESSION_COOKIE = "anju_session"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def get_db(request: Request) -> Database:
    return request.app.state.db


def open_unit(db: Database):
    """A request's unit of work, opened: it touches no database yet (the session connects on
    its first statement), so it opens on the event loop."""
    unit = db.unit_of_work()
    return unit, unit.__enter__()


async def close_unit(unit, session: Session, error: BaseException | None = None) -> None:
    """End a unit opened by `open_unit`: roll back and write the noted refusals after `error`,
    else commit what is still open; a session the route committed already (`committed`) is
    only closed, on the loop (that does no I/O). The end gets a thread outside the bounded
    request pool (as FastAPI does for a sync dependency), so requests holding every pool thread
    cannot keep finished ones from committing."""
    if error is not None:
        await anyio.to_thread.run_sync(unit.__exit__, type(error), error, error.__traceback__,
                                       limiter=anyio.CapacityLimiter(1))
    elif left_to_commit(session):
        await anyio.to_thread.run_sync(unit.__exit__, None, None, None,
                                       limiter=anyio.CapacityLimiter(1))
    else:
        unit.__exit__(None, None, None)  # nothing left to commit: no I/O


async def get_session(request: Request):
    """The request's unit of work: opened on the event loop, its end (commit or rollback) in
    the thread pool — one hop there per request instead of two."""
    unit, session = open_unit(get_db(request))
    try:
        yield session
    except Exception as error:
        await close_unit(unit, session, error)
        raise
    await close_unit(unit, session)


SessionDep = Annotated[Session, Depends(get_session)]


_pool: ThreadPoolExecutor | None = None


async def in_thread(call: Callable[[], T]) -> T:
    """Run `call` in the request thread pool (`worker_threads` threads) with the caller's
    context variables: asyncio's own hand-off, a third of the Python work of anyio's (its
    limiter, cancel scopes and run-variables cost as much as a lookup's SQL)."""
    global _pool
    if _pool is None:
        _pool = ThreadPoolExecutor(get_settings().worker_threads, thread_name_prefix="anju-req")
    context = contextvars.copy_context()
    return await asyncio.get_running_loop().run_in_executor(_pool, context.run, call)


async def committed(session: Session, call: Callable[[], object], *, status_code: int = 200,
                    headers: dict[str, str] | None = None, adapter: TypeAdapter | None = None,
                    read: bool = False) -> Response:
    """The hot routes' way to answer: run the service call, commit and serialise the model it
    returns in ONE thread-pool hop, and answer its JSON as it is. FastAPI would take three hops
    (the endpoint, validating the returned model again against the response model, the commit)
    for the same bytes. The route still declares its `response_model` (the OpenAPI schema); the
    JSON leaves out None fields as `response_model_exclude_none` does. `headers` may be filled
    by `call` (it runs before the response is made). A failing call or commit raises into
    `get_session`, which rolls back and writes noted refusals exactly as for any route.

    `read`: the call only reads, and writes nothing but its audit entry. On PostgreSQL its
    statements then commit one by one (no BEGIN and COMMIT round trips): a read needs no
    transaction, and the audit entry's INSERT commits before the answer is made, so "no
    commit, no answer" holds as before."""
    def run() -> bytes:
        if read and not session.in_transaction() and \
                session.get_bind().dialect.name == "postgresql":  # (a token just checked: no)
            session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
        model = call()
        session.commit()  # before the answer: no commit, no 2xx
        if adapter is not None:
            return adapter.dump_json(model, by_alias=True, exclude_none=True)
        return model.__pydantic_serializer__.to_json(model, by_alias=True, exclude_none=True)

    body = await in_thread(run)
    return Response(body, status_code=status_code, headers=headers,
                    media_type="application/json")


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


async def get_actor(request: Request, session: SessionDep,
                    bearer: Annotated[str | None, Depends(oauth2)]) -> Actor:
    # async: a token the cache knows costs no hop to the thread pool; anything that reads the
    # database goes there.
    if bearer:
        actor = identity.cached_actor(session, bearer)
        if actor is None:
            actor = await run_in_threadpool(identity.actor_from_token, session, bearer,
                                            request.app.state.settings.token_ttl_seconds)
        request.state.actor = actor
        return actor
    return await run_in_threadpool(_actor_from_cookie, request, session)


def _actor_from_cookie(request: Request, session: Session) -> Actor:
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
class FieldErrorOut(BaseModel):
    field: str | None
    code: str | None
    message_zh: str
    message_en: str


class ErrorDetailOut(BaseModel):
    code: str = Field(description="machine-readable reason, e.g. not_found, invalid_input, busy")
    field: str | None = Field(description="the input field at fault, if one is")
    message_zh: str
    message_en: str
    fields: list[FieldErrorOut] | None = Field(
        None, description="invalid_input: every field at fault")


class ErrorOut(BaseModel):
    """Every refusal, in both languages (4xx; 503 with Retry-After when the database is busy)."""

    error: ErrorDetailOut


# Documented on every operation, so clients (and schemathesis) know what a refusal looks like.
ERROR_RESPONSES: dict = {
    "4XX": {"model": ErrorOut, "description": "refused: the reason in Chinese and English"},
    503: {"model": ErrorOut, "description": "busy: try again after `Retry-After` seconds",
          "headers": {"Retry-After": {"schema": {"type": "integer"},
                                      "description": "seconds to wait"}}},
}


def status_of(error: AnjuError) -> int:
    return getattr(error, "http_status", 400)


def error_body(error: AnjuError) -> dict:
    return {"error": {"code": error.code, "field": error.field, "message_zh": error.message_zh,
                      "message_en": error.message_en}}


# Starlette's own refusals (no such route, wrong method, a body it cannot read), in both languages.
HTTP_ERRORS = {
    400: ("bad_request", "请求内容无法读取（格式或编码错误）", "the request body could not be read"),
    404: ("not_found", "请求的地址不存在", "no such address"),
    405: ("method_not_allowed", "该地址不支持此请求方法", "method not allowed here"),
    413: ("too_large", "上传内容超过允许的大小（ANJU_MAX_UPLOAD_BYTES）",
          "the request body is larger than allowed (ANJU_MAX_UPLOAD_BYTES)"),
}
log = logging.getLogger("anju.web")


def nul_in_json(body: bytes) -> bool:
    # \u0000 not itself escaped (an even run of backslashes before it is a literal backslash)
    if b"\\u0000" not in body and b"\\U0000" not in body:  # the usual body: no regex
        return False
    return re.search(rb"(?<!\\)(?:\\\\)*\\u0000", body, re.IGNORECASE) is not None


async def refuse_nul(request: Request) -> None:
    """A NUL character in any text a client sends (path, query, form fields, JSON) is refused
    with a 422 here, once for every route: PostgreSQL cannot store it, and no honest input holds
    it. Files in uploads are bytes and are left alone."""
    texts = [*request.path_params.values(), *request.query_params.values()]
    if "\x00" in request.scope.get("path", ""):
        texts.append("\x00")
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if request.method in ("POST", "PUT", "PATCH"):
        if kind in ("application/x-www-form-urlencoded", "multipart/form-data"):
            form = await request.form()
            texts += [v for v in form.values() if not isinstance(v, UploadFile)]
        elif kind == "application/json" or kind.endswith("+json"):
            body = await request.body()
            if b"\x00" in body or nul_in_json(body):
                texts.append("\x00")
    if any("\x00" in str(t) for t in texts):
        raise ValidationError("nul_character", "输入中含有不允许的空字符（NUL）",
                              "the input contains a NUL character, which is not allowed")


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(AnjuError)
    async def _anju_error(request: Request, error: AnjuError):
        status = status_of(error)
        headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
        if isinstance(error, Unavailable):
            headers = {"Retry-After": str(error.retry_after)}
        return JSONResponse(error_body(error), status_code=status, headers=headers)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, error: StarletteHTTPException):
        code, zh, en = HTTP_ERRORS.get(error.status_code, ("http_error", "请求未被接受",
                                                     "the request was not accepted"))
        body = {"error": {"code": code, "field": None, "message_zh": zh, "message_en": en}}
        return JSONResponse(body, status_code=error.status_code,
                            headers=getattr(error, "headers", None))

    async def _busy(request: Request, error: Exception):
        """The database could not be had in time (SQLite busy, a PostgreSQL lock or pool
        timeout, a connection refused): 503 with Retry-After, through the AnjuError handler in
        force (pages render it as a page)."""
        log.warning("database unavailable for %s %s: %s", request.method, request.url.path,
                    str(error).splitlines()[0][:200])
        busy = Unavailable("busy", "系统繁忙，请稍后重试", "the system is busy; try again shortly")
        response = await request.app.exception_handlers[AnjuError](request, busy)
        response.headers["Retry-After"] = str(busy.retry_after)
        return response

    app.add_exception_handler(sa_exc.OperationalError, _busy)
    app.add_exception_handler(sa_exc.TimeoutError, _busy)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, error: RequestValidationError):
        # Every pydantic complaint in both languages, each field named by its label.
        explained = inputs.explain(error.errors())
        body = error_body(explained)
        body["error"]["fields"] = explained.fields
        return JSONResponse(body, status_code=422)
