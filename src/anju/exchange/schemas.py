"""Request and response models of the exchange API (and the pages)."""
from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from anju.core.errors import RowError
from anju.core.inputs import choice
from anju.core.types import RecordId, Timestamp
from anju.exchange.rules import DATASET_WORDS, DECISION_WORDS, Dataset, ReviewDecision

# Enumerated inputs: the code, the English key or the Chinese label (是同一人 …).
DecisionIn = choice(ReviewDecision, DECISION_WORDS, what="review decision")
DatasetIn = choice(Dataset, DATASET_WORDS, what="dataset")


class ImportReportOut(BaseModel):
    import_id: int
    department: str
    file_name: str
    status: Literal["imported", "unchanged", "running", "failed"] = Field(
        description="imported: finished now or before; unchanged: this file was imported "
                    "before (its first report); running: records are still being linked "
                    "(figures so far); failed: stopped, see the job's reason")
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
    created_at: Timestamp
    errors: list[RowError] | None = Field(
        None, description="each rejected value or row: `row` 1-based in the file's data (0: "
                          "the header), `field` the standard field (\"*\": the whole row)")


class ImportJobOut(BaseModel):
    """A department import running (or run) as a background job: `POST /imports` answers this
    with 202; poll `status_url` until `state` is finished or failed."""

    job_id: int = Field(description="the import's id; also its report's id when finished")
    state: Literal["running", "finished", "failed", "interrupted"] = Field(
        description="running; finished (see report); failed (see reason); interrupted (the "
                    "server stopped mid-import: upload the same file again to resume after the "
                    "last committed batch)")
    department: str
    file_name: str
    rows_total: int = Field(description="records read from the file (0 until it is read)")
    rows_done: int = Field(description="records stored and linked so far")
    reason_zh: str | None = None
    reason_en: str | None = None
    status_url: str
    started_at: Timestamp
    finished_at: Timestamp | None = None
    report: ImportReportOut | None = None


class ProvenanceOut(BaseModel):
    department: str
    source_record: int
    as_of: date


class SourceRecordOut(BaseModel):
    """A department record as the reader's purpose shows it (a data steward's: ID and phone
    masked)."""

    source_id: int
    department: str
    source_record_id: str
    as_of: date
    id_valid: bool
    golden_id: int
    name: str | None = None
    id_number: str | None = None
    sex: str | None = None
    birth_date: str | None = None
    phone: str | None = None
    hukou_address: str | None = None
    current_address: str | None = None
    employer: str | None = None


class GoldenOut(BaseModel):
    golden_id: int
    person_code: str | None
    registered: bool
    division_code: str
    merged_into: int | None
    fields: dict[str, object]  # the steward's purpose: ID number and phone masked
    provenance: dict[str, ProvenanceOut]
    sources: list[SourceRecordOut]


class ReviewPairOut(BaseModel):
    pair_id: int
    weight: float
    status: str
    left: SourceRecordOut
    right: SourceRecordOut
    decided_by: str | None = None
    decided_at: Timestamp | None = None


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
    created_at: Timestamp


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
    created_at: Timestamp


class DeliveryOut(BaseModel):
    request_id: int
    purpose: str
    records: list[dict]
