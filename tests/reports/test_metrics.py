"""CONTRACT §10 definitions, each against a worked example computed by hand (tests/reports/book.py)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from arcollect.reports import metrics as M
from arcollect.reports import service as reports
from tests.reports.book import load, quarter_book


@pytest.fixture
def q1(ctx, tmp_path):  # noqa: ANN001, ANN201
    quarter_book(ctx, tmp_path)
    return reports.metrics(ctx, period="2026-Q1")["rows"][0]


def test_ar_start_is_the_open_receivables_the_day_before_the_period(q1):
    """ar_start = open as of 2025-12-31: only I1, 1,000.00 (paid later, in January)."""
    assert q1["ar_start"] == "1000.00"


def test_ar_end_and_current_end(q1):
    """ar_end as of 2026-03-31 = I2 3,000 − 500 (N1) − 1,000 (P2) = 1,500 + I3 2,000 + I4 1,500 = 5,000.00.
    current_end = what is not past due on 03-31: I3 (due that day, 0 days past due) 2,000 + I4 1,500 = 3,500.00."""
    assert (q1["ar_end"], q1["current_end"], q1["past_due_end"]) == ("5000.00", "3500.00", "1500.00")


def test_credit_sales_are_invoices_less_credit_notes_issued_in_the_period(q1):
    """I2 3,000 + I3 2,000 + I4 1,500 = 6,500 invoiced (I1 is of December) − N1 500 = 6,000.00."""
    assert (q1["invoiced"], q1["credit_notes"], q1["credit_sales"]) == ("6500.00", "500.00", "6000.00")


def test_dso_is_ar_end_over_credit_sales_times_days(q1):
    """DSO = 5,000 ÷ 6,000 × 90 = 75.0."""
    assert q1["dso"] == 75.0


def test_best_possible_dso_uses_the_current_part(q1):
    """BPDSO = 3,500 ÷ 6,000 × 90 = 52.5."""
    assert q1["bpdso"] == 52.5


def test_add_is_dso_less_bpdso(q1):
    """ADD = 75.0 − 52.5 = 22.5."""
    assert q1["add"] == 22.5


def test_cei(q1):
    """CEI = (1,000 + 6,000 − 5,000) ÷ (1,000 + 6,000 − 3,500) × 100 = 2,000 ÷ 3,500 × 100 = 57.14… → 57.1."""
    assert q1["cei"] == 57.1


def test_countback_dso_walks_back_whole_months_then_a_fraction(q1):
    """ar_end 5,000. March sold 3,500 (31 days): 1,500 left. February sold −500 (only the credit note): the whole
    28 days count, nothing is taken. January sold 3,000: 1,500 ÷ 3,000 × 31 = 15.5. 31 + 28 + 15.5 = 74.5."""
    assert q1["countback_dso"] == 74.5


def test_collected_and_days_to_pay_and_late_weighted_by_amount(q1):
    """Payments applied in Q1: P1 1,000 on I1 (01-20: 50 days after issue 12-01, 20 after due 12-31) and P2
    1,000 on I2 (03-10: 54 days after issue 01-15, 24 after due 02-14). Days to pay (50×1,000 + 54×1,000) ÷ 2,000
    = 52.0; days late (20×1,000 + 24×1,000) ÷ 2,000 = 22.0. % current = 3,500 ÷ 5,000 = 70.0."""
    assert q1["collected"] == "2000.00"
    assert (q1["avg_days_to_pay"], q1["avg_days_late"], q1["pct_current"]) == (52.0, 22.0, 70.0)


def test_ratios_are_numbers_rounded_half_up_to_one_decimal():
    """45.25 → 45.3 (half up, not half even), 57.1428… → 57.1; nothing sold → None (no division by zero)."""
    assert M.one_decimal(Decimal("45.25")) == 45.3
    assert M.one_decimal(Decimal(2000) / Decimal(3500) * 100) == 57.1
    assert M.dso(Decimal(100), Decimal(0), 90) is None


def test_countback_that_more_than_the_months_given_cannot_exhaust_is_none():
    """ar_end 1,000 against two months of 100 each: not exhausted → None; 0 AR → 0 days."""
    assert M.countback_dso(Decimal(1000), [(Decimal(100), 31), (Decimal(100), 30)]) is None
    assert M.countback_dso(Decimal(0), [(Decimal(100), 31)]) == 0


def test_a_late_payment_on_time_counts_zero_days_late_not_negative(ctx, tmp_path):
    """I1 100 due 01-31 paid 01-11 (10 days early: 0 late), I2 100 due 01-10 paid 01-20 (10 late):
    days late = (0 × 100 + 10 × 100) ÷ 200 = 5.0; days to pay (10 + 19) … (01-11 − 01-01) = 10, (01-20 − 01-01) = 19
    → 14.5."""
    load(ctx, tmp_path, customers=["C1,Acme,USD,alice,key"],
         invoices=["I1,C1,2026-01-01,2026-01-31,100.00,USD,", "I2,C1,2026-01-01,2026-01-10,100.00,USD,"],
         payments=["P1,C1,2026-01-11,100.00,USD,I1", "P2,C1,2026-01-20,100.00,USD,I2"])
    row = reports.metrics(ctx, period="2026-01")["rows"][0]
    assert (row["avg_days_late"], row["avg_days_to_pay"]) == (5.0, 14.5)


def test_metrics_are_per_currency_and_grouped_by_collector_customer_and_segment(ctx, tmp_path):
    """Two customers of two collectors, USD and EUR: a row per (group, currency); the total is the sum."""
    load(ctx, tmp_path, customers=["C1,Acme,USD,alice,key", "C2,Beta,EUR,bruno,small", "C3,Gamma,USD,bruno,small"],
         invoices=["I1,C1,2026-03-01,2026-03-31,100.00,USD,", "I2,C2,2026-03-01,2026-04-30,200.00,EUR,",
                   "I3,C3,2026-03-01,2026-03-10,300.00,USD,"])
    total = reports.metrics(ctx, period="2026-03")["rows"]
    assert [(r["key"], r["currency"], r["ar_end"], r["current_end"]) for r in total] == [
        ("total", "EUR", "200.00", "200.00"), ("total", "USD", "400.00", "100.00")]
    by_collector = reports.metrics(ctx, period="2026-03", by="collector")["rows"]
    assert [(r["key"], r["currency"], r["ar_end"]) for r in by_collector] == [
        ("alice", "USD", "100.00"), ("bruno", "EUR", "200.00"), ("bruno", "USD", "300.00")]
    by_customer = reports.metrics(ctx, period="2026-03", by="customer")["rows"]
    assert [(r["key"], r["name"]) for r in by_customer] == [("C1", "Acme"), ("C2", "Beta"), ("C3", "Gamma")]
    by_segment = reports.metrics(ctx, period="2026-03", by="segment")["rows"]
    assert [(r["key"], r["currency"], r["dso"]) for r in by_segment] == [
        ("key", "USD", 31.0), ("small", "EUR", 31.0), ("small", "USD", 31.0)]
    # the trend: six months ending 2026-03, March's row equal to the period's
    trend = reports.metrics(ctx, period="2026-03")["trend"]
    assert [m["period"] for m in trend] == ["2025-10", "2025-11", "2025-12", "2026-01", "2026-02", "2026-03"]
    assert trend[-1]["rows"][1]["ar_end"] == "400.00" and trend[0]["rows"][1]["ar_end"] == "0.00"


def test_promise_kept_rate_and_dispute_rate_and_cycle_time(ctx, tmp_path, clock):
    """November 2026 (the tests' today is 11-23). Promises: A 100 by 11-05 paid 11-04 (kept), B 100 by 11-10 with
    nothing paid (broken, deadline 11-13 after 3 grace days) → kept rate 1 ÷ 2 = 50.0. Disputes: I3 (400 of
    the 1,000.00 invoiced in November) opened 11-23 → dispute rate 400 ÷ 1,000 × 100 = 40.0; resolved the same
    day → cycle 0 days."""
    import datetime as dt

    from arcollect.disputes import service as disputes
    from arcollect.promises import service as promises

    load(ctx, tmp_path, customers=["C1,Acme,USD,alice,key"],
         invoices=["I1,C1,2026-10-01,2026-10-31,100.00,USD,", "I2,C1,2026-10-01,2026-10-31,100.00,USD,",
                   "I3,C1,2026-11-02,2026-12-02,400.00,USD,", "I4,C1,2026-11-02,2026-12-02,600.00,USD,"])
    clock._at = dt.datetime(2026, 11, 1, 9, tzinfo=dt.timezone.utc)
    promises.add_promise(ctx, customer_id="C1", amount="100.00", promised_date=dt.date(2026, 11, 5), invoices=["I1"])
    promises.add_promise(ctx, customer_id="C1", amount="100.00", promised_date=dt.date(2026, 11, 10), invoices=["I2"])
    load(ctx, tmp_path / "..", customers=["C1,Acme,USD,alice,key"], payments=["P1,C1,2026-11-04,100.00,USD,I1"])
    clock._at = dt.datetime(2026, 11, 23, 9, tzinfo=dt.timezone.utc)
    d = disputes.open_dispute(ctx, invoices=[("I3", None)], reason="pricing")
    disputes.update(ctx, dispute_id=d["id"], status="resolved", resolution="credit_note", root_cause="price_master_data")
    row = reports.metrics(ctx, period="2026-11")["rows"][0]
    assert (row["promises_resolved"], row["promises_kept"], row["promise_kept_rate"]) == (2, 1, 50.0)
    assert (row["disputes_opened"], row["disputed_amount"], row["dispute_rate"]) == (1, "400.00", 40.0)
    assert (row["disputes_resolved"], row["dispute_cycle_days"]) == (1, 0.0)


def test_unapplied_cash_at_the_end_is_shown_apart_from_ar(ctx, tmp_path):
    """A 250.00 payment applied to nothing: AR stays 100.00, unapplied cash 250.00."""
    load(ctx, tmp_path, customers=["C1,Acme,USD,alice,key"], invoices=["I1,C1,2026-03-01,2026-03-31,100.00,USD,"],
         payments=["P1,C1,2026-03-05,250.00,USD,"])
    row = reports.metrics(ctx, period="2026-03")["rows"][0]
    assert (row["ar_end"], row["unapplied_cash"]) == ("100.00", "250.00")
