"""The county's working-day calendar: official years loaded from the State Council's arrangement,
kept in the database, and the `Calendar` every server process computes deadlines with.

A year's arrangement is a CSV file `date,kind` (kind `holiday` or `workday`), or the same with
Chinese headers and values (`日期,类型` / `放假`, `上班`…), as a county clerk types it from the
notice. A file is checked whole before anything is written: one year per file (plus the late
December days of its New Year bridge), each date once, adjusted working days only on weekends,
plausible counts; a bad row is reported with its row number and reason and nothing is loaded.
Loading the same file again changes nothing; a corrected file replaces that year, on the audit
chain. `current()` combines the shipped data, the loaded years and provisional years ahead
(anju.core.workdays), cached per database and rebuilt within seconds of a load anywhere.
"""
from __future__ import annotations

import csv
import io
import re
import threading
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from anju.core import clock, workdays
from anju.core.access import Access
from anju.core.audit import AuditEvent
from anju.core.crypto import sm3_hex
from anju.core.db import utcnow
from anju.core.errors import Conflict, RowError, ValidationError, ValidationIssue
from anju.core.models import CalendarYear
from anju.core.permissions import ADMINISTRATION, CALENDAR_LOAD
from anju.core.policy import Actor
from anju.core.workdays import Arrangement, Calendar, CalendarStatus

REFRESH_SECONDS = 5.0  # how stale a process's calendar may be after a load elsewhere
YEARS_AHEAD = 2  # provisional years computed beyond this year (and the last official one)
MAX_ROW_ERRORS = 100
MAX_BYTES = 64 * 1024  # a year is ~40 rows; anything this large is not an arrangement

HEADERS = {"date": "date", "日期": "date", "kind": "kind", "类型": "kind", "类别": "kind",
           "安排": "kind"}
KINDS = {"holiday": False, "workday": True, "放假": False, "假日": False, "节假日": False,
         "法定节假日": False, "休息": False, "休": False, "上班": True, "班": True,
         "工作日": True, "调休上班": True, "补班": True}
_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")


class CalendarFileRefused(ValidationError):
    """A file that cannot be loaded; `rows` names each bad row (nothing was loaded)."""

    def __init__(self, code: str, message_zh: str, message_en: str,
                 rows: Iterable[RowError] = ()) -> None:
        super().__init__(code, message_zh, message_en, field="file")
        self.rows = tuple(rows)


@dataclass(frozen=True)
class ParsedYear:
    year: int
    days: dict[date, bool]  # True: adjusted working day; False: holiday
    warnings: tuple[ValidationIssue, ...] = ()

    @property
    def holidays(self) -> int:
        return sum(1 for working in self.days.values() if not working)

    @property
    def workdays(self) -> int:
        return sum(1 for working in self.days.values() if working)

    def rows(self) -> list[list[str]]:
        return [[d.isoformat(), "workday" if w else "holiday"] for d, w in sorted(self.days.items())]

    @property
    def digest(self) -> str:
        return sm3_hex("\n".join(",".join(r) for r in self.rows()))


@dataclass(frozen=True)
class LoadResult:
    year: int
    outcome: str  # "created" | "replaced" | "unchanged"
    holidays: int
    workdays: int
    warnings: tuple[ValidationIssue, ...] = ()


# --- reading a file ------------------------------------------------------------------------
def _text(data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):  # Excel in China saves CSV as GB18030/GBK
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise CalendarFileRefused("calendar_encoding", "文件编码无法识别（应为 UTF-8 或 GBK 的 CSV 文件）",
                              "cannot read the file (expected a UTF-8 or GBK CSV file)")


def parse(data: bytes, today: date | None = None) -> ParsedYear:
    """Check a year's arrangement file whole; raise CalendarFileRefused naming every bad row."""
    if len(data) > MAX_BYTES:
        raise CalendarFileRefused("calendar_too_large", "文件过大，不像一年的放假安排",
                                  "the file is too large for one year's arrangement")
    reader = csv.reader(io.StringIO(_text(data)))
    header = next(reader, None) or []
    columns = {HEADERS.get(h.strip().lower()): i for i, h in enumerate(header)}
    if "date" not in columns or "kind" not in columns:
        raise CalendarFileRefused(
            "calendar_header", "首行应为列名 date,kind（或 日期,类型）",
            "the first line must name the columns date,kind (or 日期,类型)")
    errors: list[RowError] = []
    seen: dict[date, int] = {}
    days: dict[date, bool] = {}
    for number, row in enumerate(reader, start=1):
        if not any(cell.strip() for cell in row):
            continue
        cells = [c.strip() for c in row] + [""] * len(header)
        raw_date, raw_kind = cells[columns["date"]], cells[columns["kind"]]
        day = _date(raw_date)
        if day is None:
            errors.append(RowError(number, "calendar_date", f"日期“{raw_date}”无法识别（应为 2027-01-01）",
                                     f"cannot read the date {raw_date!r} (expected 2027-01-01)",
                                     "date"))
            continue
        kind = KINDS.get(raw_kind.lower())
        if kind is None:
            errors.append(RowError(number, "calendar_kind", f"类型“{raw_kind}”无法识别（应为 放假 或 上班）",
                                     f"unknown kind {raw_kind!r} (expected holiday or workday)",
                                     "kind"))
            continue
        if day in seen:
            errors.append(RowError(number, "calendar_duplicate",
                                     f"{day.isoformat()} 与第 {seen[day]} 行重复",
                                     f"{day.isoformat()} repeats row {seen[day]}", "date"))
            continue
        if kind and day.weekday() < 5:
            errors.append(RowError(number, "calendar_workday_weekday",
                                     f"{day.isoformat()} 是周一至周五，本来就上班，不是调休上班日",
                                     f"{day.isoformat()} is a weekday, a working day anyway, not an "
                                     "adjusted working weekend day", "kind"))
            continue
        seen[day] = number
        days[day] = kind
    if not days and not errors:
        raise CalendarFileRefused("calendar_empty", "文件中没有任何日期", "the file lists no dates")
    year = Counter(d.year for d in days).most_common(1)[0][0] if days else None
    for day, number in seen.items():
        if year is not None and not _belongs(day, year):
            errors.append(RowError(number, "calendar_other_year",
                                     f"{day.isoformat()} 不属于 {year} 年；每个文件只载入一年",
                                     f"{day.isoformat()} is not in {year}; load one year per file",
                                     "date"))
    if errors:
        errors.sort(key=lambda e: e.row)
        raise CalendarFileRefused(
            "calendar_rows", f"文件有 {len(errors)} 行错误，未载入任何数据",
            f"{len(errors)} row{'s' if len(errors) > 1 else ''} of the file "
            f"{'are' if len(errors) > 1 else 'is'} wrong; nothing was loaded",
            errors[:MAX_ROW_ERRORS])
    assert year is not None
    return _plausible(ParsedYear(year, days), today or clock.today())


def _date(text: str) -> date | None:
    match = _DATE.match(text)
    if not match:
        return None
    try:
        return date(*(int(g) for g in match.groups()))
    except ValueError:
        return None


def _belongs(day: date, year: int) -> bool:
    """In the year, or in the late December before it (a New Year bridge)."""
    return day.year == year or (day.year == year - 1 and day.month == 12 and day.day >= 20)


def _plausible(parsed: ParsedYear, today: date) -> ParsedYear:
    """Counts no real arrangement has fall outside; a year too far off is a typing slip."""
    first = workdays.covered_years()[0]
    if not first <= parsed.year <= today.year + YEARS_AHEAD + 1:
        raise CalendarFileRefused(
            "calendar_year", f"{parsed.year} 年不在可载入的范围（{first}–{today.year + YEARS_AHEAD + 1}）",
            f"{parsed.year} is outside the years that can be loaded "
            f"({first}-{today.year + YEARS_AHEAD + 1})")
    if not 10 <= parsed.holidays <= 45 or parsed.workdays > 14:
        raise CalendarFileRefused(
            "calendar_implausible",
            f"{parsed.year} 年有 {parsed.holidays} 个放假日、{parsed.workdays} 个调休上班日，"
            "不像一年的放假安排（通常放假 13–35 天、调休上班不超过 12 天），请核对文件",
            f"{parsed.holidays} holidays and {parsed.workdays} adjusted working days do not look "
            f"like one year's arrangement for {parsed.year} (usually 13-35 holidays and at "
            "most 12 adjusted working days); check the file")
    return ParsedYear(parsed.year, parsed.days, _statutory_warnings(parsed))


def _statutory_warnings(parsed: ParsedYear) -> tuple[ValidationIssue, ...]:
    """Every official arrangement so far gives every statutory holiday off; a file that does
    not is probably for another year (or mistyped). Said, not refused: the law may change."""
    from anju.core.statutory import FIRST_YEAR, statutory_holidays

    if parsed.year < FIRST_YEAR:
        return ()
    missing = [(d, names) for d, names in statutory_holidays(parsed.year).items()
               if parsed.days.get(d, d.weekday() < 5)]  # a working day in the file
    return tuple(ValidationIssue(
        "calendar_statutory_missing",
        f"{d.isoformat()}（{zh}）是法定节假日，文件中却不放假：请核对文件是否是 {parsed.year} 年的",
        f"{d.isoformat()} ({en}) is a statutory holiday but not a holiday in the file: check "
        f"the file is for {parsed.year}") for d, (zh, en) in missing)


# --- loading ---------------------------------------------------------------------------------
def load(session: Session, actor: Actor, data: bytes, file_name: str | None = None,
         today: date | None = None) -> LoadResult:
    """Load (or replace) one year's official arrangement; the same file again changes nothing."""
    access = Access(session, actor)
    access.check(CALENDAR_LOAD, "放假安排")
    parsed = parse(data, today)
    row = session.get(CalendarYear, parsed.year, with_for_update=True)
    if row is not None and row.digest == parsed.digest:
        return LoadResult(parsed.year, "unchanged", parsed.holidays, parsed.workdays,
                          parsed.warnings)
    before = {d: k for d, k in row.days} if row is not None else {}
    version = (session.scalar(select(func.max(CalendarYear.version))) or 0) + 1
    values = {"days": parsed.rows(), "holidays": parsed.holidays, "workdays": parsed.workdays,
              "digest": parsed.digest, "file_name": (file_name or "")[:200] or None,
              "version": version, "loaded_at": utcnow(), "loaded_by": actor.username}
    outcome = "created" if row is None else "replaced"
    try:
        with session.begin_nested():
            if row is None:
                session.add(CalendarYear(year=parsed.year, **values))
            else:
                for name, value in values.items():
                    setattr(row, name, value)
            session.flush()
    except IntegrityError:  # another load of the same moment took the year or the version
        raise Conflict("calendar_busy", "另一次载入正在进行，请稍后重试",
                       "another load is under way; try again shortly") from None
    after = {d: k for d, k in parsed.rows()}
    changed = sorted(d for d in set(before) | set(after)
                     if before.get(d) != after.get(d))
    access.record(AuditEvent(CALENDAR_LOAD, ADMINISTRATION, None, "calendar_year",
                             str(parsed.year), {
                                 "op": outcome, "file": values["file_name"],
                                 "digest": parsed.digest, "version": version,
                                 "holidays": parsed.holidays, "workdays": parsed.workdays,
                                 "changed_days": changed if row is not None else None}))
    invalidate()
    return LoadResult(parsed.year, outcome, parsed.holidays, parsed.workdays, parsed.warnings)


def loaded_years(session: Session, actor: Actor) -> list[CalendarYear]:
    """The loaded years, newest first."""
    Access(session, actor).allow(CALENDAR_LOAD)
    return list(session.scalars(select(CalendarYear).order_by(CalendarYear.year.desc())))


@dataclass(frozen=True)
class YearRow:
    first: int
    last: int
    source: str  # SHIPPED | LOADED | PROVISIONAL
    loaded: CalendarYear | None = None
    warnings: tuple[ValidationIssue, ...] = ()


@dataclass(frozen=True)
class Overview:
    status: CalendarStatus
    years: list[YearRow]


def overview(session: Session, actor: Actor, today: date | None = None) -> Overview:
    """The admin's page: the status, then the years from last year on one by one (the years
    before in runs), each loaded one with who loaded it, when, and what looks wrong in it."""
    loaded = {row.year: row for row in loaded_years(session, actor)}
    status = calendar_status(session, today)
    rows = []
    recent = status.today.year - 1
    for first, last, source in runs(status.sources):
        if first < recent:  # long ago: one row for the run
            rows.append(YearRow(first, min(last, recent - 1), source))
            first = recent
        for year in range(first, last + 1):
            row = loaded.get(year) if source == workdays.LOADED else None
            warnings = _statutory_warnings(ParsedYear(year, {
                date.fromisoformat(d): k == "workday" for d, k in row.days})) if row else ()
            rows.append(YearRow(year, year, source, row, warnings))
    return Overview(status, rows)


# --- the calendar servers compute with -------------------------------------------------------
def assemble(loaded: Iterable[Arrangement], today: date) -> Calendar:
    """Shipped years, overridden by loaded ones, and provisional years for every year after
    them up to YEARS_AHEAD past today's (or the last official one)."""
    years = {a.year: a for a in workdays.shipped_arrangements()}
    years.update({a.year: a for a in loaded})
    through = max(max(years), today.year) + YEARS_AHEAD
    for year in range(min(years), through + 1):
        if year not in years:
            years[year] = workdays.provisional(year)
    return Calendar(years.values())


@dataclass
class _Cached:
    version: int
    year: int  # today's year when built: the provisional years ahead follow it
    checked: float
    calendar: Calendar


_cache: dict[str, _Cached] = {}
_lock = threading.Lock()


def current(session: Session) -> Calendar:
    """The calendar to compute deadlines with: cached per database, its version checked at most
    every REFRESH_SECONDS, so a load in another process is seen within seconds."""
    key, now, year = str(session.get_bind().url), time.monotonic(), clock.today().year
    cached = _cache.get(key)
    if cached and cached.year == year and now - cached.checked < REFRESH_SECONDS:
        return cached.calendar
    version = session.scalar(select(func.max(CalendarYear.version))) or 0
    if cached and cached.year == year and cached.version == version:
        cached.checked = now
        return cached.calendar
    rows = session.execute(select(CalendarYear.year, CalendarYear.days)).all()
    calendar = assemble((Arrangement(y, workdays.LOADED, {
        date.fromisoformat(d): kind == "workday" for d, kind in days}) for y, days in rows),
        clock.today())
    with _lock:
        _cache[key] = _Cached(version, year, now, calendar)
    return calendar


def invalidate() -> None:
    """Forget the cached calendars (after a load in this process)."""
    with _lock:
        _cache.clear()


def calendar_status(session: Session, today: date | None = None) -> CalendarStatus:
    """What the calendar covers, and the warning when the official data runs out within
    60 days (the admin's page and `anju calendar status` show it)."""
    return current(session).status(today or clock.today())


def runs(sources: dict[int, str]) -> list[tuple[int, int, str]]:
    """Years grouped into runs of one source: [(2004, 2026, "shipped"), (2027, 2028, …)]."""
    out: list[tuple[int, int, str]] = []
    for year, source in sorted(sources.items()):
        if out and out[-1][2] == source and out[-1][1] == year - 1:
            out[-1] = (out[-1][0], year, source)
        else:
            out.append((year, year, source))
    return out
