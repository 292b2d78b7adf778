"""Cases JSON routes (cases core): opening, the transitions, reading, the queues and counts.
Parse → one service call → serialise."""
from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field

from anju.cases.service import cases, stats
from anju.cases.service.shapes import (
    ApplicantOut,
    CaseIn,
    CaseOut,
    CaseRow,
    CountRow,
    DecideIn,
    ReasonBody,
    SupplementIn,
    TransferIn,
)
from anju.core.paging import MAX_LIMIT
from anju.core.types import RecordId
from anju.core.web import ActorDep, SessionDep

router = APIRouter(prefix="/api/v1", tags=["cases"])
Offset = Annotated[int, Query(ge=0, le=10**7)]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]


class WithdrawIn(BaseModel):
    reason: str | None = Field(None, max_length=500)


class LookupIn(BaseModel):
    id_number: str = Field(min_length=1, max_length=40)


@router.post("/cases", status_code=201, response_model=CaseOut, response_model_exclude_none=True)
def open_case(body: CaseIn, session: SessionDep, actor: ActorDep):
    return cases.open_case(session, actor, body)


@router.get("/cases/queue", response_model=list[CaseRow], response_model_exclude_none=True)
def queue(response: Response, session: SessionDep, actor: ActorDep,
          status: Annotated[str | None, Query(max_length=16)] = None,
          service_code: Annotated[str | None, Query(max_length=40)] = None,
          warning: Literal["yellow", "red"] | None = None, offset: Offset = 0, limit: Limit = 50):
    """The department's open cases, soonest due first; `X-Total-Count` says how many match."""
    page = stats.queue(session, actor, status=status, service_code=service_code,
                       warning=warning, offset=offset, limit=limit)
    response.headers["X-Total-Count"] = str(page.total)
    return list(page)


@router.get("/cases/overdue", response_model=list[CaseRow], response_model_exclude_none=True)
def overdue(response: Response, session: SessionDep, actor: ActorDep, offset: Offset = 0,
            limit: Limit = 50):
    page = stats.overdue(session, actor, offset=offset, limit=limit)
    response.headers["X-Total-Count"] = str(page.total)
    return list(page)


@router.get("/cases/counts", response_model=list[CountRow])
def counts(session: SessionDep, actor: ActorDep):
    """Per department and service: open, overdue, decided on time and late."""
    return stats.counts(session, actor)


@router.post("/cases/applicant", response_model=ApplicantOut)
def find_applicant(body: LookupIn, session: SessionDep, actor: ActorDep):
    """A window clerk finds the person in front of them by ID number (a POST: the number stays
    out of addresses and logs)."""
    return cases.find_applicant(session, actor, body.id_number)


@router.get("/cases/{case_id}", response_model=CaseOut, response_model_exclude_none=True)
def read_case(case_id: RecordId, session: SessionDep, actor: ActorDep):
    return cases.read_case(session, actor, case_id)


@router.post("/cases/{case_id}/accept", response_model=CaseOut, response_model_exclude_none=True)
def accept(case_id: RecordId, session: SessionDep, actor: ActorDep):
    return cases.accept(session, actor, case_id)


@router.post("/cases/{case_id}/not-accept", response_model=CaseOut,
             response_model_exclude_none=True)
def not_accept(case_id: RecordId, body: ReasonBody, session: SessionDep, actor: ActorDep):
    return cases.not_accept(session, actor, case_id, body.reason)


@router.post("/cases/{case_id}/start", response_model=CaseOut, response_model_exclude_none=True)
def start(case_id: RecordId, session: SessionDep, actor: ActorDep):
    return cases.start(session, actor, case_id)


@router.post("/cases/{case_id}/request-supplement", response_model=CaseOut,
             response_model_exclude_none=True)
def request_supplement(case_id: RecordId, body: ReasonBody, session: SessionDep,
                       actor: ActorDep):
    return cases.request_supplement(session, actor, case_id, body.reason)


@router.post("/cases/{case_id}/supplement", response_model=CaseOut,
             response_model_exclude_none=True)
def supplement(case_id: RecordId, body: SupplementIn, session: SessionDep, actor: ActorDep):
    return cases.supply(session, actor, case_id, body.form, body.note)


@router.post("/cases/{case_id}/decide", response_model=CaseOut, response_model_exclude_none=True)
def decide(case_id: RecordId, body: DecideIn, session: SessionDep, actor: ActorDep):
    return cases.decide(session, actor, case_id, body.decision, body.reason)


@router.post("/cases/{case_id}/withdraw", response_model=CaseOut,
             response_model_exclude_none=True)
def withdraw(case_id: RecordId, session: SessionDep, actor: ActorDep,
             body: WithdrawIn | None = None):
    return cases.withdraw(session, actor, case_id, body.reason if body else None)


@router.post("/cases/{case_id}/transfer", response_model=CaseOut,
             response_model_exclude_none=True)
def transfer(case_id: RecordId, body: TransferIn, session: SessionDep, actor: ActorDep):
    return cases.transfer(session, actor, case_id, body.department, body.reason)


@router.get("/me/cases", response_model=list[CaseRow], response_model_exclude_none=True)
def my_cases(session: SessionDep, actor: ActorDep):
    return stats.my_cases(session, actor)


@router.get("/persons/{person_code}/cases", response_model=list[CaseRow],
            response_model_exclude_none=True)
def person_cases(person_code: str, session: SessionDep, actor: ActorDep):
    """One person's cases within the actor's reach (a window clerk's, a department's)."""
    return stats.person_cases(session, actor, person_code[:16])
