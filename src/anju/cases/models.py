"""Public-service tables: cases and their timeline, parallel approvals and pulled evidence;
notices and preferences; ratings and rectification; suggestions; service providers."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from anju.core.access import Reach
from anju.core.db import Base, utcnow


class Provider(Base):
    """A service provider outside government (legal-aid station, social organisation, migrant
    self-organisation). Its accounts carry its `code` as their department; it sees only the
    cases assigned to it."""

    __tablename__ = "service_providers"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)  # "provider:legal_aid_1"
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(32))  # legal_aid | social_org | migrant_org
    division_code: Mapped[str] = mapped_column(String(12))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Case(Base):
    """One application for one service by (or for) one person, opened once at any window."""

    __tablename__ = "cases"
    __reach__ = Reach(kind="case", division="division_code", person="person_code",
                      department=("department", "provider_code"))

    id: Mapped[int] = mapped_column(primary_key=True)
    service_code: Mapped[str] = mapped_column(String(40), index=True)
    person_code: Mapped[str] = mapped_column(ForeignKey("persons.person_code"), index=True)
    # where the applicant lived for access purposes when the case was opened: the officers of
    # that jurisdiction handle it
    division_code: Mapped[str] = mapped_column(String(12), index=True)
    department: Mapped[str] = mapped_column(String(32), index=True)  # now handling it
    provider_code: Mapped[str | None] = mapped_column(String(32), index=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    channel: Mapped[str] = mapped_column(String(8))  # online | window
    opened_by: Mapped[str] = mapped_column(String(64))
    consent: Mapped[dict | None] = mapped_column(JSON)  # at a window: how the person consented
    form: Mapped[dict] = mapped_column(JSON)
    submitted_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    accepted_on: Mapped[date | None] = mapped_column(Date)
    due_date: Mapped[date | None] = mapped_column(Date, index=True)
    due_provisional: Mapped[bool] = mapped_column(Boolean, default=False)
    paused_working_days: Mapped[int] = mapped_column(Integer, default=0)
    paused_since: Mapped[date | None] = mapped_column(Date)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)
    decision_reason: Mapped[str | None] = mapped_column(Text)
    escalated_at: Mapped[datetime | None] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)

    __table_args__ = (Index("ix_cases_department_status_due", "department", "status",
                            "due_date"),)


class CaseEvent(Base):
    """The case's timeline: every transition, who did it (role and department), when."""

    __tablename__ = "case_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    action: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(16))  # the state after it
    by_username: Mapped[str] = mapped_column(String(64))
    by_role: Mapped[str] = mapped_column(String(32))
    department: Mapped[str | None] = mapped_column(String(32))
    detail: Mapped[dict | None] = mapped_column(JSON)  # reason, target department, …


class CaseApproval(Base):
    """One department's approval of one step (several departments of a step approve in
    parallel: 并联审批)."""

    __tablename__ = "case_approvals"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    step: Mapped[str] = mapped_column(String(40))
    department: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default="pending")  # approved | rejected
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)
    reason: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (UniqueConstraint("case_id", "step", "department",
                                       name="uq_case_approvals_case_step_dept"),)


class CaseEvidence(Base):
    """One evidence item of a case: pulled (its source and date) or supplied by the applicant.
    `value` keeps only what the case's purpose needs to show (never an ID number)."""

    __tablename__ = "case_evidence"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    item: Mapped[str] = mapped_column(String(40))
    source: Mapped[str] = mapped_column(String(40))  # registry | exchange:renshe | upload
    obtained_on: Mapped[date | None] = mapped_column(Date)
    supplied_by_applicant: Mapped[bool] = mapped_column(Boolean, default=False)
    value: Mapped[dict | None] = mapped_column(JSON)
    document: Mapped[str | None] = mapped_column(String(200))  # an upload's stored name

    __table_args__ = (UniqueConstraint("case_id", "item", name="uq_case_evidence_case_item"),)


class Notification(Base):
    """A notice in an inbox, and its delivery through the outbound channel. Addressed to a
    person (a resident's inbox), or to the officers of a department in a jurisdiction (their
    home page: due soon, escalations), never to both."""

    __tablename__ = "notifications"
    __reach__ = Reach(kind="notification", person="person_code", division="division_code",
                      department="department")

    id: Mapped[int] = mapped_column(primary_key=True)
    person_code: Mapped[str | None] = mapped_column(ForeignKey("persons.person_code"), index=True)
    department: Mapped[str | None] = mapped_column(String(32), index=True)  # officers' notice
    division_code: Mapped[str | None] = mapped_column(String(12))
    role: Mapped[str | None] = mapped_column(String(32))  # officers' notice: which role
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    template: Mapped[str] = mapped_column(String(40))
    essential: Mapped[bool] = mapped_column(Boolean, default=True)
    params: Mapped[dict | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    read_at: Mapped[datetime | None] = mapped_column(DateTime)
    # outbound: pending | sent | failed | digest (waits for the daily digest) | off (opted out)
    delivery: Mapped[str] = mapped_column(String(12), default="pending")
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime)


class NoticePreference(Base):
    __tablename__ = "notice_preferences"

    person_code: Mapped[str] = mapped_column(ForeignKey("persons.person_code"), primary_key=True)
    non_essential: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class Rating(Base):
    """好差评: the applicant's rating of a decided case on the national five-level scale."""

    __tablename__ = "case_ratings"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), unique=True)
    person_code: Mapped[str] = mapped_column(ForeignKey("persons.person_code"), index=True)
    service_code: Mapped[str] = mapped_column(String(40))
    department: Mapped[str] = mapped_column(String(32), index=True)
    window: Mapped[str | None] = mapped_column(String(64))  # the clerk's window, if opened there
    score: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Rectification(Base):
    """整改: a department's task after a 不满意/非常不满意 rating, with its own deadline."""

    __tablename__ = "rectifications"
    __reach__ = Reach(kind="rectification", division="division_code", department="department")

    id: Mapped[int] = mapped_column(primary_key=True)
    rating_id: Mapped[int] = mapped_column(ForeignKey("case_ratings.id"), unique=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    department: Mapped[str] = mapped_column(String(32), index=True)
    division_code: Mapped[str] = mapped_column(String(12))
    due_date: Mapped[date] = mapped_column(Date)
    due_provisional: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(12), default="open")  # open | done
    answer: Mapped[str | None] = mapped_column(Text)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)


class Suggestion(Base):
    """意见建议: a resident's suggestion or complaint to the county, answered by the responsible
    department within a deadline; an answered one may be published without personal data."""

    __tablename__ = "suggestions"
    __reach__ = Reach(kind="suggestion", division="division_code", person="person_code",
                      department="department")

    id: Mapped[int] = mapped_column(primary_key=True)
    person_code: Mapped[str] = mapped_column(ForeignKey("persons.person_code"), index=True)
    division_code: Mapped[str] = mapped_column(String(12))
    kind: Mapped[str] = mapped_column(String(12))  # suggestion | complaint
    department: Mapped[str] = mapped_column(String(32), index=True)
    subject: Mapped[str] = mapped_column(String(100))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    due_date: Mapped[date] = mapped_column(Date)
    due_provisional: Mapped[bool] = mapped_column(Boolean, default=False)
    answer: Mapped[str | None] = mapped_column(Text)
    answered_by: Mapped[str | None] = mapped_column(String(64))
    answered_at: Mapped[datetime | None] = mapped_column(DateTime)
    published: Mapped[bool] = mapped_column(Boolean, default=False)
    published_text: Mapped[str | None] = mapped_column(Text)  # without personal data
