"""AR metrics (pure): DSO, countback DSO, best-possible DSO, ADD and CEI exactly as CONTRACT §10 defines
them, and the collection figures around them — from additive per-currency figures, so that a customer's,
a collector's, a team's or the whole book's row is the sum of its customers' figures.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Sequence

from arcollect.money import money_str

ZERO = Decimal(0)
HUNDRED = Decimal(100)
TENTH = Decimal("0.1")


def one_decimal(value: Decimal | None) -> float | None:
    """A ratio as the contract prints it: a number rounded half up to one decimal (None stays None)."""
    if value is None:
        return None
    return float(value.quantize(TENTH, rounding=ROUND_HALF_UP))


def _div(numerator: Decimal, denominator: Decimal) -> Decimal | None:
    return None if denominator == 0 else numerator / denominator


def dso(ar_end: Decimal, credit_sales: Decimal, days: int) -> Decimal | None:
    """Period-end DSO = ar_end ÷ credit_sales × days (None when nothing was sold in the period)."""
    ratio = _div(ar_end, credit_sales)
    return None if ratio is None else ratio * days


def bpdso(current_end: Decimal, credit_sales: Decimal, days: int) -> Decimal | None:
    """Best-possible DSO = current_end ÷ credit_sales × days: the DSO if nothing were past due."""
    ratio = _div(current_end, credit_sales)
    return None if ratio is None else ratio * days


def countback_dso(ar_end: Decimal, months: Sequence[tuple[Decimal, int]]) -> Decimal | None:
    """Days of the latest months' credit sales that ar_end exhausts: ``months`` are (credit sales, days)
    from the latest month back. Whole months while ar_end exceeds their sales, then the fraction of the
    month that ends it. A month that sold nothing (or less than nothing) counts whole. None when the
    months given do not exhaust ar_end (more AR than their sales)."""
    if ar_end <= 0:
        return ZERO
    left, days = ar_end, Decimal(0)
    for sales, length in months:
        if sales > 0 and left <= sales:
            return days + left / sales * length
        days += length
        left -= max(sales, ZERO)
    return None


def cei(ar_start: Decimal, credit_sales: Decimal, ar_end: Decimal, current_end: Decimal) -> Decimal | None:
    """CEI = (ar_start + credit_sales − ar_end) ÷ (ar_start + credit_sales − current_end) × 100."""
    ratio = _div(ar_start + credit_sales - ar_end, ar_start + credit_sales - current_end)
    return None if ratio is None else ratio * HUNDRED


def percent(part: Decimal, whole: Decimal) -> Decimal | None:
    ratio = _div(part, whole)
    return None if ratio is None else ratio * HUNDRED


@dataclass
class Figures:
    """What one row's metrics are computed from; every field adds up across customers."""

    currency: str
    ar_start: Decimal = ZERO
    ar_end: Decimal = ZERO
    current_end: Decimal = ZERO
    invoiced: Decimal = ZERO          # invoices issued in the period
    credit_notes: Decimal = ZERO      # credit notes issued in the period
    collected: Decimal = ZERO         # payments applied to invoices, dated in the period (net of reversals)
    pay_days: Decimal = ZERO          # Σ payment × days from issue to payment
    late_days: Decimal = ZERO         # Σ payment × days past due when paid (0 when paid on time)
    unapplied_cash: Decimal = ZERO    # at the end of the period
    promises_resolved: int = 0        # promises whose deadline fell in the period: kept, partially kept, broken
    promises_kept: int = 0
    disputes_opened: int = 0
    disputed_amount: Decimal = ZERO   # value of the disputes opened in the period
    disputes_resolved: int = 0
    dispute_days: int = 0             # Σ days from opening to resolution of the disputes resolved in the period
    countback_sales: list[Decimal] = field(default_factory=list)  # credit sales per month back from the end

    @property
    def credit_sales(self) -> Decimal:
        return self.invoiced - self.credit_notes

    def add(self, other: "Figures") -> None:
        for f in fields(self):
            if f.name == "currency":
                continue
            if f.name == "countback_sales":
                mine, theirs = self.countback_sales, other.countback_sales
                longest = max(len(mine), len(theirs))
                self.countback_sales = [(mine[i] if i < len(mine) else ZERO) + (theirs[i] if i < len(theirs) else ZERO)
                                        for i in range(longest)]
            else:
                setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))


def metrics_row(key: str, f: Figures, days: int, countback_days: Sequence[int] = (),
                name: str | None = None) -> dict[str, Any]:
    """One CONTRACT §10 row: money as strings of the currency's digits, ratios rounded to one decimal."""
    cur = f.currency
    sales = f.credit_sales
    d, b = one_decimal(dso(f.ar_end, sales, days)), one_decimal(bpdso(f.current_end, sales, days))
    cb = countback_dso(f.ar_end, list(zip(f.countback_sales, countback_days))) if countback_days else None
    row: dict[str, Any] = {"key": key}
    if name is not None:
        row["name"] = name
    row.update({
        "currency": cur,
        "ar_start": money_str(f.ar_start, cur), "ar_end": money_str(f.ar_end, cur),
        "current_end": money_str(f.current_end, cur), "credit_sales": money_str(sales, cur),
        "dso": d, "countback_dso": one_decimal(cb), "bpdso": b,
        "add": None if d is None or b is None else float(Decimal(str(d)) - Decimal(str(b))),
        "cei": one_decimal(cei(f.ar_start, sales, f.ar_end, f.current_end)),
        "invoiced": money_str(f.invoiced, cur), "credit_notes": money_str(f.credit_notes, cur),
        "collected": money_str(f.collected, cur),
        "past_due_end": money_str(f.ar_end - f.current_end, cur),
        "pct_current": one_decimal(percent(f.current_end, f.ar_end)),
        "avg_days_to_pay": one_decimal(_div(f.pay_days, f.collected)),
        "avg_days_late": one_decimal(_div(f.late_days, f.collected)),
        "promises_resolved": f.promises_resolved, "promises_kept": f.promises_kept,
        "promise_kept_rate": one_decimal(percent(Decimal(f.promises_kept), Decimal(f.promises_resolved))),
        "disputes_opened": f.disputes_opened, "disputed_amount": money_str(f.disputed_amount, cur),
        "dispute_rate": one_decimal(percent(f.disputed_amount, f.invoiced)),
        "disputes_resolved": f.disputes_resolved,
        "dispute_cycle_days": one_decimal(_div(Decimal(f.dispute_days), Decimal(f.disputes_resolved))),
        "unapplied_cash": money_str(f.unapplied_cash, cur),
    })
    return row

