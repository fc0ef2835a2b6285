"""Backups of the whole database and their restore: SQLite's online backup API (the backup is itself a
SQLite database file), pg_dump's custom format and pg_restore for PostgreSQL. A backup is written under a
temporary name and renamed when complete; a restore checks the file before it touches anything, runs in one
transaction and leaves the target as it was when it fails."""

from __future__ import annotations

import glob
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Engine, make_url

from arcollect.errors import Conflict, InvalidInput

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_MAGIC = b"PGDMP"


def backend(engine: Engine) -> str:
    return engine.dialect.name  # "sqlite" | "postgresql"


def file_kind(path: Path) -> str:
    """``sqlite`` or ``postgresql``: which database a backup file is of, from its first bytes."""
    try:
        with path.open("rb") as handle:
            head = handle.read(16)
    except OSError as exc:
        raise InvalidInput(f"{path}: cannot read the backup: {exc.strerror or exc}") from None
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(PG_MAGIC):
        return "postgresql"
    raise InvalidInput(f"{path}: not an arcollect backup (neither a SQLite database nor a pg_dump custom-format "
                       "archive)")


def _partial(path: Path) -> Path:
    return path.with_name(f".{path.name}.partial")


def _check_target(path: Path) -> None:
    if path.exists():
        raise Conflict(f"{path} exists already: give a new file name (a backup never overwrites a file)")
    if not path.parent.is_dir():
        raise InvalidInput(f"{path.parent}: no such directory")


# ---- SQLite ------------------------------------------------------------------------------------
def backup_sqlite(engine: Engine, path: Path) -> None:
    """Copy the live database page by page (readers and writers may go on; SQLite restarts the copy when a
    writer changes a page already copied) into ``path``."""
    _check_target(path)
    partial = _partial(path)
    partial.unlink(missing_ok=True)
    raw = engine.raw_connection()
    try:
        target = sqlite3.connect(partial)
        try:
            raw.driver_connection.backup(target, pages=1024)
            target.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
        finally:
            target.close()
        os.replace(partial, path)
    except sqlite3.Error as exc:
        partial.unlink(missing_ok=True)
        raise InvalidInput(f"{path}: backup failed: {exc}") from None
    finally:
        raw.close()


def sqlite_revision(path: Path) -> str:
    """The migration a SQLite backup file is at, after checking the file is whole."""
    try:
        source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise InvalidInput(f"{path}: cannot open the backup: {exc}") from None
    try:
        problems = [row[0] for row in source.execute("PRAGMA integrity_check")]
        if problems != ["ok"]:
            raise InvalidInput(f"{path}: the backup is damaged: {'; '.join(problems[:3])}")
        row = source.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.DatabaseError as exc:
        raise InvalidInput(f"{path}: not an arcollect backup: {exc}") from None
    finally:
        source.close()
    if row is None:
        raise InvalidInput(f"{path}: not an arcollect backup (no schema version)")
    return str(row[0])


def restore_sqlite(engine: Engine, path: Path) -> None:
    """Replace the database's content with the backup's (SQLite copies it in one write transaction)."""
    source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    raw = engine.raw_connection()
    try:
        source.backup(raw.driver_connection)
    except sqlite3.Error as exc:
        raise InvalidInput(f"{path}: restore failed, the database is unchanged: {exc}") from None
    finally:
        raw.close()
        source.close()
    engine.dispose()  # connections opened before hold the old schema


# ---- PostgreSQL --------------------------------------------------------------------------------
def pg_binary(name: str, bin_dir: Path | None = None) -> str:
    """``pg_dump``/``pg_restore``: from ``bin_dir`` (Settings.pg_bin_dir), else Debian's newest server
    binaries (a dump needs a pg_dump at least as new as the server), else the PATH."""
    candidates = [bin_dir / name] if bin_dir else []
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"),
                   key=lambda p: int(p.split("/")[4]) if p.split("/")[4].isdigit() else 0)
    candidates += [Path(p) for p in reversed(found)]
    for candidate in candidates:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    on_path = shutil.which(name)
    if on_path and not bin_dir:
        return on_path
    where = f" in {bin_dir}" if bin_dir else " (install Debian's postgresql-client or set ARCOLLECT_PG_BIN_DIR)"
    raise InvalidInput(f"{name} not found{where}")


def _pg_args(url: Any) -> tuple[list[str], dict[str, str]]:
    """Connection options for the libpq tools: host, port, user and database as arguments, the password in
    the environment (never on a command line another user can see)."""
    parsed = make_url(str(url)) if not hasattr(url, "drivername") else url
    args = []
    if parsed.host:
        args += ["--host", parsed.host]
    if parsed.port:
        args += ["--port", str(parsed.port)]
    if parsed.username:
        args += ["--username", parsed.username]
    env = {**os.environ, "PGCONNECT_TIMEOUT": "10"}
    if parsed.password is not None:
        env["PGPASSWORD"] = str(parsed.password)
    for key, variable in (("sslmode", "PGSSLMODE"), ("sslrootcert", "PGSSLROOTCERT"), ("host", "PGHOST")):
        if key in parsed.query:
            env[variable] = str(parsed.query[key])
    return [*args, "--no-password", "--dbname", parsed.database or ""], env


def _run(command: list[str], env: dict[str, str], what: str) -> None:
    try:
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=24 * 3600)
    except OSError as exc:
        raise InvalidInput(f"{what}: cannot run {command[0]}: {exc}") from None
    if done.returncode != 0:
        lines = [line for line in done.stderr.splitlines() if line.strip()][-5:]
        raise InvalidInput(f"{what} failed ({Path(command[0]).name} exit {done.returncode}): " + " / ".join(lines))


def backup_postgresql(engine: Engine, path: Path, bin_dir: Path | None) -> None:
    """pg_dump's custom format (compressed; pg_restore reads it), one consistent snapshot of the database."""
    _check_target(path)
    partial = _partial(path)
    partial.unlink(missing_ok=True)
    args, env = _pg_args(engine.url)
    try:
        _run([pg_binary("pg_dump", bin_dir), "--format=custom", "--no-owner", "--no-privileges",
              "--file", str(partial), *args], env, f"backup to {path}")
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)


def postgresql_revision(path: Path, bin_dir: Path | None) -> None:
    """Check that pg_restore can read the archive and that it holds arcollect's schema."""
    try:
        done = subprocess.run([pg_binary("pg_restore", bin_dir), "--list", str(path)], capture_output=True,
                              text=True, timeout=600)
    except OSError as exc:
        raise InvalidInput(f"{path}: cannot run pg_restore: {exc}") from None
    if done.returncode != 0:
        raise InvalidInput(f"{path}: the backup cannot be read: {done.stderr.strip().splitlines()[-1:]}")
    if " alembic_version " not in done.stdout:
        raise InvalidInput(f"{path}: not an arcollect backup (no schema version table)")


def restore_postgresql(engine: Engine, path: Path, bin_dir: Path | None) -> None:
    """Drop what the archive holds and recreate it, all in one transaction: on any error nothing changes."""
    engine.dispose()  # our own pooled connections would hold locks pg_restore waits for
    args, env = _pg_args(engine.url)
    _run([pg_binary("pg_restore", bin_dir), "--clean", "--if-exists", "--no-owner", "--no-privileges",
          "--single-transaction", "--exit-on-error", *args, str(path)], env, f"restore from {path}")


def is_empty(engine: Engine, tables: list[str]) -> bool:
    """No row in any of arcollect's tables (a database just created by `arcollect init` is empty)."""
    from sqlalchemy import inspect

    present = set(inspect(engine).get_table_names())
    with engine.connect() as conn:
        for name in tables:
            if name in present and conn.execute(text(f'SELECT 1 FROM "{name}" LIMIT 1')).first() is not None:
                return False
    return True
