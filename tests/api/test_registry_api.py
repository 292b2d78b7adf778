"""The HTTP contract of issue 2, end to end through the real app (both databases)."""
from __future__ import annotations

from tests.factories import token, valid_id


def _login(client, world, who: str) -> dict:
    return token(client, world.actor(who).username)


def test_token_contract(client, world):
    response = client.post("/api/v1/auth/token",
                           data={"username": world.police.username, "password": "correct-horse-9"})
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"access_token", "token_type"} and body["token_type"] == "bearer"
    bad = client.post("/api/v1/auth/token", data={"username": world.police.username,
                                                  "password": "wrong-password"})
    assert bad.status_code == 401 and bad.json()["error"]["message_zh"]


def test_person_house_registration_flow(client, world):
    police = _login(client, world, "police")
    number = valid_id("411523")
    created = client.post("/api/v1/persons", headers=police,
                          json={"name": "刘洋", "id_number": number, "sex": "男" if int(number[16]) % 2 else "女",
                                "phone": "138 0000 2222", "hukou_address": "河南省信阳市新县"})
    assert created.status_code == 201, created.text
    code = created.json()["person_code"]
    assert client.get(f"/api/v1/persons/{code}", headers=police).json()["id_number"] == number
    by_id = client.get("/api/v1/persons", params={"id_number": number.lower()}, headers=police)
    assert by_id.status_code == 200 and by_id.json()["person_code"] == code

    house = client.post("/api/v1/houses", headers=police, json={
        "address": "长兴县画溪街道某路 1 号", "division_code": "330522002001",
        "landlord_person_code": world.landlord.person_code,
        "rooms": [{"label": "201", "capacity": 2}, {"label": "202", "capacity": 1}]})
    assert house.status_code == 201, house.text
    room_id = house.json()["rooms"][0]["room_id"]

    reg = client.post("/api/v1/registrations", headers=police, json={
        "person_code": code, "room_id": room_id, "start_date": "2026-03-01", "reason": "work"})
    assert reg.status_code == 201 and reg.json()["status"] == "submitted"
    reg_id = reg.json()["registration_id"]
    approved = client.post(f"/api/v1/registrations/{reg_id}/approve", headers=police)
    assert approved.json()["status"] == "approved"
    ended = client.post(f"/api/v1/registrations/{reg_id}/end", headers=police,
                        json={"end_date": "2026-02-01"})
    assert ended.status_code == 422 and ended.json()["error"]["code"] == "end_before_start"
    ended = client.post(f"/api/v1/registrations/{reg_id}/end", headers=police,
                        json={"end_date": "2026-09-01"})
    assert ended.json()["status"] == "ended"
    assert client.get(f"/api/v1/registrations/{reg_id}", headers=police).json()["end_date"] == "2026-09-01"


def test_bad_input_is_a_bilingual_4xx_never_a_500(client, world):
    police = _login(client, world, "police")
    cases = [
        ("/api/v1/persons", {"name": "甲", "id_number": "330522199001011235"}, 422, "id_checksum"),
        ("/api/v1/persons", {"name": "甲", "id_number": "330522200102291230"}, 422, "id_birth_date"),
        ("/api/v1/persons", {"id_number": valid_id()}, 422, "invalid_input"),
        ("/api/v1/houses", {"address": "某地", "division_code": "330522999999",
                            "landlord_person_code": world.landlord.person_code,
                            "rooms": [{"label": "1", "capacity": 1}]}, 422, "division_unknown"),
        ("/api/v1/registrations", {"person_code": world.resident.person_code,
                                   "room_id": world.room_id, "start_date": "2026-13-01",
                                   "reason": "work"}, 422, "invalid_input"),
    ]
    for path, body, status, code in cases:
        response = client.post(path, json=body, headers=police)
        assert response.status_code == status, (path, body, response.text)
        error = response.json()["error"]
        assert error["code"] == code and error["message_zh"] and error["message_en"], error
    garbage = client.post("/api/v1/persons", content=b"{not json", headers={
        **police, "content-type": "application/json"})
    assert garbage.status_code == 422


def test_overlap_idempotency_and_capacity_over_http(client, world):
    resident = _login(client, world, "resident")
    body = {"person_code": world.resident.person_code, "room_id": world.room_id,
            "start_date": "2026-01-10", "reason": "work"}
    first = client.post("/api/v1/registrations", json=body,
                        headers={**resident, "Idempotency-Key": "abc-1"})
    again = client.post("/api/v1/registrations", json=body,
                        headers={**resident, "Idempotency-Key": "abc-1"})
    assert first.status_code == again.status_code == 201
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert first.json()["registration_id"] == again.json()["registration_id"]
    overlap = client.post("/api/v1/registrations", json=body, headers=resident)
    assert overlap.status_code == 409 and overlap.json()["error"]["code"] == "registration_overlap"


def test_outside_jurisdiction_answers_404_and_me_access_log(client, world):
    outsider = _login(client, world, "police_other_county")
    response = client.get(f"/api/v1/persons/{world.resident.person_code}", headers=outsider)
    assert response.status_code == 404
    police = _login(client, world, "police")
    assert client.get(f"/api/v1/persons/{world.resident.person_code}", headers=police).status_code == 200
    resident = _login(client, world, "resident")
    log = client.get("/api/v1/me/access-log", headers=resident).json()
    assert any(e["official"] == world.police.username and e["role"] == "police" and
               e["action"] == "person.read" and not e["refused"] for e in log)
    # the other county's attempt shows as what it was: refused, not a read
    assert [(e["action"], e["refused"]) for e in log
            if e["official"] == world.police_other_county.username] == [("person.read", True)]
    analyst = _login(client, world, "analyst")
    assert client.get(f"/api/v1/persons/{world.resident.person_code}", headers=analyst).status_code == 403


def test_openapi_documents_the_contract_routes(client):
    paths = client.get("/openapi.json").json()["paths"]
    for path in ["/api/v1/auth/token", "/api/v1/persons", "/api/v1/persons/{person_code}",
                 "/api/v1/houses", "/api/v1/registrations",
                 "/api/v1/registrations/{registration_id}",
                 "/api/v1/registrations/{registration_id}/approve",
                 "/api/v1/registrations/{registration_id}/end", "/api/v1/me/access-log"]:
        assert path in paths, path
