#!/usr/bin/env python
"""Registry benchmark: bulk-load N persons with registrations into PostgreSQL, then drive the real
HTTP server with a mixed load at fixed concurrency and write the figures.

    ./dev bench registry                       # 1,000,000 persons, workers 1 and 2, 60 s each
    ./dev bench registry --persons 50000 --duration 20

Steps: start a throwaway PostgreSQL (tests/support/pgserver.py) → migrate → bulk-load persons,
houses and registrations with `anju.registry.bulk` (timed) → VACUUM ANALYZE → create police
accounts → for each worker count (and concurrency): start `anju serve --workers W` in production
mode, get bearer tokens from POST /api/v1/auth/token, run the load generator (loadgen.py, its own
process) for a warm-up and a measured window, stop the server → write
benchmarks/results/registry.json and print a summary. See docs/benchmarks.md.

Traffic goes to 127.0.0.1 only; every loop is bounded in time and count.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from datetime import UTC, date, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
for path in (ROOT, ROOT / "src", HERE):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

# A fixed, 40-character benchmark secret: the loader encrypts ID numbers with it and the server
# must decrypt them, so both processes get the same one. Production mode refuses short secrets.
SECRET = "anju-bench-secret-not-for-production-40c"
assert len(SECRET) == 40
os.environ["ANJU_ENVIRONMENT"] = "production"
os.environ["ANJU_SECRET_KEY"] = SECRET

PASSWORD = "bench-password-9"
RESULTS = ROOT / "benchmarks" / "results" / "registry.json"
DURABILITY = {
    # fsync and synchronous commit on: a commit returns once its WAL is on disk (the default).
    "full": {"fsync": True, "settings": {}},
    # fsync on, synchronous_commit off: crash-safe, but the last few hundred ms of commits
    # may be lost on a crash.
    "async": {"fsync": True, "settings": {"synchronous_commit": "off"}},
    # the test server's settings: fsync, synchronous commit and full-page writes off.
    "off": {"fsync": False, "settings": {}},
}
PG_TUNING = {  # modest production-style settings for a 2-core, ~20 GB machine shared with others
    "shared_buffers": "1GB",
    "effective_cache_size": "4GB",
    "maintenance_work_mem": "512MB",
    "work_mem": "16MB",
    "max_wal_size": "8GB",
    "checkpoint_timeout": "30min",
    "wal_buffers": "64MB",
}


def log(message: str) -> None:
    print(f"[{datetime.now():%H:%M:%S}] {message}", file=sys.stderr, flush=True)


# --- facts about the machine and the code ---------------------------------------------------
def machine_facts() -> dict:
    mem = {}
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            key, value = line.split(":", 1)
            if key in ("MemTotal", "MemAvailable"):
                mem[key] = round(int(value.split()[0]) / 1024 / 1024, 2)
    except OSError:
        pass
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "nproc": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "cpu_count": os.cpu_count(),
        "cpu_model": model,
        "memory_total_gib": mem.get("MemTotal"),
        "memory_available_gib_at_start": mem.get("MemAvailable"),
        "loadavg_at_start": list(os.getloadavg()),
        "kernel": platform.release(),
        "python": platform.python_version(),
    }


def code_version() -> dict:
    """A content hash of the application and the benchmark (no git needed)."""
    digest = hashlib.sha256()
    files = sorted(p for p in (ROOT / "src" / "anju").rglob("*")
                   if p.is_file() and p.suffix in (".py", ".csv", ".html", ".toml", ".mako")
                   and "__pycache__" not in p.parts)
    files += sorted(HERE.glob("*.py")) + [ROOT / "pyproject.toml"]
    for path in files:
        digest.update(str(path.relative_to(ROOT)).encode() + b"\0" + path.read_bytes() + b"\0")
    out = {"source_sha256": digest.hexdigest(), "files_hashed": len(files)}
    try:
        from importlib.metadata import version

        out["anju_version"] = version("anju")
    except ImportError:
        pass
    except Exception as error:  # noqa: BLE001 - a fact we can do without
        out["anju_version"] = f"unknown ({error.__class__.__name__})"
    head = ROOT / ".git" / "HEAD"
    try:  # read, not run, git: the commit the working tree started from, if it is plain to see
        ref = head.read_text().strip()
        if ref.startswith("ref: "):
            ref_file = ROOT / ".git" / ref[5:]
            out["git_ref"] = ref[5:]
            if ref_file.exists():
                out["git_head"] = ref_file.read_text().strip()
        else:
            out["git_head"] = ref
        out["note"] = "git_head is where the tree started; uncommitted edits are in source_sha256"
    except OSError:
        pass
    return out


# --- CPU accounting from /proc ----------------------------------------------------------------
_TICK = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return raw[raw.rindex(")") + 2:].split()  # fields from 3 (state) on


def _all_pids() -> list[int]:
    return [int(p) for p in os.listdir("/proc") if p.isdigit()]


def cpu_seconds(match) -> float:
    total = 0
    for pid in _all_pids():
        fields = _stat(pid)
        if fields and match(pid, fields):
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / _TICK


def group_cpu(pgid: int) -> float:
    return cpu_seconds(lambda pid, f: int(f[2]) == pgid)


def children_cpu(parent: int) -> float:
    return cpu_seconds(lambda pid, f: pid == parent or int(f[1]) == parent)


def system_busy() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot."""
    fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + fields[4]
    return (sum(fields) - idle) / _TICK, sum(fields) / _TICK


# --- PostgreSQL and the bulk load -------------------------------------------------------------
def start_postgres(durability: str):
    from tests.support.pgserver import PgServer

    mode = DURABILITY[durability]
    settings = {**PG_TUNING, **mode["settings"]}
    server = PgServer(fsync=mode["fsync"], settings=settings).start()
    effective = dict(settings)
    if not mode["fsync"]:
        effective.update(fsync="off", synchronous_commit="off", full_page_writes="off")
    return server, effective


def wait_for_bulk_module(timeout: float) -> None:
    target = ROOT / "src" / "anju" / "registry" / "bulk" / "__init__.py"
    if "anju.registry.bulk" in sys.modules:
        return
    deadline = time.monotonic() + timeout
    while not target.exists():
        if time.monotonic() > deadline:
            raise SystemExit(f"{target} does not exist (the bulk loader is not written yet)")
        log(f"waiting for {target.relative_to(ROOT)} …")
        time.sleep(min(30.0, max(1.0, deadline - time.monotonic())))


def bulk_load(db, actor, layout, batch: int) -> dict:
    """Load persons, houses (with rooms) and registrations; returns codes, rooms and timings."""
    import dataset as ds

    from anju.registry import bulk

    county = ds.County()
    today = date.today()
    timings = {"persons_s": 0.0, "houses_s": 0.0, "registrations_s": 0.0}
    wall0 = time.perf_counter()

    codes: list[str] = []
    for rows in ds.batches(layout.persons, batch):
        people = [bulk.BulkPerson(name=ds.name(i), id_number=ds.id_number(i), phone=ds.phone(i),
                                  hukou_address=county.hukou_address(i),
                                  division_code=ds.person_division(layout, county, i))
                  for i in rows]
        t0 = time.perf_counter()
        with db.unit_of_work() as session:
            got = bulk.load_persons(session, actor, people)
        timings["persons_s"] += time.perf_counter() - t0
        check_loaded("load_persons", got, len(people))
        codes.extend(got)
        log(f"persons {len(codes):,}/{layout.persons:,} "
            f"({len(codes) / timings['persons_s']:,.0f}/s)")

    def houses(rng: range, bench: bool) -> list:
        out = []
        for h in rng:
            if bench:
                rooms = tuple((f"B{k + 1}", ds.BENCH_ROOM_CAPACITY)
                              for k in range(ds.BENCH_ROOMS_PER_HOUSE))
                address = county.address(h) + f"（公寓{h + 1}栋）"
            else:
                rooms = tuple((f"{k + 1}01", ds.ROOM_CAPACITY) for k in range(ds.ROOMS_PER_HOUSE))
                address = county.address(h)
            out.append(bulk.BulkHouse(address=address, division_code=county.village(h),
                                      landlord_person_code=codes[h % layout.landlords],
                                      rooms=rooms))
        return out

    house_rooms: list[list[int]] = []
    bench_rooms: list[int] = []
    for total, bench in ((layout.houses, False), (layout.bench_houses, True)):
        for rows in ds.batches(total, batch):
            items = houses(rows, bench)
            t0 = time.perf_counter()
            with db.unit_of_work() as session:
                got = bulk.load_houses(session, actor, items)
            timings["houses_s"] += time.perf_counter() - t0
            check_loaded("load_houses", got, len(items))
            if bench:
                bench_rooms.extend(r for rooms in got for r in rooms)
            else:
                house_rooms.extend(got)
    log(f"houses {len(house_rooms):,} (+{layout.bench_houses} for the load), "
        f"{timings['houses_s']:.1f} s")

    n_regs = 0
    for rows in ds.batches(layout.persons, batch):
        regs = []
        for i in rows:
            plan = ds.registration_plan(layout, i, today)
            if plan is None:
                continue
            status, start, end, rejection, reason = plan
            if layout.in_pool(i):  # an ended stay somewhere in the county
                room = house_rooms[i % len(house_rooms)][i % ds.ROOMS_PER_HOUSE]
            else:
                room = house_rooms[ds.house_of_person(layout, i)][ds.room_slot_of_person(i)]
            regs.append(bulk.BulkRegistration(person_code=codes[i], room_id=room,
                                              start_date=start, reason=reason, status=status,
                                              end_date=end, rejection_reason=rejection))
        t0 = time.perf_counter()
        with db.unit_of_work() as session:
            got = bulk.load_registrations(session, actor, regs)
        timings["registrations_s"] += time.perf_counter() - t0
        check_loaded("load_registrations", got, len(regs))
        n_regs += len(regs)
    log(f"registrations {n_regs:,}, {timings['registrations_s']:.1f} s")
    # The load's audit entries are sealed as one batch before anything else runs (as `anju
    # jobs run` does after a bulk import); left queued, the first API run's server would seal
    # them while it is measured.
    from anju.core import sealer

    t0 = time.perf_counter()
    sealed = sealer.seal_all(db, wait=3600)
    timings["seal_s"] = time.perf_counter() - t0
    log(f"sealed the load's {sealed:,} audit entries, {timings['seal_s']:.1f} s")

    load_s = sum(timings.values())
    return {
        "codes": codes, "bench_rooms": bench_rooms,
        "figures": {
            "persons": layout.persons, "houses": layout.houses + layout.bench_houses,
            "rooms": sum(map(len, house_rooms)) + len(bench_rooms), "registrations": n_regs,
            "batch_size": batch,
            **{k: round(v, 3) for k, v in timings.items()},
            "persons_per_s": round(layout.persons / timings["persons_s"], 1),
            "audit_entries_sealed": sealed,
            "sealed_entries_per_s": round(sealed / max(timings["seal_s"], 1e-9), 1),
            "load_s": round(load_s, 3),
            "persons_with_registrations_per_s": round(layout.persons / load_s, 1),
            "wall_s_including_data_generation": round(time.perf_counter() - wall0, 3),
        },
    }


def check_loaded(what: str, got, expected: int) -> None:
    """The synthetic data is valid by construction: any rejected row is a bug worth stopping on."""
    rejected = getattr(got, "rejected", [])
    missing = sum(1 for x in got if x is None)
    if len(got) != expected or rejected or missing:
        first = "; ".join(f"row {r.row} {r.code}: {r.message_en}" for r in rejected[:3])
        raise RuntimeError(f"{what}: {len(got)} answers for {expected} rows, {missing} missing, "
                           f"{len(rejected)} rejected {first}")


def vacuum_analyze(server) -> float:
    import psycopg

    t0 = time.perf_counter()
    with psycopg.connect(f"host=127.0.0.1 port={server.port} user=anju dbname=anju",
                         autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    return time.perf_counter() - t0


def table_sizes(server) -> dict:
    import psycopg

    # audit entries: sealed (audit_entries) and still queued (audit_pending)
    exact = ("persons", "houses", "rooms", "registrations", "audit_entries", "audit_pending")
    with psycopg.connect(f"host=127.0.0.1 port={server.port} user=anju dbname=anju") as conn:
        rows = {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in exact}
        size = conn.execute("SELECT pg_database_size('anju')").fetchone()[0]
    return {"rows": rows, "database_mib": round(size / 2**20, 1)}


# --- the server ---------------------------------------------------------------------------------
# Straight to 127.0.0.1: never through a proxy named in the environment.
_LOCAL = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def free_port() -> int:
    from tests.support.pgserver import free_port as pick

    return pick()


class Server:
    """`anju serve`, or with `floor=True` the floor app (floor.py) under the same uvicorn."""

    def __init__(self, url: str, workers: int, data_dir: Path, log_path: Path,
                 pool_size: int | None, floor: bool = False) -> None:
        self.port = free_port()
        self.workers = workers
        self.log_path = log_path
        env = {**os.environ, "ANJU_DATABASE_URL": url, "ANJU_ENVIRONMENT": "production",
               "ANJU_SECRET_KEY": SECRET, "ANJU_DATA_DIR": str(data_dir)}
        if pool_size:
            env["ANJU_DB_POOL_SIZE"] = str(pool_size)
        if floor:
            env["ANJU_FLOOR_DSN"] = url.replace("postgresql+psycopg://", "postgresql://")
            env["ANJU_FLOOR_POOL"] = str(pool_size or 10)
            self.command = [sys.executable, "-m", "uvicorn", "floor:app", "--app-dir", str(HERE),
                            "--host", "127.0.0.1", "--port", str(self.port), "--workers",
                            str(workers), "--loop", "uvloop", "--http", "httptools",
                            "--log-level", "warning", "--no-access-log"]
        else:
            self.command = [sys.executable, "-m", "anju.cli.main", "serve", "--host",
                            "127.0.0.1", "--port", str(self.port), "--workers", str(workers)]
        self._log = open(log_path, "wb")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(self.command, env=env, stdout=self._log,
                                     stderr=subprocess.STDOUT, start_new_session=True)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def wait_ready(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited ({self.proc.returncode}):\n{self.log_tail()}")
            try:
                with _LOCAL.open(self.base + "/healthz", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                time.sleep(0.3)
        else:
            raise RuntimeError(f"server not ready after {timeout} s:\n{self.log_tail()}")
        # With several workers the supervisor answers as soon as one is up; give the others a
        # moment (they import the same modules), then check they all are there.
        if self.workers > 1:
            deadline = time.monotonic() + 30
            while len(self.worker_pids()) < self.workers and time.monotonic() < deadline:
                time.sleep(0.3)
            time.sleep(1.0)

    def worker_pids(self) -> list[int]:
        if self.workers == 1:
            return [self.proc.pid]
        return [pid for pid in _all_pids()
                if (f := _stat(pid)) and int(f[1]) == self.proc.pid
                and "resource_tracker" not in _cmdline(pid)]

    def token(self, username: str) -> str:
        data = urllib.parse.urlencode({"username": username, "password": PASSWORD}).encode()
        request = urllib.request.Request(self.base + "/api/v1/auth/token", data=data)
        with _LOCAL.open(request, timeout=30) as r:
            return json.loads(r.read())["access_token"]

    def cpu(self) -> float:
        return group_cpu(self.proc.pid)

    def log_tail(self, n: int = 40) -> str:
        self._log.flush()
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return ""

    def stop(self) -> None:
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)  # the group this script started
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
            except ProcessLookupError:
                pass
        self._log.close()


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def postmaster_pid(server) -> int:
    return int((server.data / "postmaster.pid").read_text().splitlines()[0])


# --- one load run ---------------------------------------------------------------------------------
def run_load(*, url: str, pg, workers: int, concurrency: int, usernames: list[str],
             lookup_codes: list[str], lookup_ids: list[str], pool_codes: list[str],
             rooms: list[int], args, work: Path, label: str, floor: bool = False) -> dict:
    server = Server(url, workers, work / "data", work / f"server-{label}.log", args.db_pool_size,
                    floor=floor)
    duration = args.floor_duration if floor else args.duration
    warmup = min(args.warmup, 3.0) if floor else args.warmup  # nothing in the floor warms up
    try:
        t0 = time.perf_counter()
        server.wait_ready()
        startup_s = time.perf_counter() - t0
        tokens = [server.token(u) for u in usernames]
        spec = {
            "host": "127.0.0.1", "port": server.port, "concurrency": concurrency,
            "warmup": warmup, "duration": duration, "grace": 10,
            "request_timeout": 30, "max_requests_per_conn": 2_000_000, "seed": args.seed,
            "tokens": tokens, "lookup_codes": lookup_codes, "lookup_ids": lookup_ids,
            "pool_codes": pool_codes, "rooms": rooms, "start_date": date.today().isoformat(),
            "mix": [0.4, 0.4, 0.2],
        }
        spec_path, out_path = work / f"spec-{label}.json", work / f"result-{label}.json"
        spec_path.write_text(json.dumps(spec))
        log(f"run {label}: {'the floor' if floor else 'Anju'}, {workers} worker(s), "
            f"{concurrency} connections, {warmup:g} s warm-up + {duration:g} s measured")
        gen = subprocess.Popen([sys.executable, str(HERE / "loadgen.py"), str(spec_path),
                                str(out_path)])
        try:
            result = _measure(server, gen, pg, args, out_path, work, label, warmup, duration,
                              profile=args.profile and not floor)
            result.update(app="floor" if floor else "anju", workers=workers,
                          concurrency=concurrency,
                          server_startup_s=round(startup_s, 2))
            return result
        finally:
            if gen.poll() is None:
                gen.kill()
                gen.wait(timeout=10)
    finally:
        server.stop()


def _measure(server, gen, pg, args, out_path, work, label, warmup, duration,
             profile) -> dict:
    profile_proc = None
    pm = postmaster_pid(pg)
    try:
        time.sleep(warmup)
        snap0 = (server.cpu(), children_cpu(pm), children_cpu(gen.pid), system_busy(),
                 time.perf_counter())
        if profile:
            profile_proc = start_profiler(server, work, label, duration)
        activity = PgActivity(pg, max(1.0, duration - 1))
        time.sleep(duration)
        snap1 = (server.cpu(), children_cpu(pm), children_cpu(gen.pid), system_busy(),
                 time.perf_counter())
        try:
            gen.wait(timeout=60)
        except subprocess.TimeoutExpired:
            gen.kill()
            gen.wait(timeout=10)
            raise RuntimeError("load generator did not finish in time") from None
        if gen.returncode != 0:
            raise RuntimeError(f"load generator failed ({gen.returncode})")
        result = json.loads(out_path.read_text())
        window = snap1[4] - snap0[4]
        busy = snap1[3][0] - snap0[3][0]
        result["cpu"] = {
            "window_s": round(window, 2),
            "server_s": round(snap1[0] - snap0[0], 2),
            "postgres_s": round(snap1[1] - snap0[1], 2),
            "load_generator_s": round(snap1[2] - snap0[2], 2),
            "machine_busy_s": round(busy, 2),
            "machine_capacity_s": round(window * (os.cpu_count() or 1), 2),
            "note": "approximate: sampled by run.py around the generator's measured window; "
                    "machine_busy includes other users of the machine",
        }
        cpu = result["cpu"]
        cpu["other_s"] = round(busy - cpu["server_s"] - cpu["postgres_s"] -
                               cpu["load_generator_s"], 2)
        per = max(1, result["requests"]) * window / duration
        cpu["server_ms_per_request"] = round(1000 * cpu["server_s"] / per, 2)
        cpu["postgres_ms_per_request"] = round(1000 * cpu["postgres_s"] / per, 2)
        result.update(server_command=" ".join(server.command[1:]), profiled=bool(profile),
                      postgres_activity=activity.summary())
        if profile_proc is not None:
            result["profile"] = finish_profiler(profile_proc, work, label)
        return result
    finally:
        if profile_proc is not None and profile_proc.poll() is None:
            profile_proc.kill()


def start_profiler(server: Server, work: Path, label: str, duration: float):
    out = work / f"profile-{label}.txt"
    cmd = [str(Path(sys.executable).parent / "py-spy"), "record", "--pid", str(server.proc.pid),
           "--duration", str(int(max(1, duration - 2))), "--rate", "100", "--format", "raw",
           "--output", str(out), "--nonblocking", "--gil"]
    if server.workers > 1:
        cmd.append("--subprocesses")
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def finish_profiler(proc, work: Path, label: str) -> dict:
    try:
        proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
    path = work / f"profile-{label}.txt"
    if not path.exists():
        return {"error": "py-spy wrote nothing"}
    dest = RESULTS.parent / f"registry-profile-{label}.txt"
    dest.write_text(path.read_text())
    return {"raw_stacks": str(dest.relative_to(ROOT)), "summary": summarise_profile(path)}


def summarise_profile(path: Path, top: int = 25) -> dict:
    """Where the GIL-holding samples of py-spy's collapsed stacks went: by package of the
    innermost frame (self), and by function (inclusive)."""
    inclusive: dict[str, int] = {}
    own: dict[str, int] = {}
    package: dict[str, int] = {}
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        total += n
        frames = stack.split(";")
        for frame in set(frames):
            inclusive[frame] = inclusive.get(frame, 0) + n
        own[frames[-1]] = own.get(frames[-1], 0) + n
        where = frames[-1].rpartition(" (")[2]
        pkg = where.split("/")[0] if "/" in where else where.split(".py")[0]
        package[pkg] = package.get(pkg, 0) + n

    def share(d: dict, k: int = top) -> list:
        return [[key, round(100 * v / total, 1)]
                for key, v in sorted(d.items(), key=lambda kv: -kv[1])[:k]]

    anju = {k: v for k, v in inclusive.items() if "(anju/" in k}
    return {"samples": total, "mode": "py-spy --gil (only the thread holding the GIL)",
            "self_by_package_pct": share(package, 15), "inclusive_pct": share(inclusive),
            "anju_inclusive_pct": share(anju), "self_pct": share(own)}


class PgActivity:
    """Samples pg_stat_activity every `interval` s (a bounded number of times) in a thread: how
    many server connections are running, idle in a transaction, or waiting on a lock."""

    def __init__(self, server, duration: float, interval: float = 0.5) -> None:
        import threading

        self.port, self.count = server.port, max(1, int(duration / interval))
        self.interval = interval
        self.samples: list[dict] = []
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        import psycopg

        query = ("SELECT state, wait_event_type, wait_event, count(*) FROM pg_stat_activity "
                 "WHERE datname = 'anju' AND backend_type = 'client backend' "
                 "AND pid <> pg_backend_pid() GROUP BY 1, 2, 3")
        with psycopg.connect(f"host=127.0.0.1 port={self.port} user=anju dbname=anju",
                             autocommit=True) as conn:
            for _ in range(self.count):
                t0 = time.monotonic()
                rows = conn.execute(query).fetchall()
                self.samples.append({f"{st}/{wt or '-'}/{we or '-'}": n for st, wt, we, n in rows})
                time.sleep(max(0.0, self.interval - (time.monotonic() - t0)))

    def summary(self) -> dict:
        self.thread.join(timeout=30)
        keys = sorted({k for s in self.samples for k in s})
        n = len(self.samples) or 1
        mean = {k: round(sum(s.get(k, 0) for s in self.samples) / n, 2) for k in keys}
        lock = sum(v for k, v in mean.items() if "/Lock/" in k)
        return {"samples": len(self.samples), "interval_s": self.interval,
                "mean_backends_by_state_wait": mean, "mean_waiting_on_locks": round(lock, 2),
                "note": "state/wait_event_type/wait_event; Lock/transactionid or Lock/tuple "
                        "are requests queued behind the audit chain-head row lock"}


# --- main -------------------------------------------------------------------------------------
def _terminate(signum, _frame) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def int_list(text: str) -> list[int]:
    return [int(x) for x in text.split(",") if x.strip()]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--persons", type=int, default=1_000_000, help="persons to bulk-load")
    ap.add_argument("--pool", type=int, default=None,
                    help="persons left without an active registration for the load's POSTs "
                         "(default: min(N/2, max(N/10, 60000)))")
    ap.add_argument("--batch", type=int, default=200_000, help="rows per bulk-load call")
    ap.add_argument("--workers", type=int_list, default=[1, 2, 4],
                    help="server processes to try, comma-separated (default 1,2,4): the "
                         "scale-out figures, each against the one PostgreSQL")
    ap.add_argument("--concurrency", type=int_list, default=[32],
                    help="open connections, comma-separated to try several (default 32)")
    ap.add_argument("--duration", type=float, default=60, help="measured seconds per run")
    ap.add_argument("--warmup", type=float, default=None,
                    help="warm-up seconds per run (default: a quarter of --duration, at most 10)")
    ap.add_argument("--floor-duration", type=float, default=None,
                    help="measured seconds of each floor run (default: --duration, at most 10)")
    ap.add_argument("--no-floor", action="store_true",
                    help="skip the floor (benchmarks/registry/floor.py) runs")
    ap.add_argument("--accounts", type=int, default=8, help="police accounts (tokens) in use")
    ap.add_argument("--lookup-sample", type=int, default=200_000,
                    help="random persons the lookups draw from")
    ap.add_argument("--durability", choices=sorted(DURABILITY), default="full",
                    help="PostgreSQL durability: full (default), async (synchronous_commit "
                         "off), off (fsync off, like the test server)")
    ap.add_argument("--db-pool-size", type=int, default=None,
                    help="ANJU_DB_POOL_SIZE for the server (default: the app's default)")
    ap.add_argument("--profile", action="store_true",
                    help="py-spy the server during each measured window (slows it down)")
    ap.add_argument("--keep-work", action="store_true",
                    help="keep the temporary folder (server logs, load specs)")
    ap.add_argument("--seed", type=int, default=1, help="random seed of samples and the mix")
    ap.add_argument("--output", type=Path, default=RESULTS,
                    help="results file (default benchmarks/results/registry.json)")
    ap.add_argument("--wait-for-bulk", type=float, default=3600,
                    help="seconds to wait for src/anju/registry/bulk/ to appear")
    args = ap.parse_args(argv)
    # A SIGTERM (timeout, CI cancel) unwinds like Ctrl-C, so PostgreSQL and the server stop.
    signal.signal(signal.SIGTERM, _terminate)
    if args.warmup is None:
        args.warmup = min(10.0, args.duration / 4)
    if args.floor_duration is None:
        args.floor_duration = min(10.0, args.duration)
    if args.duration <= 0 or args.warmup < 0 or args.duration > 3600 or args.warmup > 600:
        ap.error("--duration must be in (0, 3600] and --warmup in [0, 600]")
    if args.persons < 100:
        ap.error("--persons must be at least 100")
    if args.profile and not (Path(sys.executable).parent / "py-spy").exists():
        ap.error("--profile needs py-spy in the virtualenv: .venv/bin/pip install py-spy")

    import dataset as ds

    started = datetime.now(UTC)
    facts = machine_facts()
    version = code_version()
    wait_for_bulk_module(args.wait_for_bulk)
    from anju.core import identity, migrate
    from anju.core.config import reset_settings_cache
    from anju.core.db import Database

    work = Path(tempfile.mkdtemp(prefix="anju-bench-"))
    os.environ["ANJU_DATA_DIR"] = str(work / "data")
    reset_settings_cache()
    layout = ds.Layout.for_persons(args.persons, args.pool)
    # Anju and then the floor at each worker count and concurrency (the floor's registrations
    # take pool persons too, so the pool is shared out over both).
    runs_planned = [(w, c, floor) for w in args.workers for c in args.concurrency
                    for floor in ((False,) if args.no_floor else (False, True))]
    log(f"PostgreSQL (durability {args.durability}) in {work}")
    pg, pg_settings = start_postgres(args.durability)
    db = None
    try:
        url = pg.create_database("anju")
        migrate.upgrade(url)
        db = Database(url, pool_size=2)
        with db.unit_of_work() as session:
            loader = identity.actor_of(identity.create_account(
                session, username="bench-loader", password=PASSWORD, role="police",
                division=ds.COUNTY))
            usernames = []
            for k in range(args.accounts):
                identity.create_account(session, username=f"bench-police-{k}", password=PASSWORD,
                                        role="police", division=ds.COUNTY)
                usernames.append(f"bench-police-{k}")
        log(f"bulk-loading {layout.persons:,} persons ({layout.pool:,} in the registration pool)")
        loaded = bulk_load(db, loader, layout, args.batch)
        bulk_figures = loaded["figures"]
        bulk_figures["vacuum_analyze_s"] = round(vacuum_analyze(pg), 2)
        bulk_figures.update(table_sizes(pg))
        log(f"bulk load: {bulk_figures['persons_per_s']:,.0f} persons/s "
            f"(all of it: {bulk_figures['persons_with_registrations_per_s']:,.0f} persons/s)")
        db.dispose()

        codes = loaded["codes"]
        rng = random.Random(args.seed)
        sample = rng.sample(range(layout.persons), min(args.lookup_sample, layout.persons))
        lookup_codes = [codes[i] for i in sample]
        lookup_ids = [ds.id_number(i) for i in sample]
        pool = codes[layout.registered:]
        rng.shuffle(pool)
        share = len(pool) // len(runs_planned)
        runs, floors = [], []
        for k, (workers, concurrency, floor) in enumerate(runs_planned):
            label = f"{'floor-' if floor else ''}w{workers}-c{concurrency}"
            result = run_load(url=url, pg=pg, workers=workers, concurrency=concurrency,
                              usernames=usernames, lookup_codes=lookup_codes,
                              lookup_ids=lookup_ids, pool_codes=pool[k * share:(k + 1) * share],
                              rooms=loaded["bench_rooms"], args=args, work=work, label=label,
                              floor=floor)
            (floors if floor else runs).append(result)
            print_run(result)
    finally:
        if db is not None:
            db.dispose()
        pg.stop()
        if args.keep_work:
            log(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)

    best = max(runs, key=lambda r: r["ok_throughput_rps"])
    compared = compare_with_floor(runs, floors)
    report = {
        "benchmark": "registry",
        "date": started.isoformat(timespec="seconds"),
        "finished": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": "python benchmarks/registry/run.py " + " ".join(sys.argv[1:] if argv is None
                                                                   else argv),
        "targets": {"throughput_rps": 1000, "p95_ms": 50, "bulk_persons_per_s": 20000},
        "headline": {
            "persons": layout.persons,
            "bulk_persons_per_s": bulk_figures["persons_per_s"],
            "best_run": {k: best[k] for k in ("workers", "concurrency", "throughput_rps",
                                              "ok_throughput_rps", "errors")}
            | {"p50_ms": best["latency"]["p50_ms"], "p95_ms": best["latency"]["p95_ms"],
               "p99_ms": best["latency"]["p99_ms"]},
            "meets_throughput_target": best["ok_throughput_rps"] >= 1000,
            "meets_p95_target": (best["latency"]["p95_ms"] or 1e9) <= 50,
            "meets_bulk_target": bulk_figures["persons_per_s"] >= 20000,
            "floor_over_anju_at_best_run": next(
                (c["floor_over_anju"] for c in compared if (c["workers"], c["concurrency"]) ==
                 (best["workers"], best["concurrency"])), None),
        },
        "n_persons": layout.persons,
        "layout": layout.__dict__,
        "bulk_load": bulk_figures,
        "load": {
            "generator": "benchmarks/registry/loadgen.py: asyncio + uvloop, raw HTTP/1.1 keep-alive,"
                         " closed loop (one request in flight per connection), own process",
            "mix": {"GET /api/v1/persons/{person_code}": 0.4,
                    "GET /api/v1/persons?id_number=": 0.4, "POST /api/v1/registrations": 0.2},
            "warmup_s": args.warmup, "duration_s": args.duration,
            "floor_duration_s": None if args.no_floor else args.floor_duration,
            "lookup_sample": len(lookup_codes), "accounts": args.accounts,
            "auth": "bearer tokens from POST /api/v1/auth/token, police of the county",
            "error_definition": "any non-2xx status or transport failure",
        },
        "runs": runs,
        "floor": {
            "what": "benchmarks/registry/floor.py: uvicorn (httptools, uvloop) + psycopg async, "
                    "no framework: the same SQL per request (person row; room, lock, checks, "
                    "INSERT for a registration) and one unsealed audit-row INSERT, one "
                    "transaction each; no token, permission, purpose or decryption work",
            "runs": floors,
            "goal": "Anju's throughput within 1.5x of the floor's (floor / Anju <= 1.5)",
        },
        "versus_floor": compared,
        "scale_out": scale_out(runs, floors),
        "server": {"mode": "anju serve (uvicorn, httptools, uvloop), ANJU_ENVIRONMENT=production",
                   "db_pool_size": args.db_pool_size or "app default"},
        "postgres": {"durability": args.durability, "settings": pg_settings,
                     "version": pg_version()},
        "machine": facts,
        "code": version,
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n")
    print_summary(report)
    print(f"results: {args.output}")
    return 0


def compare_with_floor(runs: list[dict], floors: list[dict]) -> list[dict]:
    """Per worker count and concurrency: Anju's throughput beside the floor's, and CPU per
    request of each server and of PostgreSQL."""
    by_key = {(f["workers"], f["concurrency"]): f for f in floors}
    out = []
    for r in runs:
        f = by_key.get((r["workers"], r["concurrency"]))
        if f is None:
            continue
        anju, base = r["ok_throughput_rps"], f["ok_throughput_rps"]
        out.append({
            "workers": r["workers"], "concurrency": r["concurrency"],
            "anju_rps": anju, "floor_rps": base,
            "anju_share_of_floor": round(anju / base, 3) if base else None,
            "floor_over_anju": round(base / anju, 2) if anju else None,
            "within_1_5x": bool(anju and base / anju <= 1.5),
            "anju_p95_ms": r["latency"]["p95_ms"], "floor_p95_ms": f["latency"]["p95_ms"],
            "cpu_ms_per_request": {
                "anju_server": r["cpu"]["server_ms_per_request"],
                "anju_postgres": r["cpu"]["postgres_ms_per_request"],
                "floor_server": f["cpu"]["server_ms_per_request"],
                "floor_postgres": f["cpu"]["postgres_ms_per_request"]},
            "other_users_cpu_s": {"anju": r["cpu"]["other_s"], "floor": f["cpu"]["other_s"]},
        })
    return out


def scale_out(runs: list[dict], floors: list[dict]) -> list[dict]:
    """Throughput per server-process count (best concurrency), relative to one process."""
    out = []
    for app, group in (("anju", runs), ("floor", floors)):
        best: dict[int, dict] = {}
        for r in group:
            if r["workers"] not in best or r["ok_throughput_rps"] > \
                    best[r["workers"]]["ok_throughput_rps"]:
                best[r["workers"]] = r
        one = best.get(min(best)) if best else None
        for workers in sorted(best):
            r = best[workers]
            out.append({"app": app, "workers": workers, "concurrency": r["concurrency"],
                        "rps": r["ok_throughput_rps"], "p95_ms": r["latency"]["p95_ms"],
                        "vs_fewest_workers": round(r["ok_throughput_rps"] /
                                                   one["ok_throughput_rps"], 2)
                        if one and one["ok_throughput_rps"] else None})
    return out


def pg_version() -> str:
    try:
        from tests.support.pgserver import _bin_dir

        return subprocess.run([str(_bin_dir() / "postgres"), "--version"], capture_output=True,
                              text=True, timeout=10, check=True).stdout.strip()
    except (OSError, RuntimeError, subprocess.SubprocessError):
        return "unknown"


def print_run(r: dict) -> None:
    lat = r["latency"]
    print(f"  {r.get('app', 'anju')} workers={r['workers']} concurrency={r['concurrency']}: "
          f"{r['throughput_rps']:,.0f} req/s ({r['requests']:,} requests, {r['errors']} errors), "
          f"p50 {lat['p50_ms']} ms, p95 {lat['p95_ms']} ms, p99 {lat['p99_ms']} ms", flush=True)
    for kind, k in r["by_kind"].items():
        print(f"    {kind:12s} {k['requests']:>8,}  errors {k['errors']:>5}  "
              f"p50 {k['p50_ms']} p95 {k['p95_ms']} p99 {k['p99_ms']} ms  {k['status']}")
    cpu = r["cpu"]
    print(f"    CPU over {cpu['window_s']} s: server {cpu['server_s']} s, postgres "
          f"{cpu['postgres_s']} s, generator {cpu['load_generator_s']} s, other users "
          f"{cpu['other_s']} s (capacity {cpu['machine_capacity_s']} s); per request: server "
          f"{cpu['server_ms_per_request']} ms, postgres {cpu['postgres_ms_per_request']} ms",
          flush=True)
    act = r.get("postgres_activity", {})
    if act:
        print(f"    PostgreSQL: on average {act['mean_waiting_on_locks']} connections waiting on a "
              f"lock ({act['samples']} samples)", flush=True)


def print_summary(report: dict) -> None:
    h, b = report["headline"], report["bulk_load"]
    best = h["best_run"]
    yes = {True: "yes", False: "NO"}
    print()
    print(f"Registry benchmark, {report['n_persons']:,} persons, {report['date']}")
    print(f"  bulk load: {b['persons_per_s']:,.0f} persons/s (load_persons only; target 20,000: "
          f"{yes[h['meets_bulk_target']]}); persons+houses+registrations "
          f"{b['persons_with_registrations_per_s']:,.0f} persons/s, their audit entries sealed in {b['seal_s']:.1f} s")
    for c in report.get("versus_floor", []):
        cpu = c["cpu_ms_per_request"]
        print(f"  w{c['workers']} c{c['concurrency']}: Anju {c['anju_rps']:,.0f} req/s, floor "
              f"{c['floor_rps']:,.0f} req/s: the floor is {c['floor_over_anju']}x Anju (goal "
              f"<= 1.5: {yes[c['within_1_5x']]}); CPU ms/request server {cpu['anju_server']} vs "
              f"{cpu['floor_server']}, PostgreSQL {cpu['anju_postgres']} vs "
              f"{cpu['floor_postgres']}")
    print(f"  best run: {best['workers']} worker(s), {best['concurrency']} connections: "
          f"{best['throughput_rps']:,.0f} req/s (target 1,000: "
          f"{yes[h['meets_throughput_target']]}), p50 {best['p50_ms']} ms, p95 {best['p95_ms']} ms "
          f"(target 50: {yes[h['meets_p95_target']]}), p99 {best['p99_ms']} ms, "
          f"{best['errors']} errors")
    for r in report["runs"]:
        print(f"  - w{r['workers']} c{r['concurrency']}: {r['throughput_rps']:,.0f} req/s, "
              f"p95 {r['latency']['p95_ms']} ms, errors {r['errors']}")
    m = report["machine"]
    print(f"  machine: {m['nproc']} cores ({m['cpu_model']}), {m['memory_total_gib']} GiB; "
          f"PostgreSQL durability {report['postgres']['durability']}")


if __name__ == "__main__":
    sys.exit(main())
