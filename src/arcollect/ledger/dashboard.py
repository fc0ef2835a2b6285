"""The portfolio dashboard's figures, computed from an aging report and a past-due trend. Pure."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from arcollect.ledger.aging import AgingReport, AgingRow
from arcollect.money import quantize



@dataclass
class CurrencySummary:
    currency: str
    buckets: list[tuple[str, Decimal]]
    total: Decimal
    past_due: Decimal
    percent_current: Decimal | None
    unapplied_cash: Decimal
    unapplied_credits: Decimal
    accounts: int
    accounts_past_due: int
    disputed: Decimal = Decimal(0)  # under an open dispute (inside the buckets too)


@dataclass
class Dashboard:
    as_of: dt.date
    currencies: list[CurrencySummary]
    trend_dates: list[dt.date]
    trend: dict[str, list[Decimal]]
    top_past_due: list[AgingRow]
    unidentified_cash: dict[str, Decimal] = field(default_factory=dict)
    rows: list[AgingRow] = field(default_factory=list)  # every customer × currency row of the aging


def summarise(report: AgingReport, trend_dates: list[dt.date], trend: dict[str, list[Decimal]],
              top: int = 20) -> Dashboard:
    """Totals by bucket and currency, % current, accounts past due, and the top past-due accounts."""
    by_currency: dict[str, list[AgingRow]] = {}
    for row in report.rows:
        by_currency.setdefault(row.currency, []).append(row)
    summaries = []
    for t in report.totals:
        rows = by_currency.get(t.currency, [])
        total = t.total
        current = t.buckets[0]
        percent = (current / total * 100).quantize(Decimal("0.1")) if total > 0 else None
        summaries.append(CurrencySummary(
            currency=t.currency, buckets=list(zip(report.bucket_names, t.buckets)), total=total,
            past_due=quantize(total - current, t.currency), percent_current=percent,
            unapplied_cash=t.unapplied_cash, unapplied_credits=t.unapplied_credits,
            accounts=sum(1 for r in rows if r.total), accounts_past_due=sum(1 for r in rows if r.past_due > 0),
            disputed=quantize(t.disputed, t.currency)))
    ranked = sorted((r for r in report.rows if r.past_due > 0), key=lambda r: (-r.past_due, r.key))[:top]
    return Dashboard(report.as_of, summaries, trend_dates, trend, ranked, dict(report.unidentified_cash),
                     list(report.rows))
