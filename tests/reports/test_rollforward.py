"""The roll-forward: opening + invoiced − credited − collected − written off ± adjustments = closing, and it
ties to the aging on both dates to the cent — with payments, credit notes, write-offs, reversals, currencies."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

from sqlalchemy import select

from arcollect.ledger import service as ledger
from arcollect.ledger.models import Application, Payment
from arcollect.money import money_str
from arcollect.reports import service as reports
from tests.reports.book import load, quarter_book


def _aging_total(ctx, day: dt.date) -> dict[str, str]:  # noqa: ANN001
    return {t.currency: money_str(t.total, t.currency) for t in ledger.aging(ctx, as_of=day).totals}


def test_quarter_rolls_forward_by_hand(ctx, tmp_path):
    """1,000 + 6,500 invoiced − 500 credited (N1) − 2,000 collected (P1, P2) − 0 written off = 5,000 closing."""
    quarter_book(ctx, tmp_path)
    row = reports.rollforward(ctx, period="2026-Q1")["rows"][0]
    assert {k: row[k] for k in ("opening", "invoiced", "credited", "collected", "written_off", "adjustments",
                                "closing")} == {"opening": "1000.00", "invoiced": "6500.00", "credited": "500.00",
                                                "collected": "2000.00", "written_off": "0.00",
                                                "adjustments": "0.00", "closing": "5000.00"}
    assert row["ties"] is True


def test_roll_forward_ties_to_the_aging_with_write_offs_reversals_and_currencies(ctx, tmp_path):
    """USD and EUR (and JPY, no minor units); a write-off, a reversed payment, a partial credit note, a payment
    before the period: opening = aging total on 2026-03-31, closing = aging total on 2026-06-30, per currency and
    per collector, every line adding up."""
    load(ctx, tmp_path, customers=["C1,Acme,USD,alice,key", "C2,Beta,EUR,bruno,small", "C3,Kabu,JPY,bruno,small"],
         invoices=["I1,C1,2026-02-01,2026-03-03,1000.10,USD,", "I2,C1,2026-04-05,2026-05-05,2500.55,USD,",
                   "I3,C2,2026-03-10,2026-04-09,800.00,EUR,", "I4,C2,2026-05-01,2026-05-31,99.99,EUR,",
                   "I5,C3,2026-03-01,2026-03-31,120000,JPY,", "I6,C1,2026-07-02,2026-08-01,50.00,USD,"],
         credit_notes=["N1,C2,2026-04-20,300.00,EUR,I3", "N2,C1,2026-05-01,10.00,USD,"],
         payments=["P0,C1,2026-03-15,400.00,USD,I1", "P1,C1,2026-04-10,600.10,USD,I1",
                   "P2,C1,2026-05-20,1000.00,USD,I2", "P3,C3,2026-06-01,20000,JPY,I5",
                   "P4,C2,2026-06-15,50.00,EUR,"])
    ledger.write_off(ctx, invoice_id="I4", amount="99.99", written_off_on=dt.date(2026, 6, 20), reason="small balance")
    with ctx.sessions() as s:
        app = s.scalar(select(Application.id).join(Payment, Payment.id == Application.payment_pk)
                       .where(Payment.payment_id == "P2"))
    ledger.reverse_application(ctx, application_id=app, reversed_on=dt.date(2026, 6, 25), reason="bounced")
    doc = reports.rollforward(ctx, period="2026-Q2")
    opening, closing = _aging_total(ctx, dt.date(2026, 3, 31)), _aging_total(ctx, dt.date(2026, 6, 30))
    totals = {t["currency"]: t for t in doc["totals"]}
    assert {c: t["opening"] for c, t in totals.items()} == opening
    assert {c: t["closing"] for c, t in totals.items()} == closing
    usd, eur, jpy = totals["USD"], totals["EUR"], totals["JPY"]
    # USD: 600.10 open on 03-31 + 2,500.55 − P1 600.10 − (P2 1,000 − its reversal 1,000) = 2,500.55
    assert (usd["opening"], usd["invoiced"], usd["collected"], usd["closing"]) == ("600.10", "2500.55", "600.10",
                                                                                   "2500.55")
    # EUR: 800 + 99.99 − N1 300 − write-off 99.99 = 500.00 (P4 stays unapplied cash, out of AR)
    assert (eur["credited"], eur["written_off"], eur["closing"]) == ("300.00", "99.99", "500.00")
    assert (jpy["opening"], jpy["collected"], jpy["closing"]) == ("120000", "20000", "100000")
    for t in doc["totals"]:
        parts = {k: Decimal(t[k]) for k in ("opening", "invoiced", "credited", "collected", "written_off",
                                            "adjustments", "closing")}
        assert parts["opening"] + parts["invoiced"] - parts["credited"] - parts["collected"] - parts["written_off"] \
            + parts["adjustments"] == parts["closing"]
        assert t["ties"] is True
    by_collector = reports.rollforward(ctx, period="2026-Q2", by="collector")
    assert sorted((r["key"], r["currency"]) for r in by_collector["rows"]) == [
        ("alice", "USD"), ("bruno", "EUR"), ("bruno", "JPY")]
    assert all(r["ties"] for r in by_collector["rows"])
    assert json.loads(json.dumps(by_collector))["totals"] == doc["totals"]


def test_roll_forward_of_a_collector_ties_to_the_aging_of_their_portfolio(ctx, tmp_path):
    """The opening and closing of alice's row are her portfolio's aging totals on both dates."""
    quarter_book(ctx, tmp_path)
    row = reports.rollforward(ctx, period="2026-Q1", by="collector")["rows"][0]
    aged = {d: ledger.aging(ctx, as_of=d, collector="alice").totals[0].total
            for d in (dt.date(2025, 12, 31), dt.date(2026, 3, 31))}
    assert (Decimal(row["opening"]), Decimal(row["closing"])) == (aged[dt.date(2025, 12, 31)],
                                                                  aged[dt.date(2026, 3, 31)])
