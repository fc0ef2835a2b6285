"""The optional reporting-currency figure: only with an FX rates file, at the latest rate on or before the
report's date (direct pair, else the inverse of the reverse pair), saying which rate and date it used;
missing rates name the currency and give no total; bad files name the file, line and field."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest

from arcollect import fx
from arcollect.errors import InvalidInput
from arcollect.money import money_str
from arcollect.reports import service as reports
from arcollect.risk import service as risk
from tests.reports.book import load


def _rates(ctx, tmp_path: Path, *rows: str) -> Path:  # noqa: ANN001
    path = tmp_path / "rates.csv"
    path.write_text("date,from,to,rate\n" + "\n".join(rows) + "\n", encoding="utf-8")
    ctx.settings.fx_rates_file = path
    ctx.settings.reporting_currency = "EUR"
    return path


def _two_currency_book(ctx, tmp_path: Path) -> None:  # noqa: ANN001
    load(ctx, tmp_path, customers=["C1,Acme,USD,alice,key", "C2,Beta,EUR,bruno,small"],
         invoices=["I1,C1,2026-01-10,2026-02-09,1000.00,USD,", "I2,C2,2026-02-01,2026-03-03,500.00,EUR,",
                   "I3,C1,2026-03-15,2026-04-14,200.01,USD,"],
         payments=["P1,C1,2026-03-01,400.00,USD,I1"])


def test_without_a_rates_file_there_is_no_reporting_figure(ctx, tmp_path):
    _two_currency_book(ctx, tmp_path)
    assert "reporting" not in reports.metrics(ctx, period="2026-Q1")
    assert "reporting" not in reports.rollforward(ctx, period="2026-Q1")


def test_metrics_and_rollforward_in_eur_at_the_latest_rate_by_the_period_end(ctx, tmp_path):
    """USD→EUR 0.90 on 2026-03-31 (the 0.80 of 2026-04-01 comes after the period's end and is not used).
    AR end: USD 600.00 + 200.01 = 800.01 × 0.90 = 720.009 → 720.01; + EUR 500.00 = 1,220.01 EUR.
    Credit sales: USD 1,200.01 × 0.90 = 1,080.009 + 500.00 = 1,580.009 → 1,580.01; DSO = 1,220.009 ÷ 1,580.009 × 90
    = 69.5 days (ratios from the exact converted sums)."""
    _two_currency_book(ctx, tmp_path)
    _rates(ctx, tmp_path, "2026-03-02,USD,EUR,0.95", "2026-03-31,USD,EUR,0.90", "2026-04-01,USD,EUR,0.80")
    doc = reports.metrics(ctx, period="2026-Q1")
    assert [r["currency"] for r in doc["rows"]] == ["EUR", "USD"]  # the per-currency rows are unchanged
    rep = doc["reporting"]
    assert rep["currency"] == "EUR" and rep["as_of"] == "2026-03-31"
    assert rep["rates"] == {"USD": {"rate": "0.90", "date": "2026-03-31", "pair": "USD/EUR"}}
    (row,) = rep["rows"]
    assert (row["key"], row["currency"], row["ar_end"], row["credit_sales"], row["dso"]) == (
        "total", "EUR", "1220.01", "1580.01", 69.5)
    roll = reports.rollforward(ctx, period="2026-Q1")["reporting"]["total"]
    # opening 0; invoiced 1,580.009 → 1,580.01; collected 400 × 0.9 = 360.00; closing 1,220.009 → 1,220.01
    assert (roll["opening"], roll["invoiced"], roll["collected"], roll["closing"], roll["rounding"], roll["ties"]) == (
        "0.00", "1580.01", "360.00", "1220.01", "0.00", True)


def test_an_inverse_pair_is_used_and_said_and_a_missing_rate_gives_no_total(ctx, tmp_path):
    """Only EUR→USD 1.25 is given: USD→EUR = 1 ÷ 1.25 = 0.8 (inverted, said so). Without any GBP rate the
    report names GBP as missing and gives no reporting rows."""
    _two_currency_book(ctx, tmp_path)
    _rates(ctx, tmp_path, "2026-03-30,EUR,USD,1.25")
    rep = reports.metrics(ctx, period="2026-Q1")["reporting"]
    assert rep["rates"]["USD"] == {"rate": "0.8", "date": "2026-03-30", "pair": "USD/EUR", "inverted_from": "EUR/USD"}
    assert rep["rows"][0]["ar_end"] == "1140.01"  # 800.01 × 0.8 = 640.008 + 500.00
    load(ctx, tmp_path, customers=["C3,Brit,GBP,bruno,small"], invoices=["I9,C3,2026-03-01,2026-03-31,10.00,GBP,"])
    rep = reports.metrics(ctx, period="2026-Q1")["reporting"]
    assert rep["missing"] == ["GBP"] and rep["rows"] == []


def test_forecast_adds_up_its_currencies_in_the_reporting_currency(ctx, tmp_path):
    from tests.risk.book import TODAY, load_habits

    load_habits(ctx, tmp_path)
    _rates(ctx, tmp_path, "2026-11-20,USD,EUR,0.5")
    doc = risk.forecast(ctx, as_of=TODAY, weeks=4)
    rep = doc["reporting"]
    assert rep["currency"] == "EUR" and rep["rates"]["USD"]["date"] == "2026-11-20"
    for usd, eur in zip(doc["weeks"], rep["weeks"]):
        assert eur["start"] == usd["start"] and eur["currency"] == "EUR"
        assert eur["expected"] == money_str(Decimal(usd["expected"]) * Decimal("0.5"), "EUR")
    assert rep["summary"]["open"] == money_str(Decimal(doc["currencies"][0]["open"]) / 2, "EUR")


@pytest.mark.parametrize("body, message", [
    ("day,from,to,rate\n", "line 1: the header must be date,from,to,rate"),
    ("date,from,to,rate\n2026-13-01,USD,EUR,0.9\n", "line 2: date '2026-13-01' is not YYYY-MM-DD"),
    ("date,from,to,rate\n2026-03-01,USD,EUR,0.9\n2026-03-02,usd,EUR,0.9\n", "line 3: from 'usd' is not a currency code"),
    ("date,from,to,rate\n2026-03-01,USD,EUR,-1\n", "line 2: rate '-1' must be a positive number"),
    ("date,from,to,rate\n2026-03-01,USD,EUR,abc\n", "line 2: rate 'abc' is not a decimal number"),
    ("date,from,to,rate\n2026-03-01,USD,EUR\n", "line 2: 3 fields, expected 4"),
])
def test_a_bad_rates_file_names_the_file_line_and_field(tmp_path, body, message):
    path = tmp_path / "rates.csv"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(InvalidInput) as err:
        fx.load_rates(path)
    assert str(path) in str(err.value) and message in str(err.value)


def test_the_cli_says_which_rates_it_used(cli, tmp_path, monkeypatch):
    """`report metrics` prints the reporting figure and its rates; --json carries them."""
    path = tmp_path / "rates.csv"
    path.write_text("date,from,to,rate\n2026-03-31,USD,EUR,0.90\n", encoding="utf-8")
    monkeypatch.setenv("ARCOLLECT_FX_RATES_FILE", str(path))
    monkeypatch.setenv("ARCOLLECT_REPORTING_CURRENCY", "EUR")
    for name, header, rows in (("c", "customer_id,name,currency", ["C1,Acme,USD", "C2,Beta,EUR"]),
                               ("i", "invoice_id,customer_id,issue_date,due_date,amount,currency",
                                ["I1,C1,2026-01-10,2026-02-09,1000.00,USD", "I2,C2,2026-02-01,2026-03-03,500.00,EUR"])):
        (tmp_path / f"{name}.csv").write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    assert cli("import", "customers", str(tmp_path / "c.csv")).exit_code == 0
    assert cli("import", "invoices", str(tmp_path / "i.csv")).exit_code == 0
    shown = cli("report", "metrics", "--period", "2026-Q1")
    assert shown.exit_code == 0, shown.output
    assert "In EUR" in shown.output and "USD→EUR 0.90 of 2026-03-31" in shown.output
    doc = json.loads(cli("report", "metrics", "--period", "2026-Q1", "--json").output)
    assert doc["reporting"]["rows"][0]["ar_end"] == "1400.00"
    assert dt.date.fromisoformat(doc["reporting"]["as_of"]) == dt.date(2026, 3, 31)
