"""The append-only, keyed-SM3 hash-chained audit log.

Each entry's hash is HMAC-SM3(chain key, previous hash + canonical JSON of the entry); the key
comes from settings, never from the database, so whoever can edit the tables cannot re-hash the
chain after deleting or changing entries. A use case writes its entries when it acts
(`append`); just before its transaction commits they are sealed: the single chain-head row is
locked, and the entries get the next gapless sequence numbers and their hashes. The lock is so
held only while committing — not while the request is served — and the chain's order is commit
order. The chain head is witnessed outside the database (`anju.core.witness`), and
`verify_chain` names the first entry that was altered, deleted, moved or left unsealed, and the
range missing against the latest witness.

A refused attempt to reach a record (`Access` raising NotFound or Forbidden) is noted on the
session (`note_refusal`) and written as an attempt entry: with the request's transaction when it
commits anyway, or — as usually the request fails and rolls back — in a transaction of its own
right after the rollback (`anju.core.db.Database.unit_of_work` runs the session's failure hooks).
"""
from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime

from cryptography.hazmat.primitives import hashes, hmac
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from anju.core import witness
from anju.core.config import Settings
from anju.core.db import bulk_insert, on_failure, sql_timestamp, utcnow
from anju.core.models import AuditEntry, AuditHead
from anju.core.permissions import ATTEMPT
from anju.core.policy import Action, Actor, Purpose

GENESIS = "0" * 64


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


def _mac(key: bytes | None = None) -> hmac.HMAC:
    return hmac.HMAC(key or witness.chain_key(), hashes.SM3())


def chain_hash(prev_hash: str, entry: AuditEntry, key: bytes | None = None) -> str:
    mac = _mac(key)
    mac.update((prev_hash + "\n" + canonical(entry)).encode("utf-8"))
    return mac.finalize().hex()


def _locked_head(session: Session) -> AuditHead:
    head = session.execute(select(AuditHead).where(AuditHead.id == 1).with_for_update()).scalar()
    if head is None:
        # Migrations create the row; if it was deleted, carry on from the chain's real end (so
        # writes keep working) and say so — `verify` names what else went with it.
        seq, last_hash = chain_end(session)
        if seq:
            witness.log.error("audit chain head row was missing; rebuilt at entry %d", seq)
        head = AuditHead(id=1, last_seq=seq, last_hash=last_hash)
        session.add(head)
        session.flush()
    return head


_PENDING = "anju.audit.pending"


def append(session: Session, actor: Actor, events: Iterable[AuditEvent]) -> list[AuditEntry]:
    """Write `events` in the caller's transaction; they are sealed when it commits."""
    at = utcnow()
    entries = [AuditEntry(at=at, account_id=actor.account_id, username=actor.username,
                          role=str(actor.role), action=e.action.code, person_code=e.person_code,
                          object_type=e.object_type, object_id=e.object_id,
                          purpose=e.purpose.name,
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
    key = witness.chain_key()
    for entry in pending:
        entry.seq, entry.prev_hash = head.last_seq + 1, head.last_hash
        entry.entry_hash = chain_hash(head.last_hash, entry, key)
        head.last_seq, head.last_hash = entry.seq, entry.entry_hash
    return len(pending)


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


def is_attempt(entry: AuditEntry) -> bool:
    return bool(entry.detail) and entry.detail.get("outcome") == "refused"


@event.listens_for(Session, "before_commit")
def _seal_before_commit(session: Session) -> None:
    write_refusals(session)
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
    mac = _mac()  # copying a keyed context beats building one per entry
    last = [head.last_seq, head.last_hash]

    def rows():  # made while COPY streams them, so the server works as we hash
        seq, prev = last
        for e in events:
            seq += 1
            body = _TEMPLATE % (fixed[0], _json(e.action.code), fixed[1], _json(e.detail),
                                _json(e.object_id), _json(e.object_type), _json(e.person_code),
                                _json(e.purpose.name), fixed[2], seq, fixed[3])
            h = mac.copy()
            h.update((prev + "\n" + body).encode("utf-8"))
            entry_hash = h.finalize().hex()
            yield (seq, at_text, actor.account_id, actor.username, role, e.action.code,
                   e.person_code, e.object_type, e.object_id, e.purpose.name,
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
    problems: tuple[tuple[str, str], ...] = ()  # (Chinese, English) each
    missing: tuple[int, int] | None = None  # entries a witness had seen that are gone
    witness: witness.Witness | None = None  # the latest valid witness

    @property
    def reason(self) -> str:
        return "; ".join(en for _, en in self.problems)

    def text(self, lang: str = "en") -> str:
        zh = lang == "zh"
        w = self.witness
        if self.ok:
            seen = (f"最近见证：第 {w.seq} 条（{w.at}）" if zh else
                    f"last witnessed: entry {w.seq} at {w.at}") if w else (
                "尚无见证，末尾的删除无法排除" if zh else
                "not witnessed yet, so deletions at the end cannot be ruled out")
            return (f"审计链完整：{self.checked} 条；{seen}" if zh else
                    f"audit chain intact: {self.checked} entries; {seen}")
        reasons = "；".join(z for z, _ in self.problems) if zh else self.reason
        where = self.bad_seq
        if zh:
            return f"审计链在第 {where} 条处被破坏：{reasons}" if where else f"审计链有问题：{reasons}"
        return (f"audit chain broken at entry {where}: {reasons}" if where else
                f"audit chain problem: {reasons}")

    def message(self) -> str:
        return f"{self.text('en')} ({self.text('zh')})"


def _check(entry: AuditEntry, expected: int, prev: str, mac: hmac.HMAC,
           witnessed: dict[int, list[witness.Witness]],
           vouched: int) -> tuple[int, str, str] | None:
    """What is wrong with one link of the chain, as (seq, Chinese, English), or None."""
    if entry.seq != expected:
        return (expected, f"第 {expected} 条缺失（被删除或移动），下一条是第 {entry.seq} 条",
                f"entry {expected} is missing (deleted or reordered); next present is {entry.seq}")
    if entry.prev_hash != prev:
        return (entry.seq, "与上一条的哈希链接不符（之前的条目被修改、删除或移动）",
                ("previous-hash link does not match (an earlier entry was changed, deleted or "
                 "reordered)"))
    h = mac.copy()
    h.update((prev + "\n" + canonical(entry)).encode("utf-8"))
    if h.finalize().hex() != entry.entry_hash:
        return (entry.seq, "内容被修改，或其哈希不是用审计密钥计算的（被重新计算）",
                ("entry content was altered, or its hash was not made with the audit key "
                 "(re-hashed)"))
    for w in witnessed.get(entry.seq, ()):
        if w.hash != entry.entry_hash:
            first = vouched + 1  # the last witness before this one still matched
            zh = f"与 {w.at} 的见证不符：第 {first}–{entry.seq} 条之间有条目被删除或替换后又续写"
            en = (f"differs from the witness of {w.at}: entries {first}–{entry.seq} were deleted "
                  "or replaced and the chain written on")
            return entry.seq, zh, en
    return None


def verify_chain(session: Session, batch: int = 5000, witness_files: Iterable = (),
                 settings: Settings | None = None) -> VerifyResult:
    """Walk the whole chain under the audit key and compare it with every valid witness (the
    witness file, plus `witness_files`, e.g. lines a remote syslog kept)."""
    good, bad_lines = witness.load(list(witness_files), settings)
    witnessed: dict[int, list[witness.Witness]] = {}
    for w in good:
        witnessed.setdefault(w.seq, []).append(w)
    latest = max(good, key=lambda w: w.seq, default=None)
    mac = _mac(witness.chain_key(settings))
    expected, prev, checked, broken, vouched = 1, GENESIS, 0, None, 0
    rows = session.execute(select(AuditEntry).where(AuditEntry.seq.is_not(None))
                           .order_by(AuditEntry.seq)).yield_per(batch).scalars()
    for entry in rows:
        broken = _check(entry, expected, prev, mac, witnessed, vouched)
        if broken:
            break
        prev, expected, checked = entry.entry_hash, expected + 1, checked + 1
        vouched = entry.seq if entry.seq in witnessed else vouched
    problems: list[tuple[str, str]] = []
    bad_seq = None
    if broken:
        bad_seq, zh, en = broken
        problems.append((zh, en))
        present = session.execute(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.seq.is_not(None))).scalar_one()
    else:
        present = checked
        unsealed = session.execute(select(func.min(AuditEntry.id)).where(
            AuditEntry.seq.is_(None))).scalar()
        if unsealed is not None:
            problems.append((f"编号 {unsealed} 的条目从未封入审计链（在未提交的事务之外写入）",
                             (f"entry id {unsealed} was never sealed into the chain (written "
                              "outside a committed unit of work)")))
    missing = None
    if latest is not None and latest.seq > present:
        missing = (present + 1, latest.seq)
        bad_seq = bad_seq or missing[0]
        problems.append(_missing_text(missing, present, latest, broken is not None))
    if not broken and missing is None:
        problems += _head_problems(session, checked, prev)
        if problems and bad_seq is None:
            head = session.get(AuditHead, 1)
            bad_seq = checked + 1 if head and head.last_seq > checked else None
    for bad in bad_lines:
        problems.append((f"见证记录无效：{bad.source} 第 {bad.line_no} 行，{bad.reason_zh}",
                         f"invalid witness: {bad.source} line {bad.line_no}, {bad.reason_en}"))
    return VerifyResult(not problems, checked, bad_seq, tuple(problems), missing, latest)


def _missing_text(missing: tuple[int, int], present: int, latest: witness.Witness,
                  broken: bool) -> tuple[str, str]:
    first, last, at = missing[0], missing[1], latest.at
    if broken:  # entries were removed and the rest renumbered/re-hashed
        zh = (f"{at} 的见证记录到第 {last} 条，现仅剩 {present} 条：少了 {last - present} 条"
              f"（第 {first}–{last} 号已不存在）")
        en = (f"the witness of {at} had seen {last} entries, {present} remain: "
              f"{last - present} missing (numbers {first}–{last} are gone)")
    elif present == 0:
        zh = f"全部条目已被删除：{at} 的见证记录了第 1–{last} 条"
        en = f"all entries were deleted: the witness of {at} had seen entries 1–{last}"
    else:
        zh = f"第 {first}–{last} 条缺失（末尾被删除）：{at} 的见证已记录到第 {last} 条"
        en = (f"entries {first}–{last} are missing (deleted at the end); the witness of {at} "
              f"had seen entry {last}")
    return zh, en


def _head_problems(session: Session, checked: int, prev: str) -> list[tuple[str, str]]:
    head = session.get(AuditHead, 1)
    if head is not None and (head.last_seq != checked or head.last_hash != prev):
        zh = f"链头记录为 {head.last_seq} 条，实际找到 {checked} 条（末尾的条目被删除）"
        en = (f"chain head says {head.last_seq} entries ending in {head.last_hash[:12]}…, "
              f"found {checked} (entries deleted at the end)")
        return [(zh, en)]
    return []


def chain_end(session: Session) -> tuple[int, str]:
    """(seq, hash) of the last sealed entry; (0, GENESIS) when the chain is empty."""
    last = session.execute(select(AuditEntry.seq, AuditEntry.entry_hash)
                           .where(AuditEntry.seq.is_not(None))
                           .order_by(AuditEntry.seq.desc()).limit(1)).first()
    return (last.seq, last.entry_hash) if last else (0, GENESIS)


def witness_head(session: Session, settings: Settings | None = None,
                 end: tuple[int, str] | None = None) -> witness.Witness:
    """Witness the chain's current end (the last sealed entry; entry 0 when the chain is empty)
    outside the database. A chain shorter than the last witness is logged as an error at once."""
    seq, head_hash = end or chain_end(session)
    before = witness.latest_seq(settings)
    if seq < before:
        witness.log.error("audit chain ends at entry %d but was witnessed up to entry %d: "
                          "entries %d-%d are missing", seq, before, seq + 1, before)
    return witness.write(seq, head_hash, settings)


def count(session: Session) -> int:
    return session.execute(select(func.count()).select_from(AuditEntry)).scalar_one()


def latest_at(session: Session) -> datetime | None:
    return session.execute(select(func.max(AuditEntry.at))).scalar()
