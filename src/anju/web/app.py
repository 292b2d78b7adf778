"""The ASGI application factory: API routers, pages, static assets, error handlers."""
from __future__ import annotations

import inspect
import logging
from contextlib import asynccontextmanager
from pathlib import Path

from anyio import to_thread
from fastapi import Depends, FastAPI, Request
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from anju.core import domain, lane, sealer
from anju.core.config import Settings, get_settings
from anju.core.db import Database
from anju.core.errors import AnjuError, TooLarge
from anju.core.jobs import JobRunner
from anju.core.web import ERROR_RESPONSES, HTTP_ERRORS, install_error_handlers, refuse_nul
from anju.web import pages

STATIC = Path(__file__).parent / "static"

# Routes that answer without a signed-in actor. A contract test checks every other route
# demands one.
PUBLIC_PATHS = {"/healthz", "/api/v1/auth/token", "/login", "/logout", "/lang/{code}",
                "/docs", "/docs/oauth2-redirect", "/redoc", "/openapi.json", "/static",
                # the public service guide and the e-permit check (anju.cases): no login
                "/services", "/services/{code}", "/verify", "/api/v1/permits/verify"}
# answered suggestions the departments published, naming no one (cases: participation)
PUBLIC_PATHS |= {"/api/v1/public/suggestions", "/suggestions/published"}


class RequestGate:
    """Let at most `limit` requests into the app at once; the rest wait in the event loop.

    A request hops between the event loop and the thread pool several times (dependencies, the
    route, the unit of work's commit) while holding database locks — SQLite's write lock for the
    whole transaction. If every pool thread were taken by requests waiting for such a lock, the
    holder could never get a thread back to commit. With no more requests inside than threads,
    one is always free.
    """

    def __init__(self, app, limit: int) -> None:
        self.app, self.limit, self._gate = app, limit, None

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        if self._gate is None:  # made on first use, inside the server's event loop
            import asyncio

            self._gate = asyncio.Semaphore(self.limit)
        async with self._gate:
            await self.app(scope, receive, send)


log = logging.getLogger("anju.web")


class BodyLimit:
    """Refuse a request body past `limit` bytes with 413, while it streams in: at once when its
    Content-Length says so, else as soon as the bytes received pass the limit (a chunked body),
    so an oversized upload is never read whole into memory or onto disk."""

    def __init__(self, app, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared = dict(scope.get("headers") or ()).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.limit:
            # through the app's error handler in force, so a page gets a page
            request = Request(scope, receive)
            response = await scope["app"].exception_handlers[AnjuError](request, _too_large())
            return await response(scope, receive, send)
        seen = 0

        async def counted():
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.limit:  # FastAPI passes an HTTPException from body parsing through
                raise StarletteHTTPException(413)
            return message

        await self.app(scope, counted, send)


def _too_large() -> TooLarge:
    return TooLarge(*HTTP_ERRORS[413])


def _install_docs(app: FastAPI) -> None:
    """Swagger UI and ReDoc from our own static files: a county intranet reaches no CDN."""
    vendor = "/static/vendor"

    @app.get("/docs", include_in_schema=False)
    def swagger_ui():
        return get_swagger_ui_html(
            openapi_url=app.openapi_url, title=f"{app.title} — Swagger UI",
            oauth2_redirect_url="/docs/oauth2-redirect",
            swagger_js_url=f"{vendor}/swagger-ui/swagger-ui-bundle.js",
            swagger_css_url=f"{vendor}/swagger-ui/swagger-ui.css",
            swagger_favicon_url=f"{vendor}/swagger-ui/favicon-32x32.png",
            swagger_ui_parameters={"validatorUrl": None})  # the badge would call an outside host

    @app.get("/docs/oauth2-redirect", include_in_schema=False)
    def swagger_ui_redirect():
        return get_swagger_ui_oauth2_redirect_html()

    @app.get("/redoc", include_in_schema=False)
    def redoc():
        return get_redoc_html(openapi_url=app.openapi_url, title=f"{app.title} — ReDoc",
                              redoc_js_url=f"{vendor}/redoc/redoc.standalone.js",
                              redoc_favicon_url=f"{vendor}/swagger-ui/favicon-32x32.png",
                              with_google_fonts=False)


# FastAPI's OpenTelemetry hooks (newer releases) look up the global providers on every request;
# Anju exports no telemetry (a county intranet has no collector), so they are switched off.
_NO_TELEMETRY = ({"telemetry": {"tracing": False, "metrics": False, "logs": False}}
                 if "telemetry" in inspect.signature(FastAPI).parameters else {})


def create_app(settings: Settings | None = None, db: Database | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        # Sync routes run in this thread pool; a small pool keeps interpreter-lock contention low.
        to_thread.current_default_thread_limiter().total_tokens = settings.worker_threads
        # the audit sealer and witness: a thread of its own, off the request pool
        chain = sealer.Background(app.state.db, settings)
        if chain.active:
            await to_thread.run_sync(chain.start)
        yield
        if chain.active:
            await to_thread.run_sync(chain.stop)
        app.state.jobs.shutdown(wait=True)  # a running import ends after its current batch

    app = FastAPI(title="Anju 安居 API", version="1", lifespan=lifespan, docs_url=None,
                  **_NO_TELEMETRY,
                  redoc_url=None, dependencies=[Depends(refuse_nul)], responses=ERROR_RESPONSES,
                  description=(
        "Service and management platform for the floating population. Every personal-data "
        "route checks the caller's role, jurisdiction and purpose and is written to the audit "
        "chain."))
    app.state.settings = settings
    app.state.db = db or Database(settings.resolved_database_url, settings.db_pool_size,
                                 settings.db_lock_timeout_seconds)
    app.state.jobs = JobRunner(app.state.db)
    install_error_handlers(app)
    routers = [router for _domain, router in domain.parts("api")]
    if settings.fast_lane:  # innermost: inside the gate and the body limit
        app.add_middleware(lane.FastLane, routes=[r for router in routers for r in router.routes])
    app.add_middleware(RequestGate, limit=settings.worker_threads)
    app.add_middleware(BodyLimit, limit=settings.max_upload_bytes)  # outermost: before the gate
    _install_docs(app)

    from anju.registry import service as registry_service

    app.state.locate_person = registry_service.person_division  # for account binding (core)
    for router in routers:
        app.include_router(router)
    pages.install(app)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict:
        return {"status": "ok"}

    return app
