"""Migrations run on both databases and match the models exactly (no forgotten revision)."""
from __future__ import annotations

import itertools
import os
from datetime import date, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, create_engine, text

from anju.core import migrate
from anju.core.db import Base
from anju.core.migrate import alembic_config
from anju.migrations.models import import_all_models

_fresh = itertools.count()


def test_models_and_migrations_are_in_sync(db):
    import_all_models()
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diff = compare_metadata(context, Base.metadata)
    assert diff == [], f"models differ from migrations; add a revision: {diff}"


def test_one_head_and_the_database_is_at_it(db):
    script = ScriptDirectory.from_config(alembic_config(db.url))
    heads = script.get_heads()
    assert len(heads) == 1, f"several migration heads: {heads}"
    with db.engine.connect() as connection:
        assert MigrationContext.configure(connection).get_current_revision() == heads[0]


def _old_chain(url: str, tamper_seq: int | None = None) -> None:
    """Four entries hashed the way revisions before 0006 did (plain, public SM3)."""
    from datetime import datetime
    from types import SimpleNamespace

    from sqlalchemy import create_engine, text

    from anju.core.audit import GENESIS, canonical
    from anju.core.crypto import sm3_hex

    engine = create_engine(url)
    prev = GENESIS
    with engine.begin() as c:
        for seq in range(1, 5):
            row = SimpleNamespace(seq=seq, at=datetime(2026, 1, seq, 8, 0), account_id=1,
                                  username="police-1", role="police", action="person.read",
                                  person_code=f"P{seq:011d}", object_type="person",
                                  object_id=str(seq), purpose="registration_management",
                                  detail={"i": seq})
            entry_hash = sm3_hex(prev + "\n" + canonical(row))
            c.execute(text(
                "INSERT INTO audit_entries (seq, at, account_id, username, role, action, "
                "person_code, object_type, object_id, purpose, detail, prev_hash, entry_hash) "
                "VALUES (:seq, :at, 1, 'police-1', 'police', 'person.read', :pc, 'person', :oid, "
                ":purpose, :detail, :prev, :hash)"),
                {"seq": seq, "at": row.at, "pc": row.person_code, "oid": row.object_id,
                 "purpose": "curiosity" if seq == tamper_seq else row.purpose,
                 "detail": f'{{"i": {seq}}}', "prev": prev, "hash": entry_hash})
            prev = entry_hash
        c.execute(text("UPDATE audit_head SET last_seq = 4, last_hash = :h WHERE id = 1"),
                  {"h": prev})
    engine.dispose()


def test_0006_reseals_an_intact_old_chain_under_the_key(tmp_path):
    from anju.core import audit, migrate
    from anju.core.db import Database

    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    migrate.upgrade(url, "0004")
    _old_chain(url)
    migrate.upgrade(url)
    db = Database(url)
    with db.unit_of_work() as s:
        result = audit.verify_chain(s)
    db.dispose()
    assert result.ok and result.checked == 4


def test_0006_leaves_an_old_tampered_entry_named(tmp_path):
    """Re-sealing stops at the first entry the old hash no longer matched: the tampering
    stays visible instead of being blessed by the upgrade."""
    from anju.core import audit, migrate
    from anju.core.db import Database

    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    migrate.upgrade(url, "0004")
    _old_chain(url, tamper_seq=3)
    migrate.upgrade(url)
    db = Database(url)
    with db.unit_of_work() as s:
        result = audit.verify_chain(s)
    db.dispose()
    assert not result.ok and result.bad_seq == 3

@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'empty.sqlite3'}"
    server = request.getfixturevalue("pg_server")
    return server.create_database(f"m{os.getpid()}_{next(_fresh)}")


def test_0005_puts_people_back_where_only_an_approval_may_place_them(empty_url):
    """Before 0005 a submission moved its person at once. The upgrade recovers where each person
    was taken in (the creating account's jurisdiction, from the audit chain) and places everyone
    by their approved registration alone."""
    migrate.upgrade(empty_url, "0004")
    engine = create_engine(empty_url)
    now = datetime(2026, 11, 1, 8, 0)
    def person(code: str, division: str) -> dict:
        return {"person_code": code, "name": code, "id_cipher": "c", "id_hash": code, "sex": "M",
                "birth_date": date(1990, 1, 1), "division_code": division, "status": "active",
                "created_at": now, "updated_at": now}

    def registration(code: str, room: int, division: str, status: str) -> dict:
        return {"person_code": code, "room_id": room, "division_code": division,
                "landlord_person_code": "PLANDLORD", "start_date": date(2026, 3, 1),
                "reason": "work", "status": status, "submitted_by": "someone", "created_at": now}

    rows = {
        "accounts": [{"id": 1, "username": "police-hq", "password_hash": "x", "role": "police",
                      "division_code": "330522101000", "active": True, "token_version": 1,
                      "created_at": now}],
        # PMOVED sits where a submission nobody approved put them
        "persons": [person("PMOVED", "330522001001"), person("PAPPROVED", "330522000000"),
                    person("PLOADED", "330522002000"), person("PLANDLORD", "330522001000")],
        "houses": [{"id": 1, "address": "明珠路 1 号", "division_code": "330522001001",
                    "landlord_person_code": "PLANDLORD", "created_at": now},
                   {"id": 2, "address": "长桥村 2 号", "division_code": "330522002201",
                    "landlord_person_code": "PLANDLORD", "created_at": now}],
        "rooms": [{"id": 1, "house_id": 1, "label": "101", "capacity": 2},
                  {"id": 2, "house_id": 2, "label": "1", "capacity": 2}],
        "registrations": [registration("PMOVED", 1, "330522001001", "submitted"),
                          registration("PAPPROVED", 2, "330522002201", "approved")],
        "audit_entries": [{"seq": 1, "at": now, "account_id": 1, "username": "police-hq",
                           "role": "police", "action": "person.create",
                           "person_code": "PMOVED", "purpose": "x"}],
    }
    metadata = MetaData()
    metadata.reflect(engine)
    with engine.begin() as connection:
        for table, values in rows.items():
            connection.execute(metadata.tables[table].insert(), values)
    migrate.upgrade(empty_url)
    with engine.connect() as connection:
        placed = {code: (division, base) for code, division, base in connection.execute(text(
            "SELECT person_code, division_code, base_division_code FROM persons"))}
    engine.dispose()
    assert placed == {
        "PMOVED": ("330522101000", "330522101000"),  # back with the office that took them in
        "PAPPROVED": ("330522002201", "330522000000"),  # at their approved registration
        "PLOADED": ("330522002000", "330522002000"),  # a bulk load: stays where it was put
        "PLANDLORD": ("330522001000", "330522001000"),
    }


def test_0026_moves_unsealed_entries_to_the_queue_with_their_ids_and_back(empty_url):
    """Entries written before 0026 and not sealed yet wait in audit_pending afterwards, with
    their ids; new entries get ids above every old one (SQLite: the AUTOINCREMENT counter is
    seeded; PostgreSQL: the queue draws from audit_entries' sequence); the downgrade puts the
    queue back as unsealed rows."""
    from alembic import command

    from anju.core import audit, sealer
    from anju.core.audit import AuditEvent
    from anju.core.db import Database
    from anju.core.policy import Actor, Role
    from anju.registry.policy import PERSON_READ, REGISTRATION_MANAGEMENT

    migrate.upgrade(empty_url, "0025")
    engine = create_engine(empty_url)
    with engine.begin() as c:
        for seq in (None, 1, None):  # ids 1-3; id 2 sealed (its hash does not matter here)
            c.execute(text("INSERT INTO audit_entries (part, seq, at, username, role, action, "
                           "purpose) VALUES (0, :seq, '2026-01-01 00:00:00', 'police-1', "
                           "'police', 'person.read', 'registration_management')"), {"seq": seq})
        c.execute(text("DELETE FROM audit_entries WHERE id = 3"))
        c.execute(text("INSERT INTO audit_entries (id, part, at, username, role, action, purpose) "
                       "VALUES (9, 0, '2026-01-01 00:00:00', 'police-1', 'police', "
                       "'person.read', 'registration_management')"))
    migrate.upgrade(empty_url)
    with engine.connect() as c:
        assert c.execute(text("SELECT id FROM audit_pending ORDER BY id")).scalars().all() == [1, 9]
        assert c.execute(text("SELECT id FROM audit_entries")).scalars().all() == [2]
    db = Database(empty_url)
    actor = Actor(account_id=1, username="police-1", role=Role.POLICE,
                  division_code="330522000000")
    with db.unit_of_work() as s:
        audit.append(s, actor, [AuditEvent(PERSON_READ, REGISTRATION_MANAGEMENT, "P1")])
    with db.reading() as s:
        new = s.execute(text("SELECT id FROM audit_pending WHERE person_code = 'P1'")).scalar_one()
    assert new > 3 and new != 9  # above every id handed out (the sequence, SQLite's counter)
    with db.unit_of_work() as s:  # the pre-0026 sealed entry 2 is a bogus chain: seal apart
        s.execute(text("DELETE FROM audit_entries"))
    assert sealer.seal_all(db) == 3
    with db.unit_of_work() as s:
        audit.append(s, actor, [AuditEvent(PERSON_READ, REGISTRATION_MANAGEMENT, "P1")])
    db.dispose()
    command.downgrade(migrate.alembic_config(empty_url), "0025")
    with engine.connect() as c:
        rows = c.execute(text("SELECT id, seq FROM audit_entries ORDER BY id")).all()
    engine.dispose()
    assert {r.id: r.seq is None for r in rows} == {1: False, 9: False, new: False, new + 1: True}
