"""Promise-to-pay evaluation (pure): kept, partially kept, broken, open or cancelled as of a date.

A promise is measured by the payments applied to its invoices (to any of the customer's invoices
when it names none) after it was made until its date plus the grace days. Credit notes and
write-offs do not keep a promise; neither does a payment applied to other invoices. "After it was
made" compares moments, not only dates: money applied on the promise's own day counts only when the
application was recorded at or after the moment the promise was (a payment booked at 09:30 does not
keep a promise recorded at 15:00).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Iterable

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
    made_at: dt.datetime | None = None  # the moment it was recorded (None: the whole day of made_on)

    @property
    def deadline(self) -> dt.date:
        return self.promised_date + dt.timedelta(days=self.grace_days)


# A payment application: (applied_on, amount) or (applied_on, amount, recorded_at).
Payment = tuple[Any, ...]


def counts(terms: Terms, applied_on: dt.date, recorded_at: dt.datetime | None, until: dt.date) -> bool:
    """Whether an application dated ``applied_on`` and recorded at ``recorded_at`` was made after the promise."""
    if not terms.made_on <= applied_on <= until:
        return False
    if applied_on > terms.made_on or terms.made_at is None or recorded_at is None:
        return True
    return recorded_at >= terms.made_at


def paid_towards(terms: Terms, payments: Iterable[Payment], as_of: dt.date) -> Decimal:
    """Σ payment applications that count for the promise as of the date."""
    until = min(as_of, terms.deadline)
    return sum((p[1] for p in payments if counts(terms, p[0], p[2] if len(p) > 2 else None, until)), ZERO)


def status(terms: Terms, payments: Iterable[Payment], as_of: dt.date) -> tuple[str, Decimal]:
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
