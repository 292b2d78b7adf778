"""audit pending queue: unsealed entries live in audit_pending; audit_entries is insert-only

Requests insert their entries into `audit_pending`; the sealer deletes a batch from there and
inserts it, sealed, into `audit_entries` with the same ids (anju.core.sealer). The entries that
were waiting for the sealer move over with their ids, and the partial index that found them
(and filled up with dead entries as rows were sealed) goes.

Ids stay unique across both tables: on PostgreSQL `audit_pending.id` draws from
`audit_entries`' own sequence; on SQLite `audit_pending` is AUTOINCREMENT, its counter seeded
with the largest id `audit_entries` held (AUTOINCREMENT never hands out an id again, even when
the queue is empty).

Revision ID: 0026
Revises: 0025
"""
import sqlalchemy as sa
from alembic import op

revision = '0026'
down_revision = '0025'
branch_labels = None
depends_on = None

CONTENT = ("id, part, at, account_id, username, role, action, person_code, object_type, "
           "object_id, purpose, detail")
# a queue: vacuumed after every few thousand sealed rows, whatever its size
AUTOVACUUM = ("autovacuum_vacuum_threshold = 2000, autovacuum_vacuum_scale_factor = 0, "
              "autovacuum_vacuum_insert_threshold = 2000, "
              "autovacuum_vacuum_insert_scale_factor = 0, autovacuum_analyze_threshold = 2000, "
              "autovacuum_analyze_scale_factor = 0")


def upgrade() -> None:
    bind = op.get_bind()
    pg = bind.dialect.name == "postgresql"
    sequence = bind.execute(sa.text(
        "SELECT pg_get_serial_sequence('audit_entries', 'id')")).scalar() if pg else None
    op.create_table('audit_pending',
    sa.Column('id', sa.Integer(), nullable=False,
              server_default=sa.text(f"nextval('{sequence}'::regclass)") if pg else None),
    sa.Column('part', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=True),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('role', sa.String(length=32), nullable=False),
    sa.Column('action', sa.String(length=48), nullable=False),
    sa.Column('person_code', sa.String(length=16), nullable=True),
    sa.Column('object_type', sa.String(length=32), nullable=True),
    sa.Column('object_id', sa.String(length=64), nullable=True),
    sa.Column('purpose', sa.String(length=48), nullable=False),
    sa.Column('detail', sa.JSON(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_pending')),
    sqlite_autoincrement=True,
    )
    if pg:
        op.execute(f"ALTER TABLE audit_pending SET ({AUTOVACUUM})")
    op.execute(f"INSERT INTO audit_pending ({CONTENT}) SELECT {CONTENT} FROM audit_entries "
               "WHERE seq IS NULL")
    op.execute("DELETE FROM audit_entries WHERE seq IS NULL")
    if not pg:  # the AUTOINCREMENT counter: above every id either table holds
        top = bind.execute(sa.text("SELECT max(id) FROM (SELECT max(id) AS id FROM audit_entries "
                                   "UNION ALL SELECT max(id) FROM audit_pending)")).scalar() or 0
        op.execute("DELETE FROM sqlite_sequence WHERE name = 'audit_pending'")
        bind.execute(sa.text("INSERT INTO sqlite_sequence (name, seq) VALUES ('audit_pending', :t)"),
                     {"t": top})
    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_entries_pending', sqlite_where=sa.text('seq IS NULL'),
                            postgresql_where=sa.text('seq IS NULL'))


def downgrade() -> None:
    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.create_index('ix_audit_entries_pending', ['part', 'id'], unique=False,
                              sqlite_where=sa.text('seq IS NULL'),
                              postgresql_where=sa.text('seq IS NULL'))
    op.execute(f"INSERT INTO audit_entries ({CONTENT}) SELECT {CONTENT} FROM audit_pending")
    op.drop_table('audit_pending')
