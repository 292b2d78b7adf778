"""ANJU_TODAY pins the county's date in development, test and training: every date the
services compute follows it; a test's pin_today still wins; production refuses it."""
from __future__ import annotations

import subprocess
import sys
from datetime import date, datetime

import pytest

from anju.core import calendars, clock, idnumber
from anju.core.config import reset_settings_cache
from anju.core.errors import ValidationError
from tests.factories import valid_id


@pytest.fixture
def pinned(monkeypatch):
    monkeypatch.setenv("ANJU_TODAY", "2020-06-01")
    reset_settings_cache()


def test_today_follows_the_setting(pinned):
    assert clock.today() == date(2020, 6, 1)
    clock.pin_today(date(2030, 1, 1))  # a test's own pin wins
    assert clock.today() == date(2030, 1, 1)
    clock.pin_today(None)
    assert clock.today() == date(2020, 6, 1)


def test_without_the_setting_today_is_the_date_in_china():
    assert clock.today() == datetime.now(clock.CST).date()


def test_dates_the_services_compute_follow_it(pinned, sqlite_db):
    born_2021 = valid_id("341221", date(2021, 3, 5))
    with pytest.raises(ValidationError) as future:  # not born yet on the pinned date
        idnumber.parse_id_number(born_2021)
    assert future.value.code == "id_birth_date"
    with sqlite_db.unit_of_work() as session:
        status = calendars.calendar_status(session)
    assert status.today == date(2020, 6, 1) and not status.warning  # 2026 is far off then


def test_production_refuses_to_start_with_it():
    code = "from anju.core.config import get_settings; get_settings()"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False,
                          env={"ANJU_ENVIRONMENT": "production", "ANJU_SECRET_KEY": "x" * 40,
                               "ANJU_TODAY": "2027-01-04", "PATH": "/usr/bin:/bin",
                               "PYTHONPATH": ":".join(sys.path)})
    assert done.returncode != 0 and "ANJU_TODAY" in done.stderr
