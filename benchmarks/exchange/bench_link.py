"""Benchmark `anju link run` against known truth, and a plain normalised-ID baseline.

    python benchmarks/exchange/bench_link.py --records 100000 [--records 1000000]

Writes pairwise precision / recall / F1, wall time and peak memory to
benchmarks/results/link.json (one entry per size, merged with earlier runs).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import polars as pl

from anju.exchange import standardise as st
from anju.exchange.synth import benchmark

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "benchmarks" / "results" / "link.json"


def pairwise(pred: list, truth: list) -> dict:
    """Pairwise precision/recall/F1 from cluster labels, counted through cell sizes."""
    def pairs(counter):
        return sum(n * (n - 1) // 2 for n in counter.values())

    tp = pairs(Counter(zip(pred, truth)))
    pp, tt = pairs(Counter(pred)), pairs(Counter(truth))
    p = tp / pp if pp else 1.0
    r = tp / tt if tt else 1.0
    return {"precision": round(p, 5), "recall": round(r, 5),
            "f1": round(2 * p * r / (p + r), 5) if p + r else 0.0,
            "true_pairs": tt, "predicted_pairs": pp}


def id_baseline(records: pl.DataFrame) -> list:
    ids = st.id_numbers(records["id_number"])
    key = pl.select(pl.when(ids["id_valid"]).then(ids["id_number"])).to_series()
    return [k if k is not None else f"row{i}" for i, k in enumerate(key.to_list())]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", type=int, action="append", required=True)
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/anju-bench"))
    args = ap.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    for n in args.records:
        t = time.perf_counter()
        recs, truth = benchmark(n, seed=args.seed)
        inp = args.workdir / f"records_{n}_{args.seed}.csv"
        pl.DataFrame(recs, schema={k: pl.String for k in recs[0]}).write_csv(inp)
        pl.DataFrame({"truth": truth}).write_csv(args.workdir / f"truth_{n}_{args.seed}.csv")
        print(f"generated {n:,} records in {time.perf_counter() - t:.1f}s", file=sys.stderr)
        out = args.workdir / f"clusters_{n}_{args.seed}.csv"
        cmd = [sys.executable, "-m", "anju.exchange.cli", "run", "--input", str(inp),
               "--output", str(out)]
        load_before = os.getloadavg()[0]
        r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        t = time.perf_counter()
        subprocess.run(cmd, check=True)
        wall = time.perf_counter() - t
        r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        # ru_maxrss of children is the largest child so far: the linker is by far the largest
        peak_kb = r1.ru_maxrss
        cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
        clusters = pl.read_csv(out, infer_schema=False)
        assert clusters.height == n and clusters["source_record_id"].to_list() == [
            r["source_record_id"] for r in recs]
        link = pairwise(clusters["person_uid"].to_list(), truth)
        base = pairwise(id_baseline(pl.read_csv(inp, infer_schema=False)), truth)
        key = str(n) if args.seed == 11 else f"{n}_seed{args.seed}"
        results[key] = {
            "records": n, "persons": len(set(truth)), "seed": args.seed,
            "anju_link": link, "normalised_id_baseline": base,
            "wall_seconds": round(wall, 1), "cpu_seconds": round(cpu, 1),
            # other jobs share this machine: a load average above 2 inflates wall time
            "load_average_before": round(load_before, 2),
            "peak_memory_mb": round(peak_kb / 1024),
            "command": f"anju link run --input {inp.name} --output {out.name}",
            "machine": f"{_cpus()} CPUs",
        }
        print(json.dumps(results[key], indent=1))
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(json.dumps(results, indent=1))


def _cpus() -> int:
    return os.cpu_count() or 0


if __name__ == "__main__":
    main()
