"""federation: an arrival notice keeps the registration it is about (shown to the person)

Revision ID: 0025
Revises: 0022
"""
import sqlalchemy as sa
from alembic import op

revision = '0025'
down_revision = '0024'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('federation_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('registration_id', sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('federation_messages', schema=None) as batch_op:
        batch_op.drop_column('registration_id')
