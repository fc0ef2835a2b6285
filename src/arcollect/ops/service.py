"""Operations use cases: back the database up, restore it, run the ledger doctor, say whether we are ready.
The CLI (`arcollect backup | restore | doctor`) and /readyz call these."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from arcollect import audit
from arcollect.context import Context
from arcollect.db import Base, migrate
from arcollect.errors import Conflict, InvalidInput, NotFound
from arcollect.ops import backup as B
from arcollect.ops import readiness, schema
from arcollect.ops.doctor import CHECKS, run_checks

# the checks register themselves when their modules load
_LOADED = (schema,)


def _tables() -> list[str]:
    import arcollect.models  # noqa: F401  - every feature's tables on the metadata

    return [t.name for t in Base.metadata.sorted_tables]


def backup(ctx: Context, *, path: Path) -> dict[str, Any]:
    """Write a backup of the whole database to ``path`` (a new file)."""
    path = Path(path).expanduser()
    kind = B.backend(ctx.engine)
    if kind == "sqlite":
        B.backup_sqlite(ctx.engine, path)
    else:
        B.backup_postgresql(ctx.engine, path, ctx.settings.pg_bin_dir)
    with ctx.engine.connect() as conn:
        revision = schema.current_revision(conn)
    return {"path": str(path), "backend": kind, "bytes": path.stat().st_size, "revision": revision}


def restore(ctx: Context, *, path: Path, force: bool = False) -> dict[str, Any]:
    """Replace the database with a backup: refused over a database holding data unless ``force``; the file
    is checked first (its kind, that it is whole, that its schema is one this arcollect knows); the
    schema is upgraded to the newest migration afterwards."""
    path = Path(path).expanduser()
    if not path.is_file():
        raise NotFound(f"{path}: no such backup file")
    kind, target = B.file_kind(path), B.backend(ctx.engine)
    if kind != target:
        raise InvalidInput(f"{path} is a {kind} backup; the database is {target} (restore it into a {kind} database)")
    if kind == "sqlite":
        revision = B.sqlite_revision(path)
        if not schema.known(revision):
            raise InvalidInput(f"{path}: its schema is at migration {revision}, which this arcollect does not know "
                               "(a backup of a newer version)")
    else:
        B.postgresql_revision(path, ctx.settings.pg_bin_dir)
    if not force and not B.is_empty(ctx.engine, _tables()):
        raise Conflict("the database holds data: restore only into an empty database (`arcollect init` a new one), "
                       "or give --force to replace everything in it with the backup")
    if kind == "sqlite":
        B.restore_sqlite(ctx.engine, path)
    else:
        B.restore_postgresql(ctx.engine, path, ctx.settings.pg_bin_dir)
    migrate(ctx.engine)
    with ctx.unit_of_work() as session:
        audit.record(session, at=ctx.clock.now(), actor=ctx.actor, action="restore", entity="database",
                     entity_key=path.name, changes={"file": str(path), "forced": force})
    with ctx.engine.connect() as conn:
        revision = schema.current_revision(conn)
    return {"path": str(path), "backend": kind, "revision": revision}


def doctor(ctx: Context, *, checks: list[str] | None = None) -> dict[str, Any]:
    """Every ledger truth recomputed from the rows; ``ok`` False when anything drifted."""
    unknown = sorted(set(checks or []) - {c.name for c in CHECKS})
    if unknown:
        raise InvalidInput(f"unknown check {', '.join(unknown)} (checks: {', '.join(c.name for c in CHECKS)})")
    with ctx.read_session() as session:
        problem = schema.migration_problem(session.connection())
        if problem and "no schema" in problem:
            raise InvalidInput(problem)
        outcomes = run_checks(session, checks)
    return {"ok": all(o.total == 0 for o in outcomes),
            "checks": [{"name": o.name, "about": o.about, "ok": o.total == 0, "drift": o.total,
                        "findings": [{"subject": f.subject, "problem": f.problem} for f in o.findings]}
                       for o in outcomes]}


def readyz(ctx: Context) -> dict[str, Any]:
    ok, probes = readiness.ready(ctx)
    return {"status": "ready" if ok else "not ready", "checks": {p.name: {"ok": p.ok, "detail": p.detail}
                                                                 for p in probes}}
