"""The installation's SM2 key pair (GB/T 32918, the national signature algorithm): it signs what
leaves this installation — e-permit QR codes, messages to peer counties — so that anyone holding
the public key can check it offline.

- The key pair is made once, by `anju init-db` (and `anju demo`, `anju serve`), and kept in a
  file outside the database (`ANJU_SIGNING_KEY_PATH`, default `data_dir/keys/`), readable by
  its owner only (0600): a database dump must never carry the signing key.
- A signature covers the payload's canonical JSON (keys sorted, UTF-8, no spaces), SM3 with
  the default signer ID 1234567812345678 (GM/T 0009), and is written r‖s in base64url.
- The public key travels as a PEM SubjectPublicKeyInfo (id-ecPublicKey on the SM2 curve, as
  GmSSL and OpenSSL write it), with an SM3 fingerprint to read out over the phone.

The arithmetic is the system OpenSSL 3's (`anju.core.sm2`, C, ~0.5 ms a signature or a
verification; it replaced the pure-Python `gmssl`, ~20/~30 ms, with the same keys and signature
bytes). OpenSSL draws the nonce from its own CSPRNG; here we add range checks on r and s and a
check that an imported key is a point on the curve.
"""
from __future__ import annotations

import base64
import binascii
import functools
import json
import os
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from anju.core import sm2
from anju.core.config import Settings, get_settings
from anju.core.crypto import sm3_hex
from anju.core.errors import AnjuError, ValidationError

# the SM2 curve's field prime, coefficients and group order (GB/T 32918.5)
_P = int("FFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFF", 16)
_A = _P - 3
_B = int("28E9FA9E9D9F5E344D5A9E4BCF6509A7F39789F515AB8F92DDBCBD414D940E93", 16)
_N = int("FFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123", 16)
# DER of SubjectPublicKeyInfo{id-ecPublicKey, sm2p256v1 (1.2.156.10197.1.301)} up to the point
_SPKI = bytes.fromhex("3059301306072a8648ce3d020106082a811ccf5501822d034200")
_PEM = ("-----BEGIN PUBLIC KEY-----", "-----END PUBLIC KEY-----")
KEY_FILE_FORMAT = "anju-sm2-key/1"


class KeyFileError(AnjuError):
    """The installation's key file is missing, unreadable, too open or damaged: an operator's
    matter, so it says what to do."""

    http_status = 503


def canonical(payload: object) -> bytes:
    """The bytes a signature covers: JSON with sorted keys, UTF-8, no spaces, no NaN."""
    return json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"),
                      allow_nan=False).encode("utf-8")


def _times_g(k: int) -> bytes:
    """k·G, the public point of private key k."""
    return sm2.point_of(sm2.private_key(k.to_bytes(32, "big"), None))


def _on_curve(point: bytes) -> bool:
    x, y = int.from_bytes(point[:32], "big"), int.from_bytes(point[32:], "big")
    return x < _P and y < _P and (y * y - (x * x * x + _A * x + _B)) % _P == 0


@dataclass(frozen=True)
class PublicKey:
    point: bytes  # x ‖ y, 64 bytes

    def __post_init__(self) -> None:
        if len(self.point) != 64 or not _on_curve(self.point):
            raise _bad_key()

    @classmethod
    def from_text(cls, text: str) -> PublicKey:
        """Read a public key as another installation exported it: the PEM block (text around
        it is ignored), or the bare point in hex (04‖x‖y or x‖y)."""
        text = (text or "").strip()
        if _PEM[0] in text and _PEM[1] in text:
            body = text.split(_PEM[0], 1)[1].split(_PEM[1], 1)[0]
            try:
                der = base64.b64decode("".join(body.split()), validate=True)
            except (binascii.Error, ValueError):
                raise _bad_key() from None
            if len(der) != len(_SPKI) + 65 or not der.startswith(_SPKI) or der[len(_SPKI)] != 4:
                raise _bad_key()
            return cls(der[len(_SPKI) + 1:])
        try:
            raw = bytes.fromhex(text)
        except ValueError:
            raise _bad_key() from None
        if len(raw) == 65 and raw[0] == 4:
            raw = raw[1:]
        return cls(raw)

    def der(self) -> bytes:
        return _SPKI + b"\x04" + self.point

    def to_text(self) -> str:
        body = base64.b64encode(self.der()).decode("ascii")
        lines = [body[i:i + 64] for i in range(0, len(body), 64)]
        return "\n".join([_PEM[0], *lines, _PEM[1]]) + "\n"

    @property
    def fingerprint(self) -> str:
        """SM3 of the key, first 128 bits, in groups of four: to compare over the phone."""
        digest = sm3_hex(self.der())[:32]
        return " ".join(digest[i:i + 4] for i in range(0, 32, 4))

    def verify(self, payload: object, signature: str) -> bool:
        """Whether `signature` is this key's over `payload`'s canonical form. Anything
        malformed is simply not a valid signature."""
        try:
            raw = base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4))
            data = canonical(payload)
        except (binascii.Error, ValueError, TypeError):
            return False
        if len(raw) != 64:
            return False
        r, s = int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big")
        if not (0 < r < _N and 0 < s < _N):
            return False
        try:
            return sm2.verify(sm2.public_key(self.point), data, raw)
        except ValueError:
            return False


def _bad_key() -> ValidationError:
    return ValidationError("public_key_invalid", "公钥格式不正确，或不是 SM2 曲线上的点",
                           "not a valid SM2 public key", field="public_key")


@dataclass(frozen=True)
class KeyPair:
    private: int = field(repr=False)
    public: PublicKey

    @classmethod
    def generate(cls) -> KeyPair:
        private, point = sm2.generate()  # OpenSSL keeps 1 <= d <= n-2
        return cls(int.from_bytes(private, "big"), PublicKey(point))

    def sign(self, payload: object) -> str:
        """The signature over `payload`'s canonical form, r ‖ s in base64url (86 characters)."""
        key = sm2.private_key(self.private.to_bytes(32, "big"), self.public.point)
        raw = sm2.sign(key, canonical(payload))  # OpenSSL redraws a nonce giving r or s = 0
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")


# --- the installation's key file ---------------------------------------------------------------
def key_path(settings: Settings | None = None) -> Path:
    return (settings or get_settings()).resolved_signing_key_path


def ensure_key(settings: Settings | None = None) -> tuple[Path, bool]:
    """Make the installation's key pair unless its file exists; (path, whether it was made).
    Safe when several processes start at once: the file appears whole, and only once."""
    path = key_path(settings)
    if path.exists():
        installation_key(settings)  # an existing file must be usable, or say why not
        return path, False
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)  # a folder that exists is kept
    pair = KeyPair.generate()
    text = json.dumps({
        "format": KEY_FILE_FORMAT, "algorithm": "SM2", "curve": "sm2p256v1",
        "private_key": f"{pair.private:064x}", "public_key": pair.public.point.hex(),
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "note": "Anju installation signing key. Keep secret; back it up apart from the "
                "database; never store it in the database."}, indent=2) + "\n"
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".signing-", suffix=".tmp")
    try:  # mkstemp makes the file 0600
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        try:
            os.link(temporary, path)  # atomic, and refuses to replace a key made meanwhile
        except FileExistsError:
            return path, False
    finally:
        os.unlink(temporary)
    return path, True


def installation_key(settings: Settings | None = None) -> KeyPair:
    """This installation's key pair, read from its file (once per file version)."""
    path = key_path(settings)
    try:
        stat = path.stat()
    except FileNotFoundError:
        raise KeyFileError("signing_key_missing",
                           f"本机签名密钥不存在（{path}）：请先运行 anju init-db",
                           f"the installation's signing key is missing ({path}); run "
                           "`anju init-db` first") from None
    return _read(path, stat.st_mtime_ns, stat.st_size)


def public_key(settings: Settings | None = None) -> PublicKey:
    return installation_key(settings).public


@functools.lru_cache(maxsize=4)
def _read(path: Path, _mtime: int, _size: int) -> KeyPair:
    if path.stat().st_mode & 0o077:
        raise KeyFileError("signing_key_open",
                           f"签名密钥文件 {path} 可被其他用户读取：请执行 chmod 600 {path}",
                           f"the signing key file {path} is readable by others; run "
                           f"`chmod 600 {path}`")
    try:
        stored = json.loads(path.read_text(encoding="utf-8"))
        if stored["format"] != KEY_FILE_FORMAT:
            raise ValueError(stored["format"])
        private = int(stored["private_key"], 16)
        pair = KeyPair(private, PublicKey(bytes.fromhex(stored["public_key"])))
        if not 0 < private < _N - 1 or _times_g(private) != pair.public.point:
            raise ValueError("the public key is not the private key's")
    except (OSError, ValueError, KeyError, TypeError, AnjuError):
        raise KeyFileError("signing_key_damaged",
                           f"签名密钥文件 {path} 已损坏：请从备份恢复",
                           f"the signing key file {path} is damaged; restore it from the "
                           "backup") from None
    return pair
