"""Participation: a resident's suggestion reaches the department's officers of their area with a
deadline in working days, is answered (the resident told) and published only without personal
data; providers are registered by the admin, assigned cases of their kind, and see only those."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from anju.cases import policy as P
from anju.cases.models import Case
from anju.cases.service import notices, participation
from anju.core import calendars, clock, identity
from anju.core.access import Access
from anju.core.errors import Conflict, Forbidden, NotFound, ValidationError
from tests.cases.notices_world import build, make_case


def _suggest(db, actor, **kw):
    with db.unit_of_work() as s:
        return participation.submit_suggestion(
            s, actor, **{"kind": "suggestion", "department": "hrss", "subject": "延长窗口时间",
                         "body": "希望周六也能办理社保业务。", **kw})


def test_a_suggestion_is_answered_by_its_department_and_published_without_personal_data(db):
    clock.pin_today(date(2026, 9, 28))
    desk = build(db)
    out = _suggest(db, desk.resident)
    with db.unit_of_work() as s:
        assert out.department == "renshe"  # the alias resolved
        assert out.due_date == calendars.current(s).add(date(2026, 9, 28), 10).value
        assert out.due_date == date(2026, 10, 16)  # ten working days across National Day
        assert "延长窗口时间" in notices.inbox(s, desk.officer)[0].text_zh
        assert [x.suggestion_id for x in participation.list_suggestions(s, desk.officer)] == \
            [out.suggestion_id]
        assert participation.list_suggestions(s, desk.teacher) == []
        assert participation.list_suggestions(s, desk.officer_elsewhere) == []
        assert participation.list_suggestions(s, desk.quiet) == []
        assert len(participation.list_suggestions(s, desk.resident)) == 1
    for who in (desk.teacher, desk.officer_elsewhere):
        with db.unit_of_work() as s, pytest.raises(NotFound):
            participation.answer_suggestion(s, who, out.suggestion_id, "好的")
    with db.unit_of_work() as s, pytest.raises(Conflict):
        participation.publish_suggestion(s, desk.officer, out.suggestion_id, "周六开放")
    with db.unit_of_work() as s:
        answered = participation.answer_suggestion(s, desk.officer, out.suggestion_id,
                                                   "自十月起周六上午开放社保窗口。")
        assert answered.answer and not answered.overdue
    with db.unit_of_work() as s:
        [told] = notices.inbox(s, desk.resident)
        assert told.essential and "周六上午" in told.text_zh
    for leaky in ("王芳建议周六开放", "请致电 13800001111", f"编号 {desk.resident_code}"):
        with db.unit_of_work() as s, pytest.raises(ValidationError) as refused:
            participation.publish_suggestion(s, desk.officer, out.suggestion_id, leaky)
        assert refused.value.code == "personal_data"
    with db.unit_of_work() as s:
        participation.publish_suggestion(s, desk.officer, out.suggestion_id,
                                         "群众建议周六办理社保；答复：自十月起周六上午开放。")
    with db.unit_of_work() as s:
        [public] = participation.published_suggestions(s)
        assert set(public.model_dump()) == {"suggestion_id", "kind", "department", "text",
                                            "answered_at"}
        assert "周六上午" in public.text


def test_a_suggestion_needs_a_kind_a_department_and_words(db):
    desk = build(db)
    for bad, field in (({"kind": "rumour"}, "kind"), ({"department": "moon"}, "department"),
                       ({"subject": "  "}, "subject"), ({"body": "x" * 2001}, "body")):
        with pytest.raises(ValidationError) as refused:
            _suggest(db, desk.resident, **bad)
        assert refused.value.field == field
    with pytest.raises(Forbidden):
        _suggest(db, desk.officer)


def test_an_unanswered_suggestion_becomes_overdue(db):
    clock.pin_today(date(2026, 3, 2))
    desk = build(db)
    out = _suggest(db, desk.resident, kind="complaint")
    clock.pin_today(date(2026, 3, 17))
    with db.unit_of_work() as s:
        [late] = participation.list_suggestions(s, desk.officer, unanswered=True)
        assert late.overdue and late.due_date == date(2026, 3, 16)
        assert [x.id for x in participation.overdue_suggestions(s, clock.today())] == \
            [out.suggestion_id]


def test_providers_are_registered_by_the_admin_and_see_only_their_cases(db):
    desk = build(db)
    with db.unit_of_work() as s:
        provider = participation.register_provider(s, desk.admin, code="legal_aid_1",
                                                   name="长兴县法律援助工作站", kind="legal_aid",
                                                   division_code="330522")
        assert provider.code == "provider:legal_aid_1" and provider.division_code == "330522000000"
        participation.register_provider(s, desk.admin, code="migrants", name="新长兴人协会",
                                        kind="migrant_org", division_code="330522")
        username = participation.create_provider_account(
            s, desk.admin, "provider:legal_aid_1", "lawyer-wang", "correct-horse-9")
    with db.unit_of_work() as s, pytest.raises(Conflict):
        participation.register_provider(s, desk.admin, code="legal_aid_1", name="重复",
                                        kind="legal_aid", division_code="330522")
    with db.unit_of_work() as s, pytest.raises(Forbidden):
        participation.register_provider(s, desk.officer, code="x_1", name="某机构",
                                        kind="legal_aid", division_code="330522")
    with db.unit_of_work() as s, pytest.raises(ValidationError) as bad_kind:
        participation.register_provider(s, desk.admin, code="x_2", name="某机构", kind="church",
                                        division_code="330522")
    assert bad_kind.value.field == "kind"
    with db.unit_of_work() as s:
        from anju.core.models import Account

        lawyer = identity.actor_of(s.execute(select(Account).where(
            Account.username == username)).scalar_one())
    legal = make_case(db, desk.resident_code, status="accepted", service="legal_aid",
                      department="sifa")
    other_legal = make_case(db, desk.quiet_code, status="accepted", service="legal_aid",
                            department="sifa")
    labour = make_case(db, desk.resident_code, status="accepted")
    sifa = _sifa_officer(db)
    with db.unit_of_work() as s:
        assert {p.code for p in participation.list_providers(s, sifa)} == {
            "provider:legal_aid_1", "provider:migrants"}
        participation.assign_to_provider(s, sifa, legal, "provider:legal_aid_1")
    for case, code in ((labour, "provider:legal_aid_1"), (other_legal, "provider:migrants")):
        with db.unit_of_work() as s, pytest.raises((ValidationError, NotFound)) as refused:
            participation.assign_to_provider(s, sifa, case, code)
        assert getattr(refused.value, "field", None) == "provider_code" or \
            refused.value.code == "not_found"
    with db.unit_of_work() as s, pytest.raises(NotFound):
        participation.assign_to_provider(s, desk.officer, other_legal, "provider:legal_aid_1")
    with db.unit_of_work() as s:
        # the provider's reach over cases (its reading purpose is the cases core's)
        reach = Access(s, lawyer).restrict_model(P.CASE_READ, Case)
        assert list(s.execute(select(Case.id).where(reach)).scalars()) == [legal]
        [told] = notices.inbox(s, lawyer)
        assert "已指派给本机构" in told.text_zh
    with db.unit_of_work() as s:
        participation.set_provider_active(s, desk.admin, "provider:legal_aid_1", False)
    with db.unit_of_work() as s, pytest.raises(ValidationError):
        participation.assign_to_provider(s, sifa, other_legal, "provider:legal_aid_1")


def test_a_provider_account_needs_a_provider(db):
    with db.unit_of_work() as s, pytest.raises(ValidationError) as refused:
        identity.create_account(s, username="stray", password="correct-horse-9",
                                role="service_provider", division="330522", department="renshe")
    assert refused.value.code == "provider_required"


def _sifa_officer(db):
    from tests.factories import make_account

    return make_account(db, "dept_officer", department="sifa")
