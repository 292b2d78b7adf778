"""persons.base_division_code: where a person belongs when no approved registration places them;
recomputes every managing division by the rule that only an approved registration moves it

Before this revision, submitting a registration moved the person at once, so a submission nobody
approved could have brought a person into its author's reach. The person's division before that
is recovered from the audit chain where it can be (the account that created the person), and
every managing division is recomputed: the latest approved registration's, else that base.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 10:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

_CREATOR = """
    FROM audit_entries e JOIN accounts a ON a.id = e.account_id
    WHERE e.person_code = persons.person_code AND e.action = 'person.create'
"""


def upgrade() -> None:
    with op.batch_alter_table('persons', schema=None) as batch_op:
        batch_op.add_column(sa.Column('base_division_code', sa.String(length=12), nullable=True))
    op.execute("UPDATE persons SET base_division_code = division_code")
    # The creating office's jurisdiction is where create_person put the person (bulk loads have
    # no account behind them and keep the division they gave).
    op.execute(f"""
        UPDATE persons SET base_division_code = (
            SELECT a.division_code {_CREATOR} ORDER BY e.seq LIMIT 1)
        WHERE EXISTS (SELECT 1 {_CREATOR})""")
    op.execute("""
        UPDATE persons SET division_code = COALESCE((
            SELECT r.division_code FROM registrations r
            WHERE r.person_code = persons.person_code AND r.status = 'approved'
            ORDER BY r.start_date DESC, r.id DESC LIMIT 1), base_division_code)""")
    with op.batch_alter_table('persons', schema=None) as batch_op:
        batch_op.alter_column('base_division_code', existing_type=sa.String(length=12),
                              nullable=False)


def downgrade() -> None:
    with op.batch_alter_table('persons', schema=None) as batch_op:
        batch_op.drop_column('base_division_code')
