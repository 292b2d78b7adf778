"""What a sealing round costs PostgreSQL while requests keep appending (issue 12's queue).

    PYTHONPATH=src .venv/bin/python benchmarks/registry/seal_rounds.py --entries 200000
    PYTHONPATH=src .venv/bin/python benchmarks/registry/seal_rounds.py --bulk 1000000

Starts a throwaway PostgreSQL (tests/support/pgserver.py, fsync off as in the test suite).
Writer threads append `--entries` entries with `audit.append` in units of work of `--per-uow`
entries (as requests do, no lock) while a sealer thread runs `sealer.seal_round` every
`--interval-ms`, on connections of its own (application_name `sealer`), whose backends' CPU
time (from /proc) is PostgreSQL's cost of each round. `--bulk N` then appends N entries with
`audit.append_bulk` (one COPY) and times `sealer.seal_all`. `--hold-snapshot` keeps a
transaction open meanwhile (a long report, a backup), so vacuum can remove no dead row. Only uses functions that exist
before and after the queue, so the same script measures both designs. Prints JSON.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))  # tests.support.pgserver
os.environ.setdefault("ANJU_ENVIRONMENT", "test")
os.environ.setdefault("ANJU_SECRET_KEY", "benchmark-secret-key-0123456789abcdef")

from anju.core import audit, migrate, sealer  # noqa: E402 - after the path and environment above
from anju.core.audit import AuditEvent  # noqa: E402 - after the path and environment above
from anju.core.db import Database  # noqa: E402 - after the path and environment above
from anju.core.policy import Actor, Role  # noqa: E402 - after the path and environment above
from anju.registry.policy import (  # noqa: E402 - after the path and environment above
    PERSON_IMPORT,
    PERSON_READ,
    REGISTRATION_MANAGEMENT,
    REGISTRY_IMPORT,
)

TICK = os.sysconf("SC_CLK_TCK")
POLICE = Actor(account_id=7, username="police-7", role=Role.POLICE, division_code="330522000000")


def backend_cpu(pids: list[int]) -> float:
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / TICK
    return total


def sealer_pids(monitor: Database) -> list[int]:
    from sqlalchemy import text

    with monitor.engine.connect() as c:
        return list(c.execute(text("SELECT pid FROM pg_stat_activity "
                                   "WHERE application_name = 'sealer'")).scalars())


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))] if ordered else 0.0


def steady(url: str, args) -> dict:
    writers, sealing = Database(url, pool_size=4), Database(url + "?application_name=sealer",
                                                            pool_size=1)
    monitor = Database(url, pool_size=2)
    stop, rounds, first = threading.Event(), [], []
    per_writer = args.entries // args.writers

    def write(w: int) -> None:
        for start in range(0, per_writer, args.per_uow):
            with writers.unit_of_work() as s:
                audit.append(s, POLICE, [
                    AuditEvent(PERSON_READ, REGISTRATION_MANAGEMENT, f"P{w:02d}{i:09d}", "person",
                               str(i)) for i in range(start, start + args.per_uow)])

    def seal() -> None:
        first.append(sealer.seal_round(sealing))  # opens the sealer's connections
        pids = sealer_pids(monitor)
        while not stop.is_set():
            t, c = time.perf_counter(), backend_cpu(pids)
            n = sealer.seal_round(sealing)
            rounds.append((n, (time.perf_counter() - t) * 1000, (backend_cpu(pids) - c) * 1000))
            stop.wait(args.interval_ms / 1000)

    held = None
    if args.hold_snapshot:  # a long report or pg_dump: vacuum cannot remove what it may see
        held = monitor.engine.connect()
        held.exec_driver_sql("BEGIN ISOLATION LEVEL REPEATABLE READ")
        held.exec_driver_sql("SELECT count(*) FROM audit_heads").scalar()
    sealer_thread = threading.Thread(target=seal)
    sealer_thread.start()
    t = time.perf_counter()
    threads = [threading.Thread(target=write, args=(w,)) for w in range(args.writers)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    wall = time.perf_counter() - t
    time.sleep(2 * args.interval_ms / 1000)
    stop.set()
    sealer_thread.join()
    if held is not None:
        held.exec_driver_sql("ROLLBACK")
        held.close()
    left = sealer.seal_all(sealing)
    for db in (writers, sealing, monitor):
        db.dispose()
    busy = [r for r in rounds if r[0]]
    cpu = [r[2] for r in rounds]
    return {
        "entries": per_writer * args.writers, "append_wall_s": round(wall, 1),
        "rounds": len(rounds), "rounds_that_sealed": len(busy),
        "sealed_in_rounds": sum(r[0] for r in rounds) + sum(first), "sealed_after": left,
        "pg_cpu_ms_per_round": {"mean": round(statistics.fmean(cpu), 2) if cpu else 0,
                                "p50": round(pct(cpu, 0.5), 2), "p95": round(pct(cpu, 0.95), 2),
                                "max": round(max(cpu, default=0), 2)},
        "pg_cpu_s_total": round(sum(cpu) / 1000, 2),
        "pg_cpu_us_per_entry": round(sum(cpu) * 1000 / max(1, sum(r[0] for r in rounds)), 1),
        "wall_ms_per_round": {"mean": round(statistics.fmean(r[1] for r in rounds), 2),
                              "p95": round(pct([r[1] for r in rounds], 0.95), 2)},
    }


def bulk(url: str, n: int) -> dict:
    db = Database(url)
    events = (AuditEvent(PERSON_IMPORT, REGISTRY_IMPORT, f"P{i:011d}", "person", f"P{i:011d}")
              for i in range(n))
    t = time.perf_counter()
    with db.unit_of_work() as s:
        audit.append_bulk(s, POLICE, events)
    appended = time.perf_counter() - t
    t = time.perf_counter()
    sealed = sealer.seal_all(db)
    took = time.perf_counter() - t
    db.dispose()
    assert sealed == n, sealed
    return {"bulk_entries": n, "append_bulk_s": round(appended, 2), "seal_all_s": round(took, 2),
            "sealed_per_s": round(n / took)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entries", type=int, default=200_000)
    parser.add_argument("--writers", type=int, default=2)
    parser.add_argument("--per-uow", type=int, default=10)
    parser.add_argument("--interval-ms", type=int, default=250)
    parser.add_argument("--bulk", type=int, default=0)
    parser.add_argument("--hold-snapshot", action="store_true",
                        help="keep a REPEATABLE READ transaction open during the appends")
    args = parser.parse_args()
    from tests.support.pgserver import PgServer

    server = PgServer(settings={"shared_buffers": "1GB", "max_wal_size": "8GB"}).start()
    out: dict = {"load_average_before": os.getloadavg()}
    try:
        server.create_database("seal")
        url = server.url("seal")
        migrate.upgrade(url)
        if args.entries:
            out["steady"] = steady(url, args)
        if args.bulk:
            out["bulk"] = bulk(url, args.bulk)
        out["load_average_after"] = os.getloadavg()
        print(json.dumps(out, indent=2))
    finally:
        server.stop()


if __name__ == "__main__":
    main()
