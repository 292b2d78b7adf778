"""The statutory public holidays of a year, by the State Council's 《全国年节及纪念日放假办法》.

Used to compute a *provisional* year (`anju.core.workdays`) until the county loads the official
arrangement (which adds the 调休 working weekends and moves days around; no one can guess
those). Lunar dates and the Qingming solar term come from `borax` (MIT, pure Python, tables for
1900–2100), never from hand-written astronomy.

The rules changed twice since 2008; each year is computed under the rules in force then, so the
computation can be checked against every official year we ship:

| in force | Spring Festival            | Labour Day |
|----------|----------------------------|------------|
| 2008     | 除夕, 初一, 初二            | May 1      |
| 2014     | 初一, 初二, 初三            | May 1      |
| 2025     | 除夕, 初一, 初二, 初三      | May 1–2    |

(New Year Jan 1, Qingming on its solar term, Dragon Boat 五月初五, Mid-Autumn 八月十五 and
National Day Oct 1–3 are the same throughout.)
"""
from __future__ import annotations

from datetime import date, timedelta

from borax.calendars.lunardate import LunarDate, TermUtils

FIRST_YEAR = 2008  # the rules below hold from here on

NEW_YEAR = ("元旦", "New Year's Day")
SPRING = ("春节", "Spring Festival")
QINGMING = ("清明节", "Tomb-sweeping Day")
LABOUR = ("劳动节", "Labour Day")
DRAGON_BOAT = ("端午节", "Dragon Boat Festival")
MID_AUTUMN = ("中秋节", "Mid-autumn Festival")
NATIONAL = ("国庆节", "National Day")


def _lunar(year: int, month: int, day: int) -> date:
    return LunarDate(year, month, day).to_solar_date()


def statutory_holidays(year: int) -> dict[date, tuple[str, str]]:
    """Every statutory holiday day of `year` → (name_zh, name_en). Weekend days count too: the
    rules name days, not working days."""
    if not FIRST_YEAR <= year <= 2099:
        raise ValueError(f"statutory holidays are computed for {FIRST_YEAR}-2099, not {year}")
    days: dict[date, tuple[str, str]] = {date(year, 1, 1): NEW_YEAR}
    first = _lunar(year, 1, 1)  # 正月初一
    spring = {
        2008: (-1, 0, 1),  # 除夕 = the day before 初一 (the 29th or the 30th of the 12th month)
        2014: (0, 1, 2),
        2025: (-1, 0, 1, 2),
    }[2025 if year >= 2025 else 2014 if year >= 2014 else 2008]
    days.update({first + timedelta(days=i): SPRING for i in spring})
    days[TermUtils.nth_term_day(year, term_name="清明")] = QINGMING
    days[date(year, 5, 1)] = LABOUR
    if year >= 2025:
        days[date(year, 5, 2)] = LABOUR
    days[_lunar(year, 5, 5)] = DRAGON_BOAT
    days[_lunar(year, 8, 15)] = MID_AUTUMN
    days.update({date(year, 10, d): NATIONAL for d in (1, 2, 3)})
    return dict(sorted(days.items()))


MAKE_UP = ("补假", "make-up day")


def provisional_holidays(year: int) -> dict[date, tuple[str, str]]:
    """The non-working days a year is sure to have before its official arrangement is out: the
    statutory holidays, plus a make-up day (补假) for each statutory day that falls on a Saturday
    or Sunday — the 办法 (art. 6) owes it on a working day; we place it on the first working
    days after the holiday, where the State Council has put it almost every year. No 调休
    working weekend is guessed."""
    days = statutory_holidays(year)
    for period in _periods(sorted(days)):
        owed, day = sum(1 for d in period if d.weekday() >= 5), period[-1]
        name_zh, name_en = days[period[0]]
        while owed:
            day += timedelta(days=1)
            if day.weekday() < 5 and day not in days:
                days[day] = (f"{name_zh}（{MAKE_UP[0]}）", f"{name_en} ({MAKE_UP[1]})")
                owed -= 1
    return dict(sorted(days.items()))


def _periods(days: list[date]) -> list[list[date]]:
    """Statutory days grouped into holiday periods (days apart only by a weekend go together)."""
    periods: list[list[date]] = []
    for day in days:
        if periods:
            last = periods[-1][-1]
            between = (last + timedelta(days=i) for i in range(1, (day - last).days))
            if all(d.weekday() >= 5 for d in between):
                periods[-1].append(day)
                continue
        periods.append([day])
    return periods
