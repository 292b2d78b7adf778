"""Exchange JSON routes: parse → one service call → serialise. No queries, no checks here."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Query, Request, Response, UploadFile

from anju.core.types import Cursor, RecordId
from anju.core.web import ActorDep, SessionDep
from anju.exchange import service
from anju.exchange.schemas import (
    ConflictOut,
    ConflictSummaryOut,
    DataRequestDecisionIn,
    DataRequestIn,
    DataRequestOut,
    DeliveryOut,
    FeedOut,
    GoldenOut,
    ImportJobOut,
    ImportReportOut,
    ReviewDecisionIn,
    ReviewPairOut,
    SubscribeIn,
    SubscriptionsOut,
)

router = APIRouter(prefix="/api/v1/exchange", tags=["exchange"])


@router.post("/imports", status_code=202, response_model=ImportJobOut,
             responses={200: {"model": ImportJobOut,
                              "description": "this file was imported before: the job is "
                                             "finished and its report says \"unchanged\""}})
def run_import(request: Request, response: Response, session: SessionDep, actor: ActorDep,
               department: Annotated[str, Form(max_length=32, description="connector code, "
                                               "e.g. gongan, zhujian, renshe")],
               file: Annotated[UploadFile, File()]):
    """Import one department extract (multipart: `department`, `file`) as a background job:
    202 with the job; poll `status_url` (also in `Location`) until `state` is finished (the
    report is in the answer) or failed. The records are stored and linked in batches, so the
    rest of the system stays responsive. Uploading a file imported before answers 200 with its
    finished job (report status "unchanged"); uploading an interrupted import's file again
    resumes it after its last committed batch."""
    settings = request.app.state.settings
    job = service.submit_import(session, actor, request.app.state.jobs, file.file,
                                department, file.filename, spool=settings.data_dir / "imports")
    response.headers["Location"] = job.status_url
    if job.state == "finished":
        response.status_code = 200
    return job


@router.get("/imports/jobs/{job_id}", response_model=ImportJobOut)
def read_import_job(job_id: RecordId, request: Request, session: SessionDep, actor: ActorDep):
    """A department import's job: state, records done of total, the report when finished."""
    return service.import_job(session, actor, job_id, request.app.state.jobs)


@router.get("/imports", response_model=list[ImportReportOut], response_model_exclude_none=True)
def list_imports(session: SessionDep, actor: ActorDep):
    return service.list_imports(session, actor)


@router.get("/imports/{import_id}", response_model=ImportReportOut)
def read_import(import_id: RecordId, session: SessionDep, actor: ActorDep):
    return service.read_import(session, actor, import_id)


@router.get("/golden/{golden_id}", response_model=GoldenOut)
def read_golden(golden_id: RecordId, session: SessionDep, actor: ActorDep):
    return service.read_golden(session, actor, golden_id)


@router.get("/conflicts/summary", response_model=ConflictSummaryOut)
def conflict_summary(session: SessionDep, actor: ActorDep):
    return service.conflict_summary(session, actor)


@router.get("/conflicts", response_model=list[ConflictOut])
def list_conflicts(session: SessionDep, actor: ActorDep,
                   status: Annotated[str, Query(pattern="^(open|resolved)$")] = "open"):
    return service.list_conflicts(session, actor, status)


@router.get("/review-pairs", response_model=list[ReviewPairOut])
def list_review_pairs(session: SessionDep, actor: ActorDep,
                      status: Annotated[str, Query(pattern="^(pending|match|non_match)$")] = "pending"):
    return service.list_review_pairs(session, actor, status)


@router.get("/review-pairs/{pair_id}", response_model=ReviewPairOut)
def read_review_pair(pair_id: RecordId, session: SessionDep, actor: ActorDep):
    return service.read_review_pair(session, actor, pair_id)


@router.post("/review-pairs/{pair_id}/decision", response_model=ReviewPairOut)
def decide_review_pair(pair_id: RecordId, body: ReviewDecisionIn, session: SessionDep,
                       actor: ActorDep):
    return service.decide_review_pair(session, actor, pair_id, body.decision)


@router.post("/subscriptions", response_model=SubscriptionsOut)
def subscribe(body: SubscribeIn, session: SessionDep, actor: ActorDep):
    return service.subscribe(session, actor, body.golden_ids, body.served)


@router.get("/feed", response_model=FeedOut)
def feed(session: SessionDep, actor: ActorDep,
         cursor: Cursor = 0,
         limit: Annotated[int, Query(ge=1, le=500)] = 100):
    return service.feed(session, actor, cursor, limit)


@router.post("/data-requests", status_code=201, response_model=DataRequestOut)
def create_data_request(body: DataRequestIn, session: SessionDep, actor: ActorDep):
    return service.create_data_request(session, actor, body.dataset, body.purpose)


@router.get("/data-requests", response_model=list[DataRequestOut])
def list_data_requests(session: SessionDep, actor: ActorDep):
    return service.list_data_requests(session, actor)


@router.post("/data-requests/{request_id}/decision", response_model=DataRequestOut)
def decide_data_request(request_id: RecordId, body: DataRequestDecisionIn, session: SessionDep,
                        actor: ActorDep):
    return service.decide_data_request(session, actor, request_id, body.approve, body.expires_on)


@router.get("/data-requests/{request_id}/delivery", response_model=DeliveryOut)
def deliver_data_request(request_id: RecordId, session: SessionDep, actor: ActorDep):
    return service.deliver_data_request(session, actor, request_id)
