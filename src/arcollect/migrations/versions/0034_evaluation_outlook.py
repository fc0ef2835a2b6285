"""incremental daily run: the engine's segment and notes for the days after an evaluation (a skipped account's entry)

Revision ID: 0034
Revises: 0031
Create Date: 2026-12-04 19:30:00
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op


revision: str = '0034'
down_revision: Union[str, None] = '0031'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('evaluation_states') as batch:
        batch.add_column(sa.Column('outlook', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('evaluation_states') as batch:
        batch.drop_column('outlook')
