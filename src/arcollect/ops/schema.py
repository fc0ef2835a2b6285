"""Where the database's schema is: the migration it is at, and the newest one this arcollect knows."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from typing import Any

from arcollect.ops.doctor import Finding, check


@lru_cache(maxsize=1)
def _scripts() -> Any:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(resources.files("arcollect") / "migrations"))
    return ScriptDirectory.from_config(config)


def head_revision() -> str:
    return str(_scripts().get_current_head())


def known(revision: str) -> bool:
    try:
        return _scripts().get_revision(revision) is not None
    except Exception:  # alembic raises its own errors for unknown ids
        return False


def current_revision(connection: Any) -> str | None:
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(connection).get_current_revision()


def migration_problem(connection: Any) -> str | None:
    """None when the schema is at the newest migration, else what is wrong, in words."""
    current, head = current_revision(connection), head_revision()
    if current == head:
        return None
    if current is None:
        return f"the database has no schema: run `arcollect init` (newest migration {head})"
    if not known(current):
        return f"the database is at migration {current}, which this arcollect does not know (newer version?)"
    return f"the database is at migration {current}, not {head}: run `arcollect init` to upgrade"


@check("migrations", "the schema is at the newest migration")
def migrations(session: Any) -> list[Finding]:
    problem = migration_problem(session.connection())
    return [Finding("schema", problem)] if problem else []
