"""Administrators manage accounts over the API; nobody else can; disabling voids tokens. An
administrator cannot bind an account to a person: a police officer confirms the binding. The
session cookie alone changes nothing through the API: it needs the CSRF header."""
from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from anju.core import audit, auditlog
from anju.core.models import AuditRecord
from anju.web.app import create_app
from tests.factories import PASSWORD, make_account, make_person, submit, token, valid_id


def test_admin_creates_lists_and_disables_accounts(client, world):
    admin = token(client, world.admin.username)
    created = client.post("/api/v1/accounts", headers=admin, json={
        "username": "new.officer", "password": "long-enough-1", "role": "police",
        "division": "330522001"})
    assert created.status_code == 201, created.text
    assert created.json()["division_code"] == "330522001000"
    listed = client.get("/api/v1/accounts", headers=admin).json()
    assert "new.officer" in {a["username"] for a in listed}
    officer = token(client, "new.officer", "long-enough-1")
    assert client.get("/api/v1/me", headers=officer).status_code == 200
    assert client.post("/api/v1/accounts/new.officer/disable", headers=admin).status_code == 200
    assert client.get("/api/v1/me", headers=officer).status_code == 401
    bad = client.post("/api/v1/accounts", headers=admin, json={
        "username": "x1", "password": "long-enough-1", "role": "king"})
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "role_unknown"


def test_only_admins_manage_accounts(client, world):
    for who in ("police", "auditor", "resident"):
        headers = token(client, world.actor(who).username)
        assert client.get("/api/v1/accounts", headers=headers).status_code == 403
        response = client.post("/api/v1/accounts", headers=headers, json={
            "username": "sneaky", "password": "long-enough-1", "role": "admin"})
        assert response.status_code == 403


# --- binding an account to a person takes a police officer --------------------------------------
def _person_log(db, person_code: str) -> list[tuple[str, str, bool]]:
    with db.unit_of_work() as s:
        return [(e.action, e.username, audit.is_attempt(e))
                for e in auditlog.entries_for_person(s, person_code)][::-1]


def test_an_admin_made_account_sees_nothing_until_the_police_confirm(client, world):
    admin = token(client, world.admin.username)
    code = make_person(world.db, world.police, "赵敏", id_number=valid_id("341221"))
    created = client.post("/api/v1/accounts", headers=admin, json={
        "username": "zhao.min", "password": "long-enough-1", "role": "resident",
        "person_code": code})
    assert created.status_code == 201 and created.json()["binding"] == "pending"
    assert "person_code" not in created.json()  # the admin's answers never name a person
    listed = {a["username"]: a for a in client.get("/api/v1/accounts", headers=admin).json()}
    assert listed["zhao.min"]["binding"] == "pending" and "person_code" not in listed["zhao.min"]

    resident = token(client, "zhao.min", "long-enough-1")
    me = client.get("/api/v1/me", headers=resident).json()
    assert me["person_code"] is None and me["binding_pending"] is True
    assert client.get(f"/api/v1/persons/{code}", headers=resident).status_code == 404

    # a police officer of another county sees no such request and cannot decide it
    outsider = token(client, world.police_other_county.username)
    assert client.get("/api/v1/account-bindings", headers=outsider).json() == []
    assert client.post("/api/v1/account-bindings/zhao.min/confirm",
                       headers=outsider).status_code == 404
    # the admin cannot confirm their own request either
    assert client.post("/api/v1/account-bindings/zhao.min/confirm",
                       headers=admin).status_code == 403

    police = token(client, world.police.username)
    waiting = client.get("/api/v1/account-bindings", headers=police).json()
    assert [(b["username"], b["person_code"], b["requested_by"]) for b in waiting] == [
        ("zhao.min", code, world.admin.username)]
    done = client.post("/api/v1/account-bindings/zhao.min/confirm", headers=police)
    assert done.status_code == 200 and done.json()["binding"] == "bound"
    assert client.get(f"/api/v1/persons/{code}", headers=resident).json()["name"] == "赵敏"
    assert client.get("/api/v1/account-bindings", headers=police).json() == []
    # request, the refused attempt and the confirmation are all in the person's own log
    log = client.get("/api/v1/me/access-log", headers=resident).json()
    seen = {(e["action"], e["official"], e["refused"]) for e in log}
    assert {("account.bind_request", world.admin.username, False),
            ("account.bind_decide", world.police_other_county.username, True),
            ("account.bind_confirm", world.police.username, False)} <= seen


def test_a_refused_binding_leaves_the_account_without_a_person(client, world):
    admin = token(client, world.admin.username)
    code = make_person(world.db, world.police, "钱多", id_number=valid_id("341221"))
    client.post("/api/v1/accounts", headers=admin, json={
        "username": "qian.duo", "password": "long-enough-1", "role": "landlord",
        "person_code": code})
    police = token(client, world.police.username)
    refused = client.post("/api/v1/account-bindings/qian.duo/refuse", headers=police)
    assert refused.status_code == 200 and refused.json()["binding"] == "refused"
    landlord = token(client, "qian.duo", "long-enough-1")
    assert client.get("/api/v1/me", headers=landlord).json()["person_code"] is None
    assert client.get(f"/api/v1/persons/{code}", headers=landlord).status_code == 404
    assert client.post("/api/v1/account-bindings/qian.duo/confirm",
                       headers=police).status_code == 404  # decided once
    assert ("account.bind_refuse", world.police.username, False) in _person_log(world.db, code)


def test_unknown_person_codes_are_refused_and_nothing_is_created(client, world):
    admin = token(client, world.admin.username)
    for code in ("P99999999999", "not-a-code"):
        response = client.post("/api/v1/accounts", headers=admin, json={
            "username": "ghost", "password": "long-enough-1", "role": "resident",
            "person_code": code})
        assert response.status_code == 422
        assert response.json()["error"]["code"] == "person_unknown"
    assert "ghost" not in {a["username"] for a in
                           client.get("/api/v1/accounts", headers=admin).json()}
    # staff accounts are nobody's person
    staff = client.post("/api/v1/accounts", headers=admin, json={
        "username": "cop2", "password": "long-enough-1", "role": "police",
        "person_code": world.resident.person_code})
    assert staff.status_code == 422 and staff.json()["error"]["code"] == "person_not_allowed"


def test_admin_cannot_disable_themselves_but_can_enable_and_reset_others(client, world):
    admin = token(client, world.admin.username)
    me = client.post(f"/api/v1/accounts/{world.admin.username}/disable", headers=admin)
    assert me.status_code == 409 and me.json()["error"]["code"] == "account_self"
    assert client.get("/api/v1/me", headers=admin).status_code == 200

    police_name = world.police.username
    old = token(client, police_name)
    client.post(f"/api/v1/accounts/{police_name}/disable", headers=admin)
    again = client.post(f"/api/v1/accounts/{police_name}/enable", headers=admin)
    assert again.status_code == 200 and again.json()["active"] is True
    assert client.get("/api/v1/me", headers=old).status_code == 401  # disabling ended it
    fresh = token(client, police_name)

    short = client.post(f"/api/v1/accounts/{police_name}/password", headers=admin,
                        json={"password": "short"})
    assert short.status_code == 422
    reset = client.post(f"/api/v1/accounts/{police_name}/password", headers=admin,
                        json={"password": "a-new-password-7"})
    assert reset.status_code == 200
    assert client.get("/api/v1/me", headers=fresh).status_code == 401  # every token voided
    assert client.post("/api/v1/auth/token", data={"username": police_name,
                                                   "password": PASSWORD}).status_code == 401
    assert client.get("/api/v1/me", headers=token(client, police_name,
                                                  "a-new-password-7")).status_code == 200
    with world.db.unit_of_work() as s:
        ops = [e.detail["op"] for e in s.execute(select(AuditRecord).where(
            AuditRecord.action == "account.manage", AuditRecord.object_id == police_name)
            .order_by(AuditRecord.id)).scalars()]
    assert ops == ["disable", "enable", "reset_password"]


# --- the session cookie needs the CSRF header ---------------------------------------------------
@pytest.fixture
def browser(db):
    # a browser on http://localhost: the session cookie is not marked Secure there
    with TestClient(create_app(db=db), base_url="http://localhost") as c:
        yield c


def _sign_in(browser, username: str) -> str:
    """Sign in through the page form as a browser does; returns the page's CSRF token (the one
    its <meta name="csrf-token"> exposes to scripts)."""
    form = browser.get("/login").text
    pre = re.search(r'name="csrf_token" value="([^"]*)"', form).group(1)
    done = browser.post("/login", data={"username": username, "password": PASSWORD,
                                        "csrf_token": pre}, follow_redirects=False)
    assert done.status_code == 303, done.text
    return re.search(r'<meta name="csrf-token" content="([^"]+)"', browser.get("/").text).group(1)


FOREIGN = {"Origin": "https://evil.example"}


def test_cookie_without_csrf_header_cannot_disable_an_account(browser, world):
    victim = make_account(world.db, "grid_worker")
    meta = _sign_in(browser, world.admin.username)
    assert browser.get("/api/v1/accounts").status_code == 200  # reading with the cookie is fine
    refused = browser.post(f"/api/v1/accounts/{victim.username}/disable", headers=FOREIGN)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "csrf_failed"
    assert refused.json()["error"]["message_zh"] and refused.json()["error"]["message_en"]
    wrong = browser.post(f"/api/v1/accounts/{victim.username}/disable",
                         headers={"X-CSRF-Token": "x" * 27})
    assert wrong.status_code == 403
    listed = {a["username"]: a["active"] for a in browser.get("/api/v1/accounts").json()}
    assert listed[victim.username] is True
    ok = browser.post(f"/api/v1/accounts/{victim.username}/disable",
                      headers={"X-CSRF-Token": meta})
    assert ok.status_code == 200 and ok.json()["active"] is False


def test_cookie_without_csrf_header_cannot_approve_a_registration(browser, world):
    code = make_person(world.db, world.police, "孙立", id_number=valid_id("341221"))
    reg = submit(world.db, world.police, code, world.room_id)
    meta = _sign_in(browser, world.police.username)
    refused = browser.post(f"/api/v1/registrations/{reg}/approve", headers=FOREIGN)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "csrf_failed"
    assert browser.get(f"/api/v1/registrations/{reg}").json()["status"] == "submitted"
    ok = browser.post(f"/api/v1/registrations/{reg}/approve", headers={"X-CSRF-Token": meta})
    assert ok.status_code == 200 and ok.json()["status"] == "approved"


def test_bearer_tokens_need_no_csrf_header(client, world):
    code = make_person(world.db, world.police, "周全", id_number=valid_id("341221"))
    reg = submit(world.db, world.police, code, world.room_id)
    police = token(client, world.police.username)
    approved = client.post(f"/api/v1/registrations/{reg}/approve", headers={**police, **FOREIGN})
    assert approved.status_code == 200
