"""Migrations run on both databases and match the models exactly (no forgotten revision)."""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from anju.core.db import Base
from anju.migrations.models import import_all_models
from anju.core.migrate import alembic_config


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
