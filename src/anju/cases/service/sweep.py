"""The nightly deadline sweep (`anju jobs run cases.daily`): due dates resting on a provisional
calendar year are recomputed (once the county loads the official year they become official);
cases with two working days or fewer left are announced to the department's officers (yellow,
once per case); overdue cases (red) are escalated to the department's supervisor, once, on the
timeline and the audit chain."""
from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from anju.cases import policy as P
from anju.cases import rules
from anju.cases.models import Case, CaseEvent, Notification
from anju.cases.service import deadlines, notices
from anju.cases.service.cases import service_of
from anju.cases.service.shapes import SweepOut
from anju.core import calendars, clock
from anju.core.access import Access
from anju.core.audit import AuditEvent
from anju.core.db import Database, utcnow
from anju.core.policy import Actor, Role

CLOCKED = [s.value for s in rules.CLOCKED]
BATCH = 2000


def sweep(session: Session, actor: Actor, today: date | None = None) -> SweepOut:
    access = Access(session, actor)
    access.allow(P.CASE_SWEEP)
    today = today or clock.today()
    calendar = calendars.current(session)
    refreshed = 0
    # provisional due dates first: the official year may have been loaded since
    for case in session.execute(select(Case).where(
            Case.status.in_(CLOCKED + [rules.CaseStatus.SUPPLEMENT.value]),
            Case.due_provisional.is_(True))).scalars():
        limit = service_of(case.service_code).time_limit_working_days
        due, provisional = deadlines.due(calendar, case.accepted_on, limit,
                                         case.paused_working_days or 0)
        if (due, provisional) != (case.due_date, case.due_provisional):
            case.due_date, case.due_provisional = due, provisional
            refreshed += 1
    yellow_until = calendar.add(today, rules.YELLOW_WITHIN).value
    window = (Case.status.in_(CLOCKED), Case.due_date.is_not(None),
              Case.due_date <= yellow_until)
    candidates = session.execute(select(Case).where(*window).order_by(Case.id)).scalars().all()
    warned = set(session.execute(select(Notification.case_id).where(
        Notification.template == "case_due_soon",
        Notification.case_id.in_(select(Case.id).where(*window)))).scalars())
    due_soon = overdue = escalated = 0
    events = []
    for case in candidates:
        if case.due_date >= today:
            due_soon += 1
            if case.id not in warned:
                days, _ = deadlines.left(calendar, today, case.due_date)
                notices.notify_officers(
                    session, department=case.department, division_code=case.division_code,
                    role=Role.DEPT_OFFICER.value, template="case_due_soon", case_id=case.id,
                    params={"service": case.service_code, "due_date": case.due_date.isoformat(),
                            "working_days_left": days})
            continue
        overdue += 1
        if case.escalated_at is not None:
            continue
        case.escalated_at = utcnow()
        escalated += 1
        days, _ = deadlines.left(calendar, today, case.due_date)
        detail = {"service": case.service_code, "due_date": case.due_date.isoformat(),
                  "overdue_working_days": -days, "department": case.department}
        session.add(CaseEvent(case_id=case.id, action="escalate", status=case.status,
                              by_username=actor.username, by_role=actor.role.value,
                              detail=detail))
        events.append(AuditEvent(P.CASE_ESCALATE, P.CASE_HANDLING, case.person_code, "case",
                                 str(case.id), detail))
        notices.notify_officers(session, department=case.department,
                                division_code=case.division_code,
                                role=Role.DEPT_SUPERVISOR.value, template="case_overdue",
                                case_id=case.id, params=detail)
        if len(events) >= BATCH:
            access.record(*events)
            events = []
    access.record(*events)
    return SweepOut(checked=len(candidates), due_soon=due_soon, overdue=overdue,
                    escalated=escalated, refreshed=refreshed)


def daily(db: Database, actor: Actor, today: date | None = None) -> dict:
    """The scheduled job: one sweep in one unit of work."""
    with db.unit_of_work() as session:
        return sweep(session, actor, today).model_dump()
