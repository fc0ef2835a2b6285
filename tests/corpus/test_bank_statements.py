"""Real bank statement files (parser test suites, SOURCES.md §4) read with the expectations their suites state.

Run with ARCOLLECT_CORPUS pointing at ../shared/data; the files stay there (never copied into the repo)."""

from __future__ import annotations

import datetime as dt
import json
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest

from arcollect.cashapp.formats import parse
from arcollect.cashapp.shapes import BankFileError

D = Decimal


@pytest.fixture(scope="module")
def bank(corpus: Path) -> Path:
    path = corpus / "bank_statements"
    if not path.is_dir():
        pytest.skip(f"{path} is missing")
    return path


def read(bank: Path, rel: str, fmt: str = "auto"):
    return parse((bank / rel).read_bytes(), rel, fmt=fmt)


# ---- BAI2 (ministryofjustice/bai2) ------------------------------------------------------------------
def test_bai2_citi(bank):
    (st,) = read(bank, "bai2/ministryofjustice_bai2/citi_example.bai2")
    assert (st.currency, st.account, len(st.lines)) == ("GBP", "77777777", 1)
    line = st.lines[0]
    assert (line.bank_code, line.amount, line.reference) == ("191", D("0.01"), "1234567890")
    assert len(line.remittance) == 7 and line.remittance[0] == "FR:FP SIP INCOMING"  # seven 88 continuations


def test_bai2_natwest(bank):
    (st,) = read(bank, "bai2/ministryofjustice_bai2/nwb_example.bai2")
    assert (st.currency, len(st.lines), st.balance_check) == ("GBP", 5, "ok")
    assert (st.stated_credits, st.stated_debits) == (st.credits, st.debits) == (D("0.89"), D("27.65"))


def test_bai2_svb_two_groups_no_trailing_slash(bank):
    statements = read(bank, "bai2/ministryofjustice_bai2/svb_us_example.bai2")
    assert [len(s.lines) for s in statements] == [1, 1]
    assert all(s.currency == "USD" and s.balance_check == "ok" for s in statements)
    assert statements[0].closing == statements[1].opening == D("352171.75")


def test_bai2_blank_account_trailer_amount(bank):
    statements = read(bank, "bai2/ministryofjustice_bai2/account_trailer_amount_blank_example.bai2")
    assert [s.account for s in statements] == ["12345", "54321"] and not any(s.lines for s in statements)


# ---- MT940 (WoLpH/mt940 and OCA) ----------------------------------------------------------------------
# file: (transactions, last statement's opening, its closing, currency)
MT940 = {
    "wolph_mt940/jejik/abnamro.sta": (10, "2876.84", "1849.75", "EUR"),
    "wolph_mt940/jejik/ing.sta": (7, "0.00", "3.47", "EUR"),
    "wolph_mt940/jejik/knab.sta": (3, "3058.98", "798.98", "EUR"),
    "wolph_mt940/jejik/postfinance.sta": (4, "229.2", "159.6", "CHF"),
    "wolph_mt940/jejik/rabobank.sta": (5, "4196.12", "4101.82", "EUR"),
    "wolph_mt940/jejik/rabobank-iban.sta": (4, "965.00", "930.00", "EUR"),
    "wolph_mt940/jejik/sns.sta": (2, "1209.56", "1209.56", "EUR"),
    "wolph_mt940/jejik/triodos.sta": (2, "4975.09", "4370.79", "EUR"),
    "wolph_mt940/betterplace/sepa_mt9401.sta": (97, None, "50.05", "EUR"),
    "wolph_mt940/betterplace/sepa_snippet.sta": (11, "-1970431.87", "-4472049.09", "EUR"),
    "wolph_mt940/betterplace/with_binary_character.sta": (4, "130073.19", "131193.19", "EUR"),
    "wolph_mt940/cmxl/mt940.sta": (16, "40000.00", "50040.00", "PLN"),
    "wolph_mt940/mBank/mt940.sta": (3, "0.40", "0.43", "PLN"),
    "wolph_mt940/mBank/mt942.sta": (3, None, None, "PLN"),
    "wolph_mt940/sberbank/171011_01234945.sta": (3, "627311.30", "617874.30", "HUF"),
    "wolph_mt940/self-provided/raiffeisen-cmi.sta": (7, "25170637.10", "25281687.60", "HUF"),
    "wolph_mt940/self-provided/raphaelm.sta": (9, None, None, "DEM"),
    "wolph_mt940/self-provided/long_statement_number.sta": (0, "0", "0", "TRY"),
    "wolph_mt940/self-provided/february_30.sta": (1, "1200.00", "1194.00", "EUR"),
}


@pytest.mark.parametrize("rel", sorted(MT940))
def test_mt940_suite_expectations(bank, rel):
    count, opening, closing, currency = MT940[rel]
    statements = read(bank, f"mt940/{rel}")
    assert sum(len(s.lines) for s in statements) == count
    last = statements[-1]
    assert last.currency == currency
    if opening is not None:
        assert last.opening == D(opening)
    if closing is not None:
        assert last.closing == D(closing)


def test_mt940_sepa_opening_of_the_last_statement_and_mt942_format(bank):
    assert read(bank, "mt940/wolph_mt940/betterplace/sepa_mt9401.sta")[-1].opening == D("0")
    assert {s.format for s in read(bank, "mt940/wolph_mt940/mBank/mt942.sta")} == {"mt942"}


def test_mt940_february_30_is_tolerated(bank):
    (st,) = read(bank, "mt940/wolph_mt940/self-provided/february_30.sta")
    assert st.lines[0].value_date == dt.date(2016, 2, 29)


@pytest.mark.parametrize("rel", ["wolph_mt940/self-provided/invalid_statement.sta",
                                 "wolph_mt940/self-provided/empty_non_swift.sta",
                                 "wolph_mt940/betterplace/empty_line.sta"])
def test_mt940_edge_files_have_no_transactions(bank, rel):
    assert sum(len(s.lines) for s in read(bank, f"mt940/{rel}", fmt="mt940")) == 0


def test_mt940_oca_ing(bank):
    (st,) = read(bank, "mt940/oca_bank-statement-import/test-ing.940")
    assert (st.opening, st.closing, st.currency) == (D("662.23"), D("564.35"), "EUR")
    assert {ln.booking_date for ln in st.lines} == {dt.date(2014, 2, 20)}


def test_mt940_oca_rabo_and_sns_statement_counts(bank):
    rabo = read(bank, "mt940/oca_bank-statement-import/test-rabo.swi")
    assert len([s for s in rabo if s.lines]) == 2  # OCA keeps the two with transactions (and drops the empty two)
    assert len(read(bank, "mt940/oca_bank-statement-import/test-sns.940")) == 3


def test_mt940_oca_wrong_file_is_refused(bank):
    with pytest.raises(BankFileError):
        read(bank, "mt940/oca_bank-statement-import/test-wrong-file.940")


def test_mt940_mollie(bank):
    (st,) = read(bank, "mt940/oca_bank-statement-import/mollie_Voorbeeld_MT-940.mt940")
    assert (st.currency, st.account, len(st.lines)) == ("EUR", "NL30ABNA000000000000", 21)
    assert st.closing == D("-1350.26") == sum((ln.amount for ln in st.lines), D(0))


def test_every_mt940_file_parses_or_is_refused_cleanly(bank):
    for path in sorted((bank / "mt940").rglob("*")):
        if path.is_file() and path.suffix in (".sta", ".940", ".swi", ".mt940", ".txt"):
            try:
                parse(path.read_bytes(), path.name, fmt="mt940")
            except BankFileError as exc:
                assert exc.problems and all(p.startswith(path.name) for p in exc.problems)


# ---- camt (OCA goldens and genkgo/camt) ---------------------------------------------------------------
OCA = "camt/oca_bank-statement-import"


def test_camt053_oca_golden(bank):
    (st,) = read(bank, f"{OCA}/test-camt053")
    assert (st.currency, st.account, st.statement_id) == ("EUR", "NL77ABNA0574908765", "1234Test/1")
    assert (st.opening, st.closing) == (D("15568.27"), D("15121.12"))
    assert [ln.amount for ln in st.lines] == [D("-754.25"), D("-564.05"), D("-100.00"), D("1405.31")]
    assert [ln.reversal for ln in st.lines] == [False, True, True, False]
    assert sum((ln.amount for ln in st.lines), D(0)) == D("-12.99")
    assert st.balance_check == "break"  # the file's balances are not consistent with its entries
    assert [ln.payer_name for ln in st.lines] == ["INSURANCE COMPANY TESTX", "Test Customer", "Test Customer",
                                                  "3rd party Media"]
    assert st.lines[3].payer_account == "NL69ABNA0522123643"


def test_camt053_oca_zip(bank):
    statements = read(bank, f"{OCA}/test-camt053.zip")
    with zipfile.ZipFile(bank / f"{OCA}/test-camt053.zip") as z:
        assert len(statements) == len(z.namelist()) == 2
    assert all(len(s.lines) == 3 and s.account == "NL77ABNA0574908765" for s in statements)


def test_camt054_oca(bank):
    (st,) = read(bank, f"{OCA}/test-camt054")
    assert (st.format, st.currency, st.account) == ("camt.054.001.04", "EUR", "NL77ABNA0574908765")
    (line,) = st.lines
    assert line.amount == D("5.00")
    assert [d.number for d in line.documents if d.kind == "creditor_ref"] == ["000000000000000000000000003"]
    assert st.opening is None and st.balance_check == "n/a"  # a notification states no balances (OCA: 0/0)


def test_camt053_oca_txdtls(bank):
    (st,) = read(bank, f"{OCA}/test-camt053-txdtls")
    assert (st.format, st.currency, st.account) == ("camt.053.001.04", "CHF", "CH1111000000123456789")
    assert (st.opening, st.closing, len(st.lines)) == (D("75960.15"), D("79443.15"), 2)
    assert sum((ln.amount for ln in st.lines), D(0)) == D("3483.00") and st.balance_check == "ok"


def test_camt053_oca_no_ntry(bank):
    assert sum(len(s.lines) for s in read(bank, f"{OCA}/test-camt053-no-ntry")) == 0


def _genkgo_expectations(path: Path) -> dict[str, dict]:
    records: dict[str, dict] = {}
    for entry in json.loads(path.read_text())["getEntries"]:
        rec = entry["getRecord"]
        exp = records.setdefault(rec["getId"], {"account": rec["getAccount"]["getIdentification"], "sum": 0,
                                                "currency": set(), "entries": 0, "balances": {}})
        exp["sum"] += int(entry["getAmount"]["getAmount"])
        exp["currency"].add(entry["getAmount"]["getCurrency"]["getCode"])
        exp["entries"] += 1
        for bal in rec.get("getBalances") or []:
            exp["balances"].setdefault(bal["getType"], int(bal["getAmount"]["getAmount"]))
    return records


GENKGO = "camt/genkgo_camt"


@pytest.mark.parametrize("name", ["camt052.v1", "camt052.v2", "camt052.v4", "camt052.v6", "camt052.v8",
                                  "camt053.v2.five.decimals", "camt053.v2.minimal", "camt053.v2.multi.statement",
                                  "camt053.v2.all-balance-types", "camt053.v3", "camt053.v4", "camt053.v8",
                                  "camt054.v2", "camt054.v4"])
def test_genkgo_camt_against_its_json(bank, name):
    from arcollect.money import minor_units

    expected = _genkgo_expectations(bank / f"{GENKGO}/{name}.json")
    statements = {s.statement_id: s for s in read(bank, f"{GENKGO}/{name}.xml")}
    for record_id, exp in expected.items():
        st = statements[record_id]
        assert st.account == exp["account"]
        assert {ln.currency for ln in st.lines} == exp["currency"]
        assert len(st.lines) >= exp["entries"]
        scale = minor_units(next(iter(exp["currency"])))
        assert sum(ln.amount for ln in st.lines) * 10 ** scale == exp["sum"]
        if "opening" in exp["balances"]:
            assert st.opening * 10 ** scale == exp["balances"]["opening"]
        if "closing" in exp["balances"]:
            assert st.closing * 10 ** scale == exp["balances"]["closing"]


def test_genkgo_wrong_file_is_refused(bank):
    with pytest.raises(BankFileError):
        read(bank, f"{GENKGO}/camt053.v2.wrong.xml")


def test_every_camt_file_parses_or_is_refused_cleanly(bank):
    for path in sorted((bank / "camt").rglob("*")):
        if path.is_file() and path.suffix not in (".json", ".pydata") and "LICENSE" not in path.name:
            try:
                parse(path.read_bytes(), path.name)
            except BankFileError as exc:
                assert exc.problems
