"""Points, school-places and eligibility JSON routes: parse → one service call → serialise."""
from __future__ import annotations

from datetime import date

from fastapi import APIRouter

from anju.cases import eligibility
from anju.cases.points import service as points
from anju.cases.points.schemas import (
    AppealIn,
    AppealOut,
    AwarenessOut,
    CaseOpenedOut,
    EvidenceIn,
    EvidenceRecordedOut,
    PlacementOut,
    PointsOut,
    ReasonIn,
    ReopenOut,
    RunOut,
    SchoolOut,
    SeedIn,
)
from anju.cases.schools import service as schools
from anju.core.types import RecordId
from anju.core.web import ActorDep, SessionDep

router = APIRouter(prefix="/api/v1", tags=["points"])


@router.get("/persons/{person_code}/points", response_model=PointsOut)
def person_points(person_code: str, session: SessionDep, actor: ActorDep, on: date | None = None):
    """The person's points on `on` (today by default) under the scheme then in force."""
    return points.points_of(session, actor, person_code, on)


@router.get("/persons/{person_code}/points/history", response_model=list[PointsOut])
def points_history(person_code: str, session: SessionDep, actor: ActorDep):
    return points.history(session, actor, person_code)


@router.post("/persons/{person_code}/points/evidence", status_code=201,
             response_model=EvidenceRecordedOut)
def record_evidence(person_code: str, body: EvidenceIn, session: SessionDep, actor: ActorDep):
    return points.record_evidence(session, actor, person_code, body.fact, body.value,
                                  body.source, body.obtained_on)


@router.post("/persons/{person_code}/points/appeals", status_code=201, response_model=AppealOut)
def appeal_points(person_code: str, body: AppealIn, session: SessionDep, actor: ActorDep):
    return points.appeal(session, actor, person_code, body.result_id, body.indicator,
                         body.reason)


@router.post("/points/appeals/{appeal_id}/reopen", response_model=ReopenOut)
def reopen_points(appeal_id: RecordId, session: SessionDep, actor: ActorDep):
    return points.reopen(session, actor, appeal_id)


@router.get("/schools", response_model=list[SchoolOut])
def list_schools(actor: ActorDep):
    return schools.public_schools()


@router.post("/schools/runs", status_code=201, response_model=RunOut)
def publish_seed(body: SeedIn, session: SessionDep, actor: ActorDep):
    return schools.publish_seed(session, actor, body.year, body.seed)


@router.post("/schools/runs/{year}/allocate", response_model=RunOut)
def allocate(year: RecordId, session: SessionDep, actor: ActorDep):
    return schools.run_year(session, actor, year)


@router.get("/cases/{case_id}/placement", response_model=PlacementOut)
def placement(case_id: RecordId, session: SessionDep, actor: ActorDep):
    return schools.placement(session, actor, case_id)


@router.post("/cases/{case_id}/placement/appeal", status_code=201, response_model=CaseOpenedOut)
def appeal_placement(case_id: RecordId, body: ReasonIn, session: SessionDep, actor: ActorDep):
    return schools.appeal(session, actor, case_id, body.reason)


@router.get("/eligibility/awareness", response_model=list[AwarenessOut])
def awareness(session: SessionDep, actor: ActorDep):
    return eligibility.awareness(session, actor)
