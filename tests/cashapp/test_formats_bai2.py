"""BAI2: 88 continuations, RMR remittance, funds types, control totals (synthetic files)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from arcollect.cashapp.formats import detect, parse
from arcollect.cashapp.shapes import BankFileError, DocumentRef


def bai2_file(txn_records: list[str], *, opening: int = 100000, closing: int = 250000, account_total: int | None = None,
              currency: str = "USD") -> bytes:
    """A one-group, one-account BAI2 file whose trailers add up (unless told otherwise)."""
    amounts = [int(r.split(",")[2]) for r in txn_records if r.startswith("16,")]
    records = ["01,BANK,ACME,260301,0800,FILE42,,,2/", f"02,ACME,BANK,1,260301,0800,{currency},2/",
               f"03,123456789,,010,{opening},,,015,{closing},,/", *txn_records]
    account_records = len(records) - 2 + 1
    total = opening + closing + sum(amounts) if account_total is None else account_total
    records += [f"49,{total},{account_records}/", f"98,{total},1,{account_records + 2}/",
                f"99,{total},1,{account_records + 4}/"]
    return ("\n".join(records) + "\n").encode()


def test_credit_with_88_continuations_and_rmr_documents():
    data = bai2_file(["16,195,150000,,BR123,CR9,ACME WIRE FROM GLOBEX",
                      "88,RMR*IV*INV-1001**1000.00\\RMR*IV*INV-1002**",
                      "88,500.00\\ REF PO 77"])
    (st,) = parse(data, "wire.bai")
    assert detect(data, "wire.bai") == "bai2"
    assert (st.format, st.account, st.currency) == ("bai2", "123456789", "USD")
    assert (st.opening, st.closing, st.balance_check) == (Decimal("1000.00"), Decimal("2500.00"), "ok")
    (line,) = st.lines
    assert line.amount == Decimal("1500.00") and line.is_credit
    assert (line.reference, line.end_to_end_id, line.bank_code) == ("BR123", "CR9", "195")
    assert line.booking_date == dt.date(2026, 3, 1)
    assert line.remittance == ("ACME WIRE FROM GLOBEX", "RMR*IV*INV-1001**1000.00\\RMR*IV*INV-1002**",
                               "500.00\\ REF PO 77")
    assert line.documents == (DocumentRef("invoice", "INV-1001", Decimal("1000.00"), "RMR*IV"),
                              DocumentRef("invoice", "INV-1002", Decimal("500.00"), "RMR*IV"))
    assert line.location == "line 4"


def test_debits_funds_types_and_value_date():
    data = bai2_file(["16,475,2500,V,260302,,CHK1,,CHECK PAID",
                      "16,142,200000,S,100000,50000,50000,ACH1,,ACH CREDIT",
                      "16,142,52500,D,2,0,50000,1,2500,ACH2,,/"],
                     opening=100000, closing=350000)
    (st,) = parse(data, "f.bai")
    debit, s_credit, d_credit = st.lines
    assert debit.amount == Decimal("-25.00") and debit.value_date == dt.date(2026, 3, 2)
    assert (debit.reference, debit.remittance) == ("CHK1", ("CHECK PAID",))
    assert (s_credit.amount, s_credit.reference) == (Decimal("2000.00"), "ACH1")
    assert (d_credit.amount, d_credit.reference, d_credit.remittance) == (Decimal("525.00"), "ACH2", ())
    assert (st.credits, st.debits, st.balance_check) == (Decimal("2525.00"), Decimal("25.00"), "ok")


def test_currency_from_the_account_record_and_minor_units():
    data = bai2_file(["16,165,1500,,R1,,"], opening=0, closing=1500, currency="JPY")
    (st,) = parse(data, "jpy.bai")
    assert st.currency == "JPY" and st.lines[0].amount == Decimal("1500")


def test_account_total_mismatch_names_the_49_line():
    data = bai2_file(["16,195,150000,,BR1,,X"], account_total=1)
    with pytest.raises(BankFileError) as err:
        parse(data, "bad.bai")
    assert any(p.startswith("bad.bai: line 5: account control total 1 disagrees") for p in err.value.problems)


def test_record_count_and_file_trailer_problems():
    lines = bai2_file(["16,195,150000,,BR1,,X"]).decode().splitlines()
    lines[-1] = "99,999,1,3/"
    with pytest.raises(BankFileError) as err:
        parse("\n".join(lines).encode(), "t.bai")
    text = "\n".join(err.value.problems)
    assert "line 7: file control total 999 disagrees" in text and "file record count '3'" in text


def test_missing_trailer_and_unknown_type_code_are_errors():
    with pytest.raises(BankFileError, match="99"):
        parse(b"01,B,A,260301,0800,1,,,2/\n02,A,B,1,260301,,USD,2/\n", "cut.bai")
    with pytest.raises(BankFileError) as err:
        parse(bai2_file(["16,999,100,,R,,"]), "code.bai")
    assert "type code '999'" in err.value.problems[0]


def test_trailing_slash_optional_and_blank_account_total():
    data = b"01,B,A,260301,0800,1,,,2/\n02,A,B,1,260301,,,2/\n03,1,,/\n49,,2/\n98,0,1,4/\n99,0,1,6\n"
    (st,) = parse(data, "blank.bai")
    assert (st.currency, st.lines, st.balance_check) == ("USD", (), "n/a")
