"""Registry tables: persons, houses and rooms, residence registrations, residence permits.

Each table a person's data lives in declares its `__reach__` (anju.core.access.Reach): the columns
that decide who reaches a row, and how the audit log names it. `Access.select`, `Access.load` and
`Access.restrict_model` read it, so a listing is restricted and audited the same way everywhere.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from anju.core.access import Reach
from anju.core.db import Base, utcnow


class Person(Base):
    __tablename__ = "persons"
    # A landlord also reaches their approved tenants: no column says so, the registry's services
    # pass it (service.persons.landlord_reach).
    __reach__ = Reach(kind="person", division="division_code", person="person_code",
                      key="person_code")

    id: Mapped[int] = mapped_column(primary_key=True)
    person_code: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(64))
    # The ID number is never stored in clear: SM4 ciphertext, and a keyed SM3 hash for lookup.
    id_cipher: Mapped[str] = mapped_column(Text)
    id_hash: Mapped[str] = mapped_column(String(64), unique=True)
    sex: Mapped[str] = mapped_column(String(1))
    birth_date: Mapped[date] = mapped_column(Date)
    phone: Mapped[str | None] = mapped_column(String(20))
    hukou_address: Mapped[str | None] = mapped_column(String(200))
    hukou_division_code: Mapped[str | None] = mapped_column(String(12))
    # Managing division: where the person lives for access purposes. Drives jurisdiction checks.
    # It is the division of their latest *approved* registration, else `base_division_code`;
    # only approving, rejecting or ending a registration changes it (never submitting one), so
    # nobody brings a person into their reach by a write of their own (registry.service).
    division_code: Mapped[str] = mapped_column(String(12), index=True)
    # Where the person belongs when no approved registration places them: the jurisdiction of
    # the office that first recorded them (or the division a bulk load gave).
    base_division_code: Mapped[str] = mapped_column(String(12))
    status: Mapped[str] = mapped_column(String(16), default="active")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class House(Base):
    __tablename__ = "houses"
    # Reading a house reads its landlord's data (the services audit it against them), but the
    # landlord is no `person` here: a resident's own reach of a house is the one they live in,
    # which only their registration says.
    __reach__ = Reach(kind="house", division="division_code", landlord="landlord_person_code")

    id: Mapped[int] = mapped_column(primary_key=True)
    address: Mapped[str] = mapped_column(String(200))
    division_code: Mapped[str] = mapped_column(String(12), index=True)
    landlord_person_code: Mapped[str] = mapped_column(ForeignKey("persons.person_code"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Room(Base):
    __tablename__ = "rooms"

    id: Mapped[int] = mapped_column(primary_key=True)
    house_id: Mapped[int] = mapped_column(ForeignKey("houses.id"), index=True)
    label: Mapped[str] = mapped_column(String(32))
    capacity: Mapped[int] = mapped_column(Integer)
    # A removed room keeps its row for the registrations, keys and fees that name it; it is no
    # longer listed, offered or registered into. Adding its label again brings it back.
    removed_at: Mapped[datetime | None] = mapped_column(DateTime)

    __table_args__ = (UniqueConstraint("house_id", "label", name="uq_rooms_house_label"),)


class Registration(Base):
    __tablename__ = "registrations"
    __reach__ = Reach(kind="registration", division="division_code", person="person_code",
                      landlord="landlord_person_code")

    id: Mapped[int] = mapped_column(primary_key=True)
    person_code: Mapped[str] = mapped_column(ForeignKey("persons.person_code"))
    room_id: Mapped[int] = mapped_column(ForeignKey("rooms.id"))
    # Copied from the house so jurisdiction filters need no join.
    division_code: Mapped[str] = mapped_column(String(12))
    landlord_person_code: Mapped[str] = mapped_column(String(16))
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="submitted")
    rejection_reason: Mapped[str | None] = mapped_column(String(200))
    submitted_by: Mapped[str] = mapped_column(String(64))
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    __table_args__ = (
        Index("ix_registrations_person", "person_code", "status"),
        Index("ix_registrations_room", "room_id", "status"),
        Index("ix_registrations_division", "division_code", "status"),
        Index("ix_registrations_landlord", "landlord_person_code", "status"),
    )


class Permit(Base):
    """A residence permit (居住证): valid one year at a time, renewed by annual endorsement."""

    __tablename__ = "permits"
    __reach__ = Reach(kind="permit", division="division_code", person="person_code",
                      key="permit_number")

    id: Mapped[int] = mapped_column(primary_key=True)
    permit_number: Mapped[str] = mapped_column(String(24), unique=True)
    person_code: Mapped[str] = mapped_column(ForeignKey("persons.person_code"), index=True)
    registration_id: Mapped[int] = mapped_column(ForeignKey("registrations.id"))
    division_code: Mapped[str] = mapped_column(String(12), index=True)
    issued_on: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="valid")  # valid | revoked
    issued_by: Mapped[str] = mapped_column(String(64))


class PermitEndorsement(Base):
    __tablename__ = "permit_endorsements"

    id: Mapped[int] = mapped_column(primary_key=True)
    permit_id: Mapped[int] = mapped_column(ForeignKey("permits.id"), index=True)
    endorsed_on: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date] = mapped_column(Date)
    endorsed_by: Mapped[str] = mapped_column(String(64))


class PermitSerial(Base):
    """Next permit serial per county and year, taken under a row lock."""

    __tablename__ = "permit_serials"

    county_year: Mapped[str] = mapped_column(String(10), primary_key=True)
    last_serial: Mapped[int] = mapped_column(Integer, default=0)
