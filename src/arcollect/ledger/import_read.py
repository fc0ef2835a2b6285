"""Reading import files: CSV (UTF-8, header row) or XLSX (first sheet) into rows with line numbers.

Column mapping (``--map SRC=DST``) renames foreign ERP headers; one source may feed several
destinations. Cells come back as stripped strings (XLSX numbers as exact decimal text, dates ISO).
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Iterator

from arcollect.errors import InvalidInput


@dataclass(frozen=True)
class RawRow:
    line: int
    values: dict[str, str]


@dataclass
class Table:
    """An open import file: its mapped header and a stream of rows (files can be millions of rows)."""

    path: Path
    header: list[str]
    rows: Iterator[RawRow]
    sha256: str


def parse_mapping(items: list[str] | None, mapping_file: Path | None = None) -> list[tuple[str, str]]:
    """'--map a=b,c=d' (repeatable) and/or a file of SRC=DST lines → [(src, dst), ...]."""
    pairs: list[tuple[str, str]] = []
    texts: list[str] = []
    for item in items or []:
        texts.extend(item.split(","))
    if mapping_file is not None:
        try:
            content = mapping_file.read_text(encoding="utf-8")
        except OSError as exc:
            raise InvalidInput(f"{mapping_file}: cannot read mapping file: {exc.strerror}") from exc
        for raw in content.splitlines():
            raw = raw.strip()
            if raw and not raw.startswith("#"):
                texts.append(raw)
    for text in texts:
        if not text.strip():
            continue
        src, sep, dst = text.partition("=")
        if not sep or not src.strip() or not dst.strip():
            raise InvalidInput(f"--map: {text!r} is not SRC=DST")
        pairs.append((src.strip(), dst.strip()))
    return pairs


def _apply_mapping(header: list[str], mapping: list[tuple[str, str]], path: Path) -> list[tuple[int, str]]:
    """Columns of the result as (source index, destination name)."""
    index = {name: i for i, name in enumerate(header)}
    lowered = {name.lower(): i for i, name in enumerate(header)}
    mapped_sources: set[int] = set()
    columns: list[tuple[int, str]] = []
    for src, dst in mapping:
        i = index.get(src, lowered.get(src.lower()))
        if i is None:
            raise InvalidInput(f"{path}:1: --map: column {src!r} is not in the header")
        mapped_sources.add(i)
        columns.append((i, dst))
    taken = {dst for _, dst in columns}
    for i, name in enumerate(header):
        if i not in mapped_sources and name not in taken:
            columns.append((i, name))
    return columns


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time(0) else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        # openpyxl gives floats for numeric cells: repr is the shortest exact decimal of the cell.
        text = repr(value)
        if "e" in text or "E" in text:
            text = format(Decimal(text), "f")
        return text[:-2] if text.endswith(".0") else text
    if isinstance(value, int):
        return str(value)
    return str(value).strip()


def _read_csv(path: Path, data: bytes) -> tuple[list[str], Iterator[tuple[int, list[str]]]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InvalidInput(f"{path}:{line}: the file is not UTF-8 (byte {exc.start}); save it as CSV UTF-8") from exc
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader)
    except StopIteration:
        raise InvalidInput(f"{path}:1: the file is empty (a header row is required)") from None
    except csv.Error as exc:
        raise InvalidInput(f"{path}:1: {exc}") from exc

    def rows() -> Iterator[tuple[int, list[str]]]:
        start = reader.line_num + 1
        while True:
            try:
                record = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise InvalidInput(f"{path}:{reader.line_num}: malformed CSV: {exc}") from exc
            yield start, record
            start = reader.line_num + 1

    return [h.strip() for h in header], rows()


def _read_xlsx(path: Path) -> tuple[list[str], Iterator[tuple[int, list[str]]]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a broken file
        raise InvalidInput(f"{path}: not a readable .xlsx workbook: {exc}") from exc
    sheet = workbook.worksheets[0]
    iterator = sheet.iter_rows(values_only=True)
    try:
        header = [_cell_text(v) for v in next(iterator)]
    except StopIteration:
        raise InvalidInput(f"{path}:1: the first sheet is empty (a header row is required)") from None
    while header and header[-1] == "":
        header.pop()

    def rows() -> Iterator[tuple[int, list[str]]]:
        for number, values in enumerate(iterator, start=2):
            yield number, [_cell_text(v) for v in values[: len(header)]]
        workbook.close()

    return header, rows()


def read_table(path: Path, mapping: list[tuple[str, str]] | None = None) -> Table:
    """Read a whole import file. Raises InvalidInput naming the file and line for unreadable input."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InvalidInput(f"{path}: cannot read: {exc.strerror}") from exc
    digest = hashlib.sha256(data).hexdigest()
    if data[:4] == b"PK\x03\x04" or path.suffix.lower() in (".xlsx", ".xlsm"):
        header, records = _read_xlsx(path)
    else:
        header, records = _read_csv(path, data)
    if not any(header):
        raise InvalidInput(f"{path}:1: the header row is empty")
    if any("\x00" in h for h in header):
        raise InvalidInput(f"{path}:1: a column name contains a NUL character")
    blank = [i + 1 for i, h in enumerate(header) if not h]
    if blank:
        raise InvalidInput(f"{path}:1: header cell(s) {blank} are empty: every column needs a name")
    duplicates = sorted({h for h in header if header.count(h) > 1})
    if duplicates:
        raise InvalidInput(f"{path}:1: duplicate column name(s): {', '.join(duplicates)}")
    columns = _apply_mapping(header, mapping or [], path)
    width = len(header)

    def rows() -> Iterator[RawRow]:
        for line, record in records:
            if not any(cell.strip() for cell in record):
                continue  # blank lines are not rows
            if len(record) > width and any(c.strip() for c in record[width:]):
                raise InvalidInput(f"{path}:{line}: {len(record)} cells but the header has {width} columns")
            record = record + [""] * (width - len(record))
            yield RawRow(line, {dst: record[i].strip() for i, dst in columns})

    return Table(path=path, header=[dst for _, dst in columns], rows=rows(), sha256=digest)


def chunked(rows: Iterator[RawRow], size: int) -> Iterator[list[RawRow]]:
    chunk: list[RawRow] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
