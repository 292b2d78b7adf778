"""How fast the audit sealer chains a bulk load's entries, and what appending costs a request.

    .venv/bin/python benchmarks/registry/seal.py --entries 1000000
    .venv/bin/python benchmarks/registry/seal.py --entries 100000          # quick

Starts a throwaway PostgreSQL (tests/support/pgserver.py, fsync off as in the test suite) unless
--url names an empty one. Steps: (1) `audit.append_bulk` writes N unsealed entries with one COPY
into the queue `audit_pending` (as a bulk load does; timed); (2) `sealer.seal_all` seals them —
per partition, batches of ANJU_AUDIT_SEAL_BATCH claimed with one DELETE … RETURNING and COPied
into `audit_entries` with their ids — and records a root (timed,
with this process's CPU and the server's); (3) `verify_chain` checks the result; (4) --requests
single-entry units of work (`audit.append` + commit, as a request's audit costs now: no lock),
reporting the mean wall time per unit of work and the CPU time of `append` itself. Writes
benchmarks/results/seal.json.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))  # tests.support.pgserver
os.environ.setdefault("ANJU_ENVIRONMENT", "test")
os.environ.setdefault("ANJU_SECRET_KEY", "benchmark-secret-key-0123456789abcdef")

from anju.core import audit, migrate, sealer  # noqa: E402 - after the path and environment above
from anju.core.audit import AuditEvent  # noqa: E402 - after the path and environment above
from anju.core.db import Database  # noqa: E402 - after the path and environment above
from anju.core.identity import SYSTEM  # noqa: E402 - after the path and environment above
from anju.core.policy import Actor, Role  # noqa: E402 - after the path and environment above
from anju.registry.policy import (  # noqa: E402 - after the path and environment above
    PERSON_IMPORT,
    PERSON_READ,
    REGISTRATION_MANAGEMENT,
    REGISTRY_IMPORT,
)


def cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def server_cpu(pid: int | None) -> float:
    """CPU seconds of the PostgreSQL server: the postmaster's process group (its backends)."""
    if pid is None:
        return 0.0
    total, tick = 0.0, os.sysconf("SC_CLK_TCK")
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid or int(entry.name) == pid:  # parent is the postmaster
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--url", help="an existing, empty PostgreSQL (SQLAlchemy URL)")
    args = parser.parse_args()
    server = postmaster = None
    url = args.url
    if not url:
        from tests.support.pgserver import PgServer

        server = PgServer(settings={"shared_buffers": "1GB", "max_wal_size": "8GB"}).start()
        server.create_database("seal")
        url = server.url("seal")
        postmaster = int((server.data / "postmaster.pid").read_text().split()[0]) \
            if hasattr(server, "data") else None
    migrate.upgrade(url)
    db = Database(url)
    out: dict = {"entries": args.entries, "load_average": os.getloadavg()}
    try:
        events = (AuditEvent(PERSON_IMPORT, REGISTRY_IMPORT, f"P{i:011d}", "person", f"P{i:011d}")
                  for i in range(args.entries))
        t, c = time.perf_counter(), cpu()
        with db.unit_of_work() as s:
            audit.append_bulk(s, SYSTEM, events)
        out["append_bulk_s"] = round(time.perf_counter() - t, 2)
        out["append_bulk_cpu_s"] = round(cpu() - c, 2)
        print(f"append_bulk: {args.entries:,} unsealed entries in {out['append_bulk_s']} s", flush=True)
        t, c, sc = time.perf_counter(), cpu(), server_cpu(postmaster)
        sealed = sealer.seal_all(db)
        out["seal_s"] = round(time.perf_counter() - t, 2)
        out["seal_cpu_s"] = round(cpu() - c, 2)
        out["seal_server_cpu_s"] = round(server_cpu(postmaster) - sc, 2)
        out["sealed_per_s"] = round(sealed / out["seal_s"])
        assert sealed == args.entries, sealed
        print(f"seal_all: {sealed:,} entries in {out['seal_s']} s ({out['sealed_per_s']:,}/s; "
              f"CPU here {out['seal_cpu_s']} s, PostgreSQL {out['seal_server_cpu_s']} s)", flush=True)
        t = time.perf_counter()
        with db.reading() as s:
            result = audit.verify_chain(s)
        out["verify_s"] = round(time.perf_counter() - t, 2)
        assert result.ok and result.checked == args.entries, result.message()
        print(f"verify: {result.text('en')} in {out['verify_s']} s", flush=True)

        police = Actor(account_id=7, username="police-7", role=Role.POLICE,
                       division_code="330522000000")
        append_cpu, t = 0.0, time.perf_counter()
        for i in range(args.requests):
            with db.unit_of_work() as s:
                c = time.thread_time()
                audit.append(s, police, [AuditEvent(PERSON_READ, REGISTRATION_MANAGEMENT,
                                                     f"P{i:011d}", "person", f"P{i:011d}")])
                append_cpu += time.thread_time() - c
        wall = time.perf_counter() - t
        out["request_uow_ms"] = round(wall / args.requests * 1000, 3)
        out["append_cpu_us"] = round(append_cpu / args.requests * 1e6, 1)
        print(f"append per request: {out['append_cpu_us']} µs CPU in append(); a unit of work with "
              f"one entry (insert + commit, no lock) {out['request_uow_ms']} ms", flush=True)
        t = time.perf_counter()
        sealed = sealer.seal_all(db)
        out["seal_requests_s"] = round(time.perf_counter() - t, 3)
        print(f"sealing those {sealed:,} request entries: {out['seal_requests_s']} s", flush=True)
        out["load_average_after"] = os.getloadavg()
        path = ROOT / "benchmarks" / "results" / "seal.json"
        path.write_text(json.dumps(out, indent=2) + "\n")
        print(f"wrote {path}")
    finally:
        db.dispose()
        if server is not None:
            server.stop()


if __name__ == "__main__":
    main()
