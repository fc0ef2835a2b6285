"""What the bank-file readers share: collecting problems, amounts, dates, IBANs (pure)."""

from __future__ import annotations

import calendar
import datetime as dt
import re
from decimal import Decimal, InvalidOperation

from arcollect.cashapp.shapes import BankFileError, DocumentRef

MAX_PROBLEMS = 50  # a file with more problems than this is reported by its first ones
_DECIMAL_RE = re.compile(r"(?a)^[+-]?(\d+(\.\d*)?|\.\d+)$")
# ANSI X12 RMR (remittance advice accounts receivable open item reference): RMR*IV*INV-1*PO*1500.00~
_RMR_RE = re.compile(r"(?a)RMR\*([A-Z0-9]{1,3})\*([^*~\\\n]{1,80})((?:\*[^*~\\\n]{0,30}){0,4})")
_RMR_KIND = {"IV": "invoice", "CM": "credit_note", "CR": "credit_note", "PO": "po", "OI": "invoice"}


class Problems:
    """Every problem of one file, each prefixed with the file's name; ``raise_if_any`` at the end."""

    def __init__(self, filename: str) -> None:
        self.filename = filename
        self.items: list[str] = []

    def add(self, where: str, message: str) -> None:
        if len(self.items) < MAX_PROBLEMS:
            self.items.append(f"{self.filename}: {where}: {message}" if where else f"{self.filename}: {message}")

    def __bool__(self) -> bool:
        return bool(self.items)

    def raise_if_any(self, what: str = "bank file") -> None:
        if self.items:
            raise BankFileError(f"{self.filename}: not a readable {what} ({len(self.items)} problem(s))", self.items)


def fail(filename: str, message: str) -> BankFileError:
    return BankFileError(f"{filename}: {message}", [f"{filename}: {message}"])


def decimal_of(text: str | None) -> Decimal | None:
    """A plain decimal string ("1234.56", "-3", ".5") as Decimal; None when it is not one."""
    if text is None:
        return None
    text = text.strip()
    if not _DECIMAL_RE.match(text) or len(text) > 40:
        return None
    try:
        return Decimal(text)
    except InvalidOperation:  # pragma: no cover - the regex admits only valid decimals
        return None


def date_of(year: int, month: int, day: int, *, clamp: bool = False) -> dt.date | None:
    """A date, or None; ``clamp`` turns an impossible day (30 February) into the month's last day."""
    if not 1 <= month <= 12 or day < 1 or not 1 <= year <= 9999:
        return None
    last = calendar.monthrange(year, month)[1]
    if day > last:
        if not clamp or day > 31:
            return None
        day = last
    return dt.date(year, month, day)


def iso_date(text: str | None) -> dt.date | None:
    """``YYYY-MM-DD`` or an ISO date-time (its date part as written)."""
    m = re.match(r"(?a)^\s*(\d{4})-(\d{2})-(\d{2})", text or "")
    return date_of(int(m.group(1)), int(m.group(2)), int(m.group(3))) if m else None


def normalise_account(value: str | None) -> str | None:
    """An IBAN without spaces and upper-cased when it is a valid IBAN; anything else as given (stripped)."""
    if value is None:
        return None
    raw = value.strip()
    if not raw:
        return None
    compact = re.sub(r"\s+", "", raw).upper()
    if re.fullmatch(r"(?a)[A-Z]{2}\d{2}[A-Z0-9]{10,30}", compact) and is_iban(compact):
        return compact
    return raw


def is_iban(value: str) -> bool:
    try:
        from schwifty import IBAN

        IBAN(value)
        return True
    except Exception:  # schwifty raises several exception types for invalid input
        return False


def rmr_documents(text: str) -> list[DocumentRef]:
    """ANSI X12 RMR segments found in a text: ``RMR*IV*INV-1001**1500.00\\`` → invoice INV-1001, 1500.00.

    Fields after the reference: RMR03 reference qualifier, RMR04 monetary amount (paid), RMR05 total invoice
    amount, RMR06 discount. The paid amount is RMR04 (when it is a number)."""
    docs: list[DocumentRef] = []
    for m in _RMR_RE.finditer(text or ""):
        qualifier, number = m.group(1), m.group(2).strip()
        if not number:
            continue
        rest = m.group(3).split("*")[1:]
        amount = decimal_of(rest[1]) if len(rest) > 1 else None
        docs.append(DocumentRef(_RMR_KIND.get(qualifier, "other"), number, amount, f"RMR*{qualifier}"))
    return docs
