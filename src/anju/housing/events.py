"""Lock events: signed batches in, brief raw storage, daily presence out.

- `ingest` takes a vendor's batch (HTTP or MQTT, the same bytes and signature), checks the HMAC,
  validates every event before storing any, drops event ids already stored, and writes the new
  events as Parquet under data_dir/lock_events/date=YYYY-MM-DD/part-v<vendor>-<uuid>.parquet.
- Dedup needs no row per event: the published Parquet files are the record of which event ids
  are stored. Each process keeps an in-memory index of them (per vendor and day, the 64-bit
  hashes of the ids) and brings it up to date from the files before every check, so ids stored
  by other processes count too; a hash hit is confirmed against the ids in the files, so a hash
  collision never drops an event. Check, write and publish happen under one exclusive file lock
  (data_dir/lock_events/.ingest.lock, `flock`), taken before the dedup check and released after
  the transaction ends: files are written aside and renamed into place on commit, removed on
  rollback, so a failed batch leaves nothing behind and two concurrent batches — in threads or
  in separate worker processes — never both store an event id.
- `reduce_and_expire` turns each finished day into daily presence per key and room (opens per
  day), then deletes raw days older than the retention window; their ids leave the index with
  their files.

Nobody reads raw events but this module; no API, page or export shows them.
"""
from __future__ import annotations

import fcntl
import json
import os
import shutil
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path

from sqlalchemy import delete, event, insert, or_, select, update
from sqlalchemy.orm import Session

from anju.core import clock
from anju.core.access import Access
from anju.core.audit import AuditEvent
from anju.core.config import get_settings
from anju.core.db import utcnow
from anju.core.errors import Conflict
from anju.core.identity import AuthError
from anju.core.policy import Actor
from anju.housing import policy as P
from anju.housing import rules
from anju.housing.models import LockEventDay, LockPresence, LockVendor
from anju.housing.rules import BatchError
from anju.housing.schemas import IngestOut

PARTITION_PREFIX = "date="
_CHUNK = 5000  # bound parameters per IN (...) query
LOCK_WAIT_S = 30.0  # how long a batch waits for another batch's commit before a 409 "retry"


def events_root() -> Path:
    return get_settings().data_dir / "lock_events"


def partition(root: Path, day: date) -> Path:
    return root / f"{PARTITION_PREFIX}{day.isoformat()}"


def _part_name(vendor_id: int) -> str:
    return f"part-v{vendor_id}-{uuid.uuid4().hex}.parquet"


# --- the dedup index: which event ids the published files hold -------------------------------
_id_hash = hash  # in-memory only (never persisted), so the process's own string hash will do


@dataclass
class _DayIndex:
    files: set[str] = field(default_factory=set)  # names of the published files loaded
    hashes: dict[int, set[int]] = field(default_factory=dict)  # vendor id → id hashes


class _DedupIndex:
    """Per data directory: for every retained day, the hashes of the stored event ids by vendor,
    loaded from the day's published files. Used only under the ingest lock."""

    def __init__(self, root: Path):
        self.root = root
        self.days: dict[date, _DayIndex] = {}

    def refresh(self, cutoff: date) -> None:
        """Load files published since the last look (by any process); forget deleted days."""
        on_disk: dict[date, list[str]] = {}
        if self.root.exists():
            for folder in os.scandir(self.root):
                if not folder.name.startswith(PARTITION_PREFIX):
                    continue
                try:
                    day = date.fromisoformat(folder.name[len(PARTITION_PREFIX):])
                except ValueError:
                    continue
                if day < cutoff:
                    continue
                try:
                    on_disk[day] = [f.name for f in os.scandir(folder.path)
                                    if f.name.endswith(".parquet") and not f.name.startswith(".")]
                except FileNotFoundError:
                    continue
        for day in [d for d in self.days if d not in on_disk]:
            del self.days[day]
        for day, names in on_disk.items():
            index = self.days.get(day)
            if index is not None and not index.files.issubset(names):
                index = None  # a file went away (an operator's hand): rebuild the day
            if index is None:
                index = self.days[day] = _DayIndex()
            for name in names:
                if name not in index.files:
                    self._load(day, index, name)

    def _load(self, day: date, index: _DayIndex, name: str) -> None:
        import pyarrow.parquet as pq

        path = partition(self.root, day) / name
        try:
            table = pq.read_table(path, columns=["vendor_id", "event_id"])
        except FileNotFoundError:
            return
        vendor_ids = table.column("vendor_id").unique().to_pylist()
        if len(vendor_ids) == 1:
            self.add(day, name, vendor_ids[0], table.column("event_id").to_pylist())
            return
        for vendor_id in vendor_ids:  # files written by hand may mix vendors
            import pyarrow.compute as pc

            part = table.filter(pc.equal(table.column("vendor_id"), vendor_id))
            self.add(day, name, vendor_id, part.column("event_id").to_pylist())

    def add(self, day: date, name: str, vendor_id: int, event_ids: list[str]) -> None:
        index = self.days.setdefault(day, _DayIndex())
        index.hashes.setdefault(vendor_id, set()).update(map(_id_hash, event_ids))
        index.files.add(name)

    def stored(self, vendor_id: int, event_ids: list[str]) -> set[str]:
        """The given ids this vendor already stored on any retained day (exact)."""
        hashes = list(map(_id_hash, event_ids))
        suspects: set[str] = set()
        days = []
        for day, index in self.days.items():
            known = index.hashes.get(vendor_id)
            if known and not known.isdisjoint(hashes):
                suspects.update(e for e, h in zip(event_ids, hashes, strict=True) if h in known)
                days.append(day)
        return self._confirm(vendor_id, suspects, days) if suspects else set()

    def _confirm(self, vendor_id: int, suspects: set[str], days: list[date]) -> set[str]:
        """Which suspects (hash hits) the files really hold: collisions are not duplicates."""
        import pyarrow as pa
        import pyarrow.compute as pc
        import pyarrow.parquet as pq

        value_set = pa.array(sorted(suspects), pa.string())
        found: set[str] = set()
        for day in days:
            for name in self.days[day].files:
                if name.startswith("part-v") and not name.startswith(f"part-v{vendor_id}-"):
                    continue
                try:
                    table = pq.read_table(partition(self.root, day) / name,
                                          columns=["vendor_id", "event_id"])
                except FileNotFoundError:
                    continue
                mask = pc.and_(pc.equal(table.column("vendor_id"), vendor_id),
                               pc.is_in(table.column("event_id"), value_set=value_set))
                found.update(table.column("event_id").filter(mask).to_pylist())
        return found


_INDEXES: dict[str, _DedupIndex] = {}


class _Held:
    """What a session holds while it ingests: the ingest lock, the refreshed index, the files
    to publish on commit and the ids they carry."""

    def __init__(self, root: Path, fd: int, index: _DedupIndex):
        self.root, self.fd, self.index = root, fd, index
        self.publish: list[tuple[str, str, date, int, list[str]]] = []
        self.pending: dict[int, list[list[str]]] = {}  # vendor → ids written, unpublished
        self.refreshed_for: date | None = None

    def seen(self, session: Session, vendor_id: int, event_ids: list[str],
             cutoff: date) -> set[str]:
        """The ids of `event_ids` already stored, or written earlier in this transaction."""
        if self.refreshed_for != cutoff:
            self.index.refresh(cutoff)
            self.refreshed_for = cutoff
        seen = self.index.stored(vendor_id, event_ids)
        pending = self.pending.get(vendor_id)
        if pending:  # several batches in one transaction (rare): ids written but unpublished
            written = {e for ids in pending for e in ids}
            seen.update(e for e in event_ids if e in written)
        return seen


def _hold_ingest_lock(session: Session, root: Path) -> _Held:
    """Take the data directory's ingest lock for the rest of the session's transaction (once
    per transaction); waits up to LOCK_WAIT_S for another batch's commit, then 409."""
    held = session.info.get("housing_ingest")
    if held is not None:
        return held
    _pending(session)  # the commit/rollback hooks release what is held
    # Lock order: the database transaction first, then the file lock (released after the
    # commit). On SQLite the transaction begins with BEGIN IMMEDIATE — the write lock — so a
    # batch never holds the file lock while waiting for the database, and two batches cannot
    # wait for each other.
    session.connection()
    root.mkdir(parents=True, exist_ok=True)
    fd = os.open(root / ".ingest.lock", os.O_RDWR | os.O_CREAT, 0o600)
    deadline = time.monotonic() + LOCK_WAIT_S
    pause = 0.0005
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            if time.monotonic() > deadline:
                os.close(fd)
                raise Conflict("batch_concurrent", "另一批次正在写入，请稍后重试",
                               "another batch is being stored; retry") from None
            time.sleep(pause)
            pause = min(pause * 2, 0.02)
    index = _INDEXES.get(str(root))
    if index is None:
        index = _INDEXES[str(root)] = _DedupIndex(root)
    held = session.info["housing_ingest"] = _Held(root, fd, index)
    return held


def _release(session: Session) -> None:
    held = session.info.pop("housing_ingest", None)
    if held is not None:
        fcntl.flock(held.fd, fcntl.LOCK_UN)
        os.close(held.fd)


def forget_dedup_index() -> None:
    """Drop the in-memory index (tests: a fresh process rebuilds it from the files)."""
    _INDEXES.clear()


# --- files that follow the transaction -----------------------------------------------------
def _pending(session: Session) -> dict:
    pending = session.info.get("housing_files")
    if pending is None:
        pending = session.info["housing_files"] = {"publish": [], "remove": []}
        event.listen(session, "after_commit", _on_commit)
        event.listen(session, "after_rollback", _on_rollback)
        event.listen(session, "after_transaction_end", _on_transaction_end)
    return pending


def _on_commit(session: Session) -> None:
    pending = session.info.get("housing_files") or {"publish": [], "remove": []}
    held = session.info.get("housing_ingest")
    try:
        for temp, final in pending["publish"]:
            os.replace(temp, final)
        if held is not None:
            for _temp, final, day, vendor_id, ids in held.publish:
                held.index.add(day, Path(final).name, vendor_id, ids)
        for folder in pending["remove"]:
            shutil.rmtree(folder, ignore_errors=True)
    finally:
        pending["publish"].clear()
        pending["remove"].clear()
        _release(session)


def _on_rollback(session: Session) -> None:
    pending = session.info.get("housing_files") or {"publish": [], "remove": []}
    try:
        for temp, _final in pending["publish"]:
            Path(temp).unlink(missing_ok=True)
    finally:
        pending["publish"].clear()
        pending["remove"].clear()
        _release(session)


def _on_transaction_end(session: Session, transaction) -> None:
    # a session closed without commit or rollback still gives the lock back
    if transaction.parent is None and session.info.get("housing_ingest") is not None:
        _on_rollback(session)


def _write_parquet(session: Session, root: Path, day: date, vendor_id: int, table,
                   event_ids: list[str]) -> None:
    import pyarrow.parquet as pq

    folder = partition(root, day)
    folder.mkdir(parents=True, exist_ok=True)
    name = _part_name(vendor_id)
    temp, final = folder / f".{name}.tmp", folder / name
    pending = _pending(session)
    pending["publish"].append((str(temp), str(final)))
    held = session.info.get("housing_ingest")
    if held is not None:
        held.publish.append((str(temp), str(final), day, vendor_id, event_ids))
        held.pending.setdefault(vendor_id, []).append(event_ids)
    # Dictionary pages only where values repeat: ids are near-unique (half the write time).
    pq.write_table(table, temp, compression="snappy", use_dictionary=["vendor_id", "kind"])


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


_FIELDS = ("event_id", "lock_id", "key_id", "ts", "kind")


@lru_cache(maxsize=1)
def _json_options():
    import pyarrow as pa
    import pyarrow.json as pj

    event = pa.struct([(name, pa.string()) for name in _FIELDS])
    schema = pa.schema([("vendor", pa.string()), ("events", pa.list_(event))])
    return schema, pj.ParseOptions(explicit_schema=schema, unexpected_field_behavior="ignore",
                                   newlines_in_values=True)


def _parse_columnar(body: bytes):
    """(vendor, events StructArray) when the body is one JSON object whose events all have string
    fields — parsed straight into Arrow, no Python object per event; None for anything else (then
    `json.loads` and the precise per-event check decide)."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.json as pj

    _schema, options = _json_options()
    try:
        table = pj.read_json(pa.BufferReader(body), parse_options=options,
                             read_options=pj.ReadOptions(use_threads=False,
                                                         block_size=len(body) + 64))
    except (pa.ArrowException, ValueError):
        return None
    if table.num_rows != 1:
        return None
    vendor = table.column("vendor")[0].as_py()
    events = table.column("events")
    if not vendor or events.null_count:
        return None
    flat = pc.list_flatten(events.combine_chunks() if events.num_chunks != 1 else events.chunk(0))
    if len(flat) > rules.MAX_BATCH or flat.null_count:
        return None
    return vendor, flat


def _authenticate(session: Session, body: bytes, given: str | None) -> tuple[_Vendor, object]:
    """The vendor whose secret signed `body`, and the parsed body: an Arrow StructArray of the
    events when the body parses columnar, else the JSON object. Anything unsigned is 401."""
    parsed = _parse_columnar(body)
    if parsed is not None:
        name, data = parsed
    else:
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


# Lock device → room, per database and vendor, loaded whole with one query on first use and kept
# in-process. Locks are append-only: a registered lock never changes room or vendor and is never
# deleted (there is no operation for either; one that adds it must call `forget_locks`). A lock
# registered later — in this process or another — is a miss here and is fetched by id, so the map
# needs no invalidation to stay correct.
_LOCK_MAPS: dict[tuple[str, int], dict[str, int]] = {}
_LOCK_MAPS_GUARD = threading.Lock()


def forget_locks() -> None:
    """Drop the in-process lock maps (tests; any future operation that moves or deletes a lock)."""
    with _LOCK_MAPS_GUARD:
        _LOCK_MAPS.clear()


def _rooms(session: Session, vendor_id: int, lock_list: list[str]) -> list[int | None]:
    """The room of each lock in `lock_list` (None: not a registered lock of this vendor)."""
    key = (str(session.get_bind().url), vendor_id)
    known = _LOCK_MAPS.get(key)
    if known is None:
        connection = session.connection()
        sqlite = connection.dialect.paramstyle == "qmark"
        # One pass over the table (SQLite: NOT INDEXED — a sequential scan beats a million index
        # probes), through the driver's own cursor on the session's connection (same
        # transaction): plain tuples, no Row objects.
        sql = ("SELECT lock_id, room_id FROM locks NOT INDEXED WHERE vendor_id = ?" if sqlite
               else "SELECT lock_id, room_id FROM locks WHERE vendor_id = %s")
        cursor = connection.connection.dbapi_connection.cursor()
        try:
            cursor.execute(sql, (vendor_id,))
            known = dict(cursor.fetchall())
        finally:
            cursor.close()
        with _LOCK_MAPS_GUARD:
            _LOCK_MAPS[key] = known
    rooms = list(map(known.get, lock_list))
    if None in rooms:  # registered since the map was loaded (here or in another process)?
        missing = sorted({lock for lock, room in zip(lock_list, rooms, strict=True)
                          if room is None})
        fetched = dict(_in_query(session, "SELECT lock_id, room_id FROM locks WHERE vendor_id = "
                                 "{first} AND lock_id IN ({values})", vendor_id, missing))
        if fetched:
            known.update(fetched)
            rooms = list(map(known.get, lock_list))
    return rooms


def ingest(session: Session, body: bytes, given_signature: str | None,
           now: float | None = None) -> IngestOut:
    """Store a signed batch of lock events; all or nothing. Returns new/duplicate counts."""
    vendor, data = _authenticate(session, body, given_signature)
    return ingest_events(session, vendor.id, data, now)


_US = 1_000_000
_DAY_US = 86_400 * _US
_EPOCH = date(1970, 1, 1)


def _columns_fast(events, now_s: float) -> dict | None:
    """Arrow columns of a batch where every event is plainly well formed (string ids and kind,
    ISO 8601 times with an offset), checked column-wise; None for anything else, which the
    precise per-event check then accepts or names. `events` is the columnar parse (a
    StructArray) or the list of event objects from `json.loads`."""
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        if isinstance(events, pa.StructArray):
            columns = {name: events.field(name) for name in _FIELDS}
        else:
            columns = {name: pa.array([e[name] for e in events], pa.string())
                       for name in _FIELDS}
        columns["ts"] = pc.cast(columns["ts"], pa.timestamp("us", "UTC"))
    except (KeyError, TypeError, pa.ArrowException):
        return None
    if not len(columns["ts"]) or any(c.null_count for c in columns.values()):
        return None
    for name in ("event_id", "lock_id", "key_id"):
        lengths = pc.min_max(pc.utf8_length(columns[name])).as_py()
        if lengths["min"] < 1 or lengths["max"] > rules.MAX_ID:
            return None
    if not pc.all(pc.is_in(columns["kind"], value_set=pa.array(sorted(rules.EVENT_KINDS)))).as_py():
        return None
    columns["ts"] = columns["ts"].cast(pa.int64())
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


def _columns(data: object, now_s: float) -> dict:
    """Validated Arrow columns of a batch (parsed columnar or by `json.loads`); BatchError names
    the first bad event."""
    import pyarrow as pa

    if isinstance(data, pa.StructArray):
        columns = _columns_fast(data, now_s)
        if columns is not None:
            return columns
        data = {"events": data.to_pylist()}  # the precise check names what is wrong
        # (fields the columnar parse ignored were not stored anyway; absent ones are None)
        data["events"] = [{k: v for k, v in e.items() if v is not None} for e in data["events"]]
        events = data["events"]
    else:
        _name, events = rules.envelope(data)
        columns = _columns_fast(events, now_s) if events else None
        if columns is not None:
            return columns
    return _columns_checked(events, now_s)


def ingest_events(session: Session, vendor_id: int, data: object,
                  now: float | None = None) -> IngestOut:
    """The part of `ingest` after authentication (benchmarks and tests call it directly).
    `data` is the batch object (`{"vendor", "events"}`) or the columnar parse of its events."""
    import pyarrow as pa
    import pyarrow.compute as pc

    now_s = time.time() if now is None else now
    columns = _columns(data, now_s)
    received = len(columns["event_id"])
    if not received:
        return IngestOut(received=0, new=0, duplicate=0, stale=0)
    rooms = _rooms(session, vendor_id, columns["lock_id"].to_pylist())
    if None in rooms:
        raise BatchError(rooms.index(None), "lock_id", "lock_unknown",
                         "门锁未登记（请先 POST /api/v1/locks）",
                         "lock is not registered (POST /api/v1/locks first)")
    columns["room_id"] = pa.array(rooms, pa.int64())
    # China-time day of each event, as days since the epoch.
    day_numbers = pc.divide(pc.add(columns["ts"], rules.CST_OFFSET * _US), _DAY_US)
    cutoff = rules.raw_cutoff(clock.today(), get_settings().lock_event_retention_days)
    cutoff_number = (cutoff - _EPOCH).days
    event_ids = columns["event_id"].to_pylist()
    # From here to the commit this process holds the ingest lock: the dedup check, the Parquet
    # write and its publication are one step for every process writing to this data directory.
    root = events_root()
    dedup = _hold_ingest_lock(session, root)
    seen = dedup.seen(session, vendor_id, event_ids, cutoff)
    duplicate = stale = 0
    keep = None
    if seen or pc.count_distinct(columns["event_id"]).as_py() != received \
            or pc.min(day_numbers).as_py() < cutoff_number:
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
        event_ids = [e for e, k in zip(event_ids, keep, strict=True) if k]
    if table.num_rows:
        _store(session, vendor_id, table, event_ids)
    return IngestOut(received=received, new=table.num_rows, duplicate=duplicate, stale=stale)


def _store(session: Session, vendor_id: int, table, event_ids: list[str]) -> None:
    """Mark the days as having new events, then write one Parquet file per day (published, and
    its ids added to the dedup index, on commit)."""
    import pyarrow.compute as pc

    days = {n: _EPOCH + timedelta(days=n) for n in pc.unique(table.column("day")).to_pylist()}
    _touch_days(session, list(days.values()))
    root = events_root()
    if len(days) == 1:
        [(number, day)] = days.items()
        _write_parquet(session, root, day, vendor_id, table.drop_columns(["day"]), event_ids)
        return
    numbers = table.column("day").to_pylist()
    for number, day in days.items():
        mask = pc.equal(table.column("day"), number)
        ids = [e for e, n in zip(event_ids, numbers, strict=True) if n == number]
        _write_parquet(session, root, day, vendor_id, table.filter(mask).drop_columns(["day"]),
                       ids)


def _touch_days(session: Session, days: list[date]) -> None:
    """Mark the days as having new events (one UPDATE; an INSERT only for a day's first batch —
    under the ingest lock, so two batches never both insert a day)."""
    now = utcnow()
    result = session.execute(update(LockEventDay).where(LockEventDay.day.in_(days))
                             .values(last_ingest_at=now))
    if result.rowcount == len(days):
        return
    known = set(session.execute(select(LockEventDay.day)
                                .where(LockEventDay.day.in_(days))).scalars())
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
    report.raw_days_deleted = len(expired_days)

    keep_from = today - timedelta(days=settings.lock_presence_retention_days)
    session.execute(delete(LockPresence).where(LockPresence.day < keep_from))
    session.execute(delete(LockEventDay).where(LockEventDay.day < keep_from))
    Access(session, actor).record(AuditEvent(
        P.LOCK_EVENTS_REDUCE, P.LOCK_INTEGRATION, None, "lock_events", today.isoformat(),
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

