"""Cases benchmark (issue 9): 100,000 open cases across 10 handlers (the nine departments the
policy knows plus a legal-aid provider); the officer queue API's latency and the nightly warning
and escalation sweep. Writes benchmarks/results/cases.json. Not a timed test.

    .venv/bin/python benchmarks/cases/run.py                 # 100,000 cases
    .venv/bin/python benchmarks/cases/run.py --cases 20000   # quick

Embedded default (SQLite) in benchmarks/work/cases/. Setup rows (persons, cases) are inserted
directly — the benchmark measures the queue and the sweep, not opening. The queue is asked
through the real app (bearer token, the access layer, one audit entry per applicant shown) for
the first page, filtered pages (yellow, red, one service) and deeper pages; the sweep is the
`cases.daily` job's function under its own system actor: once over a backlog nobody swept
(every overdue case escalated in one night), then as a steady night (only the cases that became
overdue or due soon since yesterday).
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import statistics
import sys
import time
from datetime import date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
WORK = ROOT / "benchmarks" / "work" / "cases"
RESULTS = ROOT / "benchmarks" / "results" / "cases.json"
SECRET = "benchmark-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz"
os.environ.update(ANJU_ENVIRONMENT="development", ANJU_SECRET_KEY=SECRET,
                  ANJU_DATA_DIR=str(WORK / "data"),
                  ANJU_DATABASE_URL=f"sqlite:///{WORK / 'anju.sqlite3'}")
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert, update  # noqa: E402

from anju.cases import catalogue  # noqa: E402
from anju.cases.models import Case, CaseApproval  # noqa: E402
from anju.cases.service import deadlines  # noqa: E402
from anju.cases.service.sweep import sweep  # noqa: E402
from anju.core import calendars, clock, identity, migrate  # noqa: E402
from anju.core.config import get_settings  # noqa: E402
from anju.core.db import Database  # noqa: E402
from anju.core.identity import job_actor  # noqa: E402
from anju.registry.models import Person  # noqa: E402

TODAY = date(2026, 11, 20)
TOWNSHIPS = [f"330522{n:03d}000" for n in (1, 2, 3, 4, 5, 6, 7, 8)]
HANDLERS = ["gongan", "renshe", "shichang", "yibao", "weijian", "jiaoyu", "minzheng", "zhujian",
            "sifa", "provider:legal_1"]


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def setup(db: Database, total: int, rng: random.Random) -> None:
    services = list(catalogue.load().values())
    calendar = calendars.assemble([], TODAY)
    persons = max(1000, total // 5)
    with db.unit_of_work() as s:
        for lo in range(0, persons, 5000):
            s.execute(insert(Person), [{
                "person_code": f"P{i:011d}", "name": "申请人", "id_cipher": "-",
                "id_hash": f"{i:064d}", "sex": "F", "birth_date": date(1990, 1, 1),
                "division_code": TOWNSHIPS[i % len(TOWNSHIPS)],
                "base_division_code": TOWNSHIPS[i % len(TOWNSHIPS)]}
                for i in range(lo, min(persons, lo + 5000))])
    statuses = ["submitted", "accepted", "in_progress", "in_progress", "supplement"]
    for lo in range(0, total, 5000):
        rows = []
        for i in range(lo, min(total, lo + 5000)):
            person = rng.randrange(persons)
            handler = HANDLERS[i % len(HANDLERS)]
            service = services[i % len(services)]
            status = rng.choice(statuses)
            row = {"service_code": service.code, "person_code": f"P{person:011d}",
                   "division_code": TOWNSHIPS[person % len(TOWNSHIPS)],
                   "department": "sifa" if handler.startswith("provider") else handler,
                   "provider_code": handler if handler.startswith("provider") else None,
                   "status": status, "channel": "online", "opened_by": "bench",
                   "form": {}, "paused_working_days": 0, "due_provisional": False,
                   "submitted_at": datetime(2026, 9, 1)}
            if status != "submitted":
                # accepted 0–60 working days ago: some on track, some due soon, many overdue
                accepted = calendar.add(TODAY, -rng.randint(0, 60)).value
                due, provisional = deadlines.due(calendar, accepted,
                                                 service.time_limit_working_days, 0)
                row.update(accepted_on=accepted, due_date=due, due_provisional=provisional,
                           paused_since=TODAY if status == "supplement" else None)
            rows.append(row)
        with db.unit_of_work() as s:
            s.execute(insert(Case), rows)
            # accepted cases carry one approval per department of their step (并联审批)
            # accepted cases carry their department's approval, and a third of them a second
            # department's approving in parallel (并联审批)
            approvals = []
            for n, row in enumerate(rows):
                if not row.get("accepted_on"):
                    continue
                approvals.append({"case_id": lo + n + 1, "step": "review",
                                  "department": row["department"], "status": "pending"})
                if (lo + n) % 3 == 0:
                    other = HANDLERS[(HANDLERS.index(row["department"]) + 1) % 9]
                    approvals.append({"case_id": lo + n + 1, "step": "review",
                                      "department": other, "status": "pending"})
            s.execute(insert(CaseApproval), approvals)
    log(f"setup: {persons:,} persons, {total:,} open cases")


def percentile(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def time_queue(db: Database, requests: int) -> dict:
    from fastapi.testclient import TestClient

    from anju.web.app import create_app

    with db.unit_of_work() as s:
        identity.create_account(s, username="bench-renshe", password="bench-password-123",
                                role="dept_officer", division="330522", department="renshe")
    asks = ["/api/v1/cases/queue?limit=50", "/api/v1/cases/queue?warning=red&limit=50",
            "/api/v1/cases/queue?warning=yellow&limit=50",
            "/api/v1/cases/queue?service_code=wage_arrears&limit=50",
            "/api/v1/cases/queue?offset=2000&limit=50"]
    samples: dict[str, list[float]] = {a: [] for a in asks}
    cpu: list[float] = []  # the process's CPU time per request: the part other load cannot add
    with TestClient(create_app(db=db)) as client:
        token = client.post("/api/v1/auth/token", data={
            "username": "bench-renshe", "password": "bench-password-123"}).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        total = None
        for i in range(requests + len(asks)):
            ask = asks[i % len(asks)]
            started, cpu_started = time.perf_counter(), time.process_time()
            answer = client.get(ask, headers=headers)
            elapsed = (time.perf_counter() - started) * 1000
            cpu_ms = (time.process_time() - cpu_started) * 1000
            assert answer.status_code == 200, answer.text
            if ask == asks[0]:
                total = int(answer.headers["X-Total-Count"])
            if i >= len(asks):  # the first round warms the caches
                samples[ask].append(elapsed)
                cpu.append(cpu_ms)
    every = [x for xs in samples.values() for x in xs]
    return {"requests": len(every), "renshe_open_cases": total,
            "p50_ms": round(statistics.median(every), 1), "p95_ms": round(percentile(every, 95), 1),
            "max_ms": round(max(every), 1), "cpu_p50_ms": round(statistics.median(cpu), 1),
            "cpu_p95_ms": round(percentile(cpu, 95), 1),
            "p95_ms_by_request": {a: round(percentile(xs, 95), 1) for a, xs in samples.items()}}


def time_sweeps(db: Database) -> dict:
    job = job_actor("cases.daily")
    out = {}
    started = time.perf_counter()
    with db.unit_of_work() as s:
        backlog = sweep(s, job, TODAY)
    out["backlog_sweep_s"] = round(time.perf_counter() - started, 2)
    out["backlog"] = backlog.model_dump()
    log(f"backlog sweep: {out['backlog_sweep_s']} s {backlog}")
    # the next night: only cases newly overdue or newly due soon
    calendar = calendars.assemble([], TODAY)
    tomorrow = calendar.add(TODAY, 1).value
    clock.pin_today(tomorrow)
    started = time.perf_counter()
    with db.unit_of_work() as s:
        nightly = sweep(s, job, tomorrow)
    out["nightly_sweep_s"] = round(time.perf_counter() - started, 2)
    out["nightly"] = nightly.model_dump()
    log(f"nightly sweep: {out['nightly_sweep_s']} s {nightly}")
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    shutil.rmtree(WORK, ignore_errors=True)
    (WORK / "data").mkdir(parents=True)
    migrate.upgrade(get_settings().resolved_database_url)
    db = Database(get_settings().resolved_database_url)
    clock.pin_today(TODAY)
    setup(db, args.cases, random.Random(2026))
    queue = time_queue(db, args.requests)
    log(f"queue: p95 {queue['p95_ms']} ms over {queue['requests']} requests")
    sweeps = time_sweeps(db)
    with db.unit_of_work() as s:  # nothing stays pinned for a later run in this process
        s.execute(update(Case).where(Case.id < 0).values(status="x"))
    result = {"benchmark": "cases", "date": datetime.now().isoformat(timespec="seconds"),
              "machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                          "platform": platform.platform()},
              "load_average_at_end": os.getloadavg(),
              "database": "sqlite (embedded default)", "open_cases": args.cases,
              "handlers": len(HANDLERS), "queue_api": queue, **sweeps,
              "targets": {"queue_p95_ms": 100, "nightly_sweep_s": 10}}
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n")
    log(f"written {RESULTS}")


if __name__ == "__main__":
    main()
