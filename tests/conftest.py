"""Fixtures: every database test runs on SQLite and on a real PostgreSQL started here."""

from __future__ import annotations

import datetime as dt
import os
import shutil
from pathlib import Path
from typing import Iterator

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from arcollect.clock import FixedClock
from arcollect.context import Context, build_context
from arcollect.db import Base, create_engine_for, migrate
from arcollect.settings import Settings

TODAY = dt.date(2026, 11, 23)
BACKENDS = [b.strip() for b in os.environ.get("ARCOLLECT_TEST_BACKENDS", "sqlite,postgresql").split(",") if b.strip()]


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[object]:
    from tests.pg import Cluster

    cluster = Cluster().start()
    yield cluster
    cluster.stop()


@pytest.fixture(scope="session")
def pg_url(pg_cluster) -> str:  # noqa: ANN001
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    url = pg_cluster.create_database(f"arcollect_test_{worker}")
    engine = create_engine_for(url)
    migrate(engine)
    engine.dispose()
    return url


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:  # noqa: ANN001
    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = create_engine_for(f"sqlite:///{path}")
    migrate(engine)
    with engine.connect() as conn:
        conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
    engine.dispose()
    return path


def _truncate_all(url: str) -> None:
    engine = create_engine_for(url)
    names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture(params=BACKENDS)
def db_url(request, tmp_path) -> str:  # noqa: ANN001
    """A fresh, migrated, empty database of each backend."""
    import arcollect.models  # noqa: F401

    if request.param == "sqlite":
        path = tmp_path / "arcollect.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    url = request.getfixturevalue("pg_url")
    _truncate_all(url)
    return url


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(dt.datetime(2026, 11, 23, 9, 30, tzinfo=dt.timezone.utc))


@pytest.fixture
def ctx(db_url, clock, tmp_path) -> Iterator[Context]:  # noqa: ANN001
    settings = Settings(home=tmp_path / "home", database_url=db_url)
    context = build_context(settings, clock=clock, actor="test", migrate_schema=False)
    yield context
    context.dispose()


class Cli:
    """Runs `arcollect --db URL ...` in-process and returns (exit code, stdout, stderr)."""

    def __init__(self, db_url: str) -> None:
        self.db_url = db_url
        self.runner = CliRunner()

    def __call__(self, *args: str):  # noqa: ANN204
        from arcollect.cli.common import state
        from arcollect.cli.main import app

        result = self.runner.invoke(app, ["--db", self.db_url, *args], catch_exceptions=False)
        if state.ctx is not None:
            state.ctx.dispose()
            state.ctx = None
        return result


@pytest.fixture
def cli(db_url) -> Cli:  # noqa: ANN001
    return Cli(db_url)


def write_csv(path: Path, header: str, *rows: str) -> Path:
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path
