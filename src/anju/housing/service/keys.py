"""E-keys: issued, shortened and revoked by the registry's announcements (the listeners the
descriptor declares), listed for their holders, landlords and officers, revoked by a landlord or
the police, and swept by the daily job when a residence permit has lapsed."""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from anju.core import clock
from anju.core.access import Access, not_found
from anju.core.audit import AuditEvent, append_bulk
from anju.core.db import bulk_insert, sql_timestamp, utcnow
from anju.core.errors import Conflict
from anju.core.policy import Action, Actor, Role
from anju.housing import policy as P
from anju.housing import rules
from anju.housing.models import EKey, HousingTask, Lock
from anju.housing.rules import KeyKind, KeyStatus, RevokeReason
from anju.housing.schemas import KeyOut
from anju.housing.service.common import (
    KEY_PURPOSE,
    chunks,
    county_of,
    reaches_person,
    shown_name,
    where_shown,
)
from anju.housing.service.county import county_policy
from anju.registry import reads
from anju.registry.reads import HouseFacts, RegistrationFacts

LISTED = 500  # keys per listing, newest first


def _key_event(action: Action, key: EKey, **detail) -> AuditEvent:
    return AuditEvent(action, KEY_PURPOSE, key.person_code, "ekey", key.key_id,
                      {"room_id": key.room_id, "registration_id": key.registration_id,
                       "kind": key.kind, **detail})


def _issue(session: Session, actor: Actor, reg: RegistrationFacts, kind: KeyKind,
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


def revoke(session: Session, actor: Actor, key: EKey, reason: RevokeReason,
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


# --- listeners (declared in anju.housing.DOMAIN) ---------------------------------------------
def on_registration_submitted(session: Session, actor: Actor, reg: RegistrationFacts) -> None:
    """No key before approval — unless the county allows a short provisional key."""
    days = county_policy(session, reg.division_code).provisional_key_days
    if days > 0:
        _issue(session, actor, reg, KeyKind.PROVISIONAL, clock.today() + timedelta(days=days),
               "registration.submitted")


def on_registration_approved(session: Session, actor: Actor, reg: RegistrationFacts) -> None:
    for key in _active_keys(session, reg.id, KeyKind.PROVISIONAL):
        revoke(session, actor, key, RevokeReason.REPLACED)
    if not _active_keys(session, reg.id, KeyKind.TENANT):
        _issue(session, actor, reg, KeyKind.TENANT, reg.end_date, "registration.approved")


def on_registration_rejected(session: Session, actor: Actor, reg: RegistrationFacts) -> None:
    for key in _active_keys(session, reg.id):
        revoke(session, actor, key, RevokeReason.REGISTRATION_REJECTED)


def on_registration_ended(session: Session, actor: Actor, reg: RegistrationFacts) -> None:
    """The key ends with the registration: at once, or on a move-out date still to come."""
    today = clock.today()
    end = reg.end_date or today
    for key in _active_keys(session, reg.id):
        if end <= today:
            revoke(session, actor, key, RevokeReason.REGISTRATION_ENDED)
        elif key.valid_until is None or key.valid_until > end:
            key.valid_until = end
            Access(session, actor).record(_key_event(P.KEY_SHORTEN, key, valid_until=end.isoformat()))


_KEY_COLUMNS = ("key_id", "person_code", "room_id", "registration_id", "division_code",
                "landlord_person_code", "kind", "status", "valid_from", "valid_until", "issued_at")


def on_registrations_loaded(session: Session, actor: Actor,
                            loaded: list[RegistrationFacts]) -> None:
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
            county = county_of(reg.division_code)
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


def on_house_moved(session: Session, actor: Actor, house: HouseFacts) -> None:
    """A house's division was corrected: the copies kept for reach checks follow it (keys and
    locks on its rooms, its open tasks); statements already made keep the division billed."""
    rooms = reads.room_ids_of_house(session, house.id)
    if not rooms:
        return
    for table in (EKey, Lock):
        session.execute(update(table).where(table.room_id.in_(rooms))
                        .values(division_code=house.division_code))
    session.execute(update(HousingTask).where(HousingTask.room_id.in_(rooms),
                                              HousingTask.status == "open")
                    .values(division_code=house.division_code))


# --- reading and revoking keys ---------------------------------------------------------------
def key_out(access: Access, key: EKey, today: date, address: str | None = None,
            room_label: str | None = None, name: str | None = None) -> KeyOut:
    reason = rules.RevokeReason(key.revoke_reason) if key.revoke_reason else None
    room_id, address, room_label = where_shown(access, key.person_code, key.room_id, address,
                                               room_label)
    return KeyOut(key_id=key.key_id, person_code=key.person_code, room_id=room_id,
                  registration_id=key.registration_id, kind=key.kind,
                  status=rules.key_status(key.status, key.valid_until, today).value,
                  valid_from=key.valid_from, valid_until=key.valid_until, issued_at=key.issued_at,
                  revoked_at=key.revoked_at, revoke_reason=key.revoke_reason,
                  revoke_reason_zh=rules.REVOKE_REASON_ZH[reason] if reason else None,
                  address=address, room_label=room_label,
                  person_name=shown_name(access, key.person_code, name))


def list_keys(session: Session, actor: Actor, person_code: str | None = None,
              landlord_code: str | None = None) -> list[KeyOut]:
    """A person's keys (or, without person_code, every key the actor reaches; or one landlord's
    rooms' keys), newest first. Each key of someone else is recorded as read."""
    access = Access(session, actor)
    where = []
    if person_code:
        where.append(EKey.person_code == person_code)
    if landlord_code:
        where.append(EKey.landlord_person_code == landlord_code)
    keys = access.select(P.KEY_READ, select(EKey).order_by(EKey.id.desc()).limit(LISTED), *where)
    if person_code and not keys and not reaches_person(access, P.KEY_READ, person_code):
        # Forbidden looks like missing: an empty list only for someone who reaches the person.
        raise access.refuse(P.KEY_READ, not_found("人员", "person", "person_code"),
                            person_codes=[person_code])
    places = reads.room_places(session, (k.room_id for k in keys))
    names = reads.person_names(session, (k.person_code for k in keys))
    today = clock.today()
    out = []
    for key in keys:
        place = places.get(key.room_id)
        out.append(key_out(access, key, today, place and place.address, place and place.label,
                           names.get(key.person_code)))
    return out


def revoke_key(session: Session, actor: Actor, key_id: str, note: str) -> KeyOut:
    """A landlord (or the police) takes a key back; the registration itself is not touched."""
    access = Access(session, actor)
    access.allow(P.KEY_REVOKE)
    key = session.execute(select(EKey).where(EKey.key_id == key_id).with_for_update()).scalar()
    if key is None:
        raise access.refuse(P.KEY_REVOKE, not_found("钥匙", "key", "key_id"))
    access.check(P.KEY_REVOKE, "钥匙", division_code=key.division_code,
                 landlord_code=key.landlord_person_code)
    if rules.key_status(key.status, key.valid_until, clock.today()) is not KeyStatus.ACTIVE:
        raise Conflict("key_not_active", "该钥匙已失效", "the key is no longer active",
                       field="key_id")
    # Not a permission (the policy decided that above) but the reason the tenant is shown: the
    # landlord took the key back, or the police did.
    reason = RevokeReason.LANDLORD if actor.role is Role.LANDLORD else RevokeReason.POLICE
    revoke(session, actor, key, reason, note)
    return key_out(access, key, clock.today())


def sweep_keys(session: Session, actor: Actor, today: date | None = None) -> int:
    """The daily job: revoke keys of persons whose residence permit lapsed more than the grace
    period ago (reminders went out before expiry). Persons who never held a permit are not
    affected."""
    Access(session, actor).allow(P.HOUSING_JOB)
    today = today or clock.today()
    grace = county_policy(session).permit_grace_days
    holders = session.execute(select(EKey.person_code).where(
        EKey.status == KeyStatus.ACTIVE.value).distinct()).scalars()
    lapsed = reads.lapsed_permit_holders(session, today - timedelta(days=grace), holders)
    keys: list[EKey] = []
    for chunk in chunks(lapsed):
        keys += session.execute(select(EKey).where(
            EKey.status == KeyStatus.ACTIVE.value, EKey.person_code.in_(chunk))
            .order_by(EKey.id).with_for_update()).scalars()
    for key in keys:
        revoke(session, actor, key, RevokeReason.PERMIT_EXPIRED)
    return len(keys)
