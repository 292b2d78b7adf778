"""What a department holds about a registered person in the hub, as plain values: the evidence
a public-service case pulls instead of asking the applicant (数据多跑路).

Like `anju.registry.reads`, these functions check nothing and record nothing: the caller (the
cases domain's evidence use case) has checked that the case reaches the person and records the
pull on the audit chain under the case's purpose. Each answer carries only the one field the
department's purpose shares (`anju.exchange.policy.DEPARTMENT_PURPOSES`), never a name, an ID
number or a phone, and the date of the department's extract it came from.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from anju.exchange.models import GoldenRecord, SourceRecord
from anju.exchange.policy import DEPARTMENT_PURPOSES


@dataclass(frozen=True)
class Holding:
    """One department's answer about one person: `field` → `value`, as of the extract's date."""

    department: str
    field: str
    value: object
    as_of: date
    source_record_id: int  # the hub's row (provenance), not the department's own number


def _shares(department: str, field: str) -> bool:
    purpose = DEPARTMENT_PURPOSES.get(department)
    return purpose is not None and field in purpose.fields


def _latest(session: Session, department: str, *where) -> SourceRecord | None:
    return session.execute(select(SourceRecord).where(
        SourceRecord.department == department, *where)
        .order_by(SourceRecord.as_of.desc(), SourceRecord.id.desc()).limit(1)).scalar()


def department_holding(session: Session, person_code: str, department: str,
                       field: str) -> Holding | None:
    """The department's latest record of the person, reduced to `field`: "employer" (the
    employer it names), "insurance" (insured with it, and through which employer),
    "civil_affairs" (a social-assistance recipient). None when the department holds nothing, or
    its purpose does not share that field."""
    if not _shares(department, field) or field == "school":
        return None
    golden_id = session.execute(select(GoldenRecord.id).where(
        GoldenRecord.person_code == person_code, GoldenRecord.merged_into.is_(None))).scalar()
    if golden_id is None:
        return None
    record = _latest(session, department, SourceRecord.golden_id == golden_id)
    if record is None:
        return None
    if field == "employer":
        if not record.employer:
            return None
        value: object = record.employer
    elif field == "insurance":
        value = {"insured": True, "employer": record.employer}
    else:  # civil_affairs: the department's list is of assistance recipients (社会救助对象)
        value = {"assistance": True}
    return Holding(department, field, value, record.as_of, record.id)


def school_record(session: Session, child_name: str, guardian_phone: str | None,
                  department: str = "jiaoyu") -> Holding | None:
    """A child's school record (学籍) in the education bureau's list, found by the child's name
    and the guardian's phone the list carries as the family contact. None unless exactly one
    record matches (two children of one name in one family cannot be told apart)."""
    name = (child_name or "").strip()
    if not name or not guardian_phone or not _shares(department, "school"):
        return None
    rows = session.execute(select(SourceRecord).where(
        SourceRecord.department == department, SourceRecord.name == name,
        SourceRecord.phone == guardian_phone).limit(2)).scalars().all()
    if len(rows) != 1:
        return None
    return Holding(department, "school", {"enrolled": True}, rows[0].as_of, rows[0].id)


class Wanted(Protocol):
    """What the cases domain asks for (its "case.evidence_wanted" event's subject): one field of
    one department about one person; `found` is filled in as (value, as of)."""

    person_code: str
    department: str
    field: str
    child_name: str | None
    guardian_phone: str | None
    found: tuple[object, date] | None


def answer(session: Session, actor, wanted: Wanted) -> None:
    """The listener of "case.evidence_wanted": answer from the department's data, if it holds
    any. The asking use case has checked its reach and records the pull."""
    if wanted.field == "school":
        held = school_record(session, wanted.child_name or "", wanted.guardian_phone,
                             wanted.department)
    else:
        held = department_holding(session, wanted.person_code, wanted.department, wanted.field)
    if held is not None:
        wanted.found = (held.value, held.as_of)
