"""The county housing policy: the monthly fee, provisional keys and the task thresholds, one row
per county (defaults in `rules.CountyPolicy`)."""
from __future__ import annotations

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from anju.core.access import Access
from anju.core.audit import AuditEvent
from anju.core.db import HotStatement
from anju.core.policy import Actor
from anju.housing import policy as P
from anju.housing import rules
from anju.housing.models import HousingPolicy
from anju.housing.schemas import PolicyOut
from anju.housing.service.common import county_of

# read on every registration submitted (the provisional key): a Core row, not an ORM object
_POLICY = HotStatement(select(*HousingPolicy.__table__.c).where(
    HousingPolicy.county_code == bindparam("county")))


def county_policy(session: Session, county_code: str | None = None) -> rules.CountyPolicy:
    """The policy in force (for the use cases themselves; an actor reads it by `read_policy`)."""
    row = _POLICY.first(session, {"county": county_of(county_code)})
    if row is None:
        return rules.CountyPolicy()
    return rules.CountyPolicy(
        monthly_fee_fen=row.monthly_fee_fen, provisional_key_days=row.provisional_key_days,
        silent_days=row.silent_days, unregistered_days=row.unregistered_days,
        reminder_days=row.reminder_days, permit_grace_days=row.permit_grace_days)


def _policy_out(county: str, policy: rules.CountyPolicy) -> PolicyOut:
    return PolicyOut(county_code=county, **{k: getattr(policy, k) for k in rules.CountyPolicy.LIMITS})


def read_policy(session: Session, actor: Actor, county_code: str | None = None) -> PolicyOut:
    """The county's settings, for the roles that administer them (no one's personal data, so
    nothing to record; a role without the action is refused and the attempt noted)."""
    Access(session, actor).allow(P.HOUSING_POLICY_READ)
    county = county_of(county_code)
    return _policy_out(county, county_policy(session, county))


def set_policy(session: Session, actor: Actor, county_code: str | None = None,
               **changes: int | None) -> PolicyOut:
    """Change the county's housing policy (fee, provisional keys, task thresholds); audited."""
    access = Access(session, actor)
    access.check(P.HOUSING_ADMIN, "住房政策")
    county = county_of(county_code)
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
