"""Lock events: signed batches in, brief raw storage, daily presence out.

- `ingest` takes a vendor's batch (HTTP or MQTT, the same bytes and signature), checks the HMAC,
  validates every event before storing any, drops event ids already seen, and writes the new
  events as Parquet under data_dir/lock_events/date=YYYY-MM-DD/. Files appear only when the
  transaction that records their event ids commits (written aside, renamed on commit, removed on
  rollback), so a failed batch leaves nothing behind and a resent one is not counted twice.
- `reduce_and_expire` turns each finished day into daily presence per key and room (opens per
  day), then deletes raw days older than the retention window, with their event-id index.

Nobody reads raw events but this module; no API, page or export shows them.
"""
from __future__ import annotations

import json
import os
import shutil
import time
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path

from sqlalchemy import delete, event, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from anju.core import clock
from anju.core.access import Access
from anju.core.audit import AuditEvent
from anju.core.config import get_settings
from anju.core.db import utcnow
from anju.core.errors import Conflict
from anju.core.identity import AuthError
from anju.core.policy import Actor
from anju.housing import rules
from anju.housing.models import LockEventDay, LockEventSeen, LockPresence, LockVendor
from anju.housing.rules import BatchError
from anju.housing.schemas import IngestOut

PARTITION_PREFIX = "date="
_CHUNK = 5000  # bound parameters per IN (...) query


def events_root() -> Path:
    return get_settings().data_dir / "lock_events"


def partition(root: Path, day: date) -> Path:
    return root / f"{PARTITION_PREFIX}{day.isoformat()}"


# --- files that follow the transaction -----------------------------------------------------
def _pending(session: Session) -> dict:
    pending = session.info.get("housing_files")
    if pending is None:
        pending = session.info["housing_files"] = {"publish": [], "remove": []}
        event.listen(session, "after_commit", _on_commit)
        event.listen(session, "after_rollback", _on_rollback)
    return pending


def _on_commit(session: Session) -> None:
    pending = session.info.get("housing_files") or {"publish": [], "remove": []}
    for temp, final in pending["publish"]:
        os.replace(temp, final)
    for folder in pending["remove"]:
        shutil.rmtree(folder, ignore_errors=True)
    pending["publish"].clear()
    pending["remove"].clear()


def _on_rollback(session: Session) -> None:
    pending = session.info.get("housing_files") or {"publish": [], "remove": []}
    for temp, _final in pending["publish"]:
        Path(temp).unlink(missing_ok=True)
    pending["publish"].clear()
    pending["remove"].clear()


def _write_parquet(session: Session, root: Path, day: date, table) -> None:
    import pyarrow.parquet as pq

    folder = partition(root, day)
    folder.mkdir(parents=True, exist_ok=True)
    name = f"part-{uuid.uuid4().hex}.parquet"
    temp, final = folder / f".{name}.tmp", folder / name
    pending = _pending(session)
    pending["publish"].append((str(temp), str(final)))
    pq.write_table(table, temp, compression="snappy")


# --- ingest ------------------------------------------------------------------------------------
@dataclass
class _Vendor:
    id: int
    name: str
    secret: str


@lru_cache(maxsize=256)
def _secret(cipher_text: str, secret_key: str) -> str:
    from anju.housing.service import vendor_cipher

    return vendor_cipher().decrypt(cipher_text)


def _unauthenticated() -> AuthError:
    return AuthError("signature_invalid", "签名无效：请用厂商密钥对请求体计算 HMAC-SHA256",
                     "bad signature: X-Anju-Signature must be the hex HMAC-SHA256 of the body "
                     "under the vendor's secret")


def _authenticate(session: Session, body: bytes, given: str | None) -> tuple[_Vendor, object]:
    """The vendor whose secret signed `body`, and the parsed body. Anything unsigned is 401."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise _unauthenticated() from None
    name = data.get("vendor") if isinstance(data, dict) else None
    if not isinstance(name, str) or not given:
        raise _unauthenticated()
    row = session.execute(select(LockVendor).where(LockVendor.name == name,
                                                   LockVendor.active.is_(True))).scalar()
    if row is None:
        raise _unauthenticated()
    secret = _secret(row.secret_cipher, get_settings().secret_key)
    if not rules.signature_matches(secret, body, given):
        raise _unauthenticated()
    return _Vendor(row.id, row.name, secret), data


def _in_query(session: Session, sql: str, first: object, values: list[str]) -> list[tuple]:
    """Run `sql` (with {first} and {values} placeholders) over `values` in chunks, through the
    driver: compiling a 5,000-value IN list in SQLAlchemy costs more than the query itself."""
    connection = session.connection()
    mark = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    rows: list[tuple] = []
    for i in range(0, len(values), _CHUNK):
        chunk = values[i:i + _CHUNK]
        statement = sql.format(first=mark, values=",".join([mark] * len(chunk)))
        rows += connection.exec_driver_sql(statement, (first, *chunk)).all()
    return rows


# Lock device → room, cached per database: a registered lock never changes room or vendor (there
# is no operation for it; one that adds it must clear this cache). Only found locks are cached.
_LOCK_ROOMS: dict[tuple[str, int, str], int] = {}
_LOCK_CACHE_MAX = 4_000_000


def _locks(session: Session, vendor_id: int, lock_ids: list[str]) -> dict[str, int]:
    database = str(session.get_bind().url)
    found, missing = {}, []
    for lock in lock_ids:
        room = _LOCK_ROOMS.get((database, vendor_id, lock))
        if room is None:
            missing.append(lock)
        else:
            found[lock] = room
    if missing:
        fetched = dict(_in_query(session, "SELECT lock_id, room_id FROM locks WHERE vendor_id = "
                                 "{first} AND lock_id IN ({values})", vendor_id, missing))
        if len(_LOCK_ROOMS) + len(fetched) > _LOCK_CACHE_MAX:
            _LOCK_ROOMS.clear()
        _LOCK_ROOMS.update(((database, vendor_id, lock), room) for lock, room in fetched.items())
        found.update(fetched)
    return found


def _already_seen(session: Session, vendor_id: int, event_ids: list[str]) -> set[str]:
    return {row[0] for row in _in_query(
        session, "SELECT event_id FROM lock_event_seen WHERE vendor_id = {first} "
        "AND event_id IN ({values})", vendor_id, event_ids)}


def ingest(session: Session, body: bytes, given_signature: str | None,
           now: float | None = None) -> IngestOut:
    """Store a signed batch of lock events; all or nothing. Returns new/duplicate counts."""
    vendor, data = _authenticate(session, body, given_signature)
    return ingest_events(session, vendor.id, data, now)


_US = 1_000_000
_DAY_US = 86_400 * _US
_EPOCH = date(1970, 1, 1)


def _columns_fast(events: list, now_s: float) -> dict | None:
    """Arrow columns of a batch where every event is plainly well formed (string ids and kind,
    ISO 8601 times with an offset), checked column-wise; None for anything else, which the
    precise per-event check then accepts or names."""
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        columns = {name: pa.array([e[name] for e in events], pa.string())
                   for name in ("event_id", "lock_id", "key_id", "kind")}
        ts = pc.cast(pa.array([e["ts"] for e in events], pa.string()), pa.timestamp("us", "UTC"))
    except (KeyError, TypeError, pa.ArrowException):
        return None
    if not events or ts.null_count or any(c.null_count for c in columns.values()):
        return None
    for name in ("event_id", "lock_id", "key_id"):
        lengths = pc.min_max(pc.utf8_length(columns[name])).as_py()
        if lengths["min"] < 1 or lengths["max"] > rules.MAX_ID:
            return None
    if not pc.all(pc.is_in(columns["kind"], value_set=pa.array(sorted(rules.EVENT_KINDS)))).as_py():
        return None
    columns["ts"] = ts.cast(pa.int64())
    if pc.max(columns["ts"]).as_py() > (now_s + rules.FUTURE_TOLERANCE_S) * _US:
        return None
    return columns


def _columns_checked(events: list, now_s: float) -> dict:
    """The precise path: every event checked on its own; raises BatchError naming the first
    bad one."""
    import pyarrow as pa

    checked = [rules.check_event(e, i, now_s) for i, e in enumerate(events)]
    names = ("event_id", "lock_id", "key_id")
    columns = {name: pa.array([c[i] for c in checked], pa.string())
               for i, name in enumerate(names)}
    columns["kind"] = pa.array([c[4] for c in checked], pa.string())
    columns["ts"] = pa.array([round(c[3] * _US) for c in checked], pa.int64())
    return columns


def ingest_events(session: Session, vendor_id: int, data: object,
                  now: float | None = None) -> IngestOut:
    """The part of `ingest` after authentication (benchmarks call it directly)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    _name, events = rules.envelope(data)
    now_s = time.time() if now is None else now
    columns = _columns_fast(events, now_s) if events else None
    if columns is None:
        columns = _columns_checked(events, now_s)
    received = len(columns["event_id"])
    if not received:
        return IngestOut(received=0, new=0, duplicate=0, stale=0)
    lock_list = columns["lock_id"].to_pylist()
    rooms = _locks(session, vendor_id, sorted(set(lock_list)))
    try:
        columns["room_id"] = pa.array([rooms[lock] for lock in lock_list], pa.int64())
    except KeyError:
        index = next(i for i, lock in enumerate(lock_list) if lock not in rooms)
        raise BatchError(index, "lock_id", "lock_unknown", "门锁未登记（请先 POST /api/v1/locks）",
                         "lock is not registered (POST /api/v1/locks first)") from None
    # China-time day of each event, as days since the epoch.
    day_numbers = pc.divide(pc.add(columns["ts"], rules.CST_OFFSET * _US), _DAY_US)
    cutoff = rules.raw_cutoff(clock.today(), get_settings().lock_event_retention_days)
    cutoff_number = (cutoff - _EPOCH).days
    event_ids = columns["event_id"].to_pylist()
    seen = _already_seen(session, vendor_id, event_ids)
    duplicate = stale = 0
    keep = None
    if seen or len(set(event_ids)) != received or pc.min(day_numbers).as_py() < cutoff_number:
        keep, numbers = [], day_numbers.to_pylist()
        for event_id, number in zip(event_ids, numbers, strict=True):
            if event_id in seen:
                duplicate += 1
                keep.append(False)
            elif number < cutoff_number:
                stale += 1
                keep.append(False)
            else:
                seen.add(event_id)
                keep.append(True)
    table = pa.table({"vendor_id": pa.array([vendor_id] * received, pa.int32()),
                      "event_id": columns["event_id"], "lock_id": columns["lock_id"],
                      "room_id": columns["room_id"], "key_id": columns["key_id"],
                      "ts": columns["ts"].cast(pa.timestamp("us", "UTC")),
                      "kind": columns["kind"], "day": day_numbers})
    if keep is not None:
        table = table.filter(pa.array(keep, pa.bool_()))
    if table.num_rows:
        _store(session, vendor_id, table)
    return IngestOut(received=received, new=table.num_rows, duplicate=duplicate, stale=stale)


def _store(session: Session, vendor_id: int, table) -> None:
    """Record the new event ids, then write one Parquet file per day (published on commit)."""
    import pyarrow.compute as pc

    connection = session.connection()
    days = {n: _EPOCH + timedelta(days=n) for n in pc.unique(table.column("day")).to_pylist()}
    sqlite = connection.dialect.paramstyle == "qmark"
    as_param = {n: d.isoformat() if sqlite else d for n, d in days.items()}
    mark = "?" if sqlite else "%s"
    rows = [(vendor_id, event_id, as_param[n]) for event_id, n in zip(
        table.column("event_id").to_pylist(), table.column("day").to_pylist(), strict=True)]
    # The primary key refuses an id a concurrent batch stored first: this batch then fails
    # whole and the vendor's retry counts it as a duplicate.
    try:
        with session.begin_nested():
            connection.exec_driver_sql(
                f"INSERT INTO lock_event_seen (vendor_id, event_id, day) "
                f"VALUES ({mark}, {mark}, {mark})", rows)
    except IntegrityError:
        raise Conflict("batch_concurrent", "同一事件正由另一批次写入，请重试",
                       "another batch is storing the same events; retry") from None
    _touch_days(session, list(days.values()))
    root = events_root()
    for number, day in days.items():
        part = table if len(days) == 1 else table.filter(pc.equal(table.column("day"), number))
        _write_parquet(session, root, day, part.drop_columns(["day"]))


def _touch_days(session: Session, days: list[date]) -> None:
    now = utcnow()
    known = set(session.execute(select(LockEventDay.day).where(LockEventDay.day.in_(days))
                                .with_for_update()).scalars())
    if known:
        session.execute(update(LockEventDay).where(LockEventDay.day.in_(known))
                        .values(last_ingest_at=now))
    fresh = [d for d in days if d not in known]
    if fresh:
        session.execute(insert(LockEventDay), [{"day": d, "last_ingest_at": now} for d in fresh])


# --- reduction and retention ----------------------------------------------------------------
@dataclass
class ReduceReport:
    days_reduced: int = 0
    presence_rows: int = 0
    raw_days_deleted: int = 0


def _presence_of_day(root: Path, day: date) -> list[tuple[str, int, int]]:
    """(key_id, room_id, opens) for one day's raw files, via DuckDB."""
    import duckdb

    folder = partition(root, day)
    if not any(folder.glob("*.parquet")):
        return []
    con = duckdb.connect(config={"threads": max(1, min(4, os.cpu_count() or 1))})
    try:
        kinds = ", ".join(f"'{k}'" for k in rules.PRESENCE_KINDS)
        return con.execute(
            f"SELECT key_id, room_id, count(*) AS opens "
            f"FROM read_parquet(?) WHERE kind IN ({kinds}) GROUP BY key_id, room_id",
            [str(folder / "*.parquet")]).fetchall()
    finally:
        con.close()


def _insert_presence(session: Session, day: date, rows: list[tuple[str, int, int]]) -> None:
    """Replace one day's presence (driver executemany: a million rows in seconds)."""
    session.execute(delete(LockPresence).where(LockPresence.day == day))
    connection = session.connection()
    sqlite = connection.dialect.paramstyle == "qmark"
    mark, value = ("?", day.isoformat()) if sqlite else ("%s", day)
    statement = (f"INSERT INTO lock_presence (key_id, room_id, day, opens) "
                 f"VALUES ({mark}, {mark}, {mark}, {mark})")
    for i in range(0, len(rows), 100_000):
        connection.exec_driver_sql(statement, [(k, r, value, n) for k, r, n in rows[i:i + 100_000]])


def reduce_and_expire(session: Session, actor: Actor, today: date | None = None) -> ReduceReport:
    """Reduce every finished day with new raw events to daily presence; delete raw days older
    than the retention window (after the commit), and presence older than its own window."""
    settings = get_settings()
    today = today or clock.today()
    root = events_root()
    report = ReduceReport()
    dirty = session.execute(select(LockEventDay).where(
        LockEventDay.day < today, LockEventDay.raw_deleted_at.is_(None),
        or_(LockEventDay.reduced_at.is_(None),
            LockEventDay.last_ingest_at > LockEventDay.reduced_at))
        .order_by(LockEventDay.day).with_for_update()).scalars().all()
    for day_row in dirty:
        rows = _presence_of_day(root, day_row.day)
        _insert_presence(session, day_row.day, rows)
        day_row.reduced_at = utcnow()
        report.days_reduced += 1
        report.presence_rows += len(rows)

    cutoff = rules.raw_cutoff(today, settings.lock_event_retention_days)
    expired_days = set(session.execute(select(LockEventDay.day).where(
        LockEventDay.day < cutoff, LockEventDay.raw_deleted_at.is_(None))).scalars())
    if root.exists():  # also folders no day row knows (a crash between write and commit)
        for folder in root.glob(f"{PARTITION_PREFIX}*"):
            try:
                day = date.fromisoformat(folder.name[len(PARTITION_PREFIX):])
            except ValueError:
                continue
            if day < cutoff:
                expired_days.add(day)
    pending = _pending(session)
    for day in sorted(expired_days):
        pending["remove"].append(str(partition(root, day)))
    if expired_days:
        session.execute(update(LockEventDay).where(LockEventDay.day.in_(expired_days))
                        .values(raw_deleted_at=utcnow()))
    session.execute(delete(LockEventSeen).where(LockEventSeen.day < cutoff))
    report.raw_days_deleted = len(expired_days)

    keep_from = today - timedelta(days=settings.lock_presence_retention_days)
    session.execute(delete(LockPresence).where(LockPresence.day < keep_from))
    session.execute(delete(LockEventDay).where(LockEventDay.day < keep_from))
    Access(session, actor).record(AuditEvent(
        "lock_events.reduce", "lock_integration", None, "lock_events", today.isoformat(),
        {"days_reduced": report.days_reduced, "presence_rows": report.presence_rows,
         "raw_days_deleted": report.raw_days_deleted, "raw_cutoff": cutoff.isoformat()}))
    return report


def raw_days_on_disk() -> list[date]:
    """Days that still have raw event files (tests and operators check retention with this)."""
    root = events_root()
    if not root.exists():
        return []
    days = []
    for folder in root.glob(f"{PARTITION_PREFIX}*"):
        if any(folder.glob("*.parquet")):
            days.append(date.fromisoformat(folder.name[len(PARTITION_PREFIX):]))
    return sorted(days)

