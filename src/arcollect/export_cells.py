"""Cells of every file arcollect exports (CSV, XLSX): text a spreadsheet would run as a formula is made
inert, numbers stay numbers. Every CSV and XLSX writer goes through these helpers (DESIGN §8).

CSV (OWASP "CSV injection"): a text cell starting with ``= + - @`` TAB or CR gets a leading ``'``, which
spreadsheets show as text. Numbers (``Decimal``, ``int``, ``float``) are written as they are, so a
negative amount ``-12.00`` stays a number. XLSX: text is always a string cell (``data_type 's'``), never
a formula, whatever it starts with.
"""

from __future__ import annotations

import csv
from decimal import Decimal
from typing import IO, Any, Iterable, Sequence

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> str:
    """One CSV cell: numbers as they are, text escaped when a spreadsheet would read it as a formula."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return f"{value:f}"
    if isinstance(value, (int, float)):
        return str(value)
    text = str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


class CsvWriter:
    """``csv.writer`` whose rows go through :func:`csv_cell`."""

    def __init__(self, handle: IO[str], **options: Any) -> None:
        self._writer = csv.writer(handle, **options)

    def writerow(self, values: Iterable[Any]) -> None:
        self._writer.writerow([csv_cell(v) for v in values])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def csv_writer(handle: IO[str], **options: Any) -> CsvWriter:
    return CsvWriter(handle, **options)


def xlsx_append(sheet: Any, values: Sequence[Any]) -> list[Any]:
    """Append a row to an openpyxl worksheet: text as string cells (never formulas), numbers as numbers
    (``Decimal`` as a float: callers round to the currency first); control characters XML cannot hold are
    dropped. The row's cells, for styling."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    values = [ILLEGAL_CHARACTERS_RE.sub("", v) if isinstance(v, str) else v for v in values]
    sheet.append([float(v) if isinstance(v, Decimal) else v for v in values])
    cells = list(sheet[sheet.max_row])[: len(values)]
    for cell, value in zip(cells, values):
        if isinstance(value, str):
            cell.value = value
            cell.data_type = "s"  # openpyxl makes any text starting with '=' a formula
    return cells
