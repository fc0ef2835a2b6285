"""Exchange rates for the optional reporting-currency figure of the reports (metrics, roll-forward, forecast).

Configured by two settings: ``fx_rates_file``, a CSV file of rates with the columns ``date,from,to,rate``
(one row: on that date 1 unit of FROM = RATE units of TO), and ``reporting_currency`` (default: the
``base_currency``). Without a rates file no report shows a reporting figure: every figure stays in its own
currency. For a report as of a date, each currency is converted at its latest rate dated on or before that
date — the direct pair FROM→TO if the file has one, else 1 ÷ the reverse pair's rate — and the report
says which rate and which date it used. A currency without a rate by then is named as missing and the
reporting figure is not given (a total that leaves a currency out would be wrong). Decimal throughout:
amounts are multiplied exactly and rounded to the reporting currency's minor units once, at the end.
"""

from __future__ import annotations

import bisect
import csv
import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation, localcontext
from pathlib import Path
from typing import Any, Iterable

from arcollect.errors import InvalidInput

COLUMNS = ("date", "from", "to", "rate")
_CURRENCY = re.compile(r"^[A-Z]{3}$")
ONE = Decimal(1)
MAX_ROWS = 1_000_000


@dataclass(frozen=True)
class Rate:
    source: str  # 1 unit of source …
    target: str  # … = rate units of target
    on: dt.date
    rate: Decimal
    inverted: bool = False  # taken as 1 ÷ the reverse pair's rate

    def describe(self) -> dict[str, Any]:
        out: dict[str, Any] = {"rate": f"{self.rate:f}", "date": self.on.isoformat(), "pair": f"{self.source}/{self.target}"}
        if self.inverted:
            out["inverted_from"] = f"{self.target}/{self.source}"
        return out


class Rates:
    """The rates of a file, indexed per pair by date."""

    def __init__(self, rows: Iterable[Rate], source: str = "") -> None:
        self.source = source
        pairs: dict[tuple[str, str], list[Rate]] = {}
        for r in rows:
            pairs.setdefault((r.source, r.target), []).append(r)
        self._pairs = {k: sorted(v, key=lambda r: r.on) for k, v in pairs.items()}
        self._dates = {k: [r.on for r in v] for k, v in self._pairs.items()}

    def _latest(self, pair: tuple[str, str], on: dt.date) -> Rate | None:
        dates = self._dates.get(pair)
        if not dates:
            return None
        i = bisect.bisect_right(dates, on)
        return self._pairs[pair][i - 1] if i else None

    def find(self, source: str, target: str, on: dt.date) -> Rate | None:
        """The rate converting source into target as of the date (None when the file has none by then)."""
        if source == target:
            return Rate(source, target, on, ONE)
        direct, reverse = self._latest((source, target), on), self._latest((target, source), on)
        if direct is not None and (reverse is None or direct.on >= reverse.on):
            return direct
        if reverse is None:
            return None
        with localcontext() as c:
            c.prec = 28
            return Rate(source, target, reverse.on, ONE / reverse.rate, inverted=True)


def parse_rates(lines: Iterable[str], name: str) -> Rates:
    """Read a rates CSV; a bad row is an error naming the file, the line and the field."""
    reader = csv.reader(lines)
    header = next(reader, None)
    if header is None or [h.strip().lower() for h in header] != list(COLUMNS):
        raise InvalidInput(f"{name}: line 1: the header must be {','.join(COLUMNS)}")
    rows = []
    for line, cells in enumerate(reader, start=2):
        if not any(c.strip() for c in cells):
            continue
        if len(rows) >= MAX_ROWS:
            raise InvalidInput(f"{name}: more than {MAX_ROWS:,} rates")
        if len(cells) != len(COLUMNS):
            raise InvalidInput(f"{name}: line {line}: {len(cells)} fields, expected {len(COLUMNS)} ({','.join(COLUMNS)})")
        day, source, target, rate = (c.strip() for c in cells)
        try:
            on = dt.date.fromisoformat(day)
        except ValueError:
            raise InvalidInput(f"{name}: line {line}: date {day!r} is not YYYY-MM-DD") from None
        for field, code in (("from", source), ("to", target)):
            if not _CURRENCY.match(code):
                raise InvalidInput(f"{name}: line {line}: {field} {code!r} is not a currency code (3 capital letters)")
        if source == target:
            raise InvalidInput(f"{name}: line {line}: from and to are both {source}")
        try:
            value = Decimal(rate)
        except InvalidOperation:
            raise InvalidInput(f"{name}: line {line}: rate {rate!r} is not a decimal number") from None
        if not value.is_finite() or value <= 0:
            raise InvalidInput(f"{name}: line {line}: rate {rate!r} must be a positive number")
        rows.append(Rate(source, target, on, value))
    return Rates(rows, source=name)


def load_rates(path: Path) -> Rates:
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            return parse_rates(handle, str(path))
    except OSError as exc:
        raise InvalidInput(f"fx_rates_file {path}: cannot be read ({exc.strerror or exc})") from None


@dataclass
class Reporting:
    """The conversion of one report into the reporting currency as of a date."""

    currency: str
    as_of: dt.date
    rates: dict[str, Rate]
    missing: list[str]
    source: str

    @property
    def complete(self) -> bool:
        return not self.missing

    def convert(self, amount: Decimal, currency: str) -> Decimal:
        """The exact converted amount (unrounded: round the sums with money.quantize)."""
        return amount * self.rates[currency].rate

    def describe(self) -> dict[str, Any]:
        out: dict[str, Any] = {"currency": self.currency, "as_of": self.as_of.isoformat(),
                               "rates": {c: r.describe() for c, r in sorted(self.rates.items()) if c != self.currency},
                               "source": self.source,
                               "method": "each currency at its latest rate dated on or before as_of"}
        if self.missing:
            out["missing"] = sorted(self.missing)
        return out


def reporting(settings: Any, currencies: Iterable[str], on: dt.date) -> Reporting | None:
    """The reporting conversion for these currencies as of the date; None when no rates file is configured."""
    path = getattr(settings, "fx_rates_file", None)
    if not path:
        return None
    path = Path(path)
    if not path.is_absolute():
        path = Path(settings.home) / path
    rates = load_rates(path)
    target = (getattr(settings, "reporting_currency", "") or settings.base_currency).upper()
    found, missing = {}, []
    for cur in sorted(set(currencies)):
        rate = rates.find(cur, target, on)
        if rate is None:
            missing.append(cur)
        else:
            found[cur] = rate
    return Reporting(currency=target, as_of=on, rates=found, missing=missing, source=path.name)
