"""A synthetic statistics snapshot at province scale for the monitoring benchmark, written
straight to the Parquet files a build reads (the shapes of `anju.registry.export` and
`anju.housing.export`), so the benchmark measures the build, not the exports.

Persons live in the real villages and communities of 长兴县 (330522), come from real counties
of eight provinces, and about a third of them moved at least once (an ended registration and
a new one, arrivals and departures). Daily presence is raw events (`presence_events`: village,
day, room), one per room and day someone was there, over the last 90 days — the bulk of the
"movement/presence events". Vectorised with NumPy, written in row groups.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from anju.core import divisions
from anju.housing.export import KEY_USE_SCHEMA, TASK_SCHEMA
from anju.monitoring import plan
from anju.monitoring.rules import Dim
from anju.registry.export import PERMIT_SCHEMA, REGISTRATION_SCHEMA

COUNTY = "330522000000"
ORIGIN_PROVINCES = ("340000000000", "410000000000", "520000000000", "360000000000",
                    "510000000000", "430000000000", "450000000000", "330000000000")
PRESENCE_DAYS = 90
CHUNK = 10_000_000


@dataclass
class Made:
    folder: Path
    persons: int
    registrations: int
    presence_events: int
    arrivals: int
    departures: int


def _villages() -> list[str]:
    return [v.code for _, villages in divisions.townships_with_villages(COUNTY)
            for v in villages]


def _origins() -> list[str]:
    found = []
    for province in ORIGIN_PROVINCES:
        for city in divisions.children(province):
            found += [c.code for c in divisions.children(city.code) if c.level == 3]
    return found


def _days(values: np.ndarray) -> pa.Array:
    return pa.array(values.astype("datetime64[D]"), type=pa.date32())


def _text(codes: list[str], index: np.ndarray) -> pa.Array:
    """Strings stored once (dictionary-encoded): 100 million rows of village codes fit."""
    return pa.DictionaryArray.from_arrays(pa.array(index.astype(np.int32)),
                                          pa.array(codes, type=pa.string()))


def make(folder: Path, persons: int, events: int, as_of: date, seed: int = 2026,
         log=print) -> Made:
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    villages, origins = _villages(), _origins()
    weights = rng.pareto(1.2, len(villages)) + 1
    weights /= weights.sum()
    end = np.datetime64(as_of)
    span = 4 * 365

    # registrations: every person one; movers (a third) an ended one before it
    movers = rng.random(persons) < 0.33
    n_old = int(movers.sum())
    pid = np.concatenate([np.arange(persons), np.flatnonzero(movers)]).astype(np.int64)
    total = pid.size
    start = end - rng.integers(0, span, total).astype("timedelta64[D]")
    old = np.arange(total) >= persons
    # a mover's old registration ends the day their current one starts (a move within the
    # county when the place differs), and started up to two years before
    start_new = start[:persons][movers]
    start[old] = start_new - rng.integers(30, 730, n_old).astype("timedelta64[D]")
    end_date = np.full(total, np.datetime64("NaT"), dtype="datetime64[D]")
    end_date[old] = start_new
    leaving = (~old) & (rng.random(total) < 0.15)  # some left the county altogether
    end_date[leaving] = np.minimum(start[leaving] + rng.integers(20, 900, int(leaving.sum()))
                                   .astype("timedelta64[D]"), end)
    village = rng.choice(len(villages), total, p=weights)
    sex = rng.choice(2, persons)
    birth = rng.integers(1950, 2010, persons).astype(np.int32)
    origin = rng.choice(len(origins), persons)
    reasons = list(plan.CATEGORIES[Dim.REASON])
    reason = rng.choice(len(reasons), total, p=[0.55, 0.2, 0.12, 0.05, 0.05, 0.03])
    approved = rng.random(total) < 0.96
    status = np.where(~approved, 1, np.where(np.isnat(end_date), 0, 2))
    recorded = np.minimum(start + rng.integers(0, 40, total).astype("timedelta64[D]"), end)
    end_arrow = pa.array(end_date, type=pa.date32(), mask=np.isnat(end_date))
    registrations = pa.table([
        pa.array(pid), pa.array(np.arange(total, dtype=np.int64)),
        _text(villages, village).cast(pa.string()), _days(start), end_arrow,
        pa.array(approved), _text(["approved", "submitted", "ended"], status).cast(pa.string()),
        _text(reasons, reason).cast(pa.string()), _days(recorded),
        _text(["M", "F"], sex[pid]).cast(pa.string()), pa.array(birth[pid]),
        _text(origins, origin[pid]).cast(pa.string())], schema=REGISTRATION_SCHEMA)
    pq.write_table(registrations, folder / "registrations.parquet")
    log(f"registrations: {total:,} for {persons:,} persons")

    holders = np.flatnonzero(rng.random(persons) < 0.3)
    issued = end - rng.integers(0, 700, holders.size).astype("timedelta64[D]")
    pq.write_table(pa.table([pa.array(holders.astype(np.int64)), _days(issued),
                             _days(issued + np.timedelta64(365, "D")),
                             pa.array(np.ones(holders.size, dtype=bool))],
                            schema=PERMIT_SCHEMA), folder / "permits.parquet")

    active = np.flatnonzero(np.isnat(end_date) & approved)
    last = end - rng.integers(0, 60, active.size).astype("timedelta64[D]")
    pq.write_table(pa.table([pa.array(active.astype(np.int64)), _days(last),
                             pa.array(rng.integers(0, 31, active.size).astype(np.int64))],
                            schema=KEY_USE_SCHEMA), folder / "key_use.parquet")
    n_tasks = max(10, persons // 100)
    task_village = rng.choice(len(villages), n_tasks, p=weights)
    created = end - rng.integers(0, 300, n_tasks).astype("timedelta64[D]")
    resolved = created + rng.integers(1, 20, n_tasks).astype("timedelta64[D]")
    done = rng.random(n_tasks) < 0.8
    pq.write_table(pa.table([
        _text(["unregistered_occupant", "suspected_move_out"], rng.choice(2, n_tasks))
        .cast(pa.string()), _text(villages, task_village).cast(pa.string()), _days(created),
        pa.array(resolved.astype("datetime64[D]"), type=pa.date32(), mask=~done),
        _text(["open", "resolved"], done.astype(int)).cast(pa.string()),
        _text(["still_living", "moved_out", "registered"], rng.choice(3, n_tasks))
        .cast(pa.string()), pa.array(rng.choice(active, n_tasks).astype(np.int64)),
        pa.array(rng.integers(0, 3, n_tasks).astype(np.int64))], schema=TASK_SCHEMA),
        folder / "tasks.parquet")
    # the housing export's per-division presence (unused when the build reads raw events)
    pq.write_table(pa.table({"division": pa.array([], pa.string()),
                             "day": pa.array([], pa.date32()),
                             "rooms": pa.array([], pa.int64()),
                             "key_days": pa.array([], pa.int64())}), folder / "presence.parquet")

    # raw presence: one event per room and day someone was there, rooms in their villages
    rooms = max(1, persons // 2)
    room_village = rng.choice(len(villages), rooms, p=weights)
    schema = pa.schema([("division", pa.dictionary(pa.int32(), pa.string())),
                        ("day", pa.date32()), ("room", pa.int64())])
    first = end - np.timedelta64(PRESENCE_DAYS - 1, "D")
    with pq.ParquetWriter(folder / "presence_events.parquet", schema) as writer:
        for lo in range(0, events, CHUNK):
            n = min(CHUNK, events - lo)
            room = rng.integers(0, rooms, n)
            day = first + rng.integers(0, PRESENCE_DAYS, n).astype("timedelta64[D]")
            writer.write_table(pa.table([_text(villages, room_village[room]), _days(day),
                                         pa.array(room.astype(np.int64))], schema=schema))
            log(f"presence events: {lo + n:,}")
    arrivals = int((start >= end - np.timedelta64(3 * 365, "D")).sum())
    departures = int((~np.isnat(end_date)).sum())
    return Made(folder, persons, total, events, arrivals, departures)


def first_day(as_of: date) -> date:
    return as_of - timedelta(days=PRESENCE_DAYS - 1)
