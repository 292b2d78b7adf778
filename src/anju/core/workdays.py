"""Chinese official working days (法定节假日 and 调休), for service deadlines.

Reads only data/holidays.csv (built by scripts/refresh_holidays.py from chinese-calendar).
Outside the covered years there is no way to know the holidays, so every function raises
CalendarRangeError rather than guessing with a Monday-Friday rule.
"""

from __future__ import annotations

import csv
import functools
from dataclasses import dataclass
from datetime import date
from importlib import resources

from anju.core.errors import AnjuError


class CalendarRangeError(AnjuError):
    def __init__(self, day: date, years: range):
        first, last = years[0], years[-1]
        super().__init__(
            "calendar_out_of_range",
            f"工作日历仅覆盖{first}–{last}年，无法判断{day.isoformat()}是否为工作日；请更新节假日数据",
            f"the working-day calendar covers {first}-{last} only; cannot tell whether "
            f"{day.isoformat()} is a working day (refresh the holiday data)",
        )


@dataclass(frozen=True, slots=True)
class _Calendar:
    years: range
    first_ordinal: int
    is_work: bytes  # 1 per day of the covered range
    cumulative: tuple[int, ...]  # working days from the first covered day up to and including i
    working: tuple[int, ...]  # ordinals of all working days, ascending


@functools.cache
def _calendar() -> _Calendar:
    special: dict[date, bool] = {}
    path = resources.files("anju.core").joinpath("data/holidays.csv")
    with path.open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            special[date.fromisoformat(row["date"])] = row["kind"] == "workday"
    years = range(min(special).year, max(special).year + 1)
    start, end = date(years[0], 1, 1).toordinal(), date(years[-1], 12, 31).toordinal()
    flags, cumulative, working, count = bytearray(), [], [], 0
    for ordinal in range(start, end + 1):
        d = date.fromordinal(ordinal)
        work = special.get(d, d.weekday() < 5)
        flags.append(work)
        if work:
            count += 1
            working.append(ordinal)
        cumulative.append(count)
    return _Calendar(years, start, bytes(flags), tuple(cumulative), tuple(working))


def covered_years() -> range:
    return _calendar().years


def _index(d: date) -> int:
    cal = _calendar()
    i = d.toordinal() - cal.first_ordinal
    if not 0 <= i < len(cal.is_work):
        raise CalendarRangeError(d, cal.years)
    return i


def is_working_day(d: date) -> bool:
    return bool(_calendar().is_work[_index(d)])


def add_working_days(start: date, n: int) -> date:
    """The n-th working day after start (start itself not counted); n = 0 returns start.
    A negative n gives the |n|-th working day before start."""
    cal = _calendar()
    i = _index(start)
    if n == 0:
        return _as_date(start)
    before = cal.cumulative[i] - cal.is_work[i]  # working days strictly before start
    k = cal.cumulative[i] + n - 1 if n > 0 else before + n
    if not 0 <= k < len(cal.working):
        beyond = date(cal.years[-1] + 1, 1, 1) if n > 0 else date(cal.years[0] - 1, 12, 31)
        raise CalendarRangeError(beyond, cal.years)
    return date.fromordinal(cal.working[k])


def working_days_between(start: date, end: date) -> int:
    """Working days d with start < d <= end (negative when end is before start), so that
    working_days_between(s, add_working_days(s, n)) == n for n >= 0."""
    cal = _calendar()
    return cal.cumulative[_index(end)] - cal.cumulative[_index(start)]


def _as_date(d: date) -> date:
    return date(d.year, d.month, d.day)  # a datetime passed in comes back as a plain date
