"""Administrators manage accounts over the API; nobody else can; disabling voids tokens."""
from __future__ import annotations

from tests.factories import token


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
