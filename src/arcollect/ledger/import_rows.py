"""Per-kind column specs and cell parsers for imports (pure: strings in, typed values or errors out)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Callable

from arcollect.email_address import is_email_address
from arcollect.money import check_currency

ID_MAX = 64
CONTACT_ROLES = ("ap", "billing", "escalation", "other")
TRUE_WORDS = {"true", "yes", "y", "1"}
FALSE_WORDS = {"false", "no", "n", "0", ""}


@dataclass(frozen=True)
class KindSpec:
    kind: str
    id_column: str
    required: tuple[str, ...]
    optional: tuple[str, ...]
    keeps_custom_fields: bool = True

    @property
    def known(self) -> set[str]:
        return set(self.required) | set(self.optional)


SPECS: dict[str, KindSpec] = {
    "customers": KindSpec("customers", "customer_id", ("customer_id", "name"),
                          ("parent_id", "currency", "payment_terms_days", "credit_limit", "country",
                           "timezone", "language", "segment", "collector", "email", "phone")),
    "contacts": KindSpec("contacts", "email", ("customer_id", "email"),
                         ("name", "phone", "role", "language", "primary"), keeps_custom_fields=False),
    "invoices": KindSpec("invoices", "invoice_id",
                         ("invoice_id", "customer_id", "issue_date", "due_date", "amount"),
                         ("currency", "po_number", "description")),
    "credit-notes": KindSpec("credit-notes", "credit_note_id",
                             ("credit_note_id", "customer_id", "issue_date", "amount"),
                             ("currency", "applies_to", "reason")),
    "payments": KindSpec("payments", "payment_id", ("payment_id", "received_date", "amount"),
                         ("customer_id", "currency", "reference", "payer_name", "applies_to")),
}
KINDS = tuple(SPECS)


class CellError(ValueError):
    """A problem with one cell: the column it is in and what is wrong."""

    def __init__(self, column: str, message: str) -> None:
        super().__init__(message)
        self.column = column
        self.message = message


def text(values: dict[str, str], column: str, *, required: bool = False, max_len: int = 256) -> str | None:
    value = values.get(column, "")
    if not value:
        if required:
            raise CellError(column, "required value is empty")
        return None
    if len(value) > max_len:
        raise CellError(column, f"longer than {max_len} characters")
    return value


def identifier(values: dict[str, str], column: str, *, required: bool = True) -> str | None:
    value = text(values, column, required=required, max_len=ID_MAX)
    if value is not None and any(ch in value for ch in ";\n\r"):
        raise CellError(column, f"{value!r}: ids may not contain ';' or line breaks")
    return value


def date_value(values: dict[str, str], column: str, date_format: str | None, *,
               required: bool = True) -> dt.date | None:
    raw = values.get(column, "")
    if not raw:
        if required:
            raise CellError(column, "required date is empty")
        return None
    try:
        if date_format:
            return dt.datetime.strptime(raw, date_format).date()
        return dt.date.fromisoformat(raw) if len(raw) == 10 else _iso_fail(raw)
    except ValueError:
        shown = date_format or "YYYY-MM-DD"
        raise CellError(column, f"{raw!r} is not a date in the format {shown}") from None


def _iso_fail(raw: str) -> dt.date:
    raise ValueError(raw)


def currency_value(values: dict[str, str], column: str = "currency") -> str | None:
    raw = values.get(column, "")
    if not raw:
        return None
    try:
        return check_currency(raw)
    except ValueError as exc:
        raise CellError(column, str(exc)) from None


def int_value(values: dict[str, str], column: str, *, low: int, high: int) -> int | None:
    raw = values.get(column, "")
    if not raw:
        return None
    if not re.fullmatch(r"[+-]?\d+", raw):
        raise CellError(column, f"{raw!r} is not a whole number")
    number = int(raw)
    if not low <= number <= high:
        raise CellError(column, f"{number} is outside {low}..{high}")
    return number


def bool_value(values: dict[str, str], column: str) -> bool:
    raw = values.get(column, "").lower()
    if raw in TRUE_WORDS:
        return True
    if raw in FALSE_WORDS:
        return False
    raise CellError(column, f"{values.get(column)!r} is not true/false")


def email_value(values: dict[str, str], column: str, *, required: bool = False) -> str | None:
    value = text(values, column, required=required, max_len=254)
    if value is not None and not is_email_address(value):
        raise CellError(column, f"{value!r} is not an email address")
    return value.lower() if value else None


@lru_cache(maxsize=1)
def _territories() -> frozenset[str]:
    from babel import Locale

    not_countries = {"ZZ", "QO", "EU", "EZ", "UN", "XA", "XB"}  # CLDR regions that are not ISO 3166 countries
    return frozenset(code for code in Locale("en").territories
                     if len(code) == 2 and code.isalpha() and code not in not_countries)


@lru_cache(maxsize=1)
def _timezones() -> frozenset[str]:
    import zoneinfo

    return frozenset(zoneinfo.available_timezones())


def country_value(values: dict[str, str], column: str = "country") -> str | None:
    raw = values.get(column, "").upper()
    if not raw:
        return None
    if raw not in _territories():
        raise CellError(column, f"{values[column]!r} is not an ISO 3166 alpha-2 country code")
    return raw


def timezone_value(values: dict[str, str], column: str = "timezone") -> str | None:
    raw = values.get(column, "")
    if not raw:
        return None
    if raw not in _timezones():
        raise CellError(column, f"{raw!r} is not an IANA time zone (e.g. Europe/Berlin)")
    return raw


@lru_cache(maxsize=512)
def _language_ok(tag: str) -> bool:
    from babel import Locale, UnknownLocaleError

    try:
        Locale.parse(tag.replace("-", "_"))
        return True
    except (ValueError, UnknownLocaleError):
        return False


def language_value(values: dict[str, str], column: str = "language") -> str | None:
    raw = values.get(column, "")
    if not raw:
        return None
    if not _language_ok(raw):
        raise CellError(column, f"{raw!r} is not a BCP 47 language tag (e.g. en, de-CH)")
    return raw


def role_value(values: dict[str, str], column: str = "role") -> str:
    raw = values.get(column, "").lower() or "other"
    if raw not in CONTACT_ROLES:
        raise CellError(column, f"{values[column]!r} is not one of {', '.join(CONTACT_ROLES)}")
    return raw


def collect(row_values: dict[str, str], parsers: dict[str, Callable[[], Any]]) -> tuple[dict[str, Any], list[CellError]]:
    """Run every field parser; collect every cell error rather than stopping at the first."""
    result: dict[str, Any] = {}
    errors: list[CellError] = []
    for name, parse in parsers.items():
        try:
            result[name] = parse()
        except CellError as exc:
            errors.append(exc)
    return result, errors
