"""exchange imports run as resumable batched jobs: state, progress, runner and heartbeat on
the import row; one import per file, department and jurisdiction

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05 23:40:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('exchange_imports', schema=None) as batch_op:
        batch_op.add_column(sa.Column('state', sa.String(length=16), server_default='finished',
                                      nullable=False))
        batch_op.add_column(sa.Column('rows_done', sa.Integer(), server_default='0',
                                      nullable=False))
        batch_op.add_column(sa.Column('runner', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('heartbeat_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('failure', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('finished_at', sa.DateTime(), nullable=True))
        batch_op.drop_constraint('uq_exchange_imports_department_hash', type_='unique')
        batch_op.create_unique_constraint('uq_exchange_imports_department_hash_division',
                                          ['department', 'content_hash', 'division_code'])
    # imports finished before this revision: all their rows are done
    op.execute("UPDATE exchange_imports SET rows_done = rows")


def downgrade() -> None:
    with op.batch_alter_table('exchange_imports', schema=None) as batch_op:
        batch_op.drop_constraint('uq_exchange_imports_department_hash_division', type_='unique')
        batch_op.create_unique_constraint('uq_exchange_imports_department_hash',
                                          ['department', 'content_hash'])
        batch_op.drop_column('finished_at')
        batch_op.drop_column('failure')
        batch_op.drop_column('heartbeat_at')
        batch_op.drop_column('runner')
        batch_op.drop_column('rows_done')
        batch_op.drop_column('state')
