"""Aging buckets and report rows (pure): bucket names from bounds, roll-ups, totals, JSON shape."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field, replace
from operator import attrgetter
from decimal import Decimal
from typing import Iterable, Iterator, Sequence

from arcollect.money import money_str, money_strs

DEFAULT_BOUNDS: tuple[int, ...] = (0, 30, 60, 90)
GROUPINGS = ("customer", "collector", "currency", "total")
BASES = ("due", "issue")
UNASSIGNED = "(unassigned)"


def parse_bounds(text: str | None) -> tuple[int, ...]:
    """'0,30,60,90' → (0, 30, 60, 90). Raises ValueError with the reason."""
    if text is None or not text.strip():
        return DEFAULT_BOUNDS
    try:
        bounds = tuple(int(part.strip()) for part in text.split(","))
    except ValueError as exc:
        raise ValueError(f"--buckets {text!r}: bounds are whole numbers of days, e.g. 0,30,60,90") from exc
    if bounds[0] != 0:
        raise ValueError(f"--buckets {text!r}: the first bound must be 0 (the 'current' bucket)")
    if any(b <= a for a, b in zip(bounds, bounds[1:])):
        raise ValueError(f"--buckets {text!r}: bounds must be strictly increasing")
    return bounds


def bucket_names(bounds: Sequence[int]) -> list[str]:
    """(0, 30, 60, 90) → current, 1-30, 31-60, 61-90, 90+."""
    names = ["current"]
    for low, high in zip(bounds, bounds[1:]):
        names.append(f"{low + 1}-{high}")
    names.append(f"{bounds[-1]}+")
    return names


def bucket_index(days_past_due: int, bounds: Sequence[int]) -> int:
    """Index into bucket_names for a number of days past due."""
    for i, bound in enumerate(bounds):
        if days_past_due <= bound:
            return i
    return len(bounds)


def bucket_cutoffs(as_of: dt.date, bounds: Sequence[int]) -> list[dt.date]:
    """Reference dates d_i = as_of − bound_i: a document dated on/after d_i is in bucket ≤ i.

    (days = as_of − date ≤ bound  ⇔  date ≥ as_of − bound), so SQL can bucket by comparing dates.
    """
    return [as_of - dt.timedelta(days=b) for b in bounds]


@dataclass
class AgingRow:
    key: str
    name: str
    currency: str
    buckets: list[Decimal]
    unapplied_cash: Decimal = Decimal(0)
    unapplied_credits: Decimal = Decimal(0)
    collector: str | None = None
    disputed: Decimal = Decimal(0)  # the part of the total under an open dispute (inside the buckets too)

    @property
    def total(self) -> Decimal:
        return sum(self.buckets, Decimal(0))

    @property
    def past_due(self) -> Decimal:
        """Everything but the current bucket."""
        return sum(self.buckets[1:], Decimal(0))

    @property
    def net_balance(self) -> Decimal:
        return self.total - self.unapplied_cash - self.unapplied_credits

    def add(self, other: "AgingRow") -> None:
        self.buckets = [a + b for a, b in zip(self.buckets, other.buckets)]
        self.unapplied_cash += other.unapplied_cash
        self.unapplied_credits += other.unapplied_credits
        self.disputed += other.disputed


@dataclass
class AgingReport:
    as_of: dt.date
    basis: str
    by: str
    bucket_names: list[str]
    rows: list[AgingRow]
    totals: list[AgingRow]
    unidentified_cash: dict[str, Decimal] = field(default_factory=dict)


def roll_up(customer_rows: Iterable[AgingRow], by: str, n_buckets: int) -> list[AgingRow]:
    """Group per-customer rows by collector, currency or total (rows stay per currency)."""
    if by == "customer":
        return sorted(customer_rows, key=attrgetter("key", "currency"))
    grouped: dict[tuple[str, str], AgingRow] = {}
    for row in customer_rows:
        if by == "collector":
            key, name = row.collector or UNASSIGNED, row.collector or UNASSIGNED
        elif by == "currency":
            key, name = row.currency, row.currency
        else:
            key, name = "total", "Total"
        target = grouped.get((key, row.currency))
        if target is None:
            target = grouped[(key, row.currency)] = AgingRow(key, name, row.currency,
                                                              [Decimal(0)] * n_buckets)
        target.add(row)
    return sorted(grouped.values(), key=attrgetter("key", "currency"))


def totals_by_currency(rows: Iterable[AgingRow], n_buckets: int) -> list[AgingRow]:
    by_currency: dict[str, list[AgingRow]] = {}
    for row in rows:
        by_currency.setdefault(row.currency, []).append(row)
    totals = []
    for currency in sorted(by_currency):
        group = by_currency[currency]
        columns = list(zip(*(r.buckets for r in group)))  # column-wise sums run in C
        totals.append(AgingRow("total", "Total", currency, [sum(c, Decimal(0)) for c in columns],
                               unapplied_cash=sum([r.unapplied_cash for r in group], Decimal(0)),
                               unapplied_credits=sum([r.unapplied_credits for r in group], Decimal(0)),
                               disputed=sum([r.disputed for r in group], Decimal(0))))
    return totals


_TAIL = ("total", "unapplied_cash", "unapplied_credits", "net_balance", "disputed")


def _money_fields(row: AgingRow, names: Sequence[str]) -> dict[str, str]:
    total = sum(row.buckets, Decimal(0))
    texts = money_strs([*row.buckets, total, row.unapplied_cash, row.unapplied_credits,
                        total - row.unapplied_cash - row.unapplied_credits, row.disputed], row.currency)
    return dict(zip([*names, *_TAIL], texts))


def to_json(report: AgingReport) -> dict:
    """The CONTRACT §3 JSON object (money as strings with the currency's minor-unit digits)."""
    rows = [_json_row(r, report) for r in report.rows]
    return {"as_of": report.as_of.isoformat(), "basis": report.basis, "by": report.by,
            "buckets": list(report.bucket_names), "rows": rows, "totals": _json_totals(report)}


def iter_json(report: AgingReport) -> Iterator[str]:
    """The same document as ``to_json``, as text pieces: 100k rows never sit in memory twice."""
    head = {"as_of": report.as_of.isoformat(), "basis": report.basis, "by": report.by,
            "buckets": list(report.bucket_names)}
    yield json.dumps(head)[:-1] + ', "rows": ['
    for i, row in enumerate(report.rows):
        yield ("\n  " if i == 0 else ",\n  ") + json.dumps(_json_row(row, report))
    yield '\n], "totals": ' + json.dumps(_json_totals(report)) + "}\n"


def _json_row(r: AgingRow, report: AgingReport) -> dict:
    return {"key": r.key, "name": r.name, "currency": r.currency, **_money_fields(r, report.bucket_names)}


def _json_totals(report: AgingReport) -> list[dict]:
    totals = []
    for t in report.totals:
        item = {"currency": t.currency, **_money_fields(t, report.bucket_names)}
        item["unidentified_cash"] = money_str(report.unidentified_cash.get(t.currency, Decimal(0)), t.currency)
        totals.append(item)
    for currency in sorted(set(report.unidentified_cash) - {t.currency for t in report.totals}):
        empty = AgingRow("total", "Total", currency, [Decimal(0)] * len(report.bucket_names))
        item = {"currency": currency, **_money_fields(empty, report.bucket_names)}
        item["unidentified_cash"] = money_str(report.unidentified_cash[currency], currency)
        totals.append(item)
    return totals


def table_columns(report: AgingReport) -> list[str]:
    """The CSV columns (the JSON keys); rows per customer end with their collector."""
    columns = ["key", "name", "currency", *report.bucket_names, "total", "unapplied_cash",
               "unapplied_credits", "net_balance", "disputed"]
    return columns + ["collector"] if report.by == "customer" else columns


def column_titles(report: AgingReport) -> list[str]:
    """The same columns as people read them (the XLSX header): Customer, Current, 1–30, …, Collector."""
    key = {"customer": "Customer", "collector": "Collector"}.get(report.by, "Group")
    buckets = ["Current" if b == "current" else b.replace("-", "–") for b in report.bucket_names]
    titles = [key, "Name", "Currency", *buckets, "Total", "Unapplied cash", "Unapplied credits", "Net balance",
              "Disputed"]
    return titles + ["Collector"] if report.by == "customer" else titles


SORT_KEYS = ("key", "name", "collector", "total", "past_due", "net_balance", "disputed")


def select_rows(rows: Iterable[AgingRow], *, bucket: int | None = None, sort: str = "past_due",
                descending: bool = True) -> list[AgingRow]:
    """Rows with something in ``bucket`` (an index; None: all), ordered by a column or a bucket
    (``b0``, ``b1``…); ties by key. Amounts of different currencies are compared as numbers."""
    chosen = [r for r in rows if bucket is None or r.buckets[bucket] != 0]
    if sort.startswith("b") and sort[1:].isdigit():
        i = int(sort[1:])
        value = lambda r: r.buckets[i] if i < len(r.buckets) else Decimal(0)  # noqa: E731
    elif sort in ("total", "past_due", "net_balance", "disputed"):
        value = lambda r: getattr(r, sort)  # noqa: E731
    elif sort in ("key", "name", "collector"):
        value = lambda r: (getattr(r, sort) or "").lower()  # noqa: E731
    else:
        raise ValueError(f"sort {sort!r}: one of {', '.join(SORT_KEYS)} or b0, b1, …")
    chosen.sort(key=lambda r: r.key)
    chosen.sort(key=value, reverse=descending)
    return chosen


def narrow(report: AgingReport, *, bucket: int | None = None, sort: str = "past_due",
           descending: bool = True) -> AgingReport:
    """The report as a collector filtered and sorted it on screen, ready to export: only the rows
    with something in ``bucket``, in the chosen order, and totals of exactly those rows (cash not yet
    identified to a customer belongs to no bucket, so it is left out of a bucket's totals)."""
    if bucket is not None and not 0 <= bucket < len(report.bucket_names):
        raise ValueError(f"bucket {bucket}: there are {len(report.bucket_names)} buckets (0–"
                         f"{len(report.bucket_names) - 1})")
    rows = select_rows(report.rows, bucket=bucket, sort=sort, descending=descending)
    if bucket is None:
        return replace(report, rows=rows)
    return replace(report, rows=rows, totals=totals_by_currency(rows, len(report.bucket_names)),
                   unidentified_cash={})
