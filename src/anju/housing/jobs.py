"""Housing's scheduled work, run by `anju jobs run housing.daily` under the job's system actor."""
from __future__ import annotations

from datetime import date

from anju.core.db import Database
from anju.core.policy import Actor


def daily(db: Database, actor: Actor, today: date | None = None) -> dict:
    """Reduce lock events to presence and delete raw events past retention, revoke the keys of
    lapsed permits, and raise management tasks — each step in its own unit of work, so a failure
    in a later step keeps what the earlier ones did."""
    from anju.housing import events, service

    with db.unit_of_work() as session:
        reduced = events.reduce_and_expire(session, actor, today)
    with db.unit_of_work() as session:
        revoked = service.sweep_keys(session, actor, today)
    with db.unit_of_work() as session:
        opened = service.detect_tasks(session, actor, today)
    return {"days_reduced": reduced.days_reduced, "presence_rows": reduced.presence_rows,
            "raw_days_deleted": reduced.raw_days_deleted, "keys_revoked": revoked,
            "tasks_opened": opened}
