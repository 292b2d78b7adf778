"""The points API as other tools call it: the contract's shape, bad input answered with a 4xx
naming the field in both languages (never a 500), an appeal, the public schools list."""
from __future__ import annotations

from datetime import date

import pytest

from anju.core import clock
from anju.registry import service as registry
from tests.factories import PASSWORD, make_account, submit, token


@pytest.fixture
def api(world, client):
    clock.pin_today(date(2026, 9, 1))
    reg = submit(world.db, world.police, world.resident.person_code, world.room_id,
                 start=date(2023, 2, 1))
    with world.db.unit_of_work() as s:
        registry.approve_registration(s, world.police, reg)
    renshe = make_account(world.db, "dept_officer", department="renshe")
    return world, client, token(client, world.resident.username, PASSWORD), \
        token(client, renshe.username, PASSWORD)


def test_the_points_contract(api):
    world, client, me, officer = api
    code = world.resident.person_code
    r = client.post(f"/api/v1/persons/{code}/points/evidence", headers=officer, json={
        "fact": "insurance_years", "value": 3, "source": "exchange:renshe",
        "obtained_on": "2026-01-10"})
    assert r.status_code == 201, r.text
    body = client.get(f"/api/v1/persons/{code}/points?on=2026-06-01", headers=me).json()
    assert body["scheme_version"] == "2025.1" and body["vetoed"] is False
    items = {i["indicator"]: i for i in body["items"]}
    assert items["social_insurance"]["points"] == 9 and items["social_insurance"]["category"] \
        == "basic"
    assert items["social_insurance"]["evidence"][0] == {
        "item": "insurance_years", "fact": "insurance_years", "source": "exchange:renshe",
        "obtained_on": "2026-01-10"}
    assert body["total"] == sum(i["points"] for i in body["items"])
    later = client.get(f"/api/v1/persons/{code}/points", headers=me).json()
    assert later["scheme_version"] == "2026.2" and later["on"] == "2026-09-01"
    r = client.post(f"/api/v1/persons/{code}/points/appeals", headers=me, json={
        "result_id": body["result_id"], "indicator": "volunteering", "reason": "我做过志愿者"})
    assert r.status_code == 201 and r.json()["case_id"] > 0
    history = client.get(f"/api/v1/persons/{code}/points/history", headers=me).json()
    assert [h["scheme_version"] for h in history] == ["2026.2", "2025.1"]


@pytest.mark.parametrize(("path", "payload", "field"), [
    ("points?on=2026-13-01", None, "on"),
    ("points?on=2019-01-01", None, "on"),  # before any scheme
    ("points/appeals", {"result_id": 1, "indicator": "nope", "reason": "x"}, "indicator"),
    ("points/appeals", {"result_id": 1, "indicator": "age", "reason": ""}, "reason"),
])
def test_bad_input_is_a_4xx_naming_the_field(api, path, payload, field):
    world, client, me, _ = api
    code = world.resident.person_code
    client.get(f"/api/v1/persons/{code}/points", headers=me)  # result 1
    url = f"/api/v1/persons/{code}/{path}"
    r = client.post(url, headers=me, json=payload) if payload else client.get(url, headers=me)
    assert 400 <= r.status_code < 500, r.text
    error = r.json()["error"]
    assert error["message_zh"] and error["message_en"]
    assert field in (error.get("field") or "")


def test_evidence_of_the_wrong_type_is_refused(api):
    world, client, _, officer = api
    r = client.post(f"/api/v1/persons/{world.resident.person_code}/points/evidence",
                    headers=officer, json={"fact": "education", "value": 3, "source": "upload",
                                           "obtained_on": "2026-01-10"})
    assert r.status_code == 422 and r.json()["error"]["field"] == "value"


def test_the_schools_are_listed(api):
    _, client, me, _ = api
    schools = client.get("/api/v1/schools", headers=me).json()
    assert {s["school_id"] for s in schools} == {"zc1", "zc2", "hq1"}
