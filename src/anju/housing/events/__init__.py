"""Lock events: signed batches in, brief raw storage, daily presence out.

    store.py    the transactional Parquet store (data_dir/lock_events/date=YYYY-MM-DD/
                part-v<vendor>-<uuid>.parquet) and the dedup index of stored event ids
    ingest.py   `ingest`: a vendor's signed batch (HTTP or MQTT) checked and stored, all or
                nothing, event ids already stored dropped
    reduce.py   `reduce_and_expire`: finished days reduced to daily presence per key and room,
                raw days past retention deleted (the daily job)

Nobody reads raw events but this package; no API, page or export shows them. This module
re-exports the public names (`from anju.housing import events; events.ingest(...)`).
"""
from __future__ import annotations

from anju.housing.events.ingest import forget_locks, ingest, ingest_events
from anju.housing.events.reduce import ReduceReport, reduce_and_expire
from anju.housing.events.store import (
    LOCK_WAIT_S,
    PARTITION_PREFIX,
    events_root,
    forget_dedup_index,
    partition,
    raw_days_on_disk,
)

__all__ = ["LOCK_WAIT_S", "PARTITION_PREFIX", "ReduceReport", "events_root",
           "forget_dedup_index", "forget_locks", "ingest", "ingest_events", "partition",
           "raw_days_on_disk", "reduce_and_expire"]
