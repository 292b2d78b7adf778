"""The notices' scheduled work, each step under the job's system actor and audited:

- `deliver_pending` (job `cases.notices`, every few minutes): hand each pending notice to the
  outbound channel (a text message, `anju.core.channels`) and store where it stands, with the
  channel's message id; `refresh_deliveries` then asks the channel for its delivery reports. A notice is
  sent after the use case that wrote it committed, so a rolled-back case sends nothing; a crash
  between sending and storing sends it again (at least once, never lost).
- `send_digests` (job `cases.digest`, daily): one text a day per person gathering the non-urgent
  notices waiting for it — never a second one the same day.
- `officer_digests`: one inbox notice a day per department's officers (and supervisors,
  providers) of a jurisdiction: cases due soon and overdue, rectifications and suggestions
  waiting, with those overdue.
- `remind_expiring_permits` and `flag_overdue_rectifications`: notices raised once each.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from anju.cases import policy as P
from anju.cases.models import Case, Notification, Rectification, Suggestion
from anju.cases.rules import CLOCKED, YELLOW_WITHIN
from anju.cases.service.notices import (
    DIGEST_ZH,
    notify,
    notify_officers,
    render,
)
from anju.core import calendars, divisions
from anju.core.access import Access
from anju.core.audit import AuditEvent
from anju.core.channels import MAX_TEXT, Channel, DeliveryStatus, Message, sms_channel
from anju.core.db import Database, utcnow
from anju.core.errors import AnjuError
from anju.core.models import Account
from anju.core.policy import Actor
from anju.registry import reads

OFFICER_ROLES = ("dept_officer", "dept_supervisor", "service_provider")
PERMIT_REMIND_DAYS = 30  # calendar days before a permit expires


def _sent(notice: Notification, how: str) -> AuditEvent:
    return AuditEvent(P.NOTICE_SEND, P.SERVICE_NOTICE, notice.person_code, "notification",
                      str(notice.id), {"delivery": how})


def deliver_pending(session: Session, actor: Actor, channel: Channel | None = None,
                    batch: int = 500) -> dict:
    """Send up to `batch` pending notices; a person who gave no mobile number has them in the
    inbox only."""
    access = Access(session, actor)
    access.allow(P.NOTICE_SEND)
    pending = list(session.execute(select(Notification).where(
        Notification.delivery == "pending", Notification.person_code.is_not(None))
        .order_by(Notification.id).limit(batch).with_for_update()).scalars())
    if not pending:
        return {"sent": 0, "failed": 0, "inbox_only": 0}
    phones = reads.person_phones(session, {n.person_code for n in pending})
    channel = channel or sms_channel()
    counts, events = defaultdict(int), []
    for notice in pending:
        phone = phones.get(notice.person_code)
        if not phone:
            notice.delivery = "inbox"
        else:
            try:
                answer = channel.send(Message(phone, _sms(render(
                    notice.template, notice.params, "zh", notice.case_id)), f"notice:{notice.id}"))
                notice.delivery = _STATE[answer.status]
                notice.channel_message_id = answer.message_id[:64]
            except AnjuError:  # a number the channel refuses: it will not arrive
                notice.delivery = "failed"
        notice.delivered_at = utcnow()
        counts[notice.delivery] += 1
        events.append(_sent(notice, notice.delivery))
    access.record(*events)
    return {"sent": counts["sent"], "failed": counts["failed"], "inbox_only": counts["inbox"]}


# the channel's word → the notice's delivery state
_STATE = {DeliveryStatus.ACCEPTED: "sent", DeliveryStatus.DELIVERED: "delivered",
          DeliveryStatus.FAILED: "failed"}
REPORT_DAYS = 3  # a gateway keeps delivery reports about this long


def refresh_deliveries(session: Session, actor: Actor, channel: Channel | None = None,
                       batch: int = 500) -> dict:
    """Ask the channel where the text messages sent lately stand (a gateway's delivery report)
    and store it: `delivered`, or `failed`; still `sent` while the gateway does not know."""
    access = Access(session, actor)
    access.allow(P.NOTICE_SEND)
    sent = list(session.execute(select(Notification).where(
        Notification.delivery == "sent", Notification.channel_message_id.is_not(None),
        Notification.delivered_at >= utcnow() - timedelta(days=REPORT_DAYS))
        .order_by(Notification.id).limit(batch).with_for_update()).scalars())
    channel = channel or sms_channel()
    changed, events = defaultdict(int), []
    for notice in sent:
        report = channel.status(notice.channel_message_id)
        state = _STATE[report.status] if report else "sent"
        if state != "sent":
            notice.delivery, notice.delivered_at = state, utcnow()
            changed[state] += 1
            events.append(_sent(notice, state))
    access.record(*events)
    return {"delivered": changed["delivered"], "failed_reported": changed["failed"]}


def _sms(text: str) -> str:
    text = f"【安居】{text}"
    return text if len(text) <= MAX_TEXT else text[:MAX_TEXT - 1] + "…"


def _midnight() -> datetime:
    now = utcnow()
    return datetime(now.year, now.month, now.day)


def send_digests(session: Session, actor: Actor, channel: Channel | None = None) -> int:
    """One text per person gathering their notices waiting for the digest, unless one was sent
    to them today already; how many digests went out."""
    access = Access(session, actor)
    access.allow(P.NOTICE_SEND)
    waiting = list(session.execute(select(Notification).where(
        Notification.delivery == "digest").order_by(Notification.id).with_for_update()).scalars())
    by_person: dict[str, list[Notification]] = defaultdict(list)
    for notice in waiting:
        by_person[notice.person_code].append(notice)
    if not by_person:
        return 0
    done_today = set(session.execute(select(Notification.person_code).where(
        Notification.delivery == "digested", Notification.delivered_at >= _midnight(),
        Notification.person_code.in_(list(by_person)))).scalars())
    phones = reads.person_phones(session, by_person)
    channel = channel or sms_channel()
    sent, events = 0, []
    for person, notices in by_person.items():
        if person in done_today:
            continue
        if phones.get(person):
            lines = "；".join(render(n.template, n.params, "zh", n.case_id) for n in notices)
            try:
                channel.send(Message(phones[person], _sms(
                    DIGEST_ZH.format(n=len(notices)) + lines), f"digest:{person}"))
                sent += 1
            except AnjuError:
                pass  # marked below all the same: the inbox holds them, no retry storm
        for notice in notices:
            notice.delivery, notice.delivered_at = "digested", utcnow()
            events.append(_sent(notice, "digested"))
    access.record(*events)
    return sent


def _left(calendar, today: date, due: date | None) -> int | None:
    if due is None:
        return None
    try:
        return calendar.between(today, due).value
    except AnjuError:  # a due date beyond any calendar: far off
        return None


def officer_digests(session: Session, actor: Actor, today: date) -> int:
    """One digest notice today per group of officers (department, jurisdiction, role) that has
    something waiting; how many were written."""
    access = Access(session, actor)
    access.allow(P.NOTICE_SEND)
    groups = set(session.execute(select(Account.department, Account.division_code, Account.role)
                                 .where(Account.role.in_(OFFICER_ROLES), Account.active.is_(True),
                                        Account.department.is_not(None))).all())
    if not groups:
        return 0
    calendar = calendars.current(session)
    cases = session.execute(select(Case.department, Case.provider_code, Case.division_code,
                                   Case.due_date).where(Case.status.in_([s.value for s in CLOCKED]))
                            ).all()
    rects = session.execute(select(Rectification.department, Rectification.division_code,
                                   Rectification.due_date).where(Rectification.status == "open")
                            ).all()
    suggestions = session.execute(select(Suggestion.department, Suggestion.division_code,
                                         Suggestion.due_date).where(Suggestion.answer.is_(None))
                                  ).all()
    lefts = [(dept, provider, division, _left(calendar, today, due))
             for dept, provider, division, due in cases]
    written_today = {(n.department, n.division_code, n.role) for n in session.execute(
        select(Notification).where(Notification.template == "officer_digest",
                                   Notification.created_at >= utcnow() - timedelta(days=2))
    ).scalars() if (n.params or {}).get("day") == today.isoformat()}
    written = 0
    for department, division, role in sorted(groups):
        if (department, division, role) in written_today:
            continue
        prefix = divisions.significant_prefix(division)
        mine = [left for dept, provider, div, left in lefts
                if department in (dept, provider) and div.startswith(prefix)]
        counts = {
            "due_soon": sum(1 for x in mine if x is not None and 0 <= x <= YELLOW_WITHIN),
            "overdue": sum(1 for x in mine if x is not None and x < 0),
            "rectifications": 0, "rectifications_overdue": 0,
            "suggestions": 0, "suggestions_overdue": 0}
        if role != "service_provider":
            for kind, rows in (("rectifications", rects), ("suggestions", suggestions)):
                for dept, div, due in rows:
                    if dept == department and div.startswith(prefix):
                        counts[kind] += 1
                        counts[f"{kind}_overdue"] += today > due
        if not any(counts.values()):
            continue
        notify_officers(session, department=department, division_code=division, role=role,
                        template="officer_digest", params={"day": today.isoformat(), **counts})
        written += 1
    if written:
        access.record(AuditEvent(P.NOTICE_SEND, P.SERVICE_NOTICE, None, "officer_digest",
                                 today.isoformat(), {"written": written}))
    return written


def remind_expiring_permits(session: Session, actor: Actor, today: date) -> int:
    """Tell each holder once that their permit expires within `PERMIT_REMIND_DAYS` days."""
    access = Access(session, actor)
    access.allow(P.NOTICE_SEND)
    expiring = {p.permit_number: p for p in reads.permits_expiring(
        session, today, today + timedelta(days=PERMIT_REMIND_DAYS))}
    if not expiring:
        return 0
    told = {(n.person_code, (n.params or {}).get("permit_number")) for n in session.execute(
        select(Notification).where(Notification.template == "permit_expiring",
                                   Notification.person_code.in_(
                                       list({p.person_code for p in expiring.values()}))))
        .scalars()}
    events = []
    for number, permit in expiring.items():
        if (permit.person_code, number) in told:
            continue
        notice = notify(session, person_code=permit.person_code, template="permit_expiring",
                        params={"permit_number": number,
                                "valid_until": permit.valid_until.isoformat()})
        session.flush()
        events.append(_sent(notice, "queued"))
    access.record(*events)
    return len(events)


def flag_overdue_rectifications(session: Session, actor: Actor, today: date) -> int:
    """Tell the department's supervisors once when a rectification passes its deadline."""
    from anju.cases.service.ratings import overdue_rectifications

    access = Access(session, actor)
    access.allow(P.NOTICE_SEND)
    overdue = overdue_rectifications(session, today)
    if not overdue:
        return 0
    flagged = set(session.execute(select(Notification.case_id).where(
        Notification.template == "rectification_overdue",
        Notification.case_id.in_([r.case_id for r in overdue]))).scalars())
    written = 0
    for rect in overdue:
        if rect.case_id in flagged:
            continue
        case = session.get(Case, rect.case_id)
        notify_officers(session, department=rect.department, division_code=rect.division_code,
                        role="dept_supervisor", template="rectification_overdue",
                        case_id=rect.case_id, params={"service_code": case.service_code,
                                                      "due_date": rect.due_date.isoformat()})
        written += 1
    if written:
        access.record(AuditEvent(P.NOTICE_SEND, P.SERVICE_NOTICE, None, "rectification",
                                 today.isoformat(), {"overdue_flagged": written}))
    return written


# --- the jobs (declared in anju.cases.DOMAIN) ------------------------------------------------
def deliver(db: Database, actor: Actor, today: date | None = None) -> dict:
    totals = {"sent": 0, "failed": 0, "inbox_only": 0}
    while True:
        with db.unit_of_work() as session:
            done = deliver_pending(session, actor)
        for key in totals:
            totals[key] += done[key]
        if sum(done.values()) < 500:
            break
    with db.unit_of_work() as session:
        totals |= refresh_deliveries(session, actor)
    return totals


def daily(db: Database, actor: Actor, today: date | None = None) -> dict:
    """Permit reminders, overdue rectifications, officers' digests, then the persons' digests —
    each step in its own unit of work."""
    from anju.core import clock

    today = today or clock.today()
    with db.unit_of_work() as session:
        reminded = remind_expiring_permits(session, actor, today)
    with db.unit_of_work() as session:
        flagged = flag_overdue_rectifications(session, actor, today)
    with db.unit_of_work() as session:
        officers = officer_digests(session, actor, today)
    with db.unit_of_work() as session:
        digests = send_digests(session, actor)
    return {"permit_reminders": reminded, "rectifications_overdue": flagged,
            "officer_digests": officers, "person_digests": digests}
