"""Housing JSON routes: parse → one service call → serialise. No queries, no checks here."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query, Request
from fastapi import Path as FPath
from starlette.concurrency import run_in_threadpool

from anju.core.types import RecordId
from anju.core.web import ActorDep, SessionDep
from anju.housing import events, service
from anju.housing.schemas import (
    AssistActionOut,
    AssistEndIn,
    AssistRevokeIn,
    ConsentIn,
    ConsentOut,
    IngestOut,
    KeyOut,
    LockIn,
    LockOut,
    PaymentIn,
    ResolveIn,
    RevokeIn,
    StatementOut,
    TaskCount,
    TaskKindIn,
    TaskOut,
)
from anju.registry.schemas import HouseIn, HouseOut, RegistrationIn, RegistrationOut

router = APIRouter(prefix="/api/v1", tags=["housing"])


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
               kind: TaskKindIn | None = None, limit: Annotated[int, Query(ge=1, le=1000)] = 200):
    return service.list_tasks(session, actor, division, kind, limit=limit)


@router.get("/tasks/counts", response_model=list[TaskCount])
def task_counts(session: SessionDep, actor: ActorDep,
                division: Annotated[str | None, Query(max_length=12)] = None):
    return service.task_counts(session, actor, division)


@router.post("/tasks/{task_id}/resolve", response_model=TaskOut)
def resolve_task(task_id: RecordId, body: ResolveIn, session: SessionDep, actor: ActorDep):
    return service.resolve_task(session, actor, task_id, body.outcome, body.note, body.end_date)


@router.get("/fees", response_model=list[StatementOut])
def list_fees(session: SessionDep, actor: ActorDep,
              person_code: Annotated[str | None, Query(max_length=16)] = None):
    return service.list_fees(session, actor, person_code)


@router.post("/fees/{statement_id}/payments", response_model=StatementOut)
def pay(statement_id: RecordId, body: PaymentIn, session: SessionDep, actor: ActorDep):
    return service.record_payment(session, actor, statement_id, body.amount_fen, body.reference,
                                  body.method)


# --- assisted mode: a grid worker acts for a landlord under a recorded consent ----------------
@router.post("/assist/consents", status_code=201, response_model=ConsentOut)
def record_consent(body: ConsentIn, session: SessionDep, actor: ActorDep):
    return service.record_consent(session, actor, body)


@router.get("/assist/consents", response_model=list[ConsentOut])
def list_consents(session: SessionDep, actor: ActorDep,
                  landlord_person_code: Annotated[str | None, Query(max_length=16)] = None):
    return service.list_consents(session, actor, landlord_person_code)


@router.post("/assist/consents/{consent_id}/withdraw", response_model=ConsentOut)
def withdraw_consent(consent_id: RecordId, session: SessionDep, actor: ActorDep):
    return service.withdraw_consent(session, actor, consent_id)


@router.get("/assist/actions", response_model=list[AssistActionOut])
def list_assisted_actions(session: SessionDep, actor: ActorDep,
                          landlord_person_code: Annotated[str | None,
                                                          Query(max_length=16)] = None):
    """What grid workers did on a landlord's behalf (a landlord: on mine)."""
    return service.list_assisted_actions(session, actor, landlord_person_code)


@router.post("/assist/consents/{consent_id}/houses", status_code=201, response_model=HouseOut,
             response_model_exclude_none=True)
def assisted_house(consent_id: RecordId, body: HouseIn, session: SessionDep, actor: ActorDep):
    return service.assisted_create_house(session, actor, consent_id, body)


@router.post("/assist/consents/{consent_id}/registrations", status_code=201,
             response_model=RegistrationOut,
             response_model_exclude_none=True)
def assisted_tenant(consent_id: RecordId, body: RegistrationIn, session: SessionDep,
                    actor: ActorDep):
    return service.assisted_register_tenant(session, actor, consent_id, body)


@router.post("/assist/consents/{consent_id}/registrations/{registration_id}/end",
             response_model=RegistrationOut,
             response_model_exclude_none=True)
def assisted_end(consent_id: RecordId, registration_id: RecordId, body: AssistEndIn,
                 session: SessionDep, actor: ActorDep):
    return service.assisted_end_tenancy(session, actor, consent_id, registration_id,
                                        body.end_date)


@router.post("/assist/consents/{consent_id}/keys/{key_id}/revoke", response_model=KeyOut)
def assisted_revoke(consent_id: RecordId, key_id: Annotated[str, FPath(max_length=24)],
                    body: AssistRevokeIn, session: SessionDep, actor: ActorDep):
    return service.assisted_revoke_key(session, actor, consent_id, key_id, body.note)
