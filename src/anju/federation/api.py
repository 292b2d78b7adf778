"""Federation JSON routes: the peer-to-peer message endpoint (signed envelope in, signed receipt
out), and the administrators' and analysts' inbox, outbox and peers."""
from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi import Path as FPath
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from anju.core.web import ActorDep, SessionDep, get_db
from anju.federation import service
from anju.federation.schemas import (
    ContinuityIn,
    ContinuityOut,
    FlushOut,
    MessageOut,
    PeerIn,
    PeerOut,
    StatsIn,
)

router = APIRouter(prefix="/api/v1/federation", tags=["federation"])
Limit = Annotated[int, Query(ge=1, le=1000)]
Kind = Annotated[str | None, Query(alias="type", max_length=16)]
State = Annotated[str | None, Query(max_length=16)]
PeerCode = Annotated[str | None, Query(max_length=6)]


@router.post("/messages", responses={200: {"description": "the signed receipt"}})
async def messages(request: Request):
    """A peer's signed envelope. 200 with the signed receipt; 401 unknown sender, bad signature
    or a time outside the window; 409 replay (with the original receipt); 422 malformed, the
    field named."""
    raw = await request.body()
    status, answer = await run_in_threadpool(service.receive, get_db(request), raw)
    return JSONResponse(answer, status_code=status)


@router.get("/inbox", response_model=list[MessageOut])
def inbox(session: SessionDep, actor: ActorDep, kind: Kind = None, state: State = None,
          peer: PeerCode = None, limit: Limit = 200):
    return [asdict(m) for m in service.list_messages(session, actor, "in", kind=kind, state=state,
                                                     peer=peer, limit=limit)]


@router.get("/outbox", response_model=list[MessageOut])
def outbox(session: SessionDep, actor: ActorDep, kind: Kind = None, state: State = None,
           peer: PeerCode = None, limit: Limit = 200):
    return [asdict(m) for m in service.list_messages(session, actor, "out", kind=kind,
                                                     state=state, peer=peer, limit=limit)]


@router.get("/peers", response_model=list[PeerOut])
def peers(session: SessionDep, actor: ActorDep):
    return [asdict(p) for p in service.list_peers(session, actor)]


@router.post("/peers", status_code=201, response_model=PeerOut)
def add_peer(body: PeerIn, session: SessionDep, actor: ActorDep):
    return asdict(service.add_peer(session, actor, name=body.name, division=body.division,
                                   url=body.url, public_key=body.public_key,
                                   link_secret=body.link_secret,
                                   arrival_notices=body.arrival_notices))


@router.post("/stats", status_code=202, response_model=list[MessageOut])
def send_stats(body: StatsIn, session: SessionDep, actor: ActorDep):
    return [asdict(m) for m in service.send_stats(session, actor, body.month, body.peer)]


@router.post("/continuity", status_code=202, response_model=MessageOut)
def request_continuity(body: ContinuityIn, session: SessionDep, actor: ActorDep):
    return asdict(service.request_continuity(session, actor, peer=body.peer,
                                             person_code=body.person_code, purpose=body.purpose,
                                             case_id=body.case_id))


@router.get("/continuity/{message_id}", response_model=ContinuityOut)
def continuity(message_id: Annotated[str, FPath(max_length=64)], session: SessionDep,
               actor: ActorDep):
    return asdict(service.continuity_answer(session, actor, message_id))


@router.post("/flush", response_model=FlushOut)
async def flush(request: Request, session: SessionDep, actor: ActorDep):
    """Send what is queued now (administrators)."""
    # the sign-in's transaction ends here: the flush makes its own short ones around each
    # network call, and must not wait on a lock this request holds
    await run_in_threadpool(session.commit)
    result = await run_in_threadpool(service.flush, get_db(request), actor, force=True)
    return result.as_dict()
