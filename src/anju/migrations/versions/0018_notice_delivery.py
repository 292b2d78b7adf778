"""notices: the outbound channel's message id, to follow a text message's delivery report

Revision ID: 0018
Revises: 0015
Create Date: 2026-12-06 04:05:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0018'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('channel_message_id', sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_column('channel_message_id')
