"""Request and response models of the exchange API (and the pages)."""
from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from anju.core.inputs import choice
from anju.exchange.rules import DATASET_WORDS, DECISION_WORDS, Dataset, ReviewDecision

RecordId = Annotated[int, Field(ge=1, le=2_147_483_647)]
# Enumerated inputs: the code, the English key or the Chinese label (是同一人 …).
DecisionIn = choice(ReviewDecision, DECISION_WORDS, what="review decision")
DatasetIn = choice(Dataset, DATASET_WORDS, what="dataset")


class RowErrorOut(BaseModel):
    row: int
    field: str
    code: str
    reason_zh: str
    reason_en: str


class ImportReportOut(BaseModel):
    import_id: int
    department: str
    file_name: str
    status: Literal["imported", "unchanged"]
    as_of: date
    rows: int
    new_records: int
    updated_records: int
    unchanged_records: int
    error_count: int
    linked: dict[str, int] = Field(
        description="new records by how they were linked: exact_id (an ID already in the hub), "
                    "registry (a registry person), matched (real-time matcher), review "
                    "(uncertain: new identity plus a review pair), new (new identity)")
    imported_by: str
    created_at: datetime
    errors: list[RowErrorOut] | None = None


class ProvenanceOut(BaseModel):
    department: str
    source_record: int
    as_of: date


class SourceRecordOut(BaseModel):
    """A department record as a data steward sees it: ID masked."""

    source_id: int
    department: str
    source_record_id: str
    as_of: date
    name: str | None
    id_number: str | None  # masked
    id_valid: bool
    sex: str | None
    birth_date: str | None
    phone: str | None  # masked
    hukou_address: str | None
    current_address: str | None
    employer: str | None
    golden_id: int


class GoldenOut(BaseModel):
    golden_id: int
    person_code: str | None
    registered: bool
    division_code: str
    merged_into: int | None
    fields: dict[str, object]  # ID number masked
    provenance: dict[str, ProvenanceOut]
    sources: list[SourceRecordOut]


class ReviewPairOut(BaseModel):
    pair_id: int
    weight: float
    status: str
    left: SourceRecordOut
    right: SourceRecordOut
    decided_by: str | None = None
    decided_at: datetime | None = None


class ReviewDecisionIn(BaseModel):
    decision: DecisionIn


class ConflictOut(BaseModel):
    conflict_id: int
    golden_id: int
    field: str
    department: str
    source_record_id: str
    authority_department: str
    status: str
    created_at: datetime


class RateOut(BaseModel):
    key: str
    records: int  # department: its records; field: records holding a value for it
    conflicts: int
    rate: float


class ConflictSummaryOut(BaseModel):
    records: int
    golden_records: int
    duplicate_rate: float  # share of records that describe a person another record describes
    records_in_conflict: int
    conflict_rate: float
    by_department: list[RateOut]
    by_field: list[RateOut]


class SubscribeIn(BaseModel):
    golden_ids: list[RecordId] = Field(default_factory=list, max_length=1000)
    served: bool = Field(False, description="subscribe to every person this department's "
                                            "records describe, within your jurisdiction")


class SubscriptionsOut(BaseModel):
    department: str
    added: int
    total: int


class FeedOut(BaseModel):
    department: str
    purpose: str
    cursor: int
    next_cursor: int
    items: list[dict]


class DataRequestIn(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)

    dataset: DatasetIn = Field(
        description="served: persons this department's records describe; all: every person in "
                    "your jurisdiction")
    purpose: str = Field(min_length=4, max_length=500)


class DataRequestDecisionIn(BaseModel):
    approve: bool
    expires_on: date | None = Field(None, description="required when approving; after this day "
                                                      "the approval delivers nothing")


class DataRequestOut(BaseModel):
    request_id: int
    department: str
    dataset: str
    purpose: str
    division_code: str
    status: str
    requested_by: str
    decided_by: str | None
    expires_on: date | None
    expired: bool
    created_at: datetime


class DeliveryOut(BaseModel):
    request_id: int
    purpose: str
    records: list[dict]
