"""`arcollect close …` (CONTRACT §10) on both databases, and what a closed month refuses on the command line:
back-dated imports and cash application of a line booked in it exit 1 with the reason on stderr."""

from __future__ import annotations

import datetime as dt
import json

from arcollect.auth import service as auth
from arcollect.cashapp import service as cash
from tests.cashapp.book import book, credit, statement
from tests.conftest import write_csv

CLOSED_OCT = "2026-10 is closed"


def _line_ids(cli) -> dict[str, str]:  # noqa: ANN001
    r = cli("cash", "lines", "--format", "json")
    assert r.exit_code == 0, r.output
    return {x["reference"]: x["id"] for x in json.loads(r.stdout)}


def test_close_period_list_and_reopen_on_the_command_line(ctx, cli, tmp_path):  # noqa: ANN001
    """close period --json prints the close with its figures; out of order or twice exits 1; reopen needs an
    admin named with --as and a reason (a manager exits 1), and close list --json shows the history."""
    book(ctx, tmp_path)
    auth.add_user(ctx, login="ada", role="admin", password="correct horse battery")
    auth.add_user(ctx, login="mona", role="manager", password="correct horse battery")
    auth.add_user(ctx, login="col", role="collector", password="correct horse battery")
    r = cli("close", "period", "2026-09", "--json")
    assert r.exit_code == 0, r.output
    view = json.loads(r.stdout)
    assert (view["month"], view["as_of"], view["status"]) == ("2026-09", "2026-09-30", "closed")
    assert view["figures"] == [{"currency": "EUR", "ar_total": "1730.00", "current": "1730.00", "past_due": "0.00",
                                "disputed": "0.00", "unapplied_cash": "0.00", "unidentified_cash": "0.00",
                                "unapplied_credits": "0.00", "net_balance": "1730.00", "customers": 2}]
    twice = cli("close", "period", "2026-09")
    assert twice.exit_code == 1 and "2026-09 is already closed" in twice.stderr
    skip = cli("close", "period", "2026-11")
    assert skip.exit_code == 1 and "not over" in skip.stderr
    denied = cli("close", "period", "2026-10", "--as", "col")
    assert denied.exit_code == 1 and "collector" in denied.stderr
    assert cli("close", "period", "2026-10", "--as", "mona").exit_code == 0
    nobody = cli("close", "reopen", "2026-10", "--reason", "late invoice")
    assert nobody.exit_code == 1 and "needs an admin" in nobody.stderr
    manager = cli("close", "reopen", "2026-10", "--reason", "late invoice", "--as", "mona")
    assert manager.exit_code == 1 and "only an admin" in manager.stderr
    assert cli("close", "reopen", "2026-10", "--as", "ada").exit_code == 2  # --reason is required
    r = cli("close", "reopen", "2026-10", "--reason", "late invoice", "--as", "ada")
    assert r.exit_code == 0 and "2026-10 reopened by ada" in r.stdout
    listing = json.loads(cli("close", "list", "--json").stdout)
    assert listing["closed_through"] == "2026-09-30"
    assert [(p["month"], p["status"], p["closed_by"], p["reopened_by"]) for p in listing["periods"]] == [
        ("2026-10", "reopened", "mona", "ada"), ("2026-09", "closed", view["closed_by"], None)]
    assert view["closed_by"].startswith("cli")
    table = cli("close", "list")
    assert table.exit_code == 0 and "closed through 2026-09-30" in table.stdout
    bad = cli("close", "period", "March")
    assert bad.exit_code == 1 and "YYYY-MM" in bad.stderr
    snap = cli("close", "snapshot", "2026-09")
    assert snap.exit_code == 0 and json.loads(snap.stdout)["as_of"] == "2026-09-30"
    assert cli("close", "snapshot", "2026-10").exit_code == 1  # reopened: no snapshot in force


def test_back_dated_import_and_cash_application_exit_1_later_ones_succeed(ctx, cli, tmp_path):  # noqa: ANN001
    """With October closed: importing an October payment exits 1 naming FILE:LINE: received_date; applying or
    unapplying a bank line booked in October exits 1; a November payment and a November line go through."""
    book(ctx, tmp_path)
    cash.store_statements(ctx, statements=[statement(
        credit("400.00", "R-OCT", "INV-2", payer="Acme", day=dt.date(2026, 10, 30)),
        credit("250.00", "R-OCT2", "INV-3", payer="Beta", day=dt.date(2026, 10, 29)),
        credit("80.00", "R-NOV", "INV-4", payer="Beta", day=dt.date(2026, 11, 20)))], filename="s", sha256="b" * 64)
    ids = _line_ids(cli)
    assert cli("cash", "apply", ids["R-OCT"], "--invoices", "INV-2").exit_code == 0  # before the close
    assert cli("close", "period", "2026-09").exit_code == 0
    assert cli("close", "period", "2026-10").exit_code == 0
    path = write_csv(tmp_path / "p.csv", "payment_id,customer_id,received_date,amount", "P1,C1,2026-10-15,10.00")
    r = cli("import", "payments", str(path))
    assert r.exit_code == 1
    assert f"{path}:2: received_date: {CLOSED_OCT}: payment P1 dated 2026-10-15 cannot be created or changed" in r.stderr
    unapply = cli("cash", "unapply", ids["R-OCT"])
    assert unapply.exit_code == 1
    assert f"{CLOSED_OCT}: the payment of bank line {ids['R-OCT']} dated 2026-10-30" in unapply.stderr
    apply = cli("cash", "apply", ids["R-OCT2"], "--invoices", "INV-3")
    assert apply.exit_code == 1 and f"the payment of bank line {ids['R-OCT2']} dated 2026-10-29" in apply.stderr
    assert cli("cash", "apply", ids["R-NOV"], "--invoices", "INV-4").exit_code == 0
    later = write_csv(tmp_path / "p2.csv", "payment_id,customer_id,received_date,amount", "P2,C1,2026-11-15,10.00")
    assert cli("import", "payments", str(later)).exit_code == 0
    matched = cash.match(ctx)
    assert all(CLOSED_OCT in e for e in matched["errors"])
