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
