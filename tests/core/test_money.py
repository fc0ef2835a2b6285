"""Money: quantization to ISO minor units, float refusal, exact allocation, strict parsing."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from arcollect.money import allocate, check_currency, format_money, minor_units, money_str, parse_amount, quantize, to_decimal


def test_minor_units_follow_iso_4217():
    assert (minor_units("USD"), minor_units("JPY"), minor_units("KWD"), minor_units("CLF")) == (2, 0, 3, 4)


def test_quantize_rounds_half_up_regardless_of_ambient_context():
    import decimal

    with decimal.localcontext() as c:
        c.rounding = decimal.ROUND_HALF_EVEN
        assert quantize(Decimal("2.675"), "USD") == Decimal("2.68")
        assert quantize(Decimal("0.125"), "USD") == Decimal("0.13")
        assert quantize(Decimal("2.5"), "JPY") == Decimal("3")


def test_floats_are_refused_not_converted():
    with pytest.raises(TypeError, match="float"):
        to_decimal(0.1)
    with pytest.raises(TypeError):
        quantize(0.1, "USD")


def test_parse_amount_rejects_more_decimals_than_the_currency_has():
    assert parse_amount("10.50", "USD") == Decimal("10.50")
    assert parse_amount("10.500", "USD") == Decimal("10.50")  # trailing zeros are not extra precision
    with pytest.raises(ValueError, match="more than 2 decimals"):
        parse_amount("10.505", "USD")
    with pytest.raises(ValueError, match="more than 0 decimals"):
        parse_amount("100.5", "JPY")
    with pytest.raises(ValueError, match="decimal separator"):
        parse_amount("1,000.00", "USD")


def test_unknown_currency_is_named_in_the_error():
    with pytest.raises(ValueError, match="XYZ"):
        check_currency("XYZ")
    assert check_currency("eur") == "EUR"


@given(total=st.decimals(min_value=Decimal("0.01"), max_value=Decimal("1000000"), places=2),
       weights=st.lists(st.integers(min_value=0, max_value=1000), min_size=1, max_size=12).filter(any))
def test_allocation_never_loses_or_creates_a_cent(total, weights):
    parts = allocate(total, weights, "USD")
    assert sum(parts) == total
    assert all(p == quantize(p, "USD") for p in parts)
    assert all(p >= 0 for p in parts)


def test_allocation_gives_the_odd_cent_to_the_largest_remainder():
    assert allocate(Decimal("100.00"), [1, 1, 1], "USD") == [Decimal("33.34"), Decimal("33.33"), Decimal("33.33")]


def test_display_and_contract_strings():
    assert money_str(Decimal("5"), "USD") == "5.00"
    assert money_str(Decimal("5"), "JPY") == "5"
    assert format_money(Decimal("1234.5"), "EUR", "de_DE") == "1.234,50\xa0€"


def test_display_shows_each_currencys_own_minor_units() -> None:
    """A yen amount has no decimals on a page, a dinar three (it read "¥1,000.00" before)."""
    from arcollect.money import format_money

    assert format_money(Decimal("1000"), "JPY") == "¥1,000"
    assert format_money(Decimal("1.234"), "KWD").endswith("1.234")
    assert format_money(Decimal("1234.5"), "USD") == "$1,234.50"


def test_money_strs_gives_each_amount_the_string_money_str_gives_it():
    from decimal import Decimal

    from arcollect.money import money_str, money_strs

    amounts = [Decimal("0.005"), Decimal("-0.005"), Decimal("12.3400"), Decimal(7), Decimal("1E+3")]
    for currency in ("USD", "JPY", "BHD"):
        assert money_strs(amounts, currency) == [money_str(a, currency) for a in amounts]
