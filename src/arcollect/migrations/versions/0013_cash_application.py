"""cash application: bank statements and lines, learned payer accounts and names

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-23 12:00:00.000000
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

import arcollect.db


revision: str = '0013'
down_revision: Union[str, None] = '0012'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('bank_statements',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('account', sa.String(length=64), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('statement_id', sa.String(length=128), nullable=True),
    sa.Column('format', sa.String(length=32), nullable=False),
    sa.Column('file_name', sa.String(length=512), nullable=False),
    sa.Column('file_sha256', sa.String(length=64), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('opening', arcollect.db.Money(precision=19, scale=4), nullable=True),
    sa.Column('closing', arcollect.db.Money(precision=19, scale=4), nullable=True),
    sa.Column('opening_date', sa.Date(), nullable=True),
    sa.Column('closing_date', sa.Date(), nullable=True),
    sa.Column('credits', arcollect.db.Money(precision=19, scale=4), nullable=False),
    sa.Column('debits', arcollect.db.Money(precision=19, scale=4), nullable=False),
    sa.Column('balance_check', sa.String(length=8), nullable=False),
    sa.Column('continuity', sa.String(length=16), nullable=True),
    sa.Column('line_count', sa.Integer(), nullable=False),
    sa.Column('imported_at', arcollect.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('imported_by', sa.String(length=128), nullable=False),
    sa.CheckConstraint("balance_check IN ('ok', 'break', 'n/a')", name='ck_bank_statements_balance_check'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('file_sha256', 'position', name='uq_bank_statements_file_position')
    )
    with op.batch_alter_table('bank_statements', schema=None) as batch_op:
        batch_op.create_index('ix_bank_statements_account_closing', ['account', 'closing_date'], unique=False)

    op.create_table('payer_accounts',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('account', sa.String(length=64), nullable=False),
    sa.Column('customer_pk', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('learned_at', arcollect.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('learned_by', sa.String(length=128), nullable=False),
    sa.ForeignKeyConstraint(['customer_pk'], ['customers.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('account')
    )
    with op.batch_alter_table('payer_accounts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payer_accounts_customer_pk'), ['customer_pk'], unique=False)

    op.create_table('payer_aliases',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('name_key', sa.String(length=256), nullable=False),
    sa.Column('name', sa.String(length=256), nullable=False),
    sa.Column('customer_pk', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('learned_at', arcollect.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('learned_by', sa.String(length=128), nullable=False),
    sa.ForeignKeyConstraint(['customer_pk'], ['customers.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name_key')
    )
    with op.batch_alter_table('payer_aliases', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payer_aliases_customer_pk'), ['customer_pk'], unique=False)

    op.create_table('bank_lines',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('statement_pk', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('line_key', sa.String(length=64), nullable=False),
    sa.Column('account', sa.String(length=64), nullable=False),
    sa.Column('booking_date', sa.Date(), nullable=False),
    sa.Column('value_date', sa.Date(), nullable=True),
    sa.Column('amount', arcollect.db.Money(precision=19, scale=4), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('reference', sa.String(length=256), nullable=True),
    sa.Column('payer_name', sa.String(length=256), nullable=True),
    sa.Column('payer_account', sa.String(length=64), nullable=True),
    sa.Column('payer_bic', sa.String(length=16), nullable=True),
    sa.Column('end_to_end_id', sa.String(length=256), nullable=True),
    sa.Column('bank_code', sa.String(length=64), nullable=True),
    sa.Column('remittance', sa.JSON(), nullable=False),
    sa.Column('documents', sa.JSON(), nullable=False),
    sa.Column('location', sa.String(length=256), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('customer_pk', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('confidence', sa.Float(), nullable=False),
    sa.Column('reasons', sa.JSON(), nullable=False),
    sa.Column('proposals', sa.JSON(), nullable=False),
    sa.Column('payment_pk', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('excluded_reason', sa.Text(), nullable=True),
    sa.Column('decided_by', sa.String(length=128), nullable=True),
    sa.Column('created_at', arcollect.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', arcollect.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('unmatched', 'proposed', 'applied', 'excluded')", name='ck_bank_lines_status'),
    sa.CheckConstraint('amount <> 0', name='ck_bank_lines_amount_nonzero'),
    sa.ForeignKeyConstraint(['customer_pk'], ['customers.id'], ),
    sa.ForeignKeyConstraint(['payment_pk'], ['payments.id'], ),
    sa.ForeignKeyConstraint(['statement_pk'], ['bank_statements.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('line_key', name='uq_bank_lines_line_key'),
    sa.UniqueConstraint('payment_pk', name='uq_bank_lines_payment')
    )
    with op.batch_alter_table('bank_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bank_lines_customer_pk'), ['customer_pk'], unique=False)
        batch_op.create_index(batch_op.f('ix_bank_lines_payer_account'), ['payer_account'], unique=False)
        batch_op.create_index(batch_op.f('ix_bank_lines_statement_pk'), ['statement_pk'], unique=False)
        batch_op.create_index('ix_bank_lines_status_date', ['status', 'booking_date'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('bank_lines', schema=None) as batch_op:
        batch_op.drop_index('ix_bank_lines_status_date')
        batch_op.drop_index(batch_op.f('ix_bank_lines_statement_pk'))
        batch_op.drop_index(batch_op.f('ix_bank_lines_payer_account'))
        batch_op.drop_index(batch_op.f('ix_bank_lines_customer_pk'))

    op.drop_table('bank_lines')
    with op.batch_alter_table('payer_aliases', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payer_aliases_customer_pk'))

    op.drop_table('payer_aliases')
    with op.batch_alter_table('payer_accounts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payer_accounts_customer_pk'))

    op.drop_table('payer_accounts')
    with op.batch_alter_table('bank_statements', schema=None) as batch_op:
        batch_op.drop_index('ix_bank_statements_account_closing')

    op.drop_table('bank_statements')
