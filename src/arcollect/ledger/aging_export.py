"""Aging report files: CSV and XLSX (numbers as numbers with a currency format, totals, frozen header)."""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path

from arcollect.export_cells import csv_writer, xlsx_append
from arcollect.ledger.aging import AgingReport, AgingRow, table_columns
from arcollect.money import minor_units, quantize


def _values(row: AgingRow, report: AgingReport) -> list[Decimal]:
    return [*row.buckets, row.total, row.unapplied_cash, row.unapplied_credits, row.net_balance]


def to_csv(report: AgingReport) -> str:
    out = io.StringIO()
    writer = csv_writer(out, lineterminator="\n")
    writer.writerow(table_columns(report))
    for row in report.rows:
        writer.writerow([row.key, row.name, row.currency,
                         *(quantize(v, row.currency) for v in _values(row, report))])
    for total in report.totals:
        writer.writerow(["TOTAL", "Total", total.currency,
                         *(quantize(v, total.currency) for v in _values(total, report))])
    return out.getvalue()


def write_xlsx(report: AgingReport, path: Path) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    ws = wb.active
    ws.title = f"Aging {report.as_of.isoformat()}"
    columns = table_columns(report)
    for cell in xlsx_append(ws, columns):
        cell.font = Font(bold=True)

    def put(row: AgingRow, key: str, name: str, bold: bool = False) -> None:
        digits = minor_units(row.currency)
        fmt = f'#,##0{"." + "0" * digits if digits else ""} "{row.currency}"'
        # Excel numbers are binary floats; the value is rounded to the currency's minor units,
        # which a double holds exactly enough to display and sum to the cent.
        cells = xlsx_append(ws, [key, name, row.currency, *(quantize(v, row.currency) for v in _values(row, report))])
        for cell in cells[3:]:
            cell.number_format = fmt
            if bold:
                cell.font = Font(bold=True)

    for row in report.rows:
        put(row, row.key, row.name)
    for total in report.totals:
        put(total, "TOTAL", "Total", bold=True)
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{max(ws.max_row, 1)}"
    for i, name in enumerate(columns, start=1):
        ws.column_dimensions[get_column_letter(i)].width = max(12, len(name) + 2)
    ws.column_dimensions["B"].width = 32
    wb.properties.title = f"Aging as of {report.as_of.isoformat()} by {report.by} ({report.basis} date)"
    wb.save(path)
