"""Assisted mode: a grid worker records a landlord's consent (who, how, when, until when) and,
while it is live, registers a house or a tenant, ends a tenancy or revokes a key for them —
within the worker's jurisdiction. Every step is an audit entry about the landlord, so it shows
in their access log; reading the consents and what was done is recorded the same way."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from anju.core import clock, divisions
from anju.core.access import Access, not_found
from anju.core.audit import AuditEvent
from anju.core.db import utcnow
from anju.core.errors import Conflict, Forbidden, ValidationError
from anju.core.policy import Action, Actor
from anju.housing import policy as P
from anju.housing import rules
from anju.housing.models import AssistAction, AssistConsent, EKey
from anju.housing.rules import KeyStatus, RevokeReason
from anju.housing.schemas import AssistActionOut, ConsentIn, ConsentOut, KeyOut
from anju.housing.service.common import ASSIST_PURPOSE, load
from anju.housing.service.keys import key_out, list_keys, revoke
from anju.registry import reads
from anju.registry import service as registry
from anju.registry.schemas import HouseIn, HouseOut, PersonIn, RegistrationIn, RegistrationOut

CONSENT_METHODS = {"paper_form": ("书面同意书", "signed paper form"),
                   "in_person": ("当面口头同意", "in person")}


def _consent_refused(zh: str, en: str) -> Forbidden:
    return Forbidden("consent_required", f"需房东本人同意：{zh}", f"the landlord's consent is "
                     f"required: {en}", field="consent_id")


def _as_utc_naive(moment: datetime) -> datetime:
    """A form or API time (naive = China time) as the naive UTC the database stores."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=clock.CST)
    return moment.astimezone(UTC).replace(tzinfo=None)


def _cst_date(utc_naive: datetime) -> date:
    return utc_naive.replace(tzinfo=UTC).astimezone(clock.CST).date()


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


# --- consents ----------------------------------------------------------------------------------
def record_consent(session: Session, actor: Actor, data: ConsentIn) -> ConsentOut:
    """A grid worker records that a landlord of their jurisdiction consents to being assisted."""
    access = Access(session, actor)
    access.allow(P.HOUSING_ASSIST)
    landlord = reads.person_place(session, data.landlord_person_code)
    if landlord is None:
        raise not_found("房东", "landlord", "landlord_person_code")
    # The worker reaches a landlord who lives, or lets a house, in their jurisdiction.
    lets_in = reads.landlord_house_divisions(session, landlord.person_code)
    if not any(access.reaches(P.HOUSING_ASSIST, division_code=code)
               for code in [landlord.division_code, *lets_in]):
        raise access.refuse(P.HOUSING_ASSIST, not_found("房东", "landlord", "landlord_person_code"),
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
    """The landlord (their own) or the grid worker it was given to (in their jurisdiction) ends
    a consent."""
    access = Access(session, actor)
    consent = session.get(AssistConsent, consent_id, with_for_update=True)
    # Who may withdraw is the policy's ASSIST_WITHDRAW (the landlord: their own; a grid worker:
    # their jurisdiction's); of the workers, only the one the consent was given to.
    if consent is None or not access.reaches(
            P.ASSIST_WITHDRAW, division_code=consent.division_code,
            person_codes=[consent.landlord_person_code]) or (
            actor.person_code != consent.landlord_person_code
            and consent.grid_worker != actor.username):
        raise access.refuse(P.ASSIST_WITHDRAW, not_found("同意记录", "consent", "consent_id"))
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


# --- acting for the landlord ---------------------------------------------------------------------
def assisted_create_house(session: Session, actor: Actor, consent_id: int | None,
                          data: HouseIn) -> HouseOut:
    access = Access(session, actor)
    access.allow(P.HOUSING_ASSIST)
    access.check(P.HOUSING_ASSIST, "辖区", division_code=divisions.canonical(data.division_code))
    consent = _live_consent(access, consent_id, data.landlord_person_code)
    house = registry.create_house(session, actor, data, landlord_vouched=True)
    _log_assist(access, consent, P.ASSIST_HOUSE_CREATE, "house", str(house.house_id),
                house.division_code, address=house.address)
    return house


def assisted_register_tenant(session: Session, actor: Actor, consent_id: int | None,
                             data: RegistrationIn) -> RegistrationOut:
    access = Access(session, actor)
    access.allow(P.HOUSING_ASSIST)
    room = reads.room_place(session, data.room_id)
    if room is None:
        raise not_found("房间", "room", "room_id")
    access.check(P.HOUSING_ASSIST, "房间", division_code=room.division_code)
    consent = _live_consent(access, consent_id, room.landlord_person_code)
    reg, _replayed = registry.submit_registration(session, actor, data)
    _log_assist(access, consent, P.ASSIST_REGISTRATION_SUBMIT, "registration",
                str(reg.registration_id), room.division_code, room_id=room.room_id,
                tenant=reg.person_code)
    return reg


def assisted_end_tenancy(session: Session, actor: Actor, consent_id: int | None,
                         registration_id: int, end_date: date) -> RegistrationOut:
    access = Access(session, actor)
    access.allow(P.HOUSING_ASSIST)
    reg = reads.registration(session, registration_id)
    if reg is None or not access.reaches(P.HOUSING_ASSIST, division_code=reg.division_code):
        raise access.refuse(P.HOUSING_ASSIST, not_found("居住登记", "registration",
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
    access.allow(P.HOUSING_ASSIST)
    key = session.execute(select(EKey).where(EKey.key_id == key_id).with_for_update()).scalar()
    if key is None or not access.reaches(P.HOUSING_ASSIST, division_code=key.division_code):
        raise access.refuse(P.HOUSING_ASSIST, not_found("钥匙", "key", "key_id"))
    consent = _live_consent(access, consent_id, key.landlord_person_code)
    if rules.key_status(key.status, key.valid_until, clock.today()) is not KeyStatus.ACTIVE:
        raise Conflict("key_not_active", "该钥匙已失效", "the key is no longer active",
                       field="key_id")
    revoke(session, actor, key, RevokeReason.LANDLORD, note)
    _log_assist(access, consent, P.ASSIST_KEY_REVOKE, "ekey", key.key_id, key.division_code,
                tenant=key.person_code)
    return key_out(access, key, clock.today())


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


# --- reading consents and what was done -----------------------------------------------------------
def list_consents(session: Session, actor: Actor, landlord_code: str | None = None,
                  limit: int = 200) -> list[ConsentOut]:
    """A landlord's own consents; a grid worker's jurisdiction's (each recorded as read, in the
    landlord's access log)."""
    access = Access(session, actor)
    where = [AssistConsent.landlord_person_code == landlord_code] if landlord_code else []
    consents = access.select(P.HOUSING_ASSIST_READ, select(AssistConsent)
                             .order_by(AssistConsent.id.desc()).limit(limit), *where)
    names = reads.person_names(session, (c.landlord_person_code for c in consents))
    return [_consent_out(c, names.get(c.landlord_person_code)) for c in consents]


def list_assisted_actions(session: Session, actor: Actor, landlord_code: str | None = None,
                          limit: int = 500) -> list[AssistActionOut]:
    """What was done on a landlord's behalf: the landlord sees their own ("done on my behalf"),
    a grid worker those of their jurisdiction (each recorded as read)."""
    access = Access(session, actor)
    where = [AssistAction.landlord_person_code == landlord_code] if landlord_code else []
    rows = access.select(P.HOUSING_ASSIST_READ, select(AssistAction, AssistConsent).join(
        AssistConsent, AssistConsent.id == AssistAction.consent_id)
        .order_by(AssistAction.id.desc()).limit(limit), *where)
    names = reads.person_names(session, (a.landlord_person_code for a, _c in rows))
    return [AssistActionOut(action_id=a.id, consent_id=a.consent_id,
                            landlord_person_code=a.landlord_person_code,
                            landlord_name=names.get(a.landlord_person_code),
                            grid_worker=a.grid_worker, action=a.action,
                            object_type=a.object_type, object_id=a.object_id, done_at=a.done_at,
                            consent_method=c.method, consent_reference=c.reference)
            for a, c in rows]


def get_consent(session: Session, actor: Actor, consent_id: int) -> ConsentOut:
    """One consent: the landlord's own, or one of the worker's jurisdiction (else 404)."""
    access = Access(session, actor)
    consent = load(access, P.HOUSING_ASSIST_READ, AssistConsent, AssistConsent.id == consent_id,
                   zh="同意记录", en="consent", field="consent_id")
    return _consent_out(consent, reads.person_names(session, [consent.landlord_person_code])
                        .get(consent.landlord_person_code))
