"""Tables of points, school places and proactive eligibility: recorded evidence for indicators,
stored points results (never rewritten: a new computation is a new row), appeals of a point,
allocation runs and their placements, the nightly eligibility snapshot and the notices sent."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from anju.core.access import Reach
from anju.core.db import Base, utcnow


class PointsEvidence(Base):
    """One fact recorded for the points (an upload an officer checked, a department's letter):
    the latest obtained by the date asked is the one that counts."""

    __tablename__ = "points_evidence"
    __reach__ = Reach(kind="points_evidence", division="division_code", person="person_code")

    id: Mapped[int] = mapped_column(primary_key=True)
    person_code: Mapped[str] = mapped_column(ForeignKey("persons.person_code"), index=True)
    division_code: Mapped[str] = mapped_column(String(12))
    fact: Mapped[str] = mapped_column(String(40))
    value: Mapped[dict] = mapped_column(JSON)  # {"v": value}
    source: Mapped[str] = mapped_column(String(40))  # upload | exchange:renshe | gongan
    obtained_on: Mapped[date] = mapped_column(Date)
    recorded_by: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class PointsResult(Base):
    """A person's points on a date under one scheme version, as computed then. Kept as it was:
    a scheme change or an appeal adds a row, never rewrites one."""

    __tablename__ = "points_results"
    __reach__ = Reach(kind="points_result", division="division_code", person="person_code")

    id: Mapped[int] = mapped_column(primary_key=True)
    person_code: Mapped[str] = mapped_column(ForeignKey("persons.person_code"), index=True)
    division_code: Mapped[str] = mapped_column(String(12))
    scheme_code: Mapped[str] = mapped_column(String(40))
    scheme_version: Mapped[str] = mapped_column(String(20))
    on_date: Mapped[date] = mapped_column(Date)
    total: Mapped[int] = mapped_column(Integer)
    vetoed: Mapped[bool] = mapped_column(Boolean, default=False)
    items: Mapped[list] = mapped_column(JSON)
    digest: Mapped[str] = mapped_column(String(64))  # of the facts and the scheme version
    reason: Mapped[str] = mapped_column(String(16), default="asked")  # asked | appeal
    appeal_id: Mapped[int | None] = mapped_column(Integer)
    computed_by: Mapped[str] = mapped_column(String(64))
    computed_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("person_code", "scheme_version", "on_date", "digest",
                                       name="uq_points_results_same"),)


class PointsAppeal(Base):
    """A resident's appeal of one indicator of a result; it opens a case for the points office."""

    __tablename__ = "points_appeals"
    __reach__ = Reach(kind="points_appeal", division="division_code", person="person_code")

    id: Mapped[int] = mapped_column(primary_key=True)
    result_id: Mapped[int] = mapped_column(ForeignKey("points_results.id"))
    person_code: Mapped[str] = mapped_column(ForeignKey("persons.person_code"), index=True)
    division_code: Mapped[str] = mapped_column(String(12))
    indicator: Mapped[str] = mapped_column(String(40))
    reason: Mapped[str] = mapped_column(Text)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    status: Mapped[str] = mapped_column(String(12), default="open")  # open | reopened
    new_result_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class SchoolRun(Base):
    """One year's allocation: its lottery seed published first, then run once from the
    school-enrollment cases; the inputs' digest lets anyone check the run."""

    __tablename__ = "school_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer, unique=True)
    seed: Mapped[int] = mapped_column(Integer)
    schools_version: Mapped[str] = mapped_column(String(20))
    published_by: Mapped[str] = mapped_column(String(64))
    published_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    status: Mapped[str] = mapped_column(String(12), default="published")  # published | allocated
    inputs: Mapped[list | None] = mapped_column(JSON)  # the applicant rows, as published
    ran_by: Mapped[str | None] = mapped_column(String(64))
    ran_at: Mapped[datetime | None] = mapped_column(DateTime)


class SchoolPlacement(Base):
    """Where one child went and why: school, round, rank, the catchment school's cut-off."""

    __tablename__ = "school_placements"
    __reach__ = Reach(kind="school_placement", division="division_code", person="person_code")

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("school_runs.id"), index=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), unique=True)
    person_code: Mapped[str] = mapped_column(ForeignKey("persons.person_code"), index=True)
    division_code: Mapped[str] = mapped_column(String(12))
    school_id: Mapped[str | None] = mapped_column(String(40))
    round: Mapped[str] = mapped_column(String(12))
    rank: Mapped[int] = mapped_column(Integer)
    points: Mapped[int] = mapped_column(Integer)
    catchment_school: Mapped[str | None] = mapped_column(String(40))
    catchment_rank: Mapped[int | None] = mapped_column(Integer)
    catchment_cutoff: Mapped[int | None] = mapped_column(Integer)
    distance_km: Mapped[float | None] = mapped_column()


class EligibilityFacts(Base):
    """The nightly snapshot the eligibility rules run over as SQL: one row per person, each fact
    of anju.cases.points.facts a column (never null: a fact not known has its default)."""

    __tablename__ = "eligibility_facts"

    person_code: Mapped[str] = mapped_column(String(16), primary_key=True)
    division_code: Mapped[str] = mapped_column(String(12), index=True)
    built_on: Mapped[date] = mapped_column(Date)
    age: Mapped[int] = mapped_column(Integer, default=0)
    residence_years: Mapped[int] = mapped_column(Integer, default=0)
    residence_months: Mapped[int] = mapped_column(Integer, default=0)
    has_permit: Mapped[bool] = mapped_column(Boolean, default=False)
    permit_days_left: Mapped[int] = mapped_column(Integer, default=0)
    employed: Mapped[bool] = mapped_column(Boolean, default=False)
    insured: Mapped[bool] = mapped_column(Boolean, default=False)
    assistance: Mapped[bool] = mapped_column(Boolean, default=False)
    wage_arrears: Mapped[bool] = mapped_column(Boolean, default=False)
    insurance_years: Mapped[int] = mapped_column(Integer, default=0)
    education: Mapped[str] = mapped_column(String(20), default="none")
    skill_certificate: Mapped[str] = mapped_column(String(20), default="none")
    volunteer_hours: Mapped[int] = mapped_column(Integer, default=0)
    administrative_penalties: Mapped[int] = mapped_column(Integer, default=0)
    falsified_documents: Mapped[bool] = mapped_column(Boolean, default=False)


class EligibilityNotice(Base):
    """One proactive notice: a person told once that they may apply for a service, and why."""

    __tablename__ = "eligibility_notices"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_code: Mapped[str] = mapped_column(String(16), index=True)
    service_code: Mapped[str] = mapped_column(String(40))
    sent_on: Mapped[date] = mapped_column(Date)
    notification_id: Mapped[int | None] = mapped_column(ForeignKey("notifications.id"))
    reasons: Mapped[list] = mapped_column(JSON)

    __table_args__ = (UniqueConstraint("person_code", "service_code",
                                       name="uq_eligibility_notices_person_service"),)


class EligibilityRun(Base):
    """The nightly run's counts per service: eligible, already applied, notified (政策知晓率)."""

    __tablename__ = "eligibility_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_on: Mapped[date] = mapped_column(Date, index=True)
    counts: Mapped[dict] = mapped_column(JSON)
    ran_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
