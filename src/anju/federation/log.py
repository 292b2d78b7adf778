"""The message log: every envelope sent and received, every receipt, every refusal, on a keyed
hash chain of its own (X-Road's signed message log is the model). Each entry's hash is
HMAC-SM3(audit key, "federation" + previous hash + canonical entry), so whoever can edit the
tables cannot re-hash it; `anju audit verify` walks it after the audit chain and names the first
entry altered, deleted or moved. Envelopes and receipts carry their own SM2 signatures, so either
side can also show a third party what the other signed.
"""
from __future__ import annotations

import json
from dataclasses import dataclass

from cryptography.hazmat.primitives import hashes, hmac
from sqlalchemy import select
from sqlalchemy.orm import Session

from anju.core import witness
from anju.core.audit import GENESIS
from anju.core.db import utcnow
from anju.federation.models import LogEntry, LogHead


def _body(entry: LogEntry) -> str:
    return json.dumps({"seq": entry.seq, "at": entry.at.isoformat(timespec="microseconds"),
                       "direction": entry.direction, "kind": entry.kind,
                       "message_id": entry.message_id, "peer": entry.peer, "type": entry.type,
                       "status": entry.status, "content": entry.content},
                      sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _hash(mac: hmac.HMAC, prev: str, entry: LogEntry) -> str:
    h = mac.copy()
    h.update(("federation\n" + prev + "\n" + _body(entry)).encode("utf-8"))
    return h.finalize().hex()


def _mac() -> hmac.HMAC:
    return hmac.HMAC(witness.chain_key(), hashes.SM3())


def append(session: Session, direction: str, kind: str, content: dict, *,
           message_id: str | None = None, peer: str | None = None, type: str | None = None,
           status: int | None = None) -> LogEntry:
    """Chain one entry in the caller's transaction (the head row is locked until it commits)."""
    head = session.execute(select(LogHead).where(LogHead.id == 1).with_for_update()).scalar()
    if head is None:
        last = session.execute(select(LogEntry.seq, LogEntry.entry_hash)
                               .order_by(LogEntry.seq.desc()).limit(1)).first()
        head = LogHead(id=1, last_seq=last.seq if last else 0,
                       last_hash=last.entry_hash if last else GENESIS)
        session.add(head)
    entry = LogEntry(seq=head.last_seq + 1, at=utcnow(), direction=direction, kind=kind,
                     message_id=message_id, peer=peer, type=type, status=status,
                     content=content, prev_hash=head.last_hash, entry_hash="")
    entry.entry_hash = _hash(_mac(), head.last_hash, entry)
    head.last_seq, head.last_hash = entry.seq, entry.entry_hash
    session.add(entry)
    session.flush()
    return entry


@dataclass(frozen=True)
class LogCheck:
    ok: bool
    checked: int
    bad_seq: int | None = None
    reason_zh: str = ""
    reason_en: str = ""

    def message(self) -> str:
        if self.ok:
            return (f"federation message log intact: {self.checked} entries "
                    f"(跨县报文日志完整：{self.checked} 条)")
        return (f"federation message log broken at entry {self.bad_seq}: {self.reason_en} "
                f"(跨县报文日志在第 {self.bad_seq} 条处被破坏：{self.reason_zh})")


def verify(session: Session, batch: int = 5000) -> LogCheck:
    """Walk the whole log under the key; the first entry missing, moved or altered."""
    mac, prev, expected = _mac(), GENESIS, 1
    rows = session.execute(select(LogEntry).order_by(LogEntry.seq)).yield_per(batch).scalars()
    for entry in rows:
        if entry.seq != expected:
            return LogCheck(False, expected - 1, expected, f"第 {expected} 条缺失（被删除）",
                            f"entry {expected} is missing (deleted)")
        if entry.prev_hash != prev:
            return LogCheck(False, expected - 1, entry.seq, "与上一条的哈希链接不符",
                            "previous-hash link does not match")
        if _hash(mac, prev, entry) != entry.entry_hash:
            return LogCheck(False, expected - 1, entry.seq, "内容被修改，或哈希被重新计算",
                            "entry content was altered, or re-hashed without the key")
        prev, expected = entry.entry_hash, expected + 1
    head = session.get(LogHead, 1)
    if head is not None and (head.last_seq != expected - 1 or head.last_hash != prev):
        return LogCheck(False, expected - 1, expected, f"链头记录为 {head.last_seq} 条，末尾条目被删除",
                        f"the head says {head.last_seq} entries: entries deleted at the end")
    return LogCheck(True, expected - 1)
