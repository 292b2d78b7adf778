"""Federation pages: the administrator's view of peers (health, a peer that stays down shown
first), queued and failed messages and the message log; the analyst's flows exchanged with each
peer; the resident's cross-county requests about them. Words: `anju.federation.words`."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from anju.core.web import ActorDep, SessionDep
from anju.federation import service

TEMPLATES = Path(__file__).parent / "templates"
router = APIRouter(include_in_schema=False)
MENU = {
    "admin": [("/admin/federation", "federation.menu_admin"),
              ("/federation/flows", "federation.menu_flows")],
    "analyst": [("/federation/flows", "federation.menu_flows")],
    "leader": [("/federation/flows", "federation.menu_flows")],
    "resident": [("/me/federation", "federation.menu_mine")],
}


def render(request: Request, name: str, **context) -> Response:
    return request.app.state.templates.TemplateResponse(request, name, context)


Filter = Annotated[str | None, Query(max_length=16)]


@router.get("/admin/federation")
def admin_page(request: Request, session: SessionDep, actor: ActorDep, kind: Filter = None,
               peer: Filter = None) -> Response:
    peers = service.list_peers(session, actor)
    pending = [m for state in ("failed", "queued")
               for m in service.list_messages(session, actor, "out", state=state, limit=100)]
    log = service.log_entries(session, actor, kind=kind or None, peer=peer or None)
    return render(request, "federation/admin.html", peers=sorted(
        peers, key=lambda p: p.health != "down"), pending=pending, log=log, kind=kind or "",
        peer=peer or "")


@router.get("/federation/flows")
def flows_page(request: Request, session: SessionDep, actor: ActorDep) -> Response:
    received = service.list_messages(session, actor, "in", kind="stats", limit=24)
    sent = service.list_messages(session, actor, "out", kind="stats", limit=24)
    return render(request, "federation/flows.html", received=received, sent=sent)


@router.get("/me/federation")
def mine_page(request: Request, session: SessionDep, actor: ActorDep) -> Response:
    return render(request, "federation/mine.html", messages=service.my_requests(session, actor))
