"""exchange: import reports, source records, golden records and changes, review pairs, conflicts, subscriptions, data-access requests

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 15:01:57.139181
"""
import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('data_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('department', sa.String(length=32), nullable=False),
    sa.Column('dataset', sa.String(length=32), nullable=False),
    sa.Column('purpose', sa.String(length=500), nullable=False),
    sa.Column('division_code', sa.String(length=12), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('requested_by', sa.String(length=64), nullable=False),
    sa.Column('decided_by', sa.String(length=64), nullable=True),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.Column('expires_on', sa.Date(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_data_requests'))
    )
    with op.batch_alter_table('data_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_data_requests_division_code'), ['division_code'], unique=False)

    op.create_table('exchange_imports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('department', sa.String(length=32), nullable=False),
    sa.Column('file_name', sa.String(length=200), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('as_of', sa.Date(), nullable=False),
    sa.Column('division_code', sa.String(length=12), nullable=False),
    sa.Column('rows', sa.Integer(), nullable=False),
    sa.Column('new_records', sa.Integer(), nullable=False),
    sa.Column('updated_records', sa.Integer(), nullable=False),
    sa.Column('unchanged_records', sa.Integer(), nullable=False),
    sa.Column('error_count', sa.Integer(), nullable=False),
    sa.Column('linked', sa.JSON(), nullable=False),
    sa.Column('imported_by', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_exchange_imports')),
    sa.UniqueConstraint('department', 'content_hash', name='uq_exchange_imports_department_hash')
    )
    with op.batch_alter_table('exchange_imports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_exchange_imports_division_code'), ['division_code'], unique=False)

    op.create_table('golden_records',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_code', sa.String(length=16), nullable=True),
    sa.Column('id_cipher', sa.Text(), nullable=True),
    sa.Column('id_hash', sa.String(length=64), nullable=True),
    sa.Column('fields', sa.JSON(), nullable=False),
    sa.Column('provenance', sa.JSON(), nullable=False),
    sa.Column('division_code', sa.String(length=12), nullable=False),
    sa.Column('merged_into', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['merged_into'], ['golden_records.id'], name=op.f('fk_golden_records_merged_into_golden_records')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_golden_records')),
    sa.UniqueConstraint('person_code', name=op.f('uq_golden_records_person_code'))
    )
    with op.batch_alter_table('golden_records', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_golden_records_division_code'), ['division_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_golden_records_id_hash'), ['id_hash'], unique=False)

    op.create_table('data_deliveries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('records', sa.Integer(), nullable=False),
    sa.Column('delivered_by', sa.String(length=64), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['request_id'], ['data_requests.id'], name=op.f('fk_data_deliveries_request_id_data_requests')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_data_deliveries'))
    )
    with op.batch_alter_table('data_deliveries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_data_deliveries_request_id'), ['request_id'], unique=False)

    op.create_table('exchange_import_errors',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('import_id', sa.Integer(), nullable=False),
    sa.Column('row', sa.Integer(), nullable=False),
    sa.Column('field', sa.String(length=32), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('reason_zh', sa.String(length=200), nullable=False),
    sa.Column('reason_en', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['import_id'], ['exchange_imports.id'], name=op.f('fk_exchange_import_errors_import_id_exchange_imports')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_exchange_import_errors'))
    )
    with op.batch_alter_table('exchange_import_errors', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_exchange_import_errors_import_id'), ['import_id'], unique=False)

    op.create_table('exchange_subscriptions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('department', sa.String(length=32), nullable=False),
    sa.Column('golden_id', sa.Integer(), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['golden_id'], ['golden_records.id'], name=op.f('fk_exchange_subscriptions_golden_id_golden_records')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_exchange_subscriptions')),
    sa.UniqueConstraint('department', 'golden_id', name='uq_exchange_subscriptions_department_golden')
    )
    with op.batch_alter_table('exchange_subscriptions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_exchange_subscriptions_golden_id'), ['golden_id'], unique=False)

    op.create_table('golden_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('golden_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['golden_id'], ['golden_records.id'], name=op.f('fk_golden_changes_golden_id_golden_records')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_golden_changes'))
    )
    with op.batch_alter_table('golden_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_golden_changes_golden_id'), ['golden_id'], unique=False)

    op.create_table('source_records',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('department', sa.String(length=32), nullable=False),
    sa.Column('source_record_id', sa.String(length=64), nullable=False),
    sa.Column('record_hash', sa.String(length=64), nullable=False),
    sa.Column('import_id', sa.Integer(), nullable=False),
    sa.Column('row', sa.Integer(), nullable=False),
    sa.Column('as_of', sa.Date(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=True),
    sa.Column('id_cipher', sa.Text(), nullable=True),
    sa.Column('id_hash', sa.String(length=64), nullable=True),
    sa.Column('id_valid', sa.Boolean(), nullable=False),
    sa.Column('sex', sa.String(length=1), nullable=True),
    sa.Column('birth_date', sa.String(length=10), nullable=True),
    sa.Column('phone', sa.String(length=20), nullable=True),
    sa.Column('hukou_address', sa.String(length=200), nullable=True),
    sa.Column('hukou_division_code', sa.String(length=12), nullable=True),
    sa.Column('current_address', sa.String(length=200), nullable=True),
    sa.Column('current_division_code', sa.String(length=12), nullable=True),
    sa.Column('employer', sa.String(length=200), nullable=True),
    sa.Column('division_code', sa.String(length=12), nullable=False),
    sa.Column('golden_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['golden_id'], ['golden_records.id'], name=op.f('fk_source_records_golden_id_golden_records')),
    sa.ForeignKeyConstraint(['import_id'], ['exchange_imports.id'], name=op.f('fk_source_records_import_id_exchange_imports')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_source_records')),
    sa.UniqueConstraint('department', 'source_record_id', name='uq_source_records_department_record')
    )
    with op.batch_alter_table('source_records', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_source_records_division_code'), ['division_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_source_records_golden_id'), ['golden_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_source_records_id_hash'), ['id_hash'], unique=False)
        batch_op.create_index(batch_op.f('ix_source_records_import_id'), ['import_id'], unique=False)

    op.create_table('exchange_conflicts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('golden_id', sa.Integer(), nullable=False),
    sa.Column('field', sa.String(length=32), nullable=False),
    sa.Column('department', sa.String(length=32), nullable=False),
    sa.Column('source_id', sa.Integer(), nullable=False),
    sa.Column('authority_department', sa.String(length=32), nullable=False),
    sa.Column('authority_source_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('division_code', sa.String(length=12), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('resolved_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['authority_source_id'], ['source_records.id'], name=op.f('fk_exchange_conflicts_authority_source_id_source_records')),
    sa.ForeignKeyConstraint(['golden_id'], ['golden_records.id'], name=op.f('fk_exchange_conflicts_golden_id_golden_records')),
    sa.ForeignKeyConstraint(['source_id'], ['source_records.id'], name=op.f('fk_exchange_conflicts_source_id_source_records')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_exchange_conflicts'))
    )
    with op.batch_alter_table('exchange_conflicts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_exchange_conflicts_golden_id'), ['golden_id'], unique=False)
        batch_op.create_index('ix_exchange_conflicts_status_dept', ['status', 'department', 'field'], unique=False)

    op.create_table('review_pairs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('left_source_id', sa.Integer(), nullable=False),
    sa.Column('right_source_id', sa.Integer(), nullable=False),
    sa.Column('weight', sa.Float(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('division_code', sa.String(length=12), nullable=False),
    sa.Column('decided_by', sa.String(length=64), nullable=True),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['left_source_id'], ['source_records.id'], name=op.f('fk_review_pairs_left_source_id_source_records')),
    sa.ForeignKeyConstraint(['right_source_id'], ['source_records.id'], name=op.f('fk_review_pairs_right_source_id_source_records')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review_pairs')),
    sa.UniqueConstraint('left_source_id', 'right_source_id', name='uq_review_pairs_left_right')
    )
    with op.batch_alter_table('review_pairs', schema=None) as batch_op:
        batch_op.create_index('ix_review_pairs_status_division', ['status', 'division_code'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('review_pairs', schema=None) as batch_op:
        batch_op.drop_index('ix_review_pairs_status_division')

    op.drop_table('review_pairs')
    with op.batch_alter_table('exchange_conflicts', schema=None) as batch_op:
        batch_op.drop_index('ix_exchange_conflicts_status_dept')
        batch_op.drop_index(batch_op.f('ix_exchange_conflicts_golden_id'))

    op.drop_table('exchange_conflicts')
    with op.batch_alter_table('source_records', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_source_records_import_id'))
        batch_op.drop_index(batch_op.f('ix_source_records_id_hash'))
        batch_op.drop_index(batch_op.f('ix_source_records_golden_id'))
        batch_op.drop_index(batch_op.f('ix_source_records_division_code'))

    op.drop_table('source_records')
    with op.batch_alter_table('golden_changes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_golden_changes_golden_id'))

    op.drop_table('golden_changes')
    with op.batch_alter_table('exchange_subscriptions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_exchange_subscriptions_golden_id'))

    op.drop_table('exchange_subscriptions')
    with op.batch_alter_table('exchange_import_errors', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_exchange_import_errors_import_id'))

    op.drop_table('exchange_import_errors')
    with op.batch_alter_table('data_deliveries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_data_deliveries_request_id'))

    op.drop_table('data_deliveries')
    with op.batch_alter_table('golden_records', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_golden_records_id_hash'))
        batch_op.drop_index(batch_op.f('ix_golden_records_division_code'))

    op.drop_table('golden_records')
    with op.batch_alter_table('exchange_imports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_exchange_imports_division_code'))

    op.drop_table('exchange_imports')
    with op.batch_alter_table('data_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_data_requests_division_code'))

    op.drop_table('data_requests')
