"""The full-text index behind ``assistant ask``: which columns of which tables are searched, and how each
database keeps its index current by itself, whatever code writes the rows (ORM, bulk imports, raw SQL).

- SQLite: one FTS5 *external-content* table per searched table (``fts_<table>``: no copy of the text, the
  rows stay in their own table), kept current by three triggers per table (after insert, delete, and update
  of the searched columns) — the pattern the FTS5 documentation gives for external content.
- PostgreSQL: a stored generated ``tsvector`` column per table (``fts_document GENERATED ALWAYS AS (…)
  STORED``, computed by PostgreSQL on every insert and update: no trigger, nothing to forget; the models do not
  map it, so the ORM never reads or writes it) with a GIN index (``ix_fts_<table>``). Stored, not an
  expression index: ranking and the index recheck read the stored vector instead of recomputing it per row.

``reindex`` rebuilds both from the rows (and recreates SQLite's triggers): for a database copied without its
index, or after a migration that rebuilt a searched table on SQLite (batch mode drops a table's triggers).

The same normalisation is applied on both sides so that a word is found the same way on either database:
lower case, accents dropped (é → e), ASCII punctuation a separator ("INV-1042" → "inv 1042", an email address
its parts). The migration 0022 holds a frozen copy of ``TABLES`` and ``pg_document``."""

from __future__ import annotations

import unicodedata
from typing import Any

from sqlalchemy import text

# table → the columns searched, in the order they are joined
TABLES: dict[str, tuple[str, ...]] = {
    "customers": ("customer_id", "name", "email"),
    "invoices": ("invoice_id", "po_number", "description"),
    "outbox": ("subject", "body_text"),
    "inbound_messages": ("subject", "from_addr", "body_text"),
    "activities": ("note",),
    "disputes": ("reason", "note"),
    "dispute_events": ("text",),
    "sop_documents": ("title", "body"),
}
MAX_INDEXED_CHARS = 100_000  # of one record's text (PostgreSQL's tsvector holds at most 1 MB)
PUNCTUATION = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"


def _folded_letters() -> tuple[str, str]:
    """Latin letters with accents and their plain lower-case letter (é, É → e), for PostgreSQL's translate()
    (upper case too: lower() leaves non-ASCII letters alone in a database created with the C locale)."""
    src, dst = [], []
    for cp in range(0xC0, 0x250):
        ch = chr(cp)
        base = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
        if base != ch and len(base) == 1 and base.isascii() and base.isalpha():
            src.append(ch)
            dst.append(base.lower())
    return "".join(src), "".join(dst)


_LETTERS_FROM, _LETTERS_TO = _folded_letters()


def _literal(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


PG_COLUMN = "fts_document"


def pg_document(table: str, columns: tuple[str, ...] | None = None) -> str:
    """The tsvector expression of ``table``'s searched columns (the generated column's definition)."""
    cols = columns or TABLES[table]
    joined = " || ' ' || ".join(f"coalesce({c}::text, '')" for c in cols)
    return (f"to_tsvector('simple'::regconfig, translate(lower(left({joined}, {MAX_INDEXED_CHARS})), "
            f"{_literal(PUNCTUATION + _LETTERS_FROM)}, {_literal(' ' * len(PUNCTUATION) + _LETTERS_TO)}))")


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def sqlite_statements(table: str) -> list[str]:
    """The FTS5 table and its three triggers for ``table`` (idempotent: IF NOT EXISTS)."""
    cols = TABLES[table]
    fts = f"fts_{table}"
    names = ", ".join(_q(c) for c in cols)
    new = ", ".join(f"new.{_q(c)}" for c in cols)
    old = ", ".join(f"old.{_q(c)}" for c in cols)
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
    ]


def pg_statements(table: str) -> list[str]:
    return [f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {PG_COLUMN} tsvector "
            f"GENERATED ALWAYS AS ({pg_document(table)}) STORED",
            f"CREATE INDEX IF NOT EXISTS ix_fts_{table} ON {table} USING gin ({PG_COLUMN})"]


def rebuild(connection: Any) -> dict[str, int]:
    """Recreate what is missing and rebuild every index from the rows; returns the rows indexed per table."""
    dialect = connection.dialect.name
    counts = {}
    for table in TABLES:
        if dialect == "sqlite":
            for statement in sqlite_statements(table):
                connection.execute(text(statement))
            connection.execute(text(f"INSERT INTO fts_{table}(fts_{table}) VALUES ('rebuild')"))
        elif dialect == "postgresql":
            for statement in pg_statements(table):
                connection.execute(text(statement))
            connection.execute(text(f"REINDEX INDEX ix_fts_{table}"))
        counts[table] = int(connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())
    return counts


def missing(connection: Any) -> list[str]:
    """The index objects that should exist and do not (a migration that dropped SQLite's triggers, say)."""
    dialect = connection.dialect.name
    if dialect == "sqlite":
        have = {r[0] for r in connection.execute(text("SELECT name FROM sqlite_master WHERE type IN ('table', 'trigger')"))}
        want = [n for t in TABLES for n in (f"fts_{t}", f"fts_{t}_ai", f"fts_{t}_ad", f"fts_{t}_au")]
    else:
        have = {r[0] for r in connection.execute(text("SELECT indexname FROM pg_indexes"))}
        have |= {f"{r[0]}.{PG_COLUMN}" for r in connection.execute(text(
            "SELECT table_name FROM information_schema.columns WHERE column_name = :c"), {"c": PG_COLUMN})}
        want = [n for t in TABLES for n in (f"ix_fts_{t}", f"{t}.{PG_COLUMN}")]
    return [n for n in want if n not in have]
