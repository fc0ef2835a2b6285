"""As-of balances in plain Python: the reference the SQL aging is tested against, and small lookups."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Iterable


@dataclass(frozen=True)
class Movement:
    """An application (positive) or a reversal (negative) effective on a date."""

    amount: Decimal
    applied_on: dt.date


def applied_as_of(movements: Iterable[Movement], as_of: dt.date) -> Decimal:
    return sum((m.amount for m in movements if m.applied_on <= as_of), Decimal(0))


def open_amount_as_of(amount: Decimal, issue_date: dt.date, movements: Iterable[Movement],
                      as_of: dt.date) -> Decimal:
    """An invoice's open amount on a date: zero before it was issued."""
    if issue_date > as_of:
        return Decimal(0)
    return amount - applied_as_of(movements, as_of)


def unapplied_as_of(amount: Decimal, document_date: dt.date, movements: Iterable[Movement],
                    as_of: dt.date) -> Decimal:
    """What of a payment or credit note is not applied on a date: zero before its own date."""
    if document_date > as_of:
        return Decimal(0)
    return amount - applied_as_of(movements, as_of)


def available_from(total: Decimal, movements: Iterable[Movement], on: dt.date) -> Decimal:
    """What can still be applied effective ``on`` without over-applying on any later date.

    A later reversal raises today's open amount but not the open amount of the dates before it,
    so the limit is the total less the highest cumulative application from ``on`` onward.
    """
    moves = list(movements)
    dates = sorted({m.applied_on for m in moves if m.applied_on > on} | {on})
    return total - max(applied_as_of(moves, d) for d in dates)
