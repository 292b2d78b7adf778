"""Residence registrations: submit, approve or return, end, read and list them.

Where a person lives for access purposes follows approved registrations only (`settle_division`):
a submission brings nobody into anyone's reach. Reads go through `Access.touch` (one
registration) and `Access.select` (a listing), which check the reach and write the audit entries.
"""
from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

from sqlalchemy import bindparam, func, insert, literal_column, select
from sqlalchemy.orm import Session

from anju.core import clock, divisions, idnumber
from anju.core.access import Access, not_found, shown
from anju.core.audit import AuditEvent
from anju.core.config import get_settings
from anju.core.db import HotStatement, utcnow
from anju.core.errors import Conflict
from anju.core.events import emit
from anju.core.idempotency import run_once
from anju.core.paging import MAX_LIMIT, Page
from anju.core.policy import ADDRESS, Action, Actor, is_allowed
from anju.registry import policy as P
from anju.registry import rules
from anju.registry.models import House, Person, Registration, Room
from anju.registry.rules import RegistrationStatus as RS
from anju.registry.schemas import RegistrationIn, RegistrationOut
from anju.registry.service.persons import (
    ACTIVE,
    APPROVED,
    cipher,
    load_person,
)


def registration_out(access: Access, reg: Registration, warnings: list[dict] | None = None, *,
                     person: Person | None = None, house: House | None = None,
                     room: Room | None = None) -> RegistrationOut:
    """A registration as the actor's purpose shows it: where the person lives (room, address)
    only if the purpose includes their address; in reads (`person` given) their name, masked
    except to the person themselves and to whoever decides the registration. Nothing tells whose
    code one wrote: answers to writes carry no name, and one who decides registrations sees the
    name of someone they do not reach masked in a registration they submitted themselves."""
    purpose = access.purpose(reg.person_code)
    values: dict = {ADDRESS: (reg.room_id, house.address if house else None,
                              room.label if room else None)}
    if person is not None:
        values["name"] = person.name
    actor = access.actor
    whole = reg.person_code == actor.person_code or _decides(access, reg) and (
        reg.submitted_by != actor.username or person is not None and access.reaches(
            P.PERSON_READ, division_code=person.division_code))
    fields = shown(purpose, values, masked=not whole)
    room_id, address, room_label = fields.get(ADDRESS, (None, None, None))
    return RegistrationOut(
        registration_id=reg.id, person_code=reg.person_code, room_id=room_id,
        division_code=reg.division_code, start_date=reg.start_date, end_date=reg.end_date,
        reason=reg.reason, status=reg.status, rejection_reason=reg.rejection_reason,
        decided_by=reg.decided_by, decided_at=reg.decided_at, submitted_at=reg.created_at,
        warnings=warnings or [], person_name=fields.get("name"), address=address,
        room_label=room_label)



def _decides(access: Access, reg: Registration) -> bool:
    """Whether the actor may decide this registration (approve or return it: the police of its
    place). Whoever decides must know whom they are deciding about, so they see the name whole;
    the policy says who that is, not a role named here."""
    return is_allowed(access.actor.role, P.REGISTRATION_APPROVE) and access.reaches(
        P.REGISTRATION_APPROVE, **_reach(reg))


def _reach(reg: Registration) -> dict:
    return {"division_code": reg.division_code, "person_codes": (reg.person_code,),
            "landlord_code": reg.landlord_person_code}


def load_registration(session: Session, registration_id: int, lock: bool = False) -> Registration:
    query = select(Registration).where(Registration.id == registration_id)
    reg = session.execute(query.with_for_update() if lock else query).scalar()
    if reg is None:
        raise not_found("居住登记", "registration", "registration_id")
    return reg



def _reach_registration(access: Access, action: Action, reg: Registration) -> None:
    access.check(action, "居住登记", **_reach(reg))


def submit_registration(session: Session, actor: Actor, data: RegistrationIn,
                        idempotency_key: str | None = None) -> tuple[RegistrationOut, bool]:
    """Submit a residence registration; returns (registration, replayed)."""
    return run_once(session, actor, idempotency_key, data,
                    lambda: _submit_registration(session, actor, data), RegistrationOut)


# The submission's reads, built once with bound parameters (a statement made per call costs its
# construction and its cache key every time).
_ROOM_WITH_HOUSE = HotStatement(
    select(Room.id, Room.capacity, House.division_code, House.landlord_person_code)
    .join(House, House.id == Room.house_id)
    .where(Room.id == bindparam("room"), Room.removed_at.is_(None)))
_LOCK_PERSON = HotStatement(select(Person.person_code).where(
    Person.person_code == bindparam("code")).with_for_update())
# the active states as SQL literals (the code's own constants): a HotStatement holds no IN list
_ACTIVE_SQL = [literal_column(f"'{state}'") for state in ACTIVE]
_ACTIVE_OF_PERSON = HotStatement(select(
    Registration.id, Registration.status, Registration.start_date, Registration.end_date,
    Registration.division_code, Registration.person_code, Registration.landlord_person_code,
).where(Registration.person_code == bindparam("code"), Registration.status.in_(_ACTIVE_SQL)))
_OCCUPANTS = HotStatement(select(func.count()).select_from(Registration).where(
    Registration.room_id == bindparam("room"), Registration.status.in_(_ACTIVE_SQL)))
# The new registration as a row (RETURNING every column), not an ORM object: listeners read
# its facts (anju.registry.reads.RegistrationFacts), and the answer is made from it.
_SUBMITTED = ("person_code", "room_id", "division_code", "landlord_person_code", "start_date",
              "reason", "status", "submitted_by", "created_at")
_INSERT_REGISTRATION = HotStatement(
    insert(Registration.__table__).values({c: bindparam(f"v_{c}") for c in _SUBMITTED})
    .returning(*Registration.__table__.c))


def _submit_registration(session: Session, actor: Actor, data: RegistrationIn) -> RegistrationOut:
    access = Access(session, actor)
    access.scopes(P.REGISTRATION_SUBMIT)
    # the room and its house in one statement, as plain rows (nothing here changes them)
    room = house = _ROOM_WITH_HOUSE.first(session, {"room": data.room_id})
    if room is None:
        raise not_found("房间", "room", "room_id")
    # Lock the person row: two concurrent submissions for one person must not both pass the
    # overlap check.
    person = _LOCK_PERSON.first(session, {"code": data.person_code})
    if person is None:
        raise not_found("人员", "person", "person_code")
    access.check(P.REGISTRATION_SUBMIT, "房间", division_code=house.division_code,
                 person_codes=[person.person_code], landlord_code=house.landlord_person_code)
    rules.check_start_date(data.start_date, clock.today())
    current = _ACTIVE_OF_PERSON.all(session, {"code": person.person_code})
    for other in current:
        if rules.periods_overlap(other.start_date, other.end_date, data.start_date, None):
            raise overlap_refusal(access, other.status, other.id, **_reach(other))
    occupants = _OCCUPANTS.scalar(session, {"room": room.id})
    warnings = rules.room_capacity(room.capacity, occupants,
                                   refuse=not get_settings().room_capacity_warning)
    # the person stays where they are until the police approve
    values = dict(person_code=person.person_code, room_id=room.id,
                  division_code=house.division_code,
                  landlord_person_code=house.landlord_person_code, start_date=data.start_date,
                  reason=data.reason.value, status=RS.SUBMITTED.value,
                  submitted_by=actor.username, created_at=utcnow())
    reg = _INSERT_REGISTRATION.first(session, {f"v_{c}": values[c] for c in _SUBMITTED})
    access.record(AuditEvent(P.REGISTRATION_SUBMIT, P.RESIDENCE_REGISTRATION, person.person_code,
                             "registration", str(reg.id)))
    emit(session, actor, "registration.submitted", reg)
    return registration_out(access, reg, warnings)


def overlap_refusal(access: Access, status: str, registration_id: int, *,
                    division_code: str, person_codes: tuple[str, ...],
                    landlord_code: str | None) -> Conflict:
    """The refusal of a registration overlapping an active one (`rules.overlap_refusal`): its
    number and state told only to someone who reaches that registration. Bulk loads answer with
    this same refusal."""
    told = is_allowed(access.actor.role, P.REGISTRATION_READ) and access.reaches(
        P.REGISTRATION_READ, division_code=division_code, person_codes=person_codes,
        landlord_code=landlord_code)
    return rules.overlap_refusal(status, registration_id) if told else rules.overlap_refusal()


def settle_division(session: Session, person_code: str) -> None:
    """Put the person where they live for access purposes: the division of their latest
    approved registration, else their base division. Called whenever a registration is
    approved, rejected or ended, and by nothing else."""
    person = load_person(session, person_code, lock=True)
    latest = session.execute(select(Registration.division_code).where(
        Registration.person_code == person_code, Registration.status == APPROVED)
        .order_by(Registration.start_date.desc(), Registration.id.desc()).limit(1)).scalar()
    person.division_code = latest or person.base_division_code


def _decide(session: Session, actor: Actor, registration_id: int, target: RS,
            rejection_reason: str | None = None) -> RegistrationOut:
    access = Access(session, actor)
    access.scopes(P.REGISTRATION_APPROVE)
    reg = load_registration(session, registration_id, lock=True)
    _reach_registration(access, P.REGISTRATION_APPROVE, reg)
    rules.require_transition(reg.status, target)
    reg.status = target.value
    reg.rejection_reason = rejection_reason
    reg.decided_by, reg.decided_at = actor.username, utcnow()
    session.flush()
    settle_division(session, reg.person_code)
    access.record(AuditEvent(
        P.REGISTRATION_APPROVE if target is RS.APPROVED else P.REGISTRATION_REJECT,
        P.REGISTRATION_MANAGEMENT, reg.person_code, "registration", str(reg.id)))
    emit(session, actor, f"registration.{target.value}", reg)
    return registration_out(access, reg)


def approve_registration(session: Session, actor: Actor, registration_id: int) -> RegistrationOut:
    return _decide(session, actor, registration_id, RS.APPROVED)


def reject_registration(session: Session, actor: Actor, registration_id: int,
                        reason: str) -> RegistrationOut:
    return _decide(session, actor, registration_id, RS.REJECTED, reason)


def end_registration(session: Session, actor: Actor, registration_id: int,
                     end_date: date) -> RegistrationOut:
    access = Access(session, actor)
    access.scopes(P.REGISTRATION_END)
    reg = load_registration(session, registration_id, lock=True)
    _reach_registration(access, P.REGISTRATION_END, reg)
    rules.require_transition(reg.status, RS.ENDED)
    rules.check_period(reg.start_date, end_date)
    rules.check_end_date(end_date, clock.today())
    reg.status, reg.end_date = RS.ENDED.value, end_date
    session.flush()
    settle_division(session, reg.person_code)
    access.record(AuditEvent(P.REGISTRATION_END, P.RESIDENCE_REGISTRATION, reg.person_code,
                             "registration", str(reg.id)))
    emit(session, actor, "registration.ended", reg)
    return registration_out(access, reg)


def read_registration(session: Session, actor: Actor, registration_id: int) -> RegistrationOut:
    access = Access(session, actor)
    access.scopes(P.REGISTRATION_READ)
    reg = load_registration(session, registration_id)
    _reach_registration(access, P.REGISTRATION_READ, reg)
    person = load_person(session, reg.person_code)
    room = session.get(Room, reg.room_id)
    house = session.get(House, room.house_id)
    access.check_serves(person.birth_date, person.person_code, "居住登记")
    # A person reading their own registration is kept on their trail too.
    access.touch(P.REGISTRATION_READ, person_code=reg.person_code, kind="registration",
                 object_id=str(reg.id), what="居住登记", own=True, **_reach(reg))
    return registration_out(access, reg, person=person, house=house, room=room)


def _registration_search(query: str):
    """What a search box means: an ID number, a registration number, a person code, or the
    start of a name."""
    query = query.strip()
    normalised = idnumber.normalize_id_number(query)
    if re.fullmatch(r"\d{17}[\dX]", normalised):
        return Person.id_hash == cipher().lookup_hash(normalised)
    if re.fullmatch(r"\d{1,9}", query):  # a registration number (ids are 32-bit)
        return Registration.id == int(query)
    if rules.is_valid_person_code(query.upper()):
        return Registration.person_code == query.upper()
    return Person.name.startswith(query, autoescape=True)


def list_registrations(session: Session, actor: Actor, status: str | None = None,
                       person_code: str | None = None, limit: int = 50, *, offset: int = 0,
                       division: str | None = None, submitted_from: date | None = None,
                       submitted_to: date | None = None, query: str | None = None,
                       landlord_code: str | None = None) -> Page:
    """Registrations the actor reaches, newest first, one page of them with the total (the
    police approval queue filters by status, township, submission date and a search). The
    access layer restricts the rows and records each one shown (a person's own are not)."""
    access = Access(session, actor)
    reach = access.restrict_model(P.REGISTRATION_READ, Registration)  # a role without it: 403
    where = [access.serves_clause(Person.birth_date, Registration.person_code)]
    if status:
        where.append(Registration.status == str(status))
    if person_code:
        where.append(Registration.person_code == person_code)
    if landlord_code:
        where.append(Registration.landlord_person_code == landlord_code)
    if division:
        prefix = divisions.significant_prefix(divisions.canonical(division))
        where.append(Registration.division_code.like(prefix + "%"))
    # Submission dates are China Standard Time days; created_at is naive UTC.
    if submitted_from:
        where.append(Registration.created_at >= _cst_midnight_utc(submitted_from))
    if submitted_to:
        where.append(Registration.created_at < _cst_midnight_utc(submitted_to, 1))
    if query and query.strip():
        where.append(_registration_search(query[:64]))
    total = session.execute(select(func.count()).select_from(Registration).join(
        Person, Person.person_code == Registration.person_code).where(reach, *where)).scalar_one()
    limit, offset = max(1, min(limit, MAX_LIMIT)), max(offset, 0)
    joined = (select(Registration, Person, Room, House)
              .join(Person, Person.person_code == Registration.person_code)
              .join(Room, Room.id == Registration.room_id).join(House, House.id == Room.house_id)
              .order_by(Registration.id.desc()).offset(offset).limit(limit))
    rows = access.select(P.REGISTRATION_READ, joined, *where)
    out = Page(total=total, offset=offset, limit=limit)
    out.extend(registration_out(access, reg, person=person, house=house, room=room)
               for reg, person, room, house in rows)
    return out


def _cst_midnight_utc(day: date, plus_days: int = 0) -> datetime:
    return datetime.combine(day + timedelta(days=plus_days), time.min) - timedelta(hours=8)
