"""maintained balances: open and disputed amounts per customer, currency and due date; unapplied cash and
credits per customer and currency (kept by ledger.upkeep in every writer's transaction), backfilled here

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-04 19:00:00
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

import arcollect.db


revision: str = '0031'
down_revision: Union[str, None] = '0030'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('customer_balances',
    sa.Column('customer_pk', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=False),
    sa.Column('open_amount', arcollect.db.Money(precision=19, scale=4), nullable=False),
    sa.Column('disputed_amount', arcollect.db.Money(precision=19, scale=4), nullable=False),
    sa.ForeignKeyConstraint(['customer_pk'], ['customers.id'], ),
    sa.PrimaryKeyConstraint('customer_pk', 'currency', 'due_date')
    )
    op.create_index('ix_customer_balances_aging', 'customer_balances',
                    ['customer_pk', 'currency', 'due_date', 'open_amount', 'disputed_amount'], unique=False)
    op.create_table('customer_balance_totals',
    sa.Column('customer_pk', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('unapplied_cash', arcollect.db.Money(precision=19, scale=4), nullable=False),
    sa.Column('unapplied_credits', arcollect.db.Money(precision=19, scale=4), nullable=False),
    sa.Column('latest_on', sa.Date(), nullable=False),
    sa.ForeignKeyConstraint(['customer_pk'], ['customers.id'], ),
    sa.PrimaryKeyConstraint('customer_pk', 'currency')
    )
    op.create_index(op.f('ix_customer_balance_totals_latest_on'), 'customer_balance_totals', ['latest_on'],
                    unique=False)
    # the backfill: every customer's rows recomputed from the ledger, as each unit of work does for its own
    from sqlalchemy.orm import Session

    from arcollect.ledger.upkeep import refresh_everyone

    session = Session(bind=op.get_bind())
    refresh_everyone(session)
    session.flush()


def downgrade() -> None:
    op.drop_index(op.f('ix_customer_balance_totals_latest_on'), table_name='customer_balance_totals')
    op.drop_table('customer_balance_totals')
    op.drop_index('ix_customer_balances_aging', table_name='customer_balances')
    op.drop_table('customer_balances')
