"""A generator of realistic, noisy remittance advices (seeded): what customers' AP departments email — a body
with the list, or a CSV / XLSX / PDF attachment — in English, German, French and Spanish, with the header
spellings, number shapes, amount formats, discounts, greetings, signatures and quoted mail they really write."""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
from dataclasses import dataclass
from decimal import Decimal

HEADERS = {
    "en": [("Invoice No.", "Invoice Date", "Invoice Amount", "Discount", "Amount Paid"),
           ("Invoice", "Date", "Gross", "Disc.", "Paid"), ("Document number", "Doc date", "Original amount", "Deduction", "Net paid"),
           ("Your Reference", "Date", "Amount", "Discount", "Payment Amount")],
    "de": [("Rechnungsnummer", "Rechnungsdatum", "Rechnungsbetrag", "Skonto", "Zahlbetrag"),
           ("Beleg-Nr.", "Belegdatum", "Bruttobetrag", "Abzug", "Überwiesen"), ("Ihre Referenz", "Datum", "Betrag", "Skonto", "Netto")],
    "fr": [("N° facture", "Date facture", "Montant facture", "Escompte", "Montant payé"),
           ("Numéro de facture", "Date", "Montant TTC", "Remise", "Montant réglé")],
    "es": [("Nº factura", "Fecha factura", "Importe factura", "Descuento", "Importe pagado"),
           ("Número de factura", "Fecha", "Importe bruto", "Dto.", "Pagado")],
}
SUBJECTS = {"en": ["Remittance advice", "Payment advice {ref}", "Remittance Advice - {name}", "Payment notification"],
            "de": ["Zahlungsavis", "Zahlungsavis {ref}", "Avis: Zahlung {name}"],
            "fr": ["Avis de paiement", "Avis de virement {ref}", "Avis de règlement {name}"],
            "es": ["Aviso de pago", "Aviso de pago {ref}", "Notificación de pago {name}"]}
GREETING = {"en": "Dear Accounts Receivable team,\n\nplease find below the details of our payment.",
            "de": "Sehr geehrte Damen und Herren,\n\nanbei das Avis zu unserer Zahlung.",
            "fr": "Madame, Monsieur,\n\nveuillez trouver ci-dessous le détail de notre règlement.",
            "es": "Estimados señores:\n\nles enviamos el detalle de nuestro pago."}
DATE_LABEL = {"en": "Payment date", "de": "Zahlungsdatum", "fr": "Date de paiement", "es": "Fecha de pago"}
REF_LABEL = {"en": "Payment reference", "de": "Zahlungsreferenz", "fr": "Référence du paiement", "es": "Referencia de pago"}
TOTAL_LABEL = {"en": "Total", "de": "Summe", "fr": "Total", "es": "Importe total"}
SIGNATURE = ("\n\nKind regards\n{person}\nAccounts Payable · {name}\nTel. +49 30 1234 5678 · Fax 030 1234 5679\n"
             "VAT DE 123456789 · Registered office: 10115 Berlin")
QUOTED = "\n\n-----Original Message-----\nFrom: ar@ourcompany.example\nSubject: Reminder INV-9999\n\nPlease pay 12,345.00 by 2026-11-01."


def money(amount: Decimal, lang: str) -> str:
    whole, cents = f"{amount:,.2f}".split(".")
    if lang == "en":
        return f"{whole}.{cents}"
    if lang == "fr":
        return f"{whole.replace(',', ' ')},{cents}"
    return f"{whole.replace(',', '.')},{cents}"


def day(d: dt.date, lang: str) -> str:
    return {"en": d.isoformat(), "de": d.strftime("%d.%m.%Y"), "fr": d.strftime("%d/%m/%Y"), "es": d.strftime("%d/%m/%Y")}[lang]


def written(invoice_id: str, rng: random.Random) -> str:
    """The invoice number as an AP clerk writes it: as is, lower case, prefix dropped (digits kept whole)."""
    choice = rng.random()
    if choice < 0.6:
        return invoice_id
    if choice < 0.8:
        return invoice_id.lower()
    return invoice_id.split("-", 1)[-1] if "-" in invoice_id else invoice_id


@dataclass(frozen=True)
class Noisy:
    subject: str
    body: str
    attachments: tuple[tuple[str, str, bytes], ...]
    items: tuple[tuple[str, Decimal], ...]  # (invoice id, amount paid) — what a correct reader finds
    total: Decimal
    payment_date: dt.date
    reference: str
    form: str
    lang: str


def advice(rng: random.Random, invoices: list[tuple[str, Decimal]], *, name: str, paid_on: dt.date,
           form: str | None = None, lang: str | None = None) -> Noisy:
    """One advice paying ``invoices`` ((id, open amount)), some with an early-payment discount."""
    lang = lang or rng.choice(sorted(HEADERS))
    form = form or rng.choice(["body", "csv", "xlsx", "pdf"])
    ref = f"{rng.choice(['PAY', 'AV', 'ZA', 'VIR'])}-{rng.randint(100000, 999999)}"
    header = rng.choice(HEADERS[lang])
    rows = []
    for iid, amount in invoices:
        disc = (amount * Decimal(rng.choice(["0.02", "0.03"]))).quantize(Decimal("0.01")) if rng.random() < 0.3 else Decimal("0.00")
        issued = paid_on - dt.timedelta(days=rng.randint(20, 70))
        rows.append((written(iid, rng), issued, amount, disc, amount - disc, iid))
    total = sum((r[4] for r in rows), Decimal(0))
    subject = rng.choice(SUBJECTS[lang]).format(ref=ref, name=name)
    facts = f"{DATE_LABEL[lang]}: {day(paid_on, lang)}\n{REF_LABEL[lang]}: {ref}"
    person = rng.choice(["Ann Miller", "Jürgen Weiß", "Chloé Martin", "José García"])
    body = GREETING[lang] + "\n\n" + facts
    attachments: tuple[tuple[str, str, bytes], ...] = ()
    if form == "body":
        lines = ["    ".join(header)] + [f"{w}    {day(i, lang)}    {money(a, lang)}    {money(d, lang)}    {money(p, lang)}"
                                         for w, i, a, d, p, _ in rows]
        body += "\n\n" + "\n".join(lines) + f"\n\n{TOTAL_LABEL[lang]}: {money(total, lang)}"
    else:
        table = [list(header)] + [[w, day(i, lang), money(a, lang), money(d, lang), money(p, lang)] for w, i, a, d, p, _ in rows]
        table.append([TOTAL_LABEL[lang], "", "", "", money(total, lang)])
        attachments = (_file(form, table, rows, header, lang, ref, name, facts, total),)
        body += "\n\n" + {"en": "The advice is attached.", "de": "Das Avis finden Sie im Anhang.",
                          "fr": "Vous trouverez l'avis en pièce jointe.", "es": "Adjuntamos el aviso."}[lang]
    body += SIGNATURE.format(person=person, name=name)
    if rng.random() < 0.4:
        body += QUOTED
    return Noisy(subject, body, attachments, tuple((r[5], r[4]) for r in rows), total, paid_on, ref, form, lang)


def _file(form: str, table: list[list[str]], rows: list, header: tuple, lang: str, ref: str, name: str,
          facts: str, total: Decimal) -> tuple[str, str, bytes]:
    if form == "csv":
        out = io.StringIO()
        csv.writer(out, delimiter=";" if lang != "en" else ",").writerows(table)
        return ("remittance.csv", "text/csv", out.getvalue().encode("utf-8" if lang != "de" else "cp1252"))
    if form == "xlsx":
        from openpyxl import Workbook

        wb = Workbook()
        ws = wb.active
        ws.append([f"{name} — {ref}"])
        ws.append([])
        ws.append(list(header))
        for w, issued, amount, disc, paid, _ in rows:  # numbers as numbers, dates as dates
            ws.append([w, issued, float(amount), float(disc), float(paid)])
        ws.append([TOTAL_LABEL[lang], None, None, None, float(total)])
        data = io.BytesIO()
        wb.save(data)
        return ("advice.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", data.getvalue())
    return ("advice.pdf", "application/pdf", pdf(table, f"{name}<br>" + facts.replace("\n", "<br>")))


def pdf(table: list[list[str]], intro: str, *, ruled: bool = True) -> bytes:
    """A PDF advice made by WeasyPrint from HTML with a table (ruled: cell borders, as most AP systems print)."""
    from weasyprint import CSS, HTML

    cells = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in table)
    css = ("table{border-collapse:collapse} td{border:1px solid #333;padding:3px 8px;font:10pt sans-serif}" if ruled
           else "td{padding:3px 14px;font:10pt sans-serif}")
    return HTML(string=f"<html><body><h1>Remittance</h1><p>{intro}</p><table>{cells}</table></body></html>").write_pdf(
        stylesheets=[CSS(string=css)])
