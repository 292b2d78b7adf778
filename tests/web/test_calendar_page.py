"""The administrator's working-day calendar page: the years covered and which are provisional,
the warning before the official data runs out (also on the home page), the upload of a year
with every bad row named in the page's language, and nobody else may use it."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from anju.core import calendars, clock

SAMPLE = Path(__file__).resolve().parents[1] / "core" / "data" / "calendar_2027_sample.csv"


@pytest.fixture(autouse=True)
def _december_2026():
    clock.pin_today(date(2026, 12, 6))
    calendars.invalidate()
    yield
    calendars.invalidate()


def _upload(site, content: bytes, name: str = "2027.csv", **kw):
    token = site.csrf("/admin/calendar")
    return site.client.post("/admin/calendar", data={"csrf_token": token},
                            files={"file": (name, content, "text/csv")}, **kw)


def test_the_page_shows_the_years_and_warns_before_the_data_runs_out(site):
    site.login(site.world.admin.username)
    home = site.client.get("/")
    assert 'id="calendar-warning"' in home.text and "2026-12-31" in home.text
    assert 'href="/admin/calendar"' in home.text  # in the administrator's menu
    page = site.client.get("/admin/calendar")
    assert page.status_code == 200
    assert 'class="alert warning"' in page.text and "还剩25天" in page.text
    assert "2004–2024" in page.text and "官方（随软件提供）" in page.text
    assert page.text.count("<span class=\"warn\">推算（临时）</span>") == 2  # 2027 and 2028


def test_uploading_a_year_loads_it_and_the_page_says_so(site):
    site.login(site.world.admin.username)
    done = _upload(site, SAMPLE.read_bytes(), follow_redirects=False)
    assert done.status_code == 303
    assert done.headers["location"] == "/admin/calendar?done=created&year=2027"
    page = site.client.get(done.headers["location"])
    assert "2027 年的放假安排已载入。" in page.text
    assert "官方（本县载入）" in page.text and "2027.csv" in page.text
    assert "放假 28 天，调休上班 5 天" in page.text
    assert 'class="alert notice" role="status" id="calendar-status"' in page.text
    assert 'id="calendar-warning"' not in site.client.get("/").text
    again = _upload(site, SAMPLE.read_bytes(), follow_redirects=True)
    assert "相同，未作改动" in again.text


def test_a_bad_file_is_shown_row_by_row_in_the_page_language(site):
    site.login(site.world.admin.username)
    site.client.get("/lang/en")
    bad = SAMPLE.read_bytes().replace(b"2027-02-20,workday", b"2027-02-30,workday")
    page = _upload(site, bad)
    assert page.status_code == 422
    assert "1 row of the file is wrong; nothing was loaded" in page.text
    assert "<td data-label=\"Row\">12</td>" in page.text
    assert "cannot read the date &#39;2027-02-30&#39;" in page.text
    assert "Computed (provisional)" in page.text  # 2027 is still provisional
    with site.world.db.unit_of_work() as session:
        assert calendars.current(session).sources[2027] == "provisional"


def test_only_the_administrator_has_the_page(site):
    site.login(site.world.police.username)
    assert site.client.get("/admin/calendar").status_code == 403
    assert 'id="calendar-warning"' not in site.client.get("/").text
    refused = _upload_as(site)
    assert refused.status_code == 403


def _upload_as(site):
    token = site.csrf("/")
    return site.client.post("/admin/calendar", data={"csrf_token": token},
                            files={"file": ("2027.csv", SAMPLE.read_bytes(), "text/csv")})
