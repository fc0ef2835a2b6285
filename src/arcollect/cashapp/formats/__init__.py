"""Bank statement files in, ``ParsedStatement``s out (pure: bytes in, no database, no I/O).

``parse`` reads BAI2, camt.052/053/054 (also zipped), MT940/MT942 and CSV (with a ``CsvMapping``);
``detect`` tells which one a file is by its content; ``continuity`` compares a statement with the
account's previous one. Every unreadable input raises ``BankFileError`` naming the file and the line
or element path of each problem; nothing else escapes.
"""

from __future__ import annotations

import io
import re
import zipfile

from arcollect.cashapp.formats import bai2, camt, mt940
from arcollect.cashapp.formats._common import fail
from arcollect.cashapp.formats.csv import CsvMapping
from arcollect.cashapp.formats.csv import parse as parse_csv
from arcollect.cashapp.shapes import BankFileError, ParsedStatement

__all__ = ["CsvMapping", "FORMATS", "continuity", "detect", "parse"]

FORMATS = ("auto", "bai2", "camt", "mt940", "csv")
MAX_BYTES = 50 * 1024 * 1024
MAX_ZIP_UNCOMPRESSED = 200 * 1024 * 1024
MAX_ZIP_MEMBERS = 1000
_MT940_TAG = re.compile(rb"(?m)^[ \t]*:(20|25|28C?|60[FM]|61|62[FM]|86|NS|940):")


def detect(data: bytes, filename: str = "") -> str:
    """"bai2", "camt", "mt940" or "csv", by content (the name is not trusted)."""
    head = data[:8192].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"PK\x03\x04"):
        return "camt"
    if re.match(rb"01,", head):
        return "bai2"
    if head.startswith(b"<") and camt.is_camt(head):
        return "camt"
    if head.startswith(b"{1:") or _MT940_TAG.search(data[:65536]):
        return "mt940"
    return "csv"


def parse(data: bytes, filename: str, fmt: str = "auto", mapping: CsvMapping | None = None,
          max_bytes: int = MAX_BYTES) -> list[ParsedStatement]:
    """Every statement of a bank file; ``fmt`` "auto" detects it. Raises ``BankFileError``."""
    if not isinstance(data, (bytes, bytearray)):
        raise fail(filename, "a bank file is read as bytes")
    if len(data) > max_bytes:
        raise fail(filename, f"the file has {len(data):,} bytes, more than the {max_bytes:,} allowed")
    if fmt not in FORMATS:
        raise fail(filename, f"unknown format {fmt!r} (one of {', '.join(FORMATS)})")
    data = bytes(data)
    kind = detect(data, filename) if fmt == "auto" else fmt
    try:
        if kind == "bai2":
            return bai2.parse(data, filename)
        if kind == "mt940":
            return mt940.parse(data, filename)
        if kind == "camt":
            if data.startswith(b"PK\x03\x04"):
                return _zipped_camt(data, filename)
            return camt.parse(data, filename)
        if mapping is None:
            raise fail(filename, "not BAI2, camt or MT940; a CSV file needs a column mapping (--map)")
        return parse_csv(data, filename, mapping)
    except BankFileError:
        raise
    except RecursionError:
        raise fail(filename, "the file nests too deeply to be read") from None
    except (ValueError, TypeError, KeyError, IndexError, ArithmeticError, UnicodeError) as exc:
        # a reader's oversight must still come out as a refusal naming the file, never a traceback
        raise fail(filename, f"cannot be read as {kind}: {type(exc).__name__}: {exc}") from exc


def _zipped_camt(data: bytes, filename: str) -> list[ParsedStatement]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = [m for m in archive.infolist() if not m.is_dir()]
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError) as exc:
        raise fail(filename, f"not a readable zip archive: {exc}") from None
    if len(members) > MAX_ZIP_MEMBERS:
        raise fail(filename, f"the zip has {len(members)} files, more than the {MAX_ZIP_MEMBERS} allowed")
    if sum(m.file_size for m in members) > MAX_ZIP_UNCOMPRESSED:
        raise fail(filename, f"the zip unpacks to more than {MAX_ZIP_UNCOMPRESSED:,} bytes")
    statements: list[ParsedStatement] = []
    problems: list[str] = []
    budget = MAX_ZIP_UNCOMPRESSED
    for member in sorted(members, key=lambda m: m.filename):
        name = f"{filename}/{member.filename}"
        try:
            with archive.open(member) as handle:
                content = handle.read(budget + 1)  # the stated sizes may lie: count what comes out
        except (zipfile.BadZipFile, NotImplementedError, RuntimeError, OSError, EOFError, ValueError) as exc:
            problems.append(f"{name}: cannot be unpacked: {exc}")
            continue
        budget -= len(content)
        if budget < 0:
            raise fail(filename, f"the zip unpacks to more than {MAX_ZIP_UNCOMPRESSED:,} bytes")
        if not camt.is_camt(content.lstrip(b"\xef\xbb\xbf \t\r\n")[:4096]):
            if member.filename.lower().endswith(".xml"):
                problems.append(f"{name}: not a camt.052/053/054 document")
            continue
        try:
            statements.extend(camt.parse(content, name))
        except BankFileError as exc:
            problems.extend(exc.problems)
    if problems:
        raise BankFileError(f"{filename}: not a readable camt archive ({len(problems)} problem(s))", problems)
    if not members:
        raise fail(filename, "the zip archive is empty")
    return statements


def continuity(previous: ParsedStatement | None, current: ParsedStatement) -> str | None:
    """"gap" or "overlap" between an account's previous statement and this one; None when they join up.

    Overlap: the current statement starts before the previous one ended (by dates). Gap: its opening
    balance differs from the previous closing balance (dates alone cannot tell: weekends and holidays)."""
    if previous is None:
        return None
    prev_end = previous.closing_date or max((ln.booking_date for ln in previous.lines), default=None)
    cur_start = current.opening_date or min((ln.booking_date for ln in current.lines), default=None)
    if prev_end is not None and cur_start is not None:
        if cur_start < prev_end:
            return "overlap"
    if previous.closing is not None and current.opening is not None and previous.closing != current.opening:
        return "gap"
    return None
