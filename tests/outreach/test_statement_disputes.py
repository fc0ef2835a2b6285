"""A statement of account lists every open item — disputed ones too, flagged with their disputed part —
and every total on it ties to the aging to the cent (read back from the PDF with pdftotext)."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess

import pytest

from arcollect.ledger import service as ledger
from arcollect.money import format_money
from arcollect.outreach import documents
from tests.conftest import write_csv

TODAY = dt.date(2026, 11, 23)


def _book(ctx, cli, tmp_path) -> None:  # noqa: ANN001
    write_csv(tmp_path / "c.csv", "customer_id,name,currency,country,language", "US1,Acme Corp,USD,US,en")
    write_csv(tmp_path / "i.csv", "invoice_id,customer_id,issue_date,due_date,amount,currency,po_number",
              "A1,US1,2026-08-01,2026-08-31,1200.00,USD,PO-1",   # 84 days: wholly in dispute
              "A2,US1,2026-10-01,2026-10-31,300.50,USD,",        # 23 days: 100.00 of it in dispute
              "A3,US1,2026-11-01,2026-12-01,75.25,USD,PO-3")     # current, not disputed
    write_csv(tmp_path / "p.csv", "payment_id,customer_id,received_date,amount,applies_to,currency",
              "P1,US1,2026-11-02,50.00,,USD", "P2,US1,2026-11-03,20.00,A2:20.00,USD")
    for kind, name in (("customers", "c"), ("invoices", "i"), ("payments", "p")):
        assert not ledger.import_file(ctx, kind=kind, path=tmp_path / f"{name}.csv").errors
    opened = cli("dispute", "open", "--invoices", "A1,A2:100.00", "--reason", "pricing")
    assert opened.exit_code == 0, opened.output


def _text(pdf: bytes, tmp_path) -> str:  # noqa: ANN001
    if shutil.which("pdftotext") is None:
        pytest.fail("pdftotext is missing: run `make system-deps` (installs poppler-utils)")
    path = tmp_path / "statement.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True,
                          text=True).stdout


def _line(text: str, start: str) -> str:
    found = [line for line in text.splitlines() if line.strip().startswith(start)]
    assert found, f"no line starting with {start!r} in\n{text}"
    return found[0]


def test_a_statement_lists_every_open_item_flags_disputes_and_ties_to_the_aging(ctx, cli, tmp_path):
    _book(ctx, cli, tmp_path)
    report = ledger.aging(ctx, as_of=TODAY, customer_ids=["US1"])
    (row,) = report.rows
    usd = lambda amount: format_money(amount, "USD")  # noqa: E731
    text = _text(documents.letter(ctx, customer_id="US1", kind="statement", as_of=TODAY)[0], tmp_path)

    # every open item at its whole open amount; the disputed ones flagged with their disputed part
    overview = ledger.customer_overview(ctx, customer_id="US1", as_of=TODAY)
    assert [i["invoice_id"] for i in overview.open_items] == ["A1", "A2", "A3"]
    for item, disputed in zip(overview.open_items, ("1,200.00", "100.00", None)):
        line = _line(text, item["invoice_id"])
        assert usd(item["open_amount"]) in line, line
        if disputed:
            assert f"${disputed}" in line.replace(usd(item["open_amount"]), "", 1), line
    assert re.search(r"In dispute", text)

    # the aging summary, the items' total and the disputed total are the aging's own figures
    summary = _line(text, "USD")
    for amount in (*row.buckets, row.total, row.disputed):
        assert usd(amount) in summary, (amount, summary)
    assert usd(row.total) in _line(text, "Total USD")
    assert usd(row.disputed) in _line(text, "of which in dispute")
    assert usd(row.unapplied_cash + row.unapplied_credits) in text
    assert usd(row.net_balance) in _line(text, "Net balance")
    assert row.total == sum((i["open_amount"] for i in overview.open_items), 0)


def test_statements_rendered_together_read_as_each_rendered_alone_with_their_own_page_numbers(ctx, cli, tmp_path):
    _book(ctx, cli, tmp_path)
    rows = [f"B{n:03d},LONG1,2026-09-{1 + n % 28:02d},2026-10-{1 + n % 28:02d},{100 + n}.25,USD," for n in range(60)]
    write_csv(tmp_path / "c2.csv", "customer_id,name,currency,country,language", "LONG1,Longlist GmbH,USD,DE,de",
              "FR1,Petit SA,USD,FR,fr")
    write_csv(tmp_path / "i2.csv", "invoice_id,customer_id,issue_date,due_date,amount,currency,po_number", *rows,
              "F1,FR1,2026-10-01,2026-10-31,10.00,USD,")
    for kind, name in (("customers", "c2"), ("invoices", "i2")):
        assert not ledger.import_file(ctx, kind=kind, path=tmp_path / f"{name}.csv").errors
    ids = ["US1", "LONG1", "FR1"]
    together = documents.statements(ctx, customer_ids=ids, as_of=TODAY)
    assert [name for _, name in together] == [f"statement-{c}-2026-11-23.pdf" for c in ids]
    for cid, (pdf, _) in zip(ids, together):
        alone = documents.letter(ctx, customer_id=cid, kind="statement", as_of=TODAY)[0]
        assert _text(pdf, tmp_path) == _text(alone, tmp_path), cid
    texts = {cid: _text(pdf, tmp_path) for cid, (pdf, _) in zip(ids, together)}
    assert "Page 1 / 1" in texts["US1"] and "Petit SA" in texts["FR1"] and "Acme" not in texts["FR1"]
    pages = re.findall(r"Seite (\d) / (\d)", texts["LONG1"])
    assert len(pages) >= 2 and pages[0] == ("1", pages[0][1]) and {t for _, t in pages} == {str(len(pages))}
    assert "B059" in texts["LONG1"] and "Acme" not in texts["LONG1"]
