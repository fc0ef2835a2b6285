"""`arcollect cash …` (CONTRACT §9) on both databases: JSON shapes, exit codes and error output."""

from __future__ import annotations

import json

import pytest

from arcollect.cashapp import service as cash
from tests.cashapp.book import book, credit, statement

LINE_KEYS = {"id", "reference", "date", "amount", "currency", "payer", "remittance", "status", "customer_id",
             "confidence", "applications", "reasons", "proposals"}


def _lines(cli, *args: str) -> list[dict]:  # noqa: ANN001
    r = cli("cash", "lines", "--format", "json", *args)
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


def test_cash_lines_apply_unapply_exclude(ctx, cli, tmp_path):  # noqa: ANN001
    book(ctx, tmp_path)
    cash.store_statements(ctx, statements=[statement(credit("500.00", "R1", "INV-2 and part of INV-1", payer="Acme"),
                                                     credit("3.00", "R2", "?"), credit("-1.00", "FEE", "fee"))],
                          filename="s", sha256="a" * 64)
    rows = _lines(cli)
    assert len(rows) == 3 and all(set(r) == LINE_KEYS for r in rows)
    ids = {r["reference"]: r["id"] for r in rows}
    assert [r["reference"] for r in _lines(cli, "--status", "excluded")] == ["FEE"]
    r = cli("cash", "apply", ids["R1"], "--invoices", "INV-2,INV-1:60.00")
    assert r.exit_code == 0, r.output
    assert "C1" in r.stdout and "INV-2 400.00" in r.stdout
    applied = next(x for x in _lines(cli, "--status", "applied"))
    assert applied["applications"] == [{"invoice_id": "INV-1", "amount": "60.00"},
                                       {"invoice_id": "INV-2", "amount": "400.00"}]
    refused = cli("cash", "apply", ids["R1"], "--invoices", "INV-1")
    assert refused.exit_code == 1 and "unapply it first" in refused.stderr
    assert cli("cash", "unapply", ids["R1"]).exit_code == 0
    assert next(x for x in _lines(cli) if x["id"] == ids["R1"])["status"] == "unmatched"
    r = cli("cash", "exclude", ids["R2"], "--reason", "internal transfer")
    assert r.exit_code == 0 and "excluded" in r.stdout
    missing = cli("cash", "apply", "999999", "--invoices", "INV-1")
    assert missing.exit_code == 1 and "not found" in missing.stderr
    bad = cli("cash", "apply", ids["R1"], "--invoices", "INV-1:abc")
    assert bad.exit_code == 1 and "not an amount" in bad.stderr
    assert cli("cash", "lines", "--status", "nonsense").exit_code == 1
    assert cli("cash", "lines", "--format", "xml").exit_code == 2
    table = cli("cash", "lines")
    assert table.exit_code == 0 and "R1" in table.stdout


def test_cash_import_json(ctx, cli, tmp_path):  # noqa: ANN001
    path = tmp_path / "day.csv"
    path.write_text("date,amount,reference,payer,text\n2026-11-20,100.00,R1,Acme,INV-1\n", encoding="utf-8")
    r = cli("cash", "import", str(path), "--format", "csv", "--json",
            "--map", "date=date,amount=amount,reference=reference,payer=payer,text=text,account=DE89370400440532013000,fixed_currency=EUR")
    assert r.exit_code == 0, r.stderr
    out = json.loads(r.stdout)
    assert set(out) == {"statements", "created", "duplicates"}
    again = json.loads(cli("cash", "import", str(path), "--format", "csv", "--json", "--map",
                           "date=date,amount=amount,reference=reference,payer=payer,text=text,"
                           "account=DE89370400440532013000,fixed_currency=EUR").stdout)
    assert again["created"] == 0 and again["duplicates"] == out["created"]


def test_a_malformed_bank_file_exits_1_and_names_the_problem(ctx, cli, tmp_path):  # noqa: ANN001
    path = tmp_path / "broken.sta"
    path.write_text(":20:STMT\n:25:DE89370400440532013000\n:61:garbage\n", encoding="utf-8")
    r = cli("cash", "import", str(path), "--format", "mt940")
    assert r.exit_code == 1 and "broken.sta" in r.stderr
    assert _lines(cli) == []


def test_cash_match_json(ctx, cli, tmp_path):  # noqa: ANN001
    book(ctx, tmp_path)
    cash.store_statements(ctx, statements=[statement(credit("1000.00", "R1", "INV-1", payer="Acme Corp"))],
                          filename="s", sha256="b" * 64)
    r = cli("cash", "match", "--as-of", "2026-11-23", "--json")
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert {"lines", "applied", "proposed", "unidentified", "errors"} <= set(out)


def test_cash_move_and_writeoff(ctx, cli, tmp_path):  # noqa: ANN001
    """`cash move` reverses and re-applies (JSON is the lines row); `cash writeoff` asks the approval matrix below
    no auto limit; wrong input exits 1 with the reason on stderr."""
    book(ctx, tmp_path)
    cash.store_statements(ctx, statements=[statement(credit("388.00", "MV1", "INV-2", payer="Acme Corp"))],
                          filename="m", sha256="m" * 64)
    line_id = _lines(cli)[0]["id"]
    assert cli("cash", "apply", line_id, "--invoices", "INV-1").exit_code == 0
    r = cli("cash", "move", line_id, "--invoices", "INV-2", "--reason", "the remittance names INV-2", "--json")
    assert r.exit_code == 0, r.output
    moved = json.loads(r.stdout)
    assert set(moved) == LINE_KEYS and moved["applications"] == [{"invoice_id": "INV-2", "amount": "388.00"}]
    r = cli("cash", "move", line_id, "--customer", "C2", "--reason", "Beta's")
    assert r.exit_code == 0 and "moved to C2: on account" in r.stdout
    assert cli("cash", "move", line_id, "--customer", "C1", "--invoices", "INV-2", "--reason", "back").exit_code == 0
    noreason = cli("cash", "move", line_id, "--customer", "C1")
    assert noreason.exit_code == 2  # --reason is required
    r = cli("cash", "writeoff", line_id, "--invoice", "INV-2", "--amount", "12.00", "--reason", "bank_fee", "--json")
    assert r.exit_code == 0, r.output
    asked = json.loads(r.stdout)
    assert asked["status"] == "requested" and asked["escalation_id"]
    again = cli("cash", "writeoff", line_id, "--invoice", "INV-2", "--amount", "12.00", "--reason", "bank_fee")
    assert again.exit_code == 1 and "already proposes" in again.stderr
    bad = cli("cash", "writeoff", line_id, "--invoice", "INV-2", "--amount", "12.00", "--reason", "whim")
    assert bad.exit_code == 1 and "bank_fee" in bad.stderr


def test_cash_match_shows_a_progress_bar_on_a_terminal_only(ctx, cli, tmp_path, monkeypatch):  # noqa: ANN001
    """On a terminal `cash match` draws its progress on stderr; with --json stdout is the JSON alone and no bar."""
    from arcollect.cli import cash as cash_cli

    book(ctx, tmp_path)
    cash.store_statements(ctx, statements=[statement(*(credit("1.00", f"B{i}", "?") for i in range(5)))],
                          filename="b", sha256="b" * 64)
    monkeypatch.setattr(cash_cli.err_console, "_force_terminal", True)
    shown = cli("cash", "match")
    assert shown.exit_code == 0 and "5 lines" in shown.stdout
    assert "\x1b[?25l" in shown.stderr  # the live progress display started (rich hides the cursor for it)
    quiet = cli("cash", "match", "--json")
    assert quiet.exit_code == 0 and "\x1b[?25l" not in quiet.stderr and quiet.stderr == ""
    assert json.loads(quiet.stdout)["lines"] == 5
