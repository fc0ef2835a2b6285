"""remittance advices read from inbound mail, attached to the bank lines they describe

Revision ID: 0016
Revises: 0013
Create Date: 2026-12-02 23:03:20.485917
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

import arcollect.db


revision: str = '0016'
down_revision: Union[str, None] = '0013'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:

    op.create_table('remittance_advices',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('message_pk', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('customer_pk', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('sender', sa.String(length=254), nullable=True),
    sa.Column('subject', sa.String(length=1000), nullable=False),
    sa.Column('received_at', arcollect.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('payment_date', sa.Date(), nullable=True),
    sa.Column('total', arcollect.db.Money(precision=19, scale=4), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=True),
    sa.Column('reference', sa.String(length=128), nullable=True),
    sa.Column('items', sa.JSON(), nullable=False),
    sa.Column('payer_hints', sa.JSON(), nullable=False),
    sa.Column('problems', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('line_pk', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('created_at', arcollect.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('attached_at', arcollect.db.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status IN ('waiting', 'attached', 'unusable')", name='ck_remittance_advices_status'),
    sa.ForeignKeyConstraint(['customer_pk'], ['customers.id'], ),
    sa.ForeignKeyConstraint(['line_pk'], ['bank_lines.id'], ),
    sa.ForeignKeyConstraint(['message_pk'], ['inbound_messages.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('message_pk')
    )
    with op.batch_alter_table('remittance_advices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_remittance_advices_customer_pk'), ['customer_pk'], unique=False)
        batch_op.create_index(batch_op.f('ix_remittance_advices_line_pk'), ['line_pk'], unique=False)
        batch_op.create_index('ix_remittance_advices_status', ['status'], unique=False)




def downgrade() -> None:

    with op.batch_alter_table('remittance_advices', schema=None) as batch_op:
        batch_op.drop_index('ix_remittance_advices_status')
        batch_op.drop_index(batch_op.f('ix_remittance_advices_line_pk'))
        batch_op.drop_index(batch_op.f('ix_remittance_advices_customer_pk'))

    op.drop_table('remittance_advices')

