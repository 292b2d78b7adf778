"""The fast lane (anju.core.lane) answers the hot routes' plain requests exactly as FastAPI
would, and hands everything it is not sure of to FastAPI."""
from __future__ import annotations

from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from anju.core import audit, lane
from anju.core.config import reset_settings_cache
from anju.core.models import AuditRecord
from tests.factories import make_person, token, valid_id


@pytest.fixture
def plain(db, monkeypatch):
    """The same app with the lane switched off: every request through FastAPI."""
    from anju.web.app import create_app

    monkeypatch.setenv("ANJU_FAST_LANE", "false")
    reset_settings_cache()
    app = create_app(db=db)
    monkeypatch.delenv("ANJU_FAST_LANE")
    reset_settings_cache()
    with TestClient(app) as c:
        yield c


def _served() -> int:
    return sum(lane.served.values())


def _same(a, b) -> None:
    assert a.status_code == b.status_code, (a.text, b.text)
    assert a.json() == b.json()
    assert {k: v for k, v in a.headers.items() if k != "date"} == \
        {k: v for k, v in b.headers.items() if k != "date"}


def _warm(client, headers) -> None:
    """A token's first use goes through FastAPI, which checks it and fills the cache."""
    assert client.get("/api/v1/me", headers=headers).status_code == 200


def test_the_lane_answers_the_hot_routes_as_fastapi_does(client, plain, world):
    number = valid_id("341231")
    code = make_person(world.db, world.police, "吴小溪", id_number=number)
    headers = token(client, world.police.username)
    _warm(client, headers)
    _warm(plain, headers)
    asks = [("GET", f"/api/v1/persons/{code}", {}),
            ("GET", "/api/v1/persons", {"params": {"id_number": number}}),
            ("GET", "/api/v1/persons", {"params": {"q": "吴"}}),
            ("GET", "/api/v1/persons/P0000000000000", {}),  # nobody: 404, refusal noted
            ("GET", "/api/v1/persons", {"params": {"id_number": valid_id("341232")}})]
    for method, path, extra in asks:
        before = _served()
        fast = client.request(method, path, headers=headers, **extra)
        assert _served() == before + 1, (path, extra)
        _same(fast, plain.request(method, path, headers=headers, **extra))


def test_a_registration_through_the_lane_is_the_registration_fastapi_makes(
        client, plain, world):
    headers = token(client, world.police.username)
    _warm(client, headers)
    _warm(plain, headers)
    answers = []
    for c, name, id_region in ((client, "郑小川", "341233"), (plain, "郑小山", "341234")):
        key = f"reg-{id_region}"
        code = make_person(world.db, world.police, name, id_number=valid_id(id_region))
        body = {"person_code": code, "room_id": world.room_id,
                "start_date": str(date.today()), "reason": "work"}
        before = _served()
        made = c.post("/api/v1/registrations", headers=headers | {"Idempotency-Key": key},
                      json=body)
        again = c.post("/api/v1/registrations", headers=headers | {"Idempotency-Key": key},
                       json=body)
        assert _served() == before + (2 if c is client else 0)
        assert made.status_code == 201 and again.status_code == 201, made.text
        assert again.headers.get("Idempotent-Replayed") == "true"
        assert again.json()["registration_id"] == made.json()["registration_id"]
        answers.append({k: v for k, v in made.json().items()
                        if k not in ("registration_id", "person_code", "created_at",
                                     "submitted_at", "registration_number")})
    assert answers[0] == answers[1]


@pytest.mark.parametrize("ask", [
    pytest.param(lambda h: ("GET", "/api/v1/persons", {"params": {"q": "x" * 65}}),
                 id="a query value past its bound"),
    pytest.param(lambda h: ("GET", "/api/v1/persons/P%00", {}), id="a NUL in the path"),
    pytest.param(lambda h: ("GET", "/api/v1/persons", {"params": [("q", "a"), ("q", "b")]}, 200),
                 id="a repeated query key"),
    pytest.param(lambda h: ("POST", "/api/v1/registrations",
                            {"json": {"person_code": "P1", "room_id": "one"}}),
                 id="an invalid body"),
    pytest.param(lambda h: ("POST", "/api/v1/registrations",
                            {"content": b'{"person_code": "P\\u0000"}',
                             "headers": {"content-type": "application/json"}}),
                 id="a NUL in the JSON"),
    pytest.param(lambda h: ("POST", "/api/v1/registrations",
                            {"data": {"person_code": "P1"}}), id="a form body"),
    pytest.param(lambda h: ("POST", "/api/v1/registrations",
                            {"json": {"person_code": "P1", "room_id": 1,
                                      "start_date": "2026-12-01", "reason": "work"},
                             "headers": {"Idempotency-Key": "k" * 129}}),
                 id="a header past its bound"),
])
def test_what_the_lane_is_unsure_of_fastapi_answers(client, plain, world, ask):
    headers = token(client, world.police.username)
    _warm(client, headers)
    method, path, extra, *status = ask(headers)
    expected = status[0] if status else 422  # FastAPI takes a repeated key's last value
    extra = dict(extra)
    sent = headers | extra.pop("headers", {})
    before = _served()
    fast = client.request(method, path, headers=sent, **extra)
    assert _served() == before, "the lane must leave this request to FastAPI"
    assert fast.status_code == expected, fast.text
    _same(fast, plain.request(method, path, headers=sent, **extra))


def test_no_token_an_unknown_token_or_a_cookie_session_go_through_fastapi(client, world):
    code = make_person(world.db, world.police, "冯小河", id_number=valid_id("341235"))
    path = f"/api/v1/persons/{code}"
    before = _served()
    assert client.get(path).status_code == 401
    assert client.get(path, headers={"Authorization": "Bearer forged"}).status_code == 401
    headers = token(client, world.police.username)
    first = client.get(path, headers=headers)  # first use: FastAPI checks it, then caches it
    assert first.status_code == 200 and _served() == before
    assert client.get(path, headers=headers).status_code == 200
    assert _served() == before + 1


def test_a_refusal_in_the_lane_is_audited_as_anywhere(client, world):
    """An officer of another county asks for a person: 404 as for nobody, and the attempt is on
    the chain, written after the rollback by the same unit of work."""
    from tests.factories import make_account

    code = make_person(world.db, world.police, "褚小林", id_number=valid_id("341236"))
    stranger = make_account(world.db, "police", division="341100")
    headers = token(client, stranger.username)
    _warm(client, headers)
    before = _served()
    answer = client.get(f"/api/v1/persons/{code}", headers=headers)
    assert answer.status_code == 404 and _served() == before + 1
    with world.db.unit_of_work() as s:
        attempts = s.execute(select(AuditRecord).where(
            AuditRecord.username == stranger.username,
            AuditRecord.person_code == code)).scalars().all()
    assert len(attempts) == 1 and audit.is_attempt(attempts[0])
    assert attempts[0].detail == {"outcome": "refused", "status": 404}
