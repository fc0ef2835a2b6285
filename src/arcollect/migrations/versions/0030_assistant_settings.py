"""the assistant's settings kept in the database: auto-approval rules per action kind, admin-maintained answers

Revision ID: 0030
Revises: 0024
Create Date: 2026-12-03 16:00:00
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

import arcollect.db


revision: str = '0030'
down_revision: Union[str, None] = '0024'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

_PK = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table('assistant_auto_rules',
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('threshold', sa.Float(), nullable=False),
    sa.Column('updated_by', sa.String(length=128), nullable=False),
    sa.Column('updated_at', arcollect.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('threshold >= 0 AND threshold <= 1', name='ck_assistant_auto_rules_threshold'),
    sa.PrimaryKeyConstraint('kind')
    )
    op.create_table('assistant_answers',
    sa.Column('id', _PK, autoincrement=True, nullable=False),
    sa.Column('topic', sa.String(length=200), nullable=False),
    sa.Column('keywords', sa.Text(), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('answer', sa.Text(), nullable=False),
    sa.Column('updated_by', sa.String(length=128), nullable=False),
    sa.Column('updated_at', arcollect.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )


def downgrade() -> None:
    op.drop_table('assistant_answers')
    op.drop_table('assistant_auto_rules')
