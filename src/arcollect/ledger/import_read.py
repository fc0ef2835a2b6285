"""Reading import files: CSV (UTF-8, header row) or XLSX (first sheet) into rows with line numbers.

Column mapping (``--map SRC=DST``) renames foreign ERP headers; one source may feed several
destinations. Cells come back as stripped strings (XLSX numbers as exact decimal text, dates ISO).

Bounded work (``ReadLimits``, from Settings): columns, characters per cell and per row, and for XLSX the
uncompressed size and compression ratio of the zip, checked before openpyxl opens it. Header problems
are refused before any row is read; every header check is linear in the number of columns.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import re
import zipfile
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Callable, Iterator

from arcollect.errors import Conflict, InvalidInput


@dataclass(frozen=True)
class ReadLimits:
    """How much one import file may hold (Settings ``import_max_*``; docs/security.md "Limits")."""

    max_columns: int = 500
    max_cell: int = 32_768  # characters in one cell
    max_row: int = 262_144  # characters in one row (one CSV line)
    max_xlsx_uncompressed: int = 1 << 30  # bytes of all the members of the .xlsx zip, unpacked
    max_xlsx_ratio: int = 200  # unpacked / packed size of one member (a zip bomb is thousands)

    @classmethod
    def of(cls, settings: object) -> "ReadLimits":
        return cls(**{f: getattr(settings, f"import_{f}") for f in cls.__dataclass_fields__})


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


_EOL = re.compile(rb"\r\n|\n|\r")


def _bounded_lines(path: Path, data: bytes, limits: ReadLimits) -> Iterator[str]:
    """The file's lines, decoded one by one (a bad byte is reported where it is, after the header was
    checked) and each refused when longer than a row may be, before the CSV parser splits it."""
    start = 3 if data.startswith(b"\xef\xbb\xbf") else 0
    number = 0
    while start < len(data):
        eol = _EOL.search(data, start)
        end = len(data) if eol is None else eol.end()
        number += 1
        if end - start > 4 * limits.max_row:
            raise InvalidInput(f"{path}:{number}: the line is longer than {limits.max_row:,} characters "
                               "(import_max_row)")
        try:
            line = data[start:end].decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InvalidInput(f"{path}:{number}: the file is not UTF-8 (byte {start + exc.start}); "
                               "save it as CSV UTF-8") from exc
        if len(line) > limits.max_row:
            raise InvalidInput(f"{path}:{number}: the line is longer than {limits.max_row:,} characters "
                               "(import_max_row)")
        yield line
        start = end


def _read_csv(path: Path, data: bytes, limits: ReadLimits) -> tuple[list[str], Iterator[tuple[int, list[str]]]]:
    reader = csv.reader(_bounded_lines(path, data, limits), strict=True)
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


def check_zip(path: Path, limits: ReadLimits) -> None:
    """Refuse a zip whose members unpack to more than the limit, or at a zip bomb's ratio, before
    anything unpacks it (zipfile never inflates a member beyond the size its header states)."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise InvalidInput(f"{path}: not a readable .xlsx workbook: {exc}") from exc
    total = sum(m.file_size for m in members)
    if len(members) > 10_000 or total > limits.max_xlsx_uncompressed:
        raise InvalidInput(f"{path}: the workbook unpacks to {total:,} bytes in {len(members):,} parts, more than "
                           f"{limits.max_xlsx_uncompressed:,} (import_max_xlsx_uncompressed)")
    for m in members:
        if m.file_size > 1 << 20 and m.file_size > limits.max_xlsx_ratio * max(m.compress_size, 1):
            raise InvalidInput(f"{path}: {m.filename} unpacks {m.file_size // max(m.compress_size, 1):,} times "
                               f"its packed size (more than {limits.max_xlsx_ratio}: import_max_xlsx_ratio); "
                               "refused as a zip bomb")


def _read_xlsx(path: Path, limits: ReadLimits) -> tuple[list[str], Iterator[tuple[int, list[str]]]]:
    from openpyxl import load_workbook

    check_zip(path, limits)
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
        sheet = workbook.worksheets[0]
        first = next(sheet.iter_rows(min_row=1, max_row=1, values_only=True), None)
    except Exception as exc:  # openpyxl raises many kinds for a broken file
        raise InvalidInput(f"{path}: not a readable .xlsx workbook: {exc}") from exc
    if first is None:
        raise InvalidInput(f"{path}:1: the first sheet is empty (a header row is required)")
    header = [_cell_text(v) for v in first]
    while header and header[-1] == "":
        header.pop()
    _check_width(path, len(header), limits)

    def rows() -> Iterator[tuple[int, list[str]]]:
        try:  # only the header's columns are read (a sheet may claim 16,384 of them)
            for number, values in enumerate(sheet.iter_rows(min_row=2, max_col=max(len(header), 1),
                                                            values_only=True), start=2):
                yield number, [_cell_text(v) for v in values]
        except (KeyError, ValueError, TypeError, OSError, zipfile.BadZipFile, EOFError) as exc:
            raise InvalidInput(f"{path}: not a readable .xlsx workbook: {exc}") from exc
        finally:
            workbook.close()

    return header, rows()


def _check_width(path: Path, width: int, limits: ReadLimits) -> None:
    if width > limits.max_columns:
        raise InvalidInput(f"{path}:1: the header has {width:,} columns, more than {limits.max_columns:,} "
                           "(import_max_columns)")


def read_table(path: Path, mapping: list[tuple[str, str]] | None = None, limits: ReadLimits = ReadLimits(),
               stop: Callable[[], bool] | None = None) -> Table:
    """Read a whole import file. Raises InvalidInput naming the file and line for unreadable input; a
    problem with the header (or a file over a limit) is refused before any row is read."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InvalidInput(f"{path}: cannot read: {exc.strerror}") from exc
    digest = hashlib.sha256(data).hexdigest()
    if data[:4] == b"PK\x03\x04" or path.suffix.lower() in (".xlsx", ".xlsm"):
        header, records = _read_xlsx(path, limits)
    else:
        header, records = _read_csv(path, data, limits)
    _check_width(path, len(header), limits)
    if not any(header):
        raise InvalidInput(f"{path}:1: the header row is empty")
    if any("\x00" in h for h in header):
        raise InvalidInput(f"{path}:1: a column name contains a NUL character")
    long = [i + 1 for i, h in enumerate(header) if len(h) > 256]
    if long:
        raise InvalidInput(f"{path}:1: column(s) {long[:10]} have names longer than 256 characters")
    blank = [i + 1 for i, h in enumerate(header) if not h]
    if blank:
        raise InvalidInput(f"{path}:1: header cell(s) {blank[:50]} are empty: every column needs a name")
    duplicates = sorted(h for h, n in Counter(header).items() if n > 1)
    if duplicates:
        raise InvalidInput(f"{path}:1: duplicate column name(s): {', '.join(duplicates[:50])}")
    columns = _apply_mapping(header, mapping or [], path)
    width = len(header)

    def rows() -> Iterator[RawRow]:
        for n, (line, record) in enumerate(records, 1):
            if stop is not None and not n % 1000 and stop():
                raise Conflict(f"{path}:{line}: the server is shutting down: the import was stopped and nothing "
                               "was written; import the file again")
            if not any(cell.strip() for cell in record):
                continue  # blank lines are not rows
            if len(record) > width and any(c.strip() for c in record[width:]):
                raise InvalidInput(f"{path}:{line}: {len(record)} cells but the header has {width} columns")
            _check_cells(path, line, header, record, limits)
            record = record + [""] * (width - len(record))
            yield RawRow(line, {dst: record[i].strip() for i, dst in columns})

    return Table(path=path, header=[dst for _, dst in columns], rows=rows(), sha256=digest)


def _check_cells(path: Path, line: int, header: list[str], record: list[str], limits: ReadLimits) -> None:
    total = 0
    for i, cell in enumerate(record[: len(header)]):
        total += len(cell)
        if len(cell) > limits.max_cell:
            raise InvalidInput(f"{path}:{line}: {header[i]}: the cell is longer than {limits.max_cell:,} characters "
                               "(import_max_cell)")
    if total > limits.max_row:
        raise InvalidInput(f"{path}:{line}: the row is longer than {limits.max_row:,} characters (import_max_row)")


def chunked(rows: Iterator[RawRow], size: int) -> Iterator[list[RawRow]]:
    chunk: list[RawRow] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
