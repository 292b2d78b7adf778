"""The audit chain's witness: its head, signed, kept outside the database.

A hash chain inside a database cannot prove its own length: whoever may delete its newest
entries (and the head row) leaves a shorter chain that still links up. So the heads of the
chain's partitions — sequence number and hash of each partition's last sealed entry — and their
SM3 Merkle root are regularly written to `data_dir/audit/witness.log` and to the
application log, signed (HMAC-SM3) with a key that is not in the database. `verify_chain`
checks the chain against every valid witness line and names what is missing.

Who writes it: a running server every `audit_witness_seconds` (its lifespan task, see
`anju.web.app`), and `anju audit witness` (for cron). docs/operations.md says how an operator
keeps the file where the database administrator cannot edit it.
"""
from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path

from cryptography.hazmat.primitives import constant_time, hashes, hmac

from anju.core.config import Settings, get_settings
from anju.core.crypto import derive_key

log = logging.getLogger("anju.audit.witness")

_FORMAT = "anju-audit-witness/v1"  # one chain: {at, seq, hash, sig}
_FORMAT_2 = "anju-audit-witness/v2"  # partitions: {at, root, heads, sig}, root signed
_MARK = '{"at":'  # where a witness starts inside a log line (syslog adds its own prefix)


def audit_secret(settings: Settings | None = None) -> str:
    """The root of the audit keys: ANJU_AUDIT_KEY, else the application secret."""
    settings = settings or get_settings()
    return settings.audit_key or settings.secret_key


@lru_cache(maxsize=8)
def _key(secret: str, purpose: str) -> bytes:
    return derive_key(secret, purpose, 32)


def chain_key(settings: Settings | None = None) -> bytes:
    """Keys each entry's hash (HMAC-SM3), so rewriting the chain needs this key."""
    return _key(audit_secret(settings), "anju/audit/chain-hmac-sm3/v1")


def witness_key(settings: Settings | None = None) -> bytes:
    return _key(audit_secret(settings), "anju/audit/witness-hmac-sm3/v1")


def hmac_sm3(key: bytes, text: str) -> str:
    mac = hmac.HMAC(key, hashes.SM3())
    mac.update(text.encode("utf-8"))
    return mac.finalize().hex()


def witness_path(settings: Settings | None = None) -> Path:
    return (settings or get_settings()).data_dir / "audit" / "witness.log"


Head = tuple[int, int, str]  # (partition, seq, hash)


def merkle_root(heads: list[Head] | tuple[Head, ...]) -> str:
    """SM3 Merkle root of the partitions' heads, in partition order (RFC 6962's shape: leaves
    and inner nodes hashed with different prefixes, so one cannot pass for the other)."""
    level = [_sm3(b"\x00" + f"{p}|{seq}|{h}".encode()) for p, seq, h in sorted(heads)]
    if not level:
        return _sm3(b"").hex()
    while len(level) > 1:
        paired = [_sm3(b"\x01" + level[i] + level[i + 1]) for i in range(0, len(level) - 1, 2)]
        level = paired + ([level[-1]] if len(level) % 2 else [])
    return level[0].hex()


def _sm3(data: bytes) -> bytes:
    h = hashes.Hash(hashes.SM3())
    h.update(data)
    return h.finalize()


@dataclass(frozen=True)
class Witness:
    """What a witness line vouches for: every partition's end, and their Merkle root. (A line of
    the first format, from before partitioning, vouches for partition 0, which holds that
    chain.)"""

    heads: tuple[Head, ...]
    at: str  # ISO 8601, UTC
    root: str = ""
    source: str = field(default="", compare=False)  # the file it was read from

    @property
    def seq(self) -> int:
        """How many sealed entries it vouches for, across the partitions."""
        return sum(seq for _, seq, _ in self.heads)

    def signature(self, key: bytes) -> str:
        if not self.root:  # the first format
            _, seq, head_hash = self.heads[0]
            return hmac_sm3(key, f"{_FORMAT}|{self.at}|{seq}|{head_hash}")
        return hmac_sm3(key, f"{_FORMAT_2}|{self.at}|{self.root}")

    def line(self, key: bytes) -> str:
        return json.dumps({"at": self.at, "root": self.root, "heads": [list(h) for h in self.heads],
                           "sig": self.signature(key)}, separators=(",", ":"))


@dataclass(frozen=True)
class BadLine:
    source: str
    line_no: int
    reason_zh: str
    reason_en: str


def write(heads: list[Head], settings: Settings | None = None) -> Witness:
    """Append one signed witness line (the heads and their root) to the witness file and the
    application log."""
    settings = settings or get_settings()
    heads = tuple((int(p), int(seq), str(h)) for p, seq, h in sorted(heads))
    witness = Witness(heads, datetime.now(UTC).isoformat(timespec="seconds"), merkle_root(heads))
    line = witness.line(witness_key(settings))
    path = witness_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    # O_APPEND: concurrent writers (several server processes, cron) never interleave a line.
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
    try:
        os.write(fd, (line + "\n").encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)
    log.info("audit witness %s", line)
    return witness


def load(paths: list[Path] | None = None,
         settings: Settings | None = None) -> tuple[list[Witness], list[BadLine]]:
    """Every witness in the witness file (and in `paths`, e.g. lines kept by a remote syslog),
    split into those whose signature holds and lines that are damaged or forged."""
    settings = settings or get_settings()
    key = witness_key(settings)
    main = witness_path(settings)
    good, bad = [], []
    for path in [main, *(paths or [])]:
        if not path.exists():
            if path != main:
                bad.append(BadLine(str(path), 0, "文件不存在", "file not found"))
            continue
        with path.open(encoding="utf-8", errors="replace") as lines:
            for number, text in enumerate(lines, 1):
                start = text.find(_MARK)
                if start < 0:
                    if path == main and text.strip():  # the witness file holds nothing else
                        bad.append(BadLine(str(path), number, "不是见证记录", "not a witness line"))
                    continue
                found = _parse(text[start:], key, str(path), number)
                (good if isinstance(found, Witness) else bad).append(found)
    return good, bad


def _parse(text: str, key: bytes, source: str, number: int) -> Witness | BadLine:
    try:
        data = json.loads(text)
        if "heads" in data:
            heads = tuple((int(p), int(seq), str(h)) for p, seq, h in data["heads"])
            witness = Witness(heads, str(data["at"]), str(data["root"]), source)
        else:
            witness = Witness(((0, int(data["seq"]), str(data["hash"])),), str(data["at"]),
                              "", source)
        sig = str(data["sig"])
    except (ValueError, KeyError, TypeError):
        return BadLine(source, number, "见证记录无法读取", "unreadable witness line")
    if not constant_time.bytes_eq(sig.encode(), witness.signature(key).encode()) or (
            witness.root and witness.root != merkle_root(witness.heads)):
        return BadLine(source, number,
                       f"签名无效（{witness.at} 的见证被伪造或修改）",
                       f"bad signature (the witness of {witness.at} was forged or altered)")
    return witness


def latest_heads(settings: Settings | None = None, tail_bytes: int = 65536) -> dict[int, int]:
    """Per partition, the highest sequence number vouched for by the last lines of the witness
    file; reads only the file's end, so a server can ask every minute."""
    settings = settings or get_settings()
    path = witness_path(settings)
    if not path.exists():
        return {}
    with path.open("rb") as f:
        f.seek(max(0, f.seek(0, os.SEEK_END) - tail_bytes))
        lines = f.read().decode("utf-8", errors="replace").splitlines()
    key, best = witness_key(settings), {}
    for text in lines:
        start = text.find(_MARK)
        found = _parse(text[start:], key, str(path), 0) if start >= 0 else None
        if isinstance(found, Witness):
            for part, seq, _ in found.heads:
                best[part] = max(best.get(part, 0), seq)
    return best
