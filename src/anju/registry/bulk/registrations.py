"""Bulk loads of residence registrations in any state, checked by the service's rules: a known
state and reason, plausible dates, one active registration at a time (refused with the service's
own answer), and — where the county refuses over-capacity registrations — the room's capacity.
An approved row places the person as approving does in the service."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import Session

from anju.core import audit, clock
from anju.core.access import Access
from anju.core.audit import AuditEvent
from anju.core.config import get_settings
from anju.core.db import bulk_insert, sql_timestamp, utcnow
from anju.core.errors import AnjuError, ValidationError
from anju.core.events import emit
from anju.core.policy import Actor
from anju.registry import policy as P
from anju.registry import rules
from anju.registry.bulk.common import (
    CHUNK,
    BulkRegistration,
    BulkResult,
    Loaded,
    begin,
    chunks,
    gc_paused,
    id_source,
    lookup,
    within,
)
from anju.registry.models import House, Person, Registration, Room
from anju.registry.rules import RegistrationStatus as RS
from anju.registry.service.registrations import overlap_refusal

_REGISTRATION_COLUMNS = ("id", "person_code", "room_id", "division_code", "landlord_person_code",
                         "start_date", "end_date", "reason", "status", "rejection_reason",
                         "submitted_by", "decided_by", "decided_at", "created_at")
_ACTIVE = {RS.SUBMITTED.value, RS.APPROVED.value}


@gc_paused
def load_registrations(session: Session, actor: Actor,
                       regs: Sequence[BulkRegistration]) -> BulkResult:
    """Create residence registrations in any state; answers their ids in input order.

    Approved, rejected and ended rows count as decided by the importing actor now. An approved
    row moves the person's managing division to the house's, as approving does in the service;
    a submitted, rejected or ended row moves nobody."""
    prefix, today = begin(session, actor), clock.today()
    result = BulkResult([None] * len(regs))
    for part in chunks(range(len(regs)), CHUNK):
        _write_registrations(session, actor, prefix, today, [(i, regs[i]) for i in part], result)
    return result


class _Held:
    """The active registrations of the persons of one batch (those stored, and those this batch
    adds), against which a new active row is checked."""

    def __init__(self) -> None:
        self.by_person: dict[str, list[tuple[date, date | None, str, int, str, str]]] = {}

    def add(self, person: str, start: date, end: date | None, status: str, reg_id: int,
            division: str, landlord: str) -> None:
        self.by_person.setdefault(person, []).append(
            (start, end, status, reg_id, division, landlord))

    def refuse_overlap(self, access: Access, person: str, start: date) -> None:
        """The service's refusal (`service.registrations.overlap_refusal`) of a registration
        overlapping an active one: the same code and message, a row error here."""
        for other_start, other_end, status, reg_id, division, landlord in \
                self.by_person.get(person, ()):
            if rules.periods_overlap(other_start, other_end, start, None):
                raise overlap_refusal(access, status, reg_id, division_code=division,
                                      person_codes=(person,), landlord_code=landlord)


def _occupancy(session: Session, room_ids) -> dict[int, int]:
    """Active registrations per room (the rooms of one batch)."""
    query = select(Registration.room_id, func.count()).where(
        Registration.status.in_(_ACTIVE)).group_by(Registration.room_id)
    return dict(lookup(session, query, Registration.room_id, room_ids))


def _write_registrations(session: Session, actor: Actor, prefix: str, today: date,
                         batch: list[tuple[int, BulkRegistration]], result: BulkResult) -> None:
    access = Access(session, actor)
    division_of = dict(lookup(session, select(Person.person_code, Person.division_code),
                              Person.person_code, (r.person_code for _, r in batch)))
    room_of = {room_id: (division, landlord, capacity)
               for room_id, division, landlord, capacity in lookup(
                   session, select(Room.id, House.division_code, House.landlord_person_code,
                                   Room.capacity)
                   .join(House, House.id == Room.house_id).where(Room.removed_at.is_(None)),
                   Room.id, (r.room_id for _, r in batch))}
    # Where the county refuses over-capacity registrations, so does a load (the same rule);
    # otherwise a load records what was decided elsewhere and counts nobody.
    refuse_full = not get_settings().room_capacity_warning
    occupants = _occupancy(session, room_of) if refuse_full else {}
    held = _Held()
    same: dict[tuple[str, int, date], int] = {}  # idempotency key -> registration id
    for reg_id, person, room, start, end, status, division, landlord in lookup(
            session, select(Registration.id, Registration.person_code, Registration.room_id,
                            Registration.start_date, Registration.end_date, Registration.status,
                            Registration.division_code, Registration.landlord_person_code),
            Registration.person_code, division_of):
        same[(person, room, start)] = reg_id
        if status in _ACTIVE:
            held.add(person, start, end, status, reg_id, division, landlord)
    rows, moves, events, loaded = [], {}, [], []
    ids = id_source(session, Registration.__tablename__)
    now = sql_timestamp(utcnow())
    for index, r in batch:
        key = (r.person_code, r.room_id, r.start_date)
        if key in same:
            result[index] = same[key]
            result.existing += 1
            continue
        try:
            rules.check_registration_record(r.status, r.reason, r.start_date, r.end_date,
                                            r.rejection_reason, today)
            if r.person_code not in division_of:
                raise ValidationError("person_unknown", "人员编码不存在", "person code not found",
                                      field="person_code")
            if r.room_id not in room_of:
                raise ValidationError("room_unknown", "房间不存在", "room not found",
                                      field="room_id")
            division, landlord, capacity = room_of[r.room_id]
            within(division, prefix)
            if r.status in _ACTIVE:
                held.refuse_overlap(access, r.person_code, r.start_date)
                if refuse_full:
                    rules.room_capacity(capacity, occupants.get(r.room_id, 0), refuse=True)
        except AnjuError as error:
            result.reject(index, error)
            continue
        reg_id = next(ids)
        decided = r.status != RS.SUBMITTED.value
        rows.append((reg_id, r.person_code, r.room_id, division, landlord,
                     r.start_date.isoformat(), r.end_date and r.end_date.isoformat(), r.reason,
                     r.status, r.rejection_reason, actor.username,
                     actor.username if decided else None, now if decided else None, now))
        same[key], result[index] = reg_id, reg_id
        loaded.append(Loaded(reg_id, r.person_code, r.room_id, division, landlord, r.start_date,
                             r.end_date, r.status))
        if r.status in _ACTIVE:
            held.add(r.person_code, r.start_date, None, r.status, reg_id, division, landlord)
            occupants[r.room_id] = occupants.get(r.room_id, 0) + 1
        if r.status == RS.APPROVED.value and division_of[r.person_code] != division:
            moves[r.person_code] = division
        events.append(AuditEvent(P.REGISTRATION_IMPORT, P.RESIDENCE_REGISTRATION, r.person_code,
                                 "registration", str(reg_id)))
    bulk_insert(session, Registration.__tablename__, _REGISTRATION_COLUMNS, rows)
    result.created += len(rows)
    if moves:
        persons = Person.__table__  # a Core executemany, not an ORM update by primary key
        session.execute(update(persons).where(persons.c.person_code == bindparam("code"))
                        .values(division_code=bindparam("division"), updated_at=utcnow()),
                        [{"code": c, "division": d} for c, d in moves.items()])
    audit.append_bulk(session, actor, events)
    if loaded:
        emit(session, actor, "registrations.loaded", loaded)
