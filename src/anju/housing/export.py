"""Read-only export of housing facts for statistics (the monitoring domain's snapshot).

What leaves: daily lock presence counted per division (rooms with any presence, key-days), for
each registration whether and when its keys were last used, and the management tasks (kind,
division, dates, outcome, how many keys in regular use had no registration). No key ids, room
ids, person codes or addresses: a registration is named by the same keyed pseudonym as in
`anju.registry.export`, under the key of the build. One audit entry for the whole export.
"""
from __future__ import annotations

from datetime import date, timedelta

import pyarrow as pa
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from anju.core import audit
from anju.core.access import Access
from anju.core.policy import Action, Actor
from anju.housing.models import EKey, HousingTask, LockPresence
from anju.registry import reads
from anju.registry.export import STATISTICS, pseudonym

# Declared here and listed in anju.monitoring.policy (ACTIONS, RULES), the one reader.
EXPORT = Action("housing.statistics_export", "导出住房统计快照（不含身份信息）",
                "Exported housing statistics snapshot (no identities)")
RECENT_DAYS = 30  # "consistent with lock presence": a key of the registration used this recently

PRESENCE_SCHEMA = pa.schema([("division", pa.string()), ("day", pa.date32()),
                             ("rooms", pa.int64()), ("key_days", pa.int64())])
KEY_USE_SCHEMA = pa.schema([("rid", pa.int64()), ("last_presence", pa.date32()),
                            ("recent_days", pa.int64())])
TASK_SCHEMA = pa.schema([("kind", pa.string()), ("division", pa.string()),
                         ("created", pa.date32()), ("resolved", pa.date32()),
                         ("status", pa.string()), ("outcome", pa.string()),
                         ("rid", pa.int64()), ("unregistered_keys", pa.int64())])


def _cst_day(moment) -> date | None:
    return (moment + timedelta(hours=8)).date() if moment else None


def statistics_snapshot(session: Session, actor: Actor, key: bytes,
                        today: date) -> dict[str, pa.Table]:
    """Presence per division and day, key use per registration, tasks; pseudonymised."""
    Access(session, actor).allow(EXPORT)
    rooms = reads.room_divisions()
    presence = session.execute(
        select(rooms.c.division_code, LockPresence.day,
               func.count(func.distinct(LockPresence.room_id)), func.count())
        .join(rooms, rooms.c.room_id == LockPresence.room_id)
        .group_by(rooms.c.division_code, LockPresence.day)).all()
    since = today - timedelta(days=RECENT_DAYS)
    recent = func.sum(case((LockPresence.day >= since, 1), else_=0))
    used = session.execute(
        select(EKey.registration_id, func.max(LockPresence.day), recent)
        .join(LockPresence, LockPresence.key_id == EKey.key_id)
        .group_by(EKey.registration_id)).all()
    tasks = session.execute(select(
        HousingTask.kind, HousingTask.division_code, HousingTask.created_at,
        HousingTask.resolved_at, HousingTask.status, HousingTask.outcome,
        HousingTask.registration_id, HousingTask.detail)).all()
    out = {
        "presence": pa.table({
            "division": [r[0] for r in presence], "day": [r[1] for r in presence],
            "rooms": [r[2] for r in presence], "key_days": [r[3] for r in presence]},
            schema=PRESENCE_SCHEMA),
        "key_use": pa.table({
            "rid": [pseudonym(key, "registration", r[0]) for r in used],
            "last_presence": [r[1] for r in used], "recent_days": [int(r[2] or 0) for r in used]},
            schema=KEY_USE_SCHEMA),
        "tasks": pa.table({
            "kind": [t.kind for t in tasks], "division": [t.division_code for t in tasks],
            "created": [_cst_day(t.created_at) for t in tasks],
            "resolved": [_cst_day(t.resolved_at) for t in tasks],
            "status": [t.status for t in tasks], "outcome": [t.outcome for t in tasks],
            "rid": [pseudonym(key, "registration", t.registration_id)
                    if t.registration_id else None for t in tasks],
            "unregistered_keys": [int((t.detail or {}).get("keys_without_registration", 0))
                                  for t in tasks]}, schema=TASK_SCHEMA),
    }
    audit.append(session, actor, [audit.AuditEvent(
        EXPORT, STATISTICS, None, "statistics_snapshot", None,
        {name: table.num_rows for name, table in out.items()} | {"identities": "pseudonymised"})])
    return out
