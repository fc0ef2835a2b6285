"""Storage is exact on both databases and the migrations describe the models completely."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, insert, select, type_coerce

from arcollect.db import Money, create_engine_for, migrate
from arcollect.ledger.models import Customer, Invoice


def _customer(session, clock) -> int:  # noqa: ANN001
    now = clock.now()
    session.execute(insert(Customer), [{"customer_id": "C1", "name": "Acme", "currency": "USD",
                                        "created_at": now, "updated_at": now}])
    return session.scalar(select(Customer.id))


def test_money_column_round_trips_tenths_and_sums_exactly(ctx, clock):
    import datetime as dt

    with ctx.unit_of_work() as s:
        pk = _customer(s, clock)
        for n, amount in enumerate([Decimal("0.10"), Decimal("0.20"), Decimal("1234567890.1234")]):
            s.add(Invoice(invoice_id=f"I{n}", customer_pk=pk, issue_date=dt.date(2026, 1, 1),
                          due_date=dt.date(2026, 1, 31), amount=amount, currency="USD",
                          created_at=clock.now(), updated_at=clock.now()))
    with ctx.sessions() as s:
        small = s.scalar(select(type_coerce(func.sum(Invoice.amount), Money()))
                         .where(Invoice.invoice_id.in_(["I0", "I1"])))
        big = s.scalar(select(Invoice.amount).where(Invoice.invoice_id == "I2"))
    assert small == Decimal("0.30")
    assert isinstance(small, Decimal)
    assert big == Decimal("1234567890.1234")


def test_money_column_refuses_floats(ctx, clock):
    import datetime as dt

    from sqlalchemy.exc import StatementError

    with pytest.raises(StatementError, match="float"):
        with ctx.unit_of_work() as s:
            pk = _customer(s, clock)
            s.add(Invoice(invoice_id="F", customer_pk=pk, issue_date=dt.date(2026, 1, 1),
                          due_date=dt.date(2026, 1, 31), amount=0.1, currency="USD",
                          created_at=clock.now(), updated_at=clock.now()))
            s.flush()
    with ctx.sessions() as s:  # the failed unit of work left nothing behind
        assert s.scalar(select(func.count()).select_from(Customer)) == 0


def test_migrations_match_the_models_and_rerun_harmlessly(db_url):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    import arcollect.models  # noqa: F401
    from arcollect.db import Base, alembic_include_object

    engine = create_engine_for(db_url)
    migrate(engine)  # idempotent: already at head
    with engine.connect() as conn:  # procrastinate's queue tables (PostgreSQL) are its own
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True,
                                                                        "include_object": alembic_include_object}),
                                Base.metadata)
    engine.dispose()
    assert diff == []


def test_init_creates_the_default_sqlite_file_under_home(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from arcollect.cli.common import state
    from arcollect.cli.main import app

    monkeypatch.setenv("ARCOLLECT_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("ARCOLLECT_DATABASE_URL", raising=False)
    result = CliRunner().invoke(app, ["init"])
    state.ctx.dispose()
    state.ctx = None
    assert result.exit_code == 0, result.output
    assert (tmp_path / "home" / "arcollect.db").exists()


def test_migration_heads_read_from_the_files_are_alembics_heads():
    from arcollect.db import migration_heads
    from arcollect.ops.schema import head_revision

    assert migration_heads() == {head_revision()}


def test_migrate_creates_the_schema_of_an_empty_database_and_then_finds_it_at_head(tmp_path):
    from arcollect.db import schema_at_head

    engine = create_engine_for(f"sqlite:///{tmp_path / 'fresh.db'}")
    with engine.connect() as connection:
        assert not schema_at_head(connection)
    migrate(engine)
    with engine.connect() as connection:
        assert schema_at_head(connection)
        assert connection.exec_driver_sql("SELECT count(*) FROM invoices").scalar() == 0
    migrate(engine)  # at head: nothing to do, nothing fails
    engine.dispose()
