"""Benchmarks of issue 11 (not timed tests): the school allocation of 50,000 applicants over 200
schools (target ≤ 10 s), the eligibility rules of 8 services over 1,000,000 persons compiled to
SQL (target ≤ 60 s), and explaining one person's points (target ≤ 50 ms).

    .venv/bin/python benchmarks/cases/bench_points.py [--persons 1000000]
        [--url postgresql+psycopg://… | --postgres] [--output points.json]

Without --url or --postgres the eligibility part runs on a SQLite file. The 1,000,000-row facts snapshot is
written straight into its table (not timed); what is timed is the nightly run's evaluation:
each rule's eligible count, who already applied and who is still to be told, as SQL. Building
the snapshot from the registry and the hub is timed separately on the demo county. Writes
benchmarks/results/points.json.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("ANJU_ENVIRONMENT", "test")
os.environ.setdefault("ANJU_SECRET_KEY", "benchmark-secret-key-0123456789abcdef")

from sqlalchemy import insert, select  # noqa: E402 - after the path and environment above

from anju.cases import eligibility  # noqa: E402 - after the path and environment above
from anju.cases.models import EligibilityFacts  # noqa: E402 - after the path and environment above
from anju.cases.points import service as points  # noqa: E402 - after the path and environment above
from anju.cases.points.facts import FACTS  # noqa: E402 - after the path and environment above
from anju.cases.schools.allocate import Applicant, School, allocate  # noqa: E402 - after the path and environment above
from anju.core import clock, migrate  # noqa: E402 - after the path and environment above
from anju.core.db import Database  # noqa: E402 - after the path and environment above
from anju.core.identity import SYSTEM, job_actor  # noqa: E402 - after the path and environment above

TODAY = date(2026, 9, 1)


def bench_allocation(n_applicants: int, n_schools: int) -> dict:
    r = random.Random(11)
    divisions = [f"330522{i:06d}" for i in range(n_schools * 5)]
    # about 95 seats for 100 children, unevenly spread: both rounds work and a few are unplaced
    average = n_applicants * 0.95 / n_schools
    schools = [School(f"S{i:03d}", f"学校{i}", tuple(divisions[i * 5:(i + 1) * 5]),
                      r.randint(int(average * 0.5), int(average * 1.5)),
                      30.8 + r.random() * 0.4, 119.7 + r.random() * 0.4)
               for i in range(n_schools)]
    applicants = [Applicant(f"A{i}", r.choice(divisions), 30.8 + r.random() * 0.4,
                            119.7 + r.random() * 0.4, r.randint(0, 200),
                            date(2015, 1, 1) + timedelta(days=r.randint(0, 3000)))
                  for i in range(n_applicants)]
    start = time.perf_counter()
    placed = allocate(schools, applicants, 20260601)
    seconds = time.perf_counter() - start
    rounds = {k: sum(p.round == k for p in placed) for k in ("catchment", "nearest", "unplaced")}
    return {"applicants": n_applicants, "schools": n_schools,
            "seats": sum(s.capacity for s in schools), "seconds": round(seconds, 2),
            "target_seconds": 10, **rounds}


def _facts_rows(r: random.Random, start: int, n: int) -> list[dict]:
    rows = []
    for i in range(start, start + n):
        row = {"person_code": f"P{i:011d}", "division_code": f"3305220010{i % 20:02d}",
               "built_on": TODAY, "age": r.randint(0, 80), "residence_years": r.randint(0, 10),
               "residence_months": r.randint(0, 120), "has_permit": r.random() < 0.4,
               "permit_days_left": r.randint(0, 365), "employed": r.random() < 0.6,
               "insured": r.random() < 0.5, "assistance": r.random() < 0.05,
               "wage_arrears": r.random() < 0.02, "insurance_years": r.randint(0, 15),
               "education": r.choice(["none", "college", "bachelor"]),
               "skill_certificate": "none", "volunteer_hours": r.randint(0, 300),
               "administrative_penalties": 0, "falsified_documents": False}
        assert set(row) - {"person_code", "division_code", "built_on"} == set(FACTS)
        rows.append(row)
    return rows


def bench_eligibility(db: Database, persons: int) -> dict:
    r = random.Random(5)
    start = time.perf_counter()
    for i in range(0, persons, 50_000):
        with db.unit_of_work() as s:
            s.execute(insert(EligibilityFacts), _facts_rows(r, i, min(50_000, persons - i)))
    loaded = time.perf_counter() - start
    start = time.perf_counter()
    with db.unit_of_work() as s:
        counts = eligibility.evaluate(s, job_actor("cases.eligibility"), TODAY, dry_run=True,
                                      rebuild=False)
        s.rollback()
    seconds = time.perf_counter() - start
    return {"persons": persons, "services": len(counts), "seconds": round(seconds, 2),
            "target_seconds": 60, "snapshot_load_seconds_untimed": round(loaded, 1),
            "eligible": {k: v["eligible"] for k, v in counts.items()}}


def bench_explain(db: Database, demo_persons: int, runs: int = 200) -> dict:
    from anju.demo import build
    from anju.registry.models import Person

    build.ensure_demo(db, persons=demo_persons, progress=lambda _m: None)
    with db.unit_of_work() as s:
        codes = list(s.execute(select(Person.person_code).limit(50)).scalars())
    with db.unit_of_work() as s:
        start = time.perf_counter()
        eligibility.build_snapshot(s, TODAY)
        snapshot = time.perf_counter() - start
        persons = s.query(EligibilityFacts).count()
    timings = []
    for i in range(runs):
        code = codes[i % len(codes)]
        with db.unit_of_work() as s:
            start = time.perf_counter()
            points.points_of(s, SYSTEM, code, TODAY - timedelta(days=i % 3))
            timings.append((time.perf_counter() - start) * 1000)
    timings.sort()
    return {"explain_one_person_ms_p50": round(statistics.median(timings), 1),
            "explain_one_person_ms_p95": round(timings[int(len(timings) * 0.95) - 1], 1),
            "target_ms": 50, "runs": runs,
            "snapshot_from_registry_and_hub": {"persons": persons,
                                               "seconds": round(snapshot, 2)}}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--applicants", type=int, default=50_000)
    parser.add_argument("--schools", type=int, default=200)
    parser.add_argument("--url", default=None)
    parser.add_argument("--postgres", action="store_true",
                        help="run the eligibility part on a throwaway PostgreSQL server "
                             "(tests/support/pgserver.py, fsync off)")
    parser.add_argument("--output", default="points.json")
    parser.add_argument("--demo-persons", type=int, default=300)
    parser.add_argument("--only-explain", action="store_true")
    args = parser.parse_args()
    server = None
    if args.postgres and not args.url:
        from tests.support.pgserver import PgServer

        server = PgServer().start()
        args.url = server.create_database("bench_points")
    clock.pin_today(TODAY)
    folder = Path(tempfile.mkdtemp(prefix="bench-points-"))
    os.environ.setdefault("ANJU_DATA_DIR", str(folder))
    out = {"machine": {"cpus": os.cpu_count(), "python": platform.python_version()}}
    if not args.only_explain:
        out["allocation"] = bench_allocation(args.applicants, args.schools)
        print(json.dumps(out["allocation"]), flush=True)
        url = args.url or f"sqlite:///{folder / 'eligibility.sqlite3'}"
        migrate.upgrade(url)
        db = Database(url)
        out["eligibility"] = {"backend": db.engine.dialect.name,
                              **bench_eligibility(db, args.persons)}
        print(json.dumps(out["eligibility"]), flush=True)
        db.dispose()
    url = f"sqlite:///{folder / 'demo.sqlite3'}"
    migrate.upgrade(url)
    db = Database(url)
    out["points"] = bench_explain(db, args.demo_persons)
    print(json.dumps(out["points"]), flush=True)
    db.dispose()
    if server is not None:
        server.stop()
    target = ROOT / "benchmarks" / "results" / args.output
    target.write_text(json.dumps(out, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
