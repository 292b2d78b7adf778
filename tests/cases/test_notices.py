"""Notices: templates in both languages, delivery through the SMS outbox honouring each
person's preference (essential notices always), one digest a day, the inbox paged with
read/unread, officers' notices by department, jurisdiction and role, and the officers' digest."""
from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from anju.cases.models import Notification, Suggestion
from anju.cases.service import digest, notices
from anju.core import clock
from anju.core.channels import Channel, Delivery, DeliveryStatus, Message
from anju.core.config import get_settings, reset_settings_cache
from anju.core.errors import Forbidden, NotFound
from anju.core.identity import job_actor
from tests.cases.notices_world import HERE, build, make_case

JOB = job_actor("cases.digest")
CJK = re.compile(r"[\u4e00-\u9fff]")


def _outbox() -> list[dict]:
    path = get_settings().data_dir / "outbox" / "sms.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text("utf-8").splitlines()]


def _notify(db, person, template="case_accepted", essential=True, **params):
    with db.unit_of_work() as s:
        notice = notices.notify(s, person_code=person, template=template, case_id=None,
                                params={"service_code": "legal_aid", **params},
                                essential=essential)
        s.flush()
        return notice.id


def _delivery(db, notice_id):
    with db.unit_of_work() as s:
        return s.get(Notification, notice_id).delivery


PARAMS = {"service_code": "legal_aid", "due_date": "2026-03-20", "reason": "缺少材料",
          "department": "renshe", "permit_number": "330522-2026-000001",
          "valid_until": "2026-04-01", "answer": "已改进", "subject": "延长窗口时间", "days": 2,
          "score": 2, "note": "答复不具体", "due_soon": 1, "overdue": 2, "rectifications": 3,
          "rectifications_overdue": 0, "suggestions": 4, "suggestions_overdue": 1}


@pytest.mark.parametrize("template", sorted(notices.TEMPLATES))
def test_every_template_reads_whole_in_chinese_and_english(template):
    zh = notices.render(template, PARAMS, "zh", case_id=12)
    en = notices.render(template, PARAMS, "en", case_id=12)
    assert "{" not in zh and "{" not in en
    assert CJK.search(zh)
    # English says English names (the service, the department, the rating); only what a person
    # wrote (a reason, an answer, a subject, a note) stays as written
    for written in ("reason", "answer", "subject", "note"):
        en = en.replace(str(PARAMS[written]), "")
    assert not CJK.search(en), en
    if "{service}" in notices.TEMPLATES[template].en:
        assert "Legal aid" in en or "legal aid" in en.lower()
        assert "法律援助" in zh


def test_english_texts_carry_no_chinese_of_their_own():
    for template in notices.TEMPLATES.values():
        assert not CJK.search(template.en), template.en
        assert CJK.search(template.zh), template.zh


def test_a_service_is_named_never_shown_by_its_code():
    for key in ("service", "service_code"):
        zh = notices.render("case_accepted", {key: "residence_permit", "due_date": "2026-03-20"},
                            "zh", case_id=7)
        en = notices.render("officer_case_submitted", {key: "residence_permit"}, "en", case_id=7)
        assert "居住证申领" in zh and "residence_permit" not in zh
        assert "Residence permit application" in en and "residence_permit" not in en


def test_an_undeclared_template_still_reads_in_both_languages():
    assert notices.render("nobody_declared_this", {}, "en", case_id=3) == \
        "You have a new notice about case 3."
    assert "3" in notices.render("nobody_declared_this", {}, "zh", case_id=3)


def test_essential_notices_arrive_even_when_the_person_switched_the_rest_off(db):
    desk = build(db)
    with db.unit_of_work() as s:
        assert notices.preference(s, desk.resident).non_essential is True
        assert notices.set_preference(s, desk.resident, False).non_essential is False
    essential = _notify(db, desk.resident_code, "case_accepted", due_date="2026-03-20")
    chatter = _notify(db, desk.resident_code, "case_submitted", essential=False)
    assert _delivery(db, essential) == "pending" and _delivery(db, chatter) == "off"
    with db.unit_of_work() as s:
        assert digest.deliver_pending(s, JOB) == {"sent": 1, "failed": 0, "inbox_only": 0}
        assert digest.send_digests(s, JOB) == 0
    [sms] = _outbox()
    assert sms["to"] == "13800001111" and "已受理" in sms["text"] and "2026-03-20" in sms["text"]
    assert sms["reference"] == f"notice:{essential}"
    assert _delivery(db, essential) == "sent" and _delivery(db, chatter) == "off"
    with db.unit_of_work() as s:  # both still in the inbox
        assert {n.notice_id for n in notices.inbox(s, desk.resident)} == {essential, chatter}


def test_a_caller_cannot_make_a_decision_non_essential(db):
    desk = build(db)
    with db.unit_of_work() as s:
        notices.set_preference(s, desk.resident, False)
    decided = _notify(db, desk.resident_code, "case_rejected", essential=False, reason="不符合条件")
    assert _delivery(db, decided) == "pending"
    with db.unit_of_work() as s:
        assert digest.deliver_pending(s, JOB)["sent"] == 1
    assert "不符合条件" in _outbox()[0]["text"]


def test_non_urgent_notices_wait_for_one_digest_a_day(db):
    desk = build(db)
    first = _notify(db, desk.resident_code, "case_submitted", essential=False)
    second = _notify(db, desk.resident_code, "case_transferred", essential=False,
                     department="sifa")
    with db.unit_of_work() as s:
        assert digest.deliver_pending(s, JOB)["sent"] == 0  # nothing urgent
        assert digest.send_digests(s, JOB) == 1
    [sms] = _outbox()
    assert "2 条新消息" in sms["text"] and "司法局" in sms["text"]
    assert _delivery(db, first) == _delivery(db, second) == "digested"
    late = _notify(db, desk.resident_code, "case_withdrawn", essential=False)
    with db.unit_of_work() as s:
        assert digest.send_digests(s, JOB) == 0  # one a day
    assert len(_outbox()) == 1 and _delivery(db, late) == "digest"


class Gateway(Channel):
    """A county's SMS gateway as it would plug in (ANJU_SMS_CHANNEL=module:Class): it takes
    messages and, later, reports one delivered and the other not."""

    name = "gateway"
    sent: list[Message] = []

    def send(self, message: Message) -> Delivery:
        Gateway.sent.append(message)
        return Delivery(f"gw-{len(Gateway.sent)}", DeliveryStatus.ACCEPTED, self.name,
                        datetime.now(UTC), message.reference)

    def status(self, message_id: str) -> Delivery | None:
        state = {"gw-1": DeliveryStatus.DELIVERED, "gw-2": DeliveryStatus.FAILED}.get(message_id)
        return Delivery(message_id, state, self.name, datetime.now(UTC)) if state else None


def test_a_gateway_plugs_in_and_its_delivery_reports_are_stored(db, monkeypatch):
    desk = build(db)
    monkeypatch.setenv("ANJU_SMS_CHANNEL", f"{__name__}:Gateway")
    reset_settings_cache()
    Gateway.sent = []
    first, second, third = (_notify(db, desk.resident_code, "case_accepted", due_date=f"d{i}")
                            for i in range(3))
    assert digest.deliver(db, JOB) == {"sent": 3, "failed": 0, "inbox_only": 0,
                                       "delivered": 1, "failed_reported": 1}
    assert [m.reference for m in Gateway.sent] == [f"notice:{n}" for n in (first, second, third)]
    assert [_delivery(db, n) for n in (first, second, third)] == ["delivered", "failed", "sent"]
    assert _outbox() == []  # nothing went to the default outbox


def test_a_person_without_a_phone_has_the_notice_in_the_inbox_only(db):
    desk = build(db)
    notice = _notify(db, desk.quiet_code)
    with db.unit_of_work() as s:
        assert digest.deliver_pending(s, JOB)["inbox_only"] == 1
    assert _delivery(db, notice) == "inbox" and _outbox() == []


def test_only_the_system_sends(db):
    desk = build(db)
    with db.unit_of_work() as s, pytest.raises(Forbidden):
        digest.deliver_pending(s, desk.officer)


def test_the_inbox_is_paged_newest_first_and_reads_once(db):
    desk = build(db)
    ids = [_notify(db, desk.resident_code, "case_accepted", due_date=f"2026-03-{d:02d}")
           for d in range(10, 15)]
    other = _notify(db, desk.quiet_code)
    with db.unit_of_work() as s:
        page = notices.inbox(s, desk.resident, limit=2)
        assert page.total == 5 and [n.notice_id for n in page] == ids[:-3:-1]
        assert page.has_next and not page.has_previous
        assert [n.notice_id for n in notices.inbox(s, desk.resident, offset=4, limit=2)] == \
            [ids[0]]
        assert notices.mark_read(s, desk.resident, ids[2]).read_at is not None
        assert notices.unread_count(s, desk.resident) == 4
        assert ids[2] not in {n.notice_id for n in notices.inbox(s, desk.resident, unread=True)}
    with db.unit_of_work() as s, pytest.raises(NotFound):
        notices.mark_read(s, desk.resident, other)  # someone else's looks missing
    with db.unit_of_work() as s:
        assert notices.mark_all_read(s, desk.resident) == 4
        assert notices.unread_count(s, desk.resident) == 0
        assert notices.unread_count(s, desk.quiet) == 1


def test_officers_read_their_department_jurisdiction_and_role_only(db):
    desk = build(db)
    case = make_case(db, desk.resident_code, status="in_progress")
    with db.unit_of_work() as s:
        for role in ("dept_officer", "dept_supervisor"):
            notices.notify_officers(s, department="renshe", division_code=HERE, role=role,
                                    template="case_due_soon", case_id=case,
                                    params={"service_code": "legal_aid", "days": 2})
    with db.unit_of_work() as s:
        [mine] = notices.inbox(s, desk.officer)
        assert "剩余 2 个工作日" in mine.text_zh and "due in 2 working days" in mine.text_en
        assert len(notices.inbox(s, desk.supervisor)) == 1
        assert notices.inbox(s, desk.teacher) == []
        assert notices.inbox(s, desk.officer_elsewhere) == []
        assert notices.inbox(s, desk.resident) == []
    with db.unit_of_work() as s, pytest.raises(NotFound):
        notices.mark_read(s, desk.teacher, mine.notice_id)
    with db.unit_of_work() as s, pytest.raises(Forbidden):
        notices.set_preference(s, desk.officer, False)  # officers have no notice preference


def test_the_officers_digest_counts_what_waits_once_a_day(db):
    desk = build(db)
    clock.pin_today(date(2026, 3, 16))  # a Monday
    make_case(db, desk.resident_code, status="in_progress", due=date(2026, 3, 17))  # yellow
    make_case(db, desk.resident_code, status="accepted", due=date(2026, 3, 10))  # red
    make_case(db, desk.resident_code, status="accepted", due=date(2026, 4, 30))  # fine
    make_case(db, desk.resident_code, status="in_progress", department="jiaoyu",
              service="school_enrollment", due=date(2026, 3, 10))
    with db.unit_of_work() as s:
        s.add(Suggestion(person_code=desk.resident_code, division_code=HERE, kind="complaint",
                         department="renshe", subject="排队太久", body="……",
                         due_date=date(2026, 3, 13)))
    with db.unit_of_work() as s:
        written = digest.officer_digests(s, JOB, clock.today())
    assert written == 3  # renshe officer, renshe supervisor, jiaoyu officer; none elsewhere
    with db.unit_of_work() as s:
        [officer] = notices.inbox(s, desk.officer)
        assert "临近到期 1 件、逾期 1 件" in officer.text_zh
        assert "1 suggestions to answer (1 overdue)" in officer.text_en
        assert notices.inbox(s, desk.officer_elsewhere) == []
        assert "逾期 1 件" in notices.inbox(s, desk.teacher)[0].text_zh
    with db.unit_of_work() as s:
        assert digest.officer_digests(s, JOB, clock.today()) == 0
        assert digest.officer_digests(s, JOB, clock.today() + timedelta(days=1)) == 3


def test_the_jobs_are_declared_and_run_under_their_actor(db):
    from anju.core.domain import jobs

    declared = jobs()
    assert {"cases.notices", "cases.digest"} <= set(declared)
    desk = build(db)
    _notify(db, desk.resident_code)
    assert digest.deliver(db, job_actor("cases.notices")) == {
        "sent": 1, "failed": 0, "inbox_only": 0, "delivered": 0, "failed_reported": 0}
    summary = digest.daily(db, JOB, date(2026, 3, 16))
    assert set(summary) == {"permit_reminders", "rectifications_overdue", "officer_digests",
                            "person_digests"}
    with db.unit_of_work() as s:
        assert s.execute(select(Notification).where(Notification.delivery == "pending")) \
            .first() is None


def test_a_permit_holder_is_reminded_once_before_it_expires(db):
    from anju.registry import service as registry
    from anju.registry.models import Permit
    from tests.factories import make_account, make_house, make_person, submit, valid_id

    police = make_account(db, "police")
    landlord = make_person(db, police, "李建国", id_number=valid_id("330522"))
    holder = make_person(db, police, "王芳", id_number=valid_id("341221"), phone="13800001111")
    room = make_house(db, police, landlord)["rooms"][0]["room_id"]
    registration = submit(db, police, holder, room)
    with db.unit_of_work() as s:
        registry.approve_registration(s, police, registration)
    with db.unit_of_work() as s:
        for number, until in (("330522-2026-000001", date(2026, 4, 10)),
                              ("330522-2026-000002", date(2026, 6, 1))):
            s.add(Permit(permit_number=number, person_code=holder, registration_id=registration,
                         division_code=HERE, issued_on=date(2025, 4, 10), valid_until=until,
                         issued_by="police"))
    clock.pin_today(date(2026, 3, 16))
    with db.unit_of_work() as s:
        assert digest.remind_expiring_permits(s, JOB, clock.today()) == 1  # within 30 days
    with db.unit_of_work() as s:
        assert digest.remind_expiring_permits(s, JOB, clock.today()) == 0  # once
        [told] = s.execute(select(Notification).where(
            Notification.template == "permit_expiring")).scalars().all()
        assert told.person_code == holder and told.essential and told.delivery == "pending"
        assert "2026-04-10" in notices.render(told.template, told.params, "zh")
