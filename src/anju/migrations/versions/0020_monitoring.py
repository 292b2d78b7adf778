"""monitoring: builds, their published tables and released cells, the values ever
published (revision rule), derived artifacts (forecasts, warnings, KPIs), county settings

Revision ID: 0020
Revises: 0015
Create Date: 2026-12-06 03:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('stats_builds',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('as_of', sa.Date(), nullable=False),
    sa.Column('engine', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('step', sa.String(length=200), nullable=True),
    sa.Column('started_at', sa.DateTime(), nullable=False),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.Column('started_by', sa.String(length=64), nullable=False),
    sa.Column('summary', sa.JSON(), nullable=True),
    sa.Column('failure', sa.String(length=500), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stats_builds'))
    )
    with op.batch_alter_table('stats_builds', schema=None) as batch_op:
        batch_op.create_index('ix_stats_builds_status', ['status', 'id'], unique=False)

    op.create_table('stats_tables',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('build_id', sa.Integer(), nullable=False),
    sa.Column('table', sa.String(length=16), nullable=False),
    sa.Column('ref', sa.String(length=16), nullable=False),
    sa.Column('level', sa.Integer(), nullable=False),
    sa.Column('dim', sa.String(length=24), nullable=False),
    sa.ForeignKeyConstraint(['build_id'], ['stats_builds.id'], name=op.f('fk_stats_tables_build_id_stats_builds')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stats_tables'))
    )
    with op.batch_alter_table('stats_tables', schema=None) as batch_op:
        batch_op.create_index('ix_stats_tables_lookup', ['build_id', 'table', 'dim', 'ref'], unique=False)

    op.create_table('stats_cells',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('build_id', sa.Integer(), nullable=False),
    sa.Column('table', sa.String(length=16), nullable=False),
    sa.Column('ref', sa.String(length=16), nullable=False),
    sa.Column('level', sa.Integer(), nullable=False),
    sa.Column('division', sa.String(length=16), nullable=False),
    sa.Column('dim', sa.String(length=24), nullable=False),
    sa.Column('key', sa.String(length=16), nullable=False),
    sa.Column('count', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['build_id'], ['stats_builds.id'], name=op.f('fk_stats_cells_build_id_stats_builds')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stats_cells'))
    )
    with op.batch_alter_table('stats_cells', schema=None) as batch_op:
        batch_op.create_index('ix_stats_cells_lookup', ['build_id', 'table', 'ref', 'level', 'dim'], unique=False)

    op.create_table('stats_published',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cell', sa.String(length=96), nullable=False),
    sa.Column('value', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stats_published')),
    sa.UniqueConstraint('cell', 'value', name='uq_stats_published_cell_value')
    )

    op.create_table('stats_artifacts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('build_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('division', sa.String(length=16), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['build_id'], ['stats_builds.id'], name=op.f('fk_stats_artifacts_build_id_stats_builds')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stats_artifacts'))
    )
    with op.batch_alter_table('stats_artifacts', schema=None) as batch_op:
        batch_op.create_index('ix_stats_artifacts_lookup', ['build_id', 'kind', 'division'], unique=False)

    op.create_table('monitoring_settings',
    sa.Column('county_code', sa.String(length=6), nullable=False),
    sa.Column('growth_warning_pct', sa.Float(), nullable=False),
    sa.Column('grid_load_max', sa.Integer(), nullable=False),
    sa.Column('anomaly_level', sa.Float(), nullable=False),
    sa.Column('mobile_retention_days', sa.Integer(), nullable=False),
    sa.Column('dp_budget', sa.Float(), nullable=False),
    sa.Column('dp_epsilon', sa.Float(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('updated_by', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('county_code', name=op.f('pk_monitoring_settings'))
    )


def downgrade() -> None:
    op.drop_table('monitoring_settings')
    op.drop_table('stats_artifacts')
    op.drop_table('stats_published')
    op.drop_table('stats_cells')
    op.drop_table('stats_tables')
    op.drop_table('stats_builds')
