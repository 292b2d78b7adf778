"""calendar_years: the official holiday arrangements a county loads (anju calendar load, the
admin's calendar page), read by every server process

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 10:00:00.000000
"""
import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'calendar_years',
        sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('days', sa.JSON(), nullable=False),
        sa.Column('holidays', sa.Integer(), nullable=False),
        sa.Column('workdays', sa.Integer(), nullable=False),
        sa.Column('digest', sa.String(length=64), nullable=False),
        sa.Column('file_name', sa.String(length=200), nullable=True),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('loaded_at', sa.DateTime(), nullable=False),
        sa.Column('loaded_by', sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint('year', name=op.f('pk_calendar_years')),
        sa.UniqueConstraint('version', name=op.f('uq_calendar_years_version')),
    )


def downgrade() -> None:
    op.drop_table('calendar_years')
