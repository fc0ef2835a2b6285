"""assistant triage on both databases: it links the reply to the right account and records nothing."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from arcollect.assistant import service as assistant
from arcollect.db import Base
from tests.conftest import write_csv

RAW = (b"From: Ann <ap@acme.example>\r\nTo: ar@us.example\r\nSubject: Re: reminder\r\n"
       b"Date: Mon, 23 Nov 2026 10:00:00 +0000\r\nMessage-ID: <t1@acme.example>\r\n\r\n"
       b"Hello, we will pay invoice INV-1001 by next Friday.\r\n\r\nBest regards\r\nAnn\r\nTel 030 1234567\r\n")


def _ok(cli, *args: str) -> str:  # noqa: ANN001
    result = cli(*args)
    assert result.exit_code == 0, result.output
    return result.stdout


def _rows(ctx) -> int:  # noqa: ANN001
    with ctx.sessions() as s:
        return sum(s.scalar(select(func.count()).select_from(t)) or 0 for t in Base.metadata.sorted_tables)


def test_triage_links_by_invoice_number_and_records_nothing(ctx, cli, tmp_path) -> None:  # noqa: ANN001
    """An invoice number in the reply links it to its customer; the promise's amount is the invoice's open
    amount; no row of any table is added."""
    _ok(cli, "import", "customers", str(write_csv(tmp_path / "c.csv", "customer_id,name,currency", "C1,Acme,EUR", "C2,Other,EUR")))
    _ok(cli, "import", "invoices", str(write_csv(tmp_path / "i.csv", "invoice_id,customer_id,issue_date,due_date,amount,currency",
                                                "INV-1001,C1,2026-10-01,2026-10-31,120.50,EUR", "INV-2001,C2,2026-10-01,2026-10-31,9.00,EUR")))
    before = _rows(ctx)
    r = assistant.triage(ctx, raw=RAW)
    assert _rows(ctx) == before
    assert r["customer_id"] == "C1" and r["intent"] == "promise_to_pay" and r["invoices"] == ["INV-1001"]
    assert r["promise"] == {"date": "2026-11-27", "amount": "120.50"}
    assert all(a["needs_approval"] is True for a in r["actions"]) and r["actions"][0]["kind"] == "record_promise"


def test_cli_json_has_exactly_the_contract_keys(cli, tmp_path) -> None:  # noqa: ANN001
    """`assistant triage FILE --json` prints CONTRACT §11's keys, no more."""
    f = tmp_path / "m.eml"
    f.write_bytes(RAW)
    out = json.loads(_ok(cli, "assistant", "triage", str(f), "--json"))
    assert list(out) == ["customer_id", "intent", "confidence", "invoices", "promise", "dispute", "actions", "evidence"]
    assert out["customer_id"] is None and out["intent"] == "promise_to_pay"
