"""The one list of domains: every descriptor resolves, every consumer reads it, and cross-domain
reactions run wherever the emitting domain runs — not only where someone happened to import the
listening domain."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from fastapi import APIRouter
from sqlalchemy import Table

from anju.core import domain, events
from anju.core.domain import Domain, domains, resolve

ROOT = Path(__file__).resolve().parents[2]


def test_every_descriptor_resolves():
    names = [d.name for d in domains()]
    assert names[:2] == ["core", "registry"]
    for described in domains():
        if described.api:
            assert isinstance(resolve(described.api), APIRouter), described.name
        if described.pages:
            pages = resolve(described.pages)
            assert isinstance(pages.router, APIRouter) and pages.TEMPLATES.is_dir(), described.name
        for _name, target in described.cli:
            assert resolve(target).registered_commands or resolve(target).registered_groups, \
                described.name
        for _event, target in described.listeners:
            assert callable(resolve(target))
        for job in described.jobs:
            assert callable(resolve(job.target)) and job.help_zh and job.help_en


def test_every_consumer_reads_the_one_list(sqlite_db):
    """The app serves each declared router, Alembic sees each declared models module, the CLI
    mounts each declared group."""
    from anju.cli.main import app as cli
    from anju.core.db import Base
    from anju.migrations.models import import_all_models
    from anju.web.app import create_app
    from tests.api.test_route_contract import all_routes

    app = create_app(db=sqlite_db)
    served = {path for path, _methods in all_routes(app)}
    for _described, router in domain.parts("api"):
        assert {path for path, _methods in all_routes(router)} <= served
    import_all_models()
    for _described, module in domain.parts("models"):
        # tables, not read models over a query (audit_log: the chain and its queue together)
        tables = {v.__table__.name for v in vars(module).values()
                  if isinstance(getattr(v, "__table__", None), Table)}
        assert tables <= set(Base.metadata.tables)
    groups = {group.name for group in cli.registered_groups}
    assert {name for d in domains() for name, _target in d.cli} <= groups


def test_an_undeclared_event_or_listener_is_refused(monkeypatch):
    stray = Domain(name="stray", listeners=(("no.such.event", "anju.housing.jobs:daily"),))
    monkeypatch.setattr(domain, "domains", lambda: (*domains(), stray))
    monkeypatch.setattr(events, "domains", lambda: (*domains(), stray))
    events._table.cache_clear()
    try:
        with pytest.raises(RuntimeError, match="no domain emits"):
            events.emit(None, None, "registration.approved", None)
        with pytest.raises(RuntimeError, match="not declared"):
            events.emit(None, None, "no.such.event", None)
    finally:
        monkeypatch.undo()
        events._table.cache_clear()


# The script imports the registry alone (and checks that this imported no housing code), approves
# a registration, and reports how many tenant keys exist afterwards.
_REGISTRY_ONLY = textwrap.dedent("""
    import sys
    from datetime import date
    from anju.core.db import Database
    db = Database(sys.argv[1])
    from tests.factories import make_account, make_house, make_person, submit, valid_id
    from anju.registry import service
    before = any(n.startswith("anju.housing") for n in sys.modules)
    police = make_account(db, "police")
    landlord = make_person(db, police, "李建国", id_number=valid_id("330522"))
    tenant = make_person(db, police, "王芳", id_number=valid_id("341221"))
    house = make_house(db, police, landlord)
    reg = submit(db, police, tenant, house["rooms"][0]["room_id"], start=date(2026, 1, 5))
    with db.unit_of_work() as s:
        service.approve_registration(s, police, reg)
    with db.unit_of_work() as s:
        keys = s.connection().exec_driver_sql(
            "SELECT count(*) FROM ekeys WHERE status = 'active' AND kind = 'tenant'").scalar()
    print(before, keys)
""")


def test_listeners_run_in_a_process_that_imports_only_the_registry(tmp_path):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)]),
           "ANJU_DATA_DIR": str(tmp_path / "data")}
    from anju.core import migrate

    url = f"sqlite:///{tmp_path / 'only-registry.sqlite3'}"
    migrate.upgrade(url)  # here, not in the child: migrating imports every domain's models
    done = subprocess.run([sys.executable, "-c", _REGISTRY_ONLY, url], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    housing_imported_before, keys = done.stdout.split()
    assert housing_imported_before == "False"  # nobody imported housing to subscribe it
    assert keys == "1"  # yet the approval issued the tenant's key
