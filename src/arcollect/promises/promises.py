"""Promise-to-pay evaluation (pure): kept, partially kept, broken, open or cancelled as of a date.

A promise is measured by the payments applied to its invoices (to any of the customer's invoices
when it names none) from the day it was made until its date plus the grace days. Credit notes and
write-offs do not keep a promise; neither does a payment applied to other invoices.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Iterable

from arcollect.errors import Conflict

STATUSES = ("open", "kept", "partially_kept", "broken", "cancelled")
RESOLVED = ("kept", "partially_kept", "broken")
# The only transitions a person makes; kept/partially_kept/broken follow from the ledger.
TRANSITIONS = {"open": {"cancelled"}}
ZERO = Decimal(0)


@dataclass(frozen=True)
class Terms:
    amount: Decimal
    promised_date: dt.date
    made_on: dt.date
    grace_days: int
    cancelled_on: dt.date | None = None

    @property
    def deadline(self) -> dt.date:
        return self.promised_date + dt.timedelta(days=self.grace_days)


def paid_towards(terms: Terms, payments: Iterable[tuple[dt.date, Decimal]], as_of: dt.date) -> Decimal:
    """Σ payment applications (applied_on, amount) that count for the promise as of the date."""
    until = min(as_of, terms.deadline)
    return sum((amount for on, amount in payments if terms.made_on <= on <= until), ZERO)


def status(terms: Terms, payments: Iterable[tuple[dt.date, Decimal]], as_of: dt.date) -> tuple[str, Decimal]:
    """(status, amount paid towards it) as of the date."""
    if terms.cancelled_on is not None and terms.cancelled_on <= as_of:
        return "cancelled", ZERO
    paid = paid_towards(terms, payments, as_of)
    if paid >= terms.amount:
        return "kept", paid
    if as_of <= terms.deadline:
        return "open", paid
    return ("partially_kept" if paid > 0 else "broken"), paid


def check_transition(current: str, wanted: str) -> None:
    if wanted not in TRANSITIONS.get(current, set()):
        raise Conflict(f"a promise cannot go from {current} to {wanted}")


def kept_rate(statuses: Iterable[str]) -> Decimal | None:
    """Kept ÷ resolved (kept, partially kept, broken); None when none is resolved yet."""
    resolved = kept = 0
    for s in statuses:
        if s in RESOLVED:
            resolved += 1
            kept += s == "kept"
    return (Decimal(kept) / Decimal(resolved)).quantize(Decimal("0.001")) if resolved else None
