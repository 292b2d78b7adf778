"""Residence permits (居住证): eligibility, issue, annual endorsement, the permits a person holds.

Eligibility, expiry and numbering are rules (`anju.registry.rules`); the serials are taken here,
under a row lock, by the service and the bulk loads alike (`take_serials`).
"""
from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.orm import Session

from anju.core import clock
from anju.core.access import Access, not_found
from anju.core.audit import AuditEvent
from anju.core.errors import Conflict
from anju.core.policy import Actor
from anju.core.signing import KeyFileError
from anju.registry import epermit, rules
from anju.registry import policy as P
from anju.registry.models import Permit, PermitEndorsement, PermitSerial, Person, Registration
from anju.registry.rules import RegistrationStatus as RS
from anju.registry.schemas import EligibilityOut, PermitOut
from anju.registry.service.persons import load_person, person_reach

log = logging.getLogger("anju.registry.permits")


def _spells(session: Session, person_code: str) -> list[rules.ResidenceSpell]:
    regs = session.execute(select(Registration).where(
        Registration.person_code == person_code,
        Registration.status.in_([RS.APPROVED.value, RS.ENDED.value]),
        Registration.decided_at.is_not(None))).scalars()
    return [rules.ResidenceSpell(r.start_date, r.end_date, r.reason) for r in regs]


def permit_eligibility(session: Session, actor: Actor, person_code: str) -> EligibilityOut:
    """Whether the person may have a permit now, and from when. Whoever may read a person's
    permits may check this (the policy grants permit.eligibility alike); a person's check of
    their own is kept on their trail too."""
    access = Access(session, actor)
    access.scopes(P.PERMIT_ELIGIBILITY)
    person = load_person(session, person_code)
    reach = person_reach(access, person, P.PERMIT_ELIGIBILITY)
    access.check(P.PERMIT_ELIGIBILITY, "人员", **reach)
    access.check_serves(person.birth_date, person.person_code)
    access.touch(P.PERMIT_ELIGIBILITY, person_code=person_code, kind="person",
                 object_id=person_code, what="人员", own=True, **reach)
    result = rules.permit_eligibility(_spells(session, person_code), clock.today())
    return EligibilityOut(person_code=person_code, eligible=result.eligible,
                          eligible_from=result.eligible_from, reasons_zh=result.reasons_zh,
                          reasons_en=result.reasons_en)


def _permit_out(session: Session, permit: Permit) -> PermitOut:
    status = permit.status
    if status == "valid" and permit.valid_until < clock.today():
        status = "expired"
    endorsed = session.execute(select(PermitEndorsement.endorsed_on).where(
        PermitEndorsement.permit_id == permit.id).order_by(PermitEndorsement.id)).scalars().all()
    payload = None
    if status == "valid":
        name = session.execute(select(Person.name).where(
            Person.person_code == permit.person_code)).scalar()
        try:
            payload = epermit.sign(epermit.facts_of(permit, name))
        except KeyFileError as error:  # an operator's matter: the permit itself still shows
            log.warning("no e-permit QR code: %s", error)
    return PermitOut(permit_number=permit.permit_number, person_code=permit.person_code,
                     issued_on=permit.issued_on, valid_until=permit.valid_until, status=status,
                     endorsements=list(endorsed), qr_payload=payload)


def take_serials(session: Session, county_year: str, count: int) -> int:
    """Reserve `count` permit serials of a county and year under the row lock; answers the last
    one used before (the first new number is that plus one)."""
    serial = session.execute(select(PermitSerial).where(PermitSerial.county_year == county_year)
                             .with_for_update()).scalar()
    if serial is None:
        serial = PermitSerial(county_year=county_year, last_serial=0)
        session.add(serial)
    first = serial.last_serial
    serial.last_serial += count
    session.flush()
    return first


def issue_permit(session: Session, actor: Actor, person_code: str) -> PermitOut:
    access = Access(session, actor)
    access.scopes(P.PERMIT_ISSUE)
    person = load_person(session, person_code)
    access.check(P.PERMIT_ISSUE, "人员", division_code=person.division_code,
                 department=P.PERMIT_DEPARTMENT)
    today = clock.today()
    rules.require_permit_eligibility(_spells(session, person_code), today)
    held = session.execute(select(Permit).where(Permit.person_code == person_code,
                                                Permit.status == "valid",
                                                Permit.valid_until >= today)).scalar()
    if held is not None:
        raise Conflict("permit_exists", f"已持有有效居住证 {held.permit_number}",
                       f"already holds valid permit {held.permit_number}", field="person_code")
    reg = session.execute(select(Registration).where(
        Registration.person_code == person_code, Registration.status == RS.APPROVED.value)
        .order_by(Registration.start_date.desc())).scalars().first()
    county = rules.permit_county(reg.division_code)
    serial = take_serials(session, rules.permit_serial_key(county, today.year), 1) + 1
    permit = Permit(permit_number=rules.permit_number(county, today.year, serial),
                    person_code=person_code, registration_id=reg.id,
                    division_code=reg.division_code, issued_on=today,
                    valid_until=rules.permit_valid_until(today), issued_by=actor.username)
    session.add(permit)
    session.flush()
    access.record(AuditEvent(P.PERMIT_ISSUE, P.RESIDENCE_PERMIT, person_code, "permit",
                             permit.permit_number))
    return _permit_out(session, permit)


def endorse_permit(session: Session, actor: Actor, permit_number: str) -> PermitOut:
    """Annual endorsement (签注): extends validity a year while the person still lives here."""
    access = Access(session, actor)
    access.scopes(P.PERMIT_ENDORSE)
    permit = session.execute(select(Permit).where(Permit.permit_number == permit_number)
                             .with_for_update()).scalar()
    if permit is None:
        raise not_found("居住证", "permit", "permit_number")
    access.check(P.PERMIT_ENDORSE, "居住证", division_code=permit.division_code,
                 department=P.PERMIT_DEPARTMENT)
    today = clock.today()
    if permit.status != "valid":
        raise Conflict("permit_revoked", "居住证已注销", "permit was revoked")
    living_here = session.execute(select(Registration.id).where(
        Registration.person_code == permit.person_code,
        Registration.status == RS.APPROVED.value)).first()
    if not living_here:
        raise Conflict("permit_no_residence", "当前无有效居住登记，不能签注",
                       "no current residence registration; cannot endorse")
    if (permit.valid_until - today).days > 60:
        raise Conflict("permit_endorse_early", "有效期届满前 60 日内方可签注",
                       "endorsement opens 60 days before expiry")
    base = max(permit.valid_until, today)
    permit.valid_until = rules.add_months(base, 12)
    session.add(PermitEndorsement(permit_id=permit.id, endorsed_on=today,
                                  valid_until=permit.valid_until, endorsed_by=actor.username))
    access.record(AuditEvent(P.PERMIT_ENDORSE, P.RESIDENCE_PERMIT, permit.person_code, "permit",
                             permit.permit_number))
    return _permit_out(session, permit)


def list_permits(session: Session, actor: Actor, person_code: str) -> list[PermitOut]:
    """The person's permits, newest first (a person's look at their own is not recorded)."""
    access = Access(session, actor)
    access.scopes(P.PERMIT_READ)
    person = load_person(session, person_code)
    reach = person_reach(access, person, P.PERMIT_READ)
    access.check(P.PERMIT_READ, "人员", **reach)
    access.check_serves(person.birth_date, person.person_code)
    access.touch(P.PERMIT_READ, person_code=person_code, kind="person", object_id=person_code,
                 what="人员", **reach)
    permits = session.execute(select(Permit).where(Permit.person_code == person_code)
                              .order_by(Permit.id.desc())).scalars().all()
    return [_permit_out(session, p) for p in permits]
