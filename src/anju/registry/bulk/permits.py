"""Bulk loads of residence permits, for persons eligible on the day of issue: eligibility, expiry
and numbering by the same rules (`anju.registry.rules`) and serials (`service.take_serials`) as a
permit the police issue one at a time."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from anju.core import audit, clock
from anju.core.audit import AuditEvent
from anju.core.db import bulk_insert
from anju.core.errors import AnjuError, ValidationError
from anju.core.policy import Actor
from anju.registry import policy as P
from anju.registry import rules
from anju.registry.bulk.common import BulkResult, begin, gc_paused, lookup, within
from anju.registry.models import Permit, Registration
from anju.registry.rules import RegistrationStatus as RS
from anju.registry.service.permits import take_serials


@gc_paused
def load_permits(session: Session, actor: Actor,
                 person_codes_with_registration_ids: Sequence[tuple[str, int]],
                 issued_on: date) -> BulkResult:
    """Issue residence permits dated `issued_on` to eligible persons (居住证暂行条例: six months'
    approved residence for work, study or a stable home); answers permit numbers in input order.
    A person already holding a permit valid on that day keeps it (its number is answered)."""
    prefix = begin(session, actor)
    if issued_on > clock.today():
        raise ValidationError("permit_issued_future", "签发日期不能晚于今天",
                              "a permit cannot be issued after today", field="issued_on")
    pairs = person_codes_with_registration_ids
    result = BulkResult([None] * len(pairs))
    codes = [code for code, _ in pairs]
    regs = {reg.id: reg for (reg,) in lookup(session, select(Registration),
                                               Registration.id, (i for _, i in pairs))}
    spells: dict[str, list[rules.ResidenceSpell]] = {}
    for (reg,) in lookup(session, select(Registration).where(
            Registration.status.in_([RS.APPROVED.value, RS.ENDED.value]),
            Registration.decided_at.is_not(None)), Registration.person_code, codes):
        spells.setdefault(reg.person_code, []).append(
            rules.ResidenceSpell(reg.start_date, reg.end_date, reg.reason))
    held = {p.person_code: p.permit_number for (p,) in lookup(session, select(Permit).where(
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
            within(reg.division_code, prefix)
            rules.require_permit_eligibility(spells.get(code, []), issued_on)
        except AnjuError as error:
            result.reject(index, error)
            continue
        held[code] = ""  # numbered below
        accepted.append((index, reg))
    rows, events, valid_until = [], [], rules.permit_valid_until(issued_on).isoformat()
    for county, group in _by_county(accepted).items():
        serial = take_serials(session, rules.permit_serial_key(county, issued_on.year), len(group))
        for offset, (index, reg) in enumerate(group, 1):
            number = rules.permit_number(county, issued_on.year, serial + offset)
            held[reg.person_code] = result[index] = number
            rows.append((number, reg.person_code, reg.id, reg.division_code,
                         issued_on.isoformat(), valid_until, "valid", actor.username))
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
        groups.setdefault(rules.permit_county(reg.division_code), []).append((index, reg))
    return groups
