"""The HTML side: shared layout, sign-in, language, CSRF, and each domain's page router.

Domain page modules (`anju.<domain>.pages`) export `router`, `TEMPLATES` (their template folder,
served under the domain's name, e.g. "registry/queue.html") and `MENU` (role → links). They
render through `request.app.state.templates`, so a domain never imports this module.
"""
from __future__ import annotations

import secrets
from pathlib import Path
from typing import Annotated
from urllib.parse import quote

import jinja2
from fastapi import APIRouter, Depends, FastAPI, Form, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from anju.core import accounts, auditlog, calendars, divisions, domain, identity, inputs
from anju.core.config import get_settings
from anju.core.crypto import mask_code
from anju.core.errors import AnjuError, Forbidden, NotFound
from anju.core.identity import AuthError
from anju.core.policy import Role
from anju.core.web import (
    SAFE_METHODS,
    SESSION_COOKIE,
    ActorDep,
    SessionDep,
    client_address,
    csrf_matches,
    csrf_token_for,
)
from anju.web import drafts, i18n

TEMPLATES = Path(__file__).parent / "templates"
LANG_COOKIE = "anju_lang"
PRE_COOKIE = "anju_pre"  # CSRF basis before sign-in (the login form itself)
CSRF_FIELD = "csrf_token"
PRE_SESSION_FORMS = {"/login", "/logout"}
NOT_PAGES = ("/api/", "/static/", "/docs", "/redoc", "/openapi.json", "/healthz")
LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1"}
SESSION_COOKIE_GRACE = 24 * 3600

# Pages carry personal data: never cached, never framed, no inline script or style.
PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; "
                               "form-action 'self'; base-uri 'none'; object-src 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


# --- language and CSRF -----------------------------------------------------------------------
def lang(request: Request) -> str:
    return i18n.lang_of(request.cookies.get(LANG_COOKIE))


def _csrf_basis(request: Request) -> str | None:
    return (request.cookies.get(SESSION_COOKIE) or getattr(request.state, "pre_session", None)
            or request.cookies.get(PRE_COOKIE))


def csrf_token(request: Request) -> str:
    """HMAC of the session cookie (or the pre-session cookie) under the secret key."""
    return csrf_token_for(_csrf_basis(request))


async def csrf_protect(request: Request) -> None:
    if request.method in SAFE_METHODS:
        return
    if request.url.path not in PRE_SESSION_FORMS and not request.cookies.get(SESSION_COOKIE):
        # Not signed in: that is the answer (a redirect to the login page), not a CSRF failure.
        raise AuthError("not_authenticated", "请先登录", "authentication required")
    form = await request.form()
    # What was typed, so a page re-rendered after a refusal can fill the form again (`kept`).
    request.state.posted = (request.url.path, drafts.fields_of(form))
    sent = str(form.get(CSRF_FIELD, ""))
    if not csrf_matches(sent, _csrf_basis(request)):
        raise Forbidden("csrf_failed", "表单已失效或来源不明，请刷新页面后重试",
                        "the form has expired or did not come from this site; reload and retry")
    request.state.csrf_ok = True  # get_actor lets a cookie-signed POST through only so


def safe_next(target: str | None) -> str:
    """Only local paths: `next` must never send a signed-in user to another site."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return "/"
    return target


def _secure(request: Request) -> bool:
    return not (request.url.scheme == "http" and request.url.hostname in LOCAL_HOSTS)


# --- templates -------------------------------------------------------------------------------
class PageTemplates(Jinja2Templates):
    def TemplateResponse(self, request, name, context=None, status_code=200, **kw):
        response = super().TemplateResponse(request, name, context, status_code, **kw)
        response.headers.update(PAGE_HEADERS)
        if getattr(request.state, "draft_restored", False):  # a draft is read back once
            drafts.forget(response, _secure(request))
        return response


@jinja2.pass_context
def _t(context, key: str, **params) -> str:
    return i18n.t(key, context.get("lang", i18n.DEFAULT), **params)


@jinja2.pass_context
def _kept(context, action: str, name: str, default: object = "") -> object:
    """What was typed into field `name` of the form posting to `action` — from a draft kept
    across an expired session, or from the POST this page answers — else `default`."""
    source = context.get("kept_source")
    if source and source[0] == action and name in source[1]:
        return source[1][name]
    return default


@jinja2.pass_context
def _kept_rows(context, action: str, *names: str) -> list[tuple] | None:
    """Repeated fields (one per row, e.g. room number and capacity) as rows, or None."""
    columns = []
    for name in names:
        value = _kept(context, action, name, None)
        if value is None:
            return None
        columns.append(value if isinstance(value, list) else [value])
    return list(zip(*columns, strict=False))


def _page_context(request: Request) -> dict:
    actor = getattr(request.state, "actor", None)
    language = lang(request)
    menus = request.app.state.menus
    # An account waiting for its person binding has no person to act as: no menu yet.
    unbound = actor is not None and actor.role in identity.PERSON_ROLES and not actor.person_code
    source = getattr(request.state, "posted", None) if request.method == "POST" else None
    restored = drafts.restore(request, actor.account_id if actor else None)
    if restored:
        request.state.draft_restored = True
        source = restored
    return {"lang": language, "html_lang": i18n.HTML_LANG[language], "actor": actor,
            "csrf_token": csrf_token(request), "csrf_field": CSRF_FIELD,
            "menu": menus.get(actor.role.value, []) if actor and not unbound else [],
            "other_lang": "en" if language == "zh" else "zh",
            "here": _here(request), "kept_source": source, "restored": bool(restored)}


def _here(request: Request) -> str:
    """Where to come back to (after sign-in or a language switch): this page, if it was a GET."""
    if request.method != "GET":
        return "/"
    return request.url.path + (f"?{request.url.query}" if request.url.query else "")


def _division_name(code: str | None) -> str:
    """"330522001000" → "浙江省湖州市长兴县雉城街道" (the code itself when unknown)."""
    try:
        return divisions.full_name(code) if code and divisions.get(code) else (code or "")
    except AnjuError:
        return code or ""


def _templates(domains: dict[str, Path]) -> PageTemplates:
    loader = jinja2.ChoiceLoader([
        jinja2.FileSystemLoader(TEMPLATES),
        jinja2.PrefixLoader({name: jinja2.FileSystemLoader(path) for name, path in domains.items()}),
    ])
    env = jinja2.Environment(loader=loader, autoescape=True, trim_blocks=True, lstrip_blocks=True)
    env.globals["t"] = _t
    env.globals["kept"] = _kept
    env.globals["kept_rows"] = _kept_rows
    env.filters["cst"] = i18n.cst
    env.filters["division"] = _division_name
    # The auditor's list names whom each entry is about only in part: enough to tell entries
    # apart, not a way round the access layer to a person (anju.core.crypto.mask_code).
    env.filters["masked_code"] = mask_code
    return PageTemplates(env=env, context_processors=[_page_context])


def render(request: Request, name: str, status_code: int = 200, **context) -> Response:
    return request.app.state.templates.TemplateResponse(request, name, context, status_code)


# --- sign-in, sign-out, language, home ---------------------------------------------------------
router = APIRouter(include_in_schema=False, dependencies=[Depends(csrf_protect)])


def _login_page(request: Request, status_code: int = 200, **context) -> Response:
    pre = request.cookies.get(PRE_COOKIE)
    if not pre and not request.cookies.get(SESSION_COOKIE):
        request.state.pre_session = pre = secrets.token_urlsafe(24)
    context.setdefault("error", None)
    context.setdefault("username", "")
    context.setdefault("notice", None)
    response = render(request, "login.html", status_code,
                      next=safe_next(request.query_params.get("next")), **context)
    if pre and not request.cookies.get(PRE_COOKIE):
        response.set_cookie(PRE_COOKIE, pre, httponly=True, samesite="lax", secure=_secure(request))
    return response


@router.get("/login")
def login_form(request: Request, done: str | None = None, expired: str | None = None):
    if done == "logout":
        return _login_page(request, notice="login.logged_out")
    if expired:
        return _login_page(request, notice="login.kept" if drafts.waiting(request)
                           else "login.expired")
    return _login_page(request)


@router.post("/login")
def login(request: Request, session: SessionDep, username: Annotated[str, Form()] = "",
          password: Annotated[str, Form()] = "", next: Annotated[str, Form()] = "/"):
    try:
        account = identity.login(session, username.strip(), password, client_address(request))
    except AnjuError as error:
        return _login_page(request, error.http_status, error=error, username=username)
    response = RedirectResponse(safe_next(next), status_code=303)
    # The browser keeps the cookie a day beyond the session, so a form posted into an expired
    # session still says whose it was (its input is then kept for that account only).
    response.set_cookie(SESSION_COOKIE, identity.start_session(session, account),
                        max_age=get_settings().session_ttl_seconds + SESSION_COOKIE_GRACE,
                        httponly=True, samesite="lax", secure=_secure(request))
    response.delete_cookie(PRE_COOKIE)
    return response


@router.post("/logout")
def logout(request: Request, session: SessionDep):
    identity.end_session(session, request.cookies.get(SESSION_COOKIE))  # a replay finds nothing
    response = RedirectResponse("/login?done=logout", status_code=303)
    response.delete_cookie(SESSION_COOKIE, httponly=True, samesite="lax", secure=_secure(request))
    return response


@router.get("/lang/{code}")
def set_language(code: str, request: Request, next: str | None = None):
    if code not in i18n.LANGS:
        raise NotFound("lang_unknown", f"不支持的语言：{code}", f"unsupported language: {code}")
    response = RedirectResponse(safe_next(next), status_code=303)
    response.set_cookie(LANG_COOKIE, code, max_age=365 * 86400, samesite="lax",
                        secure=_secure(request))
    return response


ACCOUNT_NOTICES = {"created", "created_pending", "disabled", "enabled", "password", "bound",
                   "refused"}


def account_notice(request: Request) -> dict | None:
    """The confirmation of an account change the last request made (?done=…&u=…)."""
    done, who = request.query_params.get("done"), request.query_params.get("u", "")
    if done in ACCOUNT_NOTICES and identity.USERNAME.fullmatch(who):
        return {"key": f"accounts.done.{done}", "username": who}
    return None


@router.get("/")
def home(request: Request, session: SessionDep, actor: ActorDep):
    target = request.app.state.homes.get(actor.role.value)
    if target:  # a role whose work is one page (a domain's pages declare HOME)
        return RedirectResponse(target, status_code=303)
    bindings = accounts.pending_bindings(session, actor) if actor.role is Role.POLICE else []
    # the administrator is told on arrival when the official holiday data is running out
    calendar = calendars.calendar_status(session) if actor.role is Role.ADMIN else None
    return render(request, "home.html", bindings=bindings, notice=account_notice(request),
                  calendar=calendar if calendar and calendar.warning else None)


@router.get("/audit")
def audit_page(request: Request, session: SessionDep, actor: ActorDep, verify: bool = False):
    """The auditor's desk: verify the chain end to end, and read the latest entries."""
    result = auditlog.verify(session, actor) if verify else None
    entries = auditlog.recent(session, actor, limit=100)
    return render(request, "audit.html", result=result, entries=entries)


# --- errors on pages: bilingual, inside the layout, never a JSON body or a bare 500 ------------
def _is_page(request: Request) -> bool:
    return not request.url.path.startswith(NOT_PAGES)


def _install_error_pages(app: FastAPI) -> None:
    json_anju = app.exception_handlers[AnjuError]
    json_invalid = app.exception_handlers[RequestValidationError]
    json_http = app.exception_handlers[StarletteHTTPException]

    @app.exception_handler(AnjuError)
    async def _anju(request: Request, error: AnjuError):
        if not _is_page(request):
            return await json_anju(request, error)
        if error.http_status == 401:
            return await _sign_in_again(request)
        return render(request, "error.html", error.http_status, error=error)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, error: RequestValidationError):
        if not _is_page(request):
            return await json_invalid(request, error)
        return render(request, "error.html", 422, error=inputs.explain(error.errors()))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, error: StarletteHTTPException):
        if not _is_page(request):
            return await json_http(request, error)
        missing = AnjuError("not_found", "页面不存在", "page not found")
        return render(request, "error.html", error.status_code, error=missing)


def _session_owner(request: Request, cookie: str) -> int | None:
    with request.app.state.db.unit_of_work() as session:
        return identity.session_account_id(session, cookie)


async def _sign_in_again(request: Request) -> Response:
    """To the login page and back. A form posted into an expired session keeps its input (not
    passwords) for the same account, and the way back leads to the page the form was on."""
    cookie = request.cookies.get(SESSION_COOKIE)
    target, fields = _here(request), {}
    if request.method == "POST":
        target = drafts.form_page(request)
        try:
            fields = drafts.fields_of(await request.form())
        except Exception:  # noqa: BLE001 - an unreadable body keeps nothing, it is no error
            fields = {}
    account = await run_in_threadpool(_session_owner, request, cookie) if cookie else None
    query = f"next={quote(target)}" + ("&expired=1" if account is not None else "")
    response = RedirectResponse(f"/login?{query}", status_code=303)
    if account is not None and target != "/":
        drafts.keep(response, request, account_id=account, page=target,
                    action=request.url.path, fields=fields, secure=_secure(request))
    if cookie:  # expired or revoked: drop it
        response.delete_cookie(SESSION_COOKIE)
    return response


def install(app: FastAPI) -> None:
    from anju.web import admin, calendar  # the account pages, the working-day calendar page

    i18n.register_policy_labels()
    i18n.register("calendar", calendar.WORDS)
    for described, words in domain.parts("words"):  # each domain's words, as "<domain>.<key>"
        i18n.register(described.name, words)
    domains, menus, homes = {}, {}, {}
    for described, module in domain.parts("pages"):
        domains[described.name] = module.TEMPLATES
        homes.update(getattr(module, "HOME", {}))  # role → the page that is their home
        if hasattr(module, "TEXT"):  # menu labels and the like, as "<domain>.<key>"
            i18n.register(described.name, module.TEXT)
        for role, links in module.MENU.items():
            menus.setdefault(role, []).extend(links)
        app.include_router(module.router, dependencies=[Depends(csrf_protect)])
    menus.setdefault("auditor", []).append(("/audit", "menu.audit"))
    menus.setdefault("admin", []).extend([("/admin/accounts", "menu.accounts"), calendar.MENU])
    app.state.templates = _templates(domains)
    app.state.menus = menus
    app.state.homes = homes
    app.include_router(router)
    app.include_router(admin.router, dependencies=[Depends(csrf_protect)])
    app.include_router(calendar.router, dependencies=[Depends(csrf_protect)])
    _install_error_pages(app)
