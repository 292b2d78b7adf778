"""Never a 500: a busy database answers 503 with Retry-After, oversized bodies 413, and bad input
(huge ids, NUL characters, unreadable JSON, implausible dates) a 4xx — each with the project's
bilingual JSON error. Timestamps say their time zone. Runs on SQLite and PostgreSQL."""
from __future__ import annotations

import sqlite3
from datetime import date, timedelta

import anyio
from fastapi.testclient import TestClient
from sqlalchemy.engine import make_url

from anju.core.db import Database
from anju.web.app import create_app
from tests.factories import PASSWORD, build_world, submit, token, valid_id


def _error(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["message_zh"] and error["message_en"], error
    if code:
        assert error["code"] == code, error
    return error


def test_a_busy_database_answers_503_with_retry_after(db):
    """SQLite: another writer holds the lock past the timeout. PostgreSQL: every pooled
    connection is taken past the pool timeout. Neither is a 500."""
    world = build_world(db)
    busy = Database(db.url, pool_size=1, lock_timeout=0.3)
    with TestClient(create_app(db=busy)) as client:
        headers = token(client, world.police.username)
    held = []
    if busy.is_sqlite:
        blocker = sqlite3.connect(make_url(db.url).database, isolation_level=None)
        blocker.execute("BEGIN IMMEDIATE")
        held.append(blocker)
    else:
        held += [busy.engine.connect() for _ in range(2)]  # pool_size 1 + overflow 1
    try:
        with TestClient(create_app(db=busy)) as client:
            login = client.post("/api/v1/auth/token",
                                data={"username": "anyone", "password": PASSWORD})
            read = client.get("/api/v1/me", headers=headers)
    finally:
        for connection in held:
            connection.close()
        busy.dispose()
    for response in (login, read):
        _error(response, 503, "busy")
        assert int(response.headers["retry-after"]) > 0


def test_a_body_over_the_limit_is_413_while_it_streams(db, monkeypatch):
    monkeypatch.setenv("ANJU_MAX_UPLOAD_BYTES", "4096")
    from anju.core.config import reset_settings_cache

    reset_settings_cache()
    world = build_world(db)
    app = create_app(db=db)
    with TestClient(app) as client:
        headers = token(client, world.steward.username)
        declared = client.post("/api/v1/exchange/imports", headers=headers,
                               data={"department": "gongan"},
                               files={"file": ("big.csv", b"x" * 10_000, "text/csv")})
        small = client.get("/api/v1/me", headers=headers)
    _error(declared, 413, "too_large")
    assert small.status_code == 200
    # No Content-Length (chunked): the limit bites on the bytes as they arrive.
    status, chunks_read = anyio.run(_send_chunked, app, headers)
    assert status == 413 and chunks_read < 100, (status, chunks_read)


async def _send_chunked(app, headers: dict) -> tuple[int, int]:
    """POST 100 chunks of 1 KiB without a Content-Length straight into the ASGI app; the
    status it answers and how many chunks it read."""
    read, sent = 0, []

    async def receive():
        nonlocal read
        read += 1
        return {"type": "http.request", "body": b"x" * 1024, "more_body": read < 100}

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
             "method": "POST", "scheme": "http", "path": "/api/v1/persons", "raw_path":
             b"/api/v1/persons", "query_string": b"", "root_path": "",
             "client": ("127.0.0.1", 1), "server": ("testserver", 80),
             "headers": [(b"content-type", b"application/json"),
                         (b"authorization", headers["Authorization"].encode())]}
    await app(scope, receive, send)
    start = next(m for m in sent if m["type"] == "http.response.start")
    return start["status"], read


def test_ids_past_the_integer_range_are_422_not_500(client, world):
    headers = token(client, world.police.username)
    for big in (2**31, 2**63, 10**30):
        for method, path, body in [
            ("POST", f"/api/v1/fees/{big}/payments", {"amount_fen": 100, "reference": "REF-1"}),
            ("POST", f"/api/v1/tasks/{big}/resolve", {"outcome": "still_living"}),
            ("GET", f"/api/v1/registrations/{big}", None),
            ("GET", f"/api/v1/exchange/imports/jobs/{big}", None),
            ("GET", f"/api/v1/exchange/feed?cursor={max(big, 2**63)}", None),
        ]:
            response = client.request(method, path, json=body, headers=headers)
            assert response.status_code == 422, (path, response.status_code, response.text)


def test_a_nul_character_is_refused_everywhere(client, world):
    """Login form (no account needed), JSON bodies, query strings, paths and page forms."""
    headers = token(client, world.police.username)
    cases = [
        client.post("/api/v1/auth/token", data={"username": "po\x00lice", "password": "x"}),
        client.post("/login", data={"username": "a\x00", "password": "b", "csrf_token": "c"}),
        client.post("/api/v1/persons", headers=headers,
                    json={"name": "张\x00三", "id_number": "330522199001011234"}),
        client.get("/api/v1/persons", headers=headers, params={"q": "张\x00"}),
        client.get("/api/v1/persons/P%00X", headers=headers),
    ]
    for response in cases[:1] + cases[2:]:
        _error(response, 422, "nul_character")
    assert cases[1].status_code == 422  # the login page answers with a page
    # an escaped backslash before "u0000" is the text \u0000, not a NUL
    literal = client.post("/api/v1/persons", content=b'{"name": "a\\\\u0000b", "id_number": "1"}',
                          headers={**headers, "content-type": "application/json"})
    assert literal.json()["error"]["code"] != "nul_character"


def test_unreadable_json_and_unknown_routes_get_the_bilingual_body(client, world):
    headers = token(client, world.police.username)
    json_headers = {**headers, "content-type": "application/json"}
    _error(client.post("/api/v1/persons", headers=json_headers, content=b'{"name": '), 422)
    _error(client.post("/api/v1/persons", headers=json_headers, content=b"\xff\xfe{"), 400,
           "bad_request")
    _error(client.get("/api/v1/no-such-thing", headers=headers), 404, "not_found")
    _error(client.delete("/api/v1/me", headers=headers), 405, "method_not_allowed")


def test_timestamps_in_answers_carry_their_time_zone(client, world):
    registration = submit(world.db, world.resident, world.resident.person_code, world.room_id)
    headers = token(client, world.police.username)
    approved = client.post(f"/api/v1/registrations/{registration}/approve", headers=headers)
    assert approved.status_code == 200, approved.text
    stamp = approved.json()["decided_at"]
    assert stamp.endswith("Z") or stamp[-6] in "+-", stamp


def test_an_implausible_end_of_residence_is_422(client, world):
    registration = submit(world.db, world.resident, world.resident.person_code, world.room_id)
    headers = token(client, world.police.username)
    assert client.post(f"/api/v1/registrations/{registration}/approve",
                       headers=headers).status_code == 200
    for end in ("9999-12-31", (date.today() + timedelta(days=365 * 11)).isoformat()):
        _error(client.post(f"/api/v1/registrations/{registration}/end", headers=headers,
                           json={"end_date": end}), 422, "end_date_implausible")
    ended = client.post(f"/api/v1/registrations/{registration}/end", headers=headers,
                        json={"end_date": date.today().isoformat()})
    assert ended.status_code == 200, ended.text


def test_a_birth_date_in_the_future_is_422(client, world):
    headers = token(client, world.police.username)
    future = (date.today() + timedelta(days=3)).isoformat()
    _error(client.post("/api/v1/persons", headers=headers,
                       json={"name": "王五", "id_number": valid_id(),
                             "birth_date": future}), 422, "birth_date_implausible")
