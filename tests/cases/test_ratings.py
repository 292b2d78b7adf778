"""好差评: the applicant rates a decided case once; a poor rating opens a rectification due in
working days, which the department answers and the supervisor follows up; it becomes overdue
past its deadline and the supervisors are told once; satisfaction is computed."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from anju.cases.models import CaseEvent, Notification
from anju.cases.rules import RECTIFY_WORKING_DAYS
from anju.cases.service import digest, notices, ratings
from anju.core import calendars, clock
from anju.core.errors import Conflict, Forbidden, NotFound, ValidationError
from anju.core.identity import job_actor
from tests.cases.notices_world import build, make_case

MONDAY = date(2026, 9, 28)  # National Day and the Mid-Autumn holiday follow


def _code(raised) -> str:
    return raised.value.code


def test_a_poor_rating_opens_a_rectification_due_in_working_days(db):
    clock.pin_today(MONDAY)
    desk = build(db)
    case = make_case(db, desk.resident_code)
    with db.unit_of_work() as s:
        out = ratings.rate(s, desk.resident, case, 2, "  等了很久  ")
        expected = calendars.current(s).add(MONDAY, RECTIFY_WORKING_DAYS).value
    assert out.score_zh == "不满意" and out.comment == "等了很久" and out.rectification_id
    # 19 October without the holiday; National Day's days off (less its 调休 Saturday) do not count
    assert expected == date(2026, 10, 23)
    with db.unit_of_work() as s:
        [rect] = ratings.list_rectifications(s, desk.officer)
        assert rect.due_date == expected and rect.status == "open" and not rect.overdue
        assert ratings.list_rectifications(s, desk.officer_elsewhere) == []
        assert ratings.list_rectifications(s, desk.teacher) == []
        # the department's officers and supervisors are told
        assert "不满意" in notices.inbox(s, desk.officer)[0].text_zh
        assert "dissatisfied" in notices.inbox(s, desk.supervisor)[0].text_en
        actions = [e.action for e in s.execute(select(CaseEvent).where(
            CaseEvent.case_id == case)).scalars()]
        assert actions == ["rate", "rectification_opened"]
    with db.unit_of_work() as s, pytest.raises(Conflict) as again:
        ratings.rate(s, desk.resident, case, 5)
    assert _code(again) == "already_rated"


@pytest.mark.parametrize("score", [4, 3])
def test_a_fair_rating_opens_nothing(db, score):
    desk = build(db)
    case = make_case(db, desk.resident_code)
    with db.unit_of_work() as s:
        assert ratings.rate(s, desk.resident, case, score).rectification_id is None
        assert ratings.list_rectifications(s, desk.officer) == []


def test_only_the_applicant_rates_a_decided_case_on_the_scale(db):
    desk = build(db)
    open_case = make_case(db, desk.resident_code, status="in_progress")
    decided = make_case(db, desk.resident_code, status="rejected")
    with db.unit_of_work() as s, pytest.raises(Conflict) as early:
        ratings.rate(s, desk.resident, open_case, 5)
    assert _code(early) == "not_rateable"
    for score in (0, 6, "5"):
        with db.unit_of_work() as s, pytest.raises(ValidationError) as bad:
            ratings.rate(s, desk.resident, decided, score)
        assert bad.value.field == "score"
    with db.unit_of_work() as s, pytest.raises(NotFound):
        ratings.rate(s, desk.quiet, decided, 1)  # someone else's case looks missing
    with db.unit_of_work() as s, pytest.raises(Forbidden):
        ratings.rate(s, desk.officer, decided, 5)
    with db.unit_of_work() as s:
        assert ratings.rating_of(s, desk.resident, decided) is None
        ratings.rate(s, desk.resident, decided, 1)
    with db.unit_of_work() as s:
        assert ratings.rating_of(s, desk.officer, decided).score_en == "very dissatisfied"


def test_a_rectification_becomes_overdue_and_is_followed_up(db):
    clock.pin_today(MONDAY)
    desk = build(db)
    case = make_case(db, desk.resident_code)
    with db.unit_of_work() as s:
        rect_id = ratings.rate(s, desk.resident, case, 1).rectification_id
        due = ratings.list_rectifications(s, desk.officer)[0].due_date
    job = job_actor("cases.digest")
    with db.unit_of_work() as s:
        assert digest.flag_overdue_rectifications(s, job, due) == 0  # due today: not yet
    clock.pin_today(date.fromordinal(due.toordinal() + 1))
    with db.unit_of_work() as s:
        [rect] = ratings.list_rectifications(s, desk.supervisor)
        assert rect.overdue
        assert digest.flag_overdue_rectifications(s, job, clock.today()) == 1
    with db.unit_of_work() as s:
        assert digest.flag_overdue_rectifications(s, job, clock.today()) == 0  # once
        told = s.execute(select(Notification).where(
            Notification.template == "rectification_overdue")).scalar_one()
        assert told.role == "dept_supervisor" and told.department == "renshe"
    with db.unit_of_work() as s, pytest.raises(Conflict):
        ratings.follow_up(s, desk.supervisor, rect_id, True)  # nothing answered yet
    with db.unit_of_work() as s:
        answered = ratings.answer_rectification(s, desk.officer, rect_id, "已增设周末窗口")
        assert answered.status == "answered" and not answered.overdue
    with db.unit_of_work() as s, pytest.raises(Forbidden):
        ratings.follow_up(s, desk.officer, rect_id, True)  # the supervisor's to do
    with db.unit_of_work() as s, pytest.raises(ValidationError):
        ratings.follow_up(s, desk.supervisor, rect_id, False)  # sent back without a note
    with db.unit_of_work() as s:
        back = ratings.follow_up(s, desk.supervisor, rect_id, False, "请说明整改时间")
        assert back.status == "open" and back.overdue  # it keeps its deadline
    with db.unit_of_work() as s:
        ratings.answer_rectification(s, desk.officer, rect_id, "本周起周六上午开放")
        done = ratings.follow_up(s, desk.supervisor, rect_id, True)
        assert done.status == "done" and done.closed_at and not done.overdue
        # the applicant heard of each answer (non-urgent)
        heard = [n for n in notices.inbox(s, desk.resident)
                 if n.template == "rectification_answered"]
        assert len(heard) == 2 and not heard[0].essential


def test_satisfaction_is_computed_per_service_department_and_window(db):
    desk = build(db)
    for score, service, channel in ((5, "labour_contract_filing", "online"),
                                    (4, "labour_contract_filing", "window"),
                                    (1, "vocational_training", "window")):
        case = make_case(db, desk.resident_code, service=service, channel=channel,
                         opened_by="clerk-1" if channel == "window" else "self")
        with db.unit_of_work() as s:
            ratings.rate(s, desk.resident, case, score)
    school = make_case(db, desk.resident_code, service="school_enrollment", department="jiaoyu")
    with db.unit_of_work() as s:
        ratings.rate(s, desk.resident, school, 3)
    with db.unit_of_work() as s:
        [renshe] = ratings.satisfaction(s, desk.supervisor, "department")
        assert (renshe.key, renshe.ratings, renshe.average) == ("renshe", 3, 3.33)
        assert renshe.satisfied_share == pytest.approx(2 / 3, abs=1e-4)
        assert renshe.by_score == {5: 1, 4: 1, 3: 0, 2: 0, 1: 1}
        by_service = {r.key: r.average for r in ratings.satisfaction(s, desk.analyst, "service")}
        assert by_service == {"labour_contract_filing": 4.5, "vocational_training": 1.0,
                              "school_enrollment": 3.0}
        [window] = ratings.satisfaction(s, desk.analyst, "window")
        assert (window.key, window.ratings) == ("clerk-1", 2)
    with db.unit_of_work() as s, pytest.raises(Forbidden):
        ratings.satisfaction(s, desk.officer, "department")
    with db.unit_of_work() as s, pytest.raises(ValidationError):
        ratings.satisfaction(s, desk.supervisor, "mood")
