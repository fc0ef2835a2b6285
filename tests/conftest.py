"""Fixtures: every database test runs on SQLite and on a real PostgreSQL started here."""

from __future__ import annotations

import datetime as dt
import os
import shutil
from pathlib import Path
from typing import Iterator

# argon2's cheapest parameters for the thousands of users the suite signs in (set before arcollect is imported;
# subprocesses inherit it). A test in tests/security checks the real parameters stay the default.
os.environ.setdefault("ARCOLLECT_TEST_CHEAP_PASSWORD_HASHES", "1")

import pytest  # noqa: E402
from sqlalchemy import text  # noqa: E402
from typer.testing import CliRunner  # noqa: E402

from arcollect.clock import FixedClock  # noqa: E402
from arcollect.context import Context, build_context  # noqa: E402
from arcollect.db import Base, create_engine_for, migrate  # noqa: E402
from arcollect.settings import Settings  # noqa: E402

TODAY = dt.date(2026, 11, 23)
BACKENDS = [b.strip() for b in os.environ.get("ARCOLLECT_TEST_BACKENDS", "sqlite,postgresql").split(",") if b.strip()]


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[object]:
    from tests.pg import Cluster

    cluster = Cluster().start()
    yield cluster
    cluster.stop()


def migrated_pg_database(pg_cluster, name: str) -> str:  # noqa: ANN001
    """A migrated PostgreSQL database of the test cluster, one per xdist worker (``name`` + the worker)."""
    url = pg_cluster.create_database(f"{name}_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}")
    engine = create_engine_for(url)
    migrate(engine)
    engine.dispose()
    return url


@pytest.fixture(scope="session")
def pg_url(pg_cluster) -> str:  # noqa: ANN001
    return migrated_pg_database(pg_cluster, "arcollect_test")


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

    return fresh_database(request, request.param, tmp_path / "arcollect.db", pg_fixture="pg_url")


def fresh_database(request, backend: str, path: Path, *, pg_fixture: str) -> str:  # noqa: ANN001
    """An empty migrated database of the backend: a copy of the SQLite template at ``path``, or the
    PostgreSQL database of the session fixture ``pg_fixture`` emptied."""
    if backend == "sqlite":
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    url = request.getfixturevalue(pg_fixture)
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

    def __init__(self, db_url: str, clock: FixedClock | None = None) -> None:
        self.db_url = db_url
        self.clock = clock
        self.runner = CliRunner()

    def __call__(self, *args: str):  # noqa: ANN204
        from arcollect.cli.common import state
        from arcollect.cli.main import app

        state.clock = self.clock
        try:
            result = self.runner.invoke(app, ["--db", self.db_url, *args], catch_exceptions=False)
        finally:
            if state.ctx is not None:
                state.ctx.dispose()
                state.ctx = None
            state.clock = None
        return result


@pytest.fixture
def cli(db_url, clock) -> Cli:  # noqa: ANN001
    """The CLI on the test database, with the test's clock (the same 'today' as ``ctx``)."""
    return Cli(db_url, clock)


def write_csv(path: Path, header: str, *rows: str) -> Path:
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


# ---- the served app (API and web) --------------------------------------------------------------
class Served:
    """A demo ledger with one user per role, their API tokens, and a TestClient on the app."""

    PASSWORD = "correct horse battery"

    def __init__(self, ctx: Context) -> None:
        from fastapi.testclient import TestClient

        from arcollect.auth import service as auth
        from arcollect.ledger import service as ledger
        from arcollect.web.factory import create_app

        self.ctx = ctx
        ledger.load_demo(ctx, customers=36, seed=7)
        self.collectors = sorted(ledger.customer_facets(ctx, scope=ledger.EVERYTHING)["collectors"])
        self.collector, self.other = self.collectors[0], self.collectors[1]
        self.tokens: dict[str, str] = {}
        users = [("admin", "admin", None), (self.collector, "collector", "north"), (self.other, "collector", "south"),
                 ("vera", "viewer", None), ("cash", "cash_app", None), ("mona", "manager", "north"),
                 ("stan", "stakeholder", "billing")]
        for login, role, team in users:
            auth.add_user(ctx, login=login, role=role, team=team, password=self.PASSWORD)
            self.tokens[login] = auth.create_token(ctx, login=login)[1]
        self.app = create_app(ctx)
        self.client = TestClient(self.app)

    def h(self, login: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[login]}"}

    def customers_of(self, collector: str) -> set[str]:
        from sqlalchemy import select

        from arcollect.ledger.models import Customer

        with self.ctx.sessions() as s:
            return set(s.scalars(select(Customer.customer_id).where(Customer.collector == collector)))

    def browser(self, login: str | None = None):  # noqa: ANN201
        """A new TestClient (own cookie jar), signed in as ``login`` through the login form."""
        from fastapi.testclient import TestClient

        client = TestClient(self.app)
        if login:
            token = csrf_of(client.get("/login"))
            r = client.post("/login", data={"login": login, "password": self.PASSWORD, "csrf_token": token,
                                            "next": "/"}, follow_redirects=False)
            assert r.status_code == 303, r.text
        return client


def csrf_of(response) -> str:  # noqa: ANN001
    import re

    match = re.search(r'name="csrf_token" value="([^"]+)"', response.text)
    assert match, "the page has no CSRF token"
    return match.group(1)


@pytest.fixture
def served(ctx) -> Served:  # noqa: ANN001
    return Served(ctx)


@pytest.fixture
def smtp():  # noqa: ANN201
    """A real SMTP server (aiosmtpd) on 127.0.0.1: (inbox, port)."""
    from tests.smtp import running_smtp

    with running_smtp() as server:
        yield server
