"""A customer's reply to dunning for the tests on the demo ledger: one of a collector's accounts with an
open, undisputed invoice, and a raw email from its AP contact promising to pay it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select

from arcollect.ledger import service as ledger
from arcollect.ledger.models import Contact, Customer, Invoice
from tests.dovecot import mail


def promising_reply(ctx: Any, collector: str, n: int = 1) -> tuple[str, str, str, bytes]:
    """(customer id, invoice id, its open amount, the raw reply "we will pay INVOICE by Friday")."""
    today = ctx.clock.today()
    with ctx.sessions() as s:
        for c in s.scalars(select(Customer).where(Customer.collector == collector).order_by(Customer.customer_id)):
            email = s.scalar(select(Contact.email).where(Contact.customer_pk == c.id, Contact.role == "ap").limit(1))
            disputed = set(s.scalars(select(Invoice.invoice_id).where(Invoice.customer_pk == c.id, Invoice.disputed)))
            items = [i for i in ledger.open_items_by_customer(s, customer_pks=[c.id], as_of=today).get(c.id, [])
                     if i["invoice_id"] not in disputed and i["days_past_due"] > 0 and i["currency"] == c.currency]
            if email and items:
                inv = items[0]
                raw = mail({"From": f"Accounts payable <{email}>", "To": "ar@us.example",
                            "Subject": f"Re: payment reminder {inv['invoice_id']}",
                            "Date": dt.datetime(today.year, today.month, today.day, 10, 0).strftime("%a, %d %b %Y %H:%M:%S +0000"),
                            "Message-ID": f"<promise-{n}@{email.split('@')[1]}>"},
                           f"Hello,\n\nwe will pay invoice {inv['invoice_id']} by Friday.\n\nKind regards\nAccounts payable\n"
                           f"Phone +1 212 555 0100")
                return c.customer_id, inv["invoice_id"], str(inv["open_amount"]), raw
    raise AssertionError(f"no account of {collector} with an open, undisputed, past-due invoice and an AP contact")
