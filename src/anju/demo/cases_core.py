"""The demo's cases (cases core): real work for every role that handles cases.

The resident persona has a social-insurance transfer in progress (human resources and medical
insurance approve in parallel), a wage-arrears complaint waiting for their supplement and a
finished training enrolment; other residents' cases fill the human-resources queue — some
awaiting acceptance, some due within two working days (yellow), some overdue (red, escalated to
the supervisor by one run of the nightly sweep) — opened by the window clerk at the service
centre with the applicants' consent. Everything goes through the cases service (policy,
audit, timeline); only the acceptance dates are set back afterwards, with their timeline entries,
so the demo has deadlines at every stage on the day it is built.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from anju.cases.models import Case, CaseEvent
from anju.cases.service import cases, deadlines
from anju.cases.service.shapes import CaseIn, ConsentIn
from anju.cases.service.sweep import sweep
from anju.core import calendars, clock, identity
from anju.core.identity import job_actor
from anju.core.models import Account
from anju.registry.models import Registration

FORMS = {
    "social_insurance_transfer": {"from_province": "安徽省"},
    "wage_arrears": {"employer": "长兴某建筑劳务公司", "amount_yuan": 18600, "months": 3},
    "labour_contract_filing": {"employer": "长兴某纺织厂", "start_date": "2026-01-05"},
    "vocational_training": {"course": "electrician"},
    "residence_permit": {"reason": "work"},
}


def _actor(session: Session, username: str):
    return identity.actor_of(session.execute(
        select(Account).where(Account.username == username)).scalar_one())


def _backdate(session: Session, case_id: int, working_days_ago: int) -> None:
    """Move a case's acceptance `working_days_ago` working days back (and its due date)."""
    case = session.get(Case, case_id)
    calendar = calendars.current(session)
    accepted = calendar.add(clock.today(), -working_days_ago).value
    limit = cases.service_of(case.service_code).time_limit_working_days
    case.accepted_on = accepted
    case.due_date, case.due_provisional = deadlines.due(calendar, accepted, limit,
                                                        case.paused_working_days or 0)
    moment = datetime.combine(accepted, time(1, 30))  # 09:30 in China, stored as UTC
    for event in session.execute(select(CaseEvent).where(CaseEvent.case_id == case_id)):
        event[0].at = moment if event[0].action == "accept" else moment - timedelta(days=1)
    session.get(Case, case_id).submitted_at = moment - timedelta(days=1)


def build(session: Session, codes: dict[str, str], progress: Callable[[str], object]) -> int:
    """Open the demo's cases; answers how many."""
    resident = _actor(session, "resident")
    officer = _actor(session, "hrss")
    clerk = _actor(session, "clerk")
    opened = 0

    def open_(actor, service: str, person: str | None = None, window: bool = False) -> int:
        # at the window the clerk records the person's consent (a paper form's number)
        nonlocal opened
        opened += 1
        return cases.open_case(session, actor, CaseIn(
            service_code=service, person_code=person, form=FORMS[service],
            consent=ConsentIn(method="paper_form", reference=f"长兴窗口-{opened:04d}")
            if window else None)).case_id

    # the resident persona's own cases
    transfer = open_(resident, "social_insurance_transfer")
    cases.accept(session, officer, transfer)
    _backdate(session, transfer, 4)
    wages = open_(resident, "wage_arrears")
    cases.accept(session, officer, wages)
    cases.request_supplement(session, officer, wages, "请补充与用人单位的考勤记录或工资条照片")
    training = open_(resident, "vocational_training")
    cases.accept(session, officer, training)
    cases.decide(session, officer, training, "approved")
    # other residents fill the queue: waiting, on track, due soon, overdue
    others = [c for c in session.execute(select(Registration.person_code).where(
        Registration.status == "approved").order_by(Registration.id).limit(60)).scalars()
        if c not in codes.values()]
    others = list(dict.fromkeys(others))[:14]
    for index, person in enumerate(others):
        service = ("labour_contract_filing", "wage_arrears", "social_insurance_transfer")[index % 3]
        case_id = open_(clerk, service, person, window=True)
        if index % 5 == 4:
            continue  # awaiting acceptance
        cases.accept(session, officer, case_id)
        limit = cases.service_of(service).time_limit_working_days
        # overdue by a few days, due within two days, or comfortably on track
        back = (limit + 2, limit - 1, limit // 2)[index % 3]
        _backdate(session, case_id, back)
    # permit applications at the window for public security's officer: one waiting, one accepted
    police_desk = _actor(session, "gongan")
    for index, person in enumerate(others[:2]):
        case_id = open_(clerk, "residence_permit", person, window=True)
        if index:
            cases.accept(session, police_desk, case_id)
    session.flush()
    swept = sweep(session, job_actor("cases.daily"))
    progress(f"demo: cases: {opened} opened, {swept.overdue} overdue escalated to the supervisor, "
             f"{swept.due_soon} due soon")
    return opened
