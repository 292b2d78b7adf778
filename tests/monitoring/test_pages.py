"""The demo county builds its statistics, so a leader's or analyst's home — the dashboard —
shows real figures; the API answers the issue's contract (JSON, CSV in GBK, Excel), exports are
audited, and refusals are bilingual JSON errors."""
from __future__ import annotations

import io
import re
from datetime import date

import openpyxl
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from anju.core.models import AuditRecord
from anju.demo.build import PASSWORD
from anju.monitoring.models import StatsBuild
from anju.registry.models import Registration
from anju.web.app import create_app
from tests.factories import token

REGISTERED = re.compile(r'id="kpi-registered">([^<]*)<')


@pytest.fixture(scope="module")
def client(county):
    db, _, _ = county
    with TestClient(create_app(db=db), base_url="http://localhost") as c:
        yield c


def _login(client: TestClient, username: str):
    client.cookies.clear()
    page = client.get("/login")
    csrf = re.search(r'name="csrf_token" value="([^"]*)"', page.text).group(1)
    done = client.post("/login", data={"username": username, "password": PASSWORD,
                                       "csrf_token": csrf, "next": "/"}, follow_redirects=False)
    assert done.status_code == 303, done.text


def _stock_on(db, day) -> int:
    """The truth, counted from the registry's own table."""
    with db.unit_of_work() as s:
        return s.execute(select(func.count()).select_from(Registration).where(
            Registration.status.in_(["approved", "ended"]), Registration.decided_at.is_not(None),
            Registration.start_date <= day,
            (Registration.end_date.is_(None)) | (Registration.end_date > day))).scalar_one()


def test_the_demo_county_comes_with_a_statistics_build(county):
    db, _, _ = county
    with db.unit_of_work() as s:
        first = s.execute(select(StatsBuild).order_by(StatsBuild.id).limit(1)).scalar_one()
    assert (first.status, first.started_by) == ("done", "job:monitoring.nightly")
    assert first.summary["cells"] > 1000


@pytest.mark.parametrize("username", ["leader", "analyst"])
def test_the_home_of_leaders_and_analysts_is_the_dashboard_with_real_figures(county, client,
                                                                             username):
    db, _, built = county
    _login(client, username)
    home = client.get("/", follow_redirects=False)
    assert (home.status_code, home.headers["location"]) == (303, "/stats")
    page = client.get("/stats")
    assert page.status_code == 200
    shown = REGISTERED.search(page.text).group(1).strip()
    on = re.search(r'id="kpi-registered-date">(\d{4}-\d{2}-\d{2}) ', page.text)
    day = date.fromisoformat(on.group(1)) if on else built.as_of  # as-of withheld: a month-end
    truth = _stock_on(db, day)
    assert truth > 500 and shown == str(truth)
    # the townships of the county on the map and in its table, with their released figures
    rows = re.findall(r'<tr><td><a href="/stats\?division=(\d{12})">([^<]+)</a></td>\s*'
                      r'<td>([^<]+)</td>', page.text)
    assert len(rows) >= 10 and "雉城街道" in {name for _, name, _ in rows}
    assert sum(int(n) for _, _, n in rows if n.isdigit()) > 0.8 * truth
    assert 'id="stats-tiles"' in page.text and "示意" in page.text  # labelled a schematic
    # drill down to a township, then a village list
    town = client.get(f"/stats?division={rows[0][0]}")
    assert town.status_code == 200 and rows[0][1] in town.text


def test_a_grid_worker_sees_their_township_and_nothing_outside(county, client):
    _login(client, "grid")
    page = client.get("/stats")
    assert page.status_code == 200
    code = re.search(r'id="stats-division" data-code="(\d{12})"', page.text).group(1)
    assert code != "330522000000" and code.startswith("330522")
    elsewhere = "330522101000" if code != "330522101000" else "330522001000"
    assert client.get(f"/stats?division={elsewhere}").status_code == 404


def test_the_api_answers_the_contract_and_exports_are_audited(county, client):
    db, _, built = county
    client.cookies.clear()
    headers = token(client, "analyst", PASSWORD)
    answer = client.get("/api/v1/stats/stock?level=township&by=sex", headers=headers)
    assert answer.status_code == 200
    body = answer.json()
    assert {"level", "date", "by", "cells", "released_at"} <= set(body)
    assert body["date"] == built.as_of.isoformat()
    for cell in body["cells"]:
        assert set(cell) == {"division_code", "division_name", "key", "count", "suppressed"}
        assert (cell["count"] is None) == cell["suppressed"]
        assert cell["count"] is None or cell["count"] == 0 or cell["count"] >= 16
    with db.unit_of_work() as s:
        before = s.execute(select(func.count()).select_from(AuditRecord)).scalar_one()
    gbk = client.get("/api/v1/stats/stock?level=township&format=csv&encoding=gbk",
                     headers=headers)
    assert gbk.status_code == 200
    text = gbk.content.decode("gbk")
    assert "雉城街道" in text and len(text.strip().splitlines()) >= 10
    xlsx = client.get("/api/v1/stats/flows?level=township&freq=month&format=xlsx",
                      headers=headers)
    assert xlsx.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet.max_row > 10
    with db.unit_of_work() as s:
        after = s.execute(select(func.count()).select_from(AuditRecord)).scalar_one()
    assert after - before == 2  # one entry per export, none for the JSON read


def test_refusals_are_bilingual_json(client):
    client.cookies.clear()
    resident = token(client, "resident", PASSWORD)
    refused = client.get("/api/v1/stats/stock?level=county", headers=resident)
    assert refused.status_code == 403
    assert {"code", "message_zh", "message_en"} <= set(refused.json()["error"])
    grid = token(client, "grid", PASSWORD)
    for path in ("/api/v1/stats/forecast?division_code=330522000000",
                 "/api/v1/stats/stock?level=village&division_code=999999999999",
                 "/api/v1/stats/stock?level=planet", "/api/v1/stats/od?origin_level=x"):
        answer = client.get(path, headers=grid)
        assert answer.status_code in (404, 422), path
        assert answer.json()["error"]["message_zh"], path


def test_the_demo_dashboard_has_eligibility_figures_for_the_share_notified(county, client):
    """The demo build runs the eligibility job before its statistics build, so the KPI is
    computed from released counts (a figure, or withheld where the counts are too small in this
    1,500-person county) rather than "no data yet"."""
    from anju.monitoring.service.derived import UNAVAILABLE

    client.cookies.clear()
    answer = client.get("/api/v1/stats/kpis", headers=token(client, "leader", PASSWORD))
    assert answer.status_code == 200
    notified = {k["name"]: k for k in answer.json()["kpis"]}["notified"]
    if notified["value"] is None:
        assert notified["reason_en"] == UNAVAILABLE["withheld"][1], notified
    else:
        assert 0 < notified["value"] <= 1
