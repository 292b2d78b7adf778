"""Housing tables: e-keys, lock vendors and devices, lock-event days and daily presence,
management tasks, the county housing policy, fee exemptions, statements and payments.

Raw lock events are not here: they live briefly as Parquet files, which are also the record of
which event ids are stored (see anju.housing.events; the former per-event `lock_event_seen` table
was dropped in migration 0004).

Tables that hold a person's data declare `__reach__`: which columns decide who reaches a row and
how the audit log names it, so `Access.select`/`Access.load` check and record their reads.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from anju.core.access import Reach
from anju.core.db import Base, utcnow


class EKey(Base):
    """An electronic key: one person, one room, a validity period. Issued on registration approval
    (or, where the county allows, provisionally on submission)."""

    __tablename__ = "ekeys"
    __reach__ = Reach(kind="ekey", division="division_code", person="person_code",
                      landlord="landlord_person_code", key="key_id")

    id: Mapped[int] = mapped_column(primary_key=True)
    key_id: Mapped[str] = mapped_column(String(24), unique=True)
    person_code: Mapped[str] = mapped_column(ForeignKey("persons.person_code"))
    room_id: Mapped[int] = mapped_column(ForeignKey("rooms.id"))
    registration_id: Mapped[int] = mapped_column(ForeignKey("registrations.id"))
    # Copied from the registration so reach checks need no join.
    division_code: Mapped[str] = mapped_column(String(12))
    landlord_person_code: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(16))  # tenant | provisional
    status: Mapped[str] = mapped_column(String(16), default="active")  # active | revoked
    valid_from: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date)
    issued_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)
    revoked_by: Mapped[str | None] = mapped_column(String(64))
    revoke_reason: Mapped[str | None] = mapped_column(String(32))
    revoke_note: Mapped[str | None] = mapped_column(String(200))

    __table_args__ = (
        Index("ix_ekeys_person", "person_code", "status"),
        Index("ix_ekeys_room", "room_id", "status"),
        Index("ix_ekeys_registration", "registration_id"),
        Index("ix_ekeys_division", "division_code", "status"),
        Index("ix_ekeys_landlord", "landlord_person_code", "status"),
    )


class LockVendor(Base):
    """A smart-lock vendor pushing events; its HMAC secret is kept SM4-encrypted."""

    __tablename__ = "lock_vendors"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    secret_cipher: Mapped[str] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Lock(Base):
    """A lock device on a room, known by the vendor's device id."""

    __tablename__ = "locks"

    id: Mapped[int] = mapped_column(primary_key=True)
    vendor_id: Mapped[int] = mapped_column(ForeignKey("lock_vendors.id"))
    lock_id: Mapped[str] = mapped_column(String(64))
    room_id: Mapped[int] = mapped_column(ForeignKey("rooms.id"), index=True)
    division_code: Mapped[str] = mapped_column(String(12), index=True)
    landlord_person_code: Mapped[str] = mapped_column(String(16))
    installed_on: Mapped[date] = mapped_column(Date)
    registered_by: Mapped[str] = mapped_column(String(64))

    __table_args__ = (UniqueConstraint("vendor_id", "lock_id", name="uq_locks_vendor_lock"),)


class LockEventDay(Base):
    """One row per day that has raw events: when events last arrived and when it was reduced."""

    __tablename__ = "lock_event_days"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    last_ingest_at: Mapped[datetime] = mapped_column(DateTime)
    reduced_at: Mapped[datetime | None] = mapped_column(DateTime)
    raw_deleted_at: Mapped[datetime | None] = mapped_column(DateTime)


class LockPresence(Base):
    """Daily presence per key and room: all that remains of lock events after retention."""

    __tablename__ = "lock_presence"

    key_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    room_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    opens: Mapped[int] = mapped_column(Integer)

    __table_args__ = (Index("ix_lock_presence_room_day", "room_id", "day"),
                      Index("ix_lock_presence_day", "day"))


class HousingTask(Base):
    """A management task for the grid worker of a community. Never decides about a person."""

    __tablename__ = "housing_tasks"
    __reach__ = Reach(kind="housing_task", division="division_code", person="person_code")

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    # What the task is about, e.g. "suspected_move_out:K…" — one open task per subject.
    subject: Mapped[str] = mapped_column(String(80))
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | resolved | dismissed
    division_code: Mapped[str] = mapped_column(String(12))
    room_id: Mapped[int | None] = mapped_column(ForeignKey("rooms.id"))
    person_code: Mapped[str | None] = mapped_column(String(16))
    key_id: Mapped[str | None] = mapped_column(String(24))
    registration_id: Mapped[int | None] = mapped_column(Integer)
    detail: Mapped[dict | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    due_on: Mapped[date | None] = mapped_column(Date)
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime)
    resolved_by: Mapped[str | None] = mapped_column(String(64))
    outcome: Mapped[str | None] = mapped_column(String(32))
    note: Mapped[str | None] = mapped_column(String(500))

    __table_args__ = (Index("ix_housing_tasks_division", "division_code", "status"),
                      Index("ix_housing_tasks_subject", "subject", "status"))


class HousingPolicy(Base):
    """The county's housing settings (fee, provisional keys, task thresholds); defaults in rules."""

    __tablename__ = "housing_policies"

    county_code: Mapped[str] = mapped_column(String(6), primary_key=True)
    monthly_fee_fen: Mapped[int | None] = mapped_column(Integer)
    provisional_key_days: Mapped[int] = mapped_column(Integer)
    silent_days: Mapped[int] = mapped_column(Integer)
    unregistered_days: Mapped[int] = mapped_column(Integer)
    reminder_days: Mapped[int] = mapped_column(Integer)
    permit_grace_days: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    updated_by: Mapped[str] = mapped_column(String(64))


class FeeExemption(Base):
    """A person the civil-affairs extract lists as 低保 or 特困, by the keyed hash of their ID
    number (the same lookup hash as persons.id_hash): no ID number in clear."""

    __tablename__ = "fee_exemptions"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    category: Mapped[str] = mapped_column(String(16))  # dibao | tekun
    source: Mapped[str] = mapped_column(String(200))
    imported_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class FeeStatement(Base):
    """The service fee of one tenancy for one month."""

    __tablename__ = "fee_statements"
    __reach__ = Reach(kind="fee_statement", division="division_code", person="person_code",
                      landlord="landlord_person_code")

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(ForeignKey("registrations.id"))
    month: Mapped[str] = mapped_column(String(7))  # YYYY-MM
    person_code: Mapped[str] = mapped_column(String(16))
    room_id: Mapped[int] = mapped_column(Integer)
    division_code: Mapped[str] = mapped_column(String(12))
    landlord_person_code: Mapped[str] = mapped_column(String(16))
    fee_fen: Mapped[int] = mapped_column(Integer)  # the county fee before exemption
    amount_fen: Mapped[int] = mapped_column(Integer)  # what is due
    exemption: Mapped[str | None] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))  # due | paid | exempt
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    __table_args__ = (
        UniqueConstraint("registration_id", "month", name="uq_fee_statements_registration_month"),
        Index("ix_fee_statements_person", "person_code", "month"),
        Index("ix_fee_statements_landlord", "landlord_person_code", "month"),
    )


class FeePayment(Base):
    __tablename__ = "fee_payments"

    id: Mapped[int] = mapped_column(primary_key=True)
    statement_id: Mapped[int] = mapped_column(ForeignKey("fee_statements.id"), index=True)
    amount_fen: Mapped[int] = mapped_column(Integer)
    reference: Mapped[str] = mapped_column(String(64), unique=True)
    method: Mapped[str] = mapped_column(String(16))
    paid_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    recorded_by: Mapped[str] = mapped_column(String(64))


class AssistConsent(Base):
    """A landlord's consent that one grid worker acts for them (assisted mode): who consented,
    how (a signed paper form and its reference, or in person with a note of where and who was
    present), when, and until when. The landlord or the worker may withdraw it."""

    __tablename__ = "housing_assist_consents"
    # about the landlord: a read shows in their access log
    __reach__ = Reach(kind="assist_consent", division="division_code",
                      person="landlord_person_code")

    id: Mapped[int] = mapped_column(primary_key=True)
    landlord_person_code: Mapped[str] = mapped_column(ForeignKey("persons.person_code"))
    division_code: Mapped[str] = mapped_column(String(12))  # the worker's jurisdiction
    grid_worker: Mapped[str] = mapped_column(String(64))  # the account it was given to
    method: Mapped[str] = mapped_column(String(16))  # paper_form | in_person
    reference: Mapped[str] = mapped_column(String(200))
    consented_at: Mapped[datetime] = mapped_column(DateTime)
    valid_until: Mapped[date] = mapped_column(Date)
    recorded_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    withdrawn_at: Mapped[datetime | None] = mapped_column(DateTime)
    withdrawn_by: Mapped[str | None] = mapped_column(String(64))

    __table_args__ = (Index("ix_housing_assist_consents_landlord", "landlord_person_code"),
                      Index("ix_housing_assist_consents_division", "division_code"))


class AssistAction(Base):
    """One thing a grid worker did for a landlord under a consent (also in the audit chain)."""

    __tablename__ = "housing_assist_actions"
    __reach__ = Reach(kind="assist_action", division="division_code",
                      person="landlord_person_code")

    id: Mapped[int] = mapped_column(primary_key=True)
    consent_id: Mapped[int] = mapped_column(ForeignKey("housing_assist_consents.id"), index=True)
    landlord_person_code: Mapped[str] = mapped_column(String(16), index=True)
    division_code: Mapped[str] = mapped_column(String(12), index=True)
    grid_worker: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(32))  # house.create | registration.submit | …
    object_type: Mapped[str] = mapped_column(String(32))
    object_id: Mapped[str] = mapped_column(String(64))
    done_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
