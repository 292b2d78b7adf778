"""Monthly flow statistics for a peer: what the provider counts and what the release lets out.

- `FlowCell(origin, destination, arrivals, departures, stock)`: origin is the township (9-digit
  canonical prefix, as 12 digits) of the persons' household registration, destination the
  township they live in here. A provider is any `(session, first_day, last_day) ->
  list[FlowCell]`; `registry_flows` is the one used until the monitoring domain's is wired in
  (`PROVIDER` below).
- `release(cells)`: every figure that leaves goes through it. Here it is the small-cell rule
  alone — no count from 1 to 15 leaves, and where one figure of an origin's row is suppressed
  the next smallest of that row goes too, so it cannot be recovered by subtracting from a total.
  When monitoring's release function lands on main, `RELEASE` should point at it instead.
"""
from __future__ import annotations

import calendar
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import date

from sqlalchemy.orm import Session

from anju.registry import reads

THRESHOLD = 16  # a released count is 0 or at least 16
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
    """The cells as they may leave: small counts suppressed (None), with a complementary
    suppression per origin row and measure so a total cannot give a suppressed count back."""
    out = [asdict(c) for c in cells]
    for measure in MEASURES:
        rows: dict[str, list[dict]] = {}
        for cell in out:
            rows.setdefault(cell["origin"], []).append(cell)
        for cell in out:
            if 0 < cell[measure] < THRESHOLD:
                cell[measure] = None
        for row in rows.values():
            hidden = [c for c in row if c[measure] is None]
            shown = sorted((c for c in row if c[measure]), key=lambda c: c[measure])
            if len(hidden) == 1 and shown:
                shown[0][measure] = None
    return out


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
