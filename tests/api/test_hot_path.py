"""The registry's hot routes stay lean: a bearer token is answered from a short cache that a
disabled account cannot outlive, and each hot route costs a bounded number of statements."""
from __future__ import annotations

import threading
import time
from contextlib import contextmanager
from datetime import date

import pytest
from sqlalchemy import event, update

from anju.core.config import reset_settings_cache
from anju.core.db import HotStatement
from anju.core.models import Account
from tests.factories import make_person, token, valid_id


@contextmanager
def statements(db):
    """The SQL statements the app's requests send while the block runs (transaction control
    included; not the audit sealer's, whose thread works on its own schedule)."""
    seen: list[str] = []

    def note(_conn, _cursor, sql, *_):
        # SQLite's BEGIN IMMEDIATE: counted as the begin
        if not sql.startswith("BEGIN") and not _sealer():
            seen.append(" ".join(sql.split()))

    def begin(_conn):
        if not _sealer():
            seen.append("BEGIN")

    # statements sent on the driver's own cursor (HotStatement, PostgreSQL) pass no SQLAlchemy
    # event: counted where they take the cursor
    taking = HotStatement._cursor

    def hot(self, session):
        cursor = taking(self, session)
        if not _sealer():
            seen.append(" ".join(self._sql.split()))
        return cursor

    event.listen(db.engine, "before_cursor_execute", note)
    event.listen(db.engine, "begin", begin)
    HotStatement._cursor = hot
    try:
        yield seen
    finally:
        HotStatement._cursor = taking
        event.remove(db.engine, "before_cursor_execute", note)
        event.remove(db.engine, "begin", begin)


def _sealer() -> bool:
    return threading.current_thread().name == "anju-audit-sealer"


class _Later:
    """The `time` module as the token cache sees it, `by` seconds later on the monotonic clock
    (the wall clock, which token expiry reads, is left alone)."""

    def __init__(self, by: float) -> None:
        self.by = by

    def monotonic(self) -> float:
        return time.monotonic() + self.by

    def time(self) -> float:
        return time.time()


def _cache_for(monkeypatch, seconds: float) -> None:
    monkeypatch.setenv("ANJU_TOKEN_CACHE_SECONDS", str(seconds))
    reset_settings_cache()


def _disable_elsewhere(db, username: str) -> None:
    """What another server process's disabling looks like to this one: the row changes in the
    database, and this process hears nothing of it (a Core UPDATE runs no ORM events)."""
    with db.engine.begin() as conn:
        conn.execute(update(Account).where(Account.username == username)
                     .values(active=False, token_version=Account.token_version + 1))


def test_a_token_is_answered_from_the_cache_without_a_statement(client, world, monkeypatch):
    _cache_for(monkeypatch, 30)
    headers = token(client, world.police.username)
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    with statements(world.db) as seen:
        assert client.get("/api/v1/me", headers=headers).status_code == 200
    assert seen == []


def test_a_disabled_account_stops_within_the_cache_time_in_other_processes(client, world,
                                                                         monkeypatch):
    from anju.core import identity

    _cache_for(monkeypatch, 30)
    headers = token(client, world.police.username)
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    _disable_elsewhere(world.db, world.police.username)
    # within the cache time this process still answers from what it read …
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    # … and once the cache time has passed (the cache's clock moved on: no sleep, so a slow
    # machine cannot outrun a short cache time) …
    monkeypatch.setattr(identity, "time", _Later(31))
    # … it reads the account again: disabled, its tokens void
    refused = client.get("/api/v1/me", headers=headers)
    assert refused.status_code == 401 and refused.json()["error"]["code"] == "token_invalid"


def test_the_process_that_disables_an_account_refuses_it_at_once(client, world, monkeypatch):
    _cache_for(monkeypatch, 60)
    admin = token(client, world.admin.username)
    officer = token(client, world.police.username)
    assert client.get("/api/v1/me", headers=officer).status_code == 200
    assert client.post(f"/api/v1/accounts/{world.police.username}/disable",
                       headers=admin).status_code == 200
    assert client.get("/api/v1/me", headers=officer).status_code == 401
    assert client.post(f"/api/v1/accounts/{world.police.username}/enable",
                       headers=admin).status_code == 200
    # enabling does not bring old tokens back: disabling voided them
    assert client.get("/api/v1/me", headers=officer).status_code == 401
    assert client.get("/api/v1/me", headers=token(client, world.police.username)).status_code \
        == 200


def test_a_password_reset_ends_cached_tokens_at_once(client, world, monkeypatch):
    _cache_for(monkeypatch, 60)
    admin = token(client, world.admin.username)
    officer = token(client, world.police.username)
    assert client.get("/api/v1/me", headers=officer).status_code == 200
    assert client.post(f"/api/v1/accounts/{world.police.username}/password", headers=admin,
                       json={"password": "another-long-1"}).status_code == 200
    assert client.get("/api/v1/me", headers=officer).status_code == 401


# --- statements per hot request -------------------------------------------------------------------
# With a warm token cache a lookup is BEGIN, the person, and the audit append — one INSERT of the
# unsealed entry (the sealer chains it later). A registration: BEGIN, room with house, person FOR
# UPDATE, active registrations, occupants, INSERT, the audit INSERT, the housing policy (read by
# the registration.submitted listener). COMMIT is not a statement here. A route that grows an
# account read, a lazy ORM load or an audit flush again fails here.
LOOKUP_MAX = 3
REGISTER_MAX = 8


def test_hot_lookups_cost_a_bounded_number_of_statements(client, world, monkeypatch):
    _cache_for(monkeypatch, 30)
    number = valid_id("341221")
    code = make_person(world.db, world.police, "钱多多", id_number=number)
    headers = token(client, world.police.username)
    assert client.get(f"/api/v1/persons/{code}", headers=headers).status_code == 200
    with statements(world.db) as by_code:
        assert client.get(f"/api/v1/persons/{code}", headers=headers).status_code == 200
    with statements(world.db) as by_number:
        found = client.get("/api/v1/persons", params={"id_number": number}, headers=headers)
        assert found.status_code == 200 and found.json()["person_code"] == code
    for seen in (by_code, by_number):
        assert seen and len(seen) <= LOOKUP_MAX, "\n".join(seen)
        assert not [s for s in seen if "FROM accounts" in s], seen  # the token came from cache


def test_a_registration_costs_a_bounded_number_of_statements(client, world, monkeypatch):
    _cache_for(monkeypatch, 30)
    code = make_person(world.db, world.police, "孙小青", id_number=valid_id("341222"))
    headers = token(client, world.police.username)
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    with statements(world.db) as seen:
        made = client.post("/api/v1/registrations", headers=headers, json={
            "person_code": code, "room_id": world.room_id, "start_date": str(date.today()),
            "reason": "work"})
    assert made.status_code == 201, made.text
    assert len(seen) <= REGISTER_MAX, "\n".join(seen)


def test_the_cache_never_outlives_the_token(db, monkeypatch):
    from anju.core import identity
    from tests.factories import make_account

    _cache_for(monkeypatch, 30)
    police = make_account(db, "police")
    with db.unit_of_work() as s:
        bearer = identity.issue_token(s.get(Account, police.account_id))
        assert identity.actor_from_token(s, bearer, max_age=1).username == police.username
        assert identity.cached_actor(s, bearer) is not None
    time.sleep(1.1)  # past the token's own life, though well within the cache's 30 s
    with db.unit_of_work() as s:
        assert identity.cached_actor(s, bearer) is None


def test_a_hot_request_takes_one_thread_pool_hop(client, world, monkeypatch):
    """Service call, commit and JSON in one hop (`anju.core.web.committed`); FastAPI's own way
    took three (the endpoint, validating the returned model again, the commit)."""
    import anyio.to_thread

    from anju.core import web

    _cache_for(monkeypatch, 30)
    number = valid_id("341223")
    code = make_person(world.db, world.police, "周小满", id_number=number)
    headers = token(client, world.police.username)
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    hops = []
    run_sync = anyio.to_thread.run_sync

    async def counted(func, *args, **kwargs):
        hops.append(func)
        return await run_sync(func, *args, **kwargs)

    in_thread = web.in_thread

    async def counted_too(func):
        hops.append(func)
        return await in_thread(func)

    monkeypatch.setattr(anyio.to_thread, "run_sync", counted)
    monkeypatch.setattr(web, "in_thread", counted_too)
    for path, params in ((f"/api/v1/persons/{code}", None),
                         ("/api/v1/persons", {"id_number": number})):
        hops.clear()
        answer = client.get(path, params=params, headers=headers)
        assert answer.status_code == 200 and answer.json()["person_code"] == code
        assert "id_number_masked" in answer.json() and "existing" not in answer.json()
        assert len(hops) == 1, hops


@pytest.mark.parametrize("db", ["postgresql"], indirect=True)  # SQLite: one write lock anyway
def test_hot_reads_commit_statement_by_statement_and_writes_keep_their_transaction(
        client, world, monkeypatch, db):
    """On PostgreSQL a person lookup's statements commit one by one (no BEGIN and COMMIT round
    trips: a read needs no transaction, its audit entry commits before the answer); a
    registration keeps one transaction for all it reads and writes. The pooled connection goes
    back to transactions after a read."""
    _cache_for(monkeypatch, 30)
    code = make_person(world.db, world.police, "吕小渡", id_number=valid_id("341251"))
    other = make_person(world.db, world.police, "吕小津", id_number=valid_id("341252"))
    headers = token(client, world.police.username)
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    modes: list[tuple[str, bool]] = []
    taking = HotStatement._cursor

    def noted(self, session):
        cursor = taking(self, session)
        modes.append((self._sql.split()[0], cursor.connection.autocommit))
        return cursor

    monkeypatch.setattr(HotStatement, "_cursor", noted)
    assert client.get(f"/api/v1/persons/{code}", headers=headers).status_code == 200
    assert modes and all(autocommit for _, autocommit in modes), modes
    modes.clear()
    made = client.post("/api/v1/registrations", headers=headers, json={
        "person_code": other, "room_id": world.room_id, "start_date": str(date.today()),
        "reason": "work"})
    assert made.status_code == 201, made.text
    assert modes and not any(autocommit for _, autocommit in modes), modes
