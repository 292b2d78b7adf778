"""Housing JSON routes: parse → one service call → serialise. No queries, no checks here."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query, Request
from starlette.concurrency import run_in_threadpool

from anju.core.web import ActorDep, SessionDep
from anju.housing import events, service
from anju.housing.schemas import (
    IngestOut,
    KeyOut,
    LockIn,
    LockOut,
    PaymentIn,
    ResolveIn,
    RevokeIn,
    StatementOut,
    TaskCount,
    TaskOut,
)

router = APIRouter(prefix="/api/v1", tags=["housing"])

# Routes authenticated by the lock vendor's HMAC signature instead of a user's token (the route
# contract test exempts exactly these from the "demands a signed-in actor" rule).
SIGNED_PATHS = {"/api/v1/lock-events"}


@router.get("/keys", response_model=list[KeyOut])
def list_keys(session: SessionDep, actor: ActorDep,
              person_code: Annotated[str | None, Query(max_length=16)] = None):
    return service.list_keys(session, actor, person_code)


@router.post("/keys/{key_id}/revoke", response_model=KeyOut)
def revoke_key(key_id: str, body: RevokeIn, session: SessionDep, actor: ActorDep):
    return service.revoke_key(session, actor, key_id, body.note)


@router.post("/locks", status_code=201, response_model=LockOut)
def register_lock(body: LockIn, session: SessionDep, actor: ActorDep):
    return service.register_lock(session, actor, body)


@router.post("/lock-events", status_code=202, response_model=IngestOut)
async def lock_events(request: Request, session: SessionDep,
                      signature: Annotated[str | None, Header(alias="X-Anju-Signature")] = None):
    """A vendor's signed batch: `{"vendor", "events": [{"event_id", "lock_id", "key_id", "ts",
    "kind"}]}`, header X-Anju-Signature = hex HMAC-SHA256 of the raw body."""
    body = await request.body()
    return await run_in_threadpool(events.ingest, session, body, signature)


@router.get("/tasks", response_model=list[TaskOut])
def list_tasks(session: SessionDep, actor: ActorDep,
               division: Annotated[str | None, Query(max_length=12)] = None,
               kind: str | None = None, limit: Annotated[int, Query(ge=1, le=1000)] = 200):
    return service.list_tasks(session, actor, division, kind, limit=limit)


@router.get("/tasks/counts", response_model=list[TaskCount])
def task_counts(session: SessionDep, actor: ActorDep,
                division: Annotated[str | None, Query(max_length=12)] = None):
    return service.task_counts(session, actor, division)


@router.post("/tasks/{task_id}/resolve", response_model=TaskOut)
def resolve_task(task_id: int, body: ResolveIn, session: SessionDep, actor: ActorDep):
    return service.resolve_task(session, actor, task_id, body.outcome, body.note, body.end_date)


@router.get("/fees", response_model=list[StatementOut])
def list_fees(session: SessionDep, actor: ActorDep,
              person_code: Annotated[str | None, Query(max_length=16)] = None):
    return service.list_fees(session, actor, person_code)


@router.post("/fees/{statement_id}/payments", response_model=StatementOut)
def pay(statement_id: int, body: PaymentIn, session: SessionDep, actor: ActorDep):
    return service.record_payment(session, actor, statement_id, body.amount_fen, body.reference,
                                  body.method)
