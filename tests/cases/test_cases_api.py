"""Cases over the real app: the JSON contract of issue 9 (201 on opening, the case's fields,
409 naming the state, field-level 422s, the queue's total) and the pages — the resident's "my
cases" with its timeline, the officer's queue and case page, the window clerk opening a case
with consent, the supervisor's overdue view."""
from __future__ import annotations

import re
from datetime import date

import pytest
from fastapi.testclient import TestClient

from anju.cases.service.sweep import sweep
from anju.core import clock
from anju.core.crypto import id_cipher
from anju.core.identity import job_actor
from anju.web.app import create_app
from tests.cases.core_support import build_county, open_transfer
from tests.factories import PASSWORD, token

CSRF = re.compile(r'name="csrf_token" value="([^"]*)"')


@pytest.fixture
def site(sqlite_db):
    county = build_county(sqlite_db)
    with TestClient(create_app(db=sqlite_db), base_url="http://localhost") as client:
        yield county, client


def _login(client, username: str) -> None:
    client.cookies.clear()
    csrf = CSRF.search(client.get("/login").text).group(1)
    answer = client.post("/login", data={"username": username, "password": PASSWORD,
                                         "csrf_token": csrf, "next": "/"},
                         follow_redirects=False)
    assert answer.status_code == 303


def _post(client, path: str, page: str, data: dict):
    csrf = CSRF.search(client.get(page).text).group(1)
    return client.post(path, data={**data, "csrf_token": csrf}, follow_redirects=False)


def test_the_api_contract_from_opening_to_decision(site):
    county, client = site
    clock.pin_today(date(2026, 3, 2))
    resident = token(client, county.resident.username)
    officer = token(client, county.renshe.username)
    bad = client.post("/api/v1/cases", headers=resident, json={
        "service_code": "social_insurance_transfer", "form": {}})
    assert bad.status_code == 422
    assert bad.json()["error"]["field"] == "form.from_province"
    assert bad.json()["error"]["message_zh"] and bad.json()["error"]["message_en"]
    opened = client.post("/api/v1/cases", headers=resident, json={
        "service_code": "social_insurance_transfer", "form": {"from_province": "安徽省"}})
    assert opened.status_code == 201 and opened.json()["status"] == "submitted"
    case_id = opened.json()["case_id"]
    early = client.post(f"/api/v1/cases/{case_id}/decide", headers=officer,
                        json={"decision": "approved"})
    assert early.status_code == 409 and "已提交" in early.json()["error"]["message_zh"]
    assert client.post(f"/api/v1/cases/{case_id}/accept", headers=resident).status_code == 403
    assert client.post(f"/api/v1/cases/{case_id}/accept", headers=officer).status_code == 200
    body = client.get(f"/api/v1/cases/{case_id}", headers=resident).json()
    assert {"case_id", "service_code", "status", "accepted_on", "due_date", "working_days_left",
            "paused_working_days", "warning", "provisional_calendar", "evidence",
            "history"} <= set(body)
    assert body["due_date"] == "2026-03-23" and body["working_days_left"] == 15
    assert body["history"][-1]["action"] == "accept"
    assert body["history"][-1]["by_role"] == "dept_officer"
    assert {"item", "source", "supplied_by_applicant"} <= set(body["evidence"][0])
    queue = client.get("/api/v1/cases/queue", headers=officer)
    assert queue.status_code == 200 and queue.headers["X-Total-Count"] == "1"
    assert queue.json()[0]["applicant_name"].endswith("*")
    assert client.get("/api/v1/cases/queue?warning=blue", headers=officer).status_code == 422
    mine = client.get("/api/v1/me/cases", headers=resident).json()
    assert [c["case_id"] for c in mine] == [case_id]
    assert client.post(f"/api/v1/cases/{case_id}/transfer", headers=officer,
                       json={"department": "moon"}).status_code == 422
    assert client.get("/api/v1/cases/999999", headers=officer).status_code == 404


def test_a_provisional_due_date_says_so_on_the_pages(site):
    from anju.cases.service import cases

    county, client = site
    case_id = open_transfer(county, on=date(2026, 12, 21))
    with county.db.unit_of_work() as s:
        cases.accept(s, county.renshe, case_id)
    _login(client, county.resident.username)
    page = client.get(f"/cases/{case_id}").text
    assert "2027-01-12" in page and "推算日历" in page
    assert "推算" in client.get("/me/cases").text


def test_resident_and_officer_pages(site):
    county, client = site
    case_id = open_transfer(county)
    _login(client, county.renshe.username)
    queue = client.get("/cases/queue")
    assert queue.status_code == 200 and f"/cases/{case_id}" in queue.text
    answer = _post(client, f"/cases/{case_id}/accept", f"/cases/{case_id}", {})
    assert answer.status_code == 303
    answer = _post(client, f"/cases/{case_id}/request-supplement", f"/cases/{case_id}",
                   {"reason": "请补充转出地参保凭证"})
    assert answer.status_code == 303
    # a second request from the supplement state: refused on the page, naming the state
    refused = _post(client, f"/cases/{case_id}/request-supplement", f"/cases/{case_id}",
                    {"reason": "再次补正"})
    assert refused.status_code == 409 and "待补正" in refused.text
    _login(client, county.resident.username)
    mine = client.get("/me/cases")
    assert mine.status_code == 200 and "社会保险关系转移接续" in mine.text
    page = client.get(f"/cases/{case_id}")
    assert "请补充转出地参保凭证" in page.text and "要求补正" in page.text
    answer = _post(client, f"/cases/{case_id}/supplement", f"/cases/{case_id}",
                   {"form.from_province": "安徽省合肥市", "note": "已补"})
    assert answer.status_code == 303
    page = client.get(f"/cases/{case_id}?done=supply").text
    assert "安徽省合肥市" in page and "补正材料" in page
    english = client.get(f"/lang/en?next=/cases/{case_id}", follow_redirects=True).text
    assert "Supplement requested" in english and "Transfer of social insurance" in english


def test_the_window_clerk_finds_the_person_and_opens_a_case_with_consent(site):
    county, client = site
    from sqlalchemy import select

    from anju.registry.models import Person

    with county.db.unit_of_work() as s:
        cipher = s.execute(select(Person.id_cipher).where(
            Person.person_code == county.resident.person_code)).scalar()
    number = id_cipher().decrypt(cipher)
    _login(client, county.clerk.username)
    found = _post(client, "/window/find", "/window", {"id_number": number})
    assert found.status_code == 200 and county.resident.person_code in found.text
    form = client.get(f"/window?person={county.resident.person_code}"
                      "&service=social_insurance_transfer")
    assert "转出省份" in form.text
    no_consent = _post(client, "/window/open", "/window", {
        "person_code": county.resident.person_code, "service": "social_insurance_transfer",
        "form.from_province": "安徽省"})
    assert no_consent.status_code == 422 and "同意" in no_consent.text
    opened = _post(client, "/window/open", "/window", {
        "person_code": county.resident.person_code, "service": "social_insurance_transfer",
        "form.from_province": "安徽省", "consent_method": "paper_form",
        "consent_reference": "CX-9"})
    assert opened.status_code == 303 and opened.headers["location"].endswith("?done=open")
    page = client.get(opened.headers["location"]).text
    assert "综合窗口代办" in page


def test_the_supervisor_sees_the_overdue_case_escalated(site):
    county, client = site
    case_id = open_transfer(county, service="labour_contract_filing",
                            form={"employer": "长兴某厂", "start_date": "2026-01-05"})
    clock.pin_today(date(2026, 3, 2))
    with county.db.unit_of_work() as s:
        from anju.cases.service import cases

        cases.accept(s, county.renshe, case_id)  # due 2026-03-09 (5 working days)
    with county.db.unit_of_work() as s:
        assert sweep(s, job_actor("cases.daily"), date(2026, 3, 11)).escalated == 1
    clock.pin_today(date(2026, 3, 11))
    _login(client, county.supervisor.username)
    page = client.get("/cases/overdue")
    assert page.status_code == 200 and f"/cases/{case_id}" in page.text
    assert "已逾期 2 个工作日" in page.text and "已报负责人督办" in page.text
    assert "劳动合同备案" in page.text


def test_every_word_the_case_pages_build_at_run_time_is_in_both_languages():
    """The families the templates compose (t("cases.act_" ~ action) …) and the menus."""
    from anju.cases.pages.cases import MENU
    from anju.cases.rules import Transition
    from anju.cases.words.cases import WORDS

    keys = {f"act_{a}" for a in [t.value for t in Transition] + ["open", "approve_step",
                                                                 "escalate"]}
    keys |= {f"approval_{s}" for s in ("pending", "approved", "rejected")}
    keys |= {f"channel_{c}" for c in ("online", "window")}
    keys |= {f"done_{d}" for d in ("open", "accept", "not_accept", "start",
                                   "request_supplement", "supply", "decide", "withdraw",
                                   "transfer")}
    keys |= {t.value for t in Transition if t.value != "supply"} | {"supply"}
    keys |= {f"warning_{w}" for w in ("none", "yellow", "red")}
    keys |= {key.removeprefix("cases.") for links in MENU.values() for _, key in links}
    assert not keys - WORDS["zh"].keys(), "missing Chinese"
    assert not keys - WORDS["en"].keys(), "missing English"
    assert WORDS["zh"].keys() == WORDS["en"].keys()


def test_a_department_approving_in_parallel_is_offered_only_its_decision(site):
    from anju.cases.service import cases

    county, client = site
    case_id = open_transfer(county)
    with county.db.unit_of_work() as s:
        cases.accept(s, county.renshe, case_id)
    _login(client, county.yibao.username)
    page = client.get(f"/cases/{case_id}").text
    assert f'action="/cases/{case_id}/decide"' in page
    assert f'action="/cases/{case_id}/transfer"' not in page
    assert f'action="/cases/{case_id}/start"' not in page
    _login(client, county.renshe.username)
    page = client.get(f"/cases/{case_id}").text
    assert f'action="/cases/{case_id}/transfer"' in page and f"/cases/{case_id}/start" in page
