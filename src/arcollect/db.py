"""Database core: one metadata, exact Money and UTC timestamp column types, engines, sessions, migrations.

SQLite is the embedded default (WAL, foreign keys on); PostgreSQL for teams. Nothing connects at
import time: engines are built by ``create_engine_for(url)``.
"""

from __future__ import annotations

import datetime as dt
import re
from contextlib import contextmanager
from decimal import Decimal
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Iterator

from sqlalchemy import BigInteger, DateTime, Integer, Numeric, create_engine, event, func, inspect, select
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from arcollect.money import STORAGE_SCALE, to_decimal

# Internal keys: BIGINT on PostgreSQL, INTEGER PRIMARY KEY (the rowid alias) on SQLite.
PK = BigInteger().with_variant(Integer(), "sqlite")
_SCALE = Decimal(1).scaleb(STORAGE_SCALE)


class Money(TypeDecorator[Decimal]):
    """Exact money: NUMERIC(19, 4) on PostgreSQL; integer 1/10,000ths on SQLite.

    SQLite's REAL would round-trip through float; integers sum exactly in SQL. Floats are refused.
    """

    impl = Numeric(19, STORAGE_SCALE)
    cache_ok = True

    def load_dialect_impl(self, dialect: Any) -> Any:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(BigInteger())
        return dialect.type_descriptor(Numeric(19, STORAGE_SCALE, asdecimal=True))

    def process_bind_param(self, value: Any, dialect: Any) -> Any:
        if value is None:
            return None
        amount = to_decimal(value)
        if dialect.name != "sqlite":
            return amount
        scaled = amount * _SCALE
        if scaled != scaled.to_integral_value():
            raise ValueError(f"{amount} has more than {STORAGE_SCALE} decimals")
        return int(scaled)

    def process_result_value(self, value: Any, dialect: Any) -> Decimal | None:
        if value is None:
            return None
        if dialect.name == "sqlite":
            return Decimal(int(value)).scaleb(-STORAGE_SCALE)
        return Decimal(value)

    @property
    def python_type(self) -> type:
        return Decimal


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Timezone-aware UTC timestamps on both databases (SQLite keeps no offset)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime refused: timestamps are UTC-aware")
        value = value.astimezone(dt.timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.timezone.utc)
        return value.astimezone(dt.timezone.utc)


class Base(DeclarativeBase):
    """The one declarative base; every feature's models.py derives from it."""


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA cache_size=-65536")
    cursor.execute("PRAGMA temp_store=MEMORY")
    cursor.close()


WRITE = "arcollect_write"  # execution option of a connection whose transaction writes


def _sqlite_begin(conn: Any) -> None:
    """A writing transaction takes SQLite's single write lock when it starts (BEGIN IMMEDIATE), waiting
    up to busy_timeout for another writer, instead of failing with "database is locked" when a read
    transaction later tries to write after someone else committed."""
    if conn.get_execution_options().get(WRITE):
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def pool_size_for(workers: int) -> int:
    """Connections per server worker process: ~60 in all (with the bursts, under PostgreSQL's default of
    100 connections), between 5 and 20 per process — each request thread holds one while it reads."""
    return max(5, min(20, 60 // max(workers, 1)))


def create_engine_for(url: str, *, echo: bool = False, pool_size: int | None = None) -> Engine:
    """An engine for a database URL; creates the directory of a SQLite file. ``pool_size``: connections
    kept open (None: SQLAlchemy's 5), and half as many more opened in a burst."""
    parsed = make_url(url)
    pool = {} if pool_size is None else {"pool_size": pool_size, "max_overflow": max(pool_size // 2, 1)}
    if parsed.drivername.startswith("sqlite"):
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        memory = parsed.database in (None, "", ":memory:")
        engine = create_engine(url, echo=echo, **({} if memory else pool))
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return create_engine(parsed, echo=echo, pool_pre_ping=True, **pool)


LIKE_ESCAPE = "/"


def like_literal(expr: Any, text: str, *, at: str = "anywhere") -> Any:
    """A LIKE condition on user input taken literally: its ``%``, ``_`` and ``/`` (the escape character)
    match only themselves. ``at``: ``anywhere`` (contains), ``start`` or ``end``. Every LIKE over user input
    goes through here."""
    escaped = text.replace(LIKE_ESCAPE, LIKE_ESCAPE * 2).replace("%", LIKE_ESCAPE + "%").replace("_", LIKE_ESCAPE + "_")
    pattern = {"anywhere": f"%{escaped}%", "start": f"{escaped}%", "end": f"%{escaped}"}[at]
    return expr.like(pattern, escape=LIKE_ESCAPE)


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


def writing(session: Session) -> Session:
    """Mark the session's transaction as one that writes (call before its first statement): on SQLite it
    starts with the write lock; on PostgreSQL nothing changes (rows are locked where money moves)."""
    session.connection(execution_options={WRITE: True})
    return session


@contextmanager
def unit_of_work(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One transaction per use case: commit on success, roll back everything on any error."""
    session = writing(factory())
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def _alembic_config(connection: Any) -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(resources.files("arcollect") / "migrations"))
    config.attributes["connection"] = connection
    return config


def not_modelled(type_: str, name: str | None) -> bool:
    """Database objects that exist without a model, which schema comparisons leave alone: other tools' tables
    (the job queue's) and the full-text index (``fts_*`` FTS5 tables on SQLite; the ``fts_document`` generated
    columns and their ``ix_fts_*`` GIN indexes on PostgreSQL), created by the migrations and ``assistant reindex``."""
    name = name or ""
    if type_ == "table":
        return name.startswith(("procrastinate", "fts_"))
    if type_ == "column":
        return name == "fts_document"  # PostgreSQL's generated tsvector column of a searched table
    return type_ == "index" and name.startswith("ix_fts_")


def alembic_include_object(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    """Autogenerate and ``compare_metadata`` leave alone what exists without a model (``not_modelled``)."""
    return not (reflected and compare_to is None and not_modelled(type_, name))


_REVISION = re.compile(r"^revision\b[^=\n]*=\s*['\"]([^'\"]+)['\"]", re.M)
_DOWN_REVISION = re.compile(r"^down_revision\b[^=\n]*=(.*)$", re.M)


@lru_cache(maxsize=1)
def migration_heads() -> frozenset[str] | None:
    """The newest migrations' ids, read from the migration files' text (importing nothing: alembic and every
    model cost a command ~0.4 s of CPU). None when a file does not read as expected — then ask alembic."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (resources.files("arcollect") / "migrations" / "versions").iterdir():
        if not path.name.endswith(".py"):
            continue
        text = path.read_text(encoding="utf-8")
        revision, down = _REVISION.search(text), _DOWN_REVISION.search(text)
        if revision is None or down is None:
            return None
        revisions.add(revision.group(1))
        parents.update(re.findall(r"['\"]([^'\"]+)['\"]", down.group(1)))
    heads = frozenset(revisions - parents)
    return heads or None


def schema_at_head(connection: Any) -> bool:
    """Whether the database is at the newest migrations already (then ``migrate`` has nothing to do)."""
    heads = migration_heads()
    if heads is None or not inspect(connection).has_table("alembic_version"):
        return False
    return {row[0] for row in connection.exec_driver_sql("SELECT version_num FROM alembic_version")} == heads


def migrate(engine: Engine) -> None:
    """Create or upgrade the schema to the newest migration (idempotent). A database at the newest migration
    is answered from the migration files' text, without starting alembic."""
    with engine.begin() as connection:
        if schema_at_head(connection):
            return
        from alembic import command

        command.upgrade(_alembic_config(connection), "head")


def violates(exc: IntegrityError, constraint: Any) -> bool:
    """Whether an IntegrityError is this unique index's or constraint's: PostgreSQL names the constraint,
    SQLite the table's columns."""
    name = getattr(getattr(exc.orig, "diag", None), "constraint_name", None)
    if name is not None:
        return name == constraint.name
    columns = ", ".join(f"{constraint.table.name}.{c.name}" for c in constraint.columns)
    return f"UNIQUE constraint failed: {columns}" in str(exc.orig)


def insert_new(session: Session, table: Any, rows: list[dict[str, Any]], *, returning: list[Any]) -> list[Any]:
    """Insert the rows a unique constraint does not already hold (a concurrent writer got there first:
    ``INSERT … ON CONFLICT DO NOTHING``) and return ``returning`` of the rows inserted, in no set order."""
    if not rows:
        return []
    from sqlalchemy.dialects import postgresql, sqlite

    dialect = session.get_bind().dialect.name
    stmt = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)
    return list(session.execute(stmt.on_conflict_do_nothing().returning(*returning), rows))


def bulk_insert(session: Session, table: Any, rows: list[dict[str, Any]], *, keys: bool = False) -> list[Any]:
    """Insert many rows fast on both databases; with ``keys``, return the new keys in row order.

    Values go through each column's own bind processing (exact Money, UTC timestamps, JSON) and
    Python-side defaults, then straight to the driver: COPY on PostgreSQL, executemany on SQLite.
    """
    if not rows:
        return []
    connection = session.connection()
    raw = connection.connection.driver_connection
    if "id" not in table.c:  # a natural key (e.g. customer + day): the rows carry it
        columns, values = _processed(connection, table, rows, None)
        _send(connection, raw, table, columns, values)
        return []
    if connection.dialect.name == "postgresql":
        ids = _new_keys(connection, table, rows, keys=True)
        columns, values = _processed(connection, table, rows, ids)
        names = ", ".join(f'"{c.name}"' for c in columns)
        with raw.cursor() as cursor, cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
            for row in values:
                copy.write_row(row)
        return ids if keys else []
    ids = _new_keys(connection, table, rows, keys=keys)
    columns, values = _processed(connection, table, rows, ids or None)
    if not ids:  # let SQLite number the rows
        columns = [c for c in columns if c.name != "id"]
        values = (row[1:] for row in values)
    _send(connection, raw, table, columns, values)
    return ids


def _send(connection: Any, raw: Any, table: Any, columns: list[Any], values: Any) -> None:
    names = ", ".join(f'"{c.name}"' for c in columns)
    if connection.dialect.name == "postgresql":
        with raw.cursor() as cursor, cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
            for row in values:
                copy.write_row(row)
        return
    marks = ", ".join("?" for _ in columns)
    raw.executemany(f'INSERT INTO "{table.name}" ({names}) VALUES ({marks})', values)


def _new_keys(connection: Any, table: Any, rows: list[dict[str, Any]], *, keys: bool) -> list[Any]:
    if all("id" in row for row in rows):
        return [row["id"] for row in rows]
    if not keys:
        return []
    if connection.dialect.name == "postgresql":
        seq = connection.exec_driver_sql(f"SELECT pg_get_serial_sequence('{table.name}', 'id')").scalar()
        return list(connection.exec_driver_sql(
            f"SELECT nextval('{seq}') FROM generate_series(1, {len(rows)})").scalars())
    # SQLite: the transaction already holds the single write lock (the caller wrote before), so the
    # keys after MAX(id) are ours to take.
    start = (connection.execute(select(func.max(table.c.id))).scalar() or 0) + 1
    return list(range(start, start + len(rows)))


_MEMO_TYPES = frozenset({str, dt.date, dt.datetime})
_MISSING = object()


def _processed(connection: Any, table: Any, rows: list[dict[str, Any]],
               ids: list[Any] | None) -> tuple[list[Any], Any]:
    """The table's columns (id first) and a generator of driver-ready value tuples."""
    dialect = connection.dialect
    keyed = "id" in table.c
    columns = ([table.c.id] if keyed else []) + [c for c in table.columns if c.name != "id"]
    plan = []
    for column in columns[1 if keyed else 0:]:
        default = column.default.arg if column.default is not None and column.default.is_scalar else None
        plan.append((column.name, default, column.type._cached_bind_processor(dialect)))

    def values() -> Any:
        # bind processing is pure: a value seen before in the column (the import's timestamp, its
        # currencies, dates, actor) is processed once — only for exact immutable types, so equal values
        # of different types (1 and True, 1.0 and 1.00) never share a result
        memo: list[dict[Any, Any]] = [{} for _ in plan]
        for n, row in enumerate(rows):
            out = [ids[n] if ids else None] if keyed else []
            for (name, default, process), seen in zip(plan, memo):
                value = row.get(name, default)
                if value is not None and process is not None:
                    if type(value) in _MEMO_TYPES:
                        key = (type(value), value)
                        done = seen.get(key, _MISSING)
                        if done is _MISSING:
                            if len(seen) > 10_000:
                                seen.clear()
                            done = seen[key] = process(value)
                        value = done
                    else:
                        value = process(value)
                out.append(value)
            yield tuple(out)

    return columns, values()
