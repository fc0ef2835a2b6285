"""The metrics' fast path (open amounts scanned over the period and its trend only, countback's 24 months of
sales from one grouped scan of the issue dates) gives exactly the figures of the reference computation (every
window in one scan of the whole book), over a random book, for every grouping and kind of period."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from arcollect.reports import service as reports
from tests.reports.book import load

D = dt.date


def random_book(ctx, tmp_path, seed: int = 17) -> None:  # noqa: ANN001
    """8 customers (two currencies, three collectors, two segments), ~120 invoices issued over 30 months,
    partial and full payments, credit notes applied or left open: a book whose every month differs."""
    rng = random.Random(seed)
    customers, invoices, notes, payments = [], [], [], []
    for c in range(8):
        cur = "USD" if c % 3 else "EUR"
        customers.append(f"C{c},Customer {c},{cur},{['alice', 'bob', ''][c % 3]},{['key', 'smb'][c % 2]}")
        for k in range(rng.randint(8, 22)):
            issued = D(2024, 4, 1) + dt.timedelta(days=rng.randint(0, 940))
            due = issued + dt.timedelta(days=rng.choice((15, 30, 45, 60)))
            amount = Decimal(rng.randint(10_000, 900_000)) / 100
            iid = f"I{c}-{k}"
            invoices.append(f"{iid},C{c},{issued},{due},{amount},{cur},PO-{c}-{k}")
            roll = rng.random()
            if roll < 0.6:  # paid, in full or in part, late or early
                paid = issued + dt.timedelta(days=rng.randint(0, 120))
                part = amount if rng.random() < 0.7 else (amount * Decimal("0.4")).quantize(Decimal("0.01"))
                payments.append(f"P{c}-{k},C{c},{paid},{part},{cur},{iid}")
            elif roll < 0.75:  # credited in part
                credited = issued + dt.timedelta(days=rng.randint(0, 60))
                notes.append(f"N{c}-{k},C{c},{credited},{(amount / 4).quantize(Decimal('0.01'))},{cur},{iid}")
            elif roll < 0.8:  # a credit note left unapplied
                credited = issued + dt.timedelta(days=rng.randint(0, 60))
                notes.append(f"N{c}-{k},C{c},{credited},{(amount / 5).quantize(Decimal('0.01'))},{cur},")
    load(ctx, tmp_path, customers=customers, invoices=invoices, credit_notes=notes, payments=payments)


def test_fast_metrics_equal_the_exact_computation_over_a_random_book(ctx, tmp_path):  # noqa: ANN001
    random_book(ctx, tmp_path)
    compared = 0
    for period in ("2026-Q3", "2026-02-10..2026-08-15"):
        for by in reports.METRICS_BY:
            fast = reports.metrics(ctx, period=period, by=by)
            exact = reports.metrics(ctx, period=period, by=by, exact=True)
            assert fast == exact, (period, by)
            compared += len(fast["rows"])
            assert any(r["countback_dso"] is not None for r in fast["rows"]), (period, by)
    assert compared > 30  # the book has rows to compare in every grouping


def test_fast_path_roll_forward_still_ties_to_the_exact_closing(ctx, tmp_path):  # noqa: ANN001
    random_book(ctx, tmp_path, seed=5)
    fast = reports.metrics(ctx, period="2026-Q2", by="customer")
    roll = reports.rollforward(ctx, period="2026-Q2", by="customer")
    ends = {(r["key"], r["currency"]): r["ar_end"] for r in fast["rows"]}
    assert roll["rows"] and all(ends[(r["key"], r["currency"])] == r["closing"] for r in roll["rows"]
                                if (r["key"], r["currency"]) in ends)
