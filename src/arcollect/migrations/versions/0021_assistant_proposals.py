"""the assistant's triages of inbound mail and its proposed actions (approved, edited, rejected, auto)

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-03 12:00:00
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

import arcollect.db


revision: str = '0021'
down_revision: Union[str, None] = '0020'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

_PK = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table('assistant_triages',
    sa.Column('id', _PK, autoincrement=True, nullable=False),
    sa.Column('message_pk', _PK, nullable=True),
    sa.Column('customer_pk', _PK, nullable=True),
    sa.Column('intent', sa.String(length=32), nullable=False),
    sa.Column('confidence', sa.Float(), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=True),
    sa.Column('reading', sa.JSON(), nullable=False),
    sa.Column('created_at', arcollect.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['customer_pk'], ['customers.id'], ),
    sa.ForeignKeyConstraint(['message_pk'], ['inbound_messages.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('message_pk')
    )
    with op.batch_alter_table('assistant_triages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assistant_triages_customer_pk'), ['customer_pk'], unique=False)

    op.create_table('assistant_proposals',
    sa.Column('id', _PK, autoincrement=True, nullable=False),
    sa.Column('triage_pk', _PK, nullable=False),
    sa.Column('customer_pk', _PK, nullable=True),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('evidence', sa.JSON(), nullable=False),
    sa.Column('confidence', sa.Float(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('proposed_at', arcollect.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('decided_by', sa.String(length=128), nullable=True),
    sa.Column('decided_at', arcollect.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('original', sa.JSON(), nullable=True),
    sa.Column('result', sa.JSON(), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.CheckConstraint("status IN ('proposed', 'approved', 'edited', 'rejected', 'auto')", name='ck_assistant_proposals_status'),
    sa.ForeignKeyConstraint(['customer_pk'], ['customers.id'], ),
    sa.ForeignKeyConstraint(['triage_pk'], ['assistant_triages.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('assistant_proposals', schema=None) as batch_op:
        batch_op.create_index('ix_assistant_proposals_status_customer', ['status', 'customer_pk'], unique=False)
        batch_op.create_index(batch_op.f('ix_assistant_proposals_triage_pk'), ['triage_pk'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('assistant_proposals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assistant_proposals_triage_pk'))
        batch_op.drop_index('ix_assistant_proposals_status_customer')
    op.drop_table('assistant_proposals')
    with op.batch_alter_table('assistant_triages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assistant_triages_customer_pk'))
    op.drop_table('assistant_triages')
