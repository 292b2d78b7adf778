"""What a client really receives (issue 7, items 1 and 3): the JSON keys of the person and
registration routes equal the reader's purpose, role by role, through the real app; an ID number
gives a stranger the person code only with the matching name, and no read afterwards."""
from __future__ import annotations

from tests.factories import make_account, make_person, submit, token, valid_id

PERSON = {"person_code", "name", "id_number", "sex", "birth_date", "phone", "hukou_address",
          "hukou_division_code", "division_code", "status", "purpose", "id_number_masked"}
EXPECTED_PERSON = {
    "police": PERSON,
    "resident": PERSON,
    "grid": PERSON - {"hukou_division_code"},
    "landlord": {"person_code", "name", "id_number", "sex", "phone", "status", "purpose",
                 "id_number_masked"},
    "officer": {"person_code", "name", "id_number", "purpose", "id_number_masked"},
    "steward": PERSON,
}
REGISTRATION = {"registration_id", "person_code", "division_code", "start_date", "reason",
                "status", "warnings", "decided_by", "decided_at", "person_name",
                "submitted_at"}
HOME = {"room_id", "address", "room_label"}
EXPECTED_REGISTRATION = {"police": REGISTRATION | HOME, "resident": REGISTRATION | HOME,
                         "grid": REGISTRATION | HOME, "landlord": REGISTRATION | HOME,
                         "officer": REGISTRATION}


def _approved(client, world) -> int:
    reg = submit(world.db, world.landlord, world.resident.person_code, world.room_id)
    response = client.post(f"/api/v1/registrations/{reg}/approve",
                           headers=token(client, world.police.username))
    assert response.status_code == 200, response.text
    return reg


def test_person_and_registration_keys_per_role(client, world):
    reg = _approved(client, world)
    code = world.resident.person_code
    for who, expected in EXPECTED_PERSON.items():
        headers = token(client, world.actor(who).username)
        person = client.get(f"/api/v1/persons/{code}", headers=headers)
        assert person.status_code == 200 and set(person.json()) == expected, (who, person.text)
        if who in EXPECTED_REGISTRATION:
            one = client.get(f"/api/v1/registrations/{reg}", headers=headers)
            assert set(one.json()) == EXPECTED_REGISTRATION[who], (who, one.text)
            listed = client.get("/api/v1/registrations", headers=headers).json()
            assert [set(r) for r in listed] == [EXPECTED_REGISTRATION[who]], who
        if who in ("police", "grid", "officer", "steward"):
            found = client.get("/api/v1/persons", params={"q": "王芳"}, headers=headers).json()
            assert [set(p) for p in found] == [expected], who
    education = make_account(world.db, "dept_officer", department="education")
    headers = token(client, education.username)
    assert client.get(f"/api/v1/persons/{code}", headers=headers).status_code == 404
    assert client.get(f"/api/v1/registrations/{reg}", headers=headers).status_code == 404
    assert client.get("/api/v1/registrations", headers=headers).json() == []


def test_a_tenant_is_not_told_the_landlord_code(client, world):
    _approved(client, world)
    house = world.house["house_id"]
    mine = client.get(f"/api/v1/houses/{house}", headers=token(client, world.resident.username))
    assert mine.status_code == 200 and "landlord_person_code" not in mine.json()
    theirs = client.get(f"/api/v1/houses/{house}", headers=token(client, world.landlord.username))
    assert theirs.json()["landlord_person_code"] == world.landlord.person_code


def test_an_id_number_gives_a_landlord_the_code_only_with_the_name(client, world):
    number = valid_id("412721")
    code = make_person(world.db, world.police, "孙倩", id_number=number, phone="13600003333")
    landlord = token(client, world.landlord.username)
    proved = client.post("/api/v1/persons", headers=landlord,
                         json={"name": "孫倩", "id_number": number})  # traditional 孫
    assert proved.status_code == 200 and proved.json() == {"person_code": code, "existing": True}
    wrong = client.post("/api/v1/persons", headers=landlord,
                        json={"name": "孙茜", "id_number": number})
    assert wrong.status_code == 422 and wrong.json() == {"error": {
        "code": "name_id_mismatch", "field": "name", "message_zh": "姓名与身份证号码不一致",
        "message_en": "name and ID number do not match"}}
    assert client.get(f"/api/v1/persons/{code}", headers=landlord).status_code == 404
    # the person sees both in their access log
    resident = make_account(world.db, "resident", person_code=code)
    log = client.get("/api/v1/me/access-log", headers=token(client, resident.username)).json()
    assert [e["action"] for e in log if e["official"] == world.landlord.username
            and e["action"] == "person.create"] == ["person.create", "person.create"]
