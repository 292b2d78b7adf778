"""audit chain in partitions: entries get a partition, heads one row per partition

The single chain becomes partition 0 (its entries, its head, its genesis), so a chain and a
witness file from before stay valid; the other partitions start empty. Entries are appended
unsealed and sealed by the sealer (anju.core.sealer).

Revision ID: 0023
Revises: 0022
"""
import sqlalchemy as sa
from alembic import op
from cryptography.hazmat.primitives import hashes

revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None

PARTITIONS = 16  # fixed from here on: the rows of audit_heads are the partitions
GENESIS = "0" * 64


def _genesis(part: int) -> str:  # anju.core.audit.genesis, frozen here
    if part == 0:
        return GENESIS
    h = hashes.Hash(hashes.SM3())
    h.update(f"anju/audit/partition/{part}".encode())
    return h.finalize().hex()


HEADS = sa.table('audit_heads', sa.column('part', sa.Integer),
                 sa.column('last_seq', sa.Integer), sa.column('last_hash', sa.String))


def upgrade() -> None:
    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('part', sa.Integer(), server_default='0', nullable=False))
        batch_op.drop_constraint('uq_audit_entries_seq', type_='unique')
        batch_op.drop_index('ix_audit_entries_person_seq')
        batch_op.create_unique_constraint('uq_audit_entries_part_seq', ['part', 'seq'])
        batch_op.create_index('ix_audit_entries_person_id', ['person_code', 'id'], unique=False)
        batch_op.create_index('ix_audit_entries_pending', ['part', 'id'], unique=False,
                              sqlite_where=sa.text('seq IS NULL'),
                              postgresql_where=sa.text('seq IS NULL'))
    op.create_table('audit_heads',
    sa.Column('part', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('last_seq', sa.Integer(), nullable=False),
    sa.Column('last_hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('part', name=op.f('pk_audit_heads'))
    )
    bind = op.get_bind()
    old = bind.execute(sa.text("SELECT last_seq, last_hash FROM audit_head WHERE id = 1")).first()
    rows = [{"part": p, "last_seq": 0, "last_hash": _genesis(p)} for p in range(PARTITIONS)]
    if old is not None:
        rows[0].update(last_seq=old.last_seq, last_hash=old.last_hash)
    op.bulk_insert(HEADS, rows)
    op.drop_table('audit_head')


def downgrade() -> None:
    op.create_table('audit_head',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('last_seq', sa.Integer(), nullable=False),
    sa.Column('last_hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_head'))
    )
    bind = op.get_bind()
    head = bind.execute(sa.text("SELECT last_seq, last_hash FROM audit_heads WHERE part = 0")).first()
    op.bulk_insert(sa.table('audit_head', sa.column('id', sa.Integer),
                            sa.column('last_seq', sa.Integer), sa.column('last_hash', sa.String)),
                   [{"id": 1, "last_seq": head.last_seq if head else 0,
                     "last_hash": head.last_hash if head else GENESIS}])
    op.drop_table('audit_heads')
    # entries of the other partitions cannot join the single chain: they go back unsealed
    bind.execute(sa.text("UPDATE audit_entries SET seq = NULL, prev_hash = NULL, "
                         "entry_hash = NULL WHERE part <> 0"))
    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_entries_pending', sqlite_where=sa.text('seq IS NULL'),
                            postgresql_where=sa.text('seq IS NULL'))
        batch_op.drop_index('ix_audit_entries_person_id')
        batch_op.drop_constraint('uq_audit_entries_part_seq', type_='unique')
        batch_op.create_index('ix_audit_entries_person_seq', ['person_code', 'seq'], unique=False)
        batch_op.create_unique_constraint('uq_audit_entries_seq', ['seq'])
        batch_op.drop_column('part')
