"""Monitoring fixtures: a small demo county with one statistics build, shared by the tests of
this folder (building it takes a few seconds)."""
from __future__ import annotations

import os
import shutil

import pytest

from anju.core.config import reset_settings_cache
from anju.core.db import Database

PERSONS = 1500


@pytest.fixture(scope="session")
def county(sqlite_template, tmp_path_factory):
    """(database, data directory) of a demo county of PERSONS residents, built and released."""
    from anju.core.identity import job_actor
    from anju.demo import build as demo
    from anju.monitoring import build

    folder = tmp_path_factory.mktemp("county")
    path = folder / "county.sqlite3"
    shutil.copyfile(sqlite_template, path)
    before = os.environ.get("ANJU_DATA_DIR")
    os.environ["ANJU_DATA_DIR"] = str(folder / "data")
    reset_settings_cache()
    try:
        db = Database(f"sqlite:///{path}")
        demo.ensure_demo(db, persons=PERSONS, progress=lambda m: None)
        built = build.run(db, job_actor("monitoring.nightly"), progress=lambda m: None)
    finally:
        if before is None:
            os.environ.pop("ANJU_DATA_DIR", None)
        else:
            os.environ["ANJU_DATA_DIR"] = before
        reset_settings_cache()
    yield db, folder / "data", built
    db.dispose()


@pytest.fixture
def county_data(county, monkeypatch):
    """The county, with the settings pointing at its data directory (for DP releases)."""
    db, data, built = county
    monkeypatch.setenv("ANJU_DATA_DIR", str(data))
    reset_settings_cache()
    return db, built
