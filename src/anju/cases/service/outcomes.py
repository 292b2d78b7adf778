"""What a case's final approval carries out beyond the case (the catalogue's `outcome`).

A residence-permit case approved issues the permit; an endorsement case approved endorses the
applicant's valid permit. Both call the registry's own use cases with the deciding officer as
the actor, so the registry's policy (a permit is public security's: only its officers issue),
its eligibility rules and its audit apply as they do at the registry's own desk. They run in
the decision's transaction and before the case changes: if the registry refuses, its reason
(in both languages) refuses the decision and nothing of either is written.
"""
from __future__ import annotations

from sqlalchemy.orm import Session

from anju.cases.catalogue import Service
from anju.core import clock
from anju.core.errors import Conflict
from anju.core.policy import Actor
from anju.registry import reads
from anju.registry.service import permits


def _issue(session: Session, actor: Actor, person_code: str) -> dict:
    permit = permits.issue_permit(session, actor, person_code)
    return {"permit_number": permit.permit_number, "valid_until": permit.valid_until.isoformat()}


def _endorse(session: Session, actor: Actor, person_code: str) -> dict:
    held = reads.registry_evidence(session, person_code, "permit", clock.today())
    if held is None:
        raise Conflict("permit_none_to_endorse", "申请人没有可签注的有效居住证",
                       "the applicant holds no valid permit to endorse", field="decision")
    permit = permits.endorse_permit(session, actor, held.value["permit_number"])
    return {"permit_number": permit.permit_number, "valid_until": permit.valid_until.isoformat()}


CARRY_OUT = {"registry.permit_issue": _issue, "registry.permit_endorse": _endorse}


def carry_out(session: Session, actor: Actor, service: Service, person_code: str) -> dict:
    """Carry out the service's outcome for the applicant; what it did, for the case's timeline
    (empty when the service has none). Registry refusals propagate unchanged."""
    if not service.outcome:
        return {}
    return {"outcome": service.outcome, **CARRY_OUT[service.outcome](session, actor, person_code)}
