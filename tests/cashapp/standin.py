"""A tiny stand-in for ``arcollect.cashapp.matcher.match`` (the real one is built on wt/match): enough rules to
drive the service in tests — the customer by a learned payer account, a payer name or an alias, or by the
invoices named in the texts; "apply" when the named invoices' open amounts add up to the line, "review"
when the customer is known but the amount does not fit, "unidentified" otherwise. Not the real matcher."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Sequence

from arcollect.cashapp.shapes import Allocation, Decision, LineIn, OpenItem, Party, Proposal


def standin_match(lines: Sequence[LineIn], parties: Sequence[Party], items: Sequence[OpenItem],
                  settings: Any = None) -> list[Decision]:
    by_account = {a: p.customer_id for p in parties for a in p.accounts}
    by_name = {n.casefold(): p.customer_id for p in parties for n in (p.name, *p.aliases)}
    by_invoice = {i.invoice_id: i for i in items}
    out = []
    for line in lines:
        text = " ".join(line.texts)
        named = [i for iid, i in by_invoice.items() if iid in text.replace(",", " ").split() and i.currency == line.currency]
        reasons: list[str] = []
        customer = None
        if line.payer_account and line.payer_account in by_account:
            customer = by_account[line.payer_account]
            reasons.append("payer account seen before")
        elif line.payer_name and line.payer_name.casefold() in by_name:
            customer = by_name[line.payer_name.casefold()]
            reasons.append("payer name equals customer")
        elif named and len({i.customer_id for i in named}) == 1:
            customer = named[0].customer_id
            reasons.append("invoices named belong to one customer")
        if customer is None:
            out.append(Decision(line.id, "unidentified", (), ("nobody identified",)))
            continue
        mine = [i for i in named if i.customer_id == customer]
        total = sum((i.open_amount for i in mine), Decimal(0))
        if mine and total == line.amount:
            reasons.append("amount equals the named invoices' open amounts")
            proposal = Proposal(customer, tuple(Allocation(i.invoice_id, i.open_amount) for i in mine), Decimal(0),
                                1.0, tuple(reasons))
            out.append(Decision(line.id, "apply", (proposal,), tuple(reasons)))
            continue
        oldest = sorted((i for i in items if i.customer_id == customer and i.currency == line.currency),
                        key=lambda i: (i.due_date, i.invoice_id))
        allocations, left = [], line.amount
        for i in oldest:
            if left <= 0:
                break
            take = min(left, i.open_amount)
            allocations.append(Allocation(i.invoice_id, take))
            left -= take
        proposal = Proposal(customer, tuple(allocations), left, 0.5, (*reasons, "oldest open items first"))
        out.append(Decision(line.id, "review", (proposal,), tuple(reasons)))
    return out
