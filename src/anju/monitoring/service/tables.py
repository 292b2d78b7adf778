"""The released tables: stock, flows, origin–destination, moves. Each answers from the current
build's released cells only — a withheld cell is `null` — within the actor's reach, as JSON or as
an audited Excel/CSV export. Nothing here adds released cells up: a sum over withheld cells would
be wrong (FlowKit #4866), so every total people see is a released cell of its own."""
from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from anju.core.policy import Actor
from anju.core.types import Timestamp  # noqa: F401 - documents what released_at is
from anju.monitoring import plan, rules
from anju.monitoring import policy as P
from anju.monitoring.release import THRESHOLD
from anju.monitoring.rules import Dim
from anju.monitoring.schemas import (
    CellOut,
    FlowRowOut,
    FlowsOut,
    OdOut,
    OdRowOut,
    StockOut,
)
from anju.monitoring.service import common
from anju.monitoring.service.exports import ExportFile, export


def _released_at(build) -> datetime:
    return build.finished_at or build.started_at


def stock(session: Session, actor: Actor, level: str, day: date | None = None,
          by: str | None = None, division: str | None = None, boundaries: str = "current",
          fmt: str = "json", encoding: str = "utf-8", lang: str = "zh") -> StockOut | ExportFile:
    """The migrant population on a reference date (the latest published on or before `day`)
    by division at `level`, optionally broken down `by`, within `division` if given."""
    reach = common.reach(session, actor, P.STATS_READ, division)
    build = common.current_build(session)
    lv = common.level_number(level)
    dim = str(by) if by else Dim.TOTAL.value
    refs = common.published_refs(session, build, "stock", dim, lv)
    day = day or build.as_of
    chosen = [r for r in refs if r <= day.isoformat()]
    if not chosen:
        raise common.not_published(f"{day} 的存量（{level}/{dim}）",
                                   f"stock on {day} ({level}/{dim})")
    ref = chosen[-1]
    parent = common.canonical_division(division) if division else None
    rows = common.cells(session, build, "stock", [ref], lv, dim)
    if str(boundaries) == "historical" and dim == Dim.TOTAL.value:
        then = common.cells(session, build, "stock_then", [ref], lv, dim)
        touched = {c.key for c in then}
        rows = [c for c in rows if c.division not in touched] + then
    found = {(c.division, c.key): c.count for c in rows
             if reach.sees(c.division) and common.within(c.division, parent)}
    keys = plan.CATEGORIES.get(Dim(dim), ("",)) if dim != Dim.TOTAL.value else ("",)
    if dim in (Dim.TOTAL.value, *(d.value for d in plan.CATEGORIES)):
        for code in common.divisions_at(lv, parent):
            if reach.sees(code):
                for key in keys:
                    found.setdefault((code, key), 0)
    out = StockOut(
        level=level, date=date.fromisoformat(ref), by=by and str(by), boundaries=str(boundaries),
        released_at=_released_at(build), threshold=THRESHOLD,
        cells=[CellOut(division_code=code, division_name=common.name_of(code), key=key,
                       count=count, suppressed=count is None)
               for (code, key), count in sorted(found.items())])
    if fmt == "json":
        return out
    return export(session, actor, "stock", [c.model_dump() for c in out.cells],
                  ["division_code", "division_name", "key", "count"], fmt, encoding, lang,
                  {"level": level, "date": ref, "by": dim})


def _periods(session, build, freq: str, lv: int, start: date | None,
             end: date | None) -> list[str]:
    refs = common.published_refs(session, build, "flows", freq, lv)
    if not refs:
        raise common.not_published(f"{rules.LEVEL_NAMES[lv]} 的{freq}流动",
                                   f"{freq} flows at {rules.LEVEL_NAMES[lv]} level")

    def first_day(period: str) -> date:
        if freq == "day":
            return date.fromisoformat(period)
        if freq == "week":
            return date.fromisocalendar(int(period[:4]), int(period[6:]), 1)
        return plan.month_start(period)

    def last_day(period: str) -> date:
        if freq == "day":
            return first_day(period)
        if freq == "week":
            return first_day(period) + timedelta(days=6)
        start_ = plan.month_start(period)
        return rules.month_end(start_.year, start_.month)

    return [p for p in refs if (start is None or first_day(p) >= start)
            and (end is None or last_day(p) <= end)]


def flows(session: Session, actor: Actor, level: str, freq: str, start: date | None = None,
          end: date | None = None, division: str | None = None, fmt: str = "json",
          encoding: str = "utf-8", lang: str = "zh") -> FlowsOut | ExportFile:
    """Arrivals and departures per published period (complete days, ISO weeks, months)."""
    reach = common.reach(session, actor, P.STATS_READ, division)
    build = common.current_build(session)
    lv, freq = common.level_number(level), str(freq)
    periods = _periods(session, build, freq, lv, start, end)
    parent = common.canonical_division(division) if division else None
    found: dict[tuple[str, str], dict[str, int | None]] = {}
    for c in common.cells(session, build, "flows", periods, lv, freq):
        if reach.sees(c.division) and common.within(c.division, parent):
            found.setdefault((c.ref, c.division), {"arr": 0, "dep": 0})[c.key] = c.count
    for period in periods:
        for code in common.divisions_at(lv, parent):
            if reach.sees(code):
                found.setdefault((period, code), {"arr": 0, "dep": 0})
    out = FlowsOut(level=level, freq=freq, released_at=_released_at(build), rows=[
        FlowRowOut(period=p, division_code=code, division_name=common.name_of(code),
                   arrivals=v["arr"], departures=v["dep"])
        for (p, code), v in sorted(found.items())])
    if fmt == "json":
        return out
    return export(session, actor, "flows", [r.model_dump() for r in out.rows],
                  ["period", "division_code", "division_name", "arrivals", "departures"], fmt,
                  encoding, lang, {"level": level, "freq": freq})


def od(session: Session, actor: Actor, origin_level: str, dest_level: str,
       start: date | None = None, end: date | None = None, fmt: str = "json",
       encoding: str = "utf-8", lang: str = "zh") -> OdOut | ExportFile:
    """Arrivals by origin (province, city or county of hukou) and destination (county or
    township), one table per published month — never summed over months here."""
    reach = common.reach(session, actor, P.STATS_READ)
    build = common.current_build(session)
    lv, origin_level = common.level_number(dest_level), str(origin_level)
    months = [m for m in common.published_refs(session, build, "od", origin_level, lv)
              if (start is None or plan.month_start(m) >= start.replace(day=1))
              and (end is None or plan.month_start(m) <= end)]
    rows = [OdRowOut(month=c.ref, origin_code=c.key, origin_name=common.name_of(c.key),
                     division_code=c.division, division_name=common.name_of(c.division),
                     count=c.count)
            for c in common.cells(session, build, "od", months, lv, origin_level)
            if reach.sees(c.division)]
    rows.sort(key=lambda r: (r.month, r.division_code, r.origin_code))
    out = OdOut(origin_level=origin_level, dest_level=str(dest_level), rows=rows,
                released_at=_released_at(build))
    if fmt == "json":
        return out
    return export(session, actor, "od", [r.model_dump() for r in rows],
                  ["month", "origin_code", "origin_name", "division_code", "division_name",
                   "count"], fmt, encoding, lang, {"origin_level": origin_level,
                                                   "dest_level": str(dest_level)})


def moves(session: Session, actor: Actor) -> dict:
    """Moves within the county over the last twelve complete months (township → township),
    arrivals from within and from outside the county, and how often people moved."""
    reach = common.reach(session, actor, P.STATS_READ)
    build = common.current_build(session)
    cells = [c for c in common.cells(session, build, "moves", ["12m"], rules.TOWNSHIP, "from")
             if reach.sees(c.division) and reach.sees(c.key)]
    margins = {}
    for dim in ("in", "out", "outside"):
        for c in common.cells(session, build, "moves", ["12m"], rules.TOWNSHIP, dim):
            if reach.sees(c.division):
                margins.setdefault(c.division, {})[dim] = c.count
    frequency = {c.key or "total": c.count for dim in ("moves", "total")
                 for c in common.cells(session, build, "frequency", ["36m"], rules.COUNTY, dim)
                 if reach.sees(c.division)}
    return {"matrix": [{"from_code": c.key, "from_name": common.name_of(c.key),
                        "to_code": c.division, "to_name": common.name_of(c.division),
                        "count": c.count} for c in cells],
            "townships": [{"division_code": code, "division_name": common.name_of(code),
                           "moves_in": m.get("in", 0), "moves_out": m.get("out", 0),
                           "from_outside": m.get("outside", 0)}
                          for code, m in sorted(margins.items())],
            "frequency": frequency, "released_at": _released_at(build)}
