"""Participation: residents' suggestions and complaints (意见建议) answered by the responsible
department within a deadline in working days, answered ones published without personal data;
and service providers outside government (legal-aid stations, social organisations, migrant
self-organisations), registered by the admin and assigned the cases of their kind, seeing only
those (their accounts carry the provider's code as their department).
"""
from __future__ import annotations

import re
from datetime import date

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from anju.cases import policy as P
from anju.cases.models import Case, CaseEvent, Provider, Suggestion
from anju.cases.rules import OPEN
from anju.cases.service.notices import DEPARTMENTS, notify, notify_officers
from anju.core import calendars, clock, divisions, identity
from anju.core.access import Access
from anju.core.audit import AuditEvent
from anju.core.db import utcnow
from anju.core.errors import Conflict, NotFound, ValidationError
from anju.core.policy import Actor, department_code, scopes_for
from anju.core.types import Timestamp
from anju.registry import reads

SUGGESTION_WORKING_DAYS = 10  # the county's answer deadline for a suggestion or complaint
KINDS = ("suggestion", "complaint")
PROVIDER_KINDS = ("legal_aid", "social_org", "migrant_org")
# what must never be published: a mobile number, an ID number, a person code
_PERSONAL = re.compile(r"1\d{10}|\d{17}[\dXx]|\bP[0-9A-HJKMNP-TV-Z]{11}\b")
_PROVIDER_CODE = re.compile(r"provider:[a-z0-9_]{2,23}")


class SuggestionOut(BaseModel):
    suggestion_id: int
    person_code: str
    kind: str
    department: str
    subject: str
    body: str
    created_at: Timestamp
    due_date: date
    due_provisional: bool
    overdue: bool
    answer: str | None = None
    answered_at: Timestamp | None = None
    published: bool


class PublishedOut(BaseModel):
    """What the public sees of an answered suggestion: no person, only the published text."""

    suggestion_id: int
    kind: str
    department: str
    text: str
    answered_at: Timestamp


class ProviderOut(BaseModel):
    code: str
    name: str
    kind: str
    division_code: str
    active: bool


def _text(value: str | None, field: str, most: int) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError("text_required", "请填写内容", "please write something", field=field)
    if len(value) > most:
        raise ValidationError("text_long", f"内容最多 {most} 字", f"at most {most} characters",
                              field=field)
    return value


# --- suggestions -----------------------------------------------------------------------------
def _overdue(row: Suggestion, today: date) -> bool:
    return row.answer is None and today > row.due_date


def _suggestion_out(row: Suggestion, today: date) -> SuggestionOut:
    return SuggestionOut(suggestion_id=row.id, person_code=row.person_code, kind=row.kind,
                         department=row.department, subject=row.subject, body=row.body,
                         created_at=row.created_at, due_date=row.due_date,
                         due_provisional=row.due_provisional, overdue=_overdue(row, today),
                         answer=row.answer, answered_at=row.answered_at, published=row.published)


def submit_suggestion(session: Session, actor: Actor, *, kind: str, department: str,
                      subject: str, body: str) -> SuggestionOut:
    """A resident sends a suggestion or complaint to a department; its officers of the
    resident's area are told, with the answer deadline."""
    if kind not in KINDS:
        raise ValidationError("kind_unknown", "请选择意见建议或投诉", "choose suggestion or complaint",
                              field="kind")
    department = department_code(department) or ""
    if department not in DEPARTMENTS:
        raise ValidationError("department_unknown", "请选择负责的部门", "choose a department",
                              field="department")
    subject, body = _text(subject, "subject", 100), _text(body, "body", 2000)
    access = Access(session, actor)
    person = actor.person_code
    place = reads.person_place(session, person) if person else None
    access.allow(P.SUGGESTION_CREATE)
    if place is None:  # an account with no person behind it has no one to answer
        raise NotFound("not_found", "人员不存在", "person not found", field="person_code")
    access.touch(P.SUGGESTION_CREATE, person_code=person, kind="suggestion", object_id=None,
                 what="人员", purpose=P.PARTICIPATION, own=True,
                 division_code=place.division_code)
    due = calendars.current(session).add(clock.today(), SUGGESTION_WORKING_DAYS)
    row = Suggestion(person_code=person, division_code=place.division_code, kind=kind,
                     department=department, subject=subject, body=body, due_date=due.value,
                     due_provisional=due.provisional)
    session.add(row)
    session.flush()
    notify_officers(session, department=department, division_code=row.division_code,
                    role="dept_officer", template="suggestion_received",
                    params={"subject": subject, "due_date": due.value.isoformat()})
    return _suggestion_out(row, clock.today())


def list_suggestions(session: Session, actor: Actor, unanswered: bool = False) -> list:
    """A resident's own, or the department's in the officer's jurisdiction (due first)."""
    query = select(Suggestion)
    if unanswered:
        query = query.where(Suggestion.answer.is_(None))
    access = Access(session, actor)
    rows = list(session.execute(query.where(access.restrict_model(P.SUGGESTION_READ, Suggestion))
                                .order_by(Suggestion.due_date, Suggestion.id)).scalars())
    # each one read about someone else is recorded, under the participation purpose (a
    # supervisor reads no person's record otherwise)
    access.record(*(AuditEvent(P.SUGGESTION_READ, P.PARTICIPATION, r.person_code, "suggestion",
                               str(r.id), {"listing": True})
                    for r in rows if r.person_code != actor.person_code))
    today = clock.today()
    return [_suggestion_out(r, today) for r in rows]


def answer_suggestion(session: Session, actor: Actor, suggestion_id: int,
                      answer: str) -> SuggestionOut:
    answer = _text(answer, "answer", 2000)
    access = Access(session, actor)
    row = access.load(P.SUGGESTION_ANSWER, Suggestion, Suggestion.id == suggestion_id,
                      what="意见建议", lock=True, purpose=P.PARTICIPATION)
    if row.answer is not None:
        raise Conflict("already_answered", "该意见建议已答复", "this suggestion was answered",
                       field="answer")
    row.answer, row.answered_by, row.answered_at = answer, actor.username, utcnow()
    notify(session, person_code=row.person_code, template="suggestion_answered",
           params={"subject": row.subject, "department": row.department, "answer": answer[:200]})
    return _suggestion_out(row, clock.today())


def publish_suggestion(session: Session, actor: Actor, suggestion_id: int,
                       text: str) -> SuggestionOut:
    """Publish an answered suggestion as the officer rewrote it: a text naming no one (the
    writer's name, numbers that look like a phone, ID number or person code are refused)."""
    text = _text(text, "text", 2000)
    access = Access(session, actor)
    row = access.load(P.SUGGESTION_ANSWER, Suggestion, Suggestion.id == suggestion_id,
                      what="意见建议", lock=True, purpose=P.PARTICIPATION)
    if row.answer is None:
        raise Conflict("not_answered", "答复后才能公开", "answer it before publishing",
                       field="text")
    name = reads.person_names(session, [row.person_code]).get(row.person_code)
    if _PERSONAL.search(text) or (name and name in text):
        raise ValidationError("personal_data", "公开内容不得含有姓名、电话、身份证号等个人信息",
                              "a published text may not name the person or hold their phone, "
                              "ID number or person code", field="text")
    row.published, row.published_text = True, text
    return _suggestion_out(row, clock.today())


def published_suggestions(session: Session, limit: int = 50) -> list[PublishedOut]:
    """The published answers, newest first: public, nothing personal in them."""
    rows = session.execute(select(Suggestion).where(Suggestion.published.is_(True))
                           .order_by(Suggestion.answered_at.desc()).limit(limit)).scalars()
    return [PublishedOut(suggestion_id=r.id, kind=r.kind, department=r.department,
                         text=r.published_text or "", answered_at=r.answered_at) for r in rows]


def overdue_suggestions(session: Session, today: date) -> list[Suggestion]:
    return list(session.execute(select(Suggestion).where(
        Suggestion.answer.is_(None), Suggestion.due_date < today)).scalars())


# --- service providers -----------------------------------------------------------------------
def _provider_out(row: Provider) -> ProviderOut:
    return ProviderOut(code=row.code, name=row.name, kind=row.kind,
                       division_code=row.division_code, active=row.active)


def register_provider(session: Session, actor: Actor, *, code: str, name: str, kind: str,
                      division_code: str) -> ProviderOut:
    """The admin registers a provider; `code` is "provider:<letters, digits, _>"."""
    Access(session, actor).allow(P.PROVIDER_MANAGE)
    code = (code or "").strip()
    if not code.startswith("provider:"):
        code = f"provider:{code}"
    if not _PROVIDER_CODE.fullmatch(code):
        raise ValidationError("provider_code", "机构编码为 2–23 位小写字母、数字或下划线",
                              "a provider code is 2-23 lower-case letters, digits or '_'",
                              field="code")
    if kind not in PROVIDER_KINDS:
        raise ValidationError("provider_kind", "请选择机构类型", "choose the kind of provider",
                              field="kind")
    name = _text(name, "name", 100)
    division = divisions.canonical(division_code) if division_code else None
    if not division:
        raise ValidationError("division_unknown", "请选择服务区域", "choose the area served",
                              field="division_code")
    if session.execute(select(Provider.id).where(Provider.code == code)).first():
        raise Conflict("provider_exists", "该机构编码已登记", "this provider code is taken",
                       field="code")
    row = Provider(code=code, name=name, kind=kind, division_code=division, active=True)
    session.add(row)
    session.flush()
    Access(session, actor).record(AuditEvent(P.PROVIDER_MANAGE, P.CASE_HANDLING, None,
                                             "provider", code, {"registered": name}))
    return _provider_out(row)


def list_providers(session: Session, actor: Actor) -> list[ProviderOut]:
    """Every provider: the admin manages them; officers choose among them when assigning."""
    access = Access(session, actor)
    query = select(Provider).order_by(Provider.code)
    if not scopes_for(actor.role, P.PROVIDER_MANAGE):  # an officer chooses among active ones
        access.allow(P.CASE_ASSIGN)
        query = query.where(Provider.active.is_(True))
    return [_provider_out(r) for r in session.execute(query).scalars()]


def set_provider_active(session: Session, actor: Actor, code: str, active: bool) -> ProviderOut:
    access = Access(session, actor)
    access.allow(P.PROVIDER_MANAGE)
    row = session.execute(select(Provider).where(Provider.code == code)).scalar()
    if row is None:
        raise ValidationError("provider_unknown", "没有该服务机构", "no such provider", field="code")
    row.active = bool(active)
    access.record(AuditEvent(P.PROVIDER_MANAGE, P.CASE_HANDLING, None, "provider", code,
                             {"active": row.active}))
    return _provider_out(row)


def create_provider_account(session: Session, actor: Actor, code: str, username: str,
                            password: str) -> str:
    """An account for a registered provider's staff (the admin's), bound to the provider."""
    Access(session, actor).allow(P.PROVIDER_MANAGE)
    row = session.execute(select(Provider).where(Provider.code == code)).scalar()
    if row is None or not row.active:
        raise ValidationError("provider_unknown", "没有该服务机构", "no such provider", field="code")
    account = identity.create_account(session, username=username, password=password,
                                      role="service_provider", division=row.division_code,
                                      department=row.code, by=actor)
    return account.username


def assign_to_provider(session: Session, actor: Actor, case_id: int,
                       provider_code: str) -> dict:
    """An officer of the case's department assigns an open case to an active provider of a kind
    the service allows, serving the applicant's area; the provider's staff are told."""
    from anju.cases import catalogue

    access = Access(session, actor)
    case = access.load(P.CASE_ASSIGN, Case, Case.id == case_id, what="办件", lock=True,
                       purpose=P.CASE_HANDLING)
    if case.status not in OPEN:
        raise Conflict("case_closed", "办件已办结，不能指派", "the case is closed", field="status")
    provider = session.execute(select(Provider).where(Provider.code == provider_code,
                                                      Provider.active.is_(True))).scalar()
    service = catalogue.load().get(case.service_code)
    if provider is None or service is None or provider.kind not in service.provider_kinds or \
            not case.division_code.startswith(divisions.significant_prefix(provider.division_code)):
        raise ValidationError("provider_unsuitable", "该服务机构不能承办此类办件或不服务该地区",
                              "this provider does not take such cases in this area",
                              field="provider_code")
    case.provider_code = provider.code
    session.add(CaseEvent(case_id=case.id, action="assign", status=case.status,
                          by_username=actor.username, by_role=actor.role.value,
                          department=actor.department, detail={"provider": provider.code}))
    notify_officers(session, department=provider.code, division_code=case.division_code,
                    role="service_provider", template="case_assigned", case_id=case.id,
                    params={"service_code": case.service_code})
    return {"case_id": case.id, "provider_code": provider.code, "provider_name": provider.name}


# --- the demo county's providers (anju.demo.build calls this) ---------------------------------
DEMO_PROVIDERS = (("legal_aid_1", "长兴县法律援助工作站（演示）", "legal_aid"),
                  ("new_citizens", "新长兴人互助会（演示）", "migrant_org"))


def demo_providers(session: Session, admin: Actor, county: str) -> int:
    """Register the demo's providers (no accounts: the admin opens those on the page)."""
    for code, name, kind in DEMO_PROVIDERS:
        register_provider(session, admin, code=code, name=name, kind=kind, division_code=county)
    return len(DEMO_PROVIDERS)
