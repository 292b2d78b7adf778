"""exchange_import_errors: stored as the one row-error type (anju.core.errors.RowError), so
reason_zh/reason_en become message_zh/message_en. A rename: rows already stored keep their
words and are read the same way.

Revision ID: 0011
Revises: 0008
Create Date: 2026-12-08 10:00:00.000000
"""
import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0008'
branch_labels = None
depends_on = None

RENAMES = (('reason_zh', 'message_zh'), ('reason_en', 'message_en'))


def upgrade() -> None:
    with op.batch_alter_table('exchange_import_errors', schema=None) as batch_op:
        for old, new in RENAMES:
            batch_op.alter_column(old, new_column_name=new, existing_type=sa.String(length=200),
                                  existing_nullable=False)


def downgrade() -> None:
    with op.batch_alter_table('exchange_import_errors', schema=None) as batch_op:
        for old, new in RENAMES:
            batch_op.alter_column(new, new_column_name=old, existing_type=sa.String(length=200),
                                  existing_nullable=False)
