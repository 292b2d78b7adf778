"""The append-only, keyed-SM3 hash-chained audit log: what a request writes.

The chain is split into a fixed number of partitions (the rows of `audit_heads`, made by the
migrations, so the number cannot drift between processes). A use case writes its entries
(`append`) in its own transaction, *unsealed*, into the queue `audit_pending`: no sequence
number, no hash, only the partition — a stable hash of the person code (of the account when there
is no person). No lock is taken, so requests never queue behind each other; "no commit, no entry"
still holds because the rows are part of the request's transaction. The sealer
(`anju.core.sealer`) then moves each partition's committed entries, in batches and with their
ids, into `audit_entries` (insert-only) with the partition's next gapless sequence numbers and
their hashes:
HMAC-SM3(chain key, previous hash + canonical JSON of the entry). The key comes from settings,
never from the database, so whoever can edit the tables cannot re-hash a chain. The partitions'
heads are combined into recorded Merkle roots and witnessed outside the database
(`anju.core.witness`); `anju.core.chaincheck.verify_chain` checks it all.

A refused attempt to reach a record (`Access` raising NotFound or Forbidden) is noted on the
session (`note_refusal`) and written as an attempt entry: with the request's transaction when it
commits anyway, or — as usually the request fails and rolls back — in a transaction of its own
right after the rollback (`anju.core.db.Database.unit_of_work` runs the session's failure hooks).
"""
from __future__ import annotations

import json
import weakref
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime

from cryptography.hazmat.primitives import hashes, hmac
from sqlalchemy import event, func, insert, select, text
from sqlalchemy.orm import Session

from anju.core import witness
from anju.core.crypto import sm3_hex
from anju.core.db import HotStatement, bulk_insert, on_failure, sql_timestamp, utcnow
from anju.core.models import AuditEntry, AuditHead, AuditPending, AuditRecord
from anju.core.permissions import ATTEMPT
from anju.core.policy import Action, Actor, Purpose

GENESIS = "0" * 64
DEFAULT_PARTITIONS = 16  # what the migration makes; the database's count is what counts


def genesis(part: int) -> str:
    """The 'previous hash' of a partition's first entry. Partition 0 keeps the single chain's
    genesis (the chain from before partitioning lives on there); the others start from a value
    naming their number, so two partitions' entries cannot be swapped wholesale."""
    return GENESIS if part == 0 else sm3_hex(f"anju/audit/partition/{part}")


@dataclass(frozen=True)
class AuditEvent:
    """What happened, before it is chained. The action and the purpose are the typed values a
    domain declares in its policy, so every entry the chain can hold has its labels in both
    languages (the access log and the auditor's page show those, never a code)."""

    action: Action
    purpose: Purpose
    person_code: str | None = None
    object_type: str | None = None
    object_id: str | None = None
    detail: dict | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.action, Action) or not isinstance(self.purpose, Purpose):
            raise TypeError(f"audit events take a declared Action and Purpose, not "
                            f"{self.action!r} / {self.purpose!r}")


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


def canonical_fast(seq: int, at: datetime, account_id, username, role, action, person_code,
                   object_type, object_id, purpose, detail) -> str:
    """`canonical` from column values, for the sealer's batches."""
    return _TEMPLATE % (_json(account_id), _json(action),
                        _json(at.isoformat(timespec="microseconds")), _json(detail),
                        _json(object_id), _json(object_type), _json(person_code),
                        _json(purpose), _json(role), seq, _json(username))


def mac(key: bytes | None = None) -> hmac.HMAC:
    """A keyed context; copy it per entry (copying beats building one each time)."""
    return hmac.HMAC(key or witness.chain_key(), hashes.SM3())


def chain_hash(prev_hash: str, entry: AuditEntry, key: bytes | None = None) -> str:
    h = mac(key)
    h.update((prev_hash + "\n" + canonical(entry)).encode("utf-8"))
    return h.finalize().hex()


# --- partitions -------------------------------------------------------------------------------
_PARTITIONS: dict[str, int] = {}  # per database: read once, the migrations fixed it


_BY_ENGINE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # the same, per engine:
# rendering the URL on every request cost more than the lookup


def partitions(session: Session) -> int:
    bind = session.get_bind()
    count = _BY_ENGINE.get(bind)
    if count is None:
        url = str(bind.url)
        count = _PARTITIONS.get(url)
        if count is None:
            count = session.execute(select(func.count()).select_from(AuditHead)).scalar_one()
            count = _PARTITIONS[url] = count or DEFAULT_PARTITIONS
        _BY_ENGINE[bind] = count
    return count


def partition_of(person_code: str | None, account_id: int | None, username: str,
                 count: int) -> int:
    """A stable partition: CRC-32 of the person code — a person's entries stay in one chain, in
    order — else of the account (entries such as an auditor's check name no person)."""
    key = person_code or (f"account:{account_id}" if account_id is not None else f"user:{username}")
    return zlib.crc32(key.encode("utf-8")) % count


# --- appending --------------------------------------------------------------------------------
def append(session: Session, actor: Actor, events: Iterable[AuditEvent]) -> int:
    """Write `events`, unsealed (into `audit_pending`), in the caller's transaction: committed with it or not at all.
    One Core INSERT (executemany for several) instead of ORM objects and a flush: this runs on
    every read of a person, and the ORM's unit of work was most of its cost. Returns how many
    entries were written."""
    at, count, role = utcnow(), None, None
    rows = []
    for e in events:
        if count is None:
            count, role = partitions(session), str(actor.role)
        rows.append({
            "part": partition_of(e.person_code, actor.account_id, actor.username, count),
            "at": at, "account_id": actor.account_id, "username": actor.username, "role": role,
            "action": e.action.code, "person_code": e.person_code, "object_type": e.object_type,
            "object_id": e.object_id, "purpose": e.purpose.name, "detail": e.detail})
    if rows:
        _INSERT.run(session, rows if len(rows) > 1 else rows[0])
    return len(rows)


_COLUMNS = ("part", "at", "account_id", "username", "role", "action", "person_code",
            "object_type", "object_id", "purpose", "detail")
_INSERT = HotStatement(insert(AuditPending.__table__), columns=_COLUMNS)


def append_bulk(session: Session, actor: Actor, events: Iterable[AuditEvent]) -> int:
    """`append` for bulk loads: the entries go in, unsealed, with one COPY (PostgreSQL) or
    executemany (SQLite) instead of one ORM object each; the sealer chains them afterwards as
    one batch per partition. Returns the number of entries written."""
    count, at = partitions(session), utcnow()
    at_text, role, account, user = sql_timestamp(at), str(actor.role), actor.account_id, \
        actor.username
    written = [0]

    def rows():  # made while COPY streams them
        for e in events:
            written[0] += 1
            yield (partition_of(e.person_code, account, user, count), at_text, account, user,
                   role, e.action.code, e.person_code, e.object_type, e.object_id,
                   e.purpose.name,
                   None if e.detail is None else json.dumps(e.detail, ensure_ascii=False))

    bulk_insert(session, AuditPending.__tablename__, _COLUMNS, rows())
    return written[0]


def lock_head(session: Session) -> None:
    """Bulk loads take this first, so two loads never interleave their look-ups and inserts (on
    SQLite the unit of work's write lock already does). Ordinary requests do not take it: the
    audit chain no longer has a lock to queue on."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:c, -1)"), {"c": LOCK_CLASS})


LOCK_CLASS = 0x416A75  # the advisory-lock class of the audit chain ('Aju'): the sealer's too


# --- refused attempts ----------------------------------------------------------------------
_REFUSED = "anju.audit.refused"


def note_refusal(session: Session, actor: Actor, attempt: AuditEvent) -> None:
    """Remember a refused attempt; it is written whether or not the transaction commits."""
    session.info.setdefault(_REFUSED, []).append((actor, attempt))
    on_failure(session, write_refusals)


def write_refusals(session: Session) -> int:
    """Append the noted attempts to this transaction (before a commit, or after a rollback in a
    fresh transaction). Returns how many were written."""
    noted = session.info.pop(_REFUSED, [])
    for actor, attempt in noted:
        append(session, actor, [attempt])
    return len(noted)


def attempt_event(action: Action, person_code: str | None, object_id: str | None,
                  status: int) -> AuditEvent:
    return AuditEvent(action, ATTEMPT, person_code, action.split(".")[0], object_id,
                      {"outcome": "refused", "status": status})


def as_attempt(event: AuditEvent, status: int, reason: str | None = None) -> AuditEvent:
    """`event` recorded as a refused attempt (a 4xx the actor got instead of the touch)."""
    detail = {"outcome": "refused", "status": status} | ({"reason": reason} if reason else {})
    return replace(event, purpose=ATTEMPT, detail=detail)


def is_attempt(entry: AuditEntry | AuditRecord) -> bool:
    return bool(entry.detail) and entry.detail.get("outcome") == "refused"


@event.listens_for(Session, "before_commit")
def _refusals_before_commit(session: Session) -> None:
    write_refusals(session)


# --- the chain's ends, as the witness and the roots see them ---------------------------------
Head = tuple[int, int, str]  # (partition, seq, hash of that entry); seq 0: the genesis


def chain_end(session: Session, part: int) -> tuple[int, str]:
    """(seq, hash) of a partition's last sealed entry; (0, its genesis) when it is empty."""
    last = session.execute(select(AuditEntry.seq, AuditEntry.entry_hash)
                           .where(AuditEntry.part == part, AuditEntry.seq.is_not(None))
                           .order_by(AuditEntry.seq.desc()).limit(1)).first()
    return (last.seq, last.entry_hash) if last else (0, genesis(part))


def chain_ends(session: Session) -> list[Head]:
    """Every partition's real end (from the entries, not the head rows an editor could set)."""
    return [(p, *chain_end(session, p)) for p in range(partitions(session))]


def witness_head(session: Session, settings=None, ends: list[Head] | None = None) -> witness.Witness:
    """Witness the partitions' current ends and their Merkle root outside the database. A
    partition shorter than the last witness of it is logged as an error at once."""
    heads = ends or chain_ends(session)
    seen = witness.latest_heads(settings)
    for part, seq, _ in heads:
        if seq < seen.get(part, 0):
            witness.log.error("audit chain partition %d ends at entry %d but was witnessed up to "
                              "entry %d: entries %d-%d are missing", part, seq, seen[part],
                              seq + 1, seen[part])
    return witness.write(heads, settings)


def count(session: Session) -> int:
    """Every entry written, sealed or pending."""
    return session.execute(select(func.count()).select_from(AuditRecord)).scalar_one()


def pending(session: Session) -> int:
    """Entries committed but not sealed yet (the sealer's backlog: the rows of audit_pending)."""
    return session.execute(select(func.count()).select_from(AuditPending)).scalar_one()


def latest_at(session: Session) -> datetime | None:
    return session.execute(select(func.max(AuditRecord.at))).scalar()


def verify_chain(session: Session, batch: int = 5000, witness_files: Iterable = (),
                 settings=None):
    """See `anju.core.chaincheck.verify_chain` (kept here: it is the chain's own check)."""
    from anju.core import chaincheck  # it reads this module; imported when called

    return chaincheck.verify_chain(session, batch, witness_files, settings)
