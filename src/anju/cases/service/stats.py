"""Lists of cases and their counts: a resident's own cases, a person's cases at a window, a
department's queue (paged, filtered, sorted by due date), the supervisor's overdue view, and
the counts of on-time and overdue cases per department and service.

Every list shows only the cases within the actor's reach (the access layer's restriction) and
records each applicant it shows on the audit chain, as `Access.select` would; the case roles read
under the case's purpose (cases.service.cases.purpose_of), not a person-reading purpose.
"""
from __future__ import annotations

from datetime import date
from typing import Literal

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session

from anju.cases import policy as P
from anju.cases import rules
from anju.cases.models import Case, CaseApproval
from anju.cases.rules import CaseStatus
from anju.cases.service import deadlines
from anju.cases.service.cases import applicant_name, purpose_of, service_of
from anju.cases.service.shapes import CaseRow, CountRow
from anju.core import calendars, clock, divisions
from anju.core.access import Access
from anju.core.audit import AuditEvent
from anju.core.errors import ValidationError
from anju.core.paging import MAX_LIMIT, Page
from anju.core.policy import Action, Actor, Scope, department_code
from anju.registry import reads

OPEN = [s.value for s in rules.OPEN]
CLOCKED = [s.value for s in rules.CLOCKED]
Warning = Literal["yellow", "red"]


def reach_clause(access: Access, action: Action):
    """The cases the actor reaches for `action`: the access layer's restriction, widened for a
    department to the cases it approves in parallel (within its jurisdiction). A department's
    reach alone is written as one jurisdiction test and one OR of indexed tests, so the queue
    of a large county reads by index."""
    actor = access.actor
    scopes = access.allow(action)
    if Scope.DEPARTMENT not in scopes or not actor.department:
        return access.restrict_model(action, Case)
    prefix = divisions.significant_prefix(actor.division_code)
    department = department_code(actor.department)
    ours = and_(Case.division_code.like(prefix + "%"), or_(
        Case.department == department, Case.provider_code == department,
        Case.id.in_(select(CaseApproval.case_id).where(CaseApproval.department == department))))
    if scopes == (Scope.DEPARTMENT,):
        return ours
    return or_(access.restrict_model(action, Case), ours)


def _warning_clause(today: date, yellow_until: date, warning: str | None):
    clocked = Case.status.op("||")("").in_(CLOCKED)  # see `queue` on the status index
    if warning == "red":
        return and_(clocked, Case.due_date < today)
    if warning == "yellow":
        return and_(clocked, Case.due_date >= today,
                    Case.due_date <= yellow_until)
    return None


def _rows(access: Access, action: Action, cases: list[Case]) -> list[CaseRow]:
    """The rows shown, each applicant shown recorded (a person's own are not)."""
    session, actor = access.session, access.actor
    calendar, today = calendars.current(session), clock.today()
    names = reads.person_names(session, [c.person_code for c in cases])
    access.record(*[AuditEvent(action, purpose_of(actor, c.person_code), c.person_code, "case",
                               str(c.id), {"listing": True}) for c in cases
                    if c.person_code != actor.person_code])
    out = []
    for c in cases:
        service = service_of(c.service_code)
        now = deadlines.clock_of(calendar, status=c.status, accepted_on=c.accepted_on,
                                 limit=service.time_limit_working_days,
                                 paused=c.paused_working_days or 0, paused_since=c.paused_since,
                                 today=today)
        out.append(CaseRow(case_id=c.id, service_code=c.service_code, person_code=c.person_code,
                           applicant_name=applicant_name(actor, c.person_code,
                                                         names.get(c.person_code)),
                           department=c.department, division_code=c.division_code,
                           status=c.status, submitted_at=c.submitted_at, due_date=now.due_date,
                           working_days_left=now.working_days_left, warning=now.warning.value,
                           provisional_calendar=now.provisional,
                           escalated=c.escalated_at is not None))
    return out


def my_cases(session: Session, actor: Actor, limit: int = 100) -> list[CaseRow]:
    """A resident's (or landlord's) own cases, newest first."""
    access = Access(session, actor)
    if not actor.person_code:
        access.allow(P.CASE_READ)
        return []
    cases = session.execute(select(Case).where(
        access.restrict_model(P.CASE_READ, Case), Case.person_code == actor.person_code)
        .order_by(Case.id.desc()).limit(min(limit, MAX_LIMIT))).scalars().all()
    return _rows(access, P.CASE_READ, list(cases))


def person_cases(session: Session, actor: Actor, person_code: str,
                 limit: int = 50) -> list[CaseRow]:
    """One person's cases within the actor's reach (a window clerk's view of the person in
    front of them), newest first."""
    access = Access(session, actor)
    cases = session.execute(select(Case).where(
        reach_clause(access, P.CASE_READ), Case.person_code == person_code)
        .order_by(Case.id.desc()).limit(min(limit, MAX_LIMIT))).scalars().all()
    return _rows(access, P.CASE_READ, list(cases))


def opened_by_me(session: Session, actor: Actor, limit: int = 50) -> list[CaseRow]:
    """The cases a window clerk opened, newest first."""
    access = Access(session, actor)
    cases = session.execute(select(Case).where(
        reach_clause(access, P.CASE_READ), Case.opened_by == actor.username)
        .order_by(Case.id.desc()).limit(min(limit, MAX_LIMIT))).scalars().all()
    return _rows(access, P.CASE_READ, list(cases))


def queue(session: Session, actor: Actor, *, status: str | None = None,
          service_code: str | None = None, warning: str | None = None, offset: int = 0,
          limit: int = 50) -> Page:
    """A department's open cases (its own, assigned, or approved in parallel), soonest due
    first (those awaiting acceptance, which have no due date yet, after them), paged."""
    access = Access(session, actor)
    where = [reach_clause(access, P.CASE_READ)]
    if status:
        if status not in {s.value for s in CaseStatus}:
            raise ValidationError("status_unknown", "没有这个办理状态", "no such case status",
                                  field="status")
        where.append(Case.status == status)
    else:
        # `status || ''`: the open states are most of the table, so an index on the status
        # only misleads SQLite's planner away from the department's indexes (10x slower)
        where.append(Case.status.op("||")("").in_(OPEN))
    if service_code:
        where.append(Case.service_code == service_of(service_code).code)
    if warning:
        if warning not in ("yellow", "red"):
            raise ValidationError("warning_unknown", "预警只能是黄色或红色",
                                  "the warning is yellow or red", field="warning")
        today = clock.today()
        yellow_until = calendars.current(session).add(today, rules.YELLOW_WITHIN).value
        where.append(_warning_clause(today, yellow_until, warning))
    limit, offset = max(1, min(limit, MAX_LIMIT)), max(0, offset)
    # the page and the number of matching cases in one pass (a window count), not two
    found = session.execute(select(Case, func.count().over()).where(*where).order_by(
        case((Case.due_date.is_(None), 1), else_=0), Case.due_date, Case.id)
        .offset(offset).limit(limit)).all()
    total = found[0][1] if found else (session.scalar(
        select(func.count()).select_from(Case).where(*where)) or 0 if offset else 0)
    return Page(_rows(access, P.CASE_READ, [row[0] for row in found]), total=total,
                offset=offset, limit=limit)


def overdue(session: Session, actor: Actor, offset: int = 0, limit: int = 50) -> Page:
    """The supervisor's view: the department's overdue cases, most overdue first."""
    return queue(session, actor, warning="red", offset=offset, limit=limit)


def counts(session: Session, actor: Actor) -> list[CountRow]:
    """Per department and service: open, overdue now, decided, and of the decided how many on
    time (decided on or before the due date) — case counts, no person."""
    access = Access(session, actor)
    clause = access.restrict_model(P.CASE_STATS, Case)
    today = clock.today()
    decided = Case.status.in_([CaseStatus.APPROVED.value, CaseStatus.REJECTED.value]) & \
        Case.accepted_on.is_not(None)
    # decided_at is UTC; a decision on the due day in China (UTC+8) may be stamped the evening
    # before in UTC — never later — so the date of decided_at is a fair on-time test
    late = decided & (func.date(Case.decided_at) > Case.due_date)
    query = select(
        Case.department, Case.service_code,
        func.sum(case((Case.status.in_(OPEN), 1), else_=0)),
        func.sum(case((Case.status.in_(CLOCKED) & (Case.due_date < today), 1), else_=0)),
        func.sum(case((decided, 1), else_=0)),
        func.sum(case((late, 1), else_=0)),
    ).where(clause).group_by(Case.department, Case.service_code).order_by(
        Case.department, Case.service_code)
    out = []
    for dept, code, open_, overdue_, decided_, late_ in session.execute(query):
        out.append(CountRow(department=dept, service_code=code, open=int(open_ or 0),
                            overdue=int(overdue_ or 0), decided=int(decided_ or 0),
                            decided_on_time=int(decided_ or 0) - int(late_ or 0),
                            decided_late=int(late_ or 0)))
    return out
