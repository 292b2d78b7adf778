"""Shared fixtures: real databases (SQLite and a real PostgreSQL server), app clients, factories.

Service tests take the `db` fixture and so run twice, once per backend. Each test gets a fresh
database cloned from a migrated template, so tests never see each other's rows.

Heavy fixtures are built once per run: `./dev test` distributes with `--dist loadgroup`, and
`pytest_collection_modifyitems` below sends every test sharing a module- or session-scoped build
(the monitoring county, Spark, a module's demo county or browser) to the same worker; the
other tests are spread one by one.
"""
from __future__ import annotations

import atexit
import itertools
import os
import shutil
import tempfile

os.environ.setdefault("ANJU_ENVIRONMENT", "test")
# Module- and session-scoped fixtures (a demo county, the monitoring county) are set up before the
# per-test `_isolated_settings`, so they read this: each pytest process (each xdist worker) its
# own data directory, never the checkout's `var/` shared by both workers (two demo builds there
# removed each other's peer installation).
# (Workers inherit the controller's environment, hence the marker.)
if os.environ.get("ANJU_DATA_DIR") in (None, os.environ.get("ANJU_TEST_RUN_DATA")):
    _RUN_DATA = tempfile.mkdtemp(prefix="anju-test-data-")
    atexit.register(shutil.rmtree, _RUN_DATA, True)
    os.environ["ANJU_DATA_DIR"] = os.environ["ANJU_TEST_RUN_DATA"] = _RUN_DATA
os.environ.setdefault("ANJU_SECRET_KEY", "test-secret-key-not-for-production-0123456789")

import pytest  # noqa: E402
from _pytest.nodeid import NodeId  # noqa: E402

from anju.core import clock, migrate  # noqa: E402
from anju.core.config import reset_settings_cache  # noqa: E402
from anju.core.db import Database  # noqa: E402
from tests.support.pgserver import PgServer  # noqa: E402

_counter = itertools.count()
# Session fixtures too heavy to build on both workers, and the group of tests sharing them (the
# monitoring county's engines test runs on Spark, so Spark's tests join the county's worker).
SHARED = {"county": "county", "merged_county": "county", "spark": "county"}


@pytest.hookimpl(tryfirst=True)  # before xdist reads the marks
def pytest_collection_modifyitems(config, items):
    for item in items:
        info = getattr(item, "_fixtureinfo", None)
        if info is None:
            continue
        group = next((SHARED[name] for name in item.fixturenames if name in SHARED), None)
        if group is None and any(d.scope == "module" for defs in info.name2fixturedefs.values()
                                 for d in defs):
            group = item.nodeid.split("::")[0]  # its module's fixture is built once
        if group:
            item.add_marker(pytest.mark.xdist_group(group))
            if getattr(config.option, "loadgroup", False) and hasattr(item, "_id"):
                # xdist 3.8 tells the scheduler a test's group by suffixing its node id with
                # `@group` through `item._nodeid`, which pytest 9 no longer reads (ids live in
                # `item._id`): without this the groups are ignored and heavy fixtures are built
                # on both workers.
                item._id = NodeId.parse(f"{item.nodeid}@{group}")


@pytest.fixture(scope="session")
def pg_server():
    # no WAL for what nobody replicates: a clone of the template (FILE_COPY) then writes none
    server = PgServer(settings={"wal_level": "minimal", "max_wal_senders": "0"}).start()
    server.create_database("anju_template")
    migrate.upgrade(server.url("anju_template"))
    yield server
    server.stop(wait=False)  # its folder is removed in the background: nobody waits for it


@pytest.fixture(scope="session")
def spark(tmp_path_factory):
    """One Spark session in local mode for the run (a JVM takes seconds to start), configured
    for both its users: Splink's linkage (its similarity jar, checkpoints) and the monitoring
    engine (UTC session time)."""
    from pyspark.sql import SparkSession
    from splink.backends.spark import similarity_jar_location

    session = (
        SparkSession.builder.master("local[2]").appName("anju-test")
        .config("spark.jars", similarity_jar_location())
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.driver.memory", "1g")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.local.dir", str(tmp_path_factory.mktemp("spark")))
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    session.sparkContext.setCheckpointDir(str(tmp_path_factory.mktemp("checkpoints")))
    yield session
    session.stop()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory):
    path = tmp_path_factory.mktemp("sqlite") / "template.sqlite3"
    migrate.upgrade(f"sqlite:///{path}")
    return path


def _fresh_sqlite(template, tmp_path) -> str:
    path = tmp_path / f"anju-{next(_counter)}.sqlite3"
    shutil.copyfile(template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def sqlite_db(sqlite_template, tmp_path):
    db = Database(_fresh_sqlite(sqlite_template, tmp_path))
    yield db
    db.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request, tmp_path, sqlite_template):
    if request.param == "sqlite":
        url = _fresh_sqlite(sqlite_template, tmp_path)
    else:
        server = request.getfixturevalue("pg_server")
        url = server.create_database(f"t{os.getpid()}_{next(_counter)}", template="anju_template")
    database = Database(url, pool_size=5)
    yield database
    database.dispose()


@pytest.fixture(autouse=True)
def _isolated_settings(tmp_path, monkeypatch):
    monkeypatch.setenv("ANJU_DATA_DIR", str(tmp_path / "data"))
    reset_settings_cache()
    yield
    clock.pin_today(None)
    reset_settings_cache()


@pytest.fixture
def world(db):
    """A small county: accounts for every role, a landlord with a house, a resident."""
    from tests.factories import build_world

    return build_world(db)


@pytest.fixture
def client(db):
    from fastapi.testclient import TestClient

    from anju.web.app import create_app

    with TestClient(create_app(db=db)) as c:
        yield c
