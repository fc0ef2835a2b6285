"""MT940/MT942: statements, balances, :61: fields, structured :86: (German ?-subfields, Dutch /KEY/)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from arcollect.cashapp.formats import detect, parse
from arcollect.cashapp.shapes import BankFileError

GERMAN = """{1:F01COBADEFFAXXX0000000000}{2:O940COBADEFFXXXXN}{4:
:20:STARTUMS
:25:37040044/0532013000EUR
:28C:00012/001
:60F:C260301EUR1000,00
:61:2603020302CR1500,00NTRFINV-1001//BANKREF1
:86:166?00GUTSCHRIFT?109310?20EREF+E2E-77?21SVWZ+Rechnung INV-1001 und I
?22NV-1002?30COBADEFFXXX?31DE89370400440532013000?32GLOBEX GMBH?33 BERLIN
:61:260303D25,5NCHGNONREF//FEE1
:86:805?00ENTGELT?20Kontofuehrung
:62F:C260303EUR2474,50
-}
"""

DUTCH = """:940:
:20:940S260301
:25:NL91ABNA0417164300 EUR
:28C:5
:60F:D260301EUR10,00
:61:260302C110,00NTRFEREF//REF-9
:86:/EREF/E2E-9//CNTP/NL20INGB0001234567/INGBNL2A/ACME BV/AMSTERDAM//RE
MI/USTD//Factuur 2026-0042/
:61:260302RD5,00NTRFNONREF//REV1
:86:/TRTP/SEPA OVERBOEKING/IBAN/NL20INGB0001234567/BIC/INGBNL2A/NAME/ACME BV/REMI/Order 7/EREF/NOTPROVIDED
:62F:C260302EUR105,00
:20:940S260303
:25:NL91ABNA0417164300 EUR
:28C:6
:60F:C260302EUR105,00
:61:260303C1,00NTRF
:86:free text line one
line two
:62F:C260303EUR106,00
"""


def test_german_statement_with_structured_86():
    data = GERMAN.encode("latin-1")
    assert detect(data, "x.sta") == "mt940"
    (st,) = parse(data, "x.sta")
    assert (st.format, st.account, st.currency, st.statement_id) == ("mt940", "37040044/0532013000", "EUR",
                                                                     "STARTUMS/00012/001")
    assert (st.opening, st.closing, st.balance_check) == (Decimal("1000.00"), Decimal("2474.50"), "ok")
    assert (st.opening_date, st.closing_date) == (dt.date(2026, 3, 1), dt.date(2026, 3, 3))
    credit, fee = st.lines
    assert (credit.amount, credit.reference, credit.bank_code) == (Decimal("1500.00"), "BANKREF1", "NTRF")
    assert (credit.booking_date, credit.value_date) == (dt.date(2026, 3, 2), dt.date(2026, 3, 2))
    assert (credit.payer_name, credit.payer_account, credit.payer_bic) == ("GLOBEX GMBH BERLIN",
                                                                           "DE89370400440532013000", "COBADEFFXXX")
    assert credit.end_to_end_id == "E2E-77"
    assert credit.remittance == ("EREF+E2E-77 SVWZ+Rechnung INV-1001 und INV-1002",)
    assert (fee.amount, fee.reference, fee.end_to_end_id) == (Decimal("-25.5"), "FEE1", None)
    assert credit.location == "line 6"


def test_dutch_statements_slash_keys_reversal_and_free_text():
    first, second = parse(DUTCH.encode(), "rabo.swi")
    assert (first.account, first.currency, first.opening, first.closing) == ("NL91ABNA0417164300", "EUR",
                                                                             Decimal("-10.00"), Decimal("105.00"))
    pay, reversal = first.lines
    assert (pay.payer_name, pay.payer_account, pay.payer_bic) == ("ACME BV", "NL20INGB0001234567", "INGBNL2A")
    assert (pay.end_to_end_id, pay.remittance, pay.reference) == ("E2E-9", ("Factuur 2026-0042",), "REF-9")
    assert (reversal.amount, reversal.reversal, reversal.payer_name) == (Decimal("5.00"), True, "ACME BV")
    assert (reversal.remittance, reversal.end_to_end_id) == (("Order 7",), None)
    assert first.balance_check == "ok" and second.balance_check == "ok"
    assert second.lines[0].remittance == ("free text line one\nline two",)


def test_mt942_totals_and_february_30():
    data = b""":20:INTRADAY
:25:DE89370400440532013000
:28C:1/1
:34F:EURD0,
:13D:2602301015+0100
:61:2602300301C10,00NTRFNONREF
:90D:0EUR0,00
:90C:1EUR10,00
"""
    (st,) = parse(data, "i.942")
    assert (st.format, st.opening, st.stated_credits, st.balance_check) == ("mt942", None, Decimal("10.00"), "n/a")
    (line,) = st.lines
    assert (line.value_date, line.booking_date) == (dt.date(2026, 2, 28), dt.date(2026, 3, 1))


def test_edge_files():
    assert parse(b"", "empty.sta", fmt="mt940") == []
    assert parse(b"\n:20:TELEREPORTING\n:NS:\n", "e.sta") == []
    with pytest.raises(BankFileError, match=r"line 1: unknown tag '9401'"):
        parse(b":9401:\n:20:X\n:25:1\n:60F:C260101EUR1,00\n", "wrong.940")
    with pytest.raises(BankFileError) as err:
        parse(b":20:X\n:25:1\n:60F:C260101EUR1,00\n:61:26XX01C5,00\n", "bad.sta")
    assert err.value.problems == ["bad.sta: line 4: :61: '26XX01C5,00' is not a statement line "
                                  "(YYMMDD[MMDD] C/D amount code)"]
    with pytest.raises(BankFileError, match="no :25: account"):
        parse(b":20:X\n:61:260101C5,00NTRF\n", "noacct.sta")
