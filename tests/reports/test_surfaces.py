"""The CLI's JSON exactly per CONTRACT §10, its table, its errors; the API's roles and portfolios."""

from __future__ import annotations

import json
from decimal import Decimal

from arcollect.reports import service as reports
from tests.reports.book import quarter_book

CONTRACT_ROW = {"key", "currency", "ar_start", "ar_end", "current_end", "credit_sales", "dso", "countback_dso", "bpdso",
                "add", "cei"}
ROLL_LINES = {"opening", "invoiced", "credited", "collected", "written_off", "adjustments", "closing"}


def test_cli_metrics_json_has_the_contract_shape(cli, ctx, tmp_path):
    """`report metrics --period 2026-Q1 --json`: period, start, end, days and rows with the contract's keys —
    money as strings with the currency's digits, ratios as numbers."""
    quarter_book(ctx, tmp_path)
    result = cli("report", "metrics", "--period", "2026-Q1", "--json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert (doc["period"], doc["start"], doc["end"], doc["days"]) == ("2026-Q1", "2026-01-01", "2026-03-31", 90)
    row = doc["rows"][0]
    assert CONTRACT_ROW <= set(row)
    assert (row["key"], row["currency"], row["ar_start"], row["ar_end"], row["current_end"], row["credit_sales"]) == (
        "total", "USD", "1000.00", "5000.00", "3500.00", "6000.00")
    assert (row["dso"], row["countback_dso"], row["bpdso"], row["add"], row["cei"]) == (75.0, 74.5, 52.5, 22.5, 57.1)
    assert all(isinstance(row[k], float) for k in ("dso", "countback_dso", "bpdso", "add", "cei"))
    by = json.loads(cli("report", "metrics", "--period", "2026-Q1", "--by", "customer", "--json").stdout)
    assert by["rows"][0]["key"] == "C1"


def test_cli_rollforward_json_and_tables(cli, ctx, tmp_path):
    """Roll-forward JSON per currency with the seven money strings; tables print formatted money."""
    quarter_book(ctx, tmp_path)
    doc = json.loads(cli("report", "rollforward", "--period", "2026-Q1", "--json").stdout)
    total = doc["totals"][0]
    assert ROLL_LINES <= set(total) and total["currency"] == "USD"
    assert Decimal(total["opening"]) + Decimal(total["invoiced"]) - Decimal(total["credited"]) \
        - Decimal(total["collected"]) - Decimal(total["written_off"]) + Decimal(total["adjustments"]) \
        == Decimal(total["closing"])
    table = cli("report", "rollforward", "--period", "2026-Q1", "--by", "collector")
    assert table.exit_code == 0 and "$5,000.00" in table.stdout and "alice" in table.stdout
    metrics = cli("report", "metrics", "--period", "2026-Q1")
    assert metrics.exit_code == 0 and "$6,000.00" in metrics.stdout and "75.0" in metrics.stdout
    causes = cli("report", "causes", "--period", "2026-Q1", "--json")
    assert causes.exit_code == 0 and json.loads(causes.stdout)["disputes"] == 0


def test_cli_refuses_a_bad_period_or_grouping_with_status_1(cli):
    """A period that is not one (2026-Q5) or an unknown --by exits 1 with the reason on stderr."""
    bad = cli("report", "metrics", "--period", "2026-Q5", "--json")
    assert bad.exit_code == 1 and "not a period" in bad.stderr
    worse = cli("report", "rollforward", "--period", "2026-Q1", "--by", "planet")
    assert worse.exit_code == 1 and "--by" in worse.stderr


def test_api_reports_scope_by_role(served):
    """Admins, managers and viewers read the book; a collector only their portfolio; a stakeholder is refused;
    anonymous is 401; a bad period is a 422 problem."""
    c = served.client
    whole = c.get("/api/v1/reports/metrics?period=2026", headers=served.h("vera")).json()
    assert whole == c.get("/api/v1/reports/metrics?period=2026", headers=served.h("admin")).json()
    assert whole == reports.metrics(served.ctx, period="2026")
    mine = c.get("/api/v1/reports/metrics?period=2026&by=customer", headers=served.h(served.collector)).json()
    assert {r["key"] for r in mine["rows"]} <= served.customers_of(served.collector)
    assert mine["rows"]
    roll = c.get("/api/v1/reports/rollforward?period=2026&by=collector", headers=served.h(served.collector)).json()
    assert {r["key"] for r in roll["rows"]} == {served.collector}
    assert c.get("/api/v1/reports/causes?period=2026", headers=served.h("mona")).status_code == 200
    assert c.get("/api/v1/reports/metrics?period=2026", headers=served.h("stan")).status_code == 403
    assert c.get("/api/v1/reports/metrics?period=2026").status_code == 401
    bad = c.get("/api/v1/reports/metrics?period=2026-13", headers=served.h("admin"))
    assert bad.status_code == 422 and bad.headers["content-type"].startswith("application/problem+json")
