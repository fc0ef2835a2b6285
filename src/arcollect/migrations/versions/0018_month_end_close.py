"""month-end close: closed periods and their snapshots

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-03 07:09:20.439513
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

import arcollect.db


revision: str = '0018'
down_revision: Union[str, None] = '0017'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('period_closes',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('as_of', sa.Date(), nullable=False),
    sa.Column('closed_at', arcollect.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('closed_by', sa.String(length=128), nullable=False),
    sa.Column('reopened_at', arcollect.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('reopened_by', sa.String(length=128), nullable=True),
    sa.Column('reopen_reason', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('period_closes', schema=None) as batch_op:
        batch_op.create_index('uq_period_closes_live_month', ['month'], unique=True, sqlite_where=sa.text('reopened_at IS NULL'), postgresql_where=sa.text('reopened_at IS NULL'))

    op.create_table('period_aging',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('close_pk', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('customer_id', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=256), nullable=False),
    sa.Column('collector', sa.String(length=64), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('current', arcollect.db.Money(precision=19, scale=4), nullable=False),
    sa.Column('days_1_30', arcollect.db.Money(precision=19, scale=4), nullable=False),
    sa.Column('days_31_60', arcollect.db.Money(precision=19, scale=4), nullable=False),
    sa.Column('days_61_90', arcollect.db.Money(precision=19, scale=4), nullable=False),
    sa.Column('days_90_plus', arcollect.db.Money(precision=19, scale=4), nullable=False),
    sa.Column('unapplied_cash', arcollect.db.Money(precision=19, scale=4), nullable=False),
    sa.Column('unapplied_credits', arcollect.db.Money(precision=19, scale=4), nullable=False),
    sa.Column('disputed', arcollect.db.Money(precision=19, scale=4), nullable=False),
    sa.ForeignKeyConstraint(['close_pk'], ['period_closes.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('close_pk', 'customer_id', 'currency', name='uq_period_aging_row')
    )
    op.create_table('period_figures',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('close_pk', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('ar_total', arcollect.db.Money(precision=19, scale=4), nullable=False),
    sa.Column('current', arcollect.db.Money(precision=19, scale=4), nullable=False),
    sa.Column('past_due', arcollect.db.Money(precision=19, scale=4), nullable=False),
    sa.Column('disputed', arcollect.db.Money(precision=19, scale=4), nullable=False),
    sa.Column('unapplied_cash', arcollect.db.Money(precision=19, scale=4), nullable=False),
    sa.Column('unidentified_cash', arcollect.db.Money(precision=19, scale=4), nullable=False),
    sa.Column('unapplied_credits', arcollect.db.Money(precision=19, scale=4), nullable=False),
    sa.Column('net_balance', arcollect.db.Money(precision=19, scale=4), nullable=False),
    sa.Column('customers', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['close_pk'], ['period_closes.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('close_pk', 'currency', name='uq_period_figures_currency')
    )


def downgrade() -> None:
    op.drop_table('period_figures')
    op.drop_table('period_aging')
    with op.batch_alter_table('period_closes', schema=None) as batch_op:
        batch_op.drop_index('uq_period_closes_live_month', sqlite_where=sa.text('reopened_at IS NULL'), postgresql_where=sa.text('reopened_at IS NULL'))

    op.drop_table('period_closes')
