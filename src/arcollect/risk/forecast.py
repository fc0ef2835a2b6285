"""Cash forecast (pure): expected inflows per week (13 by default) and per month, per currency, with a band.

Sources, each counted once:
- open invoices at their predicted payment date, spread over three dates (early 25 %, expected 50 %,
  late 25 %: the model's held-out error quartiles);
- an open invoice whose predicted date has already passed is re-estimated *given that it is still unpaid*
  (``overdue_dates``): from the days late of the customer's (else its segment's, else the book's) invoices
  that were paid at least as late as this one already is, the quartiles of the delay that remained; one more
  than DOUBTFUL_DAYS past due, or later than the history shows MIN_HISTORY invoices ever paid, is
  ``doubtful``: counted in ``beyond`` (and shown apart as ``doubtful``), in no week;
- promises-to-pay and plan instalments: the promised money (what is still to pay, at most what is open on
  the invoices it covers) lands in the week of its date weighted by that customer's kept rate; the same
  amount leaves those invoices' predicted dates; the unweighted rest stays on them;
- disputed parts of invoices are left out and reported apart (``disputed``);
- unapplied cash the customer already paid is money received, not to come: it is taken off that
  customer's earliest expected inflows (``unapplied``).
The band is expected ± 1.28 σ (an 80 % band), σ² = Σ amount² · p · (1 − p) over what may land in the week
(each amount treated as landing there with its probability p), low never below zero.
Every week's and month's money sums, plus ``beyond`` the horizon (which holds ``doubtful``), add up to
open − disputed − unapplied.
"""

from __future__ import annotations

import bisect
import datetime as dt
import math
from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Iterable, Sequence

from arcollect.money import allocate, money_str, quantize

ZERO = Decimal(0)
Z80 = Decimal("1.2816")
SPREAD = ((Decimal("0.25"), "early"), (Decimal("0.50"), "expected"), (Decimal("0.25"), "late"))
DOUBTFUL_DAYS = 180  # past due by more: doubtful, whatever the history
MIN_HISTORY = 5  # paid invoices at least as late as this one that a re-estimate needs from one level of history


@dataclass(frozen=True)
class OpenItem:
    key: str
    customer: str
    currency: str
    open_amount: Decimal
    disputed: Decimal
    due_date: dt.date
    expected: dt.date
    early: dt.date
    late: dt.date
    doubtful: bool = False  # not expected in any week (see overdue_dates)


def _rank(ordered: Sequence[int], start: int, q: float) -> int:
    """The q-quantile (nearest rank) of ordered[start:]."""
    n = len(ordered) - start
    return ordered[start + max(0, math.ceil(q * n) - 1)]


def overdue_dates(as_of: dt.date, due_date: dt.date, pasts: Sequence[Sequence[int]], *,
                  doubtful_days: int = DOUBTFUL_DAYS, least: int = MIN_HISTORY
                  ) -> tuple[dt.date, dt.date, dt.date] | None:
    """(early, expected, late) of an open invoice whose predicted payment date has passed, given that it is
    still unpaid on ``as_of``; None when doubtful (more than ``doubtful_days`` past due, or no level of
    history holds ``least`` invoices paid at least this late).

    ``pasts``: days late (settled − due) of invoices settled before the date, each list sorted ascending,
    most specific first (the customer's, its segment's, the book's). The first list holding ``least`` or more
    invoices paid at least ``a`` = (as_of − due_date) days late is used: their remaining delays L − a give the
    dates as_of + the 25th, 50th and 75th percentile (nearest rank: the ⌈q·n⌉-th smallest).

    Worked example: as of 2026-11-23 an invoice due 2026-10-24 is a = 30 days late. The customer paid
    [-2, 0, 3, 5, 31, 40, 44, 60, 95] days late: five were paid ≥ 30 days late (31, 40, 44, 60, 95), enough;
    the delays that remained are 1, 10, 14, 30, 65 (n = 5): 25th percentile the ⌈1.25⌉ = 2nd = 10 days,
    median the ⌈2.5⌉ = 3rd = 14, 75th the ⌈3.75⌉ = 4th = 30 → early 2026-12-03 (week 2 of weeks from
    Mondays), expected 2026-12-07 (week 3), late 2026-12-23 (week 5); not 2026-11-23, week 1.

    >>> D = dt.date
    >>> overdue_dates(D(2026, 11, 23), D(2026, 10, 24), [[-2, 0, 3, 5, 31, 40, 44, 60, 95]])
    (datetime.date(2026, 12, 3), datetime.date(2026, 12, 7), datetime.date(2026, 12, 23))
    >>> overdue_dates(D(2026, 11, 23), D(2026, 5, 1), [[-2, 0, 3, 5, 31, 40, 44, 60, 95]]) is None  # 206 d
    True
    """
    late_now = (as_of - due_date).days
    if late_now > doubtful_days:
        return None
    for ordered in pasts:
        start = bisect.bisect_left(ordered, late_now)
        if len(ordered) - start >= least:
            early, expected, late = (as_of + dt.timedelta(days=_rank(ordered, start, q) - late_now)
                                     for q in (0.25, 0.5, 0.75))
            return early, expected, late
    return None


@dataclass(frozen=True)
class Promised:
    customer: str
    currency: str
    amount: Decimal  # still to pay
    date: dt.date
    invoices: frozenset[str]  # empty: any of the customer's invoices
    kept_rate: Decimal
    kind: str = "promise"  # promise | instalment


@dataclass
class _Mass:
    when: dt.date
    amount: Decimal
    p: Decimal  # the probability it lands there (for the band)
    item: str  # what it is part of: the parts of one item in one week add their probabilities
    whole: Decimal  # the item's whole amount
    promised: bool = False


def _weeks(as_of: dt.date, weeks: int) -> list[tuple[dt.date, dt.date]]:
    return [(as_of + dt.timedelta(days=7 * i), as_of + dt.timedelta(days=7 * i + 6)) for i in range(weeks)]


def _months(as_of: dt.date, until: dt.date) -> list[tuple[dt.date, dt.date]]:
    out, start = [], as_of
    while start <= until:
        nxt = (start.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
        out.append((start, min(until, nxt - dt.timedelta(days=1))))
        start = nxt
    return out


def _masses(items: Sequence[OpenItem], promises: Sequence[Promised], unapplied: dict[str, Decimal],
            currency: str, as_of: dt.date) -> tuple[list[_Mass], Decimal, Decimal, Decimal]:
    """Where the currency's money may land, and (disputed, unapplied used, doubtful)."""
    base = {i.key: max(ZERO, i.open_amount - i.disputed) for i in items}
    by_customer: dict[str, list[OpenItem]] = defaultdict(list)
    for i in sorted(items, key=lambda i: (i.doubtful, i.expected, i.due_date, i.key)):
        by_customer[i.customer].append(i)
    used_unapplied = ZERO
    for customer, cash in unapplied.items():  # cash already received pays the earliest expected first
        left = cash
        for i in by_customer.get(customer, []):
            if left <= 0:
                break
            take = min(left, base[i.key])
            base[i.key] -= take
            left -= take
            used_unapplied += take
    masses: list[_Mass] = []
    for n, pr in enumerate(sorted(promises, key=lambda p: (p.date, p.customer))):
        covered = [i for i in by_customer.get(pr.customer, []) if not pr.invoices or i.key in pr.invoices]
        cover = min(pr.amount, sum((base[i.key] for i in covered), ZERO))
        weighted = quantize(cover * pr.kept_rate, currency)
        if weighted <= 0:
            continue
        left = weighted
        for i in sorted(covered, key=lambda i: (i.due_date, i.key)):
            take = min(left, base[i.key])
            base[i.key] -= take
            left -= take
        masses.append(_Mass(max(as_of, pr.date), weighted, pr.kept_rate, f"{pr.kind}:{n}", cover, promised=True))
    doubtful = ZERO
    for i in items:
        amount = base[i.key]
        if amount <= 0:
            continue
        if i.doubtful:  # the unweighted rest of a promise on it stays doubtful too
            doubtful += amount
            continue
        parts = allocate(amount, [w for w, _ in SPREAD], currency)
        for part, (weight, name) in zip(parts, SPREAD):
            if part:
                masses.append(_Mass(max(as_of, getattr(i, name)), part, weight, i.key, amount))
    disputed = sum((min(i.disputed, i.open_amount) for i in items), ZERO)
    return masses, disputed, used_unapplied, doubtful


def _bucket(masses: Iterable[_Mass], periods: Sequence[tuple[dt.date, dt.date]], currency: str) -> list[dict[str, Any]]:
    rows = [{"expected": ZERO, "promised": ZERO} for _ in periods]
    chances: list[dict[str, list[Decimal]]] = [defaultdict(lambda: [ZERO, ZERO]) for _ in periods]
    starts = [s for s, _ in periods]
    for m in masses:
        if not periods or m.when < starts[0] or m.when > periods[-1][1]:
            continue
        lo, hi = 0, len(starts)
        while hi - lo > 1:
            mid = (lo + hi) // 2
            lo, hi = (mid, hi) if starts[mid] <= m.when else (lo, mid)
        row = rows[lo]
        row["expected"] += m.amount
        row["promised"] += m.amount if m.promised else ZERO
        chance = chances[lo][m.item]
        chance[0], chance[1] = m.whole, chance[1] + m.p
    out = []
    for (start, end), row, chance in zip(periods, rows, chances):
        var = sum((whole * whole * p * (1 - min(p, Decimal(1))) for whole, p in chance.values()), ZERO)
        band = Z80 * var.sqrt() if var > 0 else ZERO
        expected = quantize(row["expected"], currency)
        out.append({"start": start.isoformat(), "end": end.isoformat(), "currency": currency,
                    "expected": money_str(expected, currency),
                    "low": money_str(max(ZERO, quantize(expected - band, currency)), currency),
                    "high": money_str(quantize(expected + band, currency), currency),
                    "promised": money_str(quantize(row["promised"], currency), currency)})
    return out


def forecast(items: Sequence[OpenItem], promises: Sequence[Promised], unapplied: dict[tuple[str, str], Decimal],
             *, as_of: dt.date, weeks: int = 13) -> dict[str, Any]:
    """The forecast as the CONTRACT's JSON: ``weeks`` (each with its currency), ``months`` and a summary
    per currency (open, disputed, unapplied, beyond the horizon and, of that, doubtful)."""
    periods = _weeks(as_of, weeks)
    horizon_end = periods[-1][1] if periods else as_of
    months = _months(as_of, horizon_end)
    out: dict[str, Any] = {"as_of": as_of.isoformat(), "weeks": [], "months": [], "currencies": []}
    for currency in sorted({i.currency for i in items} | {p.currency for p in promises}):
        mine = [i for i in items if i.currency == currency]
        cash = {c: a for (c, cur), a in unapplied.items() if cur == currency and a > 0}
        masses, disputed, used, doubtful = _masses(mine, [p for p in promises if p.currency == currency], cash,
                                                   currency, as_of)
        week_rows = _bucket(masses, periods, currency)
        out["weeks"].extend(week_rows)
        out["months"].extend(_bucket(masses, months, currency))
        beyond = sum((m.amount for m in masses if m.when > horizon_end), doubtful)
        in_horizon = sum((Decimal(w["expected"]) for w in week_rows), ZERO)
        out["currencies"].append({
            "currency": currency, "open": money_str(sum((i.open_amount for i in mine), ZERO), currency),
            "disputed": money_str(disputed, currency), "unapplied": money_str(used, currency),
            "expected": money_str(in_horizon, currency), "beyond": money_str(quantize(beyond, currency), currency),
            "doubtful": money_str(quantize(doubtful, currency), currency),
            "promised": money_str(sum((Decimal(w["promised"]) for w in week_rows), ZERO), currency)})
    return out


def in_reporting(result: dict[str, Any], rep: Any) -> dict[str, Any]:
    """A forecast's weeks, months and summary added up over its currencies in the reporting currency
    (``rep``: an ``arcollect.fx.Reporting`` covering them): each amount at its currency's rate as of the
    forecast's date, exactly, rounded once. A period's low and high are the sums of the currencies' bands
    (a little wider than a joint band)."""
    cur = rep.currency

    def add_up(rows: Sequence[dict[str, Any]], names: Sequence[str], by: str | None) -> list[dict[str, Any]]:
        sums: dict[Any, dict[str, Decimal]] = {}
        heads: dict[Any, dict[str, Any]] = {}
        for r in rows:
            key = r[by] if by else None
            heads.setdefault(key, {k: r[k] for k in ("start", "end") if k in r})
            slot = sums.setdefault(key, {n: ZERO for n in names})
            for n in names:
                slot[n] += rep.convert(Decimal(r[n]), r["currency"])
        return [{**heads[k], "currency": cur, **{n: money_str(v, cur) for n, v in sums[k].items()}} for k in sums]

    money = ("expected", "low", "high", "promised")
    summary = add_up(result["currencies"], ("open", "disputed", "unapplied", "expected", "beyond", "doubtful",
                                           "promised"), None)
    return {"weeks": add_up(result["weeks"], money, "start"), "months": add_up(result["months"], money, "start"),
            "summary": summary[0] if summary else None}


def _errors(rows: Sequence[dict[str, Any]], currency: str) -> dict[str, Any]:
    abs_err = sum((abs(Decimal(r["error"])) for r in rows), ZERO)
    total = sum((Decimal(r["actual"]) for r in rows), ZERO)
    return {"currency": currency, "actual": money_str(total, currency),
            "mae": str(quantize(abs_err / len(rows), currency)) if rows else "0",
            # a percentage with one decimal, as a string like the money figures (never through float)
            "wape": str((abs_err / total * 100).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)) if total else None,
            "in_band": sum(r["in_band"] for r in rows)}


def backtest(weeks: Sequence[dict[str, Any]], actual: Iterable[tuple[dt.date, str, Decimal]]) -> dict[str, Any]:
    """A forecast's weeks against the cash that came ((date, currency, amount) rows): error per week
    (actual − expected), whether it fell inside the band, and per currency (``currencies``) the mean absolute
    weekly error and WAPE (Σ|error| ÷ Σ actual, %, a string with one decimal: "23.5"). The top-level ``mae`` and ``wape`` are the only currency's
    (None when the forecast has several: money of different currencies is not added up)."""
    got: dict[tuple[str, str], Decimal] = defaultdict(lambda: ZERO)
    index = [(dt.date.fromisoformat(w["start"]), dt.date.fromisoformat(w["end"]), w["currency"]) for w in weeks]
    for day, currency, amount in actual:
        for start, end, cur in index:
            if cur == currency and start <= day <= end:
                got[(start.isoformat(), cur)] += amount
                break
    rows = []
    for w in weeks:
        came = got.get((w["start"], w["currency"]), ZERO)
        error = came - Decimal(w["expected"])
        rows.append({**w, "actual": money_str(came, w["currency"]), "error": money_str(error, w["currency"]),
                     "in_band": Decimal(w["low"]) <= came <= Decimal(w["high"])})
    currencies = [_errors([r for r in rows if r["currency"] == c], c) for c in sorted({r["currency"] for r in rows})]
    single = currencies[0] if len(currencies) == 1 else {"mae": None, "wape": None}
    return {"weeks": rows, "currencies": currencies, "mae": single["mae"] if rows else "0", "wape": single["wape"],
            "in_band": sum(r["in_band"] for r in rows)}
