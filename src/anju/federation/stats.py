"""Monthly flow statistics for a peer: what the provider counts and what the release lets out.

- `FlowCell(origin, destination, arrivals, departures, stock)`: origin is the township (9-digit
  canonical prefix, as 12 digits) of the persons' household registration, destination the
  township they live in here. A provider is any `(session, first_day, last_day) ->
  list[FlowCell]`; `registry_flows` counts the registry's tenancies (monitoring's own tables stop
  at the origin county, the peer wants townships).
- `release(cells)`: every figure that leaves goes through monitoring's release function
  (`anju.monitoring.release`): no count from 1 to 15, and nothing recoverable by subtracting
  from a row or an origin–destination total.
"""
from __future__ import annotations

import calendar
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import date

from sqlalchemy.orm import Session

from anju.monitoring.release import THRESHOLD, Release
from anju.registry import reads

MEASURES = ("arrivals", "departures", "stock")


@dataclass(frozen=True)
class FlowCell:
    origin: str
    destination: str
    arrivals: int
    departures: int
    stock: int


Provider = Callable[[Session, date, date], list[FlowCell]]


def township(code: str | None) -> str:
    code = (code or "").ljust(12, "0")
    return code[:9] + "000"


def registry_flows(session: Session, first: date, last: date) -> list[FlowCell]:
    """Arrivals (registrations starting in the month), departures (ending in it) and stock (in
    force on its last day) by origin and destination township, from the registry's tenancies."""
    tenancies = reads.tenancies_covering(session, first, last)
    origins = reads.person_origins(session, {t.person_code for t in tenancies})
    counts: dict[tuple[str, str], list[int]] = {}
    for t in tenancies:
        key = (township(origins.get(t.person_code)), township(t.division_code))
        row = counts.setdefault(key, [0, 0, 0])
        row[0] += first <= t.start_date <= last
        row[1] += t.end_date is not None and first <= t.end_date <= last
        row[2] += t.end_date is None or t.end_date > last
    return [FlowCell(o, d, *values) for (o, d), values in sorted(counts.items())]


def release(cells: list[FlowCell]) -> list[dict]:
    """The cells as they may leave (None where withheld), decided by monitoring's one release
    function with the totals an outsider can know stated as relations: an origin township's
    row, and an origin county's arrivals into a destination township (monitoring publishes
    origin–destination at that grain). The totals themselves are not sent; they only make the
    engine withhold enough that none of them gives a withheld cell back."""
    engine = Release(THRESHOLD)
    for measure in MEASURES:
        rows: dict[str, list[tuple]] = {}
        columns: dict[tuple[str, str], list[tuple]] = {}
        value: dict[tuple, int] = {}
        for cell in cells:
            key = (cell.origin, cell.destination, measure)
            value[key] = getattr(cell, measure)
            engine.cell(key, value[key])
            rows.setdefault(cell.origin, []).append(key)
            columns.setdefault((cell.origin[:6], cell.destination), []).append(key)
        for name, parts in [*((("row", o), k) for o, k in rows.items()),
                            *((("column", *c), k) for c, k in columns.items())]:
            total = (*name, measure)
            engine.cell(total, sum(value[k] for k in parts), protected=True)
            engine.total(total, parts)
    shown = engine.run()
    return [{**asdict(cell), **{m: shown.shown((cell.origin, cell.destination, m))
                                for m in MEASURES}} for cell in cells]


def month_range(month: str) -> tuple[date, date]:
    year, number = (int(part) for part in month.split("-"))
    return date(year, number, 1), date(year, number, calendar.monthrange(year, number)[1])


PROVIDER: Provider = registry_flows
RELEASE: Callable[[list[FlowCell]], list[dict]] = release


def released_flows(session: Session, month: str, peer_division: str) -> list[dict]:
    """The month's released cells that concern the peer: persons registered there (origin in its
    county) living here. Suppression is applied to the whole table before the peer's part is
    cut out of it, so the part holds no figure the whole would not release."""
    first, last = month_range(month)
    released = RELEASE(PROVIDER(session, first, last))
    return [c for c in released if c["origin"].startswith(peer_division)]
