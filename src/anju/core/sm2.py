"""SM2 signatures (GB/T 32918) by the system's OpenSSL 3 (`libcrypto.so.3`), through ctypes.

Why OpenSSL: it is the best-kept SM2 implementation on any Debian machine (libssl3 is part of
the base system, and Python itself links it), in C, ~0.1 ms a signature against ~20 ms for the
pure-Python `gmssl` used before. The PyPI C packages (`gmalglib`, `gmssl-fast`, `gmssl-python`)
either have no wheel for this Python, a single unattributed release, or need a GmSSL shared
library that Debian does not package. The bytes are the same as before: keys are the raw
scalar and the point x‖y, signatures r‖s, SM3 with the default signer ID (GM/T 0009), so keys
and signatures made by the old code still work (tests/core/test_signing.py checks both ways
against `gmssl`).

Only four operations are needed: make a key, derive a key's public point, sign, verify. Keys
reach OpenSSL as DER (RFC 5915 ECPrivateKey, RFC 5480 SubjectPublicKeyInfo on the SM2 curve),
so no OpenSSL structure is built field by field here.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import functools

DEFAULT_ID = b"1234567812345678"
_OID = bytes.fromhex("06082a811ccf5501822d")  # sm2p256v1, 1.2.156.10197.1.301
SPKI_PREFIX = bytes.fromhex("3059301306072a8648ce3d020106082a811ccf5501822d034200")
_EVP_PKEY_EC = 408
_vp, _sz = ctypes.c_void_p, ctypes.c_size_t


class OpenSSLMissing(RuntimeError):
    """libcrypto 3 is not on this machine (Debian: `apt-get install libssl3`)."""


@functools.cache
def _lib() -> ctypes.CDLL:
    name = ctypes.util.find_library("crypto") or "libcrypto.so.3"
    try:
        lib = ctypes.CDLL(name)
        lib.OpenSSL_version_num.restype = ctypes.c_ulong
        if lib.OpenSSL_version_num() < 0x30000000:
            raise OSError(name)
    except (OSError, AttributeError) as exc:
        raise OpenSSLMissing(f"SM2 needs OpenSSL 3's libcrypto ({exc})") from None
    signatures = {
        "d2i_PUBKEY": (_vp, [_vp, ctypes.POINTER(ctypes.c_char_p), ctypes.c_long]),
        "d2i_PrivateKey": (_vp, [ctypes.c_int, _vp, ctypes.POINTER(ctypes.c_char_p),
                                 ctypes.c_long]),
        "i2d_PUBKEY": (ctypes.c_int, [_vp, ctypes.POINTER(ctypes.c_char_p)]),
        "EVP_PKEY_free": (None, [_vp]),
        "EVP_PKEY_Q_keygen": (_vp, [_vp, _vp, ctypes.c_char_p]),
        "EVP_PKEY_get_bn_param": (ctypes.c_int, [_vp, ctypes.c_char_p, ctypes.POINTER(_vp)]),
        "BN_bn2binpad": (ctypes.c_int, [_vp, ctypes.c_char_p, ctypes.c_int]),
        "BN_free": (None, [_vp]),
        "EVP_PKEY_CTX_new_from_pkey": (_vp, [_vp, _vp, _vp]),
        "EVP_PKEY_CTX_set1_id": (ctypes.c_int, [_vp, ctypes.c_char_p, ctypes.c_int]),
        "EVP_PKEY_CTX_free": (None, [_vp]),
        "EVP_MD_CTX_new": (_vp, []),
        "EVP_MD_CTX_free": (None, [_vp]),
        "EVP_MD_CTX_set_pkey_ctx": (None, [_vp, _vp]),
        "EVP_sm3": (_vp, []),
        "EVP_DigestSignInit": (ctypes.c_int, [_vp, _vp, _vp, _vp, _vp]),
        "EVP_DigestSign": (ctypes.c_int, [_vp, ctypes.c_char_p, ctypes.POINTER(_sz),
                                          ctypes.c_char_p, _sz]),
        "EVP_DigestVerifyInit": (ctypes.c_int, [_vp, _vp, _vp, _vp, _vp]),
        "EVP_DigestVerify": (ctypes.c_int, [_vp, ctypes.c_char_p, _sz, ctypes.c_char_p, _sz]),
        "ERR_clear_error": (None, []),
    }
    for fname, (restype, argtypes) in signatures.items():
        fn = getattr(lib, fname)
        fn.restype, fn.argtypes = restype, argtypes
    return lib


def _der_len(n: int) -> bytes:
    return bytes([n]) if n < 0x80 else bytes([0x81, n])


def _private_der(private: bytes, point: bytes | None) -> bytes:
    """RFC 5915 ECPrivateKey on the SM2 curve; without the point, OpenSSL computes it."""
    body = b"\x02\x01\x01\x04\x20" + private + b"\xa0\x0a" + _OID
    if point is not None:
        body += b"\xa1\x44\x03\x42\x00\x04" + point
    return b"\x30" + _der_len(len(body)) + body


class _Key:
    """An EVP_PKEY owned by Python: freed when the object goes."""

    def __init__(self, handle: int | None) -> None:
        if not handle:
            _lib().ERR_clear_error()
            raise ValueError("OpenSSL refused the key")
        self.handle = handle
        self._free = _lib().EVP_PKEY_free  # held, so it is still there at interpreter exit

    def __del__(self) -> None:
        if getattr(self, "handle", None):
            self._free(self.handle)


@functools.lru_cache(maxsize=64)
def public_key(point: bytes) -> _Key:
    der = SPKI_PREFIX + b"\x04" + point
    return _Key(_lib().d2i_PUBKEY(None, ctypes.byref(ctypes.c_char_p(der)), len(der)))


@functools.lru_cache(maxsize=8)
def private_key(private: bytes, point: bytes | None) -> _Key:
    der = _private_der(private, point)
    return _Key(_lib().d2i_PrivateKey(_EVP_PKEY_EC, None, ctypes.byref(ctypes.c_char_p(der)),
                                      len(der)))


def point_of(key: _Key) -> bytes:
    """The public point x‖y of a key (for a private key loaded without it: d·G)."""
    lib = _lib()
    size = len(SPKI_PREFIX) + 65
    if lib.i2d_PUBKEY(key.handle, None) != size:
        raise ValueError("unexpected public key encoding")
    buffer = ctypes.create_string_buffer(size)
    lib.i2d_PUBKEY(key.handle, ctypes.byref(ctypes.cast(buffer, ctypes.c_char_p)))
    return buffer.raw[len(SPKI_PREFIX) + 1:]


def generate() -> tuple[bytes, bytes]:
    """A fresh key pair from OpenSSL's CSPRNG: (private scalar, 32 bytes; point x‖y)."""
    lib = _lib()
    key = _Key(lib.EVP_PKEY_Q_keygen(None, None, b"SM2"))
    bn = _vp()
    if lib.EVP_PKEY_get_bn_param(key.handle, b"priv", ctypes.byref(bn)) != 1:
        raise ValueError("OpenSSL gave no private key")
    try:
        private = ctypes.create_string_buffer(32)
        lib.BN_bn2binpad(bn, private, 32)
    finally:
        lib.BN_free(bn)
    return private.raw, point_of(key)


def _digest_ctx(key: _Key, verify: bool) -> tuple[int, int]:
    lib = _lib()
    md, pctx = lib.EVP_MD_CTX_new(), lib.EVP_PKEY_CTX_new_from_pkey(None, key.handle, None)
    if not md or not pctx or lib.EVP_PKEY_CTX_set1_id(pctx, DEFAULT_ID, len(DEFAULT_ID)) != 1:
        lib.EVP_PKEY_CTX_free(pctx)
        lib.EVP_MD_CTX_free(md)
        raise ValueError("OpenSSL could not set up SM2")
    lib.EVP_MD_CTX_set_pkey_ctx(md, pctx)  # md does not own pctx: freed by us after
    init = lib.EVP_DigestVerifyInit if verify else lib.EVP_DigestSignInit
    if init(md, None, lib.EVP_sm3(), None, key.handle) != 1:
        lib.EVP_MD_CTX_free(md)
        lib.EVP_PKEY_CTX_free(pctx)
        raise ValueError("OpenSSL could not start SM2")
    return md, pctx


def sign(key: _Key, data: bytes) -> bytes:
    """r‖s (64 bytes) of SM2 over `data` with SM3 and the default signer ID."""
    lib = _lib()
    md, pctx = _digest_ctx(key, verify=False)
    try:
        out, size = ctypes.create_string_buffer(80), _sz(80)
        if lib.EVP_DigestSign(md, out, ctypes.byref(size), data, len(data)) != 1:
            lib.ERR_clear_error()
            raise ValueError("OpenSSL could not sign")
        return _from_der(out.raw[:size.value])
    finally:
        lib.EVP_MD_CTX_free(md)
        lib.EVP_PKEY_CTX_free(pctx)


def verify(key: _Key, data: bytes, raw: bytes) -> bool:
    lib = _lib()
    der = _to_der(raw)
    md, pctx = _digest_ctx(key, verify=True)
    try:
        ok = lib.EVP_DigestVerify(md, der, len(der), data, len(data)) == 1
        if not ok:
            lib.ERR_clear_error()
        return ok
    finally:
        lib.EVP_MD_CTX_free(md)
        lib.EVP_PKEY_CTX_free(pctx)


# OpenSSL speaks DER SEQUENCE{INTEGER r, INTEGER s}; the wire keeps r‖s as before.
def _int_der(value: bytes) -> bytes:
    value = value.lstrip(b"\x00") or b"\x00"
    if value[0] & 0x80:
        value = b"\x00" + value
    return b"\x02" + bytes([len(value)]) + value


def _to_der(raw: bytes) -> bytes:
    body = _int_der(raw[:32]) + _int_der(raw[32:])
    return b"\x30" + _der_len(len(body)) + body


def _from_der(der: bytes) -> bytes:
    i = 3 if der[1] == 0x81 else 2
    out = b""
    for _ in range(2):
        n = der[i + 1]
        out += int.from_bytes(der[i + 2:i + 2 + n], "big").to_bytes(32, "big")
        i += 2 + n
    return out
