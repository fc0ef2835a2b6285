"""The weekly portfolio report of a collector or the team, assembled from plain rows: aging and its trend, the
top risks (largest past due, broken promises, accounts near their credit limit, disputes past their SLA),
promises due in the coming week and escalations awaiting a decision. Pure: the service gathers the rows."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Iterable, Sequence

from arcollect.money import money_str, quantize

NEAR_LIMIT = Decimal("0.9")  # exposure at or above 90 % of the credit limit
TOP = 10


@dataclass
class Section:
    """One table of the report: its title, a one-line explanation, column titles and rows of plain values
    (Decimal amounts stay Decimal so that spreadsheets get numbers; ``money`` names the money columns)."""

    key: str
    title: str
    explain: str
    columns: list[str]
    rows: list[list[Any]]
    money: set[int] = field(default_factory=set)   # column indexes that hold amounts
    currency_col: int | None = None                # the column that holds the row's currency

    def as_dicts(self) -> list[dict[str, Any]]:
        keys = [c.lower().replace(" ", "_").replace("%", "percent") for c in self.columns]
        out = []
        for row in self.rows:
            cur = row[self.currency_col] if self.currency_col is not None else None
            out.append({k: _plain(v, cur if i in self.money else None) for i, (k, v) in enumerate(zip(keys, row))})
        return out


def _plain(value: Any, currency: str | None) -> Any:
    """A JSON value: money as a money string, other numbers (percentages) as numbers, dates in ISO."""
    if isinstance(value, Decimal):
        return money_str(value, currency) if currency else float(value)
    return value.isoformat() if isinstance(value, dt.date) else value


@dataclass
class CurrencyHealth:
    currency: str
    total: Decimal
    past_due: Decimal
    percent_current: Decimal | None
    disputed: Decimal
    unapplied_cash: Decimal
    accounts: int
    accounts_past_due: int
    buckets: list[tuple[str, Decimal]]
    trend: list[Decimal]


@dataclass
class Portfolio:
    as_of: dt.date
    who: str                  # "collector alice" or "the whole team"
    collector: str | None
    generated_at: dt.datetime  # aware
    currencies: list[CurrencyHealth]
    trend_dates: list[dt.date]
    sections: list[Section]
    unidentified_cash: dict[str, Decimal]

    def section(self, key: str) -> Section:
        return next(s for s in self.sections if s.key == key)


def largest_past_due(rows: Iterable[Any], top: int = TOP) -> Section:
    """Aging rows (customer level) with the most past due first."""
    ranked = sorted((r for r in rows if r.past_due > 0), key=lambda r: (-r.past_due, r.key))[:top]
    return Section("past_due", "Largest past due", f"The {top} accounts with the most past due.",
                   ["Customer", "Name", "Collector", "Currency", "Past due", "Total open"],
                   [[r.key, r.name, r.collector or "", r.currency, r.past_due, r.total] for r in ranked],
                   money={4, 5}, currency_col=3)


def broken_promises(promises: Iterable[dict[str, Any]], *, as_of: dt.date, days: int = 30) -> Section:
    """Promises broken in the last ``days`` days (their grace deadline passed unpaid)."""
    since = as_of - dt.timedelta(days=days)
    rows = [p for p in promises if p["status"] == "broken" and since <= dt.date.fromisoformat(p["deadline"]) <= as_of]
    rows.sort(key=lambda p: (p["deadline"], p["customer_id"]), reverse=True)
    return Section("broken_promises", "Broken promises", f"Promises whose deadline passed unpaid in the last {days} days.",
                   ["Customer", "Currency", "Promised", "Paid", "Promised for", "Deadline"],
                   [[p["customer_id"], p["currency"], Decimal(p["amount"]), Decimal(p["paid"]),
                     dt.date.fromisoformat(p["date"]), dt.date.fromisoformat(p["deadline"])] for p in rows],
                   money={2, 3}, currency_col=1)


def near_credit_limit(exposures: Iterable[tuple[str, str, str, Decimal, Decimal]],
                      threshold: Decimal = NEAR_LIMIT) -> Section:
    """(customer, name, currency, open balance, credit limit) at or above ``threshold`` of the limit."""
    rows = []
    for cid, name, currency, balance, limit in exposures:
        if limit and limit > 0 and balance >= limit * threshold:
            used = (balance / limit * 100).quantize(Decimal("0.1"))
            rows.append([cid, name, currency, balance, limit, used])
    rows.sort(key=lambda r: (-r[5], r[0]))
    return Section("near_limit", "Near the credit limit",
                   f"Accounts whose open balance is {int(threshold * 100)} % of their credit limit or more.",
                   ["Customer", "Name", "Currency", "Open", "Credit limit", "% used"], rows, money={3, 4},
                   currency_col=2)


def disputes_past_sla(disputes: Iterable[dict[str, Any]]) -> Section:
    rows = [d for d in disputes if d["sla_breached"]]
    rows.sort(key=lambda d: (d["sla_due"], d["id"]))
    return Section("disputes_past_sla", "Disputes past their SLA", "Open disputes not resolved by their SLA date.",
                   ["Dispute", "Customer", "Reason", "Team", "Currency", "Amount", "SLA due", "Status"],
                   [[d["id"], d["customer_id"], d["reason"], d["team"], d["currency"], Decimal(d["amount"]),
                     dt.date.fromisoformat(d["sla_due"]), d["status"].replace("_", " ")] for d in rows],
                   money={5}, currency_col=4)


def promises_due(promises: Iterable[dict[str, Any]], *, as_of: dt.date, days: int = 7) -> Section:
    """Open promises falling due from tomorrow to ``days`` days ahead."""
    end = as_of + dt.timedelta(days=days)
    rows = [p for p in promises if p["status"] == "open" and as_of < dt.date.fromisoformat(p["date"]) <= end]
    rows.sort(key=lambda p: (p["date"], p["customer_id"]))
    return Section("promises_due", "Promises due next week",
                   f"Open promises due from {(as_of + dt.timedelta(days=1)).isoformat()} to {end.isoformat()}.",
                   ["Customer", "Currency", "Amount", "Paid so far", "Due", "Channel"],
                   [[p["customer_id"], p["currency"], Decimal(p["amount"]), Decimal(p["paid"]),
                     dt.date.fromisoformat(p["date"]), p["channel"] or ""] for p in rows], money={2, 3},
                   currency_col=1)


def escalations_awaiting(escalations: Iterable[dict[str, Any]]) -> Section:
    rows = sorted(escalations, key=lambda e: (e["proposed_on"], e["id"]))
    return Section("escalations", "Escalations awaiting a decision",
                   "Proposed escalations, oldest first, with who may approve them.",
                   ["Escalation", "Customer", "Action", "Currency", "Amount", "Proposed on", "Approvers"],
                   [[e["id"], e["customer_id"], e["action_label"], e["currency"], Decimal(e["amount"]),
                     dt.date.fromisoformat(e["proposed_on"]), ", ".join(e["approvers"])] for e in rows],
                   money={4}, currency_col=3)


def health(summaries: Sequence[Any], trend: dict[str, list[Decimal]]) -> list[CurrencyHealth]:
    """The dashboard's per-currency summaries with each currency's past-due trend."""
    return [CurrencyHealth(s.currency, s.total, s.past_due, s.percent_current, s.disputed, s.unapplied_cash,
                           s.accounts, s.accounts_past_due, list(s.buckets), list(trend.get(s.currency, [])))
            for s in summaries]


def to_json(p: Portfolio) -> dict[str, Any]:
    """The report as JSON: money strings, ISO dates, the same sections as the PDF and the workbook."""
    return {
        "as_of": p.as_of.isoformat(), "collector": p.collector, "who": p.who,
        "generated_at": p.generated_at.isoformat(),
        "aging": [{"currency": c.currency, "total": money_str(c.total, c.currency),
                   "past_due": money_str(c.past_due, c.currency),
                   "percent_current": None if c.percent_current is None else float(c.percent_current),
                   "disputed": money_str(c.disputed, c.currency), "unapplied_cash": money_str(c.unapplied_cash, c.currency),
                   "accounts": c.accounts, "accounts_past_due": c.accounts_past_due,
                   "buckets": [{"bucket": b, "amount": money_str(v, c.currency)} for b, v in c.buckets],
                   "past_due_trend": [{"date": d.isoformat(), "past_due": money_str(v, c.currency)}
                                      for d, v in zip(p.trend_dates, c.trend)]} for c in p.currencies],
        "unidentified_cash": {k: money_str(quantize(v, k), k) for k, v in sorted(p.unidentified_cash.items())},
        **{s.key: s.as_dicts() for s in p.sections},
    }
