"""Item 16 through the API (both backends): enumerated inputs in bodies and query parameters take
the code, the English key and the Chinese label; refusals say the choices in Chinese."""
from __future__ import annotations

from datetime import datetime, timedelta

from tests.factories import token, valid_id


def test_bodies_and_queries_take_codes_keys_and_chinese_labels(client, world):
    police = token(client, world.police.username)
    person = client.post("/api/v1/persons", headers=police, json={
        "name": "赵敏", "id_number": valid_id("341221", sex="F"), "sex": "女"})
    assert person.status_code == 201, person.text
    code = person.json()["person_code"]
    for reason, stored in (("经商", "business"), ("Work", "work")):
        reg = client.post("/api/v1/registrations", headers=police, json={
            "person_code": code if reason == "经商" else world.resident.person_code,
            "room_id": world.room_id, "start_date": "2026-01-05", "reason": reason})
        assert reg.status_code == 201, reg.text
        assert reg.json()["reason"] == stored  # answered as the code
    listed = client.get("/api/v1/registrations", headers=police, params={"status": "待审核"})
    assert listed.status_code == 200 and len(listed.json()) == 2
    assert client.get("/api/v1/registrations", headers=police,
                      params={"status": "submitted"}).json() == listed.json()
    wrong = client.post("/api/v1/persons", headers=police, json={
        "name": "赵敏", "id_number": valid_id(), "sex": "unknown"})
    assert wrong.status_code == 422
    assert wrong.json()["error"]["message_zh"] == "性别：请从以下选择：男、女"


def test_housing_inputs_take_labels_too(client, world):
    grid = token(client, world.grid.username)
    when = (datetime.now() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    consent = client.post("/api/v1/assist/consents", headers=grid, json={
        "landlord_person_code": world.landlord.person_code, "method": "书面同意书",
        "reference": "同意书 001", "consented_at": when})
    assert consent.status_code == 201 and consent.json()["method"] == "paper_form"
    tasks = client.get("/api/v1/tasks", headers=grid, params={"kind": "疑似搬离"})
    assert tasks.status_code == 200
    bad = client.get("/api/v1/tasks", headers=grid, params={"kind": "搬走了"})
    assert bad.status_code == 422
    assert bad.json()["error"]["message_zh"] == (
        "类型：请从以下选择：疑似搬离、疑似未登记居住、居住证即将到期")
