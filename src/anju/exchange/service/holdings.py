"""What the hub holds about registered persons, as plain values, for the other domains' questions:
the hub's one listener (`answer`) serves both events the cases domain asks by.

- "case.evidence_wanted": one department's field about one person, the evidence a
  public-service case pulls instead of asking the applicant (数据多跑路). The answer carries only
  the one field the department's purpose shares (`anju.exchange.policy.DEPARTMENT_PURPOSES`),
  never a name, an ID number or a phone, and the date of the department's extract it came from.
- "points.facts_wanted": the golden values of persons with their provenance (department, date),
  for the points and eligibility services.

Like `anju.registry.reads`, these functions check nothing and record nothing: the asking use
case has checked its actor's reach and records the read on the audit chain under its purpose.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from anju.exchange.models import GoldenRecord, SourceRecord
from anju.exchange.policy import DEPARTMENT_PURPOSES

CHUNK = 5000


@dataclass(frozen=True)
class Holding:
    """One department's answer about one person: `field` → `value`, as of the extract's date."""

    department: str
    field: str
    value: object
    as_of: date
    source_record_id: int  # the hub's row (provenance), not the department's own number


@dataclass(frozen=True)
class DepartmentValue:
    value: object
    department: str  # the connector code of the department the value came from
    as_of: date | None


def _linked(*columns):
    """The live golden records tied to registry persons (a merged one lives on in its survivor)."""
    return select(*columns).where(GoldenRecord.person_code.is_not(None),
                                  GoldenRecord.merged_into.is_(None))


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
    golden_id = session.execute(_linked(GoldenRecord.id).where(
        GoldenRecord.person_code == person_code)).scalar()
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


def department_values(session: Session, person_codes: Iterable[str] | None = None
                      ) -> Iterator[tuple[str, dict[str, DepartmentValue]]]:
    """(person code, field → value with provenance) of the golden records linked to persons;
    every person's when `person_codes` is None (read in chunks, for a nightly job)."""
    base = _linked(GoldenRecord.person_code, GoldenRecord.fields, GoldenRecord.provenance)
    if person_codes is None:
        last = ""
        while True:
            rows = session.execute(base.where(GoldenRecord.person_code > last)
                                   .order_by(GoldenRecord.person_code).limit(CHUNK)).all()
            if not rows:
                return
            yield from ((code, _values(f, p)) for code, f, p in rows)
            last = rows[-1][0]
    codes = sorted(set(person_codes))
    for i in range(0, len(codes), CHUNK):
        for code, fields, provenance in session.execute(
                base.where(GoldenRecord.person_code.in_(codes[i:i + CHUNK]))):
            yield code, _values(fields, provenance)


def _values(fields: dict, provenance: dict) -> dict[str, DepartmentValue]:
    out = {}
    for name, value in (fields or {}).items():
        source = (provenance or {}).get(name) or {}
        as_of = source.get("as_of")
        out[name] = DepartmentValue(value, source.get("department", ""),
                                    date.fromisoformat(as_of) if as_of else None)
    return out


class Wanted(Protocol):
    """The subject of "case.evidence_wanted": one field of one department about one person;
    `found` is filled in as (value, as of)."""

    person_code: str
    department: str
    field: str
    child_name: str | None
    guardian_phone: str | None
    found: tuple[object, date] | None


class FactsWanted(Protocol):
    """The subject of "points.facts_wanted": the department values of these persons; `found` is
    filled in, person code → field → value."""

    person_codes: list[str]
    found: dict[str, dict[str, DepartmentValue]]


def answer(session: Session, actor, wanted: Wanted | FactsWanted) -> None:
    """The hub's listener of "case.evidence_wanted" and "points.facts_wanted" (declared in the
    exchange descriptor): answer from the departments' data, if the hub holds any. The asking
    use case has checked its reach and records the read under its purpose."""
    if hasattr(wanted, "person_codes"):  # the points' question: persons' golden values
        wanted.found.update(department_values(session, wanted.person_codes))
        return
    if wanted.field == "school":
        held = school_record(session, wanted.child_name or "", wanted.guardian_phone,
                             wanted.department)
    else:
        held = department_holding(session, wanted.person_code, wanted.department, wanted.field)
    if held is not None:
        wanted.found = (held.value, held.as_of)
