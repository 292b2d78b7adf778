"""A build: export the snapshot (pseudonymised, through the registry's and housing's read-only
exports), aggregate it with SQL on DuckDB or Spark, release every figure through the one release
function, derive forecasts, warnings and KPIs from the released figures, and store only what was
released. The snapshot's Parquet files are deleted when the build ends.

Each step commits on its own and reports progress (`StatsBuild.step`, and the callback), so a
long build shows where it is, and a failed one says where it stopped.
"""
from __future__ import annotations

import secrets
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import delete, select
from threadpoolctl import threadpool_limits

from anju.core import audit, divisions
from anju.core.access import Access
from anju.core.config import get_settings
from anju.core.crypto import derive_key
from anju.core.db import Database, utcnow
from anju.core.policy import Actor
from anju.monitoring import derive, plan, rules
from anju.monitoring import policy as P
from anju.monitoring.aggregates import Aggregates
from anju.monitoring.engine import open_engine
from anju.monitoring.models import MobileCount, StatsBuild, StatsCell, StatsPublished, StatsTable
from anju.monitoring.release import Release, Released

GEO = pa.schema([("code", pa.string()), ("current_code", pa.string())])
GEO_THEN = pa.schema([("code", pa.string()), ("ref", pa.date32()), ("then_code", pa.string())])
REFS = pa.schema([("ref", pa.date32()), ("recent", pa.bool_()), ("idx", pa.int32())])
KEEP_BUILDS = 2  # released cells of the latest builds are kept; older builds keep their summary


@dataclass
class Inputs:
    """Where a build's snapshot lies (Parquet files) and the crosswalk to use."""

    folder: Path
    crosswalk: rules.Crosswalk = field(default_factory=lambda: rules.Crosswalk(
        rules.shipped_changes()))
    raw_presence: bool = False  # presence_events.parquet (the benchmark) instead of presence


@dataclass
class Built:
    build_id: int | None
    as_of: date
    release: Released
    planner: plan.Planner
    cycle: dict
    timings: dict[str, float]
    steps: list[tuple[str, float]] = field(default_factory=list)  # each step, seconds


def snapshot(db: Database, actor: Actor, folder: Path, today: date) -> dict[str, int]:
    """Export the registry's and housing's statistics snapshots to Parquet, pseudonymised under
    a key derived from the secret for this build only and then forgotten."""
    from anju.cases import export as cases_export
    from anju.housing import export as housing_export
    from anju.registry import export as registry_export

    key = derive_key(get_settings().secret_key,
                     f"anju/monitoring/pseudonym/{secrets.token_hex(16)}", 32)
    folder.mkdir(parents=True, exist_ok=True)
    rows = {}
    with db.unit_of_work() as session:
        tables = registry_export.statistics_snapshot(session, actor, key)
        tables |= housing_export.statistics_snapshot(session, actor, key, today)
        tables |= cases_export.statistics_snapshot(session, actor,
                                                   today - timedelta(days=rules.CASE_DAYS))
    for name, table in tables.items():
        pq.write_table(table, folder / f"{name}.parquet")
        rows[name] = table.num_rows
    return rows


def _crosswalk_tables(engine, inputs: Inputs, refs: list[date]) -> None:
    walk = inputs.crosswalk
    codes = sorted(walk.affected())
    engine.register("geo", pa.table({"code": codes,
                                     "current_code": [walk.current(c) for c in codes]},
                                    schema=GEO))
    rows = [(c, r, walk.then(c, r)) for c in codes for r in refs]
    rows = [row for row in rows if row[2] != walk.current(row[0]) or row[2] != row[0]]
    engine.register("geo_then", pa.table({"code": [r[0] for r in rows],
                                          "ref": [r[1] for r in rows],
                                          "then_code": [r[2] for r in rows]}, schema=GEO_THEN))


def aggregate(engine, inputs: Inputs, as_of: date,
              progress: Callable[[str], object] = lambda m: None) -> dict[str, pa.Table]:
    """Run the build's SQL on `engine` over the snapshot in `inputs.folder`."""
    folder = inputs.folder
    for name in ("registrations", "permits", "key_use", "tasks"):
        engine.register_parquet(name, folder / f"{name}.parquet")
    from anju.cases.export import CASE_SCHEMA, NOTICE_SCHEMA

    for name, schema in (("cases", CASE_SCHEMA), ("notices", NOTICE_SCHEMA)):
        if (folder / f"{name}.parquet").exists():
            engine.register_parquet(name, folder / f"{name}.parquet")
        else:  # a snapshot made without the cases domain's export (older builds, benchmarks)
            engine.register(name, schema.empty_table())
    presence_name = "presence_events" if inputs.raw_presence else "presence"
    engine.register_parquet(presence_name, folder / f"{presence_name}.parquet")
    refs = rules.reference_dates(as_of)
    recent = set(rules.recent_dates(as_of))
    engine.register("refs", pa.table({"ref": refs, "recent": [r in recent for r in refs],
                                      "idx": list(range(len(refs)))}, schema=REFS))
    _crosswalk_tables(engine, inputs, refs)
    sql = Aggregates(engine, as_of, progress)
    windows = rules.Windows.of(as_of)
    first_month = plan.month_start(windows.months[0])
    recent_month = plan.month_start(windows.months[-rules.RECENT_MONTHS])
    last_month_end = rules.month_end(*map(int, windows.months[-1].split("-")))
    out = {}
    progress("snapshot: placing registrations (current boundaries)")
    sql.prepare()
    progress("stock: reference dates × divisions × breakdowns")
    out["stock"] = sql.stock()
    out["stock_then"] = sql.stock_then() if inputs.crosswalk.changes else None
    progress("flows: arrivals and departures per day")
    out["flows"] = sql.flows(first_month, as_of)
    progress("origin–destination, moves within the county, frequency of moves")
    out["od"] = sql.od(recent_month, last_month_end)
    out["moves"] = sql.moves(recent_month, last_month_end)
    out["frequency"] = sql.frequency(as_of - timedelta(days=3 * 365))
    progress("KPI counts and lock presence")
    out["accuracy"] = sql.accuracy()
    out["cycle"] = sql.cycle()
    out["evidence"] = sql.evidence()
    out["presence"] = sql.presence(windows.days[0], raw=inputs.raw_presence)
    out["cases"] = sql.cases()
    out["notices"] = sql.notices()
    return out


def plan_release(tables: dict[str, pa.Table], as_of: date, county: str,
                 mobile: list[tuple[date, str, str, int]] = (),
                 previous: dict[tuple, set[int]] | Callable | None = None,
                 progress: Callable[[str], object] = lambda m: None) -> tuple[
                     plan.Planner, Released, dict]:
    """Every figure into one Release, then run it."""
    planner = plan.Planner(as_of)
    progress("release: stating cells and relations")
    planner.stock(tables["stock"])
    if tables.get("stock_then") is not None:
        planner.stock_then(tables["stock_then"], {})
    planner.flows(tables["flows"])
    planner.od(tables["od"])
    planner.moves(tables["moves"])
    planner.frequency(tables["frequency"], county)
    cycle = planner.kpis(tables["accuracy"], tables["cycle"], tables["evidence"])
    if tables.get("cases") is not None:
        planner.cases(tables["cases"])
    if tables.get("notices") is not None:
        planner.notices(tables["notices"])
    planner.presence(tables["presence"])
    planner.mobile(mobile)
    release: Release = planner.release
    if callable(previous):  # values published before, for the cells of this plan
        previous = previous(release.keys)
    for key, values in (previous or {}).items():
        release.previously(key, values)
    progress(f"release: protecting {len(release.keys):,} cells under "
             f"{len(release.members):,} relations")
    return planner, release.run(), cycle


def cell_text(key: tuple) -> str:
    return "|".join(key)


def _previous(session, keys: list[tuple]) -> dict[tuple, set[int]]:
    wanted = {cell_text(k): k for k in keys}
    found: dict[tuple, set[int]] = {}
    names = list(wanted)
    for start in range(0, len(names), 900):
        chunk = names[start:start + 900]
        for cell, value in session.execute(select(StatsPublished.cell, StatsPublished.value)
                                           .where(StatsPublished.cell.in_(chunk))):
            found.setdefault(wanted[cell], set()).add(value)
    return found


def run(db: Database, actor: Actor, as_of: date | None = None, engine_name: str = "duckdb",
        progress: Callable[[str], object] = print, *, inputs: Inputs | None = None,
        engine_options: dict | None = None, keep_snapshot: bool = False) -> Built:
    """Build, release and store; answers what was released. `inputs` given: aggregate that
    snapshot (benchmarks, tests) instead of exporting one."""
    settings = get_settings()
    from anju.core import clock

    as_of = as_of or clock.today() - timedelta(days=1)
    county = divisions.canonical(settings.county_code)
    timings: dict[str, float] = {}
    with db.unit_of_work() as session:
        Access(session, actor).allow(P.STATS_BUILD)
        build = StatsBuild(as_of=as_of, engine=engine_name, started_by=actor.username,
                           step="starting")
        session.add(build)
        session.flush()
        build_id = build.id

    steps: list[list] = []  # [message, seconds]: where a long build spends its time

    def step(message: str) -> None:
        now = time.perf_counter()
        if steps:
            steps[-1][1] = round(now - steps[-1][1], 2)
        steps.append([message, now])
        progress(f"stats build {build_id}: {message}")
        with db.unit_of_work() as s:
            s.get(StatsBuild, build_id).step = message[:200]

    folder = Path(settings.data_dir) / "monitoring" / f"build-{build_id}"
    single_blas = None
    started = time.perf_counter()
    try:
        if inputs is None:
            step("exporting the snapshot (pseudonymised)")
            snapshot(db, actor, folder / "snapshot", as_of)
            inputs = Inputs(folder / "snapshot")
        timings["snapshot"] = time.perf_counter() - started
        engine = open_engine(engine_name, folder / "engine", **(engine_options or {}))
        try:
            t = time.perf_counter()
            tables = aggregate(engine, inputs, as_of, step)
            timings["aggregate"] = time.perf_counter() - t
        finally:
            engine.close()
        _keep_aggregates(build_id, tables)
        t = time.perf_counter()
        with db.unit_of_work() as session:
            mobile = _mobile_rows(session, as_of)
        # The release's linear audit and the forecasts do many small matrix operations: BLAS
        # threads only spin on them (on a busy 2-core machine the release took 5×, the
        # forecasts 9× as long with OpenBLAS's default threads).
        single_blas = _one_blas_thread()

        def previous(keys: list[tuple]) -> dict[tuple, set[int]]:
            with db.unit_of_work() as session:
                return _previous(session, keys)

        planner, released, cycle = plan_release(tables, as_of, county, mobile, previous, step)
        timings["release"] = time.perf_counter() - t
        t = time.perf_counter()
        step("storing the released figures")
        store(db, actor, build_id, planner, released)
        timings["store"] = time.perf_counter() - t
        t = time.perf_counter()
        step("forecasts, warnings and KPIs from the released figures")
        derive.all(db, build_id, planner, released, cycle, as_of, county)
        timings["derive"] = time.perf_counter() - t
        timings["total"] = time.perf_counter() - started
        steps[-1][1] = round(time.perf_counter() - steps[-1][1], 2)
        with db.unit_of_work() as session:
            build = session.get(StatsBuild, build_id)
            build.status, build.finished_at, build.step = "done", utcnow(), "done"
            build.summary = {
                "cells": len(released.values), "withheld_small": released.primary,
                "withheld_complementary": released.complementary, "rounds": released.rounds,
                "seconds": {k: round(v, 2) for k, v in timings.items()},
                "steps": steps,
                "tables": len(planner.tables)}
            audit.append(session, actor, [audit.AuditEvent(
                P.STATS_BUILD, P.STATISTICS, None, "stats_build", str(build_id),
                {"as_of": as_of.isoformat(), "engine": engine_name,
                 "cells": len(released.values)})])
            _forget_old(session, build_id)
    except Exception as error:
        with db.unit_of_work() as session:
            build = session.get(StatsBuild, build_id)
            build.status, build.finished_at = "failed", utcnow()
            build.failure = f"{type(error).__name__}: {error}"[:500]
        raise
    finally:
        if single_blas is not None:
            single_blas.restore_original_limits()
        if not keep_snapshot:
            shutil.rmtree(folder, ignore_errors=True)
    return Built(build_id, as_of, released, planner, cycle, timings,
                 [(m, t) for m, t in steps])


def _one_blas_thread():
    """Limit every BLAS library to one thread, loading first the ones the release and the
    forecasts use (SciPy and statsmodels bring their own OpenBLAS; a limit applies only to
    libraries already loaded)."""
    import scipy.linalg  # noqa: F401
    import scipy.sparse.linalg  # noqa: F401
    import statsmodels.tsa.exponential_smoothing.ets  # noqa: F401

    return threadpool_limits(limits=1, user_api="blas")


def _keep_aggregates(build_id: int, tables: dict[str, pa.Table]) -> None:
    """The true stock counts of the latest build stay in the data directory (never served) for
    differential-privacy releases; older builds' go."""
    from anju.monitoring.service.admin import aggregates_path

    folder = aggregates_path(build_id)
    shutil.rmtree(folder.parent, ignore_errors=True)
    folder.mkdir(parents=True)
    pq.write_table(tables["stock"], folder / "stock.parquet")


def _mobile_rows(session, as_of: date) -> list[tuple[date, str, str, int]]:
    first = as_of - timedelta(days=rules.DAY_WINDOW - 1)
    rows = session.execute(select(MobileCount.day, MobileCount.division, MobileCount.origin,
                                  MobileCount.count)
                           .where(MobileCount.day >= first, MobileCount.day <= as_of)).all()
    summed: dict[tuple, int] = {}
    for day, division, origin, count in rows:  # several operators: the largest count per cell
        summed[(day, division, origin)] = max(summed.get((day, division, origin), 0), count)
    return [(*k, v) for k, v in summed.items()]


def store(db: Database, actor: Actor, build_id: int, planner: plan.Planner,
          released: Released) -> None:
    """The released cells, the tables they form, and the values newly published."""
    from anju.core.db import bulk_insert

    with db.unit_of_work() as session:
        bulk_insert(session, "stats_tables", _quoted("build_id", "table", "ref", "level", "dim"),
                    [(build_id, t, r, lv, d) for t, r, lv, d in sorted(planner.tables)])
        bulk_insert(session, "stats_cells",
                    _quoted("build_id", "table", "ref", "level", "division", "dim", "key",
                            "count"),
                    [(build_id, k[0], k[1], plan.level(k[2]), k[2], k[3], k[4], v)
                     for k, v in released.values.items()])
        shown = [k for k, v in released.values.items() if v]
        known = _previous(session, shown)
        bulk_insert(session, "stats_published", _quoted("cell", "value"),
                    [(cell_text(k), released.values[k]) for k in shown
                     if released.values[k] not in known.get(k, ())])


def _quoted(*names: str) -> list[str]:
    return [f'"{name}"' for name in names]


def _forget_old(session, build_id: int) -> None:
    """Released cells of builds before the last KEEP_BUILDS go (their summaries stay)."""
    from anju.monitoring.models import StatsArtifact

    old = select(StatsBuild.id).where(StatsBuild.id <= build_id - KEEP_BUILDS).scalar_subquery()
    for model in (StatsCell, StatsTable, StatsArtifact):
        session.execute(delete(model).where(model.build_id.in_(old)))


def ensure_built(db: Database, progress: Callable[[str], object] = print) -> Built | None:
    """A first statistics build unless one is done already (the demo county calls this, so the
    leader's and analyst's home shows figures at once; later builds come from the nightly job or
    `anju stats build`)."""
    from anju.core.identity import job_actor

    with db.unit_of_work() as session:
        done = session.execute(select(StatsBuild.id).where(StatsBuild.status == "done")
                               .limit(1)).first()
    if done is not None:
        return None
    return run(db, job_actor("monitoring.nightly"), progress=progress)
