"""camt.052/053/054: TxDtls split, Strd documents with amounts, references, parties, zips (synthetic files)."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from decimal import Decimal

import pytest

from arcollect.cashapp.formats import detect, parse
from arcollect.cashapp.shapes import BankFileError, DocumentRef

NTRY_SPLIT = """
<Ntry><NtryRef>NREF-1</NtryRef><Amt Ccy="EUR">1500.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>
 <BookgDt><DtTm>2026-03-02T09:00:00</DtTm></BookgDt><ValDt><Dt>2026-03-03</Dt></ValDt>
 <AcctSvcrRef>ENTRY-REF</AcctSvcrRef>
 <BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>ESCT</SubFmlyCd></Fmly></Domn></BkTxCd>
 <NtryDtls>
  <TxDtls><Refs><AcctSvcrRef>TX-1</AcctSvcrRef><EndToEndId>E2E-1</EndToEndId></Refs>
   <AmtDtls><TxAmt><Amt Ccy="EUR">1000.00</Amt></TxAmt></AmtDtls>
   <RltdPties><Dbtr>{dbtr}</Dbtr><DbtrAcct><Id><IBAN>DE89 3704 0044 0532 0130 00</IBAN></Id></DbtrAcct></RltdPties>
   <RltdAgts><DbtrAgt><FinInstnId><BIC>COBADEFFXXX</BIC></FinInstnId></DbtrAgt></RltdAgts>
   <RmtInf><Ustrd>first text</Ustrd><Ustrd>second text</Ustrd>
    <Strd><RfrdDocInf><Tp><CdOrPrtry><Cd>CINV</Cd></CdOrPrtry></Tp><Nb>INV-1001</Nb></RfrdDocInf>
     <RfrdDocAmt><RmtdAmt Ccy="EUR">900.00</RmtdAmt></RfrdDocAmt></Strd>
    <Strd><RfrdDocInf><Tp><CdOrPrtry><Cd>CREN</Cd></CdOrPrtry></Tp><Nb>CN-7</Nb></RfrdDocInf>
     <RfrdDocAmt><DuePyblAmt Ccy="EUR">100.00</DuePyblAmt></RfrdDocAmt></Strd>
   </RmtInf><AddtlTxInf>tx info</AddtlTxInf></TxDtls>
  <TxDtls><Refs><EndToEndId>NOTPROVIDED</EndToEndId></Refs><Amt Ccy="EUR">500.00</Amt>
   <RltdPties><Dbtr><Nm>Initech</Nm></Dbtr><DbtrAcct><Id><IBAN>DE00123</IBAN></Id></DbtrAcct></RltdPties>
   <RmtInf><Strd><CdtrRefInf><Ref>RF18539007547034</Ref></CdtrRefInf></Strd></RmtInf></TxDtls>
 </NtryDtls><AddtlNtryInf>batch of 2</AddtlNtryInf></Ntry>"""

NTRY_DEBIT = """
<Ntry><NtryRef>NREF-2</NtryRef><Amt Ccy="EUR">20.00</Amt><CdtDbtInd>DBIT</CdtDbtInd><RvslInd>true</RvslInd>
 <BookgDt><Dt>2026-03-02</Dt></BookgDt>
 <NtryDtls><TxDtls><RltdPties><Cdtr><Nm>Bank fees</Nm></Cdtr></RltdPties></TxDtls></NtryDtls></Ntry>"""


def camt053(entries: str, *, version: str = "001.08", amount_open: str = "100.00", dbtr: str = "<Nm>Globex</Nm>",
            summary: bool = True) -> bytes:
    entries = entries.replace("{dbtr}", dbtr)
    summ = ("<TxsSummry><TtlCdtNtries><NbOfNtries>1</NbOfNtries><Sum>1500.00</Sum></TtlCdtNtries>"
            "<TtlDbtNtries><NbOfNtries>1</NbOfNtries><Sum>20.00</Sum></TtlDbtNtries></TxsSummry>") if summary else ""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.{version}"><BkToCstmrStmt>
<GrpHdr><MsgId>M1</MsgId><CreDtTm>2026-03-02T18:00:00</CreDtTm></GrpHdr>
<Stmt><Id>STMT-1</Id><CreDtTm>2026-03-02T18:00:00</CreDtTm>
 <Acct><Id><IBAN>NL91ABNA0417164300</IBAN></Id><Ccy>EUR</Ccy></Acct>
 <Bal><Tp><CdOrPrtry><Cd>PRCD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">{amount_open}</Amt><CdtDbtInd>DBIT</CdtDbtInd>
  <Dt><Dt>2026-03-01</Dt></Dt></Bal>
 <Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">1380.00</Amt><CdtDbtInd>CRDT</CdtDbtInd>
  <Dt><Dt>2026-03-02</Dt></Dt></Bal>
 {summ}{entries}
</Stmt></BkToCstmrStmt></Document>""".encode()


def test_statement_with_txdtls_split_documents_and_parties():
    data = camt053(NTRY_SPLIT + NTRY_DEBIT)
    assert detect(data, "s.xml") == "camt"
    (st,) = parse(data, "s.xml")
    assert (st.format, st.account, st.currency, st.statement_id) == ("camt.053.001.08", "NL91ABNA0417164300",
                                                                     "EUR", "STMT-1")
    assert (st.opening, st.closing, st.balance_check) == (Decimal("-100.00"), Decimal("1380.00"), "ok")
    assert (st.stated_credits, st.stated_debits) == (Decimal("1500.00"), Decimal("20.00"))
    assert (st.opening_date, st.closing_date) == (dt.date(2026, 3, 1), dt.date(2026, 3, 2))
    first, second, fee = st.lines
    assert first.location == "Stmt[1]/Ntry[1]/NtryDtls/TxDtls[1]"
    assert second.location == "Stmt[1]/Ntry[1]/NtryDtls/TxDtls[2]"
    assert (first.amount, second.amount, fee.amount) == (Decimal("1000.00"), Decimal("500.00"), Decimal("-20.00"))
    assert (first.reference, second.reference, fee.reference) == ("TX-1", "ENTRY-REF", "NREF-2")
    assert first.booking_date == dt.date(2026, 3, 2) and first.value_date == dt.date(2026, 3, 3)
    assert (first.payer_name, first.payer_account, first.payer_bic) == ("Globex", "DE89370400440532013000",
                                                                        "COBADEFFXXX")
    assert (second.payer_name, second.payer_account) == ("Initech", "DE00123")  # invalid IBAN kept as given
    assert (first.end_to_end_id, second.end_to_end_id) == ("E2E-1", None)
    assert first.bank_code == "PMNT-RCDT-ESCT"
    assert first.remittance == ("first text", "second text", "tx info", "batch of 2")
    assert first.documents == (DocumentRef("invoice", "INV-1001", Decimal("900.00"), "Strd[1]/RfrdDocInf/Nb"),
                               DocumentRef("credit_note", "CN-7", Decimal("100.00"), "Strd[2]/RfrdDocInf/Nb"))
    assert second.documents == (DocumentRef("creditor_ref", "RF18539007547034", None, "Strd[1]/CdtrRefInf/Ref"),)
    assert (fee.payer_name, fee.reversal, first.reversal) == ("Bank fees", True, False)


def test_newer_versions_name_the_party_under_pty():
    (st,) = parse(camt053(NTRY_SPLIT, version="001.12", dbtr="<Pty><Nm>Globex AG</Nm></Pty>"), "v12.xml")
    assert st.format == "camt.053.001.12" and st.lines[0].payer_name == "Globex AG"


def test_bad_amount_names_the_element_path():
    with pytest.raises(BankFileError) as err:
        parse(camt053(NTRY_DEBIT.replace("20.00", "x")), "stmt.xml")
    assert "stmt.xml: Document/BkToCstmrStmt/Stmt[1]/Ntry[1]/Amt: 'x' is not an amount" in err.value.problems


def test_notification_report_and_no_namespace():
    ntfctn = b"""<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.02"><BkToCstmrDbtCdtNtfctn>
      <Ntfctn><Id>N1</Id><Acct><Id><Othr><Id>ACC-9</Id></Othr></Id></Acct>
      <Ntry><Amt Ccy="CHF">5.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><BookgDt><Dt>2026-01-02</Dt></BookgDt></Ntry>
      </Ntfctn></BkToCstmrDbtCdtNtfctn></Document>"""
    (st,) = parse(ntfctn, "n.xml")
    assert (st.format, st.account, st.currency, st.balance_check) == ("camt.054.001.02", "ACC-9", "CHF", "n/a")
    assert st.lines[0].location == "Ntfctn[1]/Ntry[1]" and st.lines[0].amount == Decimal("5.00")
    report = ntfctn.replace(b"BkToCstmrDbtCdtNtfctn", b"BkToCstmrAcctRpt").replace(b"Ntfctn>", b"Rpt>")
    report = report.replace(b' xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.02"', b"")
    (rpt,) = parse(report, "r.xml", fmt="camt")
    assert rpt.format == "camt.052" and len(rpt.lines) == 1


def test_zipped_camt_reads_every_member():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("b.xml", camt053(NTRY_DEBIT))
        z.writestr("a.xml", camt053(NTRY_SPLIT))
        z.writestr("readme.txt", "not a statement")
    statements = parse(out.getvalue(), "day.zip")
    assert [len(s.lines) for s in statements] == [2, 1]
    with zipfile.ZipFile(out, "a") as z:
        z.writestr("c.xml", b'<Document xmlns="camt.053.001.02"><broken')
    with pytest.raises(BankFileError, match="day.zip/c.xml: not well-formed XML"):
        parse(out.getvalue(), "day.zip")


def test_zip_bombs_and_dtds_are_refused(monkeypatch):
    import arcollect.cashapp.formats as formats

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("big.xml", b"<" + b" " * 200_000)
        for i in range(3):
            z.writestr(f"m{i}.xml", camt053(NTRY_DEBIT))
    monkeypatch.setattr(formats, "MAX_ZIP_UNCOMPRESSED", 100_000)
    with pytest.raises(BankFileError, match="unpacks to more than"):
        parse(out.getvalue(), "bomb.zip")
    monkeypatch.setattr(formats, "MAX_ZIP_UNCOMPRESSED", 200 * 1024 * 1024)
    monkeypatch.setattr(formats, "MAX_ZIP_MEMBERS", 2)
    with pytest.raises(BankFileError, match="more than the 2 allowed"):
        parse(out.getvalue(), "many.zip")
    dtd = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><Document xmlns="camt.053.001.02"/>'
    with pytest.raises(BankFileError, match="DTD"):
        parse(dtd, "dtd.xml", fmt="camt")


def test_document_without_statements_is_an_error():
    data = b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt><GrpHdr/></BkToCstmrStmt></Document>'
    with pytest.raises(BankFileError, match="no Stmt"):
        parse(data, "empty.xml")


def test_details_that_do_not_add_up_to_the_entry_stay_one_line():
    data = camt053(NTRY_SPLIT.replace('<Amt Ccy="EUR">500.00</Amt>', '<Amt Ccy="EUR">400.00</Amt>'), summary=False)
    (st,) = parse(data, "s.xml")
    (line,) = st.lines
    assert line.amount == Decimal("1500.00") and line.location == "Stmt[1]/Ntry[1]"
    assert line.reference == "ENTRY-REF" and len(line.documents) == 3
