import csv
import subprocess
import sys
from datetime import date, datetime, timedelta
from importlib import resources

import pytest

from anju.core import workdays as wd
from anju.core.errors import AnjuError


def test_covered_years():
    assert wd.covered_years() == range(2004, 2027)


def test_fifteen_working_days_across_national_day_2026():
    # a naive Monday-Friday count gives 2026-10-19; the holiday week and 调休 move it
    assert wd.add_working_days(date(2026, 9, 28), 15) == date(2026, 10, 23)
    assert wd.working_days_between(date(2026, 9, 28), date(2026, 10, 23)) == 15


def test_adjusted_working_weekend_counts():
    sunday = date(2026, 9, 20)  # 调休: worked for the National Day holiday
    assert sunday.weekday() == 6 and wd.is_working_day(sunday)
    assert wd.add_working_days(date(2026, 9, 19), 1) == sunday
    saturday = date(2026, 10, 10)
    assert saturday.weekday() == 5 and wd.is_working_day(saturday)


def test_holidays_and_weekends_are_not_working_days():
    assert not wd.is_working_day(date(2026, 10, 1))  # National Day (Thursday)
    assert not wd.is_working_day(date(2026, 2, 17))  # Spring Festival (Tuesday)
    assert not wd.is_working_day(date(2026, 3, 7))  # ordinary Saturday
    assert wd.is_working_day(date(2026, 3, 9))  # ordinary Monday


def test_add_zero_and_negative():
    assert wd.add_working_days(date(2026, 10, 3), 0) == date(2026, 10, 3)
    assert wd.add_working_days(date(2026, 3, 11), -1) == date(2026, 3, 10)
    assert wd.add_working_days(date(2026, 3, 9), -1) == date(2026, 3, 6)  # Monday -> Friday
    assert wd.add_working_days(date(2026, 10, 8), -1) == date(2026, 9, 30)  # over the holiday
    assert wd.add_working_days(date(2026, 10, 4), -1) == date(2026, 9, 30)  # from inside it


def test_start_on_a_holiday_is_not_counted():
    assert wd.add_working_days(date(2026, 10, 1), 1) == date(2026, 10, 8)


def test_accepts_datetime():
    assert wd.is_working_day(datetime(2026, 3, 9, 15, 30))
    assert wd.add_working_days(datetime(2026, 3, 9, 15, 30), 0) == date(2026, 3, 9)


@pytest.mark.parametrize("start", [date(2004, 1, 1), date(2015, 6, 30), date(2026, 9, 19)])
def test_between_inverts_add(start):
    for n in range(60):
        assert wd.working_days_between(start, wd.add_working_days(start, n)) == n


def test_between_is_antisymmetric():
    a, b = date(2026, 1, 1), date(2026, 12, 31)
    assert wd.working_days_between(a, b) == -wd.working_days_between(b, a) > 240
    assert wd.working_days_between(a, a) == 0


@pytest.mark.parametrize("call", [
    lambda: wd.is_working_day(date(2027, 1, 4)),
    lambda: wd.is_working_day(date(2003, 12, 31)),
    lambda: wd.add_working_days(date(2027, 1, 1), 1),
    lambda: wd.add_working_days(date(2026, 12, 20), 30),  # runs off the end of the data
    lambda: wd.add_working_days(date(2004, 1, 5), -5),  # runs off the start
    lambda: wd.working_days_between(date(2026, 12, 1), date(2027, 1, 10)),
])
def test_out_of_range_fails_loudly(call):
    with pytest.raises(wd.CalendarRangeError) as exc:
        call()
    err = exc.value
    assert isinstance(err, AnjuError)
    assert err.code == "calendar_out_of_range"
    assert "2004" in err.message_zh and "2026" in err.message_zh
    assert "2004" in err.message_en and "2026" in err.message_en


def test_last_covered_day_works():
    assert wd.is_working_day(date(2026, 12, 31))
    assert wd.add_working_days(date(2026, 12, 30), 1) == date(2026, 12, 31)


def test_holiday_file_shape():
    path = resources.files("anju.core").joinpath("data/holidays.csv")
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert set(rows[0]) == {"date", "kind", "name", "name_zh"}
    dates = [r["date"] for r in rows]
    assert len(dates) == len(set(dates)) and dates == sorted(dates)
    assert {r["kind"] for r in rows} == {"holiday", "workday"}
    for r in rows:
        if r["kind"] == "workday":  # adjusted working days are always weekend days
            assert date.fromisoformat(r["date"]).weekday() >= 5


def test_runtime_does_not_import_chinese_calendar():
    code = ("import sys, datetime; from anju.core import workdays as w; "
            "w.is_working_day(datetime.date(2026, 1, 5)); "
            "assert 'chinese_calendar' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_matches_chinese_calendar_every_day():
    chinese_calendar = pytest.importorskip("chinese_calendar")
    day, mismatches = date(2004, 1, 1), []
    while day <= date(2026, 12, 31):
        if wd.is_working_day(day) != chinese_calendar.is_workday(day):
            mismatches.append(day)
        day += timedelta(days=1)
    assert mismatches == []


def test_matches_chinese_calendar_2024_to_2026_counts():
    chinese_calendar = pytest.importorskip("chinese_calendar")
    for year in (2024, 2025, 2026):
        first, last = date(year, 1, 1), date(year, 12, 31)
        expected = len(chinese_calendar.get_workdays(first, last))
        assert wd.working_days_between(first - timedelta(days=1), last) == expected


# --- calendars with provisional years (anju.core.workdays.Calendar) ------------------------------
def _with_provisional(through: int = 2028) -> wd.Calendar:
    return wd.Calendar([*wd.shipped_arrangements(),
                        *(wd.provisional(y) for y in range(2027, through + 1))])


def test_spring_festival_2026_with_its_adjusted_working_weekends():
    # 2026: holiday Feb 15–23, working Saturday Feb 14 and Saturday Feb 28 (调休)
    cal = wd.shipped()
    assert cal.is_working_day(date(2026, 2, 14)) == (True, False)  # a Saturday, worked
    assert cal.is_working_day(date(2026, 2, 28)) == (True, False)
    assert not any(cal.is_working_day(date(2026, 2, d)).value for d in range(15, 24))
    # accepted Friday Feb 13: day 1 is the working Saturday, then nothing until Feb 24
    assert cal.add(date(2026, 2, 13), 1) == (date(2026, 2, 14), False)
    assert cal.add(date(2026, 2, 13), 2) == (date(2026, 2, 24), False)
    # fifteen working days: a Monday-Friday count would give Mar 6
    assert cal.add(date(2026, 2, 13), 15) == (date(2026, 3, 12), False)
    assert cal.between(date(2026, 2, 13), date(2026, 3, 12)) == (15, False)


def test_national_day_2025_with_its_adjusted_working_weekends():
    # 2025: holiday Oct 1–8 (National Day and Mid-Autumn), working Sunday Sep 28, Saturday Oct 11
    cal = wd.shipped()
    assert cal.is_working_day(date(2025, 9, 28)).value and date(2025, 9, 28).weekday() == 6
    assert cal.is_working_day(date(2025, 10, 11)).value and date(2025, 10, 11).weekday() == 5
    assert cal.add(date(2025, 9, 27), 1).value == date(2025, 9, 28)
    assert cal.add(date(2025, 9, 30), 1).value == date(2025, 10, 9)
    assert cal.add(date(2025, 9, 30), 3).value == date(2025, 10, 11)  # the working Saturday


def test_acceptance_on_a_holiday_does_not_count_that_day():
    cal = wd.shipped()
    for accepted in (date(2024, 10, 1), date(2024, 10, 3), date(2024, 10, 7)):
        assert cal.add(accepted, 1).value == date(2024, 10, 8)  # the first day after the week
    # Oct 8–11, the working Saturday Oct 12, then two weeks
    assert cal.add(date(2024, 10, 1), 15).value == date(2024, 10, 25)
    assert cal.add(date(2024, 9, 30), 1).value == date(2024, 10, 8)  # accepted the day before


def test_official_years_are_never_provisional():
    cal = _with_provisional()
    for start in (date(2020, 1, 2), date(2023, 9, 28), date(2026, 3, 2)):
        assert cal.add(start, 200) == (wd.add_working_days(start, 200), False)
    assert cal.sources[2026] == wd.SHIPPED and cal.sources[2027] == wd.PROVISIONAL


def test_a_deadline_reaching_into_a_provisional_year_says_so():
    cal = _with_provisional()
    due, provisional = cal.add(date(2026, 12, 21), 15)
    assert provisional and due.year == 2027
    # Dec 22–31 give 8 working days; Jan 1 2027 (Friday) is New Year's Day
    assert due == date(2027, 1, 12)
    assert cal.add(date(2026, 12, 21), 7) == (date(2026, 12, 30), False)  # still official
    assert cal.between(date(2026, 12, 21), date(2027, 1, 12)) == (15, True)
    assert cal.between(date(2026, 12, 1), date(2026, 12, 31)).provisional is False
    assert cal.is_working_day(date(2027, 1, 4)) == (True, True)
    assert cal.add(date(2027, 3, 1), -45).provisional  # counting back through 2027 too
    assert cal.add(date(2026, 12, 31), 0) == (date(2026, 12, 31), False)


def test_provisional_2027_has_the_statutory_holidays_and_make_up_days():
    cal = _with_provisional()
    off = [date(2027, 1, 1), date(2027, 2, 5), date(2027, 2, 8), date(2027, 4, 5),
           date(2027, 6, 9), date(2027, 9, 15), date(2027, 10, 1)]
    for day in off:
        assert cal.is_working_day(day) == (False, True), day
    # 初一 and 初二 fall on the weekend: two make-up days follow the festival (办法 art. 6)
    assert not cal.is_working_day(date(2027, 2, 9)).value
    assert not cal.is_working_day(date(2027, 2, 10)).value
    assert cal.is_working_day(date(2027, 2, 11)).value
    # no 调休 working weekend is guessed
    assert all(not cal.is_working_day(d).value for d in _weekends(2027))
    # accepted the day before the Spring Festival: 除夕 through the make-up days are off
    assert cal.add(date(2027, 2, 4), 1) == (date(2027, 2, 11), True)


def _weekends(year: int) -> list[date]:
    day, out = date(year, 1, 1), []
    while day.year == year:
        if day.weekday() >= 5:
            out.append(day)
        day += timedelta(days=1)
    return out


def test_a_loaded_year_replaces_the_provisional_one():
    loaded = wd.Arrangement(2027, wd.LOADED, {
        **{date(2027, 2, d): False for d in range(5, 13)}, date(2027, 2, 20): True})
    cal = wd.Calendar([*wd.shipped_arrangements(), loaded, wd.provisional(2028)])
    assert cal.is_working_day(date(2027, 2, 20)) == (True, False)  # the 调休 Saturday
    assert cal.is_working_day(date(2027, 2, 11)) == (False, False)
    assert cal.add(date(2026, 12, 21), 15).provisional is False
    assert cal.add(date(2027, 12, 20), 15).provisional is True  # into 2028


def test_a_calendar_needs_every_year():
    with pytest.raises(ValueError):
        wd.Calendar([*wd.shipped_arrangements(), wd.provisional(2028)])
    with pytest.raises(ValueError):  # a year's days outside it
        wd.Arrangement(2027, wd.LOADED, {date(2027, 12, 31): False, date(2028, 1, 1): False})


def test_status_warns_sixty_days_before_the_official_data_runs_out():
    cal = _with_provisional(2029)
    calm = cal.status(date(2026, 10, 31))
    assert not calm.warning and calm.official_until == date(2026, 12, 31)
    assert calm.days_left == 61
    near = cal.status(date(2026, 11, 1))
    assert near.warning and near.days_left == 60
    assert "2026-12-31" in near.message_zh and "2027" in near.message_en
    late = cal.status(date(2027, 1, 5))
    assert late.warning and late.official_until is None and late.days_left is None
    assert "2027" in late.message_zh and "provisional" in late.message_en
    assert late.provisional_years == (2027, 2028, 2029)
    assert not cal.status(date(2026, 6, 30)).warning


# --- the statutory holidays against the official data -------------------------------------------
@pytest.mark.parametrize("year", range(2008, 2027))
def test_every_statutory_holiday_is_off_in_the_official_data(year):
    from anju.core.statutory import statutory_holidays

    working = [d for d in statutory_holidays(year) if wd.is_working_day(d)]
    assert working == []


@pytest.mark.parametrize("year", range(2016, 2027))
def test_provisional_days_off_are_off_in_the_official_data(year):
    """Make-up days included. (In 2015 the make-up day for Mid-Autumn on Sunday Sep 27 was
    folded into the National Day week instead: placement is the State Council's choice.)"""
    provisional = wd.provisional(year)
    assert [d for d in provisional.days if wd.is_working_day(d)] == []


def test_statutory_rules_follow_their_revisions():
    from anju.core.statutory import statutory_holidays

    spring_2024 = [d for d, (zh, _) in statutory_holidays(2024).items() if zh == "春节"]
    spring_2025 = [d for d, (zh, _) in statutory_holidays(2025).items() if zh == "春节"]
    assert spring_2024 == [date(2024, 2, 10), date(2024, 2, 11), date(2024, 2, 12)]  # 初一–初三
    assert spring_2025 == [date(2025, 1, 28), date(2025, 1, 29), date(2025, 1, 30),
                           date(2025, 1, 31)]  # 除夕 + 初一–初三 (2024 revision)
    assert date(2025, 5, 2) in statutory_holidays(2025)
    assert date(2024, 5, 2) not in statutory_holidays(2024)
    assert len(statutory_holidays(2027)) == 13


# The State Council's notices, 2020–2026: (first day off, last day off, adjusted working days).
SPRING_FESTIVAL = {
    2020: ("2020-01-24", "2020-02-02", ["2020-01-19"]),  # extended to Feb 2 (epidemic)
    2021: ("2021-02-11", "2021-02-17", ["2021-02-07", "2021-02-20"]),
    2022: ("2022-01-31", "2022-02-06", ["2022-01-29", "2022-01-30"]),
    2023: ("2023-01-21", "2023-01-27", ["2023-01-28", "2023-01-29"]),
    2024: ("2024-02-10", "2024-02-17", ["2024-02-04", "2024-02-18"]),
    2025: ("2025-01-28", "2025-02-04", ["2025-01-26", "2025-02-08"]),
    2026: ("2026-02-15", "2026-02-23", ["2026-02-14", "2026-02-28"]),
}
NATIONAL_DAY = {
    2020: ("2020-10-01", "2020-10-08", ["2020-09-27", "2020-10-10"]),
    2021: ("2021-10-01", "2021-10-07", ["2021-09-26", "2021-10-09"]),
    2022: ("2022-10-01", "2022-10-07", ["2022-10-08", "2022-10-09"]),
    2023: ("2023-09-29", "2023-10-06", ["2023-10-07", "2023-10-08"]),  # with Mid-Autumn
    2024: ("2024-10-01", "2024-10-07", ["2024-09-29", "2024-10-12"]),
    2025: ("2025-10-01", "2025-10-08", ["2025-09-28", "2025-10-11"]),  # with Mid-Autumn
    2026: ("2026-10-01", "2026-10-07", ["2026-09-20", "2026-10-10"]),
}


@pytest.mark.parametrize("first, last, working", [*SPRING_FESTIVAL.values(),
                                                  *NATIONAL_DAY.values()])
def test_the_long_holidays_of_2020_to_2026(first, last, working):
    cal = wd.shipped()
    first, last = date.fromisoformat(first), date.fromisoformat(last)
    working = [date.fromisoformat(d) for d in working]
    day = first
    while day <= last:
        assert cal.is_working_day(day) == (False, False), day
        day += timedelta(days=1)
    for adjusted in working:  # 调休: weekend days worked
        assert adjusted.weekday() >= 5 and cal.is_working_day(adjusted) == (True, False)
    # accepted on the first day off: the clock starts on the first working day after the holiday
    after = last + timedelta(days=1)
    while after.weekday() >= 5 and after not in working:
        after += timedelta(days=1)
    assert cal.add(first, 1) == (after, False)
    # the whole holiday counts for nothing; each working weekend counts one
    before = first - timedelta(days=1)
    span = cal.between(before, last + timedelta(days=7)).value
    weekdays_after = sum(1 for i in range(1, 8) if (last + timedelta(days=i)).weekday() < 5)
    assert span == weekdays_after + sum(1 for d in working if before < d <= last
                                        + timedelta(days=7))
