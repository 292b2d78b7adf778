"""The fast lane: the hottest JSON routes answered without FastAPI's per-request machinery.

Profiling the registry benchmark showed that for a person lookup FastAPI's own work — matching
the path through every included router, solving the dependency graph, the async exit stack of
the session dependency — cost about five times the service call itself (its SQL, the access
check, the audit entry). A route marked `@lean` is still declared, documented and served by
FastAPI as usual; this middleware, in front of the router, answers the requests it can serve
exactly as the route would, and hands everything else to FastAPI untouched.

It serves a request only when all of it is plain: a bearer token the token cache already holds
(`identity.cached_actor`; a first or expired token, a cookie session, no token go to FastAPI),
path, query and header values that validate against the route's own annotations, a JSON body
that validates against the route's own model, no NUL character anywhere. Whatever it is unsure
of — an invalid value, a repeated query key, an odd content type — goes to FastAPI, which
answers with its bilingual 422 or 401. The lane then calls the route's own endpoint function
with the values and the same unit of work `get_session` gives (commit, rollback and the refused
attempts' audit entries alike), and an error it raises goes through the app's own exception
handlers. So there is one definition of every route and one access layer; the lane only skips
the framework's generic work.
"""
from __future__ import annotations

import inspect
import re
import typing
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

from fastapi import params as fastapi_params
from fastapi.routing import APIRoute
from pydantic import BaseModel, TypeAdapter
from pydantic import ValidationError as PydanticError
from starlette.requests import Request

from anju.core import identity, web

LEAN = "__anju_lean__"
MAX_BODY = 64 * 1024  # a hot route's body is small; a bigger one goes to FastAPI
served: Counter = Counter()  # requests the lane answered, per route path (tests, metrics)


def lean(endpoint: Callable) -> Callable:
    """Mark a route's endpoint for the fast lane (put it under the `@router.…` decorator). The
    endpoint must be async and return a Response (as `anju.core.web.committed` makes)."""
    if not inspect.iscoroutinefunction(endpoint):
        raise TypeError(f"{endpoint.__qualname__}: a fast-lane endpoint must be async")
    setattr(endpoint, LEAN, True)
    return endpoint


class Fallback(Exception):  # noqa: N818 - not an error: "let FastAPI answer this one"
    pass


@dataclass
class _Param:
    name: str
    kind: str  # path, query, header, body, session, actor, db
    alias: str = ""
    adapter: TypeAdapter | None = None
    default: object = None
    required: bool = False


@dataclass
class _Lane:
    method: str
    path: str
    regex: re.Pattern
    endpoint: Callable
    params: list[_Param] = field(default_factory=list)


def _dependency_kind(meta) -> str | None:
    call = getattr(meta, "dependency", None)
    return {web.get_session: "session", web.get_actor: "actor", web.get_db: "db"}.get(call)


def _plan(route: APIRoute, method: str) -> _Lane:
    """What the lane needs to call `route`'s endpoint; a parameter of any other kind is a
    mistake in the route's declaration (found when the app starts, not on a request)."""
    endpoint = route.endpoint
    hints = typing.get_type_hints(endpoint, include_extras=True)
    lane = _Lane(method, route.path, route.path_regex, endpoint)
    for name, param in inspect.signature(endpoint).parameters.items():
        hint = hints[name]
        metas = typing.get_args(hint)[1:] if typing.get_origin(hint) is typing.Annotated else ()
        depends = next((m for m in metas if isinstance(m, fastapi_params.Depends)), None)
        header = next((m for m in metas if isinstance(m, fastapi_params.Header)), None)
        query = next((m for m in metas if isinstance(m, fastapi_params.Query)), None)
        default = None if param.default is inspect.Parameter.empty else param.default
        required = param.default is inspect.Parameter.empty
        if depends is not None:
            kind = _dependency_kind(depends)
            if kind is None:
                raise TypeError(f"{route.path}: the fast lane does not solve {depends!r}")
            lane.params.append(_Param(name, kind))
        elif name in route.param_convertors:
            lane.params.append(_Param(name, "path", adapter=TypeAdapter(hint)))
        elif inspect.isclass(hint) and issubclass(hint, BaseModel):
            lane.params.append(_Param(name, "body", adapter=TypeAdapter(hint),
                                      required=True))
        elif header is not None:
            alias = (header.alias or name.replace("_", "-")).lower()
            lane.params.append(_Param(name, "header", alias, TypeAdapter(hint), default,
                                      required))
        elif hint in (str, str | None, int, int | None) or query is not None:
            alias = (query.alias if query is not None and query.alias else name)
            lane.params.append(_Param(name, "query", alias, TypeAdapter(hint), default,
                                      required))
        else:
            raise TypeError(f"{route.path}: the fast lane cannot fill parameter {name!r}")
    return lane


def lanes_of(routes) -> list[_Lane]:
    return [_plan(route, method) for route in routes
            if isinstance(route, APIRoute) and getattr(route.endpoint, LEAN, False)
            for method in sorted(route.methods or ())]


class FastLane:
    """ASGI middleware: answers the `@lean` routes' plain requests, passes the rest on. Added
    before the app's other middlewares, so it runs inside them: the body limit and the request
    gate hold for every request."""

    def __init__(self, app, routes) -> None:
        self.app = app
        self.lanes = lanes_of(routes)

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http":
            for lane in self.lanes:
                if scope["method"] == lane.method and (found := lane.regex.match(scope["path"])):
                    return await self._serve(lane, found.groupdict(), scope, receive, send)
        await self.app(scope, receive, send)

    async def _serve(self, lane: _Lane, path: dict, scope, receive, send) -> None:
        headers = _headers(scope)
        token = _bearer(headers)
        db = scope["app"].state.db
        unit, session = web.open_unit(db)
        # a token's first use, or one whose cache entry expired: FastAPI checks it (and fills
        # the cache), as it does a cookie session or a missing token
        actor = identity.cached_actor(session, token) if token else None
        body = b""
        try:
            if actor is None:
                raise Fallback
            if lane.method in ("POST", "PUT", "PATCH"):
                body = await _read_body(receive, headers)
            kwargs = _values(lane, path, scope, headers, body)
        except Fallback:
            await web.close_unit(unit, session)
            return await self.app(scope, _replay(body, receive), send)
        scope.setdefault("state", {})["actor"] = actor
        given = {"session": session, "actor": actor, "db": db}
        kwargs.update({p.name: given[p.kind] for p in lane.params if p.kind in given})
        try:
            response = await lane.endpoint(**kwargs)
        except Exception as error:
            await web.close_unit(unit, session, error)
            response = await _handled(scope, error)
        else:
            await web.close_unit(unit, session)
        served[lane.path] += 1
        await response(scope, receive, send)


# --- reading the request ----------------------------------------------------------------------
def _headers(scope) -> dict[str, str]:
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}


def _bearer(headers: dict[str, str]) -> str:
    """The bearer token as OAuth2PasswordBearer reads it; "" when there is none (FastAPI then
    answers 401, or reads the cookie session and checks CSRF)."""
    scheme, _, token = headers.get("authorization", "").partition(" ")
    return token if scheme.lower() == "bearer" else ""


async def _read_body(receive, headers: dict[str, str]) -> bytes:
    kind = headers.get("content-type", "").split(";")[0].strip().lower()
    declared = headers.get("content-length", "")
    if kind != "application/json" or not declared.isdigit() or int(declared) > MAX_BODY:
        raise Fallback
    chunks, more = [], True
    while more:
        message = await receive()
        if message["type"] != "http.request":
            raise Fallback
        chunks.append(message.get("body", b""))
        more = message.get("more_body", False)
    return b"".join(chunks)  # no longer than declared: the server holds it to that


def _values(lane: _Lane, path: dict, scope, headers: dict[str, str], body: bytes) -> dict:
    raw_query = scope.get("query_string", b"").decode("latin-1")
    if "\x00" in scope["path"] or "%00" in raw_query or b"\x00" in body or (
            body and web.nul_in_json(body)):
        raise Fallback  # refuse_nul answers it
    pairs = parse_qsl(raw_query, keep_blank_values=True)
    query = dict(pairs)
    if len(query) != len(pairs) or any("\x00" in v for v in query.values()):
        raise Fallback
    values: dict = {}
    try:
        for p in lane.params:
            if p.kind == "path":
                values[p.name] = p.adapter.validate_python(path[p.name])
            elif p.kind == "body":
                values[p.name] = p.adapter.validate_json(body)
            elif p.kind in ("query", "header"):
                raw = (query if p.kind == "query" else headers).get(p.alias)
                if raw is None:
                    if p.required:
                        raise Fallback
                    values[p.name] = p.default
                else:
                    values[p.name] = p.adapter.validate_python(raw)
    except PydanticError:
        raise Fallback from None
    return values


def _replay(body: bytes, receive):
    """`receive` for FastAPI after the lane read the body: the same body once more."""
    if not body:
        return receive
    sent = False

    async def again():
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return again


async def _handled(scope, error: Exception):
    """The response the app's own exception handlers give for `error` (as Starlette's
    ExceptionMiddleware looks them up); an error nobody handles goes up, to the 500 answer."""
    handlers = scope["app"].exception_handlers
    for kind in type(error).__mro__:
        if kind in handlers:
            return await handlers[kind](Request(scope), error)
    raise error
