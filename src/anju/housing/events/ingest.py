"""Ingest: a vendor's signed batch (HTTP or MQTT, the same bytes and signature) is
authenticated by its HMAC, every event validated before any is stored (parsed straight into
Arrow when the body allows), event ids already stored dropped, and the new events written to the
Parquet store (`store`) — all or nothing, in the caller's transaction."""
from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from anju.core import clock
from anju.core.config import get_settings
from anju.core.db import utcnow
from anju.core.identity import AuthError
from anju.housing import rules
from anju.housing.events.store import events_root, hold_ingest_lock, write_parquet
from anju.housing.models import LockEventDay, LockVendor
from anju.housing.rules import BatchError
from anju.housing.schemas import IngestOut

_CHUNK = 5000  # bound parameters per IN (...) query

# --- authentication ----------------------------------------------------------------------------
@dataclass
class _Vendor:
    id: int
    name: str
    secret: str


@lru_cache(maxsize=256)
def _secret(cipher_text: str, secret_key: str) -> str:
    from anju.housing.service.locks import vendor_cipher  # the service package is heavier

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
    dedup = hold_ingest_lock(session, root)
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
        write_parquet(session, root, day, vendor_id, table.drop_columns(["day"]), event_ids)
        return
    numbers = table.column("day").to_pylist()
    for number, day in days.items():
        mask = pc.equal(table.column("day"), number)
        ids = [e for e, n in zip(event_ids, numbers, strict=True) if n == number]
        write_parquet(session, root, day, vendor_id, table.filter(mask).drop_columns(["day"]),
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

