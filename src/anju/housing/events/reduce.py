"""Reduction and retention, run by the daily job: each finished day with new raw events
becomes daily presence per key and room (opens per day, via DuckDB over the day's files); raw
days older than the retention window are deleted (after the commit), and presence older than its
own window. Nothing else is kept of lock events."""
from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from anju.core import clock
from anju.core.access import Access
from anju.core.audit import AuditEvent
from anju.core.config import get_settings
from anju.core.db import utcnow
from anju.core.policy import Actor
from anju.housing import policy as P
from anju.housing import rules
from anju.housing.events.store import PARTITION_PREFIX, events_root, partition, pending_files
from anju.housing.models import LockEventDay, LockPresence


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
    than the retention window (after the commit), and presence older than its own window. The
    daily job's step: only the system role (the job's actor) runs it."""
    access = Access(session, actor)
    access.allow(P.HOUSING_JOB)
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
    pending = pending_files(session)
    for day in sorted(expired_days):
        pending["remove"].append(str(partition(root, day)))
    if expired_days:
        session.execute(update(LockEventDay).where(LockEventDay.day.in_(expired_days))
                        .values(raw_deleted_at=utcnow()))
    report.raw_days_deleted = len(expired_days)

    keep_from = today - timedelta(days=settings.lock_presence_retention_days)
    session.execute(delete(LockPresence).where(LockPresence.day < keep_from))
    session.execute(delete(LockEventDay).where(LockEventDay.day < keep_from))
    access.record(AuditEvent(
        P.LOCK_EVENTS_REDUCE, P.LOCK_INTEGRATION, None, "lock_events", today.isoformat(),
        {"days_reduced": report.days_reduced, "presence_rows": report.presence_rows,
         "raw_days_deleted": report.raw_days_deleted, "raw_cutoff": cutoff.isoformat()}))
    return report
