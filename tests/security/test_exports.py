"""Issue #7 item 5: exports carry no live formulas — customer data that starts like a formula is escaped
in every CSV (OWASP) and written as a string cell in every XLSX; amounts stay numbers."""

from __future__ import annotations

import csv
import datetime as dt
import io

from openpyxl import load_workbook

from arcollect.export_cells import csv_cell
from arcollect.ledger import service
from arcollect.outreach.case_report import items_csv
from tests.conftest import write_csv

AS_OF = dt.date(2026, 11, 23)
HYPERLINK = '=HYPERLINK("http://x","y")'
DDE = "+cmd|' /C calc'!A0"


def _ledger(ctx, tmp_path):  # noqa: ANN001, ANN202
    write_csv(tmp_path / "c.csv", "customer_id,name,currency",
              f'C1,"{HYPERLINK.replace(chr(34), chr(34) * 2)}",USD', f"C2,{DDE},USD", "C3,@SUM(A1),USD")
    assert not service.import_file(ctx, kind="customers", path=tmp_path / "c.csv").errors
    write_csv(tmp_path / "i.csv", "invoice_id,customer_id,issue_date,due_date,amount",
              "I1,C1,2026-01-01,2026-02-01,100.00", "I2,C2,2026-01-01,2026-02-01,50.00",
              "I3,C3,2026-01-01,2026-02-01,10.00")
    assert not service.import_file(ctx, kind="invoices", path=tmp_path / "i.csv").errors
    write_csv(tmp_path / "p.csv", "payment_id,customer_id,received_date,amount", "P1,C3,2026-03-01,22.50")
    assert not service.import_file(ctx, kind="payments", path=tmp_path / "p.csv").errors
    return service.aging(ctx, as_of=AS_OF)


def test_aging_csv_escapes_formula_names_and_keeps_negative_amounts_numbers(ctx, tmp_path):
    content, _ = service.export_aging(_ledger(ctx, tmp_path), fmt="csv")
    rows = {r["key"]: r for r in csv.DictReader(io.StringIO(content.decode("utf-8")))}
    assert rows["C1"]["name"] == "'" + HYPERLINK
    assert rows["C2"]["name"] == "'" + DDE
    assert rows["C3"]["name"] == "'@SUM(A1)"
    assert rows["C3"]["net_balance"] == "-12.50"  # an amount, not text: no quote in front


def test_aging_xlsx_writes_formula_like_names_as_string_cells(ctx, tmp_path):
    content, _ = service.export_aging(_ledger(ctx, tmp_path), fmt="xlsx")
    sheet = load_workbook(io.BytesIO(content)).worksheets[0]
    names = {row[0].value: row[1] for row in sheet.iter_rows(min_row=2)}
    assert names["C1"].value == HYPERLINK and names["C1"].data_type == "s"
    assert names["C2"].value == DDE and names["C2"].data_type == "s"
    net_column = [cell.value for cell in sheet[1]].index("Net balance")
    net = [row[net_column] for row in sheet.iter_rows(min_row=2) if row[0].value == "C3"][0]
    assert net.data_type == "n" and net.value == -12.5


def test_cli_aging_csv_and_xlsx_are_escaped_too(cli, ctx, tmp_path):
    _ledger(ctx, tmp_path)
    result = cli("aging", "--as-of", AS_OF.isoformat(), "--format", "csv")
    assert result.exit_code == 0, result.output
    assert f"\"'{HYPERLINK.replace(chr(34), chr(34) * 2)}\"" in result.stdout
    out = tmp_path / "aging.xlsx"
    assert cli("aging", "--as-of", AS_OF.isoformat(), "--format", "xlsx", "--output", str(out)).exit_code == 0
    cells = [c for row in load_workbook(out).worksheets[0].iter_rows() for c in row]
    assert not [c for c in cells if c.data_type == "f"]


def test_rejected_rows_file_escapes_the_cells_it_copies(ctx, tmp_path):
    path = write_csv(tmp_path / "c.csv", "customer_id,name,currency", "C1,Fine,USD", f"C2,{DDE},NOPE")
    result = service.import_file(ctx, kind="customers", path=path, partial=True)
    assert result.rejected == 1
    rows = list(csv.DictReader(result.rejected_file.open(encoding="utf-8")))
    assert rows[0]["name"] == "'" + DDE


def test_agency_items_csv_escapes_text_cells():
    history = {"disputes": [], "open_items": [
        {"invoice_id": "=1+1", "po_number": "-2+3", "issue_date": "2026-01-01", "due_date": "2026-02-01",
         "days_past_due": 5, "currency": "USD", "amount": "-10.00", "open_amount": "-10.00"}]}
    row = list(csv.DictReader(io.StringIO(items_csv(history))))[0]
    assert row["invoice_id"] == "'=1+1" and row["po_number"] == "'-2+3"


def test_csv_cell_escapes_every_owasp_prefix_but_not_numbers():
    from decimal import Decimal

    for prefix in ("=", "+", "-", "@", "\t", "\r"):
        assert csv_cell(prefix + "x") == "'" + prefix + "x"
    assert csv_cell(Decimal("-12.00")) == "-12.00"
    assert csv_cell(-3) == "-3"
    assert csv_cell("Acme") == "Acme"
