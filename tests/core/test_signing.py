"""The installation's SM2 key: made once, kept outside the database, signs canonical JSON that
another installation (and OpenSSL, an independent SM2 implementation) can verify."""
from __future__ import annotations

import base64
import json
import os
import stat
import subprocess

import pytest
from Cryptodome.Util.asn1 import DerSequence  # pulled in by gmssl
from typer.testing import CliRunner

from anju.cli.main import app
from anju.core import signing
from anju.core.config import Settings, get_settings, reset_settings_cache
from anju.core.errors import ValidationError

PERMIT = {"permit_number": "330522-2026-000123", "person_code": "P12345678901",
          "valid_until": "2027-12-31", "name": "张*"}
runner = CliRunner()


@pytest.fixture
def pair(tmp_path) -> signing.KeyPair:
    settings = Settings(data_dir=tmp_path / "data")
    signing.ensure_key(settings)
    return signing.installation_key(settings)


def test_canonical_form_sorts_keys_keeps_utf8_and_drops_spaces():
    assert signing.canonical({"b": [1, 2], "a": "安居"}) == '{"a":"安居","b":[1,2]}'.encode()
    with pytest.raises(ValueError):
        signing.canonical({"x": float("nan")})


def test_round_trip_and_key_order_does_not_matter(pair):
    signature = pair.sign(PERMIT)
    assert len(signature) == 86 and "=" not in signature
    assert pair.public.verify(dict(reversed(PERMIT.items())), signature)
    assert pair.sign(PERMIT) != signature  # a fresh nonce each time, both valid
    assert pair.public.verify(PERMIT, pair.sign(PERMIT))


@pytest.mark.parametrize("change", [
    {"valid_until": "2028-12-31"}, {"name": "李*"}, {"extra": 1},
])
def test_a_tampered_payload_is_refused(pair, change):
    signature = pair.sign(PERMIT)
    assert not pair.public.verify({**PERMIT, **change}, signature)


def test_a_signature_by_another_key_is_refused(pair):
    other = signing.KeyPair.generate()
    assert not pair.public.verify(PERMIT, other.sign(PERMIT))
    assert not other.public.verify(PERMIT, pair.sign(PERMIT))


@pytest.mark.parametrize("signature", [
    "", "not base64!", "AAAA", base64.urlsafe_b64encode(bytes(64)).decode(),  # r = s = 0
    base64.urlsafe_b64encode(b"\xff" * 64).decode(),  # r, s >= n
])
def test_malformed_signatures_are_simply_invalid(pair, signature):
    assert pair.public.verify(PERMIT, signature) is False


def test_public_key_text_round_trip_and_openssl_reads_it(pair, tmp_path):
    text = pair.public.to_text()
    assert text.startswith("-----BEGIN PUBLIC KEY-----\n")
    pasted = f"county 长兴县, fingerprint {pair.public.fingerprint}\n{text}\n"  # with notes
    assert signing.PublicKey.from_text(pasted) == pair.public
    assert signing.PublicKey.from_text("04" + pair.public.point.hex()) == pair.public
    pem = tmp_path / "peer.pem"
    pem.write_text(text)
    shown = subprocess.run(["openssl", "pkey", "-pubin", "-in", str(pem), "-text", "-noout"],
                           capture_output=True, text=True, check=True).stdout
    assert "SM2" in shown


def test_openssl_verifies_our_signatures(pair, tmp_path):
    """Interoperability: OpenSSL's own SM2 (SM3, default signer ID) accepts the signature."""
    raw = base64.urlsafe_b64decode(pair.sign(PERMIT) + "==")
    (tmp_path / "sig").write_bytes(DerSequence([int.from_bytes(raw[:32], "big"),
                                                int.from_bytes(raw[32:], "big")]).encode())
    (tmp_path / "key.pem").write_text(pair.public.to_text())
    for payload, expected in ((PERMIT, 0), ({**PERMIT, "name": "王*"}, 1)):
        (tmp_path / "msg").write_bytes(signing.canonical(payload))
        done = subprocess.run(
            ["openssl", "pkeyutl", "-verify", "-pubin", "-inkey", str(tmp_path / "key.pem"),
             "-rawin", "-digest", "sm3", "-pkeyopt", "distid:1234567812345678",
             "-in", str(tmp_path / "msg"), "-sigfile", str(tmp_path / "sig")],
            capture_output=True, text=True, check=False)
        assert done.returncode == expected, done.stdout + done.stderr


def _gmssl(private: int, point: bytes):
    from gmssl import sm2 as gm  # the pure-Python SM2 this installation signed with before
    crypt = gm.CryptSM2(private_key=f"{private:064x}", public_key="")
    crypt.public_key = point.hex()  # set after: its constructor strips leading 0s and 4s
    return gm, crypt


def test_signatures_cross_verify_with_the_gmssl_implementation_used_before(pair):
    """Switching to OpenSSL kept the wire: a signature the old gmssl code made verifies with
    the new code, and the other way round, over the same canonical bytes and default ID."""
    gm, crypt = _gmssl(pair.private, pair.public.point)
    old = crypt.sign_with_sm3(signing.canonical(PERMIT), f"{0x1234567 + pair.private % 97:064x}")
    old_text = base64.urlsafe_b64encode(bytes.fromhex(old)).decode().rstrip("=")
    assert pair.public.verify(PERMIT, old_text)
    assert not pair.public.verify({**PERMIT, "name": "王*"}, old_text)
    new = base64.urlsafe_b64decode(pair.sign(PERMIT) + "==")
    assert crypt.verify_with_sm3(new.hex(), signing.canonical(PERMIT))
    assert not crypt.verify_with_sm3(new.hex(), signing.canonical({**PERMIT, "x": 1}))


def test_a_key_file_written_by_the_old_code_still_loads_and_signs(tmp_path):
    """A data directory made before the switch: its key (point computed by gmssl) loads, and
    the new code derives the same public point from the private scalar."""
    private = 0x3945208F7B2144B13F36E38AC6D39F95889393692860B51A42FB81EF4DF7C5B8
    gm, crypt = _gmssl(private, b"")
    point = bytes.fromhex(crypt._kg(private, gm.default_ecc_table["g"]))
    settings = Settings(data_dir=tmp_path / "data")
    path = signing.key_path(settings)
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"format": signing.KEY_FILE_FORMAT, "algorithm": "SM2",
                                "private_key": f"{private:064x}", "public_key": point.hex()}))
    path.chmod(0o600)
    pair = signing.installation_key(settings)
    assert pair.public.point == point
    _, crypt = _gmssl(private, point)
    signature = base64.urlsafe_b64decode(pair.sign(PERMIT) + "==")
    assert crypt.verify_with_sm3(signature.hex(), signing.canonical(PERMIT))


@pytest.mark.parametrize("text", [
    "", "hello", "04" + "00" * 64,  # not on the curve
    "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----",
])
def test_a_bad_public_key_is_refused(text):
    with pytest.raises(ValidationError) as refused:
        signing.PublicKey.from_text(text)
    assert refused.value.field == "public_key"


def test_the_key_file_is_private_and_made_once(tmp_path):
    settings = Settings(data_dir=tmp_path / "data")
    path, made = signing.ensure_key(settings)
    assert made and path == tmp_path / "data" / "keys" / "installation-sm2.key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    first = signing.public_key(settings)
    assert signing.ensure_key(settings) == (path, False)
    assert signing.public_key(settings) == first
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary left behind


def test_a_key_path_from_the_settings(tmp_path):
    settings = Settings(data_dir=tmp_path / "data", signing_key_path=tmp_path / "vault" / "k")
    path, made = signing.ensure_key(settings)
    assert made and path == tmp_path / "vault" / "k" and path.exists()
    assert not (tmp_path / "data" / "keys").exists()


def test_a_key_file_readable_by_others_or_damaged_is_refused(tmp_path):
    settings = Settings(data_dir=tmp_path / "data")
    path, _ = signing.ensure_key(settings)
    path.chmod(0o644)
    with pytest.raises(signing.KeyFileError, match="chmod 600"):
        signing.installation_key(settings)
    path.chmod(0o600)
    stored = json.loads(path.read_text())
    stored["public_key"] = signing.KeyPair.generate().public.point.hex()  # not its own
    path.write_text(json.dumps(stored))
    with pytest.raises(signing.KeyFileError) as damaged:
        signing.installation_key(settings)
    assert damaged.value.code == "signing_key_damaged"
    os.unlink(path)
    with pytest.raises(signing.KeyFileError, match="init-db"):
        signing.installation_key(settings)


def test_init_db_makes_the_key_once_outside_the_database(tmp_path, monkeypatch):
    monkeypatch.setenv("ANJU_DATA_DIR", str(tmp_path / "var"))
    reset_settings_cache()
    assert runner.invoke(app, ["init-db"]).exit_code == 0
    key_file = get_settings().resolved_signing_key_path
    private = json.loads(key_file.read_text())["private_key"]
    public = runner.invoke(app, ["keys", "public"])
    assert public.exit_code == 0
    assert runner.invoke(app, ["init-db"]).exit_code == 0  # re-running keeps the key
    assert json.loads(key_file.read_text())["private_key"] == private
    again = runner.invoke(app, ["keys", "public"])
    assert again.stdout == public.stdout and "BEGIN PUBLIC KEY" in again.stdout
    assert signing.PublicKey.from_text(again.stdout) == signing.public_key()
    database = b"".join(f.read_bytes() for f in (tmp_path / "var").glob("anju.sqlite3*"))
    assert len(database) > 10_000
    for form in (private, bytes.fromhex(private)):
        assert (form.encode() if isinstance(form, str) else form) not in database


def test_keys_public_without_a_key_says_what_to_do(tmp_path, monkeypatch):
    monkeypatch.setenv("ANJU_DATA_DIR", str(tmp_path / "empty"))
    reset_settings_cache()
    result = runner.invoke(app, ["keys", "public"])
    assert result.exit_code == 2 and "init-db" in result.output
