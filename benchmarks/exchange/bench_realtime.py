"""Real-time matching of single records against ~1M indexed records.

    python benchmarks/exchange/bench_realtime.py [--records 1000000] [--queries 2000]

Needs the files `bench_link.py` leaves in the work dir (records, truth, trained model). Holds
out `--queries` records, indexes the rest, matches each held-out record on its own and writes
latency percentiles and match quality to benchmarks/results/realtime.json.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import time
from pathlib import Path

import polars as pl

from anju.exchange import linkage
from anju.exchange.realtime import Matcher

RESULTS = Path(__file__).resolve().parents[2] / "benchmarks" / "results" / "realtime.json"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", type=int, default=1_000_000)
    ap.add_argument("--queries", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=11, help="the seed bench_link.py used")
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/anju-bench"))
    a = ap.parse_args()
    raw = pl.read_csv(a.workdir / f"records_{a.records}_{a.seed}.csv", infer_schema=False)
    truth = pl.read_csv(a.workdir / f"truth_{a.records}_{a.seed}.csv")["truth"].to_list()
    model = json.loads((a.workdir / f"clusters_{a.records}_{a.seed}.csv.model.json").read_text())
    held = sorted(random.Random(1).sample(range(raw.height), a.queries))
    held_set = set(held)
    keep = [i for i in range(raw.height) if i not in held_set]
    t = time.perf_counter()
    df = linkage.prepare(raw[keep])
    matcher = Matcher(df, model)
    build = time.perf_counter() - t
    kept_truth = [truth[i] for i in keep]
    queries = raw[held].rows(named=True)
    for q in queries[:20]:
        matcher.match(q)  # warm caches (pinyin of new characters) before timing
    times, tp, fp, fn = [], 0, 0, 0
    present = set(kept_truth)
    for i, q in zip(held, queries):
        t0 = time.perf_counter()
        hits = matcher.match(q)
        times.append((time.perf_counter() - t0) * 1000)
        accepted = {kept_truth[u] for u, _, ok in hits if ok}
        tp += truth[i] in accepted
        fp += len(accepted - {truth[i]})
        fn += truth[i] in present and truth[i] not in accepted
    times.sort()
    pct = lambda p: round(times[min(len(times) - 1, int(p * len(times)))], 2)
    result = {
        "indexed_records": len(keep), "queries": len(queries),
        "index_build_seconds": round(build, 1),
        "latency_ms": {"p50": pct(0.5), "p95": pct(0.95), "p99": pct(0.99), "max": round(times[-1], 2)},
        "queries_with_person_present": sum(truth[i] in present for i in held),
        "found": tp, "wrong_person_accepted": fp, "missed": fn,
        "load_average_before": round(os.getloadavg()[0], 2),
    }
    print(json.dumps(result, indent=1))
    RESULTS.write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
