"""The ASGI application factory: API routers, pages, static assets, error handlers."""
from __future__ import annotations

import asyncio
import logging
from contextlib import asynccontextmanager, suppress
from pathlib import Path

from anyio import CapacityLimiter, to_thread
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from anju.core import audit, domain
from anju.core.config import Settings, get_settings
from anju.core.db import Database
from anju.core.web import install_error_handlers
from anju.web import pages

STATIC = Path(__file__).parent / "static"

# Routes that answer without a signed-in actor. A contract test checks every other route
# demands one.
PUBLIC_PATHS = {"/healthz", "/api/v1/auth/token", "/login", "/logout", "/lang/{code}",
                "/docs", "/docs/oauth2-redirect", "/redoc", "/openapi.json", "/static"}


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


class _Witness:
    """Witnesses the audit chain's head at start-up, then every `every` seconds if it moved,
    and once more at shutdown (see anju.core.witness)."""

    def __init__(self, app: FastAPI) -> None:
        self.app, self.last = app, None
        # Its own thread, not one of the request pool's (see RequestGate: those are spoken for).
        self.limiter = CapacityLimiter(1)

    def _once(self) -> None:
        with self.app.state.db.unit_of_work() as session:
            end = audit.chain_end(session)
            if end != self.last:
                audit.witness_head(session, end=end)  # keys and place as verify reads them
                self.last = end

    async def once(self) -> None:
        try:
            await to_thread.run_sync(self._once, limiter=self.limiter)
        except Exception:  # a witness that fails must never take the server down
            log.exception("could not witness the audit chain")

    async def every(self, seconds: int) -> None:
        try:
            while True:
                await asyncio.sleep(seconds)
                await self.once()
        except asyncio.CancelledError:
            await self.once()
            raise


def create_app(settings: Settings | None = None, db: Database | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        # Sync routes run in this thread pool; a small pool keeps interpreter-lock contention low.
        to_thread.current_default_thread_limiter().total_tokens = settings.worker_threads
        task = None
        if settings.audit_witness_seconds:
            witness = _Witness(app)
            await witness.once()
            task = asyncio.create_task(witness.every(settings.audit_witness_seconds))
        yield
        if task is not None:
            task.cancel()
            with suppress(asyncio.CancelledError):
                await task

    app = FastAPI(title="Anju 安居 API", version="1", lifespan=lifespan, description=(
        "Service and management platform for the floating population. Every personal-data "
        "route checks the caller's role, jurisdiction and purpose and is written to the audit "
        "chain."))
    app.state.settings = settings
    app.state.db = db or Database(settings.resolved_database_url, settings.db_pool_size)
    install_error_handlers(app)
    app.add_middleware(RequestGate, limit=settings.worker_threads)

    from anju.registry import service as registry_service

    app.state.locate_person = registry_service.person_division  # for account binding (core)
    for _domain, router in domain.parts("api"):
        app.include_router(router)
    pages.install(app)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict:
        return {"status": "ok"}

    return app
