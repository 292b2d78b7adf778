"""cases core: case approvals found by department (a department's queue includes the cases it
approves in parallel)

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06 04:00:00
"""
from alembic import op

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_case_approvals_department_case', 'case_approvals',
                    ['department', 'case_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_case_approvals_department_case', table_name='case_approvals')
