"""Registry bulk use cases: persons, houses, registrations and permits by the thousand.

Part of the registry's service layer: service.py and bulk.py are the only writers of registry
tables. Department migrations, the demo county and the load benchmark come through here.

Every load
- asks Access once per batch (action person.import: police and data stewards within their
  jurisdiction, administrators, among them the command line's SYSTEM actor, everywhere); every
  row's division must lie in that jurisdiction;
- validates every row with the service's own rules (idnumber.parse_id_number, phone, divisions,
  registration states and periods, permit eligibility). A bad row is not written and does not
  sink the batch: the answer is a `BulkResult`, a list in input order holding None where a row
  was rejected, whose `.rejected` names each row's index and reason in both languages. Callers
  who want all or nothing call `result.raise_for_rejected()` inside the unit of work;
- is idempotent: a row already present (same ID number; same landlord, address and division;
  same person, room and start date; a valid permit) is not written again, and the answer gives
  the existing code or id;
- takes the audit chain-head lock first (so concurrent writers queue behind it) and appends one
  audit entry per record written;
- writes with COPY on PostgreSQL and executemany on SQLite (`anju.core.db.bulk_insert`).

Imports record history decided elsewhere, so they emit no per-record events; a registration
load announces what it wrote once ("registrations.loaded", a list of `Loaded`), so other
domains keep their rules in bulk too — housing issues the e-keys an approval would.
"""
from __future__ import annotations

import functools
import gc
import multiprocessing
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import ARRAY, any_, bindparam, func, select, update
from sqlalchemy.orm import Session

from anju.core import addresses, audit, clock, divisions, idnumber
from anju.registry import policy as P
from anju.core.access import Access
from anju.core.audit import AuditEvent
from anju.core.db import allocate_ids, bulk_insert, sql_timestamp, utcnow
from anju.core.events import emit
from anju.core.errors import AnjuError, ValidationError
from anju.core.policy import Actor, Scope
from anju.registry import rules, service
from anju.registry.models import House, Permit, PermitSerial, Person, Registration, Room
from anju.registry.rules import Reason
from anju.registry.rules import RegistrationStatus as RS

CHUNK = 20_000  # rows per COPY and per audit append
_IN = 5_000  # values per IN (...) list: SQLite allows 32,766 parameters
_ID_BLOCK = 1_000  # primary keys fetched at a time


@dataclass(frozen=True)
class BulkPerson:
    name: str
    id_number: str
    phone: str | None
    hukou_address: str | None
    # Where the person belongs before any approved registration places them (canonical 12-digit);
    # approved registrations loaded later move them, as approving does in the service.
    division_code: str


@dataclass(frozen=True)
class BulkHouse:
    address: str
    division_code: str
    landlord_person_code: str
    rooms: tuple[tuple[str, int], ...]  # (label, capacity)


@dataclass(frozen=True)
class BulkRegistration:
    person_code: str
    room_id: int
    start_date: date
    reason: str
    status: str
    end_date: date | None = None
    rejection_reason: str | None = None


@dataclass(frozen=True)
class Loaded:
    """A registration a bulk load wrote, as listeners of "registrations.loaded" see it."""

    id: int
    person_code: str
    room_id: int
    division_code: str
    landlord_person_code: str
    start_date: date
    end_date: date | None
    status: str


@dataclass(frozen=True)
class RowError:
    """Why row `index` (0-based, input order) was rejected, or what to check about it."""

    index: int
    code: str
    message_zh: str
    message_en: str
    field: str | None = None

    def __str__(self) -> str:
        return f"第 {self.index} 行 / row {self.index}: {self.message_zh} / {self.message_en}"


class BulkRejected(ValidationError):
    """Raised by `BulkResult.raise_for_rejected`: the unit of work rolls back."""

    def __init__(self, rejected: list[RowError]) -> None:
        first = rejected[0]
        super().__init__("bulk_rejected",
                         f"{len(rejected)} 行未通过校验，首个：{first}",
                         f"{len(rejected)} rows failed validation; first: {first}")
        self.rejected = rejected


class BulkResult(list):
    """A load's answer: the code or id per input row (None where rejected), plus the report."""

    def __init__(self, items: Iterable = ()) -> None:
        super().__init__(items)
        self.rejected: list[RowError] = []
        self.warnings: list[RowError] = []  # accepted rows worth a look (unknown ID region)
        self.created = 0
        self.existing = 0

    def reject(self, index: int, error: AnjuError) -> None:
        self.rejected.append(RowError(index, error.code, error.message_zh, error.message_en,
                                      error.field))

    def raise_for_rejected(self) -> None:
        if self.rejected:
            raise BulkRejected(self.rejected)


# --- shared steps --------------------------------------------------------------------------------
def _gc_paused(load):
    """Loads make millions of short-lived objects and no reference cycles; the cyclic collector's
    repeated passes over them cost a third of the load, so it pauses while one runs."""
    @functools.wraps(load)
    def run(*args, **kwargs):
        enabled = gc.isenabled()
        gc.disable()
        try:
            return load(*args, **kwargs)
        finally:
            if enabled:
                gc.enable()
    return run


def _begin(session: Session, actor: Actor) -> str:
    """Policy check once per batch; the division prefix every row must lie in ("" = anywhere)."""
    scopes = Access(session, actor).scopes(P.PERSON_IMPORT)
    audit.lock_head(session)
    return "" if Scope.GLOBAL in scopes else divisions.significant_prefix(actor.division_code)


def _division(raw: str, prefix: str, min_level: int = 1) -> str:
    code = divisions.canonical(raw)
    division = divisions.require(code)
    if division.level < min_level:
        raise ValidationError("division_too_coarse", "房屋须登记到乡镇（街道）或村（社区）",
                              "a house needs a township or community division code",
                              field="division_code")
    return _within(code, prefix)


def _within(code: str, prefix: str) -> str:
    if not code.startswith(prefix):
        raise ValidationError("outside_jurisdiction", f"区划 {code} 不在您的辖区内",
                              f"division {code} is outside your jurisdiction",
                              field="division_code")
    return code


def _text(raw: str | None, field: str, zh: str, low: int, high: int) -> str | None:
    value = (raw or "").strip()
    if not value and low == 0:
        return None
    if not low <= len(value) <= high:
        raise ValidationError(f"{field}_length", f"{zh}长度应为 {max(low, 1)}–{high} 个字符",
                              f"{field} must have {max(low, 1)}–{high} characters", field=field)
    return value


def _chunks(seq: Sequence, size: int) -> Iterable[Sequence]:
    for i in range(0, len(seq), size):
        yield seq[i:i + size]


def _lookup(session: Session, query, column, values: Iterable) -> list:
    """Rows of `query` whose `column` is one of `values`, in IN-lists SQLite accepts."""
    values = list(dict.fromkeys(values))
    if session.get_bind().dialect.name == "postgresql":  # one array parameter, not thousands
        array = bindparam("values", values, type_=ARRAY(column.type))
        return session.execute(query.where(column == any_(array))).all() if values else []
    rows = []
    for part in _chunks(values, _IN):
        rows.extend(session.execute(query.where(column.in_(part))).all())
    return rows


# --- persons -------------------------------------------------------------------------------------
_PERSON_COLUMNS = ("person_code", "name", "id_cipher", "id_hash", "sex", "birth_date", "phone",
                   "hukou_address", "hukou_division_code", "division_code", "base_division_code",
                   "status", "created_at", "updated_at")
_jobs: Sequence[BulkPerson] = ()  # the rows a forked worker pool reads without pickling them
_fork_lock = threading.Lock()  # one pooled load at a time per process owns `_jobs`


def _prepare_person(p: BulkPerson, today: date, prefix: str, cipher,
                    memo: tuple[dict, dict]) -> tuple:
    """The service's create_person checks for one row; the fields ready to write."""
    name = _text(p.name, "name", "姓名", 1, 64)
    info = idnumber.parse_id_number(p.id_number, today=today)
    phone = service._normalise_phone(p.phone)
    hukou_address = _text(p.hukou_address, "hukou_address", "户籍地址", 0, 200)
    managing, regions = memo  # a load names few divisions and regions: look each up once
    if p.division_code not in managing:
        try:
            managing[p.division_code] = _division(p.division_code, prefix)
        except AnjuError as error:
            managing[p.division_code] = error
    division = managing[p.division_code]
    if isinstance(division, AnjuError):
        raise division
    if info.region_code not in regions:
        # The service also reads the hukou address (~180 µs a row); a load takes the ID
        # number's region, by the same rule, and leaves addresses to later standardisation.
        regions[info.region_code] = service.region_division(info.region_code)
    return (cipher.lookup_hash(info.number), cipher.encrypt(info.number), name, info.sex,
            info.birth_date.isoformat(), phone, hukou_address, regions[info.region_code],
            division, info.warnings)


def _prepare_slice(people: Sequence[BulkPerson], start: int, stop: int, today: date,
                   prefix: str) -> list:
    """Validate and encrypt rows [start, stop): prepared tuples, or the error of a bad row."""
    cipher, memo, out = service.cipher(), ({}, {}), []
    for index in range(start, stop):
        try:
            out.append(_prepare_person(people[index], today, prefix, cipher, memo))
        except AnjuError as error:
            out.append(error)
    return out


def _prepare_forked(job: tuple[int, int, date, str]) -> list:
    """In a pool worker: the rows come from `_jobs`, inherited through fork, not pickled."""
    return _prepare_slice(_jobs, *job)


@_gc_paused
def load_persons(session: Session, actor: Actor, people: Sequence[BulkPerson], *,
                 workers: int = 0) -> BulkResult:
    """Create persons (one person, one code); answers their person codes in input order.

    `workers`: forked processes that validate and encrypt the next chunk while this one is
    written. Off by default: measured on 2 shared cores with PostgreSQL on the same machine, the
    pool cost 40% more CPU (pickling) and loaded slower. Worth trying with cores to spare; call
    it from a command or batch job, not from a threaded server."""
    global _jobs
    prefix, today = _begin(session, actor), clock.today()
    result = BulkResult([None] * len(people))
    jobs = [(i, min(i + CHUNK, len(people)), today, prefix) for i in range(0, len(people), CHUNK)]
    seen: dict[str, str] = {}  # id hash -> person code, over this whole load
    if workers > 1 or (workers == 1 and len(jobs) > 1):
        with _fork_lock:
            _jobs = people
            try:
                with multiprocessing.get_context("fork").Pool(workers) as pool:
                    for job, prepared in zip(jobs, pool.imap(_prepare_forked, jobs)):
                        _write_people(session, actor, job[0], prepared, seen, result, people,
                                      prefix)
            finally:
                _jobs = ()
    else:
        for job in jobs:
            _write_people(session, actor, job[0], _prepare_slice(people, *job), seen, result,
                          people, prefix)
    return result


def _resolve_known(session: Session, actor: Actor, prefix: str, fresh: list[tuple[int, tuple]],
                   names: dict[int, str], result: BulkResult) -> tuple[dict[str, str], set[int]]:
    """ID numbers already recorded, resolved as the service does: to their person code when the
    person lies in the loader's reach or the row's name matches theirs (a name that does not is
    rejected and audited as a refused attempt), so a load hands nobody's code to a stranger."""
    rows = _lookup(session, select(Person.id_hash, Person.person_code, Person.name,
                                   Person.division_code), Person.id_hash,
                   (row[0] for _, row in fresh))
    known = {digest: (code, name, division) for digest, code, name, division in rows}
    resolved, proved, refused = {}, [], []
    for index, row in fresh:  # every row proves itself, repeats of an ID number too
        if row[0] not in known:
            continue
        code, name, division = known[row[0]]
        if division.startswith(prefix):
            resolved[row[0]] = code
        elif rules.same_name(names[index], name):
            if row[0] not in resolved:
                proved.append(AuditEvent(P.PERSON_IMPORT, P.REGISTRY_IMPORT, code, "person",
                                         code, {"resolved": "existing", "proved_by": "name"}))
            resolved[row[0]] = code
        else:
            refused.append((index, code))
    for index, code in refused:
        result.reject(index, ValidationError("name_id_mismatch", "姓名与身份证号码不一致",
                                             "name and ID number do not match", field="name"))
    for _, code in refused:
        audit.note_refusal(session, actor, audit.as_attempt(
            AuditEvent(P.PERSON_IMPORT, P.REGISTRY_IMPORT, code, "person", code), 422,
            "name_id_mismatch"))
    audit.append_bulk(session, actor, proved)
    return resolved, {index for index, _ in refused}


def _write_people(session: Session, actor: Actor, start: int, prepared: list,
                  seen: dict[str, str], result: BulkResult, people: Sequence[BulkPerson],
                  prefix: str) -> None:
    fresh: list[tuple[int, tuple]] = []
    for index, row in enumerate(prepared, start):
        if isinstance(row, AnjuError):
            result.reject(index, row)
            continue
        result.warnings.extend(RowError(index, w.code, w.message_zh, w.message_en, "id_number")
                               for w in row[-1])
        fresh.append((index, row))
    unseen = [(index, row) for index, row in fresh if row[0] not in seen]
    known, refused = _resolve_known(session, actor, prefix, unseen,
                                    {index: people[index].name for index, _ in unseen}, result)
    seen.update(known)
    fresh = [(index, row) for index, row in fresh if index not in refused]
    new = []
    for index, row in fresh:
        if row[0] not in seen:
            seen[row[0]] = ""  # a repeat later in the load resolves to this row's code
            new.append((index, row))
    codes = _fresh_codes(session, len(new))
    now = sql_timestamp(utcnow())
    rows = []
    for (index, row), code in zip(new, codes):
        seen[row[0]] = code
        rows.append((code, row[2], row[1], row[0], *row[3:9], row[8], "active", now, now))
    bulk_insert(session, Person.__tablename__, _PERSON_COLUMNS, rows)
    for index, row in fresh:
        result[index] = seen[row[0]]
    result.created += len(rows)
    result.existing += len(fresh) - len(rows)
    audit.append_bulk(session, actor, (
        AuditEvent(P.PERSON_IMPORT, P.REGISTRY_IMPORT, row[0], "person", row[0]) for row in rows))


def _fresh_codes(session: Session, count: int) -> list[str]:
    """New person codes, none already in use (50 random bits: a clash is rare, not impossible)."""
    codes = list(dict.fromkeys(rules.new_person_codes(count)))
    while True:
        taken = {c for (c,) in _lookup(session, select(Person.person_code), Person.person_code,
                                       codes)}
        codes = [c for c in codes if c not in taken]
        if len(codes) >= count:
            return codes[:count]
        codes += [c for c in rules.new_person_codes(count - len(codes)) if c not in codes]


# --- houses and rooms ----------------------------------------------------------------------------
@_gc_paused
def load_houses(session: Session, actor: Actor, houses: Sequence[BulkHouse]) -> BulkResult:
    """Create houses with their rooms; answers each house's room ids, in its rooms' order."""
    prefix = _begin(session, actor)
    result = BulkResult([None] * len(houses))
    checked: list[tuple[int, tuple[str, str, str], tuple]] = []
    text_of: dict[tuple[str, str, str], str] = {}  # as first given, for a new house's row
    for index, h in enumerate(houses):
        try:
            address = _text(h.address, "address", "地址", 2, 200)
            division = _division(h.division_code, prefix, min_level=divisions.TOWNSHIP)
            _check_rooms(h.rooms)
            key = (h.landlord_person_code, addresses.normalise(address), division)
            text_of.setdefault(key, address)
            checked.append((index, key, h.rooms))
        except AnjuError as error:
            result.reject(index, error)
    landlords = {c for (c,) in _lookup(session, select(Person.person_code), Person.person_code,
                                       (key[0] for _, key, _ in checked))}
    accepted = []
    for index, key, rooms in checked:
        if key[0] in landlords:
            accepted.append((index, key, rooms))
        else:
            result.reject(index, ValidationError("landlord_unknown", "房东人员编码不存在",
                                                 "landlord person code not found",
                                                 field="landlord_person_code"))
    # idempotency: the same landlord, (normalised) address and division is the same house, as
    # in the service (a second registration of it there is refused)
    present = _lookup(session, select(House.id, House.landlord_person_code, House.address,
                                      House.division_code), House.landlord_person_code, landlords)
    house_of = {(owner, addresses.normalise(address), division): house_id
                for house_id, owner, address, division in present}
    rooms_of: dict[int, dict[str, int]] = {}
    for room_id, house_id, label in _lookup(session, select(Room.id, Room.house_id, Room.label),
                                            Room.house_id, house_of.values()):
        rooms_of.setdefault(house_id, {})[label] = room_id
    new_keys = [k for k in dict.fromkeys(key for _, key, _ in accepted) if k not in house_of]
    house_of.update(zip(new_keys, allocate_ids(session, House.__tablename__, len(new_keys))))
    new_rooms: dict[tuple[int, str], int] = {}  # (house id, label) -> capacity
    for _, key, rooms in accepted:
        for label, capacity in rooms:
            if label not in rooms_of.get(house_of[key], {}):
                new_rooms.setdefault((house_of[key], label), capacity)
    for (house_id, label), room_id in zip(new_rooms, allocate_ids(
            session, Room.__tablename__, len(new_rooms))):
        rooms_of.setdefault(house_id, {})[label] = room_id
    now = sql_timestamp(utcnow())
    bulk_insert(session, House.__tablename__,
                ("id", "address", "division_code", "landlord_person_code", "created_at"),
                [(house_of[k], text_of[k], k[2], k[0], now) for k in new_keys])
    bulk_insert(session, Room.__tablename__, ("id", "house_id", "label", "capacity"),
                [(rooms_of[h][label], h, label, cap) for (h, label), cap in new_rooms.items()])
    for index, key, rooms in accepted:
        result[index] = [rooms_of[house_of[key]][label] for label, _ in rooms]
    result.created, result.existing = len(new_keys), len(accepted) - len(new_keys)
    audit.append_bulk(session, actor, (
        AuditEvent(P.HOUSE_IMPORT, P.HOUSING_REGISTRATION, k[0], "house", str(house_of[k]))
        for k in new_keys))
    return result


def _check_rooms(rooms: tuple[tuple[str, int], ...]) -> None:
    labels = [label for label, _ in rooms]
    if not 1 <= len(rooms) <= 500:
        raise ValidationError("rooms_count", "每处房屋应有 1–500 个房间",
                              "a house needs 1–500 rooms", field="rooms")
    if len(set(labels)) != len(labels):
        raise ValidationError("room_label_repeated", "房间号重复", "room labels repeat",
                              field="rooms")
    for label, capacity in rooms:
        _text(label, "room_label", "房间号", 1, 32)
        if not isinstance(capacity, int) or not 1 <= capacity <= 200:
            raise ValidationError("room_capacity", "房间核定人数应为 1–200",
                                  "room capacity must be 1–200", field="rooms")


# --- residence registrations ---------------------------------------------------------------------
_REGISTRATION_COLUMNS = ("id", "person_code", "room_id", "division_code", "landlord_person_code",
                         "start_date", "end_date", "reason", "status", "rejection_reason",
                         "submitted_by", "decided_by", "decided_at", "created_at")
_ACTIVE = {RS.SUBMITTED.value, RS.APPROVED.value}


def _check_registration(r: BulkRegistration, today: date) -> None:
    """Row rules: known state and reason, plausible dates, what each state needs."""
    try:
        status, _ = RS(r.status), Reason(r.reason)
    except ValueError:
        raise ValidationError("registration_code", f"未知的状态或事由：{r.status}/{r.reason}",
                              f"unknown status or reason: {r.status}/{r.reason}",
                              field="status") from None
    rules.check_start_date(r.start_date, today)
    rules.check_period(r.start_date, r.end_date)
    rules.check_end_date(r.end_date, today)
    if (status is RS.ENDED) != (r.end_date is not None):
        raise ValidationError("end_date_state", "只有已注销的登记有结束日期，且必须有",
                              "an ended registration needs an end date; only it has one",
                              field="end_date")
    if (status is RS.REJECTED) != bool((r.rejection_reason or "").strip()):
        raise ValidationError("rejection_reason_state", "退回的登记须写明原因，其他状态不填",
                              "a rejected registration needs a reason; others have none",
                              field="rejection_reason")
    if r.rejection_reason and len(r.rejection_reason) > 200:
        raise ValidationError("rejection_reason_length", "退回原因不超过200字",
                              "rejection reason is longer than 200 characters",
                              field="rejection_reason")


@_gc_paused
def load_registrations(session: Session, actor: Actor,
                       regs: Sequence[BulkRegistration]) -> BulkResult:
    """Create residence registrations in any state; answers their ids in input order.

    Approved, rejected and ended rows count as decided by the importing actor now. An approved
    row moves the person's managing division to the house's, as approving does in the service;
    a submitted, rejected or ended row moves nobody."""
    prefix, today = _begin(session, actor), clock.today()
    result = BulkResult([None] * len(regs))
    for part in _chunks(range(len(regs)), CHUNK):
        _write_registrations(session, actor, prefix, today, [(i, regs[i]) for i in part], result)
    return result


def _write_registrations(session: Session, actor: Actor, prefix: str, today: date,
                         batch: list[tuple[int, BulkRegistration]], result: BulkResult) -> None:
    division_of = dict(_lookup(session, select(Person.person_code, Person.division_code),
                               Person.person_code, (r.person_code for _, r in batch)))
    room_of = {room_id: (division, landlord) for room_id, division, landlord in _lookup(
        session, select(Room.id, House.division_code, House.landlord_person_code)
        .join(House, House.id == Room.house_id).where(Room.removed_at.is_(None)), Room.id,
        (r.room_id for _, r in batch))}
    held: dict[str, list[tuple[date, date | None, str, int, str]]] = {}
    same: dict[tuple[str, int, date], int] = {}  # idempotency key -> registration id
    for reg_id, person, room, start, end, status, division in _lookup(
            session, select(Registration.id, Registration.person_code, Registration.room_id,
                            Registration.start_date, Registration.end_date, Registration.status,
                            Registration.division_code),
            Registration.person_code, division_of):
        same[(person, room, start)] = reg_id
        if status in _ACTIVE:
            held.setdefault(person, []).append((start, end, status, reg_id, division))
    rows, moves, events, loaded = [], {}, [], []
    ids = _id_source(session, Registration.__tablename__)
    now = sql_timestamp(utcnow())
    for index, r in batch:
        key = (r.person_code, r.room_id, r.start_date)
        if key in same:
            result[index] = same[key]
            result.existing += 1
            continue
        try:
            _check_registration(r, today)
            if r.person_code not in division_of:
                raise ValidationError("person_unknown", "人员编码不存在", "person code not found",
                                      field="person_code")
            if r.room_id not in room_of:
                raise ValidationError("room_unknown", "房间不存在", "room not found",
                                      field="room_id")
            division, landlord = _within(room_of[r.room_id][0], prefix), room_of[r.room_id][1]
            if r.status in _ACTIVE:
                _check_overlap(held.get(r.person_code, []), r.start_date, prefix)
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
            held.setdefault(r.person_code, []).append((r.start_date, None, r.status, reg_id,
                                                       division))
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


def _id_source(session: Session, table: str):
    """Primary keys on demand, a block at a time: a re-run that writes nothing takes none."""
    while True:
        yield from allocate_ids(session, table, _ID_BLOCK)


def _check_overlap(held: list[tuple[date, date | None, str, int, str]], start: date,
                   prefix: str) -> None:
    for other_start, other_end, status, reg_id, division in held:
        if not rules.periods_overlap(other_start, other_end, start, None):
            continue
        if not division.startswith(prefix):  # as the service: no number to a stranger
            raise ValidationError("registration_overlap", "该人员在此期间已有居住登记，请先注销原登记",
                                  "this person already has a registration for that period; it "
                                  "must be ended first", field="start_date")
        raise ValidationError(
            "registration_overlap",
            f"该人员已有一条{rules.STATUS_ZH[RS(status)]}的居住登记（编号 {reg_id}），请先注销原登记",
            f"this person already has a {status} registration ({reg_id}) for that period; "
            "end it first", field="start_date")


# --- residence permits ---------------------------------------------------------------------------
def _valid_until(issued: date) -> date:
    if issued.month == 2 and issued.day == 29:
        return date(issued.year + 1, 2, 28)
    return issued.replace(year=issued.year + 1)


@_gc_paused
def load_permits(session: Session, actor: Actor,
                 person_codes_with_registration_ids: Sequence[tuple[str, int]],
                 issued_on: date) -> BulkResult:
    """Issue residence permits dated `issued_on` to eligible persons (居住证暂行条例: six months'
    approved residence for work, study or a stable home); answers permit numbers in input order.
    A person already holding a permit valid on that day keeps it (its number is answered)."""
    prefix = _begin(session, actor)
    if issued_on > clock.today():
        raise ValidationError("permit_issued_future", "签发日期不能晚于今天",
                              "a permit cannot be issued after today", field="issued_on")
    pairs = person_codes_with_registration_ids
    result = BulkResult([None] * len(pairs))
    codes = [code for code, _ in pairs]
    regs = {reg.id: reg for (reg,) in _lookup(session, select(Registration),
                                               Registration.id, (i for _, i in pairs))}
    spells: dict[str, list[rules.ResidenceSpell]] = {}
    for (reg,) in _lookup(session, select(Registration).where(
            Registration.status.in_([RS.APPROVED.value, RS.ENDED.value]),
            Registration.decided_at.is_not(None)), Registration.person_code, codes):
        spells.setdefault(reg.person_code, []).append(
            rules.ResidenceSpell(reg.start_date, reg.end_date, reg.reason))
    held = {p.person_code: p.permit_number for (p,) in _lookup(session, select(Permit).where(
        Permit.status == "valid", Permit.valid_until >= issued_on), Permit.person_code, codes)}
    accepted, repeats = [], []
    for index, (code, reg_id) in enumerate(pairs):
        if code in held:  # holds a valid permit, or was accepted earlier in this batch
            repeats.append(index)
            result.existing += 1
            continue
        try:
            reg = regs.get(reg_id)
            if reg is None or reg.person_code != code or reg.status != RS.APPROVED.value:
                raise ValidationError("permit_registration", "须凭本人已登记（已审核）的居住登记办理",
                                      "needs the person's own approved registration",
                                      field="registration_id")
            _within(reg.division_code, prefix)
            found = rules.permit_eligibility(spells.get(code, []), issued_on)
            if not found.eligible:
                raise ValidationError("permit_not_eligible", "；".join(found.reasons_zh),
                                      "; ".join(found.reasons_en), field="person_code")
        except AnjuError as error:
            result.reject(index, error)
            continue
        held[code] = ""  # numbered below
        accepted.append((index, reg))
    rows, events = [], []
    for county, group in _by_county(accepted).items():
        serial = _take_serials(session, f"{county}{issued_on.year}", len(group))
        for offset, (index, reg) in enumerate(group, 1):
            number = rules.permit_number(county, issued_on.year, serial + offset)
            held[reg.person_code] = result[index] = number
            rows.append((number, reg.person_code, reg.id, reg.division_code,
                         issued_on.isoformat(), _valid_until(issued_on).isoformat(), "valid",
                         actor.username))
            events.append(AuditEvent(P.PERMIT_IMPORT, P.RESIDENCE_PERMIT, reg.person_code,
                                     "permit", number))
    for index in repeats:
        result[index] = held[pairs[index][0]]
    bulk_insert(session, Permit.__tablename__,
                ("permit_number", "person_code", "registration_id", "division_code", "issued_on",
                 "valid_until", "status", "issued_by"), rows)
    result.created = len(rows)
    audit.append_bulk(session, actor, events)
    return result


def _by_county(accepted: list[tuple[int, Registration]]) -> dict[str, list]:
    groups: dict[str, list] = {}
    for index, reg in accepted:
        groups.setdefault(divisions.short_code(reg.division_code)[:6], []).append((index, reg))
    return groups


def _take_serials(session: Session, county_year: str, count: int) -> int:
    """Reserve `count` permit serials under the row lock; answers the last one used before."""
    serial = session.execute(select(PermitSerial).where(PermitSerial.county_year == county_year)
                             .with_for_update()).scalar()
    if serial is None:
        serial = PermitSerial(county_year=county_year, last_serial=0)
        session.add(serial)
    first = serial.last_serial
    serial.last_serial += count
    session.flush()
    return first


# --- sizes ---------------------------------------------------------------------------------------
def table_counts(session: Session) -> dict:
    """How big the registry is (counts only, no personal data): the demo summary, benchmarks."""
    def count(query) -> int:
        return session.execute(query).scalar_one()

    return {
        "persons": count(select(func.count()).select_from(Person)),
        "landlords": count(select(func.count(func.distinct(House.landlord_person_code)))),
        "houses": count(select(func.count()).select_from(House)),
        "rooms": count(select(func.count()).select_from(Room)),
        "registrations": dict(session.execute(select(Registration.status, func.count())
                                              .group_by(Registration.status)).all()),
        "permits": count(select(func.count()).select_from(Permit)),
    }
