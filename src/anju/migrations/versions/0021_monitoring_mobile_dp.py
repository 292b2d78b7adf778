"""monitoring: operators' mobile-network counts (aggregates only) and the
differential-privacy budget ledger

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-06 03:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('mobile_imports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('operator', sa.String(length=32), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('rows', sa.Integer(), nullable=False),
    sa.Column('first_day', sa.Date(), nullable=False),
    sa.Column('last_day', sa.Date(), nullable=False),
    sa.Column('imported_at', sa.DateTime(), nullable=False),
    sa.Column('imported_by', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mobile_imports'))
    )

    op.create_table('mobile_counts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('import_id', sa.Integer(), nullable=False),
    sa.Column('operator', sa.String(length=32), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('division', sa.String(length=12), nullable=False),
    sa.Column('origin', sa.String(length=12), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['import_id'], ['mobile_imports.id'], name=op.f('fk_mobile_counts_import_id_mobile_imports')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mobile_counts')),
    sa.UniqueConstraint('operator', 'day', 'division', 'origin', name='uq_mobile_counts_cell')
    )
    with op.batch_alter_table('mobile_counts', schema=None) as batch_op:
        batch_op.create_index('ix_mobile_counts_day', ['day'], unique=False)
        batch_op.create_index(batch_op.f('ix_mobile_counts_import_id'), ['import_id'], unique=False)

    op.create_table('dp_releases',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('build_id', sa.Integer(), nullable=False),
    sa.Column('table', sa.String(length=16), nullable=False),
    sa.Column('ref', sa.String(length=16), nullable=False),
    sa.Column('level', sa.Integer(), nullable=False),
    sa.Column('dim', sa.String(length=24), nullable=False),
    sa.Column('epsilon', sa.Float(), nullable=False),
    sa.Column('scale', sa.Float(), nullable=False),
    sa.Column('accuracy', sa.Integer(), nullable=False),
    sa.Column('cells', sa.JSON(), nullable=False),
    sa.Column('released_by', sa.String(length=64), nullable=False),
    sa.Column('released_at', sa.DateTime(), nullable=False),
    sa.Column('withdrawn', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['build_id'], ['stats_builds.id'], name=op.f('fk_dp_releases_build_id_stats_builds')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dp_releases')),
    sa.UniqueConstraint('build_id', 'table', 'ref', 'level', 'dim', name='uq_dp_releases_table')
    )


def downgrade() -> None:
    op.drop_table('dp_releases')
    op.drop_table('mobile_counts')
    op.drop_table('mobile_imports')
