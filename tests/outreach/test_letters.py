"""PDF statements and letters: open items and totals in the PDF, letterhead, page numbers, A4 or
Letter by country, embedded fonts, the customer's language, escaped customer data."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
from decimal import Decimal

import pypdf
import pytest

from arcollect.errors import InvalidInput
from arcollect.ledger import service as ledger
from arcollect.outreach import documents
from arcollect.outreach.letters import letter_html, paper_for
from arcollect.outreach.render import Item, Message
from tests.conftest import write_csv

TODAY = dt.date(2026, 11, 23)


def _book(ctx, tmp_path):  # noqa: ANN001, ANN202
    write_csv(tmp_path / "c.csv", "customer_id,name,currency,country,timezone,language",
              "US1,Acme Corp,USD,US,America/New_York,en", "DE1,Müller GmbH,EUR,DE,Europe/Berlin,de")
    write_csv(tmp_path / "ct.csv", "customer_id,email,name,role,primary", "DE1,ap@mueller.example,Kim Martin,ap,true")
    write_csv(tmp_path / "i.csv", "invoice_id,customer_id,issue_date,due_date,amount,currency,po_number",
              "A1,US1,2026-08-01,2026-08-31,1200.00,USD,PO-1", "A2,US1,2026-10-01,2026-10-31,300.50,USD,",
              "B1,DE1,2026-09-01,2026-10-01,999.99,EUR,PO-77")
    write_csv(tmp_path / "p.csv", "payment_id,customer_id,received_date,amount,applies_to,currency",
              "P1,US1,2026-11-02,50.00,,USD")
    for kind, name in (("customers", "c"), ("contacts", "ct"), ("invoices", "i"), ("payments", "p")):
        assert not ledger.import_file(ctx, kind=kind, path=tmp_path / f"{name}.csv").errors


def _read(pdf: bytes) -> tuple[pypdf.PdfReader, str]:
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    return reader, " ".join(" ".join(p.extract_text() for p in reader.pages).split())  # lines wrap anywhere


def test_a_statement_of_account_lists_the_open_items_aging_and_unapplied_cash(ctx, tmp_path):
    _book(ctx, tmp_path)
    ctx = dataclasses.replace(ctx, settings=ctx.settings.model_copy(update={
        "company_name": "ACME Supplies", "company_address": "1 Harbour Road\nBristol BS1 4DJ",
        "payment_instructions": "Pay to IBAN GB33 BUKB 2020 1555 5555 55"}))
    pdf, name = documents.letter(ctx, customer_id="US1", kind="statement", as_of=TODAY)
    assert name == "statement-US1-2026-11-23.pdf"
    reader, text = _read(pdf)
    for part in ("ACME Supplies", "1 Harbour Road", "Statement of account", "A1", "PO-1", "A2", "$1,200.00", "$300.50",
                 "Total USD $1,500.50", "Aging summary", "Unapplied payments and credits on your account −$50.00",
                 "Net balance USD $1,450.50",
                 "IBAN GB33", "Page 1 / 1"):
        assert part in text, part
    page = reader.pages[0]
    assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == (612, 792)  # Letter in the US
    fonts = page["/Resources"]["/Font"]
    descriptors = [fonts[f].get_object()["/FontDescriptor"].get_object() for f in fonts
                   if "/FontDescriptor" in fonts[f].get_object()]
    descendant = [fonts[f].get_object()["/DescendantFonts"][0].get_object()["/FontDescriptor"].get_object()
                  for f in fonts if "/DescendantFonts" in fonts[f].get_object()]
    assert any(("/FontFile2" in d or "/FontFile3" in d or "/FontFile" in d) for d in descriptors + descendant)  # embedded


def test_notices_are_in_the_customers_language_on_a4(ctx, tmp_path):
    _book(ctx, tmp_path)
    pdf, _ = documents.letter(ctx, customer_id="DE1", kind="final_notice", as_of=TODAY)
    reader, text = _read(pdf)
    assert "Letzte Mahnung vor weiteren Schritten" in text and "z. Hd. Kim Martin" in text and "B1" in text
    assert "999,99" in text and "Seite 1 / 1" in text
    assert round(float(reader.pages[0].mediabox.width)) == 595  # A4
    _, demand = _read(documents.letter(ctx, customer_id="US1", kind="demand", as_of=TODAY)[0])
    assert "Formal demand for payment" in demand and "legal proceedings" in demand
    with pytest.raises(InvalidInput, match="not one of statement, final_notice, demand"):
        documents.letter(ctx, customer_id="US1", kind="poem", as_of=TODAY)


def test_customer_data_is_escaped_in_letters():
    m = Message(template="reminder", language="en", as_of=TODAY, company='Evil "Co" </style><script>',
                customer_id="C1", customer_name="<script>alert(1)</script>", reference="C1-20261123",
                items=(Item("<b>I</b>", None, TODAY, TODAY, 0, Decimal("1.00"), "USD"),))
    html = letter_html(m, kind="statement")
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    style = html.split("<style>", 1)[1].split("</style>", 1)[0]
    assert "</style" not in style and "<script>" not in style and '\\"Co\\"' in style
    assert "<b>I</b>" not in html


def test_paper_follows_the_setting_or_the_country():
    assert paper_for("auto", "US") == "Letter" and paper_for("auto", "DE") == "A4" and paper_for("auto", None) == "A4"
    assert paper_for("A4", "US") == "A4" and paper_for("Letter", "FR") == "Letter"


def test_cli_writes_the_pdf(ctx, cli, tmp_path):
    _book(ctx, tmp_path)
    target = tmp_path / "st.pdf"
    r = cli("letter", "statement", "US1", "--output", str(target), "--as-of", TODAY.isoformat())
    assert r.exit_code == 0, r.output
    assert "A1" in _read(target.read_bytes())[1]
    assert cli("letter", "statement", "NOPE").exit_code == 1
