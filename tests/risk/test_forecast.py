"""Cash forecast: where the money of open invoices, promises and plans lands, and that it ties out."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from arcollect.ledger import service as ledger
from arcollect.ledger.scope import CustomerScope
from arcollect.promises import service as promises
from arcollect.risk import forecast as FC
from arcollect.risk import service as risk
from tests.risk.book import TODAY, load_habits

D = dt.date


def test_worked_example_of_weeks_promises_disputes_unapplied_and_band():
    """As of Mon 2026-11-23 (weeks from Mondays):
    I1 (A) 100.00 expected 11-25 (all three dates); I2 (A) 300.00 of which 100.00 disputed, early 11-30,
    expected 12-01, late 12-08; I3 (B) 200.00 expected 12-10; A has 40.00 unapplied cash; B promised 80.00
    on 12-02 with a kept rate of 0.75.
    Unapplied cash pays A's earliest expected first: I1 60.00 left. Disputed 100.00 apart: I2 200.00 spread
    50 / 100 / 50. The promise: 0.75 × 80.00 = 60.00 in week 2, taken off I3 (140.00 left in week 3).
    Week 1 = 60.00 (certain: band 0); week 2 = 50 + 100 + 60 = 210.00, promised 60.00; week 3 = 50 + 140 =
    190.00. Band week 2: σ² = 200² · .75 · .25 + 80² · .75 · .25 = 8700, 1.2816 σ = 119.54 → 90.46 … 329.54;
    week 3: σ² = 200² · .25 · .75 = 7500 → 110.99 → 79.01 … 300.99. Σ weeks = 600 − 100 − 40 = 460.00.
    By month (the horizon cut at 12-13): November 60 + 50 (I2 early, 11-30) = 110.00; December 100 + 50 + 60
    + 140 = 350.00."""
    items = [FC.OpenItem("I1", "A", "USD", Decimal("100.00"), Decimal(0), D(2026, 10, 26), D(2026, 11, 25),
                         D(2026, 11, 25), D(2026, 11, 25)),
             FC.OpenItem("I2", "A", "USD", Decimal("300.00"), Decimal("100.00"), D(2026, 11, 1), D(2026, 12, 1),
                         D(2026, 11, 30), D(2026, 12, 8)),
             FC.OpenItem("I3", "B", "USD", Decimal("200.00"), Decimal(0), D(2026, 12, 1), D(2026, 12, 10),
                         D(2026, 12, 10), D(2026, 12, 10))]
    promised = [FC.Promised("B", "USD", Decimal("80.00"), D(2026, 12, 2), frozenset(), Decimal("0.75"))]
    out = FC.forecast(items, promised, {("A", "USD"): Decimal("40.00")}, as_of=TODAY, weeks=3)
    weeks = [(w["start"], w["expected"], w["low"], w["high"], w["promised"]) for w in out["weeks"]]
    assert weeks == [("2026-11-23", "60.00", "60.00", "60.00", "0.00"),
                     ("2026-11-30", "210.00", "90.46", "329.54", "60.00"),
                     ("2026-12-07", "190.00", "79.01", "300.99", "0.00")]
    (usd,) = out["currencies"]
    assert usd == {"currency": "USD", "open": "600.00", "disputed": "100.00", "unapplied": "40.00",
                   "expected": "460.00", "beyond": "0.00", "doubtful": "0.00", "promised": "60.00"}
    assert [(m["start"], m["end"], m["expected"]) for m in out["months"]] == [
        ("2026-11-23", "2026-11-30", "110.00"), ("2026-12-01", "2026-12-13", "350.00")]


def test_money_past_the_horizon_is_beyond_and_currencies_stay_apart():
    """An invoice expected after the last week is 'beyond'; each currency has its own weeks."""
    items = [FC.OpenItem("E", "A", "EUR", Decimal("10.00"), Decimal(0), TODAY, TODAY, TODAY, TODAY),
             FC.OpenItem("U", "A", "USD", Decimal("5.00"), Decimal(0), TODAY, D(2027, 6, 1), D(2027, 6, 1),
                         D(2027, 6, 1))]
    out = FC.forecast(items, [], {}, as_of=TODAY, weeks=2)
    assert [(w["currency"], w["expected"]) for w in out["weeks"]] == [("EUR", "10.00"), ("EUR", "0.00"),
                                                                      ("USD", "0.00"), ("USD", "0.00")]
    assert [(c["currency"], c["beyond"]) for c in out["currencies"]] == [("EUR", "0.00"), ("USD", "5.00")]


def test_an_invoice_past_its_predicted_date_lands_where_its_remaining_delay_says_and_an_old_one_is_doubtful():
    """As of Mon 2026-11-23: O (A) 400.00 due 10-24, 30 days late, the model's date long past. A paid
    [-2, 0, 3, 5, 31, 40, 44, 60, 95] days late; the five paid ≥ 30 days late had 1, 10, 14, 30, 65 days
    left: early +10 = 12-03 (week 2), expected +14 = 12-07 (week 3), late +30 = 12-23 (week 5) — see
    ``overdue_dates``. So 100.00 in week 2, 200.00 in week 3, 100.00 in week 5, nothing in week 1.
    OLD (A) 250.00 due 2026-05-01 is 206 days past due: doubtful, in no week, in ``beyond``. A promised
    90.00 on OLD for 11-25 with a kept rate of 0.5: 45.00 in week 1 (promised), the other 205.00 doubtful.
    Σ weeks + beyond = 650.00 = open; doubtful 205.00 ⊂ beyond."""
    history = [[-2, 0, 3, 5, 31, 40, 44, 60, 95]]
    early, expected, late = FC.overdue_dates(TODAY, D(2026, 10, 24), history)
    assert FC.overdue_dates(TODAY, D(2026, 5, 1), history) is None
    items = [FC.OpenItem("O", "A", "EUR", Decimal("400.00"), Decimal(0), D(2026, 10, 24), expected, early, late),
             FC.OpenItem("OLD", "A", "EUR", Decimal("250.00"), Decimal(0), D(2026, 5, 1), TODAY, TODAY, TODAY,
                         doubtful=True)]
    promised = [FC.Promised("A", "EUR", Decimal("90.00"), D(2026, 11, 25), frozenset({"OLD"}), Decimal("0.5"))]
    out = FC.forecast(items, promised, {}, as_of=TODAY, weeks=5)
    assert [(w["start"], w["expected"], w["promised"]) for w in out["weeks"]] == [
        ("2026-11-23", "45.00", "45.00"), ("2026-11-30", "100.00", "0.00"), ("2026-12-07", "200.00", "0.00"),
        ("2026-12-14", "0.00", "0.00"), ("2026-12-21", "100.00", "0.00")]
    (eur,) = out["currencies"]
    assert (eur["open"], eur["expected"], eur["beyond"], eur["doubtful"]) == ("650.00", "445.00", "205.00", "205.00")
    # the customer's own history too thin at this lateness: the next level (segment, book) answers
    assert FC.overdue_dates(TODAY, D(2026, 10, 24), [[31, 40], [29, 30, 33, 36, 37, 50]]) == (
        D(2026, 11, 26), D(2026, 11, 29), D(2026, 11, 30))
    assert FC.overdue_dates(TODAY, D(2026, 10, 24), [[31, 40], [50]]) is None  # no history pays this late


def test_a_demo_collectors_first_week_is_not_every_overdue_invoice_and_the_forecast_ties_out(ctx, clock):
    """On the demo book, a collector's invoices whose predicted date has passed (``predict`` showed them as
    expected today; now it, the API and the account page show the forecast's re-estimate) no longer all land in this week: the week holds less than half of their money (before,
    at least three quarters of it landed there); the book's forecast still ties out per currency, to the
    cent: weeks + beyond (which holds doubtful) = open − disputed − unapplied."""
    today = clock.today()
    ledger.load_demo(ctx, customers=30, seed=11, as_of=today)
    risk.train(ctx, as_of=today)
    overdue: dict[tuple[str, str], Decimal] = {}
    passed: list[dict] = []
    for collector in sorted(ledger.customer_facets(ctx, scope=ledger.EVERYTHING)["collectors"]):
        mine = CustomerScope(collectors=(collector,))
        for p in risk.predict(ctx, as_of=today, scope=mine, explain=0):
            assert p["expected_date"] >= today.isoformat()  # CONTRACT §10: never before the date
            model_date = dt.date.fromisoformat(p["due_date"]) + dt.timedelta(days=int(round(p["days_late"])))
            if model_date < today and p["due_date"] < today.isoformat():
                passed.append(p)
                key = (collector, p["currency"])
                overdue[key] = overdue.get(key, Decimal(0)) + Decimal(p["open_amount"])
    # predict re-estimates them as the forecast does (the same function): not all "today" any more
    # (the doubtful ones, too old or later than any history pays, stay on the date, marked doubtful)
    estimated = [p for p in passed if not p["doubtful"]]
    assert estimated and sum(p["expected_date"] == today.isoformat() for p in estimated) < len(estimated) / 2
    sample = max(estimated, key=lambda p: p["expected_date"])
    outlook = risk.account_outlook(ctx, customer_id=sample["customer_id"], as_of=today)
    assert outlook["invoices"][sample["invoice_id"]]["expected_date"] == sample["expected_date"]
    (collector, currency), amount = max(overdue.items(), key=lambda kv: kv[1])
    week = risk.forecast(ctx, as_of=today, weeks=1, scope=CustomerScope(collectors=(collector,)))["weeks"]
    this_week = next(Decimal(w["expected"]) for w in week if w["currency"] == currency)
    assert this_week < amount / 2, (collector, currency, this_week, amount)
    out = risk.forecast(ctx, as_of=today, weeks=13)
    for c in out["currencies"]:
        weeks = sum(Decimal(w["expected"]) for w in out["weeks"] if w["currency"] == c["currency"])
        assert weeks + Decimal(c["beyond"]) == Decimal(c["open"]) - Decimal(c["disputed"]) - Decimal(c["unapplied"])
        assert Decimal(c["expected"]) == weeks and Decimal(0) <= Decimal(c["doubtful"]) <= Decimal(c["beyond"])


def test_backtest_reports_the_error_of_each_week():
    """Actual − expected per week; MAE and WAPE over the weeks; whether each week fell in its band."""
    weeks = [{"start": "2026-11-23", "end": "2026-11-29", "currency": "USD", "expected": "100.00", "low": "80.00",
              "high": "120.00", "promised": "0.00"},
             {"start": "2026-11-30", "end": "2026-12-06", "currency": "USD", "expected": "50.00", "low": "40.00",
              "high": "60.00", "promised": "0.00"}]
    got = FC.backtest(weeks, [(D(2026, 11, 24), "USD", Decimal("90.00")), (D(2026, 12, 1), "USD", Decimal("80.00")),
                              (D(2026, 12, 1), "EUR", Decimal("999.00"))])
    assert [(w["actual"], w["error"], w["in_band"]) for w in got["weeks"]] == [("90.00", "-10.00", True),
                                                                             ("80.00", "30.00", False)]
    assert got["mae"] == "20.00" and got["wape"] == "23.5" and got["in_band"] == 1
    assert got["currencies"] == [{"currency": "USD", "actual": "170.00", "mae": "20.00", "wape": "23.5", "in_band": 1}]


def test_backtest_keeps_currencies_apart():
    """Two currencies: each has its own MAE and WAPE (EUR week: 100 expected, 150 came → 50 ÷ 150 = 33.3 %;
    USD: 100 expected, 90 came → 10 ÷ 90 = 11.1 %); no figure adds euros to dollars."""
    weeks = [{"start": "2026-11-23", "end": "2026-11-29", "currency": c, "expected": "100.00", "low": "80.00",
              "high": "120.00", "promised": "0.00"} for c in ("EUR", "USD")]
    got = FC.backtest(weeks, [(D(2026, 11, 24), "EUR", Decimal("150.00")), (D(2026, 11, 25), "USD", Decimal("90.00"))])
    assert [(c["currency"], c["mae"], c["wape"], c["in_band"]) for c in got["currencies"]] == [
        ("EUR", "50.00", "33.3", 0), ("USD", "10.00", "11.1", 1)]
    assert got["mae"] is None and got["wape"] is None


def test_forecast_of_the_book_ties_out_to_open_receivables_and_puts_a_promise_in_its_week(ctx, tmp_path):
    """Σ weeks + beyond = open − disputed − unapplied ≤ open AR; PROMPT's promise of 200.00 on 12-09 (no kept
    record: rate 0.5) puts 100.00 'promised' in the week of 12-07."""
    load_habits(ctx, tmp_path)
    promises.add_promise(ctx, customer_id="PROMPT", amount="200.00", promised_date=D(2026, 12, 9),
                         invoices=["PROMPT-NEW"])
    out = risk.forecast(ctx, as_of=TODAY, weeks=13)
    assert len(out["weeks"]) == 13 and out["weeks"][0]["start"] == TODAY.isoformat()
    assert all(Decimal(w["low"]) <= Decimal(w["expected"]) <= Decimal(w["high"]) for w in out["weeks"])
    (usd,) = out["currencies"]
    total = sum(Decimal(w["expected"]) for w in out["weeks"]) + Decimal(usd["beyond"])
    assert total == Decimal(usd["open"]) - Decimal(usd["disputed"]) - Decimal(usd["unapplied"])
    assert total <= Decimal(usd["open"])
    week = next(w for w in out["weeks"] if w["start"] <= "2026-12-09" <= w["end"])
    assert week["promised"] == "100.00" and Decimal(week["expected"]) >= Decimal("100.00")
    assert sum(Decimal(w["promised"]) for w in out["weeks"]) == Decimal("100.00")


def test_cli_report_forecast_prints_the_contract_json(cli, ctx, tmp_path):
    """`report forecast --json` prints as_of and weeks with start/end/expected/low/high/promised."""
    import json

    load_habits(ctx, tmp_path)
    r = cli("report", "forecast", "--as-of", TODAY.isoformat(), "--weeks", "4", "--json")
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert data["as_of"] == TODAY.isoformat() and len(data["weeks"]) == 4
    assert all({"start", "end", "expected", "low", "high", "promised"} <= set(w) for w in data["weeks"])
    r = cli("report", "forecast", "--as-of", TODAY.isoformat(), "--weeks", "0")
    assert r.exit_code == 2
