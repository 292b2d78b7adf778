"""Monitoring's scheduled work, run by `anju jobs run monitoring.nightly` as the job's actor."""
from __future__ import annotations

from datetime import date, timedelta

from anju.core.db import Database
from anju.core.policy import Actor


def nightly(db: Database, actor: Actor, today: date | None = None) -> dict:
    """Delete mobile-network counts past retention, then build as of yesterday."""
    from anju.core import clock
    from anju.monitoring import build, service

    today = today or clock.today()
    with db.unit_of_work() as session:
        expired = service.expire_mobile(session, today)
    built = build.run(db, actor, today - timedelta(days=1), progress=lambda m: None)
    return {"build": built.build_id, "as_of": built.as_of.isoformat(),
            "cells": len(built.release.values), "withheld_small": built.release.primary,
            "withheld_complementary": built.release.complementary,
            "mobile_counts_expired": expired, "seconds": round(built.timings["total"], 1)}
