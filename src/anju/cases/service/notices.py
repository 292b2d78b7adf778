"""Notices: every case event that concerns a person lands in their inbox (and, through the
outbound channel, as a text message); officers' notices (due soon, escalations, rectifications,
suggestions, the daily digest) land in the inbox of the department's officers of the
jurisdiction.

`notify` and `notify_officers` are what the other case modules call; the other modules name one
of the `TEMPLATES` below. A person's notice is delivered by the outbox pattern: `notify` only
writes the row (so a rolled-back use case sends nothing), and the `cases.notices` job sends
what is pending (`deliver_pending`). Delivery states:

- `pending`: an essential notice, or a non-essential one the person lets through, waiting for
  the channel; `sent` / `failed` once the channel answered;
- `digest`: a non-urgent notice waiting for the person's one daily digest (`digested` once in
  it: at most one digest a day, `anju.cases.service.digest`);
- `off`: non-essential and the person switched such notices off (still in the inbox, never sent);
- `inbox`: an officers' notice (in-app only: officers' accounts have no phone number).

An essential notice (a decision, a supplement request, acceptance) is never suppressed.
"""
from __future__ import annotations

import string
from dataclasses import dataclass

from pydantic import BaseModel
from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from anju.cases import policy as P
from anju.cases.models import NoticePreference, Notification
from anju.core.access import Access
from anju.core.audit import AuditEvent
from anju.core.db import utcnow
from anju.core.errors import ValidationError
from anju.core.paging import MAX_LIMIT, Page
from anju.core.policy import Actor, Role, department_code
from anju.core.types import Timestamp


@dataclass(frozen=True)
class Template:
    zh: str
    en: str
    essential: bool = True  # a person's notice: never suppressed by their preference
    officers: bool = False  # addressed to a department's officers, not to a person


# Parameters: {service} and {department} are filled from `service_code` / `department` codes;
# {score} from a rating's score; the rest as given. A missing parameter reads as empty.
TEMPLATES: dict[str, Template] = {
    # to the applicant
    "case_submitted": Template("您的“{service}”已提交（办件号 {case_id}），请等待受理。",
                               "Your “{service}” was submitted (case {case_id}); "
                               "it waits to be accepted.", essential=False),
    "case_accepted": Template("您的“{service}”已受理（办件号 {case_id}），承诺 {due_date} 前办结。",
                              "Your “{service}” (case {case_id}) was accepted; "
                              "it will be decided by {due_date}."),
    "case_not_accepted": Template("您的“{service}”不予受理（办件号 {case_id}），理由：{reason}",
                                  "Your “{service}” (case {case_id}) was not "
                                  "accepted: {reason}"),
    "supplement_requested": Template(
        "您的“{service}”（办件号 {case_id}）需要补正：{reason}。补正期间办理时限暂停。",
        "Your “{service}” (case {case_id}) needs a supplement: {reason}. The "
        "time limit stops until you answer."),
    "case_approved": Template("您的“{service}”（办件号 {case_id}）已办结：准予。欢迎评价本次服务。",
                              "Your “{service}” (case {case_id}) was approved. "
                              "Please rate the service."),
    "case_rejected": Template("您的“{service}”（办件号 {case_id}）已办结：不予批准，理由：{reason}",
                              "Your “{service}” (case {case_id}) was rejected: "
                              "{reason}"),
    "case_transferred": Template("您的“{service}”（办件号 {case_id}）已转交{department}办理。",
                                 "Your “{service}” (case {case_id}) was passed "
                                 "to the {department}.", essential=False),
    "case_withdrawn": Template("您的“{service}”（办件号 {case_id}）已撤回。",
                               "Your “{service}” (case {case_id}) was withdrawn.",
                               essential=False),
    "permit_expiring": Template("您的居住证（{permit_number}）将于 {valid_until} 到期，请及时申请签注。",
                                "Your residence permit ({permit_number}) expires on "
                                "{valid_until}; please apply for its endorsement in time."),
    "rectification_answered": Template(
        "您对“{service}”（办件号 {case_id}）的评价，{department}已整改答复：{answer}",
        "The {department} answered your rating of {service} (case {case_id}): {answer}",
        essential=False),
    "suggestion_answered": Template("您提出的“{subject}”已由{department}答复：{answer}",
                                    "The {department} answered your “{subject}”: {answer}"),
    "eligible": Template("根据您登记的情况，您可能符合“{service}”的条件：{why_zh}。可在“办事服务”中申请。",
                         "From what you have registered, you may be entitled to “{service}”: "
                         "{why_en}. You can apply under Services.", essential=False),
    "school_placement": Template("您为孩子申请的入学分配结果已公布（办件号 {case_id}），请查看分配结果及说明。",
                                 "The school placement for your child is published (case "
                                 "{case_id}); see the result and why."),
    # to a department's officers (or supervisors, or a provider) of a jurisdiction
    "case_due_soon": Template("“{service}”办件 {case_id} 剩余 {days} 个工作日到期（{due_date}）。",
                              "{service} case {case_id} is due in {days} working days "
                              "({due_date}).", officers=True),
    "case_overdue": Template("“{service}”办件 {case_id} 已超过办结时限（{due_date}），已提请督办。",
                             "{service} case {case_id} is overdue (due {due_date}) and was "
                             "escalated.", officers=True),
    "officer_case_submitted": Template("新办件：“{service}”（办件号 {case_id}），请受理。",
                                       "New case: {service} (case {case_id}) awaits "
                                       "acceptance.", officers=True),
    "officer_case_supplied": Template("“{service}”办件 {case_id} 的申请人已补正材料，时限恢复计算。",
                                      "The applicant of {service} case {case_id} supplied what "
                                      "was asked; the clock runs again.", officers=True),
    "officer_case_withdrawn": Template("“{service}”办件 {case_id} 已由申请人撤回。",
                                       "{service} case {case_id} was withdrawn by the "
                                       "applicant.", officers=True),
    "officer_case_transferred": Template("“{service}”办件 {case_id} 已转交本部门办理。",
                                         "{service} case {case_id} was passed to your "
                                         "department.", officers=True),
    "case_assigned": Template("“{service}”办件 {case_id} 已指派给本机构办理。",
                              "{service} case {case_id} was assigned to you.", officers=True),
    "rectification_opened": Template(
        "“{service}”办件 {case_id} 收到“{score}”评价，请于 {due_date} 前完成整改并答复。",
        "{service} case {case_id} was rated “{score}”; rectify and answer by {due_date}.",
        officers=True),
    "rectification_to_follow": Template(
        "“{service}”办件 {case_id} 的整改已答复，请督办跟进。",
        "The rectification of {service} case {case_id} was answered; please follow it up.",
        officers=True),
    "rectification_returned": Template(
        "“{service}”办件 {case_id} 的整改答复被退回：{note}",
        "The rectification answer for {service} case {case_id} was sent back: {note}",
        officers=True),
    "rectification_overdue": Template(
        "“{service}”办件 {case_id} 的整改已超过期限（{due_date}）仍未答复。",
        "The rectification of {service} case {case_id} is past its deadline ({due_date}) "
        "without an answer.", officers=True),
    "suggestion_received": Template("收到新的意见建议“{subject}”，请于 {due_date} 前答复。",
                                    "A new suggestion, “{subject}”, awaits your answer by "
                                    "{due_date}.", officers=True),
    "officer_digest": Template(
        "今日待办：办件临近到期 {due_soon} 件、逾期 {overdue} 件；整改待办 {rectifications} 项"
        "（逾期 {rectifications_overdue} 项）；意见建议待答复 {suggestions} 条（逾期 "
        "{suggestions_overdue} 条）。",
        "Today: {due_soon} cases due soon, {overdue} overdue; {rectifications} rectifications "
        "open ({rectifications_overdue} overdue); {suggestions} suggestions to answer "
        "({suggestions_overdue} overdue).", officers=True),
}
GENERIC = Template("您有一条新的办事消息（办件号 {case_id}）。",
                   "You have a new notice about case {case_id}.")
DIGEST_ZH = "您有 {n} 条新消息："  # a daily digest text message (in Chinese, as all texts)

# Names the texts fill in (the pages have theirs in anju.cases.words).
DEPARTMENTS = {
    "gongan": ("公安局", "public security bureau"),
    "renshe": ("人力资源和社会保障局", "human resources and social security bureau"),
    "yibao": ("医疗保障局", "healthcare security bureau"),
    "jiaoyu": ("教育局", "education bureau"),
    "minzheng": ("民政局", "civil affairs bureau"),
    "zhujian": ("住房和城乡建设局", "housing and urban-rural development bureau"),
    "weijian": ("卫生健康局", "health commission"),
    "shichang": ("市场监督管理局", "market regulation bureau"),
    "sifa": ("司法局", "justice bureau"),
}


def department_name(code: str | None, lang: str = "zh") -> str:
    names = DEPARTMENTS.get(department_code(code) or "")
    if names:
        return names[0 if lang == "zh" else 1]
    return code or ""


def _service_name(code: str | None, lang: str) -> str:
    from anju.cases import catalogue

    service = catalogue.load().get(code or "")
    if service is None:
        return code or ""
    return service.name.zh if lang == "zh" else service.name.en


class _Blank(dict):
    def __missing__(self, key: str) -> str:
        return ""


def render(template: str, params: dict | None, lang: str = "zh", case_id: int | None = None) -> str:
    """A notice's text in `lang` ("zh" or "en")."""
    from anju.cases.rules import RATING_WORDS

    found = TEMPLATES.get(template, GENERIC)
    values = _Blank({k: v for k, v in (params or {}).items() if v is not None})
    values.setdefault("case_id", case_id or "")
    # callers pass the service's code as `service_code` or `service`: people read its name
    if code := values.get("service_code", values.get("service")):
        values["service"] = _service_name(str(code), lang)
    if "department" in values:
        values["department"] = department_name(values["department"], lang)
    if "score" in values and values["score"] in RATING_WORDS:
        values["score"] = RATING_WORDS[values["score"]][0 if lang == "zh" else 1]
    text = found.zh if lang == "zh" else found.en
    return string.Formatter().vformat(text, (), values)


# --- the seams the other case modules call ----------------------------------------------------
def _wants_non_essential(session: Session, person_code: str) -> bool:
    preference = session.get(NoticePreference, person_code)
    return preference is None or preference.non_essential


def _declared(template: str, *, officers: bool) -> None:
    """A notice names a declared template for its audience: a misspelt or misdirected name is a
    defect the tests of its use case catch, not a generic text someone receives."""
    found = TEMPLATES.get(template)
    if found is None or found.officers != officers:
        raise LookupError(f"notice template {template!r} is not declared for "
                          f"{'officers' if officers else 'persons'}")


def notify(session: Session, *, person_code: str, template: str, case_id: int | None = None,
           params: dict | None = None, essential: bool = True) -> Notification:
    """Put a notice in a person's inbox (the caller's use case is already audited) and queue its
    delivery: essential ones always; a non-essential one for the person's daily digest unless
    they switched those off. `essential=False` is heeded only for a template not declared
    essential."""
    _declared(template, officers=False)
    # a template declared essential (a decision, a supplement request) stays so whatever the
    # caller says: no preference may hold it back
    essential = essential or TEMPLATES.get(template, GENERIC).essential
    if essential:
        delivery = "pending"
    else:
        delivery = "digest" if _wants_non_essential(session, person_code) else "off"
    notice = Notification(person_code=person_code, template=template, case_id=case_id,
                          params=params or {}, essential=essential, delivery=delivery)
    session.add(notice)
    return notice


def notify_officers(session: Session, *, department: str, division_code: str, role: str,
                    template: str, case_id: int | None = None,
                    params: dict | None = None) -> Notification:
    """Put a notice on the home page of a department's officers (or supervisors: `role`) whose
    jurisdiction holds `division_code`."""
    _declared(template, officers=True)
    notice = Notification(department=department, division_code=division_code, role=role,
                          template=template, case_id=case_id, params=params or {},
                          essential=True, delivery="inbox")
    session.add(notice)
    return notice


# --- the inbox -------------------------------------------------------------------------------
class NoticeOut(BaseModel):
    notice_id: int
    template: str
    text_zh: str
    text_en: str
    case_id: int | None = None
    essential: bool
    created_at: Timestamp
    read_at: Timestamp | None = None
    delivery: str


class PreferenceOut(BaseModel):
    person_code: str
    non_essential: bool


def _out(notice: Notification) -> NoticeOut:
    return NoticeOut(notice_id=notice.id, template=notice.template,
                     text_zh=render(notice.template, notice.params, "zh", notice.case_id),
                     text_en=render(notice.template, notice.params, "en", notice.case_id),
                     case_id=notice.case_id, essential=notice.essential,
                     created_at=notice.created_at, read_at=notice.read_at,
                     delivery=notice.delivery)


def _addressed(access: Access):
    """The notices addressed to the actor: their own (a person), or their department's in their
    jurisdiction for their role (officers, supervisors, providers)."""
    actor = access.actor
    where = access.restrict_model(P.NOTICE_READ, Notification)
    if actor.role in (Role.RESIDENT, Role.LANDLORD):
        return where & Notification.person_code.is_not(None)
    return where & Notification.person_code.is_(None) & or_(
        Notification.role == actor.role.value, Notification.role.is_(None))


def inbox(session: Session, actor: Actor, *, unread: bool = False, offset: int = 0,
          limit: int = 50) -> Page:
    """One page of the actor's inbox, newest first (`unread`: only those not yet read)."""
    if offset < 0 or not 1 <= limit <= MAX_LIMIT:
        raise ValidationError("paging", f"分页参数无效：每页 1–{MAX_LIMIT} 条",
                              f"bad paging: 1-{MAX_LIMIT} per page", field="limit")
    access = Access(session, actor)
    where = _addressed(access)
    if unread:
        where = where & Notification.read_at.is_(None)
    total = session.execute(select(func.count()).select_from(Notification).where(where)).scalar()
    rows = access.select(P.NOTICE_READ, select(Notification).where(where).order_by(
        Notification.created_at.desc(), Notification.id.desc()).offset(offset).limit(limit))
    return Page([_out(n) for n in rows], total=total or 0, offset=offset, limit=limit)


def unread_count(session: Session, actor: Actor) -> int:
    """How many notices wait unread (the menu's badge; counts only, nothing personal)."""
    where = _addressed(Access(session, actor)) & Notification.read_at.is_(None)
    return session.execute(select(func.count()).select_from(Notification).where(where)).scalar()


def mark_read(session: Session, actor: Actor, notice_id: int) -> NoticeOut:
    access = Access(session, actor)
    notice = access.load(P.NOTICE_READ, Notification, Notification.id == notice_id,
                         _addressed(access), what="消息", purpose=P.SERVICE_NOTICE)
    if notice.read_at is None:
        notice.read_at = utcnow()
    return _out(notice)


def mark_all_read(session: Session, actor: Actor) -> int:
    """Mark every unread notice of the actor's read; how many were."""
    access = Access(session, actor)
    where = _addressed(access) & Notification.read_at.is_(None)
    ids = list(session.execute(select(Notification.id).where(where)).scalars())
    if ids:
        session.execute(update(Notification).where(Notification.id.in_(ids))
                        .values(read_at=utcnow()))
        access.record(AuditEvent(P.NOTICE_READ, P.SERVICE_NOTICE, actor.person_code,
                                 "notification", None, {"marked_read": len(ids)}))
    return len(ids)


# --- preferences -----------------------------------------------------------------------------
def _own_person(access: Access, action) -> str:
    person = access.actor.person_code
    access.touch(action, person_code=person, kind="notice_preference", object_id=person,
                 what="消息设置", purpose=P.SERVICE_NOTICE, own=True)
    return person  # type: ignore[return-value]


def preference(session: Session, actor: Actor) -> PreferenceOut:
    person = _own_person(Access(session, actor), P.NOTICE_PREFERENCES)
    return PreferenceOut(person_code=person, non_essential=_wants_non_essential(session, person))


def set_preference(session: Session, actor: Actor, non_essential: bool) -> PreferenceOut:
    """Switch non-essential notices on or off (essential ones always arrive). Switching off
    also holds back those still waiting for the digest."""
    person = _own_person(Access(session, actor), P.NOTICE_PREFERENCES)
    row = session.get(NoticePreference, person)
    if row is None:
        row = NoticePreference(person_code=person)
        session.add(row)
    row.non_essential = bool(non_essential)
    if not non_essential:  # switching back on does not send what arrived while off
        session.execute(update(Notification).where(
            Notification.person_code == person, Notification.essential.is_(False),
            Notification.delivery == "digest").values(delivery="off"))
    return PreferenceOut(person_code=person, non_essential=row.non_essential)
