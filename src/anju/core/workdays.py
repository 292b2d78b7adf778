"""Chinese official working days (法定节假日 and 调休), for service deadlines. Pure: no I/O beyond
reading the shipped data file.

A `Calendar` is built from one `Arrangement` per year: the official ones — shipped in
data/holidays.csv (built by scripts/refresh_holidays.py from chinese-calendar), or loaded by the
county (`anju calendar load`, see anju.core.calendars, which builds the calendar servers use) —
and, for a year nobody has published yet, a *provisional* one computed from the statutory
holidays (anju.core.statutory). Every answer of a calendar says whether it rests on a provisional
day (`Reckoning.provisional`), so a due date is never guessed silently.

The module-level functions answer from the shipped official data alone and raise
CalendarRangeError outside it, as they always did.
"""

from __future__ import annotations

import csv
import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from importlib import resources
from typing import NamedTuple

from anju.core.errors import AnjuError

SHIPPED, LOADED, PROVISIONAL = "shipped", "loaded", "provisional"
WARN_DAYS = 60  # the admin is warned this many days before the official data runs out


class CalendarRangeError(AnjuError):
    def __init__(self, day: date, years: range):
        first, last = years[0], years[-1]
        super().__init__(
            "calendar_out_of_range",
            f"工作日历仅覆盖{first}–{last}年，无法判断{day.isoformat()}是否为工作日；请更新节假日数据",
            f"the working-day calendar covers {first}-{last} only; cannot tell whether "
            f"{day.isoformat()} is a working day (refresh the holiday data)",
        )


@dataclass(frozen=True)
class Arrangement:
    """One year's holidays and adjusted working days. `days` holds only the days that differ
    from Monday–Friday: False for a holiday (weekend days inside a holiday period included),
    True for an adjusted working weekend day (调休上班). A year's arrangement may reach back
    into the last days of December before it (the 2019 notice made 2018-12-29 a working day)."""

    year: int
    source: str  # SHIPPED | LOADED | PROVISIONAL
    days: Mapping[date, bool] = field(default_factory=dict)

    @property
    def official(self) -> bool:
        return self.source != PROVISIONAL

    def __post_init__(self) -> None:
        if self.source not in (SHIPPED, LOADED, PROVISIONAL):
            raise ValueError(f"unknown calendar source {self.source!r}")
        stray = [d for d in self.days if not (d.year == self.year or (
            d.year == self.year - 1 and d.month == 12))]
        if stray:
            raise ValueError(f"the {self.year} arrangement names days outside it: {stray[:3]}")


class Reckoning(NamedTuple):
    """An answer and whether it rests on a provisional (not yet official) day."""

    value: object
    provisional: bool


@dataclass(frozen=True)
class CalendarStatus:
    """What a calendar covers, seen from `today`, and whether the admin must act."""

    today: date
    sources: dict[int, str]  # year → SHIPPED | LOADED | PROVISIONAL
    official_until: date | None  # last day of the official data running unbroken from today
    warning: bool  # it runs out within WARN_DAYS days, or already has

    @property
    def days_left(self) -> int | None:
        return None if self.official_until is None else (self.official_until - self.today).days

    @property
    def provisional_years(self) -> tuple[int, ...]:
        return tuple(y for y, s in self.sources.items() if s == PROVISIONAL)

    @property
    def message_zh(self) -> str:
        if self.official_until is None:
            return (f"{self.today.year}年的官方放假安排尚未载入，期限正按推算（临时）日历计算；"
                    "请尽快载入国务院公布的放假安排")
        if self.warning:
            return (f"官方放假安排只覆盖到{self.official_until.isoformat()}（还剩{self.days_left}天），"
                    f"请载入{self.official_until.year + 1}年的放假安排")
        return f"官方放假安排覆盖到{self.official_until.isoformat()}"

    @property
    def message_en(self) -> str:
        if self.official_until is None:
            return (f"the official holiday arrangement for {self.today.year} is not loaded; "
                    "deadlines are being computed on a provisional calendar — load the State "
                    "Council's arrangement soon")
        if self.warning:
            return (f"the official holiday arrangement runs out on "
                    f"{self.official_until.isoformat()} ({self.days_left} days left); load the "
                    f"arrangement for {self.official_until.year + 1}")
        return f"the official holiday arrangement covers up to {self.official_until.isoformat()}"


class Calendar:
    """Working days over a run of consecutive years, each official or provisional."""

    def __init__(self, arrangements: Iterable[Arrangement]) -> None:
        by_year = sorted(arrangements, key=lambda a: a.year)
        years = [a.year for a in by_year]
        if not years or years != list(range(years[0], years[-1] + 1)):
            raise ValueError(f"a calendar needs one arrangement per year, without gaps: {years}")
        self.years = range(years[0], years[-1] + 1)
        self.sources = {a.year: a.source for a in by_year}
        self._provisional = frozenset(a.year for a in by_year if not a.official)
        self._first = date(years[0], 1, 1).toordinal()
        end = date(years[-1], 12, 31).toordinal()
        flags = bytearray(date.fromordinal(o).weekday() < 5 for o in range(self._first, end + 1))
        for arrangement in by_year:  # in year order: a year's New Year bridge has the last word
            for day, working in arrangement.days.items():
                i = day.toordinal() - self._first
                if 0 <= i < len(flags):
                    flags[i] = working
        cumulative, working, count = [], [], 0
        for i, work in enumerate(flags):
            if work:
                count += 1
                working.append(self._first + i)
            cumulative.append(count)
        self._is_work = bytes(flags)
        self._cumulative = tuple(cumulative)  # working days from the first day up to and incl. i
        self._working = tuple(working)  # ordinals of the working days, ascending

    # --- lookups ------------------------------------------------------------------------
    def _index(self, d: date) -> int:
        i = d.toordinal() - self._first
        if not 0 <= i < len(self._is_work):
            raise CalendarRangeError(d, self.years)
        return i

    def _rests_on_provisional(self, after: date, upto: date) -> bool:
        """Whether any day d with after < d <= upto lies in a provisional year."""
        if upto <= after:
            return False
        first = after + timedelta(days=1)
        return any(y in self._provisional for y in range(first.year, upto.year + 1))

    def is_provisional(self, d: date) -> bool:
        return d.year in self._provisional

    def is_working_day(self, d: date) -> Reckoning:
        return Reckoning(bool(self._is_work[self._index(d)]), self.is_provisional(d))

    def add(self, start: date, n: int) -> Reckoning:
        """The n-th working day after start (start itself not counted: a case accepted on a
        holiday starts counting on the next working day); n = 0 gives start; a negative n the
        |n|-th working day before start."""
        start = _as_date(start)
        i = self._index(start)
        if n == 0:
            return Reckoning(start, False)
        before = self._cumulative[i] - self._is_work[i]  # working days strictly before start
        k = self._cumulative[i] + n - 1 if n > 0 else before + n
        if not 0 <= k < len(self._working):
            beyond = date(self.years[-1] + 1, 1, 1) if n > 0 else date(self.years[0] - 1, 12, 31)
            raise CalendarRangeError(beyond, self.years)
        result = date.fromordinal(self._working[k])
        if n > 0:
            return Reckoning(result, self._rests_on_provisional(start, result))
        return Reckoning(result, self._rests_on_provisional(result - timedelta(days=1),
                                                            start - timedelta(days=1)))

    def between(self, start: date, end: date) -> Reckoning:
        """Working days d with start < d <= end (negative when end is before start), so that
        between(s, add(s, n).value).value == n for n >= 0."""
        start, end = _as_date(start), _as_date(end)
        count = self._cumulative[self._index(end)] - self._cumulative[self._index(start)]
        return Reckoning(count, self._rests_on_provisional(min(start, end), max(start, end)))

    # --- coverage -------------------------------------------------------------------------
    def status(self, today: date, warn_days: int = WARN_DAYS) -> CalendarStatus:
        """What is covered, and a warning when the official data that runs on from today ends
        within `warn_days` days (or today already lies in a provisional year)."""
        year = today.year
        if self.sources.get(year, PROVISIONAL) == PROVISIONAL:
            return CalendarStatus(today, dict(self.sources), None, True)
        while self.sources.get(year + 1, PROVISIONAL) != PROVISIONAL:
            year += 1
        until = date(year, 12, 31)
        return CalendarStatus(today, dict(self.sources), until, (until - today).days <= warn_days)


# --- the shipped official data ------------------------------------------------------------
@functools.cache
def shipped_arrangements() -> tuple[Arrangement, ...]:
    """One SHIPPED arrangement per year of data/holidays.csv."""
    days: dict[int, dict[date, bool]] = {}
    path = resources.files("anju.core").joinpath("data/holidays.csv")
    with path.open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            day = date.fromisoformat(row["date"])
            days.setdefault(day.year, {})[day] = row["kind"] == "workday"
    years = range(min(days), max(days) + 1)
    return tuple(Arrangement(y, SHIPPED, days.get(y, {})) for y in years)


def provisional(year: int) -> Arrangement:
    """A PROVISIONAL arrangement: the statutory holidays and their make-up days, no 调休."""
    from anju.core.statutory import provisional_holidays  # borax: loaded only when needed

    return Arrangement(year, PROVISIONAL, {d: False for d in provisional_holidays(year)})


@functools.cache
def shipped() -> Calendar:
    """The calendar of the shipped official data only (no provisional year)."""
    return Calendar(shipped_arrangements())


def covered_years() -> range:
    return shipped().years


def is_working_day(d: date) -> bool:
    return bool(shipped().is_working_day(d).value)


def add_working_days(start: date, n: int) -> date:
    """The n-th working day after start (start itself not counted); n = 0 returns start.
    A negative n gives the |n|-th working day before start. Shipped official data only."""
    return shipped().add(start, n).value  # type: ignore[return-value]


def working_days_between(start: date, end: date) -> int:
    """Working days d with start < d <= end (negative when end is before start), so that
    working_days_between(s, add_working_days(s, n)) == n for n >= 0."""
    return shipped().between(start, end).value  # type: ignore[return-value]


def _as_date(d: date) -> date:
    return date(d.year, d.month, d.day)  # a datetime passed in comes back as a plain date
