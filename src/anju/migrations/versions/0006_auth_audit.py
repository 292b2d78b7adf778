"""auth and audit: server-side UI sessions, account binding requests, keyed audit chain

Accounts gain a pending binding to a person (requested by an administrator, confirmed by a
police officer); browser sessions become rows that logout deletes. The audit chain's hashes
become keyed (HMAC-SM3, key from settings): the existing chain is checked with the old, public
SM3 function and re-sealed under the key as far as it is intact. An entry that no longer matched
keeps its old hash, so `anju audit verify` still names it afterwards.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05 23:30:00
"""
import hmac as std_hmac

import sqlalchemy as sa
from alembic import op

from anju.core.audit import GENESIS, canonical
from anju.core.crypto import sm3_hex
from anju.core.witness import chain_key, hmac_sm3

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('ui_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_ui_sessions_account_id_accounts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ui_sessions')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_ui_sessions_token_hash'))
    )
    with op.batch_alter_table('ui_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ui_sessions_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ui_sessions_expires_at'), ['expires_at'], unique=False)

    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('binding_state', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('pending_person_code', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('pending_division_code', sa.String(length=12), nullable=True))
        batch_op.add_column(sa.Column('binding_requested_by', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('binding_requested_at', sa.DateTime(), nullable=True))
        batch_op.create_index(batch_op.f('ix_accounts_pending_division_code'), ['pending_division_code'], unique=False)

    key = chain_key()
    _rechain(old=lambda text: sm3_hex(text), new=lambda text: hmac_sm3(key, text))


def downgrade() -> None:
    key = chain_key()
    _rechain(old=lambda text: hmac_sm3(key, text), new=lambda text: sm3_hex(text))

    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_accounts_pending_division_code'))
        batch_op.drop_column('binding_requested_at')
        batch_op.drop_column('binding_requested_by')
        batch_op.drop_column('pending_division_code')
        batch_op.drop_column('pending_person_code')
        batch_op.drop_column('binding_state')

    with op.batch_alter_table('ui_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ui_sessions_expires_at'))
        batch_op.drop_index(batch_op.f('ix_ui_sessions_account_id'))

    op.drop_table('ui_sessions')


ENTRIES = sa.table(
    'audit_entries', sa.column('id', sa.Integer), sa.column('seq', sa.Integer),
    sa.column('at', sa.DateTime), sa.column('account_id', sa.Integer),
    sa.column('username', sa.String), sa.column('role', sa.String), sa.column('action', sa.String),
    sa.column('person_code', sa.String), sa.column('object_type', sa.String),
    sa.column('object_id', sa.String), sa.column('purpose', sa.String),
    sa.column('detail', sa.JSON), sa.column('prev_hash', sa.String),
    sa.column('entry_hash', sa.String))
HEAD = sa.table('audit_head', sa.column('id', sa.Integer), sa.column('last_seq', sa.Integer),
                sa.column('last_hash', sa.String))


def _rechain(old, new, batch: int = 5000) -> None:
    """Re-seal the chain from `old` hashing to `new`, entry by entry, while it still verifies
    under `old`; stop at the first entry that does not, leaving it and the rest as they are."""
    bind = op.get_bind()
    old_prev = new_prev = GENESIS
    expected, intact = 1, True
    while intact:
        rows = bind.execute(sa.select(ENTRIES).where(ENTRIES.c.seq >= expected,
                                                     ENTRIES.c.seq < expected + batch)
                            .order_by(ENTRIES.c.seq)).all()
        if not rows:
            break
        updates = []
        for row in rows:
            body = canonical(row)
            old_hash = old(old_prev + "\n" + body)
            if row.seq != expected or row.prev_hash != old_prev or \
                    not std_hmac.compare_digest(old_hash, row.entry_hash or ""):
                intact = False
                break
            new_hash = new(new_prev + "\n" + body)
            updates.append({"b_id": row.id, "prev_hash": new_prev, "entry_hash": new_hash})
            old_prev, new_prev, expected = row.entry_hash, new_hash, expected + 1
        if updates:
            bind.execute(ENTRIES.update().where(ENTRIES.c.id == sa.bindparam("b_id"))
                         .values(prev_hash=sa.bindparam("prev_hash"),
                                 entry_hash=sa.bindparam("entry_hash")), updates)
    # The head moves with the chain only when it matched the whole old chain.
    bind.execute(HEAD.update().where(HEAD.c.id == 1, HEAD.c.last_seq == expected - 1,
                                     HEAD.c.last_hash == old_prev).values(last_hash=new_prev))
