"""Detection by content, input bounds and statement continuity."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from arcollect.cashapp.formats import continuity, detect, parse
from arcollect.cashapp.shapes import BankFileError, ParsedStatement


@pytest.mark.parametrize(("data", "kind"), [
    (b"01,BANK,ACME,260301,0800,1,,,2/\n", "bai2"),
    (b'\xef\xbb\xbf<?xml version="1.0"?><Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.08">', "camt"),
    (b"PK\x03\x04rest", "camt"),
    (b"{1:F01BANK}{2:O940}{4:\n:20:X\n", "mt940"),
    (b":20:X\r\n:25:NL91ABNA0417164300\r\n", "mt940"),
    (b"date,amount\n2026-01-01,1\n", "csv"),
    (b"<html></html>", "csv"),
])
def test_detect(data, kind):
    assert detect(data, "whatever.txt") == kind


def test_size_limit_and_unknown_format():
    with pytest.raises(BankFileError, match="more than the 10 allowed"):
        parse(b"01," + b"x" * 20, "big.bai", max_bytes=10)
    with pytest.raises(BankFileError, match="unknown format"):
        parse(b"", "x", fmt="qif")


def _st(opening, closing, start, end):
    return ParsedStatement("mt940", "A", "EUR", (), opening=opening, closing=closing,
                           opening_date=start, closing_date=end)


def test_continuity():
    d = dt.date
    prev = _st(Decimal(0), Decimal(10), d(2026, 3, 1), d(2026, 3, 2))
    assert continuity(None, prev) is None
    assert continuity(prev, _st(Decimal(10), Decimal(20), d(2026, 3, 2), d(2026, 3, 3))) is None
    assert continuity(prev, _st(Decimal(10), Decimal(20), d(2026, 3, 6), d(2026, 3, 7))) is None  # a weekend
    assert continuity(prev, _st(Decimal(12), Decimal(20), d(2026, 3, 3), d(2026, 3, 3))) == "gap"
    assert continuity(prev, _st(Decimal(10), Decimal(20), d(2026, 3, 1), d(2026, 3, 3))) == "overlap"
