"""The audit chain's sealer: moves appended entries into the chain with their sequence numbers
and chain hashes.

Requests append their audit entries unsealed, into the queue `audit_pending`
(`anju.core.audit.append`). The sealer works in rounds: it takes the sealing lock of each
partition that has entries waiting — a PostgreSQL advisory lock (`pg_try_advisory_xact_lock`), so
of all the processes that try (every server process runs a sealer thread, `anju audit seal` may
run from cron) exactly one seals a partition at a time; on SQLite a lock in the process, the
database's write lock doing the rest — then, in one transaction, claims up to
`audit_seal_batch` of each such partition's entries in id order (removes them from the queue:
`DELETE … RETURNING` on PostgreSQL), gives them the next sequence numbers and their keyed SM3
hashes, inserts them into `audit_entries` with their ids, and moves the partitions' heads. A
sealer killed mid-batch leaves that transaction uncommitted: the entries are still in the queue,
nothing is sealed half or twice; the next sealer starts the batch again.

`audit_entries` is insert-only: a sealed row is written once, complete, and never updated (an
UPDATE would leave a dead row version and dead index entries behind for every entry; the queue
is small and vacuumed often instead).

After a round that sealed something (at most every `audit_root_seconds`), and always at the end
of `seal_all`, the partitions' heads are combined into an SM3 Merkle root and recorded
(`audit_roots`); the witness (`anju.core.witness`) anchors the latest heads and root outside the
database.
"""
from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Text, bindparam, cast, func, select, text, update
from sqlalchemy.orm import Session

from anju.core import audit, witness
from anju.core.config import Settings, get_settings
from anju.core.db import Database, utcnow
from anju.core.models import AuditHead, AuditPending, AuditRoot

log = logging.getLogger("anju.audit.sealer")

_CHUNK = 10_000  # rows per statement on SQLite
# Test-only: pause inside the transaction after claiming and inserting the first rows, having
# created this file, so a test can kill the process there (tests/core/test_sealer.py::test_a_sealer_killed_mid_batch…).
PAUSE_ENV = "ANJU_AUDIT_SEAL_PAUSE_FILE"

_LOCAL: dict[tuple[str, int], threading.Lock] = {}
_LOCAL_GUARD = threading.Lock()


def _local_lock(url: str, part: int) -> threading.Lock:
    with _LOCAL_GUARD:
        return _LOCAL.setdefault((url, part), threading.Lock())


def _try_lock(db: Database, session: Session, part: int, held: list[threading.Lock]) -> bool:
    """Take partition `part`'s sealing lock for the session's transaction, if free. (On SQLite
    the lock in the process goes to `held`, for the caller to release after the transaction.)"""
    if db.is_sqlite:
        lock = _local_lock(db.url, part)
        if not lock.acquire(blocking=False):
            return False
        held.append(lock)
        return True
    return bool(session.execute(text("SELECT pg_try_advisory_xact_lock(:c, :p)"),
                                {"c": audit.LOCK_CLASS, "p": part}).scalar())


def _try_locks(db: Database, session: Session, parts: list[int],
               held: list[threading.Lock]) -> list[int]:
    """`_try_lock` for several partitions (on PostgreSQL in one statement): those now held."""
    if db.is_sqlite:
        return [part for part in parts if _try_lock(db, session, part, held)]
    return list(session.execute(text(
        "SELECT p FROM unnest(CAST(:parts AS integer[])) AS p "
        "WHERE pg_try_advisory_xact_lock(:c, p)"), {"parts": parts, "c": audit.LOCK_CLASS})
        .scalars())


@contextmanager
def claimed(db: Database, part: int) -> Iterator[Session | None]:
    """A unit of work holding partition `part`'s sealing lock, or None when another sealer holds
    it. The lock ends with the transaction."""
    held: list[threading.Lock] = []
    try:
        with db.unit_of_work() as session:
            yield session if _try_lock(db, session, part, held) else None
    finally:
        for lock in held:
            lock.release()


def queued(db: Database) -> dict[int, tuple[int, int]]:
    """{partition: (entries waiting, the largest id)} of the queue (one scan of a small
    table: no index to walk)."""
    with db.reading() as session:
        return {part: (n, top) for part, n, top in session.execute(
            select(AuditPending.part, func.count(), func.max(AuditPending.id))
            .group_by(AuditPending.part))}


def pending_partitions(db: Database) -> list[int]:
    """The partitions that have entries waiting in the queue."""
    return sorted(queued(db))


def _heads(session: Session, parts: list[int]) -> dict[int, tuple[int, str]]:
    """The heads (last sequence number, last hash) of `parts`, locked for the transaction: one
    statement for all of them."""
    heads = {part: (seq, last) for part, seq, last in session.execute(
        select(AuditHead.part, AuditHead.last_seq, AuditHead.last_hash)
        .where(AuditHead.part.in_(parts)).with_for_update())}
    for part in parts:
        if part not in heads:
            # Migrations make the rows; if one was deleted, carry on from the partition's real
            # end (so sealing goes on) and say so — `verify` names what else went with it.
            seq, last = audit.chain_end(session, part)
            if seq:
                log.error("audit chain head of partition %d was missing; rebuilt at entry %d",
                          part, seq)
            session.add(AuditHead(part=part, last_seq=seq, last_hash=last))
            session.flush()
            heads[part] = (seq, last)
    return heads


def _move_heads(session: Session, moved: dict[int, tuple[int, str]]) -> None:
    """Write the heads' new ends: one statement for all partitions."""
    session.connection().execute(_MOVE_HEAD, [{"p": part, "seq": seq, "last": last}
                                              for part, (seq, last) in moved.items()])


_HEADS = AuditHead.__table__
_MOVE_HEAD = (update(_HEADS).where(_HEADS.c.part == bindparam("p"))
              .values(last_seq=bindparam("seq"), last_hash=bindparam("last")))


# detail as stored text: parsed (and written canonically) once per distinct value
_P = AuditPending.__table__.c
_READ = (_P.id, _P.at, _P.account_id, _P.username, _P.role, _P.action, _P.person_code,
         _P.object_type, _P.object_id, _P.purpose, cast(_P.detail, Text), _P.part)
_BIG = 50_000
_ORDERED = "SELECT * FROM claimed ORDER BY part, id"
_RETURNING = ("id, at, account_id, username, role, action, person_code, object_type, object_id, "
              "purpose, CAST(detail AS text), part")


class _Batch:
    """What one transaction seals: the claimed rows and their (seq, prev_hash, entry_hash),
    across partitions. Formats entries like `audit.canonical` (a test holds them equal) with the
    values that repeat in a batch — account, role, action, purpose, time, detail — encoded
    once."""

    def __init__(self, key: bytes | None) -> None:
        self.mac = audit.mac(key)
        self.rows: list = []  # as `_READ` lists the columns
        self.seqs: list[int] = []
        self.prevs: list[str] = []
        self.hashes: list[str] = []
        self.memo: dict = {}

    def _remember(self, key, made: str) -> str:
        if len(self.memo) > 50_000:  # a batch of unique details must not grow it without end
            self.memo.clear()
        self.memo[key] = made
        return made

    def _j(self, value) -> str:
        got = self.memo.get(value)
        return got if got is not None else self._remember(value, audit._json(value))

    def _detail(self, stored: str | None) -> str:
        if stored is None:
            return "null"
        got = self.memo.get(("detail", stored))
        return got if got is not None else self._remember(
            ("detail", stored), audit._json(json.loads(stored)))

    def _at(self, at) -> str:
        got = self.memo.get(("at", at))
        return got if got is not None else self._remember(
            ("at", at), audit._json(at.isoformat(timespec="microseconds")))

    def seal(self, rows, seq: int, prev: str) -> tuple[int, str]:
        j, string, template, mac = self._j, audit._json, audit._TEMPLATE, self.mac
        seqs, prevs, hashes = self.seqs, self.prevs, self.hashes
        self.rows.extend(rows)
        for (_, at, account_id, username, role, action, person_code, object_type,
             object_id, purpose, detail, _) in rows:
            seq += 1
            body = template % (j(account_id), j(action), self._at(at), self._detail(detail),
                               string(object_id), j(object_type), string(person_code),
                               j(purpose), j(role), seq, j(username))
            h = mac.copy()
            h.update((prev + "\n" + body).encode("utf-8"))
            seqs.append(seq)
            prevs.append(prev)
            prev = h.finalize().hex()
            hashes.append(prev)
        return seq, prev


def _claim(session: Session, parts: dict[int, tuple[int, int]], limit: int) -> list:
    """Up to `limit` queued entries of each partition in `parts` ({partition: (count, largest
    id)} as `queued` saw them), oldest first, ordered by (partition, id). On PostgreSQL they
    are deleted from the queue by the same statement (`DELETE … RETURNING`: claimed
    atomically); on SQLite the transaction holds the write lock and `_write` deletes them.
    A partition that fits in `limit` is taken whole up to the largest id seen (no ranking to
    compute — and a bulk load's fresh rows have no statistics for the planner to rank them
    well); only a bigger one is ranked by id."""
    whole = [p for p, (n, _) in parts.items() if n <= limit]
    ranked = [p for p, (n, _) in parts.items() if n > limit]
    rows = []
    if session.get_bind().dialect.name == "postgresql":  # the driver's tuples: ~2x faster
        with session.connection().connection.dbapi_connection.cursor() as cur:
            if sum(n for n, _ in parts.values()) > _BIG:  # a bulk load's: sort in memory
                cur.execute("SET LOCAL work_mem = '256MB'")
            if whole:
                rows += cur.execute(
                    "WITH claimed AS (DELETE FROM audit_pending WHERE part = ANY(%(parts)s) "
                    f"AND id <= %(top)s RETURNING {_RETURNING}) {_ORDERED}",
                    {"parts": whole, "top": max(parts[p][1] for p in whole)}).fetchall()
            if ranked:
                rows += cur.execute(
                    "WITH claimed AS (DELETE FROM audit_pending WHERE id IN (SELECT id FROM "
                    "(SELECT id, row_number() OVER (PARTITION BY part ORDER BY id) AS n "
                    "FROM audit_pending WHERE part = ANY(%(parts)s)) AS ranked "
                    f"WHERE n <= %(limit)s) RETURNING {_RETURNING}) {_ORDERED}",
                    {"parts": ranked, "limit": limit}).fetchall()
    else:
        if whole:
            rows += session.execute(select(*_READ).where(
                _P.part.in_(whole), _P.id <= max(parts[p][1] for p in whole))
                .order_by(_P.part, _P.id)).all()
        if ranked:
            rank = select(_P.id, func.row_number().over(partition_by=_P.part, order_by=_P.id)
                          .label("n")).where(_P.part.in_(ranked)).subquery()
            rows += session.execute(select(*_READ).where(
                _P.id.in_(select(rank.c.id).where(rank.c.n <= limit)))
                .order_by(_P.part, _P.id)).all()
    return rows  # each statement's partitions in order: disjoint, so grouped


def _take(session: Session, parts: dict[int, tuple[int, int]], limit: int,
          batch: _Batch) -> int:
    """Claim up to `limit` queued entries of each partition in `parts` (whose locks the
    transaction holds), seal them in id order into `batch`, and move their heads (flushed with
    the batch's transaction). Returns how many."""
    if not parts:
        return 0
    rows, start = _claim(session, parts, limit), 0
    heads = _heads(session, sorted({row[-1] for row in rows})) if rows else {}
    moved = {}
    while start < len(rows):
        part, end = rows[start][-1], start
        while end < len(rows) and rows[end][-1] == part:
            end += 1
        moved[part] = batch.seal(rows[start:end], *heads[part])
        start = end
    if moved:
        _move_heads(session, moved)
    return len(rows)


def seal_partition(session: Session, part: int, limit: int, key: bytes | None = None) -> int:
    """Seal up to `limit` of one partition's queued entries in the caller's transaction, which
    must hold the partition's lock (`claimed`). Returns how many."""
    batch = _Batch(key)
    waiting = session.execute(select(func.count(), func.max(AuditPending.id))
                              .where(AuditPending.part == part)).one()
    count = _take(session, {part: tuple(waiting)} if waiting[0] else {}, limit, batch)
    _write(session, batch)
    session.flush()
    return count


_SMALL = 2000  # up to this many rows: one INSERT from arrays; more: COPY
_COLUMNS = ("id", "part", "seq", "at", "account_id", "username", "role", "action", "person_code",
            "object_type", "object_id", "purpose", "detail", "prev_hash", "entry_hash")
_TYPES = ("integer", "integer", "integer", "timestamp", "integer", "text", "text", "text", "text",
          "text", "text", "text", "text", "text", "text")
_UNNEST = text(
    f"INSERT INTO audit_entries ({', '.join(_COLUMNS)}) "
    f"SELECT {', '.join('CAST(v.detail AS json)' if c == 'detail' else 'v.' + c for c in _COLUMNS)} "
    f"FROM unnest({', '.join(f'CAST(:{c} AS {t}[])' for c, t in zip(_COLUMNS, _TYPES, strict=True))}) "
    f"AS v({', '.join(_COLUMNS)})")


def _sealed_rows(batch: _Batch):
    """The batch's rows as audit_entries' columns (`_COLUMNS`)."""
    for (entry_id, at, account_id, username, role, action, person_code, object_type, object_id,
         purpose, detail, part), seq, prev, h in zip(batch.rows, batch.seqs, batch.prevs,
                                                     batch.hashes, strict=True):
        yield (entry_id, part, seq, at, account_id, username, role, action, person_code,
               object_type, object_id, purpose, detail, prev, h)


def _write(session: Session, batch: _Batch) -> None:
    """Insert the batch, sealed, into audit_entries (with the ids it had in the queue), and on
    SQLite delete it from the queue. Row counts are checked: nothing is sealed twice."""
    if not batch.rows:
        return
    conn = session.connection()
    if conn.dialect.name != "postgresql":
        ids = [r[0] for r in batch.rows]
        for start in range(0, len(ids), _CHUNK):
            part = slice(start, start + _CHUNK)
            done = conn.exec_driver_sql(
                f"INSERT INTO audit_entries ({', '.join(_COLUMNS)}) SELECT id, part, ?, at, "
                "account_id, username, role, action, person_code, object_type, object_id, "
                "purpose, detail, ?, ? FROM audit_pending WHERE id = ?",
                list(zip(batch.seqs[part], batch.prevs[part], batch.hashes[part], ids[part],
                         strict=True))).rowcount
            _check(done, len(ids[part]))
            gone = conn.exec_driver_sql("DELETE FROM audit_pending WHERE id = ?",
                                        [(i,) for i in ids[part]]).rowcount
            _check(gone, len(ids[part]))
            _pause_if_asked()
        return
    if len(batch.rows) <= _SMALL:
        columns = list(zip(*_sealed_rows(batch), strict=True))
        done = conn.execute(_UNNEST, {c: list(v) for c, v in zip(_COLUMNS, columns,
                                                                  strict=True)}).rowcount
    else:  # a big batch (a bulk load's): COPY
        raw = conn.connection.dbapi_connection
        with raw.cursor() as cur:
            with cur.copy(f"COPY audit_entries ({', '.join(_COLUMNS)}) FROM STDIN") as copy:
                for row in _sealed_rows(batch):
                    copy.write_row(row)
            done = cur.rowcount
    _check(done, len(batch.rows))
    _pause_if_asked()


def _check(done: int, expected: int) -> None:
    if done != expected:  # another sealer got there: never seal anything twice
        raise RuntimeError(f"audit sealer: {expected - done} of {expected} entries were sealed "
                           "meanwhile by someone else; the batch is abandoned")


def _pause_if_asked() -> None:
    flag = os.environ.get(PAUSE_ENV)
    if flag:
        Path(flag).write_text(str(os.getpid()))
        while True:  # until the test kills the process
            time.sleep(1)


def seal_round(db: Database, settings: Settings | None = None) -> int:
    """One pass over the partitions with queued entries, in one transaction: a batch of each
    partition whose lock is free (another sealer holds the others), claimed and written
    together. Returns how many entries were sealed."""
    settings = settings or get_settings()
    parts = queued(db)
    if not parts:
        return 0
    # the key as `verify` reads it (the process's settings), whatever settings an app was given
    batch, held, total = _Batch(witness.chain_key()), [], 0
    try:
        with db.unit_of_work() as session:  # one transaction: all of it, or none of it
            mine = {part: parts[part] for part in _try_locks(db, session, sorted(parts), held)}
            total = _take(session, mine, settings.audit_seal_batch, batch)
            _write(session, batch)
    finally:
        for lock in held:
            lock.release()
    return total


def seal_all(db: Database, settings: Settings | None = None, wait: float = 60.0) -> int:
    """Seal everything pending now (the CLI, the end of a bulk load, the demo), then record a
    root. Partitions another sealer holds are waited for, up to `wait` seconds."""
    total, deadline = 0, time.monotonic() + wait
    while True:
        sealed = seal_round(db, settings)
        total += sealed
        if not pending_partitions(db) or (not sealed and time.monotonic() > deadline):
            break
        if not sealed:
            time.sleep(0.05)
    with db.unit_of_work() as session:
        record_root(session)
    return total


def record_root(session: Session) -> AuditRoot | None:
    """Record the Merkle root of the partitions' real ends, unless they have not moved since
    the last root."""
    heads = audit.chain_ends(session)
    listed = json.dumps([list(h) for h in heads], separators=(",", ":"))
    last = session.execute(select(AuditRoot.heads).order_by(AuditRoot.id.desc()).limit(1)).scalar()
    if last == listed:
        return None
    root = AuditRoot(at=utcnow(), heads=listed, root=witness.merkle_root(heads))
    session.add(root)
    return root


def roots(session: Session, limit: int = 50) -> Sequence[AuditRoot]:
    """The latest recorded roots, newest first (for `anju audit roots` and a daily report)."""
    return session.execute(select(AuditRoot).order_by(AuditRoot.id.desc())
                           .limit(limit)).scalars().all()


class Background:
    """A server process's sealer and witness: a daemon thread that seals every
    `audit_seal_interval_ms`, records a root at most every `audit_root_seconds`, and witnesses
    the heads every `audit_witness_seconds` when they moved. `tick()` runs once at start-up and
    at shutdown (then sealing everything the process can)."""

    def __init__(self, db: Database, settings: Settings) -> None:
        self.db, self.settings = db, settings
        self.stopping = threading.Event()
        self.thread: threading.Thread | None = None
        self.last_root = self.last_witness = 0.0
        self.witnessed: list | None = None

    @property
    def active(self) -> bool:
        return bool(self.settings.audit_seal_interval_ms or self.settings.audit_witness_seconds)

    def tick(self, final: bool = False) -> None:
        s, now = self.settings, time.monotonic()
        try:
            sealed = seal_round(self.db, s) if s.audit_seal_interval_ms or final else 0
            witness_due = s.audit_witness_seconds and (
                final or now - self.last_witness >= s.audit_witness_seconds)
            if (sealed and now - self.last_root >= s.audit_root_seconds) or witness_due:
                with self.db.unit_of_work() as session:
                    record_root(session)
                    ends = audit.chain_ends(session) if witness_due else None
                    if ends is not None and ends != self.witnessed:
                        audit.witness_head(session, ends=ends)  # as verify reads it
                        self.witnessed = ends
                self.last_root = now
                self.last_witness = now if witness_due else self.last_witness
        except Exception:  # a sealer that fails must never take the server down
            log.exception("audit sealer round failed")

    def _run(self) -> None:
        s = self.settings
        every = (s.audit_seal_interval_ms / 1000 if s.audit_seal_interval_ms
                 else s.audit_witness_seconds)
        while not self.stopping.wait(every):
            self.tick()

    def run(self) -> None:
        """The whole life in this thread (`anju audit seal --follow`): a tick, the rounds until
        `stopping` is set, the final tick."""
        self.tick()
        if self.active:  # (sealing and witnessing both off: nothing to wait for)
            self._run()
        self.tick(final=True)

    def start(self) -> None:
        self.tick()
        self.thread = threading.Thread(target=self._run, name="anju-audit-sealer", daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.stopping.set()
        if self.thread is not None:
            self.thread.join()
        self.tick(final=True)
