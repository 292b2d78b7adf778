"""The nightly deadline sweep (`anju jobs run cases.daily`): due dates resting on a provisional
calendar year are recomputed (once the county loads the official year they become official);
cases with two working days or fewer left are announced to the department's officers (yellow,
once per case); overdue cases (red) are escalated to the department's supervisor, once, on the
timeline and the audit chain."""
from __future__ import annotations

from datetime import date

from sqlalchemy import case, func, select
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
    for item in session.execute(select(Case).where(
            Case.status.in_(CLOCKED + [rules.CaseStatus.SUPPLEMENT.value]),
            Case.due_provisional.is_(True))).scalars():
        limit = service_of(item.service_code).time_limit_working_days
        due, provisional = deadlines.due(calendar, item.accepted_on, limit,
                                         item.paused_working_days or 0)
        if (due, provisional) != (item.due_date, item.due_provisional):
            item.due_date, item.due_provisional = due, provisional
            refreshed += 1
    yellow_until = calendar.add(today, rules.YELLOW_WITHIN).value
    window = (Case.status.in_(CLOCKED), Case.due_date.is_not(None),
              Case.due_date <= yellow_until)
    checked, overdue = session.execute(select(
        func.count(), func.sum(case((Case.due_date < today, 1), else_=0))).where(*window)).one()
    checked, overdue = int(checked or 0), int(overdue or 0)
    # only the cases with something to do tonight are loaded: due soon and not yet announced,
    # overdue and not yet escalated (a steady night touches a few hundred, not the backlog)
    announced = select(Notification.case_id).where(Notification.template == "case_due_soon",
                                                   Notification.case_id.is_not(None))
    for row in session.execute(select(
            Case.id, Case.department, Case.division_code, Case.service_code, Case.due_date)
            .where(*window, Case.due_date >= today, Case.id.not_in(announced))
            .order_by(Case.id)):
        days, _ = deadlines.left(calendar, today, row.due_date)
        notices.notify_officers(
            session, department=row.department, division_code=row.division_code,
            role=Role.DEPT_OFFICER.value, template="case_due_soon", case_id=row.id,
            params={"service": row.service_code, "due_date": row.due_date.isoformat(),
                    "working_days_left": days})
    escalated = 0
    events = []
    late = session.execute(select(Case).where(*window, Case.due_date < today,
                                              Case.escalated_at.is_(None))
                           .order_by(Case.id)).scalars().all()
    now = utcnow()
    for item in late:
        item.escalated_at = now
        escalated += 1
        days, _ = deadlines.left(calendar, today, item.due_date)
        detail = {"service": item.service_code, "due_date": item.due_date.isoformat(),
                  "overdue_working_days": -days, "department": item.department}
        session.add(CaseEvent(case_id=item.id, action="escalate", status=item.status,
                              by_username=actor.username, by_role=actor.role.value,
                              detail=detail))
        events.append(AuditEvent(P.CASE_ESCALATE, P.CASE_HANDLING, item.person_code, "case",
                                 str(item.id), detail))
        notices.notify_officers(session, department=item.department,
                                division_code=item.division_code,
                                role=Role.DEPT_SUPERVISOR.value, template="case_overdue",
                                case_id=item.id, params=detail)
        if len(events) >= BATCH:
            access.record(*events)
            events = []
    due_soon = checked - overdue
    access.record(*events)
    return SweepOut(checked=checked, due_soon=due_soon, overdue=overdue,
                    escalated=escalated, refreshed=refreshed)


def daily(db: Database, actor: Actor, today: date | None = None) -> dict:
    """The scheduled job: one sweep in one unit of work."""
    with db.unit_of_work() as session:
        return sweep(session, actor, today).model_dump()
