"""Request and response models of the registry API (and the pages' forms)."""
from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from anju.core.inputs import choice
from anju.core.types import RecordId, Timestamp
from anju.registry.rules import (
    REASON_WORDS,
    SEX_WORDS,
    STATUS_WORDS,
    Reason,
    RegistrationStatus,
    Sex,
)

# Enumerated inputs: the code, the English key or the Chinese label (务工, 男, 待审核 …).
ReasonIn = choice(Reason, REASON_WORDS, what="residence reason")
SexIn = choice(Sex, SEX_WORDS, what="sex")
StatusIn = choice(RegistrationStatus, STATUS_WORDS, what="registration status")


class PersonIn(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=64)
    id_number: str = Field(min_length=1, max_length=40)
    sex: SexIn | None = Field(None, description="must agree with the ID number")
    birth_date: date | None = Field(None, description="must agree with the ID number")
    phone: str | None = Field(None, max_length=20)
    hukou_address: str | None = Field(None, max_length=200)


class PersonView(BaseModel):
    """A person as one purpose may see them: fields the purpose does not allow are absent."""

    person_code: str
    name: str | None = None
    id_number: str | None = None
    id_number_masked: bool | None = None
    sex: str | None = None
    birth_date: date | None = None
    phone: str | None = None
    hukou_address: str | None = None
    hukou_division_code: str | None = None
    division_code: str | None = None
    status: str | None = None
    purpose: str | None = None
    existing: bool | None = None
    warnings: list[dict] | None = None


class RoomIn(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)

    label: str = Field(min_length=1, max_length=32)
    capacity: int = Field(ge=1, le=200)


class HouseIn(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)

    address: str = Field(min_length=2, max_length=200)
    division_code: str = Field(min_length=2, max_length=12)
    landlord_person_code: str = Field(min_length=1, max_length=16)
    rooms: list[RoomIn] = Field(min_length=1, max_length=500)


class HouseUpdateIn(BaseModel):
    """A correction of a house: only the fields given change."""

    model_config = ConfigDict(str_strip_whitespace=True)

    address: str | None = Field(None, min_length=2, max_length=200)
    division_code: str | None = Field(None, min_length=2, max_length=12)


class RoomUpdateIn(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)

    label: str | None = Field(None, min_length=1, max_length=32)
    capacity: int | None = Field(None, ge=1, le=200)


class RoomOut(BaseModel):
    room_id: int
    label: str
    capacity: int
    occupants: int | None = None


class HouseOut(BaseModel):
    house_id: int
    address: str
    division_code: str
    division_name: str | None = None
    landlord_person_code: str | None = None  # not told to a tenant
    rooms: list[RoomOut]


class RegistrationIn(BaseModel):
    person_code: str = Field(min_length=1, max_length=16)
    room_id: RecordId
    start_date: date
    reason: ReasonIn


class EndIn(BaseModel):
    end_date: date


class RejectIn(BaseModel):
    reason: str = Field(min_length=2, max_length=200)


class RegistrationOut(BaseModel):
    """A registration as the reader's purpose shows it: fields it does not allow are absent
    (room and address need the purpose to include where the person lives)."""

    registration_id: int
    person_code: str
    room_id: int | None = None
    division_code: str
    start_date: date
    end_date: date | None
    reason: str
    status: str
    rejection_reason: str | None = None
    decided_by: str | None = None
    decided_at: Timestamp | None = None
    submitted_at: Timestamp | None = None
    warnings: list[dict] = []
    # Shown in queues so an officer knows who is asking, masked to the purpose.
    person_name: str | None = None
    address: str | None = None
    room_label: str | None = None


class EligibilityOut(BaseModel):
    person_code: str
    eligible: bool
    eligible_from: date | None
    reasons_zh: list[str]
    reasons_en: list[str]


class PermitOut(BaseModel):
    permit_number: str
    person_code: str
    issued_on: date
    valid_until: date
    status: str  # valid | expired | revoked
    endorsements: list[date] = []
    # the electronic permit: the signed text its QR code encodes (a valid permit only)
    qr_payload: str | None = None

