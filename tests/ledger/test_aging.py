"""CONTRACT §3 aging: buckets and their boundaries, bases, custom bounds, as-of history, currencies, formats."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest

from arcollect.errors import InvalidInput
from arcollect.ledger import service
from arcollect.ledger.aging import bucket_index, bucket_names, parse_bounds
from tests.conftest import write_csv

AS_OF = dt.date(2026, 11, 23)


def _book(ctx, tmp_path, invoices: list[str], payments: list[str] = (), customers: list[str] | None = None):  # noqa: ANN001, ANN202
    write_csv(tmp_path / "c.csv", "customer_id,name,currency,collector",
              *(customers or ["C1,Acme,USD,alice", "C2,Beta,EUR,bruno", "C3,Gamma,USD,"]))
    assert not service.import_file(ctx, kind="customers", path=tmp_path / "c.csv").errors
    write_csv(tmp_path / "i.csv", "invoice_id,customer_id,issue_date,due_date,amount,currency", *invoices)
    assert not service.import_file(ctx, kind="invoices", path=tmp_path / "i.csv").errors
    if payments:
        write_csv(tmp_path / "p.csv", "payment_id,customer_id,received_date,amount,applies_to,currency", *payments)
        assert not service.import_file(ctx, kind="payments", path=tmp_path / "p.csv").errors


def _due(days_past_due: int) -> str:
    return (AS_OF - dt.timedelta(days=days_past_due)).isoformat()


def test_bucket_boundaries_0_30_31_60_61_90_91(ctx, tmp_path):
    days = [-5, 0, 1, 30, 31, 60, 61, 90, 91]
    _book(ctx, tmp_path, [f"I{d},C1,2026-01-01,{_due(d)},{100 + i}.00," for i, d in enumerate(days)])
    report = service.aging(ctx, as_of=AS_OF)
    assert report.bucket_names == ["current", "1-30", "31-60", "61-90", "90+"]
    row = report.rows[0]
    assert row.buckets == [Decimal("201.00"), Decimal("205.00"), Decimal("209.00"),
                           Decimal("213.00"), Decimal("108.00")]


def test_basis_issue_ages_from_the_issue_date(ctx, tmp_path):
    _book(ctx, tmp_path, ["I1,C1,2026-10-24,2026-12-23,50.00,"])  # 30 days since issue, not yet due
    due = service.aging(ctx, as_of=AS_OF, basis="due").rows[0].buckets
    issue = service.aging(ctx, as_of=AS_OF, basis="issue").rows[0].buckets
    assert due[0] == Decimal("50.00")
    assert issue[1] == Decimal("50.00")


def test_custom_buckets_are_named_like_the_defaults(ctx, tmp_path):
    _book(ctx, tmp_path, [f"I1,C1,2026-01-01,{_due(15)},1.00,", f"I2,C1,2026-01-01,{_due(16)},2.00,",
                          f"I3,C1,2026-01-01,{_due(46)},4.00,"])
    report = service.aging(ctx, as_of=AS_OF, buckets="0,15,45")
    assert report.bucket_names == ["current", "1-15", "16-45", "45+"]
    assert report.rows[0].buckets == [Decimal("0.00"), Decimal("1.00"), Decimal("2.00"), Decimal("4.00")]


def test_documents_dated_after_the_as_of_date_are_ignored(ctx, tmp_path):
    _book(ctx, tmp_path, ["I1,C1,2026-09-01,2026-10-01,100.00,", "I2,C1,2026-11-24,2026-12-24,40.00,"],
          ["P1,C1,2026-11-24,60.00,I1,"])
    report = service.aging(ctx, as_of=AS_OF)
    assert report.rows[0].total == Decimal("100.00")  # the payment of the 24th is not yet there
    assert service.aging(ctx, as_of=AS_OF + dt.timedelta(days=1)).rows[0].total == Decimal("80.00")
    assert service.aging(ctx, as_of=dt.date(2026, 8, 31)).rows == []


def test_rows_never_mix_currencies_and_totals_are_per_currency(ctx, tmp_path):
    _book(ctx, tmp_path, ["I1,C1,2026-10-01,2026-10-31,100.00,", "I2,C1,2026-10-01,2026-10-31,70.00,EUR",
                          "I3,C2,2026-10-01,2026-12-31,30.00,", "I4,C3,2026-10-01,2026-10-31,5.00,"])
    by_customer = service.aging(ctx, as_of=AS_OF)
    assert [(r.key, r.currency, r.total) for r in by_customer.rows] == [
        ("C1", "EUR", Decimal("70.00")), ("C1", "USD", Decimal("100.00")),
        ("C2", "EUR", Decimal("30.00")), ("C3", "USD", Decimal("5.00"))]
    assert [(t.currency, t.total) for t in by_customer.totals] == [("EUR", Decimal("100.00")), ("USD", Decimal("105.00"))]
    by_collector = service.aging(ctx, as_of=AS_OF, by="collector")
    assert [(r.key, r.currency, r.total) for r in by_collector.rows] == [
        ("(unassigned)", "USD", Decimal("5.00")), ("alice", "EUR", Decimal("70.00")),
        ("alice", "USD", Decimal("100.00")), ("bruno", "EUR", Decimal("30.00"))]
    by_total = service.aging(ctx, as_of=AS_OF, by="total")
    assert [(r.key, r.currency, r.total) for r in by_total.rows] == [("total", "EUR", Decimal("100.00")),
                                                                      ("total", "USD", Decimal("105.00"))]


def test_unapplied_cash_is_reported_apart_and_nets_the_balance(ctx, tmp_path):
    _book(ctx, tmp_path, ["I1,C1,2026-10-01,2026-10-31,100.00,"],
          ["P1,C1,2026-11-01,130.00,I1:40.00,", "P2,C3,2026-11-02,25.00,,"])
    rows = {r.key: r for r in service.aging(ctx, as_of=AS_OF).rows}
    assert (rows["C1"].total, rows["C1"].unapplied_cash, rows["C1"].net_balance) == (
        Decimal("60.00"), Decimal("90.00"), Decimal("-30.00"))
    # a customer with only unapplied cash still has a row
    assert (rows["C3"].total, rows["C3"].unapplied_cash, rows["C3"].net_balance) == (
        Decimal("0.00"), Decimal("25.00"), Decimal("-25.00"))


def test_json_output_is_the_contract_shape(cli, tmp_path, ctx):
    _book(ctx, tmp_path, ["I1,C1,2026-10-01,2026-10-31,100.00,", "I2,C2,2026-10-01,2026-10-31,1.50,"],
          ["P1,C1,2026-11-01,10.00,,"])
    result = cli("aging", "--as-of", "2026-11-23", "--format", "json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["as_of"] == "2026-11-23" and data["basis"] == "due"
    assert data["buckets"] == ["current", "1-30", "31-60", "61-90", "90+"]
    assert data["rows"][0] == {"key": "C1", "name": "Acme", "currency": "USD", "current": "0.00",
                               "1-30": "100.00", "31-60": "0.00", "61-90": "0.00", "90+": "0.00",
                               "total": "100.00", "unapplied_cash": "10.00", "unapplied_credits": "0.00",
                               "net_balance": "90.00", "disputed": "0.00"}
    assert [t["currency"] for t in data["totals"]] == ["EUR", "USD"]
    assert data["totals"][0]["total"] == "1.50"


def test_csv_and_xlsx_outputs_carry_the_same_figures(cli, tmp_path, ctx):
    from openpyxl import load_workbook

    _book(ctx, tmp_path, ["I1,C1,2026-10-01,2026-10-31,100.10,", "I2,C3,2026-10-01,2026-12-31,0.20,"])
    csv_out = cli("aging", "--as-of", "2026-11-23", "--format", "csv")
    lines = csv_out.stdout.strip().splitlines()
    assert lines[0].startswith("key,name,currency,current,1-30")
    assert lines[0].endswith(",net_balance,disputed,collector")
    assert lines[-1] == "TOTAL,Total,USD,0.20,100.10,0.00,0.00,0.00,100.30,0.00,0.00,100.30,0.00,"
    path = tmp_path / "aging.xlsx"
    assert cli("aging", "--as-of", "2026-11-23", "--format", "xlsx", "--output", str(path)).exit_code == 0
    ws = load_workbook(path).active
    assert ws.freeze_panes == "A2"
    header = [c.value for c in ws[1]]
    last = [c.value for c in ws[ws.max_row]]
    assert header[:4] == ["Customer", "Name", "Currency", "Current"] and header[-2:] == ["Disputed", "Collector"]
    assert last[0] == "TOTAL" and isinstance(last[header.index("Total")], (int, float))
    assert round(last[header.index("Total")], 2) == 100.30
    assert "USD" in ws.cell(ws.max_row, header.index("Total") + 1).number_format


def test_bad_options_are_refused_with_the_reason(ctx, cli):
    with pytest.raises(InvalidInput, match="strictly increasing"):
        service.aging(ctx, as_of=AS_OF, buckets="0,60,30")
    with pytest.raises(InvalidInput, match="first bound must be 0"):
        service.aging(ctx, as_of=AS_OF, buckets="10,60")
    result = cli("aging", "--by", "region")
    assert result.exit_code == 1 and "--by 'region'" in result.stderr
    assert cli("aging", "--as-of", "23/11/2026").exit_code == 2


def test_bucket_helpers_agree_with_the_sql_cutoffs():
    bounds = parse_bounds("0,30,60,90")
    assert bucket_names(bounds) == ["current", "1-30", "31-60", "61-90", "90+"]
    assert [bucket_index(d, bounds) for d in (-1, 0, 1, 30, 31, 90, 91)] == [0, 0, 1, 1, 2, 3, 4]


def test_streamed_json_is_the_same_document_as_to_json(ctx, tmp_path):
    from arcollect.ledger.aging import iter_json, to_json

    _book(ctx, tmp_path, ["I1,C1,2026-10-01,2026-10-31,100.00,", "I2,C2,2026-10-01,2026-10-31,1.50,"],
          ["P1,C3,2026-11-01,10.00,,"])
    report = service.aging(ctx, as_of=AS_OF)
    assert json.loads("".join(iter_json(report))) == to_json(report)
    empty = service.aging(ctx, as_of=dt.date(2000, 1, 1))
    assert json.loads("".join(iter_json(empty))) == to_json(empty)
