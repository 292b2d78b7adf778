"""The electronic residence permit: a signed (SM2) QR payload on the permit, verifiable offline
with the county's public key and by a public page/API; a forged, altered, lapsed or revoked
permit verifies as invalid, and the answer carries nothing personal beyond the masked name."""
from __future__ import annotations

import base64
import json
from datetime import date

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from anju.cases import policy as CP
from anju.cases.service import permits
from anju.core import clock, signing
from anju.core.auditlog import my_access_log
from anju.core.models import AuditRecord
from anju.registry import epermit
from anju.registry import service as registry
from anju.registry.models import Permit
from tests.factories import submit

TODAY = date(2026, 3, 2)


@pytest.fixture
def holder(world):
    clock.pin_today(TODAY)
    signing.ensure_key()
    reg = submit(world.db, world.landlord, world.resident.person_code, world.room_id,
                 start=date(2025, 6, 2))
    with world.db.unit_of_work() as s:
        registry.approve_registration(s, world.police, reg)
    with world.db.unit_of_work() as s:
        permit = registry.issue_permit(s, world.police, world.resident.person_code)
    return world, permit


def _altered(payload: str, **changes) -> str:
    prefix, body, signature = payload.split(".")
    facts = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    facts.update(changes)
    body = base64.urlsafe_b64encode(signing.canonical(facts)).decode().rstrip("=")
    return f"{prefix}.{body}.{signature}"


def test_an_issued_permit_carries_a_signed_payload_that_verifies(db, holder):
    world, permit = holder
    assert permit.qr_payload and permit.qr_payload.startswith("ANJU-RP1.")
    with db.unit_of_work() as s:
        listed = registry.list_permits(s, world.resident, world.resident.person_code)[0]
        result = permits.verify(s, listed.qr_payload)
    assert result.valid and result.reason == "valid"
    assert result.permit_number == permit.permit_number and result.holder == "王*"
    assert result.valid_from == TODAY and result.valid_until == permit.valid_until
    # nothing personal beyond the masked name: no ID number, phone, full name, person code
    text = base64.urlsafe_b64decode(listed.qr_payload.split(".")[1] + "==").decode()
    assert "王芳" not in text and "13800001111" not in text
    assert set(result.model_dump(exclude_none=True)) == {
        "valid", "reason", "reason_zh", "reason_en", "permit_number", "holder", "valid_from",
        "valid_until"}


def test_a_forged_or_altered_payload_fails(db, holder):
    world, permit = holder
    payload = permit.qr_payload
    forged = epermit.sign(json.loads(base64.urlsafe_b64decode(
        payload.split(".")[1] + "==")), signing.KeyPair.generate())
    other_sig = permit.qr_payload.rsplit(".", 1)[0] + "." + signing.KeyPair.generate().sign({})
    cases = {
        "altered validity": (_altered(payload, valid_until="2099-12-31"), "bad_signature"),
        "altered holder": (_altered(payload, holder="李*"), "bad_signature"),
        "another key": (forged, "bad_signature"),
        "another signature": (other_sig, "bad_signature"),
        "garbage": ("ANJU-RP1.!!!.xyz", "malformed"),
        "not ours": ("https://example.com/permit/1", "malformed"),
        "empty": ("", "malformed"),
    }
    with db.unit_of_work() as s:
        before = s.execute(select(AuditRecord.id).order_by(AuditRecord.id.desc())).scalar()
        for what, (text, reason) in cases.items():
            result = permits.verify(s, text)
            assert not result.valid and result.reason == reason, what
            assert result.permit_number is None and result.holder is None, what
        # an unsigned text reads nothing, so nothing is recorded
        assert s.execute(select(AuditRecord.id).where(AuditRecord.id > before)).first() is None


def test_lapsed_revoked_and_endorsed_permits(db, holder):
    world, permit = holder
    clock.pin_today(date(2027, 3, 5))
    with db.unit_of_work() as s:
        result = permits.verify(s, permit.qr_payload)
    assert not result.valid and result.reason == "lapsed"
    offline, _ = permits.check(permit.qr_payload)
    assert offline.reason == "lapsed"
    # endorsed before it lapsed: the registry's later date makes the old code valid again
    clock.pin_today(date(2027, 2, 1))
    with db.unit_of_work() as s:
        registry.endorse_permit(s, world.police, permit.permit_number)
    clock.pin_today(date(2027, 3, 5))
    with db.unit_of_work() as s:
        result = permits.verify(s, permit.qr_payload)
    assert result.valid and result.valid_until == permit.valid_until.replace(year=2028)
    with db.unit_of_work() as s:
        s.execute(select(Permit).where(Permit.permit_number == permit.permit_number)
                  ).scalar().status = "revoked"
    with db.unit_of_work() as s:
        result = permits.verify(s, permit.qr_payload)
    assert not result.valid and result.reason == "revoked"


def test_a_verification_is_on_the_holders_access_log(db, holder):
    world, permit = holder
    with db.unit_of_work() as s:
        permits.verify(s, permit.qr_payload)
    with db.unit_of_work() as s:
        log = my_access_log(s, world.resident)
    checks = [e for e in log if e.action == CP.PERMIT_VERIFY.code]
    assert len(checks) == 1 and checks[0].purpose == CP.PERMIT_CHECK.name


def test_cli_verifies_offline_with_a_public_key(db, holder, tmp_path):
    from anju.cli.main import app

    world, permit = holder
    (tmp_path / "qr.txt").write_text(permit.qr_payload + "\n")
    (tmp_path / "county.pem").write_text(signing.public_key().to_text())
    runner = CliRunner()
    ok = runner.invoke(app, ["permit", "verify", str(tmp_path / "qr.txt"), "--public-key",
                             str(tmp_path / "county.pem")])
    assert ok.exit_code == 0, ok.output
    assert "VALID" in ok.output and permit.permit_number in ok.output and "王*" in ok.output
    bad = runner.invoke(app, ["permit", "verify", _altered(permit.qr_payload, holder="李*")])
    assert bad.exit_code == 1 and "INVALID" in bad.output
    (tmp_path / "other.pem").write_text(signing.KeyPair.generate().public.to_text())
    other = runner.invoke(app, ["permit", "verify", permit.qr_payload, "--public-key",
                                str(tmp_path / "other.pem")])
    assert other.exit_code == 1


def test_public_verify_api_and_page_need_no_login(db, holder, client):
    world, permit = holder
    response = client.post("/api/v1/permits/verify", json={"payload": permit.qr_payload})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["valid"] is True and body["permit_number"] == permit.permit_number
    assert body["holder"] == "王*" and "person_code" not in body
    altered = client.post("/api/v1/permits/verify",
                          json={"payload": _altered(permit.qr_payload, valid_until="2099-01-01")})
    assert altered.status_code == 200 and altered.json()["valid"] is False
    assert client.post("/api/v1/permits/verify", json={}).status_code == 422
    page = client.get("/verify", params={"payload": permit.qr_payload})
    assert page.status_code == 200 and permit.permit_number in page.text
    assert "有效" in page.text
    page = client.get("/verify", params={"payload": "nonsense", "lang": "en"})
    assert page.status_code == 200 and "王*" not in page.text


def test_cli_registry_check_sees_a_revocation_the_offline_check_cannot(db, holder, monkeypatch):
    from anju.cli.main import app
    from anju.core.config import reset_settings_cache

    _, permit = holder
    with db.unit_of_work() as s:
        s.execute(select(Permit).where(Permit.permit_number == permit.permit_number)
                  ).scalar().status = "revoked"
    monkeypatch.setenv("ANJU_DATABASE_URL", db.url)
    reset_settings_cache()
    runner = CliRunner()
    offline = runner.invoke(app, ["permit", "verify", permit.qr_payload])
    assert offline.exit_code == 0, offline.output  # the signature and dates still hold
    online = runner.invoke(app, ["permit", "verify", permit.qr_payload, "--registry"])
    assert online.exit_code == 1 and "revoked" in online.output, online.output
