"""background jobs: arcollect's job record (both databases) and procrastinate's queue schema (PostgreSQL only)

procrastinate's tables, types and functions come from its own schema.sql of the pinned version
(procrastinate==3.10.0); on SQLite jobs run in-process and there is no queue. A later procrastinate version
brings its migrations (procrastinate/sql/migrations/*.sql): apply them in a new revision like this one.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-03 12:00:00
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

import arcollect.db


revision: str = '0023'
down_revision: Union[str, None] = '0022'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('job_runs',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('job_id', sa.BigInteger(), nullable=True),
    sa.Column('task', sa.String(length=64), nullable=False),
    sa.Column('args', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('worker', sa.String(length=128), nullable=False),
    sa.Column('started_at', arcollect.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('finished_at', arcollect.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('seconds', sa.Float(), nullable=True),
    sa.Column('done', sa.Integer(), nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('result', sa.JSON(), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.CheckConstraint("status IN ('doing', 'succeeded', 'failed')", name='ck_job_runs_status'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('job_id')
    )
    with op.batch_alter_table('job_runs', schema=None) as batch_op:
        batch_op.create_index('ix_job_runs_started_at', ['started_at'], unique=False)
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    from procrastinate.schema import SchemaManager

    exists = bind.exec_driver_sql("SELECT to_regclass('procrastinate_jobs') IS NOT NULL").scalar()
    if not exists:  # a database whose queue was set up by `procrastinate schema --apply` keeps it
        # the driver's own connection: the schema is many statements with $$-quoted bodies, no parameters
        bind.connection.driver_connection.execute(SchemaManager.get_schema())


def downgrade() -> None:
    with op.batch_alter_table('job_runs', schema=None) as batch_op:
        batch_op.drop_index('ix_job_runs_started_at')
    op.drop_table('job_runs')
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    like = {"p": "procrastinate%"}
    for (name,) in bind.execute(sa.text(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relkind = 'r' AND n.nspname = current_schema() AND c.relname LIKE :p"), like).all():
        bind.exec_driver_sql(f'DROP TABLE IF EXISTS "{name}" CASCADE')
    for (signature,) in bind.execute(sa.text(
            "SELECT p.oid::regprocedure::text FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
            "WHERE n.nspname = current_schema() AND p.proname LIKE :p"), like).all():
        bind.exec_driver_sql(f"DROP FUNCTION IF EXISTS {signature} CASCADE")
    for (name,) in bind.execute(sa.text(
            "SELECT t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace "
            "WHERE n.nspname = current_schema() AND t.typname LIKE :p AND t.typtype IN ('e', 'c')"), like).all():
        bind.exec_driver_sql(f'DROP TYPE IF EXISTS "{name}" CASCADE')
