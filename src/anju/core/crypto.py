"""Chinese national cryptography (SM3 hash, SM4 cipher) for personal data at rest, and masking.

ID numbers are stored twice: SM4-GCM ciphertext (random nonce, so equal numbers look different)
and an HMAC-SM3 lookup hash (deterministic, so it can be a unique index). The two use separate
keys derived from the one application secret, so the index reveals nothing about the cipher key.
"""

from __future__ import annotations

import base64
import binascii
import functools
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from anju.core.config import get_settings
from anju.core.errors import AnjuError

_VERSION = b"\x01"  # token format: version | 12-byte nonce | ciphertext | 16-byte GCM tag
_NONCE, _TAG = 12, 16


class CipherError(AnjuError):
    """A stored ciphertext that is corrupt, tampered with or made under another key."""

    http_status = 500

    def __init__(self) -> None:
        super().__init__("cipher_invalid", "密文无效或已被篡改（或密钥不符）",
                         "ciphertext is invalid, tampered with, or made under another key")


def _bytes(data: bytes | str) -> bytes:
    return data.encode("utf-8") if isinstance(data, str) else data


def sm3_hex(data: bytes | str) -> str:
    h = hashes.Hash(hashes.SM3())
    h.update(_bytes(data))
    return h.finalize().hex()


def derive_key(secret: str, purpose: str, length: int = 16) -> bytes:
    """A key for one purpose from the application secret (HKDF-SM3, purpose as info)."""
    if not secret:
        raise ValueError("secret must not be empty")
    hkdf = HKDF(algorithm=hashes.SM3(), length=length, salt=b"anju", info=_bytes(purpose))
    return hkdf.derive(_bytes(secret))


class IdCipher:
    """Encrypts identity values (SM4-GCM) and computes their lookup hash (HMAC-SM3)."""

    def __init__(self, secret: str):
        self._sm4 = algorithms.SM4(derive_key(secret, "anju/pii/sm4-gcm/v1", 16))
        self._mac = hmac.HMAC(derive_key(secret, "anju/pii/lookup-hmac-sm3/v1", 32), hashes.SM3())

    def encrypt(self, text: str) -> str:
        nonce = os.urandom(_NONCE)
        enc = Cipher(self._sm4, modes.GCM(nonce)).encryptor()
        enc.authenticate_additional_data(_VERSION)
        body = enc.update(text.encode("utf-8")) + enc.finalize()
        return base64.b64encode(_VERSION + nonce + body + enc.tag).decode("ascii")

    def encrypt_many(self, texts: list[str]) -> list[str]:
        """`encrypt` for many values (bulk loads): one call for all the random nonces."""
        nonces = os.urandom(_NONCE * len(texts))
        sm4, out = self._sm4, []
        for k, text in enumerate(texts):
            nonce = nonces[k * _NONCE:(k + 1) * _NONCE]
            enc = Cipher(sm4, modes.GCM(nonce)).encryptor()
            enc.authenticate_additional_data(_VERSION)
            body = enc.update(text.encode("utf-8")) + enc.finalize()
            out.append(base64.b64encode(_VERSION + nonce + body + enc.tag).decode("ascii"))
        return out

    def decrypt(self, token: str) -> str:
        try:
            raw = base64.b64decode(token, validate=True)
        except (binascii.Error, ValueError, TypeError):
            raise CipherError() from None
        if len(raw) < 1 + _NONCE + _TAG or raw[:1] != _VERSION:
            raise CipherError()
        nonce, body, tag = raw[1:1 + _NONCE], raw[1 + _NONCE:-_TAG], raw[-_TAG:]
        dec = Cipher(self._sm4, modes.GCM(nonce, tag)).decryptor()
        dec.authenticate_additional_data(_VERSION)
        try:
            return (dec.update(body) + dec.finalize()).decode("utf-8")
        except (InvalidTag, UnicodeDecodeError):
            raise CipherError() from None

    def lookup_hash(self, text: str) -> str:
        """Deterministic keyed hash (64 hex chars); callers normalise the value first."""
        h = self._mac.copy()  # copying the keyed state is ~3x faster than a new HMAC
        h.update(text.encode("utf-8"))
        return h.finalize().hex()


@functools.lru_cache(maxsize=8)
def _cipher(secret: str, label: str) -> IdCipher:
    return IdCipher(secret + ("\x00" + label if label else ""))


def id_cipher() -> IdCipher:
    """The cipher of identity values at rest (ID numbers of persons, of department records, of
    exemption lists), under the installation's secret."""
    return _cipher(get_settings().secret_key, "")


def secret_cipher(label: str) -> IdCipher:
    """A cipher with its own key for one kind of secret (`label`, e.g.
    "anju/housing/lock-vendor-secrets/v1"), derived from the installation's secret."""
    return _cipher(get_settings().secret_key, label)


# --- masking for display -------------------------------------------------------------------

def mask_id_number(number: str | None) -> str:
    """"330522199001011234" -> "330522********1234" (region and last 4 stay visible)."""
    s = "".join((number or "").split())
    if len(s) >= 12:  # resident ID numbers (18, legacy 15)
        return s[:6] + "*" * (len(s) - 10) + s[-4:]
    if len(s) > 2:  # passports and other documents: last 2 only
        return "*" * (len(s) - 2) + s[-2:]
    return "*" * len(s)


def mask_phone(phone: str | None) -> str:
    """"13812345678" -> "138****5678"; other numbers keep only their last 4 digits visible."""
    s = "".join((phone or "").split())
    prefix = ""
    for cc in ("+86", "0086"):
        if s.startswith(cc) and len(s) - len(cc) == 11:
            prefix, s = s[: len(cc)], s[len(cc):]
    if len(s) == 11 and s.isdigit():
        return prefix + s[:3] + "****" + s[-4:]
    if len(s) > 4:
        return prefix + "".join("*" if c.isdigit() else c for c in s[:-4]) + s[-4:]
    return prefix + "*" * len(s)


def mask_code(code: str | None) -> str:
    """"P065AXXTRAJ9" -> "P065****RAJ9": a person code shown in part (lists of audit entries)."""
    s = (code or "").strip()
    return s[:4] + "*" * (len(s) - 8) + s[-4:] if len(s) > 8 else "*" * len(s)


def mask_name(name: str | None) -> str:
    """"张伟" -> "张*", "欧阳娜娜" -> "欧***": the first character only."""
    s = (name or "").strip()
    if len(s) <= 1:
        return "*" * len(s)
    return s[0] + "*" * (len(s) - 1)
