"""Working-day deadlines of cases over the real calendars: Spring Festival and National Day with
their 调休 weekends, acceptance on a holiday, a pause spanning a holiday, the 2026→2027 boundary
on a provisional 2027 (said so, never guessed silently) and the official 2027 once loaded; the
warnings and the nightly sweep's notices and escalation."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from anju.cases.models import Case, CaseEvent, Notification
from anju.cases.rules import Warning
from anju.cases.service import cases, deadlines
from anju.cases.service.sweep import sweep
from anju.core import calendars, clock
from anju.core.errors import Forbidden
from anju.core.identity import SYSTEM, job_actor
from anju.core.models import AuditRecord
from tests.cases.core_support import act, build_county, open_transfer

SAMPLE_2027 = (Path(__file__).parents[1] / "core" / "data" / "calendar_2027_sample.csv")


@pytest.fixture(autouse=True)
def _fresh_calendar():
    calendars.invalidate()
    yield
    calendars.invalidate()


@pytest.fixture
def shipped():
    """The shipped official years (through 2026) and provisional years after them."""
    return calendars.assemble([], date(2026, 12, 6))


@pytest.mark.parametrize("accepted, limit, expected", [
    # Spring Festival 2026: Feb 15–23 off, Saturday Feb 14 worked (调休)
    (date(2026, 2, 12), 5, date(2026, 2, 26)),
    # National Day 2026: Oct 1–7 off, Saturday Oct 10 worked
    (date(2026, 9, 29), 5, date(2026, 10, 12)),
    # accepted on a holiday: counting starts on the next working day
    (date(2026, 10, 3), 1, date(2026, 10, 8)),
    # an ordinary December stays in the official year
    (date(2026, 12, 1), 5, date(2026, 12, 8)),
    # 2021: Spring Festival Feb 11–17 off, Feb 7 and Feb 20 worked
    (date(2021, 2, 5), 5, date(2021, 2, 18)),
])
def test_due_dates_over_the_official_calendar(shipped, accepted, limit, expected):
    assert deadlines.due(shipped, accepted, limit, 0) == (expected, False)


def test_a_pause_spanning_national_day_counts_only_working_days(shipped):
    # requested Monday Sep 28, answered Friday Oct 9: Sep 29, Sep 30, Oct 8, Oct 9
    assert deadlines.paused_between(shipped, date(2026, 9, 28), date(2026, 10, 9)) == (4, False)
    # answered the same day: nothing
    assert deadlines.paused_between(shipped, date(2026, 9, 28), date(2026, 9, 28)) == (0, False)
    due, _ = deadlines.due(shipped, date(2026, 9, 21), 10, 4)
    assert due == deadlines.due(shipped, date(2026, 9, 21), 14, 0)[0]


def test_a_december_case_reaching_into_2027_is_marked_provisional(shipped):
    # Dec 22–31 are 8 working days; provisional 2027 keeps New Year's Day; Jan 4–8, 11–12
    assert deadlines.due(shipped, date(2026, 12, 21), 15, 0) == (date(2027, 1, 12), True)
    now = deadlines.clock_of(shipped, status="accepted", accepted_on=date(2026, 12, 21),
                             limit=15, paused=0, paused_since=None, today=date(2026, 12, 21))
    assert (now.working_days_left, now.provisional) == (15, True)


@pytest.mark.parametrize("today, left, warning", [
    (date(2026, 3, 18), 3, Warning.NONE),
    (date(2026, 3, 19), 2, Warning.YELLOW),
    (date(2026, 3, 23), 0, Warning.YELLOW),  # the due day itself
    (date(2026, 3, 24), -1, Warning.RED),
])
def test_yellow_and_red(shipped, today, left, warning):
    now = deadlines.clock_of(shipped, status="in_progress", accepted_on=date(2026, 3, 2),
                             limit=15, paused=0, paused_since=None, today=today)
    assert (now.due_date, now.working_days_left, now.warning) == (date(2026, 3, 23), left,
                                                                  warning)
    paused = deadlines.clock_of(shipped, status="supplement", accepted_on=date(2026, 3, 2),
                                limit=15, paused=0, paused_since=date(2026, 3, 18), today=today)
    assert paused.warning is Warning.NONE and paused.working_days_left == 3


def test_a_case_due_in_a_provisional_year_becomes_official_once_the_year_is_loaded(db):
    county = build_county(db)
    case_id = open_transfer(county, on=date(2027, 2, 1))
    out = act(county, county.renshe, cases.accept, case_id, on=date(2027, 2, 1))
    # provisional 2027: only the statutory Spring Festival days off, no 调休 Saturdays
    assert (out.due_date, out.provisional_calendar) == (date(2027, 2, 26), True)
    with db.unit_of_work() as s:
        calendars.load(s, SYSTEM, SAMPLE_2027.read_bytes(), "2027.csv", today=date(2026, 12, 6))
    calendars.invalidate()
    # the official arrangement: Feb 5–12 off, Saturday Feb 20 worked
    out = act(county, county.resident, cases.read_case, case_id)
    assert (out.due_date, out.provisional_calendar) == (date(2027, 3, 1), False)
    with db.unit_of_work() as s:
        assert sweep(s, job_actor("cases.daily"), date(2027, 2, 2)).refreshed == 1
    with db.unit_of_work() as s:
        case = s.get(Case, case_id)
        assert (case.due_date, case.due_provisional) == (date(2027, 3, 1), False)


def test_the_sweep_warns_once_and_escalates_overdue_cases_once(db):
    county = build_county(db)
    soon = open_transfer(county, service="labour_contract_filing",
                         form={"employer": "长兴某厂", "start_date": "2026-01-05"})
    late = open_transfer(county, service="labour_contract_filing",
                         form={"employer": "长兴某厂", "start_date": "2026-01-05"})
    act(county, county.renshe, cases.accept, late, on=date(2026, 3, 2))  # due Mar 9
    act(county, county.renshe, cases.accept, soon, on=date(2026, 3, 5))  # due Mar 12
    job = job_actor("cases.daily")
    for _ in range(2):
        with db.unit_of_work() as s:
            result = sweep(s, job, date(2026, 3, 10))
    assert (result.due_soon, result.overdue, result.escalated) == (1, 1, 0)
    with db.unit_of_work() as s:
        notes = s.execute(select(Notification.case_id, Notification.template,
                                 Notification.role).where(
            Notification.template.in_(["case_due_soon", "case_overdue"]))).all()
        assert sorted(notes) == sorted([(soon, "case_due_soon", "dept_officer"),
                                        (late, "case_overdue", "dept_supervisor")])
        assert s.get(Case, late).escalated_at is not None
        timeline = s.execute(select(CaseEvent.action).where(CaseEvent.case_id == late)).all()
        assert [a for (a,) in timeline] == ["open", "accept", "escalate"]
        entries = s.execute(select(AuditRecord.username).where(
            AuditRecord.action == "case.escalate")).scalars().all()
        assert entries == ["job:cases.daily"]
    with db.unit_of_work() as s, pytest.raises(Forbidden):
        sweep(s, county.supervisor, date(2026, 3, 10))
    clock.pin_today(None)


def test_a_case_accepted_in_december_2026_shows_its_2027_due_date_as_provisional(db):
    county = build_county(db)
    case_id = open_transfer(county, on=date(2026, 12, 21))
    out = act(county, county.renshe, cases.accept, case_id, on=date(2026, 12, 21))
    assert (out.due_date, out.provisional_calendar, out.working_days_left) == (
        date(2027, 1, 12), True, 15)
    with db.unit_of_work() as s:
        case = s.get(Case, case_id)
        assert (case.due_date, case.due_provisional) == (date(2027, 1, 12), True)
        accepted = s.execute(select(CaseEvent.detail).where(
            CaseEvent.case_id == case_id, CaseEvent.action == "accept")).scalar()
        assert accepted["provisional"] is True  # said on the timeline too
    # a December case due within the official year is not
    other = open_transfer(county, on=date(2026, 12, 1), service="labour_contract_filing",
                          form={"employer": "长兴某厂", "start_date": "2026-01-05"})
    out = act(county, county.renshe, cases.accept, other, on=date(2026, 12, 1))
    assert (out.due_date, out.provisional_calendar) == (date(2026, 12, 8), False)
