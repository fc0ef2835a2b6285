"""applies_to: parse 'INV-1:100.00;INV-2' and allocate a document's amount over invoices (pure).

Ids with an amount take that amount; ids without one take what is left of the document, in the
order given, each up to the invoice's open amount. What is left over stays unapplied.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Mapping

from arcollect.money import parse_amount, quantize


@dataclass(frozen=True)
class Target:
    invoice_id: str
    amount: Decimal | None  # None: "what is left"


def parse_applies_to(text: str, currency: str) -> list[Target]:
    """Parse the applies_to cell. Raises ValueError with a message fit for a row error."""
    targets: list[Target] = []
    seen: set[str] = set()
    for part in (text or "").split(";"):
        part = part.strip()
        if not part:
            continue
        invoice_id, sep, amount_text = part.partition(":")
        invoice_id = invoice_id.strip()
        if not invoice_id:
            raise ValueError(f"{part!r}: missing invoice id before ':'")
        if invoice_id in seen:
            raise ValueError(f"invoice {invoice_id} is named twice")
        seen.add(invoice_id)
        amount = None
        if sep:
            amount = parse_amount(amount_text, currency)
            if amount <= 0:
                raise ValueError(f"amount for {invoice_id} must be positive")
        targets.append(Target(invoice_id, amount))
    return targets


def normalize_applies_to(targets: list[Target], currency: str) -> str:
    """Canonical text form (stored, so that a re-import can tell 'unchanged')."""
    return ";".join(
        t.invoice_id if t.amount is None else f"{t.invoice_id}:{quantize(t.amount, currency)}"
        for t in targets
    )


def allocate_document(
    document_amount: Decimal,
    targets: list[Target],
    open_amounts: Mapping[str, Decimal],
) -> list[tuple[str, Decimal]]:
    """Split a payment or credit note over its targets. Raises ValueError naming what does not fit.

    ``open_amounts`` holds each target invoice's open amount (after earlier documents).
    """
    explicit = sum((t.amount for t in targets if t.amount is not None), Decimal(0))
    if explicit > document_amount:
        raise ValueError(f"applies_to amounts total {explicit}, more than the document's {document_amount}")
    result: list[tuple[str, Decimal]] = []
    for t in targets:
        if t.amount is not None:
            available = open_amounts[t.invoice_id]
            if t.amount > available:
                raise ValueError(
                    f"{t.amount} applied to {t.invoice_id} exceeds its open amount {available}"
                )
            result.append((t.invoice_id, t.amount))
    left = document_amount - explicit
    for t in targets:
        if t.amount is None and left > 0:
            take = min(left, open_amounts[t.invoice_id])
            if take > 0:
                result.append((t.invoice_id, take))
                left -= take
    return result
