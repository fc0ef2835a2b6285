"""CSV bank exports with a column mapping."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from arcollect.cashapp.formats import CsvMapping, detect, parse
from arcollect.cashapp.shapes import BankFileError

GERMAN = ("Buchungstag;Betrag;Auftraggeber;IBAN;Verwendungszweck;Buchungstext\n"
          "02.03.2026;1.500,00;Globex GmbH;DE89 3704 0044 0532 0130 00;RE INV-1001;GUTSCHRIFT\n"
          "\n"
          "03.03.2026;-25,50;Bank;;Gebuehr;ENTGELT\n").encode("cp1252")

SPEC = ("date=Buchungstag,amount=Betrag,fixed_currency=EUR,payer=Auftraggeber,payer_account=IBAN,"
        "text=Verwendungszweck,text=Buchungstext,date_format=%d.%m.%Y,decimal=comma,thousands=dot,"
        "encoding=cp1252,account=DE02120300000000202051")


def test_mapping_with_comma_decimals_and_sniffed_semicolons():
    mapping = CsvMapping.from_spec(SPEC)
    assert mapping.text == ("Verwendungszweck", "Buchungstext") and mapping.decimal == ","
    assert detect(GERMAN, "umsatz.csv") == "csv"
    (st,) = parse(GERMAN, "umsatz.csv", mapping=mapping)
    assert (st.format, st.account, st.currency, st.balance_check) == ("csv", "DE02120300000000202051", "EUR", "n/a")
    credit, fee = st.lines
    assert (credit.booking_date, credit.amount) == (dt.date(2026, 3, 2), Decimal("1500.00"))
    assert (credit.payer_name, credit.payer_account) == ("Globex GmbH", "DE89370400440532013000")
    assert credit.remittance == ("RE INV-1001", "GUTSCHRIFT") and credit.location == "line 2"
    assert fee.amount == Decimal("-25.50") and fee.location == "line 4"


def test_credit_debit_columns_and_currency_column():
    data = b"date,in,out,ccy,ref\n2026-03-01,100.00,,USD,A1\n2026-03-01,,40.00,EUR,A2\n2026-03-02,(5.00),,USD,A3\n"
    mapping = CsvMapping(date="date", credit="in", debit="out", currency="ccy", reference="#5")
    usd, eur = parse(data, "x.csv", mapping=mapping)
    assert [ln.amount for ln in usd.lines] == [Decimal("100.00"), Decimal("5.00")]
    assert (eur.currency, eur.lines[0].amount, eur.lines[0].reference) == ("EUR", Decimal("-40.00"), "A2")


def test_line_errors_name_file_line_and_column():
    data = b"date,amount\n2026-03-01,12.x\n31.02.2026,5\n"
    with pytest.raises(BankFileError) as err:
        parse(data, "bad.csv", mapping=CsvMapping(date="date", amount="amount", fixed_currency="USD"))
    assert err.value.problems == ["bad.csv:2: amount: '12.x' is not an amount",
                                  "bad.csv:3: date: '31.02.2026' is not a date (%Y-%m-%d)"]
    with pytest.raises(BankFileError, match="Datum: no such column"):
        parse(data, "bad.csv", mapping=CsvMapping(date="Datum", amount="amount", fixed_currency="USD"))


def test_invalid_mappings_and_specs():
    with pytest.raises(BankFileError, match="amount"):
        CsvMapping(date="d", fixed_currency="EUR")
    with pytest.raises(BankFileError, match="currency"):
        CsvMapping(date="d", amount="a")
    with pytest.raises(BankFileError, match="colour"):
        CsvMapping.from_spec("date=d,amount=a,fixed_currency=EUR,colour=red")
    with pytest.raises(BankFileError, match="needs a column mapping"):
        parse(b"a,b\n1,2\n", "x.csv")
