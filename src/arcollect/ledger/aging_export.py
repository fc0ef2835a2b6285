"""Aging report files: CSV (the JSON's column keys) and XLSX (readable headers, numbers as numbers with a
currency format, totals, frozen header); both carry the disputed part and, per customer, the collector."""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path

from arcollect.export_cells import csv_writer, xlsx_append
from arcollect.ledger.aging import AgingReport, AgingRow, column_titles, table_columns
from arcollect.money import minor_units, quantize


def _values(row: AgingRow, report: AgingReport) -> list[Decimal]:
    return [*row.buckets, row.total, row.unapplied_cash, row.unapplied_credits, row.net_balance, row.disputed]


def _collector(row: AgingRow | None, report: AgingReport) -> list[str]:
    """The trailing collector cell of a customer row ('' on a TOTAL row); nothing when grouped otherwise."""
    if report.by != "customer":
        return []
    return [(row.collector or "") if row is not None else ""]


def to_csv(report: AgingReport) -> str:
    out = io.StringIO()
    writer = csv_writer(out, lineterminator="\n")
    writer.writerow(table_columns(report))
    for row in report.rows:
        writer.writerow([row.key, row.name, row.currency,
                         *(quantize(v, row.currency) for v in _values(row, report)), *_collector(row, report)])
    for total in report.totals:
        writer.writerow(["TOTAL", "Total", total.currency,
                         *(quantize(v, total.currency) for v in _values(total, report)), *_collector(None, report)])
    return out.getvalue()


def write_xlsx(report: AgingReport, path: Path) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    ws = wb.active
    ws.title = f"Aging {report.as_of.isoformat()}"
    columns = column_titles(report)
    for cell in xlsx_append(ws, columns):
        cell.font = Font(bold=True)

    amounts = len(_values(report.totals[0], report)) if report.totals else len(report.bucket_names) + 5

    def put(row: AgingRow, key: str, name: str, bold: bool = False, total: bool = False) -> None:
        digits = minor_units(row.currency)
        fmt = f'#,##0{"." + "0" * digits if digits else ""} "{row.currency}"'
        # Excel numbers are binary floats; the value is rounded to the currency's minor units,
        # which a double holds exactly enough to display and sum to the cent.
        cells = xlsx_append(ws, [key, name, row.currency, *(quantize(v, row.currency) for v in _values(row, report)),
                                 *_collector(None if total else row, report)])
        for cell in cells[3:3 + amounts]:
            cell.number_format = fmt
            if bold:
                cell.font = Font(bold=True)

    for row in report.rows:
        put(row, row.key, row.name)
    for total in report.totals:
        put(total, "TOTAL", "Total", bold=True, total=True)
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{max(ws.max_row, 1)}"
    for i, name in enumerate(columns, start=1):
        ws.column_dimensions[get_column_letter(i)].width = max(12, len(name) + 2)
    if report.by == "customer":
        ws.column_dimensions[get_column_letter(len(columns))].width = 16
    ws.column_dimensions["B"].width = 32
    wb.properties.title = f"Aging as of {report.as_of.isoformat()} by {report.by} ({report.basis} date)"
    wb.save(path)
