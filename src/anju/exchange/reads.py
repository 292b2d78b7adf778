"""What the exchange hub lets other domains read of its golden records: a person's department
values with their provenance, as plain values (never its table classes).

Like `anju.registry.reads`, these check nothing and record nothing: the caller (the points and
eligibility services of `cases`) checks its actor's reach and records the read, under the
purpose it declares, through its own `Access`."""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from anju.exchange.models import GoldenRecord

CHUNK = 5000


@dataclass(frozen=True)
class DepartmentValue:
    value: object
    department: str  # the connector code of the department the value came from
    as_of: date | None


def department_values(session: Session, person_codes: Iterable[str] | None = None
                      ) -> Iterator[tuple[str, dict[str, DepartmentValue]]]:
    """(person code, field → value with provenance) of the golden records linked to persons;
    every person's when `person_codes` is None (read in chunks, for a nightly job)."""
    base = select(GoldenRecord.person_code, GoldenRecord.fields, GoldenRecord.provenance).where(
        GoldenRecord.person_code.is_not(None), GoldenRecord.merged_into.is_(None))
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


class FactsWanted(Protocol):
    """What the cases domain asks for (its "points.facts_wanted" event's subject): the department
    values of these persons; `found` is filled in, person code → field → value."""

    person_codes: list[str]
    found: dict[str, dict[str, DepartmentValue]]


def answer_facts(session: Session, actor, wanted: FactsWanted) -> None:
    """The listener of "points.facts_wanted" (declared in the exchange descriptor): the asking
    use case has checked its reach and records the read under its purpose."""
    wanted.found.update(department_values(session, wanted.person_codes))
