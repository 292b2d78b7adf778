"""What the registry lets other domains read of its tables: rooms and where they lie, persons'
names and divisions, tenancies, permits — as plain values, never its table classes.

Other domains (housing today) import this module, never `anju.registry.models` (an
import-linter contract in .importlinter keeps it so). These functions check nothing and record
nothing: they answer the caller's question about ids the caller already has. The caller decides
whether its actor may see the answer and records that on the audit chain through its `Access`
(a name read here for a listing is audited by the caller's `Access.select` of the rows naming
the person). Every function that takes a set of ids runs in chunks of `CHUNK`, so a listing or a
daily job asks in a few bounded queries, never one per row.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from anju.registry.models import House, Permit, Person, Registration, Room
from anju.registry.rules import RegistrationStatus as RS

CHUNK = 5000  # ids per IN (...) list: well under SQLite's and PostgreSQL's parameter limits


def _chunks(values: Iterable, size: int = CHUNK) -> Iterator[list]:
    values = sorted(set(values))
    for i in range(0, len(values), size):
        yield values[i:i + size]


# --- what the registry announces (anju.core.events) -----------------------------------------------
class RegistrationFacts(Protocol):
    """What a listener of "registration.*" and "registrations.loaded" may read of the
    registration it is handed (the registry's row, or a bulk load's `Loaded`)."""

    id: int
    person_code: str
    room_id: int
    division_code: str
    landlord_person_code: str
    start_date: date
    end_date: date | None
    status: str


class HouseFacts(Protocol):
    """What a listener of "house.moved" may read of the house it is handed."""

    id: int
    division_code: str


# --- rooms and houses --------------------------------------------------------------------------
@dataclass(frozen=True)
class RoomPlace:
    """A room and the house it is in: where it lies, whose it is, how many it holds."""

    room_id: int
    house_id: int
    label: str
    capacity: int
    address: str
    division_code: str
    landlord_person_code: str


_PLACE = (Room.id, Room.house_id, Room.label, Room.capacity, House.address, House.division_code,
          House.landlord_person_code)


def room_place(session: Session, room_id: int) -> RoomPlace | None:
    row = session.execute(select(*_PLACE).join(House, House.id == Room.house_id)
                          .where(Room.id == room_id)).first()
    return RoomPlace(*row) if row else None


def room_places(session: Session, room_ids: Iterable[int | None]) -> dict[int, RoomPlace]:
    """Room id → its place, for the rooms of `room_ids` that exist."""
    out: dict[int, RoomPlace] = {}
    for chunk in _chunks(r for r in room_ids if r is not None):
        for row in session.execute(select(*_PLACE).join(House, House.id == Room.house_id)
                                   .where(Room.id.in_(chunk))):
            out[row[0]] = RoomPlace(*row)
    return out


def room_ids_of_house(session: Session, house_id: int) -> list[int]:
    """Every room of a house, removed ones included (keys and tasks may still name them)."""
    return list(session.execute(select(Room.id).where(Room.house_id == house_id)
                                .order_by(Room.id)).scalars())


def landlord_house_divisions(session: Session, landlord_code: str) -> list[str]:
    """The divisions where a person lets a house."""
    return list(session.execute(select(House.division_code).where(
        House.landlord_person_code == landlord_code).distinct()).scalars())


def room_divisions():
    """Room id → the division of its house, as a subquery (columns `room_id`, `division_code`)
    that a statistics export joins in SQL instead of asking room by room."""
    return (select(Room.id.label("room_id"), House.division_code)
            .join(House, House.id == Room.house_id).subquery("room_divisions"))


# --- persons -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PersonPlace:
    """A person's name and the division by which access to them is decided."""

    person_code: str
    name: str
    division_code: str


def person_place(session: Session, person_code: str) -> PersonPlace | None:
    row = session.execute(select(Person.person_code, Person.name, Person.division_code)
                          .where(Person.person_code == person_code)).first()
    return PersonPlace(*row) if row else None


def person_names(session: Session, person_codes: Iterable[str | None]) -> dict[str, str]:
    """Person code → name (not masked: the caller shows it as its actor's purpose allows)."""
    out: dict[str, str] = {}
    for chunk in _chunks(c for c in person_codes if c):
        out.update(session.execute(select(Person.person_code, Person.name)
                                   .where(Person.person_code.in_(chunk))).all())
    return out


def person_codes_by_id_hash(session: Session, id_hashes: Iterable[str]) -> dict[str, str]:
    """ID-number lookup hash → person code, for the hashes that name a recorded person (a
    department's list keyed by the same hash, such as the civil-affairs exemption list)."""
    out: dict[str, str] = {}
    for chunk in _chunks(id_hashes):
        out.update(session.execute(select(Person.id_hash, Person.person_code)
                                   .where(Person.id_hash.in_(chunk))).all())
    return out


# --- registrations -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Tenancy:
    """A residence registration as another domain needs it (the shape of `RegistrationFacts`)."""

    id: int
    person_code: str
    room_id: int
    division_code: str
    landlord_person_code: str
    start_date: date
    end_date: date | None
    status: str


_TENANCY = (Registration.id, Registration.person_code, Registration.room_id,
            Registration.division_code, Registration.landlord_person_code,
            Registration.start_date, Registration.end_date, Registration.status)


def registration(session: Session, registration_id: int) -> Tenancy | None:
    row = session.execute(select(*_TENANCY).where(Registration.id == registration_id)).first()
    return Tenancy(*row) if row else None


def tenancies_covering(session: Session, first: date, last: date) -> list[Tenancy]:
    """Tenancies in force at some time between `first` and `last`: approved ones, and ended ones
    that had been approved (an ended submission never was a tenancy)."""
    rows = session.execute(select(*_TENANCY).where(
        or_(Registration.status == RS.APPROVED.value,
            and_(Registration.status == RS.ENDED.value, Registration.decided_at.is_not(None))),
        Registration.start_date <= last,
        or_(Registration.end_date.is_(None), Registration.end_date >= first))
        .order_by(Registration.id)).all()
    return [Tenancy(*row) for row in rows]


# --- permits -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ExpiringPermit:
    """A valid residence permit ending soon, with a current (approved) tenancy of its holder."""

    permit_number: str
    person_code: str
    valid_until: date
    registration_id: int
    room_id: int
    division_code: str


def permits_expiring(session: Session, start: date, end: date) -> list[ExpiringPermit]:
    """Valid permits whose validity ends between `start` and `end`, one row per approved
    registration of the holder (a holder with none is nobody's to remind here)."""
    rows = session.execute(
        select(Permit.permit_number, Permit.person_code, Permit.valid_until, Registration.id,
               Registration.room_id, Registration.division_code)
        .join(Registration, and_(Registration.person_code == Permit.person_code,
                                 Registration.status == RS.APPROVED.value))
        .where(Permit.status == "valid", Permit.valid_until >= start,
               Permit.valid_until <= end)
        .order_by(Permit.id, Registration.id)).all()
    return [ExpiringPermit(*row) for row in rows]


def lapsed_permit_holders(session: Session, lapsed_before: date,
                          person_codes: Iterable[str]) -> set[str]:
    """Of `person_codes`, those whose latest valid permit ended before `lapsed_before` (persons
    who never held a permit are not among them)."""
    out: set[str] = set()
    latest = func.max(Permit.valid_until)
    for chunk in _chunks(person_codes):
        out.update(session.execute(
            select(Permit.person_code).where(Permit.status == "valid",
                                             Permit.person_code.in_(chunk))
            .group_by(Permit.person_code).having(latest < lapsed_before)).scalars())
    return out


# --- evidence for a public-service case (anju.cases.service.evidence) ------------------------------
@dataclass(frozen=True)
class RegistryEvidence:
    """What the registry holds for one evidence field of a case, reduced to what the case needs
    (never the ID number, phone or full name), with the date it became true."""

    field: str
    value: object
    as_of: date


def registry_evidence(session: Session, person_code: str, field: str,
                      today: date) -> RegistryEvidence | None:
    """`field` is one of the catalogue's registry fields: "residence_spells" (approved residence
    registrations, their dates and reasons), "permit" (the valid permit held today), "identity"
    (the person is on the register: masked name and sex), "hukou" (place of household
    registration). None when the registry holds nothing for it."""
    from anju.core.crypto import mask_name

    if field == "residence_spells":
        rows = session.execute(select(Registration.start_date, Registration.end_date,
                                      Registration.reason, Registration.status).where(
            Registration.person_code == person_code,
            Registration.status.in_([RS.APPROVED.value, RS.ENDED.value]),
            Registration.decided_at.is_not(None)).order_by(Registration.start_date)).all()
        if not rows:
            return None
        spells = [{"from": r.start_date.isoformat(),
                   "to": r.end_date.isoformat() if r.end_date else None, "reason": r.reason,
                   "current": r.status == RS.APPROVED.value} for r in rows]
        return RegistryEvidence(field, spells, max(r.start_date for r in rows))
    if field == "permit":
        row = session.execute(select(Permit.permit_number, Permit.issued_on, Permit.valid_until)
                              .where(Permit.person_code == person_code, Permit.status == "valid",
                                     Permit.valid_until >= today)
                              .order_by(Permit.valid_until.desc()).limit(1)).first()
        if row is None:
            return None
        return RegistryEvidence(field, {"permit_number": row.permit_number,
                                        "valid_until": row.valid_until.isoformat()},
                                row.issued_on)
    person = session.execute(select(Person).where(Person.person_code == person_code)).scalar()
    if person is None:
        return None
    as_of = person.created_at.date() if person.created_at else today
    if field == "identity":
        return RegistryEvidence(field, {"name": mask_name(person.name), "sex": person.sex},
                                as_of)
    if field == "hukou" and (person.hukou_address or person.hukou_division_code):
        return RegistryEvidence(field, {"address": person.hukou_address,
                                        "division_code": person.hukou_division_code}, as_of)
    return None


@dataclass(frozen=True)
class PermitState:
    """A permit as a verifier needs it: whose, whether revoked, valid until when (endorsements
    move this later than a QR code printed before them says)."""

    permit_number: str
    person_code: str
    status: str
    valid_until: date


def permit_state(session: Session, permit_number: str) -> PermitState | None:
    row = session.execute(select(Permit.permit_number, Permit.person_code, Permit.status,
                                 Permit.valid_until)
                          .where(Permit.permit_number == permit_number)).first()
    return PermitState(*row) if row else None


# --- contact (the cases domain's notices) ----------------------------------------------------------
def person_phones(session: Session, person_codes: Iterable[str | None]) -> dict[str, str]:
    """Person code → mobile number, for the persons who gave one (an outbound notice's address;
    the caller sends to it and never shows it)."""
    out: dict[str, str] = {}
    for chunk in _chunks(c for c in person_codes if c):
        out.update(session.execute(select(Person.person_code, Person.phone).where(
            Person.person_code.in_(chunk), Person.phone.is_not(None))).all())
    return out


# --- residence facts (points and proactive eligibility in `cases`) ------------------------------
@dataclass(frozen=True)
class ResidenceFacts:
    """What the points scheme and the eligibility rules read of a person in the registry."""

    person_code: str
    division_code: str
    birth_date: date
    spells: tuple[tuple[date, date | None], ...]  # approved residence, (start, end) by start
    permit_valid_until: date | None  # the latest valid permit's end, if any


def residence_facts(session: Session, person_codes: Iterable[str]) -> dict[str, ResidenceFacts]:
    """Birth date, approved residence spells and permit validity of persons, in a few queries."""
    people: dict[str, list] = {}
    for chunk in _chunks(person_codes):
        for code, division, born in session.execute(select(
                Person.person_code, Person.division_code, Person.birth_date)
                .where(Person.person_code.in_(chunk))):
            people[code] = [division, born, [], None]
        for code, start, end in session.execute(select(
                Registration.person_code, Registration.start_date, Registration.end_date)
                .where(Registration.person_code.in_(chunk),
                       Registration.status.in_([RS.APPROVED.value, RS.ENDED.value]),
                       Registration.decided_at.is_not(None))
                .order_by(Registration.start_date)):
            people[code][2].append((start, end))
        for code, until in session.execute(select(Permit.person_code, func.max(Permit.valid_until))
                                           .where(Permit.person_code.in_(chunk),
                                                  Permit.status == "valid")
                                           .group_by(Permit.person_code)):
            people[code][3] = until
    return {code: ResidenceFacts(code, d, b, tuple(s), u) for code, (d, b, s, u) in people.items()}


def all_person_codes(session: Session) -> list[str]:
    """Every active person's code (the nightly eligibility run goes over everyone)."""
    return list(session.execute(select(Person.person_code).where(Person.status == "active")
                                .order_by(Person.person_code)).scalars())


# --- for the federation domain (signed exchange with other installations) -------------------------
def person_origins(session: Session, person_codes: Iterable[str]) -> dict[str, str | None]:
    """Person code → division code of the household registration (户籍地), for flow statistics."""
    out: dict[str, str | None] = {}
    for chunk in _chunks(person_codes):
        out.update(session.execute(select(Person.person_code, Person.hukou_division_code)
                                   .where(Person.person_code.in_(chunk))).all())
    return out


def person_facts(session: Session, person_code: str) -> dict | None:
    """A person's registry fields (field vocabulary of anju.core.policy; the ID number still
    encrypted as `id_cipher`), for a caller that filters them through its actor's purpose."""
    row = session.execute(select(Person).where(Person.person_code == person_code)).scalar()
    if row is None:
        return None
    return {"person_code": row.person_code, "name": row.name, "id_cipher": row.id_cipher,
            "sex": row.sex, "birth_date": row.birth_date.isoformat(), "phone": row.phone,
            "hukou_address": row.hukou_address, "hukou_division_code": row.hukou_division_code,
            "division_code": row.division_code, "status": row.status}


def person_identities(session: Session, exclude: Iterable[str] = ()) -> list[tuple[str, str]]:
    """(person code, encrypted ID number) of every person not in `exclude`: a peer's link index
    is built from them (the ID numbers are hashed under the agreed key, never shown)."""
    skip = set(exclude)
    rows = session.execute(select(Person.person_code, Person.id_cipher)).all()
    return [(code, cipher) for code, cipher in rows if code not in skip]
