"""The remittance advice reader (pure): invoices and amounts, total, payment date and reference from an email's
body, CSV, XLSX and PDF attachments in four languages; bad attachments are problems, never tracebacks."""

from __future__ import annotations

import datetime as dt
import io
import random
from decimal import Decimal

import pytest

from arcollect.cashapp.advice import advice_reasons, header_roles, parse_date, read_advice
from arcollect.cashapp.remittance import number_key
from arcollect.cashapp.shapes import Allocation, Decision, Proposal
from tests.cashapp.advices import advice, pdf

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _items(a) -> list[tuple[str, Decimal | None]]:  # noqa: ANN001
    return [(i.number, i.amount) for i in a.items]


def test_a_body_lists_invoices_with_gross_discount_and_paid_and_states_total_date_and_reference():
    a = read_advice(subject="Remittance advice", sender_name="Ann Payer", text="""Dear AR team,

please find below our payment of EUR 1,380.00, value date 21.11.2026.
Payment reference: PAY-2026-11-0042

Invoice INV-1   1,000.00   20.00   980.00
INV-2    400.00
Total: 1,380.00

Paid by: Acme Corp
Kind regards
Ann, +49 30 1234 5678
""")
    assert a.is_advice and a.evidence == "says 'remittance'"
    assert _items(a) == [("INV-1", Decimal("980.00")), ("INV-2", Decimal("400.00"))]
    assert (a.items[0].gross, a.items[0].discount) == (Decimal("1000.00"), Decimal("20.00"))
    assert (a.total, a.total_stated, a.payment_date) == (Decimal("1380.00"), True, dt.date(2026, 11, 21))
    assert (a.reference, a.currency, a.problems) == ("PAY-2026-11-0042", "EUR", ())
    assert a.payer_hints == ("Acme Corp", "Ann Payer")


def test_a_german_csv_with_semicolons_and_a_sum_row():
    data = ("Rechnungsnummer;Rechnungsdatum;Rechnungsbetrag;Skonto;Zahlbetrag\n"
            "RE-1001;01.10.2026;1.000,00;20,00;980,00\nRE-1002;02.10.2026;500,00;0,00;500,00\nSumme;;;;1.480,00\n")
    a = read_advice(subject="Zahlung", text="siehe Anhang", attachments=[("avis.csv", "text/csv", data.encode("cp1252"))])
    assert a.is_advice and _items(a) == [("RE-1001", Decimal("980.00")), ("RE-1002", Decimal("500.00"))]
    assert a.total == Decimal("1480.00") and a.total_stated and a.items[0].source == "avis.csv row 2"


def test_an_xlsx_with_numbers_as_numbers_and_amount_next_to_discount():
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["Remittance advice from Beta GmbH"])
    ws.append(["Invoice No.", "Invoice Date", "Amount", "Discount", "Amount Paid"])
    ws.append(["INV-3", dt.datetime(2026, 9, 1), 250.0, 0, 250.0])
    ws.append(["INV-4", dt.datetime(2026, 9, 20), 80, 1.6, 78.4])
    ws.append(["Total", None, None, None, 328.4])
    out = io.BytesIO()
    wb.save(out)
    a = read_advice(subject="Payment", text="see attached", attachments=[("advice.xlsx", XLSX, out.getvalue())])
    assert _items(a) == [("INV-3", Decimal("250.00")), ("INV-4", Decimal("78.40"))]
    assert a.items[1].discount == Decimal("1.60") and a.total == Decimal("328.40")
    assert a.evidence == "a table of invoices paid"  # no word says "advice": the table does


@pytest.mark.parametrize("ruled", [True, False], ids=["ruled table", "text columns"])
def test_a_french_pdf_made_from_html_with_a_table(ruled):
    table = [["N° facture", "Date facture", "Montant facture", "Escompte", "Montant payé"],
             ["FA-2026-0012", "01/10/2026", "1 200,00", "24,00", "1 176,00"],
             ["FA-2026-0013", "03/10/2026", "300,00", "0,00", "300,00"], ["Total", "", "", "", "1 476,00"]]
    data = pdf(table, "Date de paiement : 21/11/2026<br>Référence du paiement : VIR-884412", ruled=ruled)
    a = read_advice(subject="Paiement", text="Bonjour, ci-joint l'avis.", attachments=[("avis.pdf", "application/pdf", data)])
    assert _items(a) == [("FA-2026-0012", Decimal("1176.00")), ("FA-2026-0013", Decimal("300.00"))]
    assert (a.total, a.payment_date, a.reference, a.problems) == (Decimal("1476.00"), dt.date(2026, 11, 21), "VIR-884412", ())


def test_bad_attachments_are_problems_naming_the_file_never_tracebacks():
    a = read_advice(subject="Remittance advice", text="INV-1 100.00", attachments=[
        ("a.xlsx", XLSX, b"PK\x03\x04garbage"), ("b.pdf", "application/pdf", b"%PDF-1.4 nonsense"),
        ("c.csv", "text/csv", b""), ("d.csv", "text/csv", b"\x00\x01\x02binary"), ("logo.png", "image/png", b"\x89PNG")])
    assert a.is_advice and _items(a) == [("INV-1", Decimal("100.00"))]
    assert [p.split(":")[0] for p in a.problems] == ["a.xlsx", "b.pdf", "c.csv", "d.csv"]
    assert "not a readable XLSX workbook" in a.problems[0] and "not a readable PDF" in a.problems[1]


def test_a_stated_total_that_the_lines_do_not_reach_is_said():
    a = read_advice(subject="Payment advice", text="INV-1 100.00\nINV-2 50.00\nTotal 175.00")
    assert a.total == Decimal("175.00") and a.problems == (
        "the invoices listed add up to 150.00, the advice states a total of 175.00",)


def test_a_promise_or_a_question_is_no_advice():
    assert not read_advice(subject="Re: Reminder", text="We will pay INV-100 500.00 on Friday.").is_advice
    assert not read_advice(subject="Remittance advice", text="Sorry, the advice follows tomorrow.").is_advice


def test_header_spellings_in_four_languages():
    assert header_roles(["Numéro de facture", "Date", "Montant TTC", "Remise", "Montant réglé"]) == {
        "invoice": 0, "date": 1, "gross": 2, "discount": 3, "paid": 4}
    assert header_roles(["Nº factura", "Fecha factura", "Importe factura", "Dto.", "Importe pagado"]) == {
        "invoice": 0, "date": 1, "gross": 2, "discount": 3, "paid": 4}
    assert header_roles(["Ihre Referenz", "Datum", "Betrag", "Skonto", "Netto"]) == {
        "invoice": 0, "date": 1, "amount": 2, "discount": 3, "paid": 4}


def test_dates_as_written():
    assert parse_date("20.11.2026") == parse_date("2026-11-20") == parse_date("20/11/2026") == dt.date(2026, 11, 20)
    assert parse_date("11/20/2026") == dt.date(2026, 11, 20) and parse_date("31.02.2026") is None


def test_noisy_generated_advices_are_read_exactly():
    """Every form and language of the generator: the invoices, amounts, total, date and reference come back."""
    forms: dict[str, int] = {}
    for seed in range(48):
        rng = random.Random(seed)
        invoices = [(f"INV-{rng.randint(1000, 99999):06d}", Decimal(rng.randint(5000, 900000)) / 100)
                    for _ in range(rng.randint(1, 5))]
        noisy = advice(rng, invoices, name="Nordwind Logistik GmbH", paid_on=dt.date(2026, 11, 20),
                       form=["body", "csv", "xlsx", "pdf"][seed % 4])
        a = read_advice(subject=noisy.subject, text=noisy.body, attachments=noisy.attachments)
        assert a.is_advice, (seed, noisy.form, noisy.lang)
        assert [(number_key(i.number), i.amount) for i in a.items] == [(number_key(i), p) for i, p in noisy.items], seed
        assert (a.total, a.payment_date, a.reference) == (noisy.total, noisy.payment_date, noisy.reference), seed
        forms[f"{noisy.form}/{noisy.lang}"] = forms.get(f"{noisy.form}/{noisy.lang}", 0) + 1
    assert len({k.split("/")[1] for k in forms}) == 4  # every language came up


def test_a_decision_on_an_advised_line_names_the_advice_first():
    label = "remittance advice emailed by ap@beta.example on 2026-11-23"
    p = Proposal("C2", (Allocation("INV-3", Decimal("250.00")),), Decimal(0), 0.97, ("invoice INV-3 named",))
    other = Proposal("C2", (Allocation("INV-9", Decimal("250.00")),), Decimal(0), 0.5, ("amount",))
    d = advice_reasons(Decision("7", "apply", (p, other), p.reasons), label, {"INV-3"})
    assert d.proposals[0].reasons == (label, "invoice INV-3 named") and d.proposals[1].reasons == ("amount",)
    assert d.reasons[0] == label
