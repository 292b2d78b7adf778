"""Shared fixtures: real databases (SQLite and a real PostgreSQL server), app clients, factories.

Service tests take the `db` fixture and so run twice, once per backend. Each test gets a fresh
database cloned from a migrated template, so tests never see each other's rows.
"""
from __future__ import annotations

import itertools
import os
import shutil

os.environ.setdefault("ANJU_ENVIRONMENT", "test")
os.environ.setdefault("ANJU_SECRET_KEY", "test-secret-key-not-for-production-0123456789")

import pytest  # noqa: E402

from anju.core import clock, migrate  # noqa: E402
from anju.core.config import reset_settings_cache  # noqa: E402
from anju.core.db import Database  # noqa: E402
from tests.support.pgserver import PgServer  # noqa: E402

_counter = itertools.count()


@pytest.fixture(scope="session")
def pg_server():
    server = PgServer().start()
    server.create_database("anju_template")
    migrate.upgrade(server.url("anju_template"))
    yield server
    server.stop()


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
