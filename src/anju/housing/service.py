"""Housing use cases: e-keys, lock vendors and devices, management tasks, the county housing
policy and fees. The lock-event pipeline (ingest, reduction, retention) is in `events`.

Every function takes the session and the acting identity, asks `Access`, writes, and appends to the
audit chain inside the caller's unit of work. Keys follow registrations: the registry announces
approvals, rejections and ends (`registry.service.on`), and the listeners below issue and revoke.

Registry tables (persons, rooms, houses, registrations, permits) are only *read* here, in the
"registry reads" section, for joins the registry service does not offer in bulk; every write to
them goes through `registry.service`.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta, timezone

from sqlalchemy import and_, case, exists, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from anju.core import clock, divisions, idnumber
from anju.housing import policy as P
from anju.core.access import Access, shown
from anju.core.audit import AuditEvent, append_bulk
from anju.core.config import get_settings
from anju.core.crypto import IdCipher, id_cipher, mask_name, secret_cipher
from anju.core.db import bulk_insert, sql_timestamp, utcnow
from anju.core.errors import AnjuError, Conflict, Forbidden, NotFound, ValidationError
from anju.core.policy import ADDRESS, Action, Actor, Role
from anju.housing import rules
from anju.housing.models import (
    AssistAction,
    AssistConsent,
    EKey,
    FeeExemption,
    FeePayment,
    FeeStatement,
    HousingPolicy,
    HousingTask,
    Lock,
    LockPresence,
    LockVendor,
)
from anju.housing.rules import KeyKind, KeyStatus, RevokeReason, TaskKind
from anju.housing.schemas import (
    AssistActionOut,
    BillReport,
    ConsentIn,
    ConsentOut,
    ImportReport,
    KeyOut,
    LockIn,
    LockOut,
    PaymentOut,
    PolicyOut,
    RowError,
    StatementOut,
    TaskCount,
    TaskOut,
)
from anju.registry import service as registry
from anju.registry.models import House, Permit, Person, Registration, Room
from anju.registry.schemas import HouseIn, HouseOut, PersonIn, RegistrationIn, RegistrationOut

KEY_PURPOSE = P.E_KEY
TASK_PURPOSE = P.HOUSING_MANAGEMENT
FEE_PURPOSE = P.LOCK_SERVICE_FEE


def _not_found(what_zh: str, what_en: str, field: str | None = None) -> NotFound:
    return NotFound("not_found", f"{what_zh}不存在", f"{what_en} not found", field=field)


# --- registry reads --------------------------------------------------------------------------
def _room_house(session: Session, room_id: int) -> tuple[Room, House]:
    row = session.execute(select(Room, House).join(House, House.id == Room.house_id)
                          .where(Room.id == room_id)).first()
    if row is None:
        raise _not_found("房间", "room", "room_id")
    return row[0], row[1]


def _person_division(session: Session, person_code: str) -> str | None:
    return session.execute(select(Person.division_code)
                           .where(Person.person_code == person_code)).scalar()


def _reaches_person(access: Access, action: str, person_code: str) -> bool:
    """Whether the actor reaches the person at all (jurisdiction, self, or their landlord under
    an approved registration: the registry's rule)."""
    division = _person_division(access.session, person_code)
    if division is None:
        return False
    return access.reaches(action, division_code=division, person_codes=[person_code],
                          landlord_code=registry.landlord_reach(access.session, access.actor,
                                                                person_code))


def _where(access: Access, person_code: str | None, room_id: int | None, address: str | None,
           room_label: str | None) -> tuple:
    """(room_id, address, room_label) as the actor's purpose shows where a person lives (an
    actor with no purpose, an administrator recording a payment, is not told)."""
    try:
        purpose = access.purpose(person_code)
    except Forbidden:
        return None, None, None
    fields = shown(purpose, {ADDRESS: (room_id, address, room_label)})
    return fields.get(ADDRESS, (None, None, None))


def _county(division_code: str | None) -> str:
    return (division_code or get_settings().county_code)[:6]


# --- county housing policy -------------------------------------------------------------------
def county_policy(session: Session, county_code: str | None = None) -> rules.CountyPolicy:
    row = session.get(HousingPolicy, _county(county_code))
    if row is None:
        return rules.CountyPolicy()
    return rules.CountyPolicy(
        monthly_fee_fen=row.monthly_fee_fen, provisional_key_days=row.provisional_key_days,
        silent_days=row.silent_days, unregistered_days=row.unregistered_days,
        reminder_days=row.reminder_days, permit_grace_days=row.permit_grace_days)


def _policy_out(county: str, policy: rules.CountyPolicy) -> PolicyOut:
    return PolicyOut(county_code=county, **{k: getattr(policy, k) for k in rules.CountyPolicy.LIMITS})


def read_policy(session: Session, actor: Actor, county_code: str | None = None) -> PolicyOut:
    county = _county(county_code)
    return _policy_out(county, county_policy(session, county))


def set_policy(session: Session, actor: Actor, county_code: str | None = None,
               **changes: int | None) -> PolicyOut:
    """Change the county's housing policy (fee, provisional keys, task thresholds); audited."""
    access = Access(session, actor)
    access.check(P.HOUSING_ADMIN, "住房政策")
    county = _county(county_code)
    policy = county_policy(session, county).with_changes(**changes)
    row = session.get(HousingPolicy, county)
    if row is None:
        row = HousingPolicy(county_code=county, updated_by=actor.username)
        session.add(row)
    for name in rules.CountyPolicy.LIMITS:
        setattr(row, name, getattr(policy, name))
    row.updated_by = actor.username
    session.flush()
    access.record(AuditEvent(P.HOUSING_POLICY, P.COUNTY_ADMINISTRATION, None, "housing_policy",
                             county, {k: v for k, v in changes.items() if v is not None}))
    return _policy_out(county, policy)


# --- e-keys: issued and revoked by registration events ---------------------------------------
def _key_event(action: Action, key: EKey, **detail) -> AuditEvent:
    return AuditEvent(action, KEY_PURPOSE, key.person_code, "ekey", key.key_id,
                      {"room_id": key.room_id, "registration_id": key.registration_id,
                       "kind": key.kind, **detail})


def _issue(session: Session, actor: Actor, reg: Registration, kind: KeyKind,
           valid_until: date | None, trigger: str) -> EKey:
    today = clock.today()
    key = EKey(key_id=rules.new_key_id(), person_code=reg.person_code, room_id=reg.room_id,
               registration_id=reg.id, division_code=reg.division_code,
               landlord_person_code=reg.landlord_person_code, kind=kind.value,
               status=KeyStatus.ACTIVE.value, valid_from=max(reg.start_date, today),
               valid_until=valid_until)
    session.add(key)
    session.flush()
    Access(session, actor).record(_key_event(P.KEY_ISSUE, key, on=trigger))
    return key


def _revoke(session: Session, actor: Actor, key: EKey, reason: RevokeReason,
            note: str | None = None) -> None:
    key.status = KeyStatus.REVOKED.value
    key.revoked_at, key.revoked_by = utcnow(), actor.username
    key.revoke_reason, key.revoke_note = reason.value, note
    Access(session, actor).record(_key_event(P.KEY_REVOKE, key, reason=reason.value))


def _active_keys(session: Session, registration_id: int, kind: KeyKind | None = None) -> list[EKey]:
    query = select(EKey).where(EKey.registration_id == registration_id,
                               EKey.status == KeyStatus.ACTIVE.value)
    if kind is not None:
        query = query.where(EKey.kind == kind.value)
    return list(session.execute(query.with_for_update()).scalars())


def on_registration_submitted(session: Session, actor: Actor, reg: Registration) -> None:
    """No key before approval — unless the county allows a short provisional key."""
    days = county_policy(session, reg.division_code).provisional_key_days
    if days > 0:
        _issue(session, actor, reg, KeyKind.PROVISIONAL, clock.today() + timedelta(days=days),
               "registration.submitted")


def on_registration_approved(session: Session, actor: Actor, reg: Registration) -> None:
    for key in _active_keys(session, reg.id, KeyKind.PROVISIONAL):
        _revoke(session, actor, key, RevokeReason.REPLACED)
    if not _active_keys(session, reg.id, KeyKind.TENANT):
        _issue(session, actor, reg, KeyKind.TENANT, reg.end_date, "registration.approved")


def on_registration_rejected(session: Session, actor: Actor, reg: Registration) -> None:
    for key in _active_keys(session, reg.id):
        _revoke(session, actor, key, RevokeReason.REGISTRATION_REJECTED)


def on_registration_ended(session: Session, actor: Actor, reg: Registration) -> None:
    """The key ends with the registration: at once, or on a move-out date still to come."""
    today = clock.today()
    end = reg.end_date or today
    for key in _active_keys(session, reg.id):
        if end <= today:
            _revoke(session, actor, key, RevokeReason.REGISTRATION_ENDED)
        elif key.valid_until is None or key.valid_until > end:
            key.valid_until = end
            Access(session, actor).record(_key_event(P.KEY_SHORTEN, key, valid_until=end.isoformat()))


_KEY_COLUMNS = ("key_id", "person_code", "room_id", "registration_id", "division_code",
                "landlord_person_code", "kind", "status", "valid_from", "valid_until", "issued_at")


def on_registrations_loaded(session: Session, actor: Actor, loaded: list) -> None:
    """Keys for registrations a bulk load wrote, as the approval (or, where the county allows
    provisional keys, the submission) listener would have issued them one by one: "no
    registration, no key" holds for imported tenancies too. Audited in bulk."""
    today, now = clock.today(), sql_timestamp(utcnow())
    provisional_days: dict[str, int] = {}
    rows, events = [], []
    for reg in loaded:
        if reg.status == "approved":
            kind, until = KeyKind.TENANT, reg.end_date
        elif reg.status == "submitted":
            county = _county(reg.division_code)
            if county not in provisional_days:
                provisional_days[county] = county_policy(session, county).provisional_key_days
            if not provisional_days[county]:
                continue
            kind, until = KeyKind.PROVISIONAL, today + timedelta(days=provisional_days[county])
        else:
            continue
        key_id = rules.new_key_id()
        rows.append((key_id, reg.person_code, reg.room_id, reg.id, reg.division_code,
                     reg.landlord_person_code, kind.value, KeyStatus.ACTIVE.value,
                     max(reg.start_date, today).isoformat(), until and until.isoformat(), now))
        events.append(AuditEvent(P.KEY_ISSUE, KEY_PURPOSE, reg.person_code, "ekey", key_id,
                                 {"room_id": reg.room_id, "registration_id": reg.id,
                                  "kind": kind.value, "on": "registration.import"}))
    bulk_insert(session, EKey.__tablename__, _KEY_COLUMNS, rows)
    append_bulk(session, actor, events)


def on_house_moved(session: Session, actor: Actor, house: House) -> None:
    """A house's division was corrected: the copies kept for reach checks follow it (keys and
    locks on its rooms, its open tasks); statements already made keep the division billed."""
    rooms = select(Room.id).where(Room.house_id == house.id)
    for table in (EKey, Lock):
        session.execute(update(table).where(table.room_id.in_(rooms))
                        .values(division_code=house.division_code))
    session.execute(update(HousingTask).where(HousingTask.room_id.in_(rooms),
                                              HousingTask.status == "open")
                    .values(division_code=house.division_code))


def _shown_name(access: Access, person_code: str, name: str | None) -> str | None:
    """Whose key or statement it is: the name masked, if the actor's purpose has names."""
    try:
        purpose = access.purpose(person_code)
    except Forbidden:
        return None
    return mask_name(name) if name and "name" in purpose.fields else None


def _key_out(access: Access, key: EKey, today: date, address: str | None = None,
             room_label: str | None = None, name: str | None = None) -> KeyOut:
    reason = rules.RevokeReason(key.revoke_reason) if key.revoke_reason else None
    room_id, address, room_label = _where(access, key.person_code, key.room_id, address,
                                          room_label)
    return KeyOut(key_id=key.key_id, person_code=key.person_code, room_id=room_id,
                  registration_id=key.registration_id, kind=key.kind,
                  status=rules.key_status(key.status, key.valid_until, today).value,
                  valid_from=key.valid_from, valid_until=key.valid_until, issued_at=key.issued_at,
                  revoked_at=key.revoked_at, revoke_reason=key.revoke_reason,
                  revoke_reason_zh=rules.REVOKE_REASON_ZH[reason] if reason else None,
                  address=address, room_label=room_label,
                  person_name=_shown_name(access, key.person_code, name))


def list_keys(session: Session, actor: Actor, person_code: str | None = None,
              landlord_code: str | None = None) -> list[KeyOut]:
    """A person's keys (or, without person_code, every key the actor reaches; or one landlord's
    rooms' keys), newest first."""
    access = Access(session, actor)
    where = access.restrict(P.KEY_READ, division_col=EKey.division_code,
                            person_col=EKey.person_code, landlord_col=EKey.landlord_person_code)
    query = (select(EKey, Room.label, House.address, Person.name)
             .join(Room, Room.id == EKey.room_id).join(House, House.id == Room.house_id)
             .outerjoin(Person, Person.person_code == EKey.person_code).where(where))
    if person_code:
        query = query.where(EKey.person_code == person_code)
    if landlord_code:
        query = query.where(EKey.landlord_person_code == landlord_code)
    rows = session.execute(query.order_by(EKey.id.desc()).limit(500)).all()
    if person_code and not rows and not _reaches_person(access, P.KEY_READ, person_code):
        # Forbidden looks like missing: an empty list only for someone who reaches the person.
        raise access.refuse(P.KEY_READ, _not_found("人员", "person", "person_code"),
                            person_codes=[person_code])
    today = clock.today()
    out = [_key_out(access, key, today, address, label, name)
           for key, label, address, name in rows]
    others = sorted({k.person_code for k in out if k.person_code != actor.person_code})
    access.record(*[AuditEvent(P.KEY_READ, access.purpose(code), code, "person", code)
                    for code in others])
    return out


def revoke_key(session: Session, actor: Actor, key_id: str, note: str) -> KeyOut:
    """A landlord (or the police) takes a key back; the registration itself is not touched."""
    access = Access(session, actor)
    access.scopes(P.KEY_REVOKE)
    key = session.execute(select(EKey).where(EKey.key_id == key_id).with_for_update()).scalar()
    if key is None:
        raise _not_found("钥匙", "key", "key_id")
    access.check(P.KEY_REVOKE, "钥匙", division_code=key.division_code,
                 landlord_code=key.landlord_person_code)
    if rules.key_status(key.status, key.valid_until, clock.today()) is not KeyStatus.ACTIVE:
        raise Conflict("key_not_active", "该钥匙已失效", "the key is no longer active",
                       field="key_id")
    reason = RevokeReason.LANDLORD if actor.role is Role.LANDLORD else RevokeReason.POLICE
    _revoke(session, actor, key, reason, note)
    return _key_out(access, key, clock.today())


def sweep_keys(session: Session, actor: Actor, today: date | None = None) -> int:
    """Revoke keys of persons whose residence permit lapsed more than the grace period ago
    (reminders went out before expiry). Persons who never held a permit are not affected."""
    today = today or clock.today()
    grace = county_policy(session).permit_grace_days
    latest = (select(Permit.person_code, func.max(Permit.valid_until).label("until"))
              .where(Permit.status == "valid").group_by(Permit.person_code).subquery())
    keys = session.execute(
        select(EKey).join(latest, latest.c.person_code == EKey.person_code)
        .where(EKey.status == KeyStatus.ACTIVE.value,
               latest.c.until < today - timedelta(days=grace))
        .with_for_update(of=EKey)).scalars().all()
    for key in keys:
        _revoke(session, actor, key, RevokeReason.PERMIT_EXPIRED)
    return len(keys)


# --- lock vendors and lock devices -----------------------------------------------------------
def vendor_cipher() -> IdCipher:
    # A separate key for vendor secrets, derived from the application secret.
    return secret_cipher("anju/housing/lock-vendor-secrets/v1")


def add_vendor(session: Session, actor: Actor, name: str) -> str:
    """Register a lock vendor; returns its signing secret (shown once, stored encrypted)."""
    import secrets

    access = Access(session, actor)
    access.check(P.HOUSING_ADMIN, "厂商")
    name = name.strip()
    if not name or len(name) > 64:
        raise ValidationError("vendor_name", "厂商名称应为 1–64 个字符",
                              "vendor name must have 1–64 characters", field="name")
    if session.execute(select(LockVendor.id).where(LockVendor.name == name)).first():
        raise Conflict("vendor_exists", "该厂商已登记", "vendor already registered", field="name")
    secret = secrets.token_hex(32)
    vendor = LockVendor(name=name, secret_cipher=vendor_cipher().encrypt(secret))
    session.add(vendor)
    session.flush()
    access.record(AuditEvent(P.LOCK_VENDOR_ADD, P.LOCK_INTEGRATION, None, "lock_vendor", name))
    return secret


def rotate_vendor_secret(session: Session, actor: Actor, name: str) -> str:
    import secrets

    access = Access(session, actor)
    access.check(P.HOUSING_ADMIN, "厂商")
    vendor = session.execute(select(LockVendor).where(LockVendor.name == name)).scalar()
    if vendor is None:
        raise _not_found("厂商", "vendor", "name")
    secret = secrets.token_hex(32)
    vendor.secret_cipher = vendor_cipher().encrypt(secret)
    access.record(AuditEvent(P.LOCK_VENDOR_ROTATE, P.LOCK_INTEGRATION, None, "lock_vendor", name))
    return secret


def register_lock(session: Session, actor: Actor, data: LockIn) -> LockOut:
    access = Access(session, actor)
    access.scopes(P.LOCK_MANAGE)
    room, house = _room_house(session, data.room_id)
    access.check(P.LOCK_MANAGE, "房间", division_code=house.division_code,
                 landlord_code=house.landlord_person_code)
    vendor = session.execute(select(LockVendor).where(LockVendor.name == data.vendor,
                                                      LockVendor.active.is_(True))).scalar()
    if vendor is None:
        raise ValidationError("vendor_unknown", "门锁厂商未登记", "lock vendor not registered",
                              field="vendor")
    lock = Lock(vendor_id=vendor.id, lock_id=data.lock_id, room_id=room.id,
                division_code=house.division_code, landlord_person_code=house.landlord_person_code,
                installed_on=clock.today(), registered_by=actor.username)
    session.add(lock)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise Conflict("lock_exists", "该门锁已登记", "this lock is already registered",
                       field="lock_id") from None
    access.record(AuditEvent(P.LOCK_REGISTER, P.LOCK_INTEGRATION, None, "lock",
                             f"{vendor.name}/{lock.lock_id}", {"room_id": room.id}))
    return LockOut(lock_id=lock.lock_id, vendor=vendor.name, room_id=room.id,
                   installed_on=lock.installed_on)


# --- management tasks ------------------------------------------------------------------------
def _known_subjects(session: Session, kind: TaskKind, dismissed_since) -> set[str]:
    """Subjects with an open task, or dismissed recently (a visit said "still here")."""
    return set(session.execute(select(HousingTask.subject).where(
        HousingTask.kind == kind.value,
        or_(HousingTask.status == "open",
            and_(HousingTask.status == "dismissed", HousingTask.resolved_at >= dismissed_since))
    )).scalars())


def _open_tasks(session: Session, actor: Actor, kind: TaskKind, found: Iterable[dict],
                dismissed_since) -> int:
    known = _known_subjects(session, kind, dismissed_since)
    tasks = [HousingTask(kind=kind.value, status="open", **f) for f in found
             if f["subject"] not in known]
    session.add_all(tasks)
    session.flush()
    Access(session, actor).record(*[
        AuditEvent(P.HOUSING_TASK_OPEN, TASK_PURPOSE, t.person_code, "housing_task", str(t.id),
                   {"kind": t.kind}) for t in tasks])
    return len(tasks)


def detect_tasks(session: Session, actor: Actor, today: date | None = None) -> dict[str, int]:
    """Raise management tasks from daily presence and permits. Decides nothing about anyone."""
    today = today or clock.today()
    policy = county_policy(session)
    dismissed_since = utcnow() - timedelta(days=policy.silent_days)
    opened = {}

    # Suspected move-out: an active tenant key, on a room with a lock, silent for N days.
    cutoff = today - timedelta(days=policy.silent_days)
    lock_rooms = (select(Lock.room_id, func.min(Lock.installed_on).label("installed_on"))
                  .group_by(Lock.room_id).subquery())
    seen = exists().where(LockPresence.key_id == EKey.key_id, LockPresence.day > cutoff)
    silent = session.execute(
        select(EKey.key_id, EKey.person_code, EKey.room_id, EKey.registration_id,
               EKey.division_code)
        .join(lock_rooms, lock_rooms.c.room_id == EKey.room_id)
        .where(EKey.status == KeyStatus.ACTIVE.value, EKey.kind == KeyKind.TENANT.value,
               or_(EKey.valid_until.is_(None), EKey.valid_until >= today),
               EKey.valid_from <= cutoff, lock_rooms.c.installed_on <= cutoff, ~seen)).all()
    opened[TaskKind.SUSPECTED_MOVE_OUT.value] = _open_tasks(session, actor,
        TaskKind.SUSPECTED_MOVE_OUT,
        ({"subject": f"{TaskKind.SUSPECTED_MOVE_OUT.value}:{k.key_id}", "key_id": k.key_id,
          "person_code": k.person_code, "room_id": k.room_id, "registration_id": k.registration_id,
          "division_code": k.division_code, "detail": {"silent_days_at_least": policy.silent_days}}
         for k in silent), dismissed_since)

    # Unregistered occupant: keys in regular use (≥ N days of the last 2N) that belong to no
    # active key of the room, or more regular keys than the room's capacity.
    window_start = today - timedelta(days=2 * policy.unregistered_days)
    regular = (select(LockPresence.room_id, LockPresence.key_id)
               .where(LockPresence.day >= window_start, LockPresence.day < today)
               .group_by(LockPresence.room_id, LockPresence.key_id)
               .having(func.count() >= policy.unregistered_days).subquery())
    registered_key = and_(EKey.key_id == regular.c.key_id, EKey.room_id == regular.c.room_id,
                          EKey.status == KeyStatus.ACTIVE.value,
                          or_(EKey.valid_until.is_(None), EKey.valid_until >= window_start))
    unregistered = func.sum(case((EKey.id.is_(None), 1), else_=0))
    rooms = session.execute(
        select(regular.c.room_id, func.count().label("regular"), unregistered.label("unknown"),
               Room.capacity, House.division_code)
        .select_from(regular).outerjoin(EKey, registered_key)
        .join(Room, Room.id == regular.c.room_id).join(House, House.id == Room.house_id)
        .group_by(regular.c.room_id, Room.capacity, House.division_code)
        .having(or_(unregistered > 0, func.count() > Room.capacity))).all()
    opened[TaskKind.UNREGISTERED_OCCUPANT.value] = _open_tasks(session, actor,
        TaskKind.UNREGISTERED_OCCUPANT,
        ({"subject": f"{TaskKind.UNREGISTERED_OCCUPANT.value}:{r.room_id}", "room_id": r.room_id,
          "division_code": r.division_code,
          "detail": {"keys_in_regular_use": r.regular, "capacity": r.capacity,
                     "keys_without_registration": int(r.unknown or 0)}}
         for r in rooms), dismissed_since)

    # Reminders: residence permits of current residents expiring within N days.
    expiring = session.execute(
        select(Permit.permit_number, Permit.person_code, Permit.valid_until,
               Registration.id, Registration.room_id, Registration.division_code)
        .join(Registration, and_(Registration.person_code == Permit.person_code,
                                 Registration.status == "approved"))
        .where(Permit.status == "valid", Permit.valid_until >= today,
               Permit.valid_until <= today + timedelta(days=policy.reminder_days))).all()
    opened[TaskKind.PERMIT_EXPIRING.value] = _open_tasks(session, actor, TaskKind.PERMIT_EXPIRING,
        ({"subject": f"{TaskKind.PERMIT_EXPIRING.value}:{p.permit_number}",
          "person_code": p.person_code, "room_id": p.room_id, "registration_id": p.id,
          "division_code": p.division_code, "due_on": p.valid_until,
          "detail": {"permit_number": p.permit_number}}
         for p in expiring), utcnow() - timedelta(days=policy.reminder_days))
    return opened


def _division_filter(access: Access, action: str, division: str | None):
    where = access.restrict(action, division_col=HousingTask.division_code)
    if division:
        code = divisions.canonical(division)
        where = and_(where, HousingTask.division_code.like(divisions.significant_prefix(code) + "%"))
    return where


def list_tasks(session: Session, actor: Actor, division: str | None = None,
               kind: str | None = None, status: str = "open", limit: int = 200) -> list[TaskOut]:
    """Open management tasks in the actor's jurisdiction (optionally one village or township)."""
    access = Access(session, actor)
    where = _division_filter(access, P.HOUSING_TASK_READ, division)
    query = (select(HousingTask, Room.label, House.address, Person.name)
             .outerjoin(Room, Room.id == HousingTask.room_id)
             .outerjoin(House, House.id == Room.house_id)
             .outerjoin(Person, Person.person_code == HousingTask.person_code)
             .where(where, HousingTask.status == status))
    if kind:
        query = query.where(HousingTask.kind == kind)
    rows = session.execute(query.order_by(HousingTask.id).limit(min(limit, 1000))).all()
    out = [_task_out(access, t, label, address, name) for t, label, address, name in rows]
    access.record(*[AuditEvent(P.HOUSING_TASK_READ, TASK_PURPOSE, t.person_code, "housing_task",
                               str(t.task_id), {"listing": True}) for t in out if t.person_code])
    return out


def _task_out(access: Access, task: HousingTask, label=None, address=None,
              name=None) -> TaskOut:
    purpose = access.purpose(task.person_code)
    fields = shown(purpose, {"name": name, ADDRESS: (task.room_id, address, label)},
                   masked=True)
    room_id, address, label = fields.get(ADDRESS, (None, None, None))
    return TaskOut(task_id=task.id, kind=task.kind, kind_zh=rules.TASK_KIND_ZH[TaskKind(task.kind)],
                   status=task.status, division_code=task.division_code,
                   division_name=divisions.full_name(task.division_code)
                   if divisions.get(task.division_code) else None,
                   room_id=room_id, address=address, room_label=label,
                   person_code=task.person_code, person_name=fields.get("name"),
                   key_id=task.key_id, registration_id=task.registration_id, detail=task.detail,
                   created_at=task.created_at, due_on=task.due_on, outcome=task.outcome)


def task_counts(session: Session, actor: Actor, division: str | None = None) -> list[TaskCount]:
    """Open tasks per village (community) in the actor's jurisdiction: counts only."""
    access = Access(session, actor)
    where = _division_filter(access, P.HOUSING_TASK_READ, division)
    rows = session.execute(select(HousingTask.division_code, HousingTask.kind, func.count())
                           .where(where, HousingTask.status == "open")
                           .group_by(HousingTask.division_code, HousingTask.kind)).all()
    per: dict[str, Counter] = {}
    for code, kind, n in rows:
        per.setdefault(code, Counter())[kind] += n
    return [TaskCount(division_code=code, division_name=divisions.full_name(code)
                      if divisions.get(code) else None,
                      open=sum(c.values()), by_kind=dict(c)) for code, c in sorted(per.items())]


def task_counts_by_township(session: Session, actor: Actor,
                            division: str | None = None) -> list[TaskCount]:
    """Open tasks per township (乡镇/街道): the village counts summed, for the task map's chart."""
    per: dict[str, Counter] = {}
    for row in task_counts(session, actor, division):
        code = row.division_code[:9] + "000"
        per.setdefault(code, Counter()).update(row.by_kind)
    out = []
    for code, c in sorted(per.items()):
        township = divisions.get(code)
        out.append(TaskCount(division_code=code, division_name=township.name if township else None,
                             open=sum(c.values()), by_kind=dict(c)))
    return out


def resolve_task(session: Session, actor: Actor, task_id: int, outcome: str,
                 note: str | None = None, end_date: date | None = None) -> TaskOut:
    """The grid worker's finding after a visit. "moved_out" ends the registration (which revokes
    the key); every other outcome only closes the task."""
    access = Access(session, actor)
    access.scopes(P.HOUSING_TASK_RESOLVE)
    task = session.execute(select(HousingTask).where(HousingTask.id == task_id)
                           .with_for_update()).scalar()
    if task is None:
        raise _not_found("任务", "task", "task_id")
    access.check(P.HOUSING_TASK_RESOLVE, "任务", division_code=task.division_code)
    if task.status != "open":
        raise Conflict("task_closed", "该任务已处理", "the task is already closed")
    task.status = rules.task_status_after(task.kind, outcome)
    if outcome == "moved_out":
        registry.end_registration(session, actor, task.registration_id, end_date or clock.today())
    task.outcome, task.note = outcome, note
    task.resolved_at, task.resolved_by = utcnow(), actor.username
    access.record(AuditEvent(P.HOUSING_TASK_RESOLVE, TASK_PURPOSE, task.person_code,
                             "housing_task", str(task.id), {"kind": task.kind, "outcome": outcome}))
    return _task_out(access, task)


# --- fees --------------------------------------------------------------------------------------
def import_exemptions(session: Session, actor: Actor, rows: Iterable[tuple[int, dict]],
                      source: str) -> ImportReport:
    """Civil-affairs list of 低保/特困 persons (ID number + category). Bad rows are reported by
    line and skipped; a re-import of the same list changes nothing. Stores only the keyed hash."""
    access = Access(session, actor)
    access.check(P.HOUSING_ADMIN, "减免名单")
    cipher = id_cipher()
    report = ImportReport(rows=0, added=0, changed=0, unchanged=0, errors=[])
    seen: dict[str, int] = {}
    for line, row in rows:
        report.rows += 1
        try:
            number = idnumber.parse_id_number(row.get("id_number") or "", today=clock.today()).number
            category = rules.exemption_category(row.get("category") or "")
        except AnjuError as error:
            report.errors.append(RowError(line=line, code=error.code, message_zh=error.message_zh,
                                          message_en=error.message_en))
            continue
        digest = cipher.lookup_hash(number)
        if digest in seen:
            report.errors.append(RowError(
                line=line, code="row_repeated", message_zh=f"与第 {seen[digest]} 行重复",
                message_en=f"repeats line {seen[digest]}"))
            continue
        seen[digest] = line
        existing = session.get(FeeExemption, digest)
        if existing is None:
            session.add(FeeExemption(id_hash=digest, category=category.value, source=source))
            report.added += 1
        elif existing.category != category.value:
            existing.category, existing.source = category.value, source
            report.changed += 1
        else:
            report.unchanged += 1
    session.flush()
    access.record(AuditEvent(P.FEE_EXEMPTIONS_IMPORT, P.LOCK_SERVICE_FEE, None, "fee_exemptions",
                             source, report.model_dump(include={"rows", "added", "changed",
                                                                "unchanged"})))
    return report


def generate_statements(session: Session, actor: Actor, month: str) -> BillReport:
    """Monthly statements for every tenancy covering at least half the month; persons on the
    civil-affairs list are exempt. Re-running a month adds only what is missing."""
    access = Access(session, actor)
    access.check(P.HOUSING_ADMIN, "月度账单")
    first, last = rules.parse_month(month)
    label = first.strftime("%Y-%m")
    fee = county_policy(session).monthly_fee_fen
    if fee is None:
        raise Conflict("fee_not_set", "县级服务费标准尚未设定，请先设定每月服务费标准",
                       "the county's monthly fee is not set yet; set it first")
    tenancies = session.execute(
        select(Registration, FeeExemption.category)
        .join(Person, Person.person_code == Registration.person_code)
        .outerjoin(FeeExemption, FeeExemption.id_hash == Person.id_hash)
        .where(or_(Registration.status == "approved",
                   and_(Registration.status == "ended", Registration.decided_at.is_not(None))),
               Registration.start_date <= last,
               or_(Registration.end_date.is_(None), Registration.end_date >= first))).all()
    billed = set(session.execute(select(FeeStatement.registration_id)
                                 .where(FeeStatement.month == label)).scalars())
    report = BillReport(month=label, created=0, exempt=0, already=0, newly_exempted=0)
    events = []
    for reg, category in tenancies:
        if not rules.billable(reg.start_date, reg.end_date, first, last):
            continue
        if reg.id in billed:
            report.already += 1
            continue
        statement = FeeStatement(
            registration_id=reg.id, month=label, person_code=reg.person_code, room_id=reg.room_id,
            division_code=reg.division_code, landlord_person_code=reg.landlord_person_code,
            fee_fen=fee, amount_fen=0 if category else fee, exemption=category,
            status="exempt" if category else "due")
        session.add(statement)
        report.created += 1
        report.exempt += bool(category)
        events.append(AuditEvent(P.FEE_STATEMENT, FEE_PURPOSE, reg.person_code, "fee_statement",
                                 f"{reg.id}/{label}", {"exemption": category}))
    # Someone listed after their statement was made: an unpaid statement becomes exempt.
    late = session.execute(
        select(FeeStatement, FeeExemption.category)
        .join(Person, Person.person_code == FeeStatement.person_code)
        .join(FeeExemption, FeeExemption.id_hash == Person.id_hash)
        .where(FeeStatement.month == label, FeeStatement.status == "due",
               ~exists().where(FeePayment.statement_id == FeeStatement.id))).all()
    for statement, category in late:
        statement.amount_fen, statement.exemption, statement.status = 0, category, "exempt"
        report.newly_exempted += 1
        events.append(AuditEvent(P.FEE_EXEMPT, FEE_PURPOSE, statement.person_code,
                                 "fee_statement", str(statement.id), {"exemption": category}))
    session.flush()
    access.record(*events)
    return report


def _statement_out(access: Access, statement: FeeStatement, payments: list[FeePayment],
                   address: str | None = None, room_label: str | None = None,
                   name: str | None = None) -> StatementOut:
    reason = rules.exemption_reason(statement.exemption)
    room_id, address, room_label = _where(access, statement.person_code, statement.room_id,
                                          address, room_label)
    return StatementOut(
        address=address, room_label=room_label,
        person_name=_shown_name(access, statement.person_code, name),
        statement_id=statement.id, month=statement.month, person_code=statement.person_code,
        room_id=room_id, registration_id=statement.registration_id,
        fee_fen=statement.fee_fen, amount_fen=statement.amount_fen,
        paid_fen=sum(p.amount_fen for p in payments), status=statement.status,
        exemption=statement.exemption, exemption_reason_zh=reason[0] if reason else None,
        exemption_reason_en=reason[1] if reason else None,
        payments=[PaymentOut(amount_fen=p.amount_fen, reference=p.reference, method=p.method,
                             paid_at=p.paid_at) for p in payments])


def list_fees(session: Session, actor: Actor, person_code: str | None = None) -> list[StatementOut]:
    """Fee history: a tenant's own, or a landlord's tenants'; newest month first."""
    access = Access(session, actor)
    where = access.restrict(P.FEE_READ, person_col=FeeStatement.person_code,
                            landlord_col=FeeStatement.landlord_person_code)
    query = (select(FeeStatement, House.address, Room.label, Person.name)
             .join(Room, Room.id == FeeStatement.room_id).join(House, House.id == Room.house_id)
             .join(Person, Person.person_code == FeeStatement.person_code).where(where))
    if person_code:
        query = query.where(FeeStatement.person_code == person_code)
    rows = session.execute(query.order_by(FeeStatement.month.desc(), FeeStatement.id.desc())
                           .limit(500)).all()
    statements = [row[0] for row in rows]
    shown_where = {row[0].id: row[1:] for row in rows}  # where, and whose (name masked)
    if person_code and not statements and not _reaches_person(access, P.FEE_READ, person_code):
        raise access.refuse(P.FEE_READ, _not_found("人员", "person", "person_code"),
                            person_codes=[person_code])
    payments: dict[int, list[FeePayment]] = {}
    if statements:
        for payment in session.execute(select(FeePayment).where(
                FeePayment.statement_id.in_([s.id for s in statements]))
                .order_by(FeePayment.id)).scalars():
            payments.setdefault(payment.statement_id, []).append(payment)
    others = sorted({s.person_code for s in statements if s.person_code != actor.person_code})
    access.record(*[AuditEvent(P.FEE_READ, FEE_PURPOSE, code, "person", code) for code in others])
    return [_statement_out(access, s, payments.get(s.id, []), *shown_where[s.id])
            for s in statements]


def record_payment(session: Session, actor: Actor, statement_id: int, amount_fen: int,
                   reference: str, method: str = "online") -> StatementOut:
    """A payment against a statement; the same payment reference is recorded once."""
    access = Access(session, actor)
    access.scopes(P.FEE_PAY)
    statement = session.execute(select(FeeStatement).where(FeeStatement.id == statement_id)
                                .with_for_update()).scalar()
    if statement is None:
        raise _not_found("账单", "statement", "statement_id")
    access.check(P.FEE_PAY, "账单", person_codes=[statement.person_code])
    previous = session.execute(select(FeePayment).where(FeePayment.reference == reference)).scalar()
    if previous is not None:
        if previous.statement_id != statement.id or previous.amount_fen != amount_fen:
            raise Conflict("payment_reference_reused", "该支付流水号已用于另一笔付款",
                           "this payment reference was used for another payment",
                           field="reference")
    else:
        if statement.status != "due":
            raise Conflict("statement_not_due", "该账单无需付款", "nothing is due on this statement")
        paid = session.execute(select(func.coalesce(func.sum(FeePayment.amount_fen), 0)).where(
            FeePayment.statement_id == statement.id)).scalar_one()
        if amount_fen > statement.amount_fen - paid:
            raise ValidationError("payment_too_much", "付款金额超过应付金额",
                                  "the payment exceeds the amount due", field="amount_fen")
        session.add(FeePayment(statement_id=statement.id, amount_fen=amount_fen,
                               reference=reference, method=method, recorded_by=actor.username))
        if paid + amount_fen >= statement.amount_fen:
            statement.status = "paid"
        session.flush()
        access.record(AuditEvent(P.FEE_PAY, FEE_PURPOSE, statement.person_code, "fee_statement",
                                 str(statement.id), {"amount_fen": amount_fen}))
    payments = list(session.execute(select(FeePayment).where(
        FeePayment.statement_id == statement.id).order_by(FeePayment.id)).scalars())
    return _statement_out(access, statement, payments)



# --- assisted mode: a grid worker acts for a landlord, with consent --------------------------
ASSIST_PURPOSE = P.ASSISTED_TENANCY_MANAGEMENT
CONSENT_METHODS = {"paper_form": ("书面同意书", "signed paper form"),
                   "in_person": ("当面口头同意", "in person")}


def _consent_refused(zh: str, en: str) -> Forbidden:
    return Forbidden("consent_required", f"需房东本人同意：{zh}", f"the landlord's consent is "
                     f"required: {en}", field="consent_id")


def _as_utc_naive(moment: datetime) -> datetime:
    """A form or API time (naive = China time) as the naive UTC the database stores."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone(timedelta(hours=8)))
    return moment.astimezone(UTC).replace(tzinfo=None)


def _cst_date(utc_naive: datetime) -> date:
    return (utc_naive + timedelta(hours=8)).date()


def _consent_live(consent: AssistConsent, today: date) -> bool:
    return consent.withdrawn_at is None and today <= consent.valid_until


def _consent_out(consent: AssistConsent, name: str | None = None) -> ConsentOut:
    return ConsentOut(consent_id=consent.id, landlord_person_code=consent.landlord_person_code,
                      landlord_name=name, grid_worker=consent.grid_worker, method=consent.method,
                      reference=consent.reference, consented_at=consent.consented_at,
                      valid_until=consent.valid_until, recorded_at=consent.recorded_at,
                      withdrawn_at=consent.withdrawn_at, withdrawn_by=consent.withdrawn_by,
                      live=_consent_live(consent, clock.today()))


def _assist_event(action: Action, consent: AssistConsent, actor: Actor, object_type: str,
                  object_id: str, **detail) -> AuditEvent:
    """An audit entry about the landlord (so it shows in their access log) naming both the
    grid worker (the entry's actor) and the landlord, and the consent it rests on."""
    return AuditEvent(action, ASSIST_PURPOSE, consent.landlord_person_code, object_type,
                      object_id, {"grid_worker": actor.username,
                                  "on_behalf_of": consent.landlord_person_code,
                                  "consent_id": consent.id, "consent_method": consent.method,
                                  "consent_reference": consent.reference, **detail})


def record_consent(session: Session, actor: Actor, data: ConsentIn) -> ConsentOut:
    """A grid worker records that a landlord of their jurisdiction consents to being assisted."""
    access = Access(session, actor)
    access.scopes(P.HOUSING_ASSIST)
    landlord = session.execute(select(Person).where(
        Person.person_code == data.landlord_person_code)).scalar()
    if landlord is None:
        raise _not_found("房东", "landlord", "landlord_person_code")
    # The worker reaches a landlord who lives, or lets a house, in their jurisdiction.
    houses = session.execute(select(House.division_code).where(
        House.landlord_person_code == landlord.person_code).distinct()).scalars().all()
    if not any(access.reaches(P.HOUSING_ASSIST, division_code=code)
               for code in [landlord.division_code, *houses]):
        raise access.refuse(P.HOUSING_ASSIST, _not_found("房东", "landlord", "landlord_person_code"),
                            person_codes=[landlord.person_code])
    consented_at = _as_utc_naive(data.consented_at)
    now = utcnow()
    if consented_at > now + timedelta(minutes=5):
        raise ValidationError("consent_in_future", "同意时间不能晚于现在",
                              "the consent cannot lie in the future", field="consented_at")
    if consented_at < now - timedelta(days=30):
        raise ValidationError("consent_too_old", "同意时间超过 30 天，请重新取得房东同意",
                              "the consent is older than 30 days; ask the landlord again",
                              field="consented_at")
    consent = AssistConsent(
        landlord_person_code=landlord.person_code,
        division_code=divisions.canonical(actor.division_code),
        grid_worker=actor.username, method=str(data.method), reference=data.reference,
        consented_at=consented_at,
        valid_until=_cst_date(consented_at) + timedelta(days=data.valid_days - 1))
    session.add(consent)
    session.flush()
    access.record(_assist_event(P.ASSIST_CONSENT, consent, actor, "assist_consent",
                                str(consent.id), valid_until=consent.valid_until.isoformat()))
    return _consent_out(consent, landlord.name)


def withdraw_consent(session: Session, actor: Actor, consent_id: int) -> ConsentOut:
    """The landlord (their own) or the grid worker (their jurisdiction) ends a consent."""
    access = Access(session, actor)
    consent = session.get(AssistConsent, consent_id, with_for_update=True)
    if consent is None or not access.reaches(
            P.HOUSING_ASSIST_READ, division_code=consent.division_code,
            person_codes=[consent.landlord_person_code]) or (
            actor.role is Role.GRID_WORKER and consent.grid_worker != actor.username):
        raise access.refuse(P.HOUSING_ASSIST_READ, _not_found("同意记录", "consent", "consent_id"))
    if consent.withdrawn_at is None:
        consent.withdrawn_at, consent.withdrawn_by = utcnow(), actor.username
        access.record(_assist_event(P.ASSIST_WITHDRAW, consent, actor, "assist_consent",
                                    str(consent.id)))
    return _consent_out(consent)


def _live_consent(access: Access, consent_id: int | None, landlord_code: str) -> AssistConsent:
    """The consent this grid worker acts under for this landlord, or a refusal."""
    if not consent_id:
        raise _consent_refused("未提供同意记录", "no consent given")
    consent = access.session.get(AssistConsent, consent_id)
    if consent is None or consent.grid_worker != access.actor.username:
        raise _consent_refused("未找到本人取得的同意记录", "no consent recorded by you")
    if consent.landlord_person_code != landlord_code:
        raise _consent_refused("该同意记录不是此房东的", "the consent is another landlord's")
    if consent.withdrawn_at is not None:
        raise _consent_refused("同意已撤回", "the consent was withdrawn")
    if clock.today() > consent.valid_until:
        raise _consent_refused("同意已过期", "the consent has expired")
    return consent


def _log_assist(access: Access, consent: AssistConsent, action: Action, object_type: str,
                object_id: str, division_code: str, **detail) -> None:
    access.session.add(AssistAction(
        consent_id=consent.id, landlord_person_code=consent.landlord_person_code,
        division_code=division_code, grid_worker=access.actor.username,
        action=action.code.removeprefix("housing_assist."),  # what was done: "house.create"
        object_type=object_type, object_id=object_id))
    access.record(_assist_event(action, consent, access.actor, object_type, object_id, **detail))


def assisted_create_house(session: Session, actor: Actor, consent_id: int | None,
                          data: HouseIn) -> HouseOut:
    access = Access(session, actor)
    access.scopes(P.HOUSING_ASSIST)
    access.check(P.HOUSING_ASSIST, "辖区", division_code=divisions.canonical(data.division_code))
    consent = _live_consent(access, consent_id, data.landlord_person_code)
    house = registry.create_house(session, actor, data, landlord_vouched=True)
    _log_assist(access, consent, P.ASSIST_HOUSE_CREATE, "house", str(house.house_id),
                house.division_code, address=house.address)
    return house


def assisted_register_tenant(session: Session, actor: Actor, consent_id: int | None,
                             data: RegistrationIn) -> RegistrationOut:
    access = Access(session, actor)
    access.scopes(P.HOUSING_ASSIST)
    room, house = _room_house(session, data.room_id)
    access.check(P.HOUSING_ASSIST, "房间", division_code=house.division_code)
    consent = _live_consent(access, consent_id, house.landlord_person_code)
    reg, _replayed = registry.submit_registration(session, actor, data)
    _log_assist(access, consent, P.ASSIST_REGISTRATION_SUBMIT, "registration", str(reg.registration_id),
                house.division_code, room_id=room.id, tenant=reg.person_code)
    return reg


def assisted_end_tenancy(session: Session, actor: Actor, consent_id: int | None,
                         registration_id: int, end_date: date) -> RegistrationOut:
    access = Access(session, actor)
    access.scopes(P.HOUSING_ASSIST)
    reg = session.get(Registration, registration_id)
    if reg is None or not access.reaches(P.HOUSING_ASSIST, division_code=reg.division_code):
        raise access.refuse(P.HOUSING_ASSIST, _not_found("居住登记", "registration",
                                                         "registration_id"))
    consent = _live_consent(access, consent_id, reg.landlord_person_code)
    out = registry.end_registration(session, actor, registration_id, end_date)
    _log_assist(access, consent, P.ASSIST_REGISTRATION_END, "registration", str(registration_id),
                reg.division_code, tenant=reg.person_code, end_date=end_date.isoformat())
    return out


def assisted_revoke_key(session: Session, actor: Actor, consent_id: int | None, key_id: str,
                        note: str) -> KeyOut:
    """The landlord's revocation of a key on their room, done by the grid worker for them."""
    access = Access(session, actor)
    access.scopes(P.HOUSING_ASSIST)
    key = session.execute(select(EKey).where(EKey.key_id == key_id).with_for_update()).scalar()
    if key is None or not access.reaches(P.HOUSING_ASSIST, division_code=key.division_code):
        raise access.refuse(P.HOUSING_ASSIST, _not_found("钥匙", "key", "key_id"))
    consent = _live_consent(access, consent_id, key.landlord_person_code)
    if rules.key_status(key.status, key.valid_until, clock.today()) is not KeyStatus.ACTIVE:
        raise Conflict("key_not_active", "该钥匙已失效", "the key is no longer active",
                       field="key_id")
    _revoke(session, actor, key, RevokeReason.LANDLORD, note)
    _log_assist(access, consent, P.ASSIST_KEY_REVOKE, "ekey", key.key_id, key.division_code,
                tenant=key.person_code)
    return _key_out(access, key, clock.today())


def assisted_register_person(session: Session, actor: Actor, consent_id: int | None,
                             person: PersonIn, room_id: int, start_date: date,
                             reason: str) -> RegistrationOut:
    """The page's way to register a tenant for a landlord: by name and ID number (the person is
    found or recorded by the registry), never by typing a person code."""
    view = registry.create_person(session, actor, person)
    return assisted_register_tenant(session, actor, consent_id, RegistrationIn(
        person_code=view.person_code, room_id=room_id, start_date=start_date, reason=reason))


def assist_choices(session: Session, actor: Actor, consent_id: int) -> dict:
    """What a grid worker may pick from when acting under a consent: the landlord's rooms in
    their jurisdiction, current tenancies and active keys (tenants' names masked)."""
    consent = get_consent(session, actor, consent_id)
    landlord = consent.landlord_person_code
    tenancies = registry.list_registrations(session, actor, landlord_code=landlord, limit=200)
    return {
        "rooms": registry.list_rooms_for_registration(session, actor, landlord_code=landlord,
                                                      limit=200),
        "tenancies": [r for r in tenancies if r.status in ("submitted", "approved")],
        "keys": [k for k in list_keys(session, actor, landlord_code=landlord)
                 if k.status == KeyStatus.ACTIVE.value],
    }


def find_landlords(session: Session, actor: Actor, query: str) -> list:
    """Persons a grid worker may record a consent for, found by name, ID number or phone
    (masked results, audited as a search)."""
    return registry.search_landlords(session, actor, query)


def list_consents(session: Session, actor: Actor, landlord_code: str | None = None,
                  limit: int = 200) -> list[ConsentOut]:
    """A landlord's own consents; a grid worker's jurisdiction's."""
    access = Access(session, actor)
    query = select(AssistConsent, Person.name).join(
        Person, Person.person_code == AssistConsent.landlord_person_code).where(
        access.restrict(P.HOUSING_ASSIST_READ, division_col=AssistConsent.division_code,
                        person_col=AssistConsent.landlord_person_code))
    if landlord_code:
        query = query.where(AssistConsent.landlord_person_code == landlord_code)
    rows = session.execute(query.order_by(AssistConsent.id.desc()).limit(limit)).all()
    return [_consent_out(c, name) for c, name in rows]


def list_assisted_actions(session: Session, actor: Actor, landlord_code: str | None = None,
                          limit: int = 500) -> list[AssistActionOut]:
    """What was done on a landlord's behalf: the landlord sees their own ("done on my behalf"),
    a grid worker those of their jurisdiction."""
    access = Access(session, actor)
    query = select(AssistAction, AssistConsent, Person.name).join(
        AssistConsent, AssistConsent.id == AssistAction.consent_id).join(
        Person, Person.person_code == AssistAction.landlord_person_code).where(
        access.restrict(P.HOUSING_ASSIST_READ, division_col=AssistAction.division_code,
                        person_col=AssistAction.landlord_person_code))
    if landlord_code:
        query = query.where(AssistAction.landlord_person_code == landlord_code)
    rows = session.execute(query.order_by(AssistAction.id.desc()).limit(limit)).all()
    return [AssistActionOut(action_id=a.id, consent_id=a.consent_id,
                            landlord_person_code=a.landlord_person_code, landlord_name=name,
                            grid_worker=a.grid_worker, action=a.action,
                            object_type=a.object_type, object_id=a.object_id, done_at=a.done_at,
                            consent_method=c.method, consent_reference=c.reference)
            for a, c, name in rows]


def get_consent(session: Session, actor: Actor, consent_id: int) -> ConsentOut:
    """One consent: the landlord's own, or one of the worker's jurisdiction (else 404)."""
    access = Access(session, actor)
    row = session.execute(select(AssistConsent, Person.name).join(
        Person, Person.person_code == AssistConsent.landlord_person_code).where(
        AssistConsent.id == consent_id,
        access.restrict(P.HOUSING_ASSIST_READ, division_col=AssistConsent.division_code,
                        person_col=AssistConsent.landlord_person_code))).first()
    if row is None:
        raise _not_found("同意记录", "consent", "consent_id")
    return _consent_out(row[0], row[1])
