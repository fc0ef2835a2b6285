"""stored payment-prediction models (version, metrics, blob)

Revision ID: 0020
Revises: 0018
Create Date: 2026-12-03 07:40:00
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

import arcollect.db


revision: str = '0020'
down_revision: Union[str, None] = '0018'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('prediction_models',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('as_of', sa.Date(), nullable=False),
    sa.Column('trained_at', arcollect.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('trained_by', sa.String(length=128), nullable=False),
    sa.Column('metrics', sa.JSON(), nullable=False),
    sa.Column('blob', sa.LargeBinary(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('version')
    )


def downgrade() -> None:
    op.drop_table('prediction_models')
