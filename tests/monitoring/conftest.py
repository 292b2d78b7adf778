"""Monitoring fixtures: a small demo county with one statistics build, shared by the tests of
this folder (building it takes a few seconds)."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta

import pytest

from anju.core.config import reset_settings_cache
from tests.support.datadir import county_copy

PERSONS = 1500


@pytest.fixture(scope="session", autouse=True)
def one_blas_thread():
    """The attacker's SVDs and least squares are small: OpenBLAS's threads only spin on them on
    a busy machine (the build limits itself the same way, anju.monitoring.build)."""
    from anju.monitoring.build import _one_blas_thread

    limits = _one_blas_thread()
    yield
    limits.restore_original_limits()


@pytest.fixture(scope="session")
def county(sqlite_template, tmp_path_factory):
    """(database, data directory) of a demo county of PERSONS residents, built and released."""
    from anju.core.identity import job_actor
    from anju.demo import build as demo
    from anju.monitoring import build

    folder = tmp_path_factory.mktemp("county")
    with county_copy(sqlite_template, folder) as db:
        demo.ensure_demo(db, persons=PERSONS, progress=lambda m: None)
        built = build.run(db, job_actor("monitoring.nightly"), progress=lambda m: None)
    yield db, folder / "data", built
    db.dispose()


@pytest.fixture
def county_data(county, monkeypatch):
    """The county, with the settings pointing at its data directory (for DP releases)."""
    db, data, built = county
    monkeypatch.setenv("ANJU_DATA_DIR", str(data))
    reset_settings_cache()
    return db, built


@dataclass
class Merged:
    inputs: object  # anju.monitoring.build.Inputs: the county's snapshot, crosswalk with a merge
    as_of: date
    effective: date
    kept: str  # the township that stays
    merged: str  # the township merged into it


@pytest.fixture(scope="session")
def merged_county(county, tmp_path_factory):
    """The county's snapshot with the second-busiest township merged into the busiest 200 days
    before the as-of date; its villages take new codes under the one kept, as a real merge
    renumbers them."""
    import pyarrow.parquet as pq

    from anju.core.identity import job_actor
    from anju.monitoring import build, rules

    db, _, built = county
    folder = tmp_path_factory.mktemp("merged") / "snapshot"
    build.snapshot(db, job_actor("monitoring.nightly"), folder, built.as_of)
    places = pq.read_table(folder / "registrations.parquet",
                           columns=["division"]).column(0).to_pylist()
    (kept, _), (merged, _) = Counter(d[:9] + "000" for d in places).most_common(2)
    effective = built.as_of - timedelta(days=200)
    villages = sorted({d for d in places if d[:9] == merged[:9] and d != merged})
    changes = [rules.Change(effective, merged, kept, "merge")]
    changes += [rules.Change(effective, v, f"{kept[:9]}{900 + i:03d}", "move")
                for i, v in enumerate(villages)]
    return Merged(build.Inputs(folder, rules.Crosswalk(changes)), built.as_of, effective, kept,
                  merged)
