"""housing assist: a landlord's consents to a grid worker acting for them and what was done
under them; drops lock_event_seen (lock-event dedup now reads the Parquet files themselves)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 15:29:13.850195
"""
import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('housing_assist_consents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('landlord_person_code', sa.String(length=16), nullable=False),
    sa.Column('division_code', sa.String(length=12), nullable=False),
    sa.Column('grid_worker', sa.String(length=64), nullable=False),
    sa.Column('method', sa.String(length=16), nullable=False),
    sa.Column('reference', sa.String(length=200), nullable=False),
    sa.Column('consented_at', sa.DateTime(), nullable=False),
    sa.Column('valid_until', sa.Date(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(), nullable=False),
    sa.Column('withdrawn_at', sa.DateTime(), nullable=True),
    sa.Column('withdrawn_by', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['landlord_person_code'], ['persons.person_code'], name=op.f('fk_housing_assist_consents_landlord_person_code_persons')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_housing_assist_consents'))
    )
    with op.batch_alter_table('housing_assist_consents', schema=None) as batch_op:
        batch_op.create_index('ix_housing_assist_consents_division', ['division_code'], unique=False)
        batch_op.create_index('ix_housing_assist_consents_landlord', ['landlord_person_code'], unique=False)

    op.create_table('housing_assist_actions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('consent_id', sa.Integer(), nullable=False),
    sa.Column('landlord_person_code', sa.String(length=16), nullable=False),
    sa.Column('division_code', sa.String(length=12), nullable=False),
    sa.Column('grid_worker', sa.String(length=64), nullable=False),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('object_type', sa.String(length=32), nullable=False),
    sa.Column('object_id', sa.String(length=64), nullable=False),
    sa.Column('done_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['consent_id'], ['housing_assist_consents.id'], name=op.f('fk_housing_assist_actions_consent_id_housing_assist_consents')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_housing_assist_actions'))
    )
    with op.batch_alter_table('housing_assist_actions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_housing_assist_actions_consent_id'), ['consent_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_housing_assist_actions_division_code'), ['division_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_housing_assist_actions_landlord_person_code'), ['landlord_person_code'], unique=False)

    with op.batch_alter_table('lock_event_seen', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lock_event_seen_day'))

    op.drop_table('lock_event_seen')


def downgrade() -> None:
    op.create_table('lock_event_seen',
    sa.Column('vendor_id', sa.INTEGER(), nullable=False),
    sa.Column('event_id', sa.VARCHAR(length=64), nullable=False),
    sa.Column('day', sa.DATE(), nullable=False),
    sa.PrimaryKeyConstraint('vendor_id', 'event_id', name=op.f('pk_lock_event_seen')),
    sqlite_with_rowid=False
    )
    with op.batch_alter_table('lock_event_seen', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lock_event_seen_day'), ['day'], unique=False)

    with op.batch_alter_table('housing_assist_actions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_housing_assist_actions_landlord_person_code'))
        batch_op.drop_index(batch_op.f('ix_housing_assist_actions_division_code'))
        batch_op.drop_index(batch_op.f('ix_housing_assist_actions_consent_id'))

    op.drop_table('housing_assist_actions')
    with op.batch_alter_table('housing_assist_consents', schema=None) as batch_op:
        batch_op.drop_index('ix_housing_assist_consents_landlord')
        batch_op.drop_index('ix_housing_assist_consents_division')

    op.drop_table('housing_assist_consents')
