"""Attachments of a remittance advice into what the advice reader reads (pure: bytes in, cells and text out):
CSV (any common delimiter and encoding), XLSX (first sheets, cells as exact text), PDF (pdfplumber: its tables
and its text lines), HTML bodies as text. Bounded; a file that cannot be read is a ``FileProblem`` naming it."""

from __future__ import annotations

import csv
import datetime as dt
import html as html_lib
import io
import re
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal

MAX_ROWS = 5000  # rows read per table
MAX_COLUMNS = 60
MAX_CELL = 500  # characters kept per cell
MAX_PDF_PAGES = 30
MAX_TEXT = 200_000  # characters of text read per file
MAX_XLSX_UNPACKED = 50 << 20
MAX_XLSX_RATIO = 200


class FileProblem(Exception):
    """An attachment that cannot be read, in words naming the file."""


@dataclass
class Sheet:
    """What one attachment holds: tables (rows of cells, as text) and lines of running text."""

    name: str
    tables: list[list[list[str]]] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)


def kind_of(filename: str, content_type: str, data: bytes) -> str | None:
    """'csv' | 'xlsx' | 'pdf' | 'text' | None (not something an advice is written in) — by content first."""
    name, ctype = (filename or "").lower(), (content_type or "").lower()
    if data[:5] == b"%PDF-":
        return "pdf"
    if data[:4] == b"PK\x03\x04":
        return "xlsx" if name.endswith((".xlsx", ".xlsm")) or "spreadsheet" in ctype or "excel" in ctype else None
    if name.endswith(".pdf") or ctype == "application/pdf":
        return "pdf"
    if name.endswith((".xlsx", ".xlsm")) or "spreadsheetml" in ctype:
        return "xlsx"
    if name.endswith((".csv", ".tsv")) or ctype in ("text/csv", "text/tab-separated-values", "application/csv"):
        return "csv"
    if name.endswith(".txt") or ctype == "text/plain":
        return "text"
    return None


def decode(data: bytes) -> str:
    """Text of unknown encoding: UTF-8 (with or without BOM), UTF-16 with a BOM, else Windows-1252."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return data.decode("utf-16", errors="replace")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _clip(row: list[str]) -> list[str]:
    return [c.strip()[:MAX_CELL] for c in row[:MAX_COLUMNS]]


def read_csv(name: str, data: bytes) -> Sheet:
    text = decode(data)[:MAX_TEXT]
    if "\x00" in text:
        raise FileProblem(f"{name}: not a text (CSV) file")
    sample = text[:8000]
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(sample, delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    rows: list[list[str]] = []
    try:
        for i, row in enumerate(csv.reader(io.StringIO(text), dialect)):
            if i >= MAX_ROWS:
                break
            if any(c.strip() for c in row):
                rows.append(_clip(row))
    except csv.Error as exc:
        raise FileProblem(f"{name}: malformed CSV at line {i + 2}: {exc}") from None
    if not rows:
        raise FileProblem(f"{name}: the CSV file is empty")
    return Sheet(name, tables=[rows])


def _xlsx_cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, (float, int)):  # openpyxl gives floats for numbers: repr is the shortest exact decimal
        number = Decimal(repr(value))
        if number.as_tuple().exponent > -2:  # type: ignore[operator]
            number = number.quantize(Decimal("0.01"))  # 78.4 → "78.40", as an amount is written
        return format(number, "f")
    return str(value)


def read_xlsx(name: str, data: bytes) -> Sheet:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise FileProblem(f"{name}: not a readable XLSX workbook ({exc})") from None
    unpacked = sum(m.file_size for m in members)
    if len(members) > 5000 or unpacked > MAX_XLSX_UNPACKED or any(
            m.file_size > 1 << 20 and m.file_size > MAX_XLSX_RATIO * max(m.compress_size, 1) for m in members):
        raise FileProblem(f"{name}: the workbook unpacks to {unpacked:,} bytes — refused (too large or a zip bomb)")
    from openpyxl import load_workbook

    sheet = Sheet(name)
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            for ws in book.worksheets[:5]:
                rows = []
                for values in ws.iter_rows(max_col=MAX_COLUMNS, max_row=MAX_ROWS, values_only=True):
                    row = _clip([_xlsx_cell(v) for v in values])
                    if any(row):
                        rows.append(row)
                if rows:
                    sheet.tables.append(rows)
        finally:
            book.close()
    except FileProblem:
        raise
    except Exception as exc:  # openpyxl raises many kinds for a broken workbook
        raise FileProblem(f"{name}: not a readable XLSX workbook ({type(exc).__name__}: {exc})") from None
    if not sheet.tables:
        raise FileProblem(f"{name}: the workbook has no filled cells")
    return sheet


def read_pdf(name: str, data: bytes) -> Sheet:
    try:
        import pdfplumber
    except ImportError:  # pragma: no cover - pinned in pyproject
        raise FileProblem(f"{name}: PDF advices need pdfplumber") from None
    sheet = Sheet(name)
    chars = 0
    try:
        with pdfplumber.open(io.BytesIO(data)) as pdf:
            for page in pdf.pages[:MAX_PDF_PAGES]:
                for table in page.extract_tables() or []:
                    rows = [_clip([c or "" for c in row]) for row in table[:MAX_ROWS]]
                    rows = [r for r in rows if any(r)]
                    if rows:
                        sheet.tables.append(rows)
                text = page.extract_text() or ""
                chars += len(text)
                sheet.lines.extend(text.splitlines())
                if chars > MAX_TEXT:
                    break
    except Exception as exc:  # pdfminer raises many kinds for a broken or encrypted file
        raise FileProblem(f"{name}: not a readable PDF ({type(exc).__name__}: {exc})") from None
    if not sheet.tables and not any(ln.strip() for ln in sheet.lines):
        raise FileProblem(f"{name}: the PDF has no text (a scan? it needs OCR, which arcollect does not do)")
    return sheet


_BREAKS = re.compile(r"<\s*(?:br|/p|/div|/tr|/li|/h[1-6]|/table)\b[^>]*>", re.I)
_CELLS = re.compile(r"<\s*/t[dh]\s*>", re.I)
_TAGS = re.compile(r"<[^>]*>")
_DROP = re.compile(r"<\s*(script|style|head)\b.*?<\s*/\s*\1\s*>", re.I | re.S)


def html_text(html: str) -> str:
    """An HTML body as lines of text (table cells apart by blanks, rows by line breaks)."""
    s = _DROP.sub(" ", html[:MAX_TEXT])
    s = _CELLS.sub("  ", _BREAKS.sub("\n", s))
    return html_lib.unescape(_TAGS.sub("", s))


def read_attachment(name: str, content_type: str, data: bytes) -> Sheet | None:
    """One attachment as a ``Sheet``; None when it is no kind an advice is written in (an image, a zip …)."""
    kind = kind_of(name, content_type, data)
    if kind == "pdf":
        return read_pdf(name, data)
    if kind == "xlsx":
        return read_xlsx(name, data)
    if kind == "csv":
        return read_csv(name, data)
    if kind == "text":
        return Sheet(name, lines=decode(data)[:MAX_TEXT].splitlines())
    return None
