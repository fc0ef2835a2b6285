"""The explainable priority score (pure): each part is shown beside the total on the worklist.

    overdue   10 × log10(1 + Σ past-due open amount × (1 + days past due / 30)), age capped at a year
    risk      high 20 · medium 10 · unknown 5 · low 0 (the customer's risk rating); once a payment-prediction
              model is trained: 20 × the amount-weighted p_late of the account's undisputed open invoices not
              yet due, 20 × Σ(open × p_late) ÷ Σ open — the rating stays for an account with none such
              (all past due: p_late is 1 by definition there, and the overdue part already weighs them)
    promises  15 per promise broken in the look-back period, at most 45
    silence   0.5 per day since the last contact, at most 20 (never contacted: 20)
    value     3 × log10(1 + what the customer was invoiced in the last 12 months)
    callback  100 when a follow-up date the collector set is today or past: it comes first that day

Amounts of different currencies are added as numbers (no FX rates yet): the score ranks work, it is
not money.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Iterable

RISK_POINTS = {"high": 20.0, "medium": 10.0, None: 5.0, "low": 0.0}


CALLBACK_POINTS = 100.0
RISK_MAX = 20.0


def _risk(rating: str | None, upcoming: Iterable[tuple[Decimal, float]] | None) -> float:
    weights = [(amount, p) for amount, p in upcoming or () if amount > 0]
    total = sum((amount for amount, _ in weights), Decimal(0))
    if not total:
        return RISK_POINTS.get(rating, 5.0)
    # amounts stay Decimal; the weighted chance (a share, not money) becomes a float
    return RISK_MAX * float(sum((amount * Decimal(repr(p)) for amount, p in weights), Decimal(0)) / total)


def score(*, past_due: Iterable[tuple[int, Decimal]], risk: str | None, broken_promises: int,
          days_since_contact: int | None, invoiced_12m: Decimal, callback_due: bool = False,
          upcoming: Iterable[tuple[Decimal, float]] | None = None) -> dict[str, float]:
    """The parts of the priority and their ``total`` (rounded to one decimal). ``upcoming``: (open amount,
    p_late) of the undisputed invoices not yet due, when a model predicts them (None: no model)."""
    # amounts stay Decimal; only the logarithm (a score, not money) becomes a float
    weighted = sum((amount * (1 + Decimal(min(days, 365)) / 30) for days, amount in past_due if days > 0 and amount > 0),
                   Decimal(0))
    parts = {
        "overdue": 10 * float((1 + weighted).log10()),
        "risk": _risk(risk, upcoming),
        "promises": min(45.0, 15.0 * broken_promises),
        "silence": 20.0 if days_since_contact is None else min(20.0, 0.5 * max(0, days_since_contact)),
        "value": 3 * float((1 + max(Decimal(0), invoiced_12m)).log10()),
        "callback": CALLBACK_POINTS if callback_due else 0.0,
    }
    if weighted == 0:  # nothing past due: silence is not a reason to call
        parts["silence"] = 0.0
    rounded = {k: round(v, 1) for k, v in parts.items()}
    rounded["total"] = round(sum(rounded.values()), 1)
    return rounded
