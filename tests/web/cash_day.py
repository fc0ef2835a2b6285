"""A bank day over the served demo ledger, for the cash application page tests (web and browser): lines built
as parsed shapes (the bank file readers are not needed) and matched by the real matcher."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select

from arcollect.cashapp import service as cash
from arcollect.cashapp.shapes import ParsedLine, ParsedStatement
from arcollect.ledger import service as ledger
from arcollect.ledger.models import Customer

DAY = dt.date(2026, 11, 20)
OUR_ACCOUNT = "DE89370400440532013000"


@dataclass
class BankDay:
    picked: str          # the collector's customer: a payment that fits none of its items, applied by hand
    picked_items: list   # its two oldest open items (same currency)
    pick_amount: Decimal  # the line: all of the first item and part of the second
    proposed: str        # another collector's customer: a partial payment naming one invoice, proposed
    proposed_item: dict
    partial: Decimal     # what that payment pays of it
    lines: dict          # reference → line id


def _name(ctx, cid: str) -> str:  # noqa: ANN001
    with ctx.sessions() as s:
        return s.scalar(select(Customer.name).where(Customer.customer_id == cid))


def _with_items(ctx, portfolio: set[str], n: int) -> tuple[str, list]:  # noqa: ANN001
    today = ctx.clock.today()
    for cid in sorted(portfolio):
        items = ledger.customer_overview(ctx, customer_id=cid, as_of=today).open_items
        same = [i for i in items if i["currency"] == items[0]["currency"]] if items else []
        if len(same) >= n and all(i["open_amount"] > 100 for i in same[:n]):
            return cid, same[:n]
    raise AssertionError("the demo book has no such customer")


def bank_day(served, *, match: bool = True) -> BankDay:  # noqa: ANN001
    ctx = served.ctx
    picked, items = _with_items(ctx, served.customers_of(served.collector), 2)
    proposed, [item] = _with_items(ctx, served.customers_of(served.other), 1)
    a, b = items
    pick_amount = a["open_amount"] + (b["open_amount"] / 2).quantize(Decimal("0.01"))
    partial = (item["open_amount"] * 2 / 3).quantize(Decimal("0.01"))  # short, for no reason given: proposed

    def line(amount: Decimal, ref: str, payer: str, *texts: str, currency: str) -> ParsedLine:
        return ParsedLine(booking_date=DAY, amount=amount, currency=currency, reference=ref, value_date=DAY,
                          payer_name=payer, payer_account=None, remittance=texts, location=f"Ntry[{ref}]")

    lines = [line(pick_amount, "PICK", _name(ctx, picked), "November payment, thank you", currency=a["currency"]),
             line(partial, "PART", _name(ctx, proposed), f"{item['invoice_id']}", currency=item["currency"]),
             line(Decimal("77.00"), "NOBODY", "J. Doe", "refund?", currency="EUR"),
             line(Decimal("-12.50"), "FEES", "Bank", "account fees", currency="EUR")]
    statement = ParsedStatement(format="camt.053.001.02", account=OUR_ACCOUNT, currency="EUR", lines=tuple(lines),
                                statement_id="2026-11-20", opening=Decimal("1000.00"),
                                closing=Decimal("1000.00") + sum((ln.amount for ln in lines), Decimal(0)),
                                opening_date=DAY, closing_date=DAY)
    cash.store_statements(ctx, statements=[statement], filename="bank-2026-11-20.xml")
    if match:
        cash.match(ctx)
    ids = {r["reference"]: r["id"] for r in cash.lines(ctx)}
    return BankDay(picked, items, pick_amount, proposed, item, partial, ids)
