#!/usr/bin/env python
"""One big department upload through the real server: time, server memory peak, and what the
other requests saw meanwhile.

    python benchmarks/exchange/bench_upload.py --rows 100000 --label after
    ./dev bench upload --rows 20000 --label quick

Steps: a fresh SQLite installation in a temporary data dir (`anju init-db`, one data steward
from `anju user create`) → a public-security extract of N rows written by the sample writer
(`anju.exchange.samples`, with its dirt: bad values, legacy IDs, typos, the same person twice;
cached in --workdir) → `anju serve` in its own process → a bearer token → the upload (multipart
POST /api/v1/exchange/imports), then, when the server answers 202, its job status polled until it
finishes. Meanwhile a probe thread logs in and reads the import list every 0.5 s and counts the
answers. The server's memory peak is its VmHWM (/proc) after the run, next to its resident size
before the upload. Figures go to benchmarks/results/exchange_upload.json, keyed by --label.

Traffic goes to 127.0.0.1 only; every loop is bounded in time.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "benchmarks" / "results" / "exchange_upload.json"
SECRET = "anju-bench-secret-not-for-production-40c"
PASSWORD = "bench-password-9"


def _extract(rows: int, workdir: Path) -> Path:
    path = workdir / f"gongan_{rows}.csv"
    if not path.exists():
        from anju.exchange import connectors
        from anju.exchange.samples import write_sample

        workdir.mkdir(parents=True, exist_ok=True)
        write_sample(connectors.get("gongan"), path.with_suffix(".tmp"), n=rows, seed=7)
        path.with_suffix(".tmp").replace(path)
    return path


def _status(pid: int, key: str) -> int:
    """A /proc/<pid>/status figure in kB (VmHWM: the peak resident size, VmRSS: now)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return 0


def _wait_up(base: str, proc: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit("the server exited during start-up")
        try:
            if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit("the server did not start")


class Probe(threading.Thread):
    """Log in and read the import list every `every` seconds while the upload runs."""

    def __init__(self, base: str, every: float = 0.5):
        super().__init__(daemon=True)
        self.base, self.every, self.stop = base, every, threading.Event()
        self.statuses: dict[str, int] = {}
        self.slowest = 0.0
        self.retry_after_missing = 0

    def _count(self, response: httpx.Response, took: float) -> None:
        key = str(response.status_code)
        self.statuses[key] = self.statuses.get(key, 0) + 1
        self.slowest = max(self.slowest, took)
        if response.status_code == 503 and "retry-after" not in response.headers:
            self.retry_after_missing += 1

    def run(self) -> None:
        with httpx.Client(base_url=self.base, timeout=60) as client:
            while not self.stop.wait(self.every):
                try:
                    t = time.perf_counter()
                    login = client.post("/api/v1/auth/token",
                                        data={"username": "steward", "password": PASSWORD})
                    self._count(login, time.perf_counter() - t)
                    if login.status_code != 200:
                        continue
                    headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
                    t = time.perf_counter()
                    self._count(client.get("/api/v1/exchange/imports", headers=headers),
                                time.perf_counter() - t)
                except httpx.HTTPError as error:  # a timeout or a dropped connection
                    key = type(error).__name__
                    self.statuses[key] = self.statuses.get(key, 0) + 1


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--label", default="run", help="key of this run in the results file")
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/anju-bench-upload"))
    ap.add_argument("--port", type=int, default=8767)
    ap.add_argument("--timeout", type=float, default=3600, help="give up after this many seconds")
    a = ap.parse_args()

    extract = _extract(a.rows, a.workdir)
    data_dir = Path(tempfile.mkdtemp(prefix="anju-upload-"))
    env = {**os.environ, "ANJU_DATA_DIR": str(data_dir), "ANJU_ENVIRONMENT": "development",
           "ANJU_SECRET_KEY": SECRET, "ANJU_MAX_UPLOAD_BYTES": str(1 << 30)}
    cli = [sys.executable, "-m", "anju.cli.main"]
    subprocess.run([*cli, "init-db"], env=env, check=True, capture_output=True)
    subprocess.run([*cli, "user", "create", "--username", "steward", "--password", PASSWORD,
                    "--role", "data_steward"], env=env, check=True, capture_output=True)
    base = f"http://127.0.0.1:{a.port}"
    log = (a.workdir / f"server-{a.label}.log").open("w")  # a pipe nobody reads would block it
    server = subprocess.Popen([*cli, "serve", "--port", str(a.port)], env=env,
                              stdout=log, stderr=subprocess.STDOUT)
    probe = Probe(base)
    try:
        _wait_up(base, server)
        token = httpx.post(f"{base}/api/v1/auth/token",
                           data={"username": "steward", "password": PASSWORD}).json()
        headers = {"Authorization": f"Bearer {token['access_token']}"}
        rss_before = _status(server.pid, "VmRSS")
        probe.start()
        t0 = time.perf_counter()
        with extract.open("rb") as f:
            answer = httpx.post(f"{base}/api/v1/exchange/imports", headers=headers,
                                data={"department": "gongan"},
                                files={"file": (extract.name, f, "text/csv")},
                                timeout=a.timeout)
        accepted = time.perf_counter() - t0
        body = answer.json()
        if answer.status_code == 202:  # a background job: poll its status
            url = base + body["status_url"]
            while body["state"] not in ("finished", "failed"):
                if time.perf_counter() - t0 > a.timeout:
                    raise SystemExit("the import did not finish in time")
                time.sleep(1)
                body = httpx.get(url, headers=headers, timeout=60).json()
            report = body.get("report") or {}
        else:
            report = body
        seconds = time.perf_counter() - t0
        probe.stop.set()
        probe.join(timeout=70)
        peak = _status(server.pid, "VmHWM")
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
        shutil.rmtree(data_dir, ignore_errors=True)
    figures = {
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "rows": a.rows, "file_bytes": extract.stat().st_size,
        "http_status": answer.status_code, "answered_after_s": round(accepted, 2),
        "seconds": round(seconds, 1), "rows_per_s": round(a.rows / seconds, 1),
        "server_rss_before_mb": round(rss_before / 1024, 1),
        "server_peak_rss_mb": round(peak / 1024, 1),
        "report": {k: report.get(k) for k in ("status", "rows", "new_records",
                                               "unchanged_records", "error_count", "linked")},
        "other_requests": {"statuses": probe.statuses,
                           "slowest_s": round(probe.slowest, 2),
                           "503_without_retry_after": probe.retry_after_missing},
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "command": " ".join([Path(sys.argv[0]).name, *sys.argv[1:]]),
    }
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    results[a.label] = figures
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n")
    print(json.dumps(figures, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
