"""housing: e-keys, lock vendors and devices, lock-event index and daily presence, tasks, fees

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 14:30:11.664525
"""
import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('fee_exemptions',
    sa.Column('id_hash', sa.String(length=64), nullable=False),
    sa.Column('category', sa.String(length=16), nullable=False),
    sa.Column('source', sa.String(length=200), nullable=False),
    sa.Column('imported_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id_hash', name=op.f('pk_fee_exemptions'))
    )
    op.create_table('housing_policies',
    sa.Column('county_code', sa.String(length=6), nullable=False),
    sa.Column('monthly_fee_fen', sa.Integer(), nullable=True),
    sa.Column('provisional_key_days', sa.Integer(), nullable=False),
    sa.Column('silent_days', sa.Integer(), nullable=False),
    sa.Column('unregistered_days', sa.Integer(), nullable=False),
    sa.Column('reminder_days', sa.Integer(), nullable=False),
    sa.Column('permit_grace_days', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('updated_by', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('county_code', name=op.f('pk_housing_policies'))
    )
    op.create_table('lock_event_days',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('last_ingest_at', sa.DateTime(), nullable=False),
    sa.Column('reduced_at', sa.DateTime(), nullable=True),
    sa.Column('raw_deleted_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('day', name=op.f('pk_lock_event_days'))
    )
    op.create_table('lock_event_seen',
    sa.Column('vendor_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('event_id', sa.String(length=64), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.PrimaryKeyConstraint('vendor_id', 'event_id', name=op.f('pk_lock_event_seen')),
    sqlite_with_rowid=False,
    )
    with op.batch_alter_table('lock_event_seen', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lock_event_seen_day'), ['day'], unique=False)

    op.create_table('lock_presence',
    sa.Column('key_id', sa.String(length=64), nullable=False),
    sa.Column('room_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('opens', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('key_id', 'room_id', 'day', name=op.f('pk_lock_presence'))
    )
    with op.batch_alter_table('lock_presence', schema=None) as batch_op:
        batch_op.create_index('ix_lock_presence_day', ['day'], unique=False)
        batch_op.create_index('ix_lock_presence_room_day', ['room_id', 'day'], unique=False)

    op.create_table('lock_vendors',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('secret_cipher', sa.Text(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lock_vendors')),
    sa.UniqueConstraint('name', name=op.f('uq_lock_vendors_name'))
    )
    op.create_table('housing_tasks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('subject', sa.String(length=80), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('division_code', sa.String(length=12), nullable=False),
    sa.Column('room_id', sa.Integer(), nullable=True),
    sa.Column('person_code', sa.String(length=16), nullable=True),
    sa.Column('key_id', sa.String(length=24), nullable=True),
    sa.Column('registration_id', sa.Integer(), nullable=True),
    sa.Column('detail', sa.JSON(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.Column('resolved_at', sa.DateTime(), nullable=True),
    sa.Column('resolved_by', sa.String(length=64), nullable=True),
    sa.Column('outcome', sa.String(length=32), nullable=True),
    sa.Column('note', sa.String(length=500), nullable=True),
    sa.ForeignKeyConstraint(['room_id'], ['rooms.id'], name=op.f('fk_housing_tasks_room_id_rooms')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_housing_tasks'))
    )
    with op.batch_alter_table('housing_tasks', schema=None) as batch_op:
        batch_op.create_index('ix_housing_tasks_division', ['division_code', 'status'], unique=False)
        batch_op.create_index('ix_housing_tasks_subject', ['subject', 'status'], unique=False)

    op.create_table('locks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('vendor_id', sa.Integer(), nullable=False),
    sa.Column('lock_id', sa.String(length=64), nullable=False),
    sa.Column('room_id', sa.Integer(), nullable=False),
    sa.Column('division_code', sa.String(length=12), nullable=False),
    sa.Column('landlord_person_code', sa.String(length=16), nullable=False),
    sa.Column('installed_on', sa.Date(), nullable=False),
    sa.Column('registered_by', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['room_id'], ['rooms.id'], name=op.f('fk_locks_room_id_rooms')),
    sa.ForeignKeyConstraint(['vendor_id'], ['lock_vendors.id'], name=op.f('fk_locks_vendor_id_lock_vendors')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_locks')),
    sa.UniqueConstraint('vendor_id', 'lock_id', name='uq_locks_vendor_lock')
    )
    with op.batch_alter_table('locks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_locks_division_code'), ['division_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_locks_room_id'), ['room_id'], unique=False)

    op.create_table('ekeys',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key_id', sa.String(length=24), nullable=False),
    sa.Column('person_code', sa.String(length=16), nullable=False),
    sa.Column('room_id', sa.Integer(), nullable=False),
    sa.Column('registration_id', sa.Integer(), nullable=False),
    sa.Column('division_code', sa.String(length=12), nullable=False),
    sa.Column('landlord_person_code', sa.String(length=16), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('valid_until', sa.Date(), nullable=True),
    sa.Column('issued_at', sa.DateTime(), nullable=False),
    sa.Column('revoked_at', sa.DateTime(), nullable=True),
    sa.Column('revoked_by', sa.String(length=64), nullable=True),
    sa.Column('revoke_reason', sa.String(length=32), nullable=True),
    sa.Column('revoke_note', sa.String(length=200), nullable=True),
    sa.ForeignKeyConstraint(['person_code'], ['persons.person_code'], name=op.f('fk_ekeys_person_code_persons')),
    sa.ForeignKeyConstraint(['registration_id'], ['registrations.id'], name=op.f('fk_ekeys_registration_id_registrations')),
    sa.ForeignKeyConstraint(['room_id'], ['rooms.id'], name=op.f('fk_ekeys_room_id_rooms')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ekeys')),
    sa.UniqueConstraint('key_id', name=op.f('uq_ekeys_key_id'))
    )
    with op.batch_alter_table('ekeys', schema=None) as batch_op:
        batch_op.create_index('ix_ekeys_division', ['division_code', 'status'], unique=False)
        batch_op.create_index('ix_ekeys_landlord', ['landlord_person_code', 'status'], unique=False)
        batch_op.create_index('ix_ekeys_person', ['person_code', 'status'], unique=False)
        batch_op.create_index('ix_ekeys_registration', ['registration_id'], unique=False)
        batch_op.create_index('ix_ekeys_room', ['room_id', 'status'], unique=False)

    op.create_table('fee_statements',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('registration_id', sa.Integer(), nullable=False),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('person_code', sa.String(length=16), nullable=False),
    sa.Column('room_id', sa.Integer(), nullable=False),
    sa.Column('division_code', sa.String(length=12), nullable=False),
    sa.Column('landlord_person_code', sa.String(length=16), nullable=False),
    sa.Column('fee_fen', sa.Integer(), nullable=False),
    sa.Column('amount_fen', sa.Integer(), nullable=False),
    sa.Column('exemption', sa.String(length=16), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['registration_id'], ['registrations.id'], name=op.f('fk_fee_statements_registration_id_registrations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fee_statements')),
    sa.UniqueConstraint('registration_id', 'month', name='uq_fee_statements_registration_month')
    )
    with op.batch_alter_table('fee_statements', schema=None) as batch_op:
        batch_op.create_index('ix_fee_statements_landlord', ['landlord_person_code', 'month'], unique=False)
        batch_op.create_index('ix_fee_statements_person', ['person_code', 'month'], unique=False)

    op.create_table('fee_payments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('statement_id', sa.Integer(), nullable=False),
    sa.Column('amount_fen', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=64), nullable=False),
    sa.Column('method', sa.String(length=16), nullable=False),
    sa.Column('paid_at', sa.DateTime(), nullable=False),
    sa.Column('recorded_by', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['statement_id'], ['fee_statements.id'], name=op.f('fk_fee_payments_statement_id_fee_statements')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fee_payments')),
    sa.UniqueConstraint('reference', name=op.f('uq_fee_payments_reference'))
    )
    with op.batch_alter_table('fee_payments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_fee_payments_statement_id'), ['statement_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('fee_payments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_fee_payments_statement_id'))

    op.drop_table('fee_payments')
    with op.batch_alter_table('fee_statements', schema=None) as batch_op:
        batch_op.drop_index('ix_fee_statements_person')
        batch_op.drop_index('ix_fee_statements_landlord')

    op.drop_table('fee_statements')
    with op.batch_alter_table('ekeys', schema=None) as batch_op:
        batch_op.drop_index('ix_ekeys_room')
        batch_op.drop_index('ix_ekeys_registration')
        batch_op.drop_index('ix_ekeys_person')
        batch_op.drop_index('ix_ekeys_landlord')
        batch_op.drop_index('ix_ekeys_division')

    op.drop_table('ekeys')
    with op.batch_alter_table('locks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_locks_room_id'))
        batch_op.drop_index(batch_op.f('ix_locks_division_code'))

    op.drop_table('locks')
    with op.batch_alter_table('housing_tasks', schema=None) as batch_op:
        batch_op.drop_index('ix_housing_tasks_subject')
        batch_op.drop_index('ix_housing_tasks_division')

    op.drop_table('housing_tasks')
    op.drop_table('lock_vendors')
    with op.batch_alter_table('lock_presence', schema=None) as batch_op:
        batch_op.drop_index('ix_lock_presence_room_day')
        batch_op.drop_index('ix_lock_presence_day')

    op.drop_table('lock_presence')
    with op.batch_alter_table('lock_event_seen', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lock_event_seen_day'))

    op.drop_table('lock_event_seen')
    op.drop_table('lock_event_days')
    op.drop_table('housing_policies')
    op.drop_table('fee_exemptions')
