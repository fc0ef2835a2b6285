"""`arcollect doctor` recomputes the ledger truths (DESIGN §4) from the rows: a clean book passes (exit 0); a row
changed directly in SQL behind arcollect's back is reported by name, with exit 3 and in the JSON."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text

from arcollect.db import create_engine_for
from arcollect.ops.schema import head_revision


@pytest.fixture
def book(cli, db_url):  # noqa: ANN001
    r = cli("demo", "--customers", "12", "--seed", "3", "--as-of", "2026-11-23")
    assert r.exit_code == 0, r.output
    engine = create_engine_for(db_url)
    yield engine
    engine.dispose()


def _sql(engine, statement: str, **params):  # noqa: ANN001, ANN202
    with engine.begin() as conn:
        return conn.execute(text(statement), params)


def _doctor(cli) -> tuple[int, dict]:  # noqa: ANN001
    r = cli("doctor", "--json")
    return r.exit_code, json.loads(r.stdout)


def _drifted(report: dict) -> dict[str, list[str]]:
    return {c["name"]: [f"{f['subject']}: {f['problem']}" for f in c["findings"]] for c in report["checks"] if not c["ok"]}


def test_a_clean_book_has_no_drift(cli, book):  # noqa: ANN001
    code, report = _doctor(cli)
    assert code == 0 and report["ok"] is True
    assert {c["name"] for c in report["checks"]} >= {"over_application", "settled_dates", "currencies", "reversals",
                                                     "migrations"}
    r = cli("doctor")
    assert r.exit_code == 0 and "no drift" in r.stdout


def test_an_application_inflated_in_sql_is_reported_as_over_application(cli, book):  # noqa: ANN001
    row = _sql(book, "SELECT a.id, i.invoice_id FROM applications a JOIN invoices i ON i.id = a.invoice_pk "
                     "WHERE a.payment_pk IS NOT NULL AND a.reverses_pk IS NULL ORDER BY a.id LIMIT 1").one()
    _sql(book, "UPDATE applications SET amount = amount * 3 WHERE id = :id", id=row.id)
    code, report = _doctor(cli)
    assert code == 3 and report["ok"] is False
    found = _drifted(report)
    assert any(line.startswith(f"invoice {row.invoice_id}: ") and "applied by" in line
               for line in found["over_application"]), found
    r = cli("doctor")
    assert r.exit_code == 3 and f"invoice {row.invoice_id}" in r.stdout and "DRIFT" in r.stdout


def test_a_settled_date_changed_in_sql_is_reported(cli, book):  # noqa: ANN001
    open_one = _sql(book, "SELECT invoice_id FROM invoices WHERE open_until = '9999-12-31' ORDER BY id LIMIT 1").scalar()
    _sql(book, "UPDATE invoices SET open_until = '2026-01-15' WHERE invoice_id = :k", k=open_one)
    code, report = _doctor(cli)
    assert code == 3
    lines = _drifted(report)["settled_dates"]
    assert any(line.startswith(f"invoice {open_one}: stored as settled 2026-01-15, its applications say open")
               for line in lines), lines


def test_a_currency_changed_in_sql_and_an_invoice_shrunk_below_its_payments_are_reported(cli, book):  # noqa: ANN001
    app_id = _sql(book, "SELECT min(id) FROM applications").scalar()
    _sql(book, "UPDATE applications SET currency = 'XXX' WHERE id = :id", id=app_id)
    paid = _sql(book, "SELECT i.invoice_id FROM invoices i JOIN applications a ON a.invoice_pk = i.id "
                      "WHERE i.open_until <> '9999-12-31' ORDER BY i.id LIMIT 1").scalar()
    _sql(book, "UPDATE invoices SET amount = amount / 2 WHERE invoice_id = :k", k=paid)
    code, report = _doctor(cli)
    assert code == 3
    found = _drifted(report)
    assert any(line.startswith(f"application {app_id}: in XXX") for line in found["currencies"]), found
    assert any(line.startswith(f"invoice {paid}: ") for line in found["over_application"]), found
    only = cli("doctor", "--json", "--check", "reversals")
    assert only.exit_code == 0 and [c["name"] for c in json.loads(only.stdout)["checks"]] == ["reversals"]
    unknown = cli("doctor", "--check", "nonsense")
    assert unknown.exit_code == 1 and "unknown check nonsense" in unknown.stderr


def test_a_schema_behind_the_newest_migration_is_drift(cli, book):  # noqa: ANN001
    _sql(book, "UPDATE alembic_version SET version_num = '0018'")
    try:
        code, report = _doctor(cli)
    finally:  # the test database is shared by the tests that follow: put the schema's version back
        _sql(book, "UPDATE alembic_version SET version_num = :v", v=head_revision())
    assert code == 3
    assert _drifted(report)["migrations"] == [
        f"schema: the database is at migration 0018, not {head_revision()}: run `arcollect init` to upgrade"]


def test_a_maintained_balance_changed_in_sql_is_reported_customer_by_customer_with_amounts(cli, book):  # noqa: ANN001
    code, report = _doctor(cli)
    assert code == 0 and "balances" in {c["name"] for c in report["checks"]}
    row = _sql(book, "SELECT c.customer_id, b.customer_pk, b.currency, b.due_date FROM customer_balances b "
                     "JOIN customers c ON c.id = b.customer_pk ORDER BY b.customer_pk, b.due_date LIMIT 1").one()
    before = _sql(book, "SELECT open_amount FROM customer_balances WHERE customer_pk = :c AND due_date = :d",
                  c=row.customer_pk, d=row.due_date).scalar()
    # one currency unit more (10,000 storage units on SQLite, 1 on PostgreSQL's NUMERIC)
    unit = 10_000 if book.dialect.name == "sqlite" else 1
    _sql(book, "UPDATE customer_balances SET open_amount = open_amount + :u WHERE customer_pk = :c AND due_date = :d",
         u=unit, c=row.customer_pk, d=row.due_date)
    code, report = _doctor(cli)
    assert code == 3
    lines = _drifted(report)["balances"]
    assert len(lines) == 1 and lines[0].startswith(f"customer {row.customer_id}: open due {row.due_date}"), lines
    assert "stored" in lines[0] and "ledger" in lines[0]
    r = cli("doctor")
    assert r.exit_code == 3 and f"customer {row.customer_id}" in r.stdout
