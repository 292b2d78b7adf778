"""Request and response models of the points, school-places and eligibility routes."""
from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from anju.core.types import RecordId

Text = Annotated[str, Field(min_length=1, max_length=500)]


class EvidenceOut(BaseModel):
    item: str
    fact: str
    source: str
    obtained_on: date | None = None


class PointsItemOut(BaseModel):
    indicator: str
    name_zh: str
    name_en: str
    category: str
    points: int
    vetoing: bool
    rule: str
    cap: int | None = None
    evidence: list[EvidenceOut]


class GainEvidenceOut(BaseModel):
    item: str
    source: str
    name_zh: str
    name_en: str


class GainOut(BaseModel):
    indicator: str
    name_zh: str
    name_en: str
    points: int
    at_most: int | None = None
    evidence: list[GainEvidenceOut]


class PointsOut(BaseModel):
    result_id: int
    person_code: str
    scheme_code: str
    scheme_version: str
    scheme_name_zh: str
    scheme_name_en: str
    standard: int | None = None
    on: date
    total: int
    vetoed: bool
    items: list[PointsItemOut]
    reason: str
    computed_at: str | None = None
    could_gain: list[GainOut]


class EvidenceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    fact: Annotated[str, Field(min_length=1, max_length=40)]
    value: bool | int | Annotated[str, Field(max_length=40)]
    source: Annotated[str, Field(pattern=r"^(upload|gongan|exchange:[a-z]{2,20})$")]
    obtained_on: date


class EvidenceRecordedOut(BaseModel):
    evidence_id: int
    fact: str
    source: str
    obtained_on: date


class AppealIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    result_id: RecordId
    indicator: Annotated[str, Field(min_length=1, max_length=40)]
    reason: Text


class AppealOut(BaseModel):
    appeal_id: int
    case_id: int
    status: str
    indicator: str


class ReopenOut(BaseModel):
    appeal_id: int
    status: str
    previous: PointsOut
    result: PointsOut


class SchoolOut(BaseModel):
    school_id: str
    name_zh: str
    name_en: str
    catchment: list[str]
    capacity: int
    lat: float
    lon: float
    version: str


class SeedIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    year: Annotated[int, Field(ge=2000, le=2100)]
    seed: Annotated[int, Field(ge=0, le=2**31 - 1)]


class RunOut(BaseModel):
    year: int
    seed: int
    status: str
    schools_version: str
    published_at: str | None = None
    ran_at: str | None = None
    inputs: list[dict]


class SchoolName(BaseModel):
    zh: str
    en: str


class PlacementOut(BaseModel):
    case_id: int
    person_code: str
    year: int
    seed: int
    school_id: str | None = None
    school: SchoolName | None = None
    round: str
    rank: int
    points: int
    catchment_school_id: str | None = None
    catchment_school: SchoolName | None = None
    catchment_rank: int | None = None
    catchment_cutoff: int | None = None
    distance_km: float | None = None


class ReasonIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Text


class CaseOpenedOut(BaseModel):
    case_id: int
    status: str


class AwarenessOut(BaseModel):
    service: str
    eligible: int
    notified: int
    awareness: float | None = None
    notices: int
    applied_after_notice: int
    notice_to_application: float | None = None
