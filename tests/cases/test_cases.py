"""Cases at the service layer, on SQLite and PostgreSQL: opening online and at a window with
consent, routing, every transition checked, audited and on the timeline, parallel approvals,
the supplement pause, transfer, and a 409 naming the state for every step the state forbids."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from anju.cases.models import Case, CaseApproval, CaseEvent, CaseEvidence, Notification
from anju.cases.rules import MACHINE, CaseStatus, Transition
from anju.cases.service import cases
from anju.cases.service.shapes import CaseIn
from anju.core.errors import Conflict, Forbidden, NotFound, ValidationError
from anju.core.models import AuditRecord
from tests.cases.core_support import act, build_county, open_transfer


@pytest.fixture
def county(db):
    return build_county(db)


def _entries(db, case_id: int) -> list[AuditRecord]:
    with db.unit_of_work() as s:
        return list(s.execute(select(AuditRecord).where(
            AuditRecord.object_type == "case", AuditRecord.object_id == str(case_id))
            .order_by(AuditRecord.id)).scalars())


def test_a_resident_opens_a_case_routed_to_the_department_with_evidence_and_a_notice(county):
    case_id = open_transfer(county)
    with county.db.unit_of_work() as s:
        case = s.get(Case, case_id)
        assert (case.status, case.department, case.channel) == ("submitted", "renshe", "online")
        assert case.division_code.startswith("330522001")
        items = s.execute(select(CaseEvidence.item).where(CaseEvidence.case_id == case_id))
        assert set(items.scalars()) >= {"insurance", "employment", "hukou"}
        notice = s.execute(select(Notification).where(Notification.case_id == case_id)).scalar()
        assert (notice.department, notice.role, notice.template) == (
            "renshe", "dept_officer", "officer_case_submitted")
    [entry] = _entries(county.db, case_id)
    assert (entry.action, entry.person_code) == ("case.open", county.resident.person_code)
    out = act(county, county.resident, cases.read_case, case_id)
    assert [h.action for h in out.history] == ["open"]
    assert out.due_date is None and out.warning == "none"


def test_a_resident_cannot_open_a_case_for_someone_else(county):
    other = county.world.landlord.person_code
    with county.db.unit_of_work() as s, pytest.raises(NotFound):
        cases.open_case(s, county.resident, CaseIn(
            service_code="social_insurance_transfer", person_code=other,
            form={"from_province": "安徽省"}))


def test_the_form_is_checked_field_by_field(county):
    with county.db.unit_of_work() as s, pytest.raises(ValidationError) as missing:
        cases.open_case(s, county.resident, CaseIn(service_code="social_insurance_transfer"))
    assert missing.value.field == "form.from_province" and missing.value.message_en
    with county.db.unit_of_work() as s, pytest.raises(ValidationError) as bad:
        cases.open_case(s, county.resident, CaseIn(
            service_code="wage_arrears", form={"employer": "某厂", "amount_yuan": "很多",
                                               "months": 2}))
    assert bad.value.field == "form.amount_yuan"
    with county.db.unit_of_work() as s, pytest.raises(ValidationError) as unknown:
        cases.open_case(s, county.resident, CaseIn(service_code="moon_landing"))
    assert unknown.value.field == "service_code"
    with county.db.unit_of_work() as s:
        assert s.execute(select(Case)).first() is None  # nothing half-written


def test_a_window_clerk_opens_a_case_with_the_persons_consent_recorded(county):
    with county.db.unit_of_work() as s, pytest.raises(Forbidden) as refused:
        cases.open_case(s, county.clerk, CaseIn(
            service_code="social_insurance_transfer", person_code=county.resident.person_code,
            form={"from_province": "安徽省"}))
    assert refused.value.code == "consent_required"
    case_id = open_transfer(county, actor=county.clerk)
    with county.db.unit_of_work() as s:
        case = s.get(Case, case_id)
        assert case.channel == "window" and case.opened_by == county.clerk.username
        assert case.consent["method"] == "paper_form" and case.consent["reference"] == "CX-001"
    [entry] = _entries(county.db, case_id)
    assert entry.username == county.clerk.username and entry.purpose == "window_service"
    assert entry.detail["on_behalf_of"] == county.resident.person_code
    # the clerk of another county reaches neither the person nor the case
    with pytest.raises(NotFound):
        open_transfer(county, actor=county.clerk_other)
    with pytest.raises(NotFound):
        act(county, county.clerk_other, cases.read_case, case_id)


def test_the_clerk_finds_the_person_by_id_number_and_the_lookup_is_on_their_trail(county):
    from anju.core.crypto import id_cipher
    from anju.registry.models import Person

    with county.db.unit_of_work() as s:
        person = s.get(Person, s.execute(select(Person.id).where(
            Person.person_code == county.resident.person_code)).scalar())
        number = id_cipher().decrypt(person.id_cipher)
    with county.db.unit_of_work() as s:
        found = cases.find_applicant(s, county.clerk, number)
    assert found.person_code == county.resident.person_code and "*" in found.name
    with county.db.unit_of_work() as s, pytest.raises(NotFound):
        cases.find_applicant(s, county.clerk_other, number)


def test_accept_supplement_pause_and_parallel_approval_to_the_end(county):
    # accepted Monday 2026-03-02 (not counted): the 15th working day after is Monday 03-23
    case_id = open_transfer(county)
    out = act(county, county.renshe, cases.accept, case_id, on=date(2026, 3, 2))
    assert (out.status, out.accepted_on, out.due_date) == ("accepted", date(2026, 3, 2),
                                                          date(2026, 3, 23))
    assert {(a.department, a.status) for a in out.approvals} == {("renshe", "pending"),
                                                                 ("yibao", "pending")}
    # the supplement is requested Wednesday 03-04 and answered Monday 03-09: three working days
    act(county, county.renshe, cases.request_supplement, case_id, "请补充转出地参保凭证",
        on=date(2026, 3, 4))
    paused = act(county, county.resident, cases.read_case, case_id, on=date(2026, 3, 6))
    assert paused.status == "supplement" and paused.warning == "none"
    assert paused.working_days_left == 13  # frozen at the request (03-05 … 03-23)
    out = act(county, county.resident, cases.supply, case_id, {"from_province": "安徽省合肥市"},
              on=date(2026, 3, 9))
    assert (out.status, out.paused_working_days, out.due_date) == (
        "in_progress", 3, date(2026, 3, 26))
    # medical insurance reaches the case through its approval, approves first: not yet done
    with pytest.raises(NotFound):  # accepting, starting, transferring are the handler's
        act(county, county.yibao, cases.transfer, case_id, "jiaoyu", on=date(2026, 3, 10))
    out = act(county, county.yibao, cases.decide, case_id, "approved", None, on=date(2026, 3, 10))
    assert out.status == "in_progress"
    with pytest.raises(Conflict) as twice:
        act(county, county.yibao, cases.decide, case_id, "approved", None)
    assert twice.value.code == "approval_not_due"
    # a department with no part in it does not reach it at all
    with pytest.raises(NotFound):
        act(county, county.jiaoyu, cases.decide, case_id, "approved", None)
    out = act(county, county.renshe, cases.decide, case_id, "approved", None)
    assert out.status == "approved"
    assert [h.action for h in out.history] == ["open", "accept", "request_supplement", "supply",
                                               "approve_step", "approve"]
    assert [e.action for e in _entries(county.db, case_id)] == [
        "case.open", "case.accept", "case.request_supplement", "case.supply", "case.decide",
        "case.decide"]
    with county.db.unit_of_work() as s:
        templates = [n.template for n in s.execute(select(Notification).where(
            Notification.case_id == case_id, Notification.person_code.is_not(None))
            .order_by(Notification.id)).scalars()]
    assert templates == ["case_accepted", "supplement_requested", "case_approved"]


def test_rejection_and_not_accepting_need_a_reason_the_applicant_is_told(county):
    case_id = open_transfer(county)
    with pytest.raises(ValidationError) as no_reason:
        act(county, county.renshe, cases.not_accept, case_id, " ")
    assert no_reason.value.field == "reason"
    out = act(county, county.renshe, cases.not_accept, case_id, "不属于本部门受理范围")
    assert (out.status, out.decision_reason) == ("not_accepted", "不属于本部门受理范围")
    other = open_transfer(county)
    act(county, county.renshe, cases.accept, other)
    out = act(county, county.yibao, cases.decide, other, "rejected", "本地无医保参保记录")
    assert out.status == "rejected" and out.decision_reason == "本地无医保参保记录"


def test_transfer_moves_the_case_and_its_pending_approvals(county):
    case_id = open_transfer(county)
    act(county, county.renshe, cases.accept, case_id)
    out = act(county, county.renshe, cases.transfer, case_id, "jiaoyu", "误投")
    assert out.department == "jiaoyu" and out.status == "accepted"
    assert {a.department for a in out.approvals} == {"jiaoyu", "yibao"}
    with pytest.raises(NotFound):  # human resources let it go
        act(county, county.renshe, cases.read_case, case_id)
    assert act(county, county.jiaoyu, cases.read_case, case_id).department == "jiaoyu"
    with pytest.raises(ValidationError):
        act(county, county.jiaoyu, cases.transfer, case_id, "moon")
    with pytest.raises(Conflict):
        act(county, county.jiaoyu, cases.transfer, case_id, "jiaoyu")


def test_the_applicant_withdraws_and_officers_outside_the_county_do_not_reach(county):
    case_id = open_transfer(county)
    with pytest.raises(NotFound):
        act(county, county.renshe_other, cases.accept, case_id)
    with pytest.raises(Forbidden):  # the applicant may never accept their own case
        act(county, county.resident, cases.accept, case_id)
    out = act(county, county.resident, cases.withdraw, case_id)
    assert out.status == "withdrawn"


# --- a 409 naming the state for every step the state does not allow ------------------------
STEPS = {
    Transition.ACCEPT: lambda c, a, i: cases.accept(c, a, i),
    Transition.NOT_ACCEPT: lambda c, a, i: cases.not_accept(c, a, i, "理由理由"),
    Transition.START: lambda c, a, i: cases.start(c, a, i),
    Transition.REQUEST_SUPPLEMENT: lambda c, a, i: cases.request_supplement(c, a, i, "理由理由"),
    Transition.SUPPLY: lambda c, a, i: cases.supply(c, a, i, {}),
    Transition.DECIDE_APPROVE: lambda c, a, i: cases.decide(c, a, i, "approved"),
    Transition.DECIDE_REJECT: lambda c, a, i: cases.decide(c, a, i, "rejected", "理由理由"),
    Transition.WITHDRAW: lambda c, a, i: cases.withdraw(c, a, i),
    Transition.TRANSFER: lambda c, a, i: cases.transfer(c, a, i, "jiaoyu"),
}
APPLICANT_STEPS = {Transition.SUPPLY, Transition.WITHDRAW}
# how to bring a fresh case into each state
ROUTES = {
    CaseStatus.SUBMITTED: [],
    CaseStatus.ACCEPTED: [Transition.ACCEPT],
    CaseStatus.IN_PROGRESS: [Transition.ACCEPT, Transition.START],
    CaseStatus.SUPPLEMENT: [Transition.ACCEPT, Transition.REQUEST_SUPPLEMENT],
    CaseStatus.NOT_ACCEPTED: [Transition.NOT_ACCEPT],
    CaseStatus.APPROVED: [Transition.ACCEPT, Transition.DECIDE_APPROVE],
    CaseStatus.REJECTED: [Transition.ACCEPT, Transition.DECIDE_REJECT],
    CaseStatus.WITHDRAWN: [Transition.WITHDRAW],
}
FORBIDDEN = [(state, step) for state in CaseStatus for step in Transition
             if step not in MACHINE.get(state, {})]


def test_every_forbidden_step_is_listed():
    assert len(FORBIDDEN) >= 40


@pytest.mark.parametrize("state, step", FORBIDDEN, ids=[f"{a}-{b}" for a, b in FORBIDDEN])
def test_a_step_the_state_forbids_is_a_409_naming_the_state(sqlite_db, state, step):
    county = build_county(sqlite_db)
    case_id = open_transfer(county, service="labour_contract_filing",
                            form={"employer": "长兴某厂", "start_date": "2026-01-05"})

    def run(transition):
        actor = county.resident if transition in APPLICANT_STEPS else county.renshe
        return act(county, actor, STEPS[transition], case_id)

    for transition in ROUTES[state]:
        run(transition)
    with pytest.raises(Conflict) as refused:
        run(step)
    assert refused.value.code == "case_state" and refused.value.field == "status"
    from anju.cases.rules import STATUS_WORDS

    assert STATUS_WORDS[state][0] in refused.value.message_zh
    assert STATUS_WORDS[state][1] in refused.value.message_en
    with county.db.unit_of_work() as s:
        assert s.get(Case, case_id).status == state.value
        events = s.execute(select(CaseEvent.action).where(CaseEvent.case_id == case_id))
        assert len(events.all()) == 1 + len(ROUTES[state])  # the refusal left no trace
        assert s.execute(select(CaseApproval).where(
            CaseApproval.case_id == case_id)).first() is not None or \
            Transition.ACCEPT not in ROUTES[state]


def test_the_queue_is_paged_filtered_and_the_departments_own(county):
    from anju.cases.service import stats

    ids = [open_transfer(county) for _ in range(3)]
    act(county, county.renshe, cases.accept, ids[0], on=date(2026, 3, 2))  # due 03-23
    with county.db.unit_of_work() as s:
        first = stats.queue(s, county.renshe, limit=2)
        assert (first.total, [c.case_id for c in first]) == (3, [ids[0], ids[1]])
        assert [c.case_id for c in stats.queue(s, county.renshe, offset=2, limit=2)] == [ids[2]]
        beyond = stats.queue(s, county.renshe, offset=10, limit=2)
        assert (beyond.total, list(beyond)) == (3, [])
        assert stats.queue(s, county.renshe, status="accepted").total == 1
        assert stats.queue(s, county.jiaoyu).total == 0
        assert stats.queue(s, county.renshe_other).total == 0
        # medical insurance approves the accepted one in parallel: it is in their queue too
        assert [c.case_id for c in stats.queue(s, county.yibao)] == [ids[0]]
    clock_day = date(2026, 3, 20)  # two working days before the due date
    with county.db.unit_of_work() as s:
        from anju.core import clock

        clock.pin_today(clock_day)
        assert [c.case_id for c in stats.queue(s, county.renshe, warning="yellow")] == [ids[0]]
        assert list(stats.queue(s, county.renshe, warning="red")) == []
        with pytest.raises(ValidationError):
            stats.queue(s, county.renshe, warning="blue")
