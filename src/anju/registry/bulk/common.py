"""What every bulk load shares: the rows it takes, the answer it gives, the policy check once per
batch, and the lookups and key blocks that keep a load of millions fast."""
from __future__ import annotations

import functools
import gc
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import ARRAY, any_, bindparam, func, select
from sqlalchemy.orm import Session

from anju.core import audit, divisions
from anju.core.access import Access
from anju.core.db import allocate_ids
from anju.core.errors import AnjuError, RowError, ValidationError
from anju.core.policy import Actor, Scope
from anju.registry import policy as P
from anju.registry.models import House, Permit, Person, Registration, Room

CHUNK = 20_000  # rows per COPY and per audit append
_IN = 5_000  # values per IN (...) list: SQLite allows 32,766 parameters
_ID_BLOCK = 1_000  # primary keys fetched at a time


@dataclass(frozen=True)
class BulkPerson:
    name: str
    id_number: str
    phone: str | None
    hukou_address: str | None
    # Where the person belongs before any approved registration places them (canonical 12-digit);
    # approved registrations loaded later move them, as approving does in the service.
    division_code: str


@dataclass(frozen=True)
class BulkHouse:
    address: str
    division_code: str
    landlord_person_code: str
    rooms: tuple[tuple[str, int], ...]  # (label, capacity)


@dataclass(frozen=True)
class BulkRegistration:
    person_code: str
    room_id: int
    start_date: date
    reason: str
    status: str
    end_date: date | None = None
    rejection_reason: str | None = None


@dataclass(frozen=True)
class Loaded:
    """A registration a bulk load wrote, as listeners of "registrations.loaded" see it."""

    id: int
    person_code: str
    room_id: int
    division_code: str
    landlord_person_code: str
    start_date: date
    end_date: date | None
    status: str


class BulkRejected(ValidationError):
    """Raised by `BulkResult.raise_for_rejected`: the unit of work rolls back."""

    def __init__(self, rejected: list[RowError]) -> None:
        first = rejected[0]
        super().__init__("bulk_rejected",
                         f"{len(rejected)} 行未通过校验，首个：第 {first.row} 行，{first.message_zh}",
                         f"{len(rejected)} rows failed validation; first: row {first.row}, "
                         f"{first.message_en}")
        self.rejected = rejected


class BulkResult(list):
    """A load's answer: the code or id per input row (None where rejected), plus the report."""

    def __init__(self, items: Iterable = ()) -> None:
        super().__init__(items)
        self.rejected: list[RowError] = []
        self.warnings: list[RowError] = []  # accepted rows worth a look (unknown ID region)
        self.created = 0
        self.existing = 0

    def reject(self, index: int, error: AnjuError) -> None:
        """Report input row `index` (0-based, as the caller's list) as rejected for `error`."""
        self.rejected.append(RowError.of(index + 1, error))

    def warn(self, index: int, code: str, message_zh: str, message_en: str,
             field: str | None = None) -> None:
        self.warnings.append(RowError(index + 1, code, message_zh, message_en, field))

    def raise_for_rejected(self) -> None:
        if self.rejected:
            raise BulkRejected(self.rejected)


def gc_paused(load):
    """Loads make millions of short-lived objects and no reference cycles; the cyclic collector's
    repeated passes over them cost a third of the load, so it pauses while one runs."""
    @functools.wraps(load)
    def run(*args, **kwargs):
        enabled = gc.isenabled()
        gc.disable()
        try:
            return load(*args, **kwargs)
        finally:
            if enabled:
                gc.enable()
    return run


def begin(session: Session, actor: Actor) -> str:
    """Policy check once per batch; the division prefix every row must lie in ("" = anywhere)."""
    scopes = Access(session, actor).scopes(P.PERSON_IMPORT)
    audit.lock_head(session)
    return "" if Scope.GLOBAL in scopes else divisions.significant_prefix(actor.division_code)


def division(raw: str, prefix: str) -> str:
    """A person's managing division: known, and within the loader's jurisdiction."""
    code = divisions.canonical(raw)
    divisions.require(code)
    return within(code, prefix)


def within(code: str, prefix: str) -> str:
    if not code.startswith(prefix):
        raise ValidationError("outside_jurisdiction", f"区划 {code} 不在您的辖区内",
                              f"division {code} is outside your jurisdiction",
                              field="division_code")
    return code


def text(raw: str | None, field: str, zh: str, low: int, high: int) -> str | None:
    value = (raw or "").strip()
    if not value and low == 0:
        return None
    if not low <= len(value) <= high:
        raise ValidationError(f"{field}_length", f"{zh}长度应为 {max(low, 1)}–{high} 个字符",
                              f"{field} must have {max(low, 1)}–{high} characters", field=field)
    return value


def chunks(seq: Sequence, size: int) -> Iterable[Sequence]:
    for i in range(0, len(seq), size):
        yield seq[i:i + size]


def lookup(session: Session, query, column, values: Iterable) -> list:
    """Rows of `query` whose `column` is one of `values`, in IN-lists SQLite accepts."""
    values = list(dict.fromkeys(values))
    if session.get_bind().dialect.name == "postgresql":  # one array parameter, not thousands
        array = bindparam("values", values, type_=ARRAY(column.type))
        return session.execute(query.where(column == any_(array))).all() if values else []
    rows = []
    for part in chunks(values, _IN):
        rows.extend(session.execute(query.where(column.in_(part))).all())
    return rows


def id_source(session: Session, table: str):
    """Primary keys on demand, a block at a time: a re-run that writes nothing takes none."""
    while True:
        yield from allocate_ids(session, table, _ID_BLOCK)


def table_counts(session: Session) -> dict:
    """How big the registry is (counts only, no personal data): the demo summary, benchmarks."""
    def count(query) -> int:
        return session.execute(query).scalar_one()

    return {
        "persons": count(select(func.count()).select_from(Person)),
        "landlords": count(select(func.count(func.distinct(House.landlord_person_code)))),
        "houses": count(select(func.count()).select_from(House)),
        "rooms": count(select(func.count()).select_from(Room)),
        "registrations": dict(session.execute(select(Registration.status, func.count())
                                              .group_by(Registration.status)).all()),
        "permits": count(select(func.count()).select_from(Permit)),
    }
