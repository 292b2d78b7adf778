"""The append-only, SM3 hash-chained audit log.

Each entry's hash is SM3(previous hash + canonical JSON of the entry). A use case writes its
entries when it acts (`append`); just before its transaction commits they are sealed: the
single chain-head row is locked, and the entries get the next gapless sequence numbers and
their hashes. The lock is so held only while committing — not while the request is served —
and the chain's order is commit order. `verify_chain` recomputes everything and names the first
entry that was altered, deleted, moved or left unsealed.
"""
from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from cryptography.hazmat.primitives import hashes
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from anju.core.crypto import sm3_hex
from anju.core.db import SURVIVES_ROLLBACK, bulk_insert, sql_timestamp, utcnow
from anju.core.models import AuditEntry, AuditHead
from anju.core.policy import Actor

GENESIS = "0" * 64


@dataclass(frozen=True)
class AuditEvent:
    """What happened, before it is chained."""

    action: str
    purpose: str
    person_code: str | None = None
    object_type: str | None = None
    object_id: str | None = None
    detail: dict | None = None


def canonical(entry: AuditEntry) -> str:
    body = {
        "seq": entry.seq,
        "at": entry.at.isoformat(timespec="microseconds"),
        "account_id": entry.account_id,
        "username": entry.username,
        "role": entry.role,
        "action": entry.action,
        "person_code": entry.person_code,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "purpose": entry.purpose,
        "detail": entry.detail,
    }
    return json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def chain_hash(prev_hash: str, entry: AuditEntry) -> str:
    return sm3_hex(prev_hash + "\n" + canonical(entry))


def _locked_head(session: Session) -> AuditHead:
    head = session.execute(select(AuditHead).where(AuditHead.id == 1).with_for_update()).scalar()
    if head is None:
        head = AuditHead(id=1, last_seq=0, last_hash=GENESIS)
        session.add(head)
        session.flush()
    return head


_PENDING = "anju.audit.pending"


def append(session: Session, actor: Actor, events: Iterable[AuditEvent]) -> list[AuditEntry]:
    """Write `events` in the caller's transaction; they are sealed when it commits."""
    at = utcnow()
    entries = [AuditEntry(at=at, account_id=actor.account_id, username=actor.username,
                          role=str(actor.role), action=e.action, person_code=e.person_code,
                          object_type=e.object_type, object_id=e.object_id, purpose=e.purpose,
                          detail=e.detail) for e in events]
    if entries:
        session.add_all(entries)
        session.info.setdefault(_PENDING, []).extend(entries)
    return entries


def seal_pending(session: Session) -> int:
    """Chain this transaction's unsealed entries onto the log (called before every commit)."""
    # Entries written inside a savepoint that was rolled back have left the session: skip them.
    pending = [e for e in session.info.pop(_PENDING, []) if e in session]
    if not pending:
        return 0
    head = _locked_head(session)
    for entry in pending:
        entry.seq, entry.prev_hash = head.last_seq + 1, head.last_hash
        entry.entry_hash = chain_hash(head.last_hash, entry)
        head.last_seq, head.last_hash = entry.seq, entry.entry_hash
    return len(pending)


def append_attempt(session: Session, actor: Actor, events: Iterable[AuditEvent]) -> None:
    """Audit a refused attempt. The refusal rolls the caller's unit of work back, so the events
    wait outside the transaction and are written by the next commit: the caller's own, or the
    one `Database.unit_of_work` makes for them after a rollback."""
    session.info.setdefault(SURVIVES_ROLLBACK, []).append((actor, tuple(events)))


@event.listens_for(Session, "before_commit")
def _seal_before_commit(session: Session) -> None:
    for actor, events in session.info.pop(SURVIVES_ROLLBACK, []):
        append(session, actor, events)
    seal_pending(session)


@event.listens_for(Session, "after_rollback")
def _forget_after_rollback(session: Session) -> None:
    if not session.in_transaction():
        session.info.pop(_PENDING, None)


def lock_head(session: Session) -> None:
    """Take the chain-head lock now: bulk loads do this first, so every writer queues behind them
    before they look for existing rows."""
    _locked_head(session)


_COLUMNS = ("seq", "at", "account_id", "username", "role", "action", "person_code",
            "object_type", "object_id", "purpose", "detail", "prev_hash", "entry_hash")
# `canonical` as a template (keys in sorted order), ~5x faster than json.dumps per entry; a
# test holds the two equal, and verify_chain checks every entry with `canonical` itself.
_TEMPLATE = ('{"account_id":%s,"action":%s,"at":%s,"detail":%s,"object_id":%s,"object_type":%s,'
             '"person_code":%s,"purpose":%s,"role":%s,"seq":%d,"username":%s}')
_string = json.encoder.encode_basestring  # what json.dumps(ensure_ascii=False) writes for a str


def _json(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, str):
        return _string(value)
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def append_bulk(session: Session, actor: Actor, events: Iterable[AuditEvent]) -> int:
    """`append` for bulk loads: the same chain under the same lock, but the entries go in with
    one COPY (PostgreSQL) or executemany (SQLite) instead of one ORM object each. Returns the
    number of entries written."""
    head = _locked_head(session)
    at = utcnow()
    at_text, role = sql_timestamp(at), str(actor.role)
    fixed = (_json(actor.account_id), _json(at.isoformat(timespec="microseconds")),
             _json(role), _json(actor.username))
    sm3 = hashes.Hash(hashes.SM3())  # copying a fresh context beats building one per entry
    last = [head.last_seq, head.last_hash]

    def rows():  # made while COPY streams them, so the server works as we hash
        seq, prev = last
        for e in events:
            seq += 1
            body = _TEMPLATE % (fixed[0], _json(e.action), fixed[1], _json(e.detail),
                                _json(e.object_id), _json(e.object_type), _json(e.person_code),
                                _json(e.purpose), fixed[2], seq, fixed[3])
            h = sm3.copy()
            h.update((prev + "\n" + body).encode("utf-8"))
            entry_hash = h.finalize().hex()
            yield (seq, at_text, actor.account_id, actor.username, role, e.action,
                   e.person_code, e.object_type, e.object_id, e.purpose,
                   None if e.detail is None else json.dumps(e.detail, ensure_ascii=False),
                   prev, entry_hash)
            prev = entry_hash
            last[:] = seq, prev

    written = head.last_seq
    bulk_insert(session, AuditEntry.__tablename__, _COLUMNS, rows())
    head.last_seq, head.last_hash = last  # flushed with the unit of work
    return head.last_seq - written


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    checked: int
    bad_seq: int | None = None
    reason: str = ""

    def message(self) -> str:
        if self.ok:
            return f"audit chain intact: {self.checked} entries (审计链完整：{self.checked} 条)"
        return f"audit chain broken at entry {self.bad_seq}: {self.reason}"


def verify_chain(session: Session, batch: int = 5000) -> VerifyResult:
    expected_seq, prev = 1, GENESIS
    checked = 0
    rows = session.execute(select(AuditEntry).where(AuditEntry.seq.is_not(None))
                           .order_by(AuditEntry.seq)).yield_per(batch).scalars()
    for entry in rows:
        if entry.seq != expected_seq:
            return VerifyResult(False, checked, expected_seq,
                                f"entry {expected_seq} is missing (deleted or reordered); "
                                f"next present is {entry.seq}")
        if entry.prev_hash != prev:
            return VerifyResult(False, checked, entry.seq,
                                "previous-hash link does not match (an earlier entry was "
                                "changed, deleted or reordered)")
        if chain_hash(prev, entry) != entry.entry_hash:
            return VerifyResult(False, checked, entry.seq, "entry content was altered")
        prev = entry.entry_hash
        expected_seq += 1
        checked += 1
    unsealed = session.execute(select(func.min(AuditEntry.id)).where(
        AuditEntry.seq.is_(None))).scalar()
    if unsealed is not None:
        return VerifyResult(False, checked, None, f"entry id {unsealed} was never sealed into the "
                            "chain (written outside a committed unit of work)")
    head = session.get(AuditHead, 1)
    if head is not None and (head.last_seq != checked or head.last_hash != prev):
        return VerifyResult(False, checked, checked + 1 if head.last_seq > checked else head.last_seq,
                            f"chain head says {head.last_seq} entries ending in "
                            f"{head.last_hash[:12]}…, found {checked} (entries deleted at the end)")
    return VerifyResult(True, checked)


def entries_for_person(session: Session, person_code: str, limit: int = 200,
                       before_seq: int | None = None) -> list[AuditEntry]:
    query = select(AuditEntry).where(AuditEntry.person_code == person_code)
    if before_seq:
        query = query.where(AuditEntry.seq < before_seq)
    return list(session.execute(query.order_by(AuditEntry.seq.desc()).limit(limit)).scalars())


def count(session: Session) -> int:
    return session.execute(select(func.count()).select_from(AuditEntry)).scalar_one()


def latest_at(session: Session) -> datetime | None:
    return session.execute(select(func.max(AuditEntry.at))).scalar()


def verify(session: Session, actor: Actor) -> VerifyResult:
    """The auditor's (and admin's) check of the whole chain; the check itself is recorded."""
    from anju.core.access import Access
    from anju.core.policy import AUDIT_VERIFY

    access = Access(session, actor)
    access.check(AUDIT_VERIFY, "审计链")
    result = verify_chain(session)
    access.record(AuditEvent(AUDIT_VERIFY, "audit", None, "audit_chain", None,
                             {"ok": result.ok, "checked": result.checked}))
    return result


def recent(session: Session, actor: Actor, limit: int = 100) -> list[AuditEntry]:
    """The auditor's read of the log, newest first; the read itself goes on the chain."""
    from anju.core.access import Access
    from anju.core.policy import AUDIT_READ

    access = Access(session, actor)
    access.check(AUDIT_READ, "审计日志")
    entries = list(session.execute(select(AuditEntry).order_by(AuditEntry.seq.desc())
                                   .limit(min(limit, 500))).scalars())
    access.record(AuditEvent(AUDIT_READ, "audit", None, "audit_log", None, {"limit": limit}))
    return entries
