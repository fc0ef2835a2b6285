"""The application context handed to every service call: settings, database, clock, actor."""

from __future__ import annotations

import importlib
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any, Iterator

from sqlalchemy import event, inspect
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from arcollect.clock import Clock, SystemClock
from arcollect.db import create_engine_for, migrate, session_factory, unit_of_work
from arcollect.settings import Settings


@dataclass
class Context:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    clock: Clock
    actor: str = "system"
    caches: dict[str, Any] = field(default_factory=dict)  # in-process caches, shared by every copy (acting_as)

    @contextmanager
    def unit_of_work(self) -> Iterator[Session]:
        with unit_of_work(self.sessions) as session:
            yield session

    def acting_as(self, actor: str) -> "Context":
        """The same context with ``actor`` written into the audit log (the signed-in user, an API caller)."""
        return replace(self, actor=actor)

    def read_session(self) -> Session:
        return self.sessions()

    def ensure_schema(self) -> None:
        migrate(self.engine)

    def has_schema(self) -> bool:
        return inspect(self.engine).has_table("alembic_version")

    def dispose(self) -> None:
        self.engine.dispose()


def _every_model(*_: Any) -> None:
    """Every feature's tables on the metadata before the ORM first writes: a flush orders its inserts by the
    foreign keys of every mapped table, which fails on a key to a table not loaded. A command that only reads
    (the aging) never pays for loading them. By name, like alembic's env.py: the registry of all tables is not
    a dependency of the core on the features."""
    importlib.import_module("arcollect.models")


def build_context(settings: Settings, *, clock: Clock | None = None, actor: str = "system",
                  migrate_schema: bool = True) -> Context:
    engine = create_engine_for(settings.effective_database_url, echo=settings.sql_echo,
                               pool_size=settings.db_pool_size)
    sessions = session_factory(engine)
    event.listen(sessions, "before_flush", _every_model)
    # the maintained balances, recomputed for what each unit of work wrote before it commits (by name, as above)
    importlib.import_module("arcollect.ledger.upkeep").install(sessions)
    ctx = Context(settings=settings, engine=engine, sessions=sessions,
                  clock=clock or SystemClock(), actor=actor)
    if migrate_schema:
        ctx.ensure_schema()
    return ctx
