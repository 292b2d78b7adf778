"""Request and response models of cases (the API's and the pages' shapes)."""
from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from anju.core.types import Timestamp

ConsentMethod = Literal["paper_form", "in_person"]
CONSENT_METHODS = {"paper_form": ("书面同意书", "signed paper form"),
                   "in_person": ("当面口头同意", "in person")}


class ConsentIn(BaseModel):
    """At a window: how the person consented to the clerk opening the case for them."""

    model_config = ConfigDict(str_strip_whitespace=True)

    method: ConsentMethod
    reference: str | None = Field(None, max_length=64,
                                  description="the paper form's number, if any")


class CaseIn(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)

    service_code: str = Field(min_length=1, max_length=40)
    person_code: str | None = Field(None, max_length=16,
                                    description="the applicant; a resident's own by default")
    form: dict[str, str | int | float | None] = Field(default_factory=dict)
    consent: ConsentIn | None = Field(None, description="required when a window clerk opens it")


class ReasonBody(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)

    reason: str = Field(min_length=2, max_length=500)


class SupplementIn(BaseModel):
    form: dict[str, str | int | float | None] = Field(default_factory=dict)
    note: str | None = Field(None, max_length=500)


class DecideIn(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)

    decision: Literal["approved", "rejected"]
    reason: str | None = Field(None, max_length=500)


class TransferIn(BaseModel):
    department: str = Field(min_length=1, max_length=32)
    reason: str | None = Field(None, max_length=500)


class EvidenceOut(BaseModel):
    item: str
    source: str
    obtained_on: date | None = None
    supplied_by_applicant: bool = False


class HistoryOut(BaseModel):
    at: Timestamp
    action: str
    status: str
    by_role: str
    department: str | None = None
    detail: dict | None = None


class ApprovalOut(BaseModel):
    step: str
    department: str
    status: str
    decided_at: Timestamp | None = None


class CaseOut(BaseModel):
    case_id: int
    service_code: str
    person_code: str
    applicant_name: str | None = None  # masked for staff
    department: str
    provider_code: str | None = None
    division_code: str
    status: str
    channel: str
    submitted_at: Timestamp
    accepted_on: date | None = None
    due_date: date | None = None
    working_days_left: int | None = None
    paused_working_days: int = 0
    warning: Literal["none", "yellow", "red"] = "none"
    provisional_calendar: bool = False
    decision_reason: str | None = None
    form: dict | None = None
    evidence: list[EvidenceOut] = Field(default_factory=list)
    approvals: list[ApprovalOut] = Field(default_factory=list)
    history: list[HistoryOut] = Field(default_factory=list)


class CaseRow(BaseModel):
    """A case in a list (a queue, my cases, the overdue view)."""

    case_id: int
    service_code: str
    person_code: str
    applicant_name: str | None = None
    department: str
    division_code: str
    status: str
    submitted_at: Timestamp
    due_date: date | None = None
    working_days_left: int | None = None
    warning: Literal["none", "yellow", "red"] = "none"
    provisional_calendar: bool = False
    escalated: bool = False


class ApplicantOut(BaseModel):
    """A person found at a window (name masked): enough to open a case for them."""

    person_code: str
    name: str


class CountRow(BaseModel):
    department: str
    service_code: str
    open: int
    overdue: int
    decided: int
    decided_on_time: int
    decided_late: int


class SweepOut(BaseModel):
    checked: int
    due_soon: int
    overdue: int
    escalated: int
    refreshed: int
