"""audit roots: the Merkle roots of the partitions' heads, recorded by the sealer

Revision ID: 0024
Revises: 0023
"""
import sqlalchemy as sa
from alembic import op

revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('audit_roots',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('heads', sa.Text(), nullable=False),
    sa.Column('root', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_roots'))
    )


def downgrade() -> None:
    op.drop_table('audit_roots')
