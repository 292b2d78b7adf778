"""The transactional Parquet store of raw lock events: one folder per China-time day under
data_dir/lock_events, files written aside and published (renamed into place) when the database
transaction commits, removed when it rolls back; and the dedup index of the event ids the
published files hold, used under one exclusive file lock (`flock`) per data directory.

Dedup needs no row per event: the published Parquet files are the record of which event ids are
stored. Each process keeps an in-memory index of them (per vendor and day, the 64-bit hashes of
the ids) and brings it up to date from the files before every check, so ids stored by other
processes count too; a hash hit is confirmed against the ids in the files, so a hash collision
never drops an event. Check, write and publish happen under the ingest lock
(data_dir/lock_events/.ingest.lock), taken before the dedup check and released after the
transaction ends, so two concurrent batches — in threads or in separate worker processes — never
both store an event id.
"""
from __future__ import annotations

import fcntl
import os
import shutil
import time
import uuid
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.orm import Session

from anju.core.config import get_settings
from anju.core.errors import Conflict

PARTITION_PREFIX = "date="
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


def hold_ingest_lock(session: Session, root: Path) -> _Held:
    """Take the data directory's ingest lock for the rest of the session's transaction (once
    per transaction); waits up to LOCK_WAIT_S for another batch's commit, then 409."""
    held = session.info.get("housing_ingest")
    if held is not None:
        return held
    pending_files(session)  # the commit/rollback hooks release what is held
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
def pending_files(session: Session) -> dict:
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


def write_parquet(session: Session, root: Path, day: date, vendor_id: int, table,
                   event_ids: list[str]) -> None:
    import pyarrow.parquet as pq

    folder = partition(root, day)
    folder.mkdir(parents=True, exist_ok=True)
    name = _part_name(vendor_id)
    temp, final = folder / f".{name}.tmp", folder / name
    pending = pending_files(session)
    pending["publish"].append((str(temp), str(final)))
    held = session.info.get("housing_ingest")
    if held is not None:
        held.publish.append((str(temp), str(final), day, vendor_id, event_ids))
        held.pending.setdefault(vendor_id, []).append(event_ids)
    # Dictionary pages only where values repeat: ids are near-unique (half the write time).
    pq.write_table(table, temp, compression="snappy", use_dictionary=["vendor_id", "kind"])


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
