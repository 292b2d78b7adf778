"""Request and response models of the housing API (and the pages)."""
from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from anju.core.errors import RowError
from anju.core.inputs import choice
from anju.core.types import Timestamp
from anju.housing.rules import (
    CONSENT_METHOD_WORDS,
    OUTCOME_WORDS,
    TASK_KIND_WORDS,
    ConsentMethod,
    Outcome,
    TaskKind,
)

# Enumerated inputs: the code, the English key or the Chinese label (已搬离, 书面同意书 …).
OutcomeIn = choice(Outcome, OUTCOME_WORDS, what="task outcome")
TaskKindIn = choice(TaskKind, TASK_KIND_WORDS, what="task kind")
ConsentMethodIn = choice(ConsentMethod, CONSENT_METHOD_WORDS, what="how consent was given")


class KeyOut(BaseModel):
    """An e-key; room and address only to a reader whose purpose includes where people live."""

    key_id: str
    person_code: str
    room_id: int | None = None
    registration_id: int
    kind: str  # tenant | provisional
    status: str  # active | revoked | expired
    valid_from: date
    valid_until: date | None
    issued_at: Timestamp
    revoked_at: Timestamp | None = None
    revoke_reason: str | None = None
    revoke_reason_zh: str | None = None
    address: str | None = None
    room_label: str | None = None
    person_name: str | None = None  # masked


class RevokeIn(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)

    note: str = Field(min_length=2, max_length=200, description="why the key is taken back")


class LockIn(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)

    lock_id: str = Field(min_length=1, max_length=64)
    vendor: str = Field(min_length=1, max_length=64)
    room_id: int


class LockOut(BaseModel):
    lock_id: str
    vendor: str
    room_id: int
    installed_on: date


class IngestOut(BaseModel):
    received: int
    new: int
    duplicate: int
    stale: int = Field(0, description="events older than the raw-retention window; not stored")


class TaskOut(BaseModel):
    task_id: int
    kind: str
    kind_zh: str
    status: str
    division_code: str
    division_name: str | None = None
    room_id: int | None = None
    address: str | None = None
    room_label: str | None = None
    person_code: str | None = None
    person_name: str | None = None  # masked
    key_id: str | None = None
    registration_id: int | None = None
    detail: dict | None = None
    created_at: Timestamp
    due_on: date | None = None
    outcome: str | None = None


class TaskCount(BaseModel):
    division_code: str
    division_name: str | None
    open: int
    by_kind: dict[str, int]


class ResolveIn(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)

    outcome: OutcomeIn = Field(description="suspected_move_out: moved_out | still_living; "
                         "unregistered_occupant: registered | no_extra_occupant; "
                         "permit_expiring: reminded | not_needed")
    note: str | None = Field(None, max_length=500)
    end_date: date | None = Field(None, description="moved_out: the day the tenant left "
                                  "(default today)")


class PolicyOut(BaseModel):
    county_code: str
    monthly_fee_fen: int | None
    provisional_key_days: int
    silent_days: int
    unregistered_days: int
    reminder_days: int
    permit_grace_days: int


class PaymentOut(BaseModel):
    amount_fen: int
    reference: str
    method: str
    paid_at: Timestamp


class StatementOut(BaseModel):
    statement_id: int
    month: str
    person_code: str
    room_id: int | None = None  # only to a reader whose purpose includes where people live
    registration_id: int
    fee_fen: int
    amount_fen: int
    paid_fen: int
    status: str  # due | paid | exempt
    exemption: str | None = None
    exemption_reason_zh: str | None = None
    exemption_reason_en: str | None = None
    payments: list[PaymentOut] = []
    address: str | None = None
    room_label: str | None = None
    person_name: str | None = None  # masked


class PaymentIn(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)

    amount_fen: int = Field(gt=0, le=10_000_000)
    reference: str = Field(min_length=4, max_length=64, description="the payment channel's "
                           "transaction id; a repeated reference is recorded once")
    method: str = Field("online", max_length=16)


class ImportReport(BaseModel):
    """What an import of the civil-affairs exemption list did. Each rejected row is an
    `anju.core.errors.RowError`: `row` is its 1-based number in the file's data (the header not
    counted), with `code`, `field`, `file` and the reason in both languages."""

    rows: int
    added: int
    changed: int
    unchanged: int
    errors: list[RowError]


class BillReport(BaseModel):
    month: str
    created: int
    exempt: int
    already: int
    newly_exempted: int


class DailyReport(BaseModel):
    days_reduced: int
    presence_rows: int
    raw_days_deleted: int
    keys_revoked: int
    tasks_opened: dict[str, int]


# --- assisted mode ---------------------------------------------------------------------------
class ConsentIn(BaseModel):
    """A landlord's consent, as the grid worker records it."""

    model_config = ConfigDict(str_strip_whitespace=True)

    landlord_person_code: str = Field(min_length=1, max_length=16)
    method: ConsentMethodIn
    # paper_form: the form's number/filing reference; in_person: where, and who was present
    reference: str = Field(min_length=2, max_length=200)
    consented_at: datetime
    valid_days: int = Field(default=7, ge=1, le=30)


class ConsentOut(BaseModel):
    consent_id: int
    landlord_person_code: str
    landlord_name: str | None = None
    grid_worker: str
    method: str
    reference: str
    consented_at: Timestamp
    valid_until: date
    recorded_at: Timestamp
    withdrawn_at: Timestamp | None = None
    withdrawn_by: str | None = None
    live: bool


class AssistActionOut(BaseModel):
    action_id: int
    consent_id: int
    landlord_person_code: str
    landlord_name: str | None = None
    grid_worker: str
    action: str
    object_type: str
    object_id: str
    done_at: Timestamp
    consent_method: str
    consent_reference: str


class AssistEndIn(BaseModel):
    end_date: date


class AssistRevokeIn(BaseModel):
    note: str = Field(min_length=2, max_length=200)
