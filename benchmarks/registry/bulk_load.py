"""How fast the registry's bulk use cases load PostgreSQL: N synthetic migrants with houses and
residence registrations, through anju.registry.bulk (validation, SM4/HMAC, audit entries, COPY),
then the sealer chaining the load's audit entries (timed: it is part of the load).

    .venv/bin/python benchmarks/registry/bulk_load.py --persons 200000
    .venv/bin/python benchmarks/registry/bulk_load.py --persons 1000000 --url postgresql+psycopg://…

Without --url it starts a throwaway server (tests/support/pgserver.py; fsync off as in the test
suite, WAL sized for a bulk load). Making the synthetic people is not timed; the load is:
landlords and houses in one unit of work, then the migrants and their registrations in units of
--batch persons. Reports wall seconds, persons/s, and CPU seconds of this process (with its worker
pool) and of the PostgreSQL server per stage, because on a shared machine wall time depends on
the neighbours; writes benchmarks/results/bulk_load.json.
"""
from __future__ import annotations

import argparse
import functools
import json
import os
import platform
import sys
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))  # tests.support.pgserver
os.environ.setdefault("ANJU_ENVIRONMENT", "test")
os.environ.setdefault("ANJU_SECRET_KEY", "benchmark-secret-key-0123456789abcdef")

from anju.core import clock, divisions, migrate, sealer  # noqa: E402 - after the path and environment above
from anju.core.db import Database  # noqa: E402 - after the path and environment above
from anju.core.identity import SYSTEM  # noqa: E402 - after the path and environment above
from anju.demo import synth  # noqa: E402 - after the path and environment above
from anju.registry import bulk  # noqa: E402 - after the path and environment above
from anju.registry.bulk import BulkHouse, BulkPerson, BulkRegistration  # noqa: E402 - after the path and environment above

PG_SETTINGS = {"shared_buffers": "2GB", "max_wal_size": "8GB", "checkpoint_timeout": "30min",
               "wal_buffers": "64MB", "maintenance_work_mem": "256MB"}
STATES = (("approved", 80), ("submitted", 10), ("ended", 5), ("rejected", 5))


def _ticks(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def server_cpu(postmaster: int | None) -> float:
    """CPU seconds of our PostgreSQL server: the postmaster and its children (exited backends'
    time is lost, so keep one connection for the whole run)."""
    if postmaster is None:
        return 0.0
    total = _ticks(postmaster)
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == postmaster:
                total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, ValueError, IndexError):
            continue
    return total


def client_cpu() -> float:
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


class Stages:
    def __init__(self, postmaster: int | None) -> None:
        self.postmaster, self.rows = postmaster, {}

    def run(self, name: str, rows: int, fn):
        wall, cpu, server = time.perf_counter(), client_cpu(), server_cpu(self.postmaster)
        result = fn()
        stage = self.rows.setdefault(name, {"rows": 0, "seconds": 0.0, "client_cpu": 0.0,
                                            "server_cpu": 0.0})
        stage["rows"] += rows
        stage["seconds"] += time.perf_counter() - wall
        stage["client_cpu"] += client_cpu() - cpu
        stage["server_cpu"] += server_cpu(self.postmaster) - server
        return result


def make_data(n: int, seed: int, today: date):
    """Migrants from synth, local landlords, 4-room houses in real villages (1 house per 8)."""
    import random

    rng, people = random.Random(seed), synth.People(seed)
    places = synth.host_places()[0]
    migrants = [people.migrant() for _ in range(n)]
    houses, landlords = [], []
    for h in range(max(1, n // 8)):
        place = places(rng)
        landlords.append(people.local(place))
        houses.append((place, f"长兴县{divisions.full_name(place).split('长兴县')[-1]}{h + 1}号"))
    states = synth.Weighted([s for s, _ in STATES], [w for _, w in STATES])
    plans = []
    for i in range(n):
        state = states(rng)
        start = today - timedelta(days=rng.randint(1 if state == "submitted" else 30, 900))
        end = start + timedelta(days=rng.randint(0, 29)) if state == "ended" else None
        plans.append((i % len(houses), rng.randrange(4), start, state, end))
    return migrants, landlords, houses, plans


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--persons", type=int, default=200_000)
    parser.add_argument("--batch", type=int, default=100_000, help="persons per unit of work")
    parser.add_argument("--workers", type=int, default=0, help="bulk.load_persons pool size")
    parser.add_argument("--url", help="an existing, empty PostgreSQL (SQLAlchemy URL)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", default=str(ROOT / "benchmarks/results/bulk_load.json"))
    args = parser.parse_args()

    today = clock.today()
    t = time.perf_counter()
    migrants, landlords, houses, plans = make_data(args.persons, args.seed, today)
    made = time.perf_counter() - t
    print(f"made {len(migrants):,} migrants, {len(landlords):,} landlords in {made:.1f} s",
          flush=True)

    server = None
    if args.url:
        url = args.url
    else:
        from tests.support.pgserver import PgServer

        server = PgServer(settings=PG_SETTINGS).start()
        url = server.create_database("bench")
    try:
        migrate.upgrade(url)
        postmaster = int((server.data / "postmaster.pid").read_text().split()[0]) if server else None
        report = run(url, args, migrants, landlords, houses, plans, postmaster)
    finally:
        if server:
            server.stop()
    report.update(generation_seconds=round(made, 1))
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    print(json.dumps(report, indent=2, ensure_ascii=False))


def run(url, args, migrants, landlords, houses, plans, postmaster) -> dict:
    db = Database(url, pool_size=1)  # one connection: its backend's CPU stays countable
    stages = Stages(postmaster)
    load_before = os.getloadavg()
    started = time.perf_counter()
    with db.unit_of_work() as s:
        landlord_codes = stages.run("landlords", len(landlords), lambda: bulk.load_persons(
            s, SYSTEM, [BulkPerson(p.name, p.id_number, p.phone, p.hukou_address, p.hukou_code)
                        for p in landlords], workers=args.workers))
        rooms = stages.run("houses", len(houses), lambda: bulk.load_houses(s, SYSTEM, [
            BulkHouse(address, place, code, (("101", 2), ("102", 2), ("201", 2), ("202", 2)))
            for (place, address), code in zip(houses, landlord_codes)]))
    for first in range(0, len(migrants), args.batch):
        part = range(first, min(first + args.batch, len(migrants)))
        people = [BulkPerson(migrants[i].name, migrants[i].id_number, migrants[i].phone,
                             migrants[i].hukou_address, houses[plans[i][0]][0]) for i in part]
        with db.unit_of_work() as s:
            codes = stages.run("persons", len(part), functools.partial(
                bulk.load_persons, s, SYSTEM, people, workers=args.workers))
            regs = [BulkRegistration(code, rooms[plans[i][0]][plans[i][1]], plans[i][2], "work",
                                     plans[i][3], plans[i][4],
                                     "房屋信息与实际不符" if plans[i][3] == "rejected" else None)
                    for i, code in zip(part, codes)]
            stages.run("registrations", len(part),
                       functools.partial(bulk.load_registrations, s, SYSTEM, regs))
        print(f"  {part.stop:,} persons loaded, {time.perf_counter() - started:.1f} s", flush=True)
    # The load's audit entries went in unsealed (one COPY); the sealer chains them as one batch
    # per partition — part of the load's cost, so inside the timed total.
    sealed = stages.run("seal", 0, lambda: sealer.seal_all(db))
    print(f"  {sealed:,} audit entries sealed, {time.perf_counter() - started:.1f} s", flush=True)
    total = time.perf_counter() - started
    with db.unit_of_work() as s:
        counts = bulk.table_counts(s)
        version = s.connection().exec_driver_sql("SHOW server_version").scalar()
    db.dispose()
    cpu = sum(v["client_cpu"] + v["server_cpu"] for v in stages.rows.values())
    return {
        "benchmark": "registry bulk load (anju.registry.bulk) into PostgreSQL",
        "persons": len(migrants), "seconds": round(total, 2),
        "persons_per_second": round(len(migrants) / total),
        "load_persons_per_second": round(stages.rows["persons"]["rows"]
                                         / stages.rows["persons"]["seconds"]),
        "audit_entries_sealed": sealed,
        "cpu_seconds_total": round(cpu, 1),
        "cpu_microseconds_per_person": round(cpu / len(migrants) * 1e6),
        "stages": {k: {**{m: round(x, 2) for m, x in v.items() if m != "rows"}, "rows": v["rows"]}
                   for k, v in stages.rows.items()},
        "counts": counts, "workers": args.workers, "batch": args.batch,
        "cores": os.cpu_count(), "loadavg_before": load_before, "loadavg_after": os.getloadavg(),
        "postgresql": version, "python": platform.python_version(),
        "server_settings": "PgServer defaults (fsync=off, synchronous_commit=off) + "
                           + ", ".join(f"{k}={v}" for k, v in PG_SETTINGS.items()),
        "date": date.today().isoformat(),
    }


if __name__ == "__main__":
    main()
