"""Many keys in one statement: a temporary key table joined instead of thousands-long IN lists (issue #19).

An import looks up, locks and refreshes its rows by key, 20,000 keys a chunk. As IN lists those
are four statements of 5,000 bind parameters each (PostgreSQL takes at most 65,535), every one
compiled anew. ``key_set`` instead writes the keys into a temporary table of this connection
(COPY on PostgreSQL, executemany on SQLite) and returns ``SELECT k FROM it`` for ``column.in_(…)``:
one statement, whatever the number of keys, with the same rows, the same order and the same locks
(``FOR UPDATE`` locks the rows of the outer query only, in its ``ORDER BY``).

The table holds one key set at a time: use what ``key_set`` returned before asking for the next.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable

from sqlalchemy import BigInteger, Column, MetaData, Table, Text, select
from sqlalchemy.orm import Session

SMALL = 50  # up to this many keys an IN list is cheaper than filling the table
_META = MetaData()
TEXT_KEYS = Table("import_key_text", _META, Column("k", Text, primary_key=True), prefixes=["TEMPORARY"])
INT_KEYS = Table("import_key_int", _META, Column("k", BigInteger, primary_key=True), prefixes=["TEMPORARY"])
_DDL = {TEXT_KEYS: "text", INT_KEYS: "bigint"}


def key_set(session: Session, values: Iterable[Any]) -> Any:
    """What ``column.in_(…)`` takes for these keys: a list when there are few, else a subquery on the
    temporary key table, filled with them now. ``None`` keys are left out; text keys with a NUL
    character too (no stored id has one, and PostgreSQL cannot hold them)."""
    keys = {v for v in values if v is not None and not (isinstance(v, str) and "\x00" in v)}
    if len(keys) <= SMALL:
        return sorted(keys)
    table = TEXT_KEYS if isinstance(next(iter(keys)), str) else INT_KEYS
    connection = session.connection()
    raw = connection.connection.driver_connection
    postgres = connection.dialect.name == "postgresql"
    if postgres:
        exists = connection.exec_driver_sql(f"SELECT to_regclass('pg_temp.{table.name}')").scalar()
        if exists is None:  # per session; ON COMMIT DROP leaves nothing behind after the import
            connection.exec_driver_sql(f"CREATE TEMPORARY TABLE {table.name} (k {_DDL[table]} PRIMARY KEY) "
                                       "ON COMMIT DROP")
        else:
            connection.exec_driver_sql(f"TRUNCATE {table.name}")
        with raw.cursor() as cursor, cursor.copy(f"COPY {table.name} (k) FROM STDIN") as copy:
            for key in keys:
                copy.write_row((key,))
        connection.exec_driver_sql(f"ANALYZE {table.name}")  # plan the join on its real size
    else:
        connection.exec_driver_sql(f"CREATE TEMPORARY TABLE IF NOT EXISTS {table.name} "
                                   f"(k {_DDL[table]} PRIMARY KEY)")
        connection.exec_driver_sql(f"DELETE FROM {table.name}")
        raw.executemany(f"INSERT INTO {table.name} (k) VALUES (?)", [(k,) for k in keys])
    return select(table.c.k)


def keyed_rows(session: Session, build: Callable[[Any], Any], values: Iterable[Any]) -> list[Any]:
    """All rows of ``build(keys)``, ``keys`` being what ``key_set`` gives for ``values``."""
    items = list(values)
    if not items:
        return []
    return session.execute(build(key_set(session, items))).all()
