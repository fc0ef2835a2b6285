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
    from arcollect.db import Base, not_modelled

    engine = create_engine_for(db_url)
    migrate(engine)  # idempotent: already at head
    with engine.connect() as conn:
        opts = {"compare_type": True,  # the same filter as migrations/env.py (full-text index objects)
                "include_object": lambda o, name, type_, reflected, to: not (reflected and to is None
                                                                             and not_modelled(type_, name))}
        diff = compare_metadata(MigrationContext.configure(conn, opts=opts), Base.metadata)
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
