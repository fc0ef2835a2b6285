"""cash matching runs: progress of a match across page reloads, one run at a time

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-03 07:10:00.000000
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

import arcollect.db


revision: str = '0017'
down_revision: Union[str, None] = '0016'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('cash_match_runs',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('status', sa.String(length=8), nullable=False),
    sa.Column('phase', sa.String(length=16), nullable=False),
    sa.Column('as_of', sa.Date(), nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('done', sa.Integer(), nullable=False),
    sa.Column('result', sa.JSON(), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('started_by', sa.String(length=128), nullable=False),
    sa.Column('started_at', arcollect.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', arcollect.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('finished_at', arcollect.db.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status IN ('running', 'done', 'failed')", name='ck_cash_match_runs_status'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('cash_match_runs', schema=None) as batch_op:
        batch_op.create_index('uq_cash_match_runs_running', ['status'], unique=True,
                              sqlite_where=sa.text("status = 'running'"),
                              postgresql_where=sa.text("status = 'running'"))


def downgrade() -> None:
    with op.batch_alter_table('cash_match_runs', schema=None) as batch_op:
        batch_op.drop_index('uq_cash_match_runs_running', sqlite_where=sa.text("status = 'running'"),
                            postgresql_where=sa.text("status = 'running'"))
    op.drop_table('cash_match_runs')
