"""Read-only export of registry facts for statistics (the monitoring domain's snapshot).

What leaves: per registration its room's division, dates, state, reason and when it was recorded;
per person their sex, birth year and origin (hukou) division; per permit its dates. What never
leaves: names, ID numbers, phones, addresses, person codes. A person and a registration are named
by a keyed pseudonym (HMAC-SHA256 under a key the caller derives per build from the secret and
then forgets), enough to count persons and their moves within one build and useless to link two
builds or to find anyone. The whole export is one audit entry (who, purpose "statistics", how many
rows), not one per person: it shows no person to anyone.
"""
from __future__ import annotations

import hashlib
import hmac
from datetime import date, timedelta

import pyarrow as pa
from sqlalchemy import select
from sqlalchemy.orm import Session

from anju.core import audit
from anju.core.access import Access
from anju.core.policy import Action, Actor, Purpose
from anju.registry.models import Permit, Person, Registration

# Declared here and listed in anju.monitoring.policy (ACTIONS, PURPOSES, RULES), the one reader.
EXPORT = Action("registry.statistics_export", "导出登记统计快照（不含身份信息）",
                "Exported registry statistics snapshot (no identities)")
STATISTICS = Purpose("statistics", "统计分析（仅汇总）", "Statistics (aggregates only)")
BATCH = 50_000

REGISTRATION_SCHEMA = pa.schema([
    ("pid", pa.int64()), ("rid", pa.int64()), ("division", pa.string()),
    ("start_date", pa.date32()), ("end_date", pa.date32()), ("approved", pa.bool_()),
    ("status", pa.string()), ("reason", pa.string()), ("recorded", pa.date32()),
    ("sex", pa.string()), ("birth_year", pa.int32()), ("origin", pa.string()),
])
PERMIT_SCHEMA = pa.schema([("pid", pa.int64()), ("issued_on", pa.date32()),
                           ("valid_until", pa.date32()), ("valid", pa.bool_())])


def pseudonym(key: bytes, kind: str, value: object) -> int:
    """A signed 64-bit keyed pseudonym of `value` (HMAC-SHA256, first 8 bytes)."""
    digest = hmac.new(key, f"{kind}:{value}".encode(), hashlib.sha256).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def _cst_day(moment) -> date | None:
    return (moment + timedelta(hours=8)).date() if moment else None


def statistics_snapshot(session: Session, actor: Actor, key: bytes) -> dict[str, pa.Table]:
    """Registrations (with their person's sex, birth year and origin) and permits, pseudonymised;
    one audit entry for the whole export."""
    if len(key) < 16:
        raise ValueError("the pseudonym key must be at least 16 bytes")
    Access(session, actor).allow(EXPORT)
    rows = session.execute(
        select(Registration.id, Registration.person_code, Registration.division_code,
               Registration.start_date, Registration.end_date, Registration.status,
               Registration.reason, Registration.created_at, Registration.decided_at,
               Person.sex, Person.birth_date, Person.hukou_division_code)
        .join(Person, Person.person_code == Registration.person_code)
        .order_by(Registration.id).execution_options(yield_per=BATCH))
    batches, columns = [], {name: [] for name in REGISTRATION_SCHEMA.names}

    def flush() -> None:
        if columns["rid"]:
            batches.append(pa.record_batch([columns[n] for n in REGISTRATION_SCHEMA.names],
                                           schema=REGISTRATION_SCHEMA))
            for values in columns.values():
                values.clear()

    for (rid, person, division, start, end, status, reason, created, decided, sex, birth,
         origin) in rows:
        columns["pid"].append(pseudonym(key, "person", person))
        columns["rid"].append(pseudonym(key, "registration", rid))
        columns["division"].append(division)
        columns["start_date"].append(start)
        columns["end_date"].append(end)
        columns["approved"].append(status in ("approved", "ended") and decided is not None)
        columns["status"].append(status)
        columns["reason"].append(reason)
        columns["recorded"].append(_cst_day(created))
        columns["sex"].append(sex)
        columns["birth_year"].append(birth.year if birth else None)
        columns["origin"].append(origin)
        if len(columns["rid"]) >= BATCH:
            flush()
    flush()
    registrations = pa.Table.from_batches(batches, schema=REGISTRATION_SCHEMA)
    permits = session.execute(select(Permit.person_code, Permit.issued_on, Permit.valid_until,
                                     Permit.status)).all()
    permit_table = pa.table({
        "pid": [pseudonym(key, "person", p.person_code) for p in permits],
        "issued_on": [p.issued_on for p in permits],
        "valid_until": [p.valid_until for p in permits],
        "valid": [p.status == "valid" for p in permits]}, schema=PERMIT_SCHEMA)
    audit.append(session, actor, [audit.AuditEvent(
        EXPORT, STATISTICS, None, "statistics_snapshot", None,
        {"registrations": registrations.num_rows, "permits": permit_table.num_rows,
         "identities": "pseudonymised"})])
    return {"registrations": registrations, "permits": permit_table}
