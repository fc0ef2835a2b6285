"""The edges of what arcollect stores and computes with, checked where input comes in (API, web, CLI,
imports) so that a value beyond them is a 4xx naming its field, never a 500 from the database or the
calendar: amounts a money column holds, days the calendars can add to, 64-bit keys, and download names
a header can carry (RFC 6266 / RFC 5987)."""

from __future__ import annotations

import datetime as dt
import unicodedata
from decimal import Decimal
from typing import Annotated
from urllib.parse import quote

from pydantic import Field

from arcollect.errors import InvalidInput
from arcollect.money import MAX_AMOUNT

AMOUNT_PATTERN = r"^[0-9]{1,12}(\.[0-9]{1,4})?$"  # the API's amount strings: at most MAX_AMOUNT

# The days a ledger, a run or a report can be for: calendars and aging buckets add years to them.
FIRST_DAY = dt.date(1970, 1, 1)
LAST_DAY = dt.date(2199, 12, 31)
_DAYS = f"a day between {FIRST_DAY.isoformat()} and {LAST_DAY.isoformat()}"
# JSON Schema has no bounds for dates: the years go into the OpenAPI document as a pattern, so clients and
# schemathesis see the range the server enforces.
_YEARS = {"pattern": r"^(19[7-9][0-9]|2[01][0-9][0-9])-[0-9]{2}-[0-9]{2}$"}
Day = Annotated[dt.date, Field(ge=FIRST_DAY, le=LAST_DAY, description=_DAYS, json_schema_extra=_YEARS)]  # JSON body


def __getattr__(name: str) -> object:
    """DayQuery, a query's optional day, is built on first use: FastAPI loads with the web app, not with
    every command that checks a date."""
    if name == "DayQuery":
        from fastapi import Query

        value = Annotated[dt.date | None, Query(ge=FIRST_DAY, le=LAST_DAY, description=_DAYS, json_schema_extra=_YEARS)]
        globals()["DayQuery"] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


MAX_PK = 2**63 - 1  # BIGINT on PostgreSQL, INTEGER on SQLite


def check_amount(amount: Decimal, field: str) -> Decimal:
    """``amount`` if a money column holds it (MAX_AMOUNT), else InvalidInput naming ``field``."""
    if abs(amount) > MAX_AMOUNT:
        raise InvalidInput(f"{field}: {amount} is too large (at most {MAX_AMOUNT:,})")
    return amount


def check_day(day: dt.date | None, field: str) -> dt.date | None:
    """``day`` if within FIRST_DAY–LAST_DAY (None passes), else InvalidInput naming ``field``."""
    if day is not None and not FIRST_DAY <= day <= LAST_DAY:
        raise InvalidInput(f"{field}: {day.isoformat()} is outside {FIRST_DAY.isoformat()} – {LAST_DAY.isoformat()}")
    return day


def parse_pk(text: str | int | None) -> int | None:
    """A surrogate key from a path or form (ASCII digits, 1 … 2^63−1); None when it cannot be one, so
    the caller answers "not found" instead of the database overflowing."""
    if isinstance(text, int):
        return text if 0 < text <= MAX_PK else None
    if not text or not text.isascii() or not text.isdigit() or len(text) > 19:
        return None
    value = int(text)
    return value if 0 < value <= MAX_PK else None


def content_disposition(kind: str, filename: str) -> str:
    """``attachment``/``inline`` with the name twice: an ASCII fallback for old clients and the exact
    name as UTF-8 in ``filename*`` (RFC 5987), so any name downloads and no quote or newline escapes."""
    name = " ".join(filename.replace("\\", "/").rsplit("/", 1)[-1].split()) or "download"
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    ascii_name = "".join(ch if ch.isprintable() and ch not in '"%;' else "_" for ch in ascii_name).strip() or "download"
    return f"{kind}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"
