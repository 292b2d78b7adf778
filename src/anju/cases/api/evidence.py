"""Cases JSON routes (evidence, the guide, the electronic permit): parse → one service call →
serialise."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Path, UploadFile
from pydantic import BaseModel, Field

from anju.cases.service import evidence, guide, permits
from anju.core.types import RecordId
from anju.core.web import ActorDep, SessionDep

router = APIRouter(prefix="/api/v1", tags=["cases"])
ItemPath = Annotated[str, Path(min_length=1, max_length=40, pattern=r"^[a-z_]+$")]
CodePath = Annotated[str, Path(min_length=1, max_length=40, pattern=r"^[a-z0-9_]+$")]


class VerifyIn(BaseModel):
    payload: str = Field(min_length=1, max_length=permits.MAX_PAYLOAD,
                         description="the text of the permit's QR code")


@router.get("/services", response_model=list[guide.ServiceOut])
def list_services(session: SessionDep, actor: ActorDep):
    return guide.list_services(session, actor)


@router.get("/services/{code}", response_model=guide.ServiceOut)
def read_service(code: CodePath, session: SessionDep, actor: ActorDep):
    return guide.read_service(session, actor, code)


@router.get("/cases/{case_id}/evidence", response_model=list[evidence.EvidenceOut])
def case_evidence(case_id: RecordId, session: SessionDep, actor: ActorDep):
    return evidence.case_evidence(session, actor, case_id)


@router.post("/cases/{case_id}/evidence/{item}", response_model=evidence.EvidenceOut)
def supply_evidence(case_id: RecordId, item: ItemPath, session: SessionDep, actor: ActorDep,
                    file: Annotated[UploadFile, File()]):
    content = file.file.read(evidence.MAX_UPLOAD + 1)  # a sync route: in the thread pool
    return evidence.supply(session, actor, case_id, item, file.filename, content)


@router.post("/permits/verify", response_model=permits.VerifyOut,
             response_model_exclude_none=True)
def verify_permit(body: VerifyIn, session: SessionDep):
    """Public: anyone holding a permit's QR text may check it (no login)."""
    return permits.verify(session, body.payload)
