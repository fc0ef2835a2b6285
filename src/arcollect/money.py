"""Money: Decimal quantized to ISO 4217 minor units, one rounding helper, exact allocation, display.

Floats are rejected, never converted. Every rounding in arcollect goes through ``quantize``
(explicit ROUND_HALF_UP, never the ambient decimal context).
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache
from typing import Iterable, Sequence

from babel.numbers import format_currency, list_currencies

# ISO 4217 minor units that differ from the common 2 (CLDR's "digits" disagree with ISO for a few
# currencies, so the ISO table is kept here explicitly).
_ISO_MINOR_UNITS: dict[str, int] = {
    **{c: 0 for c in ("BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF",
                      "UGX", "UYI", "VND", "VUV", "XAF", "XOF", "XPF")},
    **{c: 3 for c in ("BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND")},
    **{c: 4 for c in ("CLF", "UYW")},
}
# Storage scale: every stored amount has at most this many decimals (the largest ISO minor unit).
STORAGE_SCALE = 4
# One document's amount: strictly below one trillion in its currency. NUMERIC(19, 4) holds < 10^15 and
# SQLite's 1/10,000ths must fit 64 bits (< 9.22 × 10^14); the margin keeps sums over a book in range.
MAX_AMOUNT = Decimal("999999999999.99")
_AMOUNT_RE = re.compile(r"^[+-]?(\d+)(\.(\d*))?$")


@lru_cache(maxsize=None)
def _known_currencies() -> frozenset[str]:
    return frozenset(list_currencies())


def is_currency(code: str) -> bool:
    # XXX (no currency) and XTS (testing) are ISO codes but never a receivable's currency
    return bool(re.fullmatch(r"[A-Z]{3}", code or "")) and code in _known_currencies() and code not in ("XXX", "XTS")


def check_currency(code: str) -> str:
    """Return the upper-cased code or raise ValueError naming it."""
    normalized = (code or "").strip().upper()
    if not is_currency(normalized):
        raise ValueError(f"unknown currency code {code!r} (expected ISO 4217, e.g. USD)")
    return normalized


def minor_units(currency: str) -> int:
    return _ISO_MINOR_UNITS.get(currency, 2)


@lru_cache(maxsize=None)
def _exponent(currency: str) -> Decimal:
    return Decimal(1).scaleb(-minor_units(currency))


def to_decimal(value: object) -> Decimal:
    """Exact conversion of str/int/Decimal to Decimal; float is refused (it is already inexact)."""
    if isinstance(value, bool):
        raise TypeError("a boolean is not an amount")
    if isinstance(value, float):
        raise TypeError(f"float {value!r} refused: money must be Decimal, int or a decimal string")
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, str):
        try:
            result = Decimal(value.strip())
        except InvalidOperation as exc:
            raise ValueError(f"{value!r} is not a decimal number") from exc
        if not result.is_finite():
            raise ValueError(f"{value!r} is not a finite amount")
        return result
    raise TypeError(f"{type(value).__name__} is not an amount")


def quantize(amount: Decimal | int | str, currency: str) -> Decimal:
    """Round to the currency's minor units, half up. The one rounding helper."""
    if type(amount) is not Decimal:
        amount = to_decimal(amount)
    return amount.quantize(_exponent(currency), rounding=ROUND_HALF_UP)


def zero(currency: str) -> Decimal:
    return quantize(0, currency)


def parse_amount(text: str, currency: str) -> Decimal:
    """Parse an amount as written in an import file: '.' separator, at most the minor-unit digits."""
    raw = (text or "").strip()
    match = _AMOUNT_RE.match(raw)
    if not match:
        raise ValueError(f"{text!r} is not a decimal number (use '.' as the decimal separator, no thousands separator)")
    decimals = match.group(3) or ""
    digits = minor_units(currency)
    if len(decimals.rstrip("0")) > digits:
        raise ValueError(f"{text!r} has more than {digits} decimals, the minor units of {currency}")
    value = Decimal(raw)
    if len(match.group(1).lstrip("0")) > 15 or abs(quantize(value, currency)) > MAX_AMOUNT:
        raise ValueError(f"{text!r} is too large (at most {MAX_AMOUNT:,})")
    return quantize(value, currency)


def money_str(amount: Decimal, currency: str) -> str:
    """The contract's money string: exactly the currency's minor-unit digits, no grouping."""
    return f"{quantize(amount, currency):f}"


def money_strs(amounts: Iterable[Decimal], currency: str) -> list[str]:
    """``money_str`` of many amounts of one currency (a report's row): the same strings, the rounding looked up
    once (an aging of 20k customers formats 200k amounts)."""
    unit = _exponent(currency)
    return [f"{(a if type(a) is Decimal else to_decimal(a)).quantize(unit, rounding=ROUND_HALF_UP):f}"
            for a in amounts]


def allocate(total: Decimal, weights: Sequence[Decimal | int], currency: str) -> list[Decimal]:
    """Split ``total`` over ``weights`` (largest remainder) so that the parts add up to the cent."""
    if not weights:
        raise ValueError("nothing to allocate over")
    total = quantize(total, currency)
    ws = [to_decimal(w) for w in weights]  # each converted once (the forecast splits every open invoice)
    wsum = sum(ws, Decimal(0))
    if wsum <= 0 or any(w < 0 for w in ws):
        raise ValueError("allocation weights must be non-negative and not all zero")
    unit = _exponent(currency)
    units_total = int(total / unit)
    whole = Decimal(units_total)
    raw = [whole * w / wsum for w in ws]
    floors = [int(r.to_integral_value(rounding="ROUND_FLOOR")) for r in raw]
    remainder = units_total - sum(floors)
    if remainder:
        order = sorted(range(len(raw)), key=lambda i: (-(raw[i] - floors[i]), i))
        step = 1 if remainder >= 0 else -1
        for i in order[: abs(remainder)]:
            floors[i] += step
    return [Decimal(f) * unit for f in floors]  # whole units × the unit: already at the currency's digits


def sum_money(amounts: Iterable[Decimal], currency: str) -> Decimal:
    return quantize(sum(amounts, Decimal(0)), currency)


def format_money(amount: Decimal, currency: str, locale: str = "en_US") -> str:
    """Display form for people (grouping, symbol), per locale."""
    return format_currency(quantize(amount, currency), currency, locale=locale,
                           currency_digits=True, format_type="standard",
                           decimal_quantization=False)
