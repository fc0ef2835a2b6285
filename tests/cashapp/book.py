"""A small ledger and bank statements built as shapes, for the cash application tests."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

from arcollect.cashapp.shapes import ParsedLine, ParsedStatement
from arcollect.ledger import service as ledger
from tests.conftest import write_csv

DAY = dt.date(2026, 11, 20)
ACCOUNT = "DE89 3704 0044 0532 0130 00"  # our account; stored compact


def book(ctx, tmp_path: Path) -> None:  # noqa: ANN001
    write_csv(tmp_path / "c.csv", "customer_id,name,currency,country,timezone,collector,email",
              "C1,Acme Corp,EUR,DE,Europe/Berlin,ann,ap@acme.example",
              "C2,Beta GmbH,EUR,DE,Europe/Berlin,bob,ap@beta.example")
    write_csv(tmp_path / "i.csv", "invoice_id,customer_id,issue_date,due_date,amount,currency",
              "INV-1,C1,2026-09-01,2026-10-01,1000.00,EUR", "INV-2,C1,2026-09-15,2026-10-15,400.00,EUR",
              "INV-3,C2,2026-09-01,2026-10-01,250.00,EUR", "INV-4,C2,2026-09-20,2026-10-20,80.00,EUR")
    for kind, name in (("customers", "c"), ("invoices", "i")):
        assert not ledger.import_file(ctx, kind=kind, path=tmp_path / f"{name}.csv").errors


def credit(amount: str, reference: str | None, *texts: str, payer: str | None = None, account: str | None = None,
           day: dt.date = DAY) -> ParsedLine:
    return ParsedLine(booking_date=day, amount=Decimal(amount), currency="EUR", reference=reference, value_date=day,
                      payer_name=payer, payer_account=account, remittance=tuple(texts), location="test")


def statement(*lines: ParsedLine, opening: str | None = "0.00", closing: str | None = None,
              statement_id: str = "S1") -> ParsedStatement:
    total = sum((ln.amount for ln in lines), Decimal(0))
    return ParsedStatement(format="camt.053.001.02", account=ACCOUNT, currency="EUR", lines=tuple(lines),
                           statement_id=statement_id, opening=None if opening is None else Decimal(opening),
                           closing=None if opening is None else Decimal(closing) if closing else Decimal(opening) + total,
                           opening_date=DAY, closing_date=DAY)
