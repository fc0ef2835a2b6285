"""CSV bank exports read with a saved column mapping (``CsvMapping``; the CLI's ``--map`` spec).

One statement per currency, no balances (a CSV export states none). Problems name ``file:line: column``.
"""

from __future__ import annotations

import csv as _csv
import datetime as dt
import io
import re
from dataclasses import dataclass, fields
from decimal import Decimal

from arcollect.cashapp.formats._common import decimal_of, normalise_account
from arcollect.cashapp.shapes import BankFileError, ParsedLine, ParsedStatement
from arcollect.money import is_currency

_SEPARATORS = {"comma": ",", "dot": ".", "point": ".", "semicolon": ";", "tab": "\t", "space": " ",
               "apostrophe": "'", "pipe": "|", "none": ""}
_MAX_PROBLEMS = 50
_MAX_CELL = 10_000


@dataclass(frozen=True)
class CsvMapping:
    """Which column holds what. Columns are header names (case-insensitive) or 1-based numbers ("#3")."""

    date: str
    amount: str | None = None  # signed amount; or credit and/or debit columns
    credit: str | None = None
    debit: str | None = None
    currency: str | None = None  # a column holding the currency …
    fixed_currency: str | None = None  # … or the one currency of the file
    payer: str | None = None
    payer_account: str | None = None
    reference: str | None = None
    text: tuple[str, ...] = ()  # remittance columns, kept in this order
    value_date: str | None = None
    account: str = ""  # our account the export is of
    date_format: str = "%Y-%m-%d"
    decimal: str = "."
    thousands: str = ""
    encoding: str = "utf-8-sig"
    delimiter: str | None = None  # None: sniffed from the header
    skip: int = 0  # lines before the header row

    def __post_init__(self) -> None:
        problems = []
        if not self.date:
            problems.append("date: the date column is required")
        if not (self.amount or self.credit or self.debit):
            problems.append("amount: an amount column, or credit/debit columns, is required")
        if self.amount and (self.credit or self.debit):
            problems.append("amount: either an amount column or credit/debit columns, not both")
        if not (self.currency or self.fixed_currency):
            problems.append("currency: a currency column or a fixed currency is required")
        if self.fixed_currency and not is_currency(self.fixed_currency.upper()):
            problems.append(f"fixed_currency: unknown currency {self.fixed_currency!r}")
        if self.decimal not in (",", "."):
            problems.append(f"decimal: {self.decimal!r} is neither ',' nor '.'")
        if self.thousands == self.decimal or len(self.thousands) > 1:
            problems.append(f"thousands: {self.thousands!r} cannot be the thousands separator")
        if self.delimiter is not None and len(self.delimiter) != 1:
            problems.append(f"delimiter: {self.delimiter!r} is not one character")
        try:
            "".encode(self.encoding)
        except LookupError:
            problems.append(f"encoding: unknown encoding {self.encoding!r}")
        if problems:
            raise BankFileError("invalid CSV column mapping", problems)

    @classmethod
    def from_spec(cls, spec: str) -> CsvMapping:
        """``date=Buchungstag,amount=Betrag,fixed_currency=EUR,text=Verwendungszweck,text=Buchungstext,
        date_format=%d.%m.%Y,decimal=comma,thousands=dot``. Separators may be named: comma, dot,
        semicolon, tab, space, apostrophe, pipe, none."""
        known = {f.name for f in fields(cls)}
        values: dict[str, object] = {}
        texts: list[str] = []
        problems = []
        for part in (p for p in spec.split(",") if p.strip()):
            key, sep, value = part.partition("=")
            key, value = key.strip().lower().replace("-", "_"), value.strip()
            if not sep or key not in known:
                problems.append(f"{part.strip()!r}: expected KEY=VALUE with KEY one of {', '.join(sorted(known))}")
                continue
            if key == "text":
                texts.extend(t.strip() for t in value.split("|") if t.strip())
            elif key == "skip":
                values[key] = int(value) if value.isascii() and value.isdigit() else -1
            elif key in ("decimal", "thousands", "delimiter"):
                values[key] = _SEPARATORS.get(value.lower(), value)
            else:
                values[key] = value
        if problems:
            raise BankFileError("invalid CSV column mapping", problems)
        if "date" not in values:
            raise BankFileError("invalid CSV column mapping", ["date: the date column is required"])
        if values.get("skip", 0) < 0:  # type: ignore[operator]
            raise BankFileError("invalid CSV column mapping", ["skip: not a number of lines"])
        return cls(**values, text=tuple(texts))  # type: ignore[arg-type]


def _amount(raw: str, mapping: CsvMapping) -> Decimal | None:
    text = raw.strip().replace("\u00a0", "").replace(" ", "")
    negative = False
    if text.startswith("(") and text.endswith(")"):
        negative, text = True, text[1:-1]
    if text.endswith("-"):
        negative, text = True, text[:-1]
    if mapping.thousands:
        text = text.replace(mapping.thousands, "")
    if mapping.decimal == ",":
        if "." in text:
            return None
        text = text.replace(",", ".")
    elif "," in text:
        return None
    value = decimal_of(text)
    if value is None:
        return None
    return -value if negative else value


def _sniff(sample: str) -> str:
    try:
        return _csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except _csv.Error:
        header = sample.split("\n", 1)[0]
        return max(",;\t|", key=header.count)


def parse(data: bytes, filename: str, mapping: CsvMapping) -> list[ParsedStatement]:
    try:
        text = data.decode(mapping.encoding)
    except UnicodeDecodeError as exc:
        raise BankFileError(f"{filename}: not {mapping.encoding}",
                            [f"{filename}:1: the file is not {mapping.encoding} text (byte {exc.start}); "
                             "set encoding= in the mapping"]) from None
    rows = list(io.StringIO(text.replace("\x00", "")).read().splitlines())[mapping.skip:]
    body = "\n".join(rows)
    delimiter = mapping.delimiter or _sniff(body[:8192])
    _csv.field_size_limit(_MAX_CELL)
    reader = _csv.reader(io.StringIO(body), delimiter=delimiter)
    problems: list[str] = []
    try:
        header = [h.strip().lower() for h in next(reader, [])]
    except _csv.Error as exc:
        raise BankFileError(f"{filename}: not CSV", [f"{filename}:{mapping.skip + 1}: {exc}"]) from None
    columns: dict[str, int] = {}
    for key in ("date", "amount", "credit", "debit", "currency", "payer", "payer_account", "reference", "value_date"):
        name = getattr(mapping, key)
        if name:
            _column(key, name, header, columns, filename, mapping, problems)
    for i, name in enumerate(mapping.text):
        _column(f"text{i}", name, header, columns, filename, mapping, problems)
    if problems:
        raise BankFileError(f"{filename}: the mapping does not fit the file", problems)
    by_currency: dict[str, list[ParsedLine]] = {}
    try:
        for row in reader:
            number = reader.line_num + mapping.skip
            if not any(cell.strip() for cell in row):
                continue
            line = _row(row, number, columns, mapping, filename, problems)
            if line is not None:
                by_currency.setdefault(line.currency, []).append(line)
            if len(problems) >= _MAX_PROBLEMS:
                break
    except _csv.Error as exc:
        problems.append(f"{filename}:{reader.line_num + mapping.skip}: {exc}")
    if problems:
        raise BankFileError(f"{filename}: not a readable bank export ({len(problems)} problem(s))", problems)
    account = normalise_account(mapping.account) or mapping.account
    return [ParsedStatement(format="csv", account=account, currency=ccy, lines=tuple(lines))
            for ccy, lines in by_currency.items()]


def _column(key: str, name: str, header: list[str], columns: dict[str, int], filename: str,
            mapping: CsvMapping, problems: list[str]) -> None:
    if re.fullmatch(r"(?a)#\d+", name):
        columns[key] = int(name[1:]) - 1
    elif name.strip().lower() in header:
        columns[key] = header.index(name.strip().lower())
    else:
        problems.append(f"{filename}:{mapping.skip + 1}: {name}: no such column in the header")


def _row(row: list[str], number: int, columns: dict[str, int], mapping: CsvMapping, filename: str,
         problems: list[str]) -> ParsedLine | None:
    def cell(key: str) -> str:
        index = columns.get(key)
        return row[index].strip() if index is not None and index < len(row) else ""

    def problem(key: str, message: str) -> None:
        problems.append(f"{filename}:{number}: {getattr(mapping, key, key)}: {message}")

    start = len(problems)
    try:
        date = dt.datetime.strptime(cell("date"), mapping.date_format).date()
    except ValueError:
        problem("date", f"{cell('date')[:40]!r} is not a date ({mapping.date_format})")
        date = None
    value_date = None
    if "value_date" in columns and cell("value_date"):
        try:
            value_date = dt.datetime.strptime(cell("value_date"), mapping.date_format).date()
        except ValueError:
            problem("value_date", f"{cell('value_date')[:40]!r} is not a date ({mapping.date_format})")
    amount = Decimal(0)
    for key, sign in (("amount", 1), ("credit", 1), ("debit", -1)):
        if key not in columns or not cell(key):
            continue
        value = _amount(cell(key), mapping)
        if value is None:
            problem(key, f"{cell(key)[:40]!r} is not an amount")
        else:
            amount += abs(value) * sign if key != "amount" else value
    if "amount" in columns and not cell("amount"):
        problem("amount", "no amount")
    currency = (mapping.fixed_currency or cell("currency")).upper()
    if not is_currency(currency):
        problem("currency", f"unknown currency {currency[:10]!r}")
    if len(problems) > start or date is None:
        return None
    texts = tuple(cell(f"text{i}") for i in range(len(mapping.text)) if cell(f"text{i}"))
    return ParsedLine(
        booking_date=date, amount=amount, currency=currency, reference=cell("reference") or None,
        value_date=value_date, payer_name=cell("payer") or None,
        payer_account=normalise_account(cell("payer_account")), remittance=texts, location=f"line {number}",
    )
