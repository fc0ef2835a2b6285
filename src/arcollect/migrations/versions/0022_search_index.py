"""full-text search (assistant ask): SOP documents; SQLite FTS5 tables with triggers, PostgreSQL generated tsvector columns with GIN indexes

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-03 12:00:00

A frozen copy of arcollect.assistant.search_index as it was for this revision (a migration never changes
meaning later); `arcollect assistant reindex` recreates the current definition.
"""
import unicodedata
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

import arcollect.db


revision: str = '0022'
down_revision: Union[str, None] = '0021'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

TABLES = {
    "customers": ("customer_id", "name", "email"),
    "invoices": ("invoice_id", "po_number", "description"),
    "outbox": ("subject", "body_text"),
    "inbound_messages": ("subject", "from_addr", "body_text"),
    "activities": ("note",),
    "disputes": ("reason", "note"),
    "dispute_events": ("text",),
    "sop_documents": ("title", "body"),
}
PUNCTUATION = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"


def _letters():
    src, dst = [], []
    for cp in range(0xC0, 0x250):
        ch = chr(cp)
        base = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
        if base != ch and len(base) == 1 and base.isascii() and base.isalpha():
            src.append(ch)
            dst.append(base.lower())
    return "".join(src), "".join(dst)


def _literal(s):
    return "'" + s.replace("'", "''") + "'"


def _pg_document(table):
    joined = " || ' ' || ".join(f"coalesce({c}::text, '')" for c in TABLES[table])
    src, dst = _letters()
    return (f"to_tsvector('simple'::regconfig, translate(lower(left({joined}, 100000)), "
            f"{_literal(PUNCTUATION + src)}, {_literal(' ' * len(PUNCTUATION) + dst)}))")


def _sqlite(table):
    q = lambda n: '"' + n + '"'  # noqa: E731
    cols = TABLES[table]
    fts, names = f"fts_{table}", ", ".join(q(c) for c in cols)
    new, old = ", ".join(f"new.{q(c)}" for c in cols), ", ".join(f"old.{q(c)}" for c in cols)
    return [
        f"CREATE VIRTUAL TABLE IF NOT EXISTS {fts} USING fts5({names}, content='{table}', content_rowid='id', "
        f"tokenize='unicode61 remove_diacritics 2')",
        f"CREATE TRIGGER IF NOT EXISTS {fts}_ai AFTER INSERT ON {table} BEGIN "
        f"INSERT INTO {fts}(rowid, {names}) VALUES (new.id, {new}); END",
        f"CREATE TRIGGER IF NOT EXISTS {fts}_ad AFTER DELETE ON {table} BEGIN "
        f"INSERT INTO {fts}({fts}, rowid, {names}) VALUES ('delete', old.id, {old}); END",
        f"CREATE TRIGGER IF NOT EXISTS {fts}_au AFTER UPDATE OF {names} ON {table} BEGIN "
        f"INSERT INTO {fts}({fts}, rowid, {names}) VALUES ('delete', old.id, {old}); "
        f"INSERT INTO {fts}(rowid, {names}) VALUES (new.id, {new}); END",
        f"INSERT INTO {fts}({fts}) VALUES ('rebuild')",  # rows written before this revision
    ]


def upgrade() -> None:
    op.create_table('sop_documents',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('uploaded_at', arcollect.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('uploaded_by', sa.String(length=128), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    dialect = op.get_bind().dialect.name
    for table in TABLES:
        if dialect == "sqlite":
            for statement in _sqlite(table):
                op.execute(statement)
        elif dialect == "postgresql":
            op.execute(f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS fts_document tsvector "
                       f"GENERATED ALWAYS AS ({_pg_document(table)}) STORED")
            op.execute(f"CREATE INDEX IF NOT EXISTS ix_fts_{table} ON {table} USING gin (fts_document)")


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for table in TABLES:
        if dialect == "sqlite":
            for suffix in ("ai", "ad", "au"):
                op.execute(f"DROP TRIGGER IF EXISTS fts_{table}_{suffix}")
            op.execute(f"DROP TABLE IF EXISTS fts_{table}")
        elif dialect == "postgresql":
            op.execute(f"DROP INDEX IF EXISTS ix_fts_{table}")
            op.execute(f"ALTER TABLE {table} DROP COLUMN IF EXISTS fts_document")
    op.drop_table('sop_documents')
