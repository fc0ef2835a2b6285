"""Dispute rules (pure): reason codes, teams, the workflow and its transitions, SLAs, and when the money
side of a resolved dispute is settled.

Workflow::

    open → in_review → waiting_internal | waiting_customer → resolved → closed
    (in_review ⇄ waiting_*; resolved carries a resolution: credit_note | rebill | rejected_valid)

``closed`` only once the ledger shows the disputed amount settled: the invoices' open amounts fell by at
least the disputed amount since the dispute was opened (a credit note or a payment applied).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Iterable

from arcollect.errors import Conflict

REASONS: dict[str, str] = {
    "pricing": "Pricing",
    "quantity": "Quantity / short shipment",
    "quality": "Damaged goods / quality",
    "billing_error": "Billing error",
    "po": "Missing or wrong PO",
    "contract": "Contract terms",
    "duplicate": "Duplicate billing",
    "tax": "Tax",
    "not_received": "Not received",
    "service": "Service not rendered",
    "other": "Other",
}
TEAMS: dict[str, str] = {"sales": "Sales", "billing": "Billing", "contracts": "Contracts",
                         "support": "Finance Customer Support", "ara": "AR accounting (ARA)"}
DEFAULT_TEAM = {"pricing": "sales", "quantity": "support", "quality": "support", "billing_error": "billing",
                "po": "billing", "contract": "contracts", "duplicate": "billing", "tax": "billing",
                "not_received": "support", "service": "support", "other": "ara"}
PRIORITIES = ("low", "normal", "high", "urgent")
SLA_DAYS = {"low": 20, "normal": 10, "high": 5, "urgent": 2}
STATUSES = ("open", "in_review", "waiting_internal", "waiting_customer", "resolved", "closed")
ACTIVE = frozenset({"open", "in_review", "waiting_internal", "waiting_customer"})
RESOLUTIONS = ("credit_note", "rebill", "rejected_valid")
ROOT_CAUSES = ("price_master_data", "order_entry", "shipping", "product_quality", "billing_process",
               "contract_setup", "customer_process", "tax_setup", "other")
ITEM_STATUSES = ("open", "done", "cancelled")

TRANSITIONS: dict[str, frozenset[str]] = {
    "open": frozenset({"in_review", "waiting_internal", "waiting_customer", "resolved"}),
    "in_review": frozenset({"waiting_internal", "waiting_customer", "resolved"}),
    "waiting_internal": frozenset({"in_review", "waiting_customer", "resolved"}),
    "waiting_customer": frozenset({"in_review", "waiting_internal", "resolved"}),
    "resolved": frozenset({"in_review", "closed"}),  # reopened if the resolution does not hold
    "closed": frozenset(),
}


def check_transition(current: str, wanted: str) -> None:
    """Conflict naming the allowed next statuses when ``current → wanted`` is not in the workflow."""
    if wanted not in STATUSES:
        raise Conflict(f"status: {wanted!r} is not one of {', '.join(STATUSES)}")
    if wanted not in TRANSITIONS[current]:
        allowed = ", ".join(sorted(TRANSITIONS[current])) or "none (closed is final)"
        raise Conflict(f"a dispute cannot go from {current} to {wanted} (from {current}: {allowed})")


def sla_due(opened_on: dt.date, priority: str, days: int | None = None) -> dt.date:
    """The date by which the dispute should be resolved (calendar days by priority unless given)."""
    return opened_on + dt.timedelta(days=SLA_DAYS[priority] if days is None else days)


def opening_item_title(reason_label: str, invoice_ids: Iterable[str], amount: Decimal, currency: str) -> str:
    """The action item a dispute gives its team when it opens: what to look at, on which invoices."""
    ids = list(invoice_ids)
    shown = ", ".join(ids[:5]) + (f" and {len(ids) - 5} more" if len(ids) > 5 else "")
    return f"{reason_label}: review the claim on {shown} ({amount} {currency})"[:500]


def sla_breached(status: str, due: dt.date, today: dt.date) -> bool:
    return status in ACTIVE and today > due


@dataclass(frozen=True)
class Item:
    """One disputed invoice: the amount under dispute and its open amount when the dispute opened."""

    invoice_id: str
    amount: Decimal
    open_at_opening: Decimal


def unsettled(items: Iterable[Item], open_now: dict[str, Decimal]) -> list[str]:
    """Invoices whose disputed amount is not yet covered by credit notes or payments applied since the
    dispute opened (an empty list: the money side is settled)."""
    out = []
    for i in items:
        cleared = i.open_at_opening - open_now.get(i.invoice_id, Decimal(0))
        if cleared < i.amount:
            out.append(f"{i.invoice_id} ({i.amount - max(cleared, Decimal(0))} of {i.amount} still open)")
    return out


def disputed_open(amount: Decimal, open_amount: Decimal) -> Decimal:
    """The part of an invoice's open amount under dispute (never more than what is open)."""
    return max(Decimal(0), min(amount, open_amount))
