"""Migrations run on both databases and match the models exactly (no forgotten revision)."""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from anju.core.db import Base
from anju.core.migrate import alembic_config
from anju.migrations.models import import_all_models


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
