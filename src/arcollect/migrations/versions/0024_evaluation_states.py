"""incremental daily run: per-customer evaluation state (inputs stamp, next interesting date)

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-03 16:00:00
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

import arcollect.db


revision: str = '0024'
down_revision: Union[str, None] = '0023'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('evaluation_states',
    sa.Column('customer_pk', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('evaluated_on', sa.Date(), nullable=False),
    sa.Column('evaluated_at', arcollect.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('stamp', sa.String(length=32), nullable=False),
    sa.Column('next_on', sa.Date(), nullable=True),
    sa.Column('entries_on', sa.Date(), nullable=False),
    sa.Column('playbook_version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['customer_pk'], ['customers.id'], ),
    sa.PrimaryKeyConstraint('customer_pk')
    )


def downgrade() -> None:
    op.drop_table('evaluation_states')
