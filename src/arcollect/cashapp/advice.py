"""Remittance advices that arrive by email (pure): from a message's subject, body and attachments (CSV, XLSX, PDF
— advice_files.py) the invoices paid with their amounts, the payment's total, date and reference, and hints at
the payer. Invoice numbers and amounts are read by the one remittance reader (remittance.py)."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Sequence

from arcollect.cashapp.advice_files import FileProblem, Sheet, html_text, read_attachment
from arcollect.cashapp.remittance import DATE_RE, amount_of, amounts_in, read
from arcollect.cashapp.shapes import Decision

ZERO = Decimal(0)


@dataclass(frozen=True)
class AdviceItem:
    number: str  # the invoice (or credit note) number as written
    amount: Decimal | None  # what the payer pays on it (negative for a credit note taken)
    gross: Decimal | None = None  # the invoice's amount, when the advice states it
    discount: Decimal | None = None  # what the payer kept back on it (discount, deduction)
    source: str = ""  # "remittance.csv row 3", "body line 4", "advice.pdf"


@dataclass(frozen=True)
class Advice:
    is_advice: bool  # the words say so (subject, body, file name) or an attachment is a table of invoices paid
    items: tuple[AdviceItem, ...] = ()
    total: Decimal | None = None  # the payment's total as stated, else the sum of the items' amounts
    total_stated: bool = False
    payment_date: dt.date | None = None
    reference: str | None = None  # the payment reference it quotes
    currency: str | None = None
    payer_hints: tuple[str, ...] = ()  # names the advice gives the payer ("Paid by: …", the sender's name)
    customer_numbers: tuple[str, ...] = ()  # customer numbers it writes
    problems: tuple[str, ...] = ()  # attachments that could not be read, amounts that do not add up
    evidence: str = ""  # why it was taken for an advice


# ---- words ---------------------------------------------------------------------------------------
def fold(text: str) -> str:
    """Case, accents and punctuation away: 'Montant payé' → 'montant paye'."""
    s = unicodedata.normalize("NFKD", text or "")
    s = "".join(ch for ch in s if not unicodedata.combining(ch)).replace("ß", "ss").casefold()
    return " ".join(re.sub(r"[^0-9a-z]+", " ", s).split())


ADVICE_WORDS = re.compile(
    r"\b(remittance|remittance advice|payment advice|advice of payment|payment notification|payment details|"
    r"remit advice|zahlungsavis|avis|avise|zahlungsanzeige|uberweisungsavis|zahlungsbenachrichtigung|"
    r"avis de paiement|avis de virement|avis de reglement|detail du reglement|aviso de pago|aviso de transferencia|"
    r"notificacion de pago|detalle de pago|comunicacion de pago)\b")
TOTAL_WORDS = re.compile(r"^\W*(total|totals|grand total|sum|summe|gesamt|gesamtsumme|gesamtbetrag|endsumme|"
                         r"total general|total paye|montant total|total a payer|importe total|total pagado|suma|"
                         r"payment total|total payment|payment amount|amount paid|total amount|zahlbetrag|"
                         r"uberweisungsbetrag|montant du virement|montant du paiement|importe de la transferencia|"
                         r"importe del pago)\b")
DATE_WORDS = re.compile(r"\b(payment date|date of payment|value date|paid on|transfer date|execution date|"
                        r"zahlungsdatum|valuta|wertstellung|ausfuhrungsdatum|uberweisungsdatum|zahltag|"
                        r"date de paiement|date de valeur|date du virement|date d execution|date du reglement|"
                        r"fecha de pago|fecha valor|fecha de la transferencia|fecha de ejecucion)\b")
REFERENCE_WORDS = re.compile(
    r"(?:payment\s*(?:reference|ref\.?|id|no\.?|number|#)|remittance\s*(?:no\.?|number|#|id)|advice\s*(?:no\.?|number|#)|"
    r"transfer\s*(?:reference|ref\.?)|end[- ]to[- ]end(?:\s*id)?|zahlungsreferenz|avis-?\s*nr\.?|avisnummer|"
    r"zahlungs-?\s*nr\.?|zahlungsnummer|r[ée]f[ée]rence\s*(?:du|de)\s*(?:paiement|virement|r[èe]glement)|"
    r"n°\s*de\s*(?:virement|paiement)|referencia\s*(?:de(?:l)?\s*)?(?:pago|transferencia)|n[úu]mero\s*de\s*pago)"
    r"(?![A-Za-z])\s*[:#]?\s*([A-Za-z0-9][A-Za-z0-9\-/._]{3,60})", re.I)
PAYER_WORDS = re.compile(r"^\s*(?:payer|paid by|payor|remitter|from company|company|zahler|auftraggeber|kunde|"
                         r"firma|payeur|donneur d'ordre|client|ordenante|pagador|cliente)\s*[:\-]\s*(.{2,120}?)\s*$", re.I)
QUOTE_START = re.compile(r"^\s*(?:-{2,}\s*(?:original message|ursprüngliche nachricht|message d'origine|"
                         r"mensaje original)|on .{4,80} wrote:|am .{4,80} schrieb|le .{4,80} a écrit)", re.I)
SIGN_OFF = re.compile(r"^\s*(kind regards|best regards|regards|best|sincerely|yours sincerely|thank you|thanks|"
                      r"mit freundlichen gr(u|ü)(ss|ß)en|freundliche gr(u|ü)(ss|ß)e|viele gr(u|ü)(ss|ß)e|beste gr(u|ü)(ss|ß)e|"
                      r"cordialement|bien cordialement|salutations|meilleures salutations|"
                      r"saludos|atentamente|un saludo|cordiales saludos)\b[ ,.!]*$", re.I)
CURRENCY = re.compile(r"(?<![A-Z])(EUR|USD|GBP|CHF|SEK|NOK|DKK|PLN|CZK|JPY|CAD|AUD)(?![A-Z])|([€$£])")
SYMBOLS = {"€": "EUR", "$": "USD", "£": "GBP"}


def parse_date(written: str) -> dt.date | None:
    """'20.11.2026', '2026-11-20', '20/11/2026' (day first unless the month cannot be), '11/20/2026'."""
    m = re.fullmatch(r"\s*(\d{4})-(\d{2})-(\d{2})(?:[T ].*)?\s*", written or "")
    try:
        if m:
            return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        m = re.fullmatch(r"\s*(\d{1,2})([./])(\d{1,2})\2(\d{4})\s*", written or "")
        if m:
            a, b, year = int(m.group(1)), int(m.group(3)), int(m.group(4))
            day, month = (b, a) if m.group(2) == "/" and b > 12 else (a, b)
            return dt.date(year, month, day)
    except ValueError:
        return None
    return None


def _first_date(text: str) -> dt.date | None:
    for m in DATE_RE.finditer(text):
        if (d := parse_date(m.group(0))) is not None:
            return d
    return None


# ---- tables ----------------------------------------------------------------------------------------
ROLES: tuple[tuple[str, re.Pattern[str]], ...] = tuple((role, re.compile(p)) for role, p in (
    ("date", r"\b(date|datum|rechnungsdatum|belegdatum|fecha|valuta|echeance|vencimiento|due)\b|datum$"),
    ("discount", r"\b(discount|cash discount|disc|skonto|rabatt|abzug|kurzung|escompte|remise|descuento|dto|"
                 r"deduction|deductions|retenue|deduccion)\b"),
    ("gross", r"\b(invoice amount|inv amount|invoice total|invoice value|original amount|gross|gross amount|brutto|"
              r"bruttobetrag|rechnungsbetrag|belegbetrag|document amount|doc amount|montant facture|"
              r"montant de la facture|montant ttc|montant brut|montant initial|importe factura|importe de la factura|"
              r"importe bruto|importe original|monto factura|total factura)\b"),
    ("paid", r"\b(paid|amount paid|paid amount|payment amount|payment|net paid|net|net amount|to pay|zahlbetrag|"
             r"gezahlt|bezahlt|zahlung|uberwiesen|nettobetrag|netto|montant paye|montant regle|paye|regle|reglement|"
             r"montant net|net a payer|importe pagado|pagado|monto pagado|importe a pagar|pago|importe neto|neto)\b"),
    ("amount", r"\b(amount|amt|betrag|montant|importe|monto|sum|summe|value|wert|valor|total)\b"),
    ("invoice", r"\b(invoice|invoices|inv|invoice no|invoice number|bill|document|doc|rechnung|rechnungsnummer|"
                r"rechnungs nr|re nr|rg nr|beleg|belegnummer|beleg nr|facture|facture n|n facture|numero de facture|"
                r"fact|piece|factura|n factura|numero de factura|num factura|documento|comprobante|fra)\b"),
    ("reference", r"\b(your ref|your reference|ihre referenz|ihre ref|votre reference|votre ref|su referencia|"
                  r"reference|referenz|referencia|ref|text|verwendungszweck|libelle|concepto)\b"),
    ("currency", r"\b(currency|curr|ccy|wahrung|devise|moneda|divisa)\b"),
))


def header_roles(row: Sequence[str]) -> dict[str, int]:
    """Column index per role of a header row ({'invoice': 0, 'paid': 3, …}); the first column of a role wins."""
    roles: dict[str, int] = {}
    for j, cell in enumerate(row):
        name = fold(cell)
        if not name or len(name) > 60:
            continue
        for role, pattern in ROLES:
            if pattern.search(name):
                roles.setdefault(role, j)
                break
    if "invoice" not in roles and "reference" in roles:
        roles["invoice"] = roles.pop("reference")
    return roles


def _numbers_in_cell(cell: str) -> list[str]:
    """Invoice numbers a cell of the invoice column writes (one, a list or a range), by the remittance reader."""
    found = [c.number for c in read([f"invoice {cell}"]).of("invoice", "credit_note") if not c.alternative]
    if not found and re.search(r"\d", cell) and len(cell) <= 40 and " " not in cell.strip():
        found = [cell.strip()]  # a short bare number in the invoice column is an invoice number
    return list(dict.fromkeys(found))


@dataclass
class _Found:
    items: list[AdviceItem] = field(default_factory=list)
    totals: list[Decimal] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    currency: str | None = None
    dates: list[dt.date] = field(default_factory=list)  # the payment's day as the words say it, best first


def read_table(rows: Sequence[Sequence[str]], name: str, out: _Found) -> bool:
    """Items of one table with a header naming an invoice column and an amount column; False when it has none."""
    for h, header in enumerate(rows[:20]):
        roles = header_roles(header)
        if "invoice" in roles and ({"paid", "amount", "gross"} & set(roles)):
            break
    else:
        return False

    def cell(row: Sequence[str], role: str) -> str:
        j = roles.get(role)
        return row[j].strip() if j is not None and j < len(row) else ""

    rows_read: list[tuple[int, list[str], Decimal | None, Decimal | None, Decimal | None, Decimal | None]] = []
    for r, row in enumerate(rows[h + 1:], start=h + 2):
        first = fold(" ".join(c for c in row[:3] if c))
        paid, amount, gross, disc = (amount_of(cell(row, k)) for k in ("paid", "amount", "gross", "discount"))
        if TOTAL_WORDS.match(first) or TOTAL_WORDS.match(fold(cell(row, "invoice"))):
            stated = next((v for v in (paid, amount, gross) if v is not None), None)
            if stated is None:
                stated = next((v for v in reversed([amount_of(c) for c in row]) if v is not None), None)
            if stated is not None:
                out.totals.append(stated)
            continue
        numbers = _numbers_in_cell(cell(row, "invoice"))
        if not numbers:
            if any(v is not None for v in (paid, amount, gross)) and cell(row, "invoice"):
                out.problems.append(f"{name} row {r}: {cell(row, 'invoice')!r} is no invoice number")
            continue
        if not out.currency and (cur := CURRENCY.search(cell(row, "currency").upper() or " ".join(row))):
            out.currency = cur.group(1) or SYMBOLS[cur.group(2)]
        rows_read.append((r, numbers, paid, amount, gross, disc))
    stated_total = out.totals[-1] if out.totals else None

    def pays(paid: Decimal | None, amount: Decimal | None, gross: Decimal | None, disc: Decimal | None,
             amount_is_gross: bool) -> Decimal | None:
        if paid is not None:
            return paid
        base = gross if gross is not None else amount
        if base is None:
            return None
        if disc is not None and (gross is not None or amount_is_gross):
            return base - abs(disc)
        return base

    # "Amount" next to "Discount" without a paid column: the invoice's amount, unless the total says it is paid
    reading = True
    if "paid" not in roles and "gross" not in roles and "discount" in roles and stated_total is not None:
        as_paid = sum((x[3] for x in rows_read if x[3] is not None), ZERO)
        reading = as_paid != stated_total
    for r, numbers, paid, amount, gross, disc in rows_read:
        value = pays(paid, amount, gross, disc, reading)
        if len(numbers) > 1:  # a list or range in one row: the amount is for all of them together
            out.items.extend(AdviceItem(n, None, source=f"{name} row {r}") for n in numbers)
            continue
        out.items.append(AdviceItem(numbers[0], value, gross if gross is not None else (amount if paid is not None else None),
                                    abs(disc) if disc is not None else None, f"{name} row {r}"))
    return True


# ---- running text ----------------------------------------------------------------------------------
# "1 200,00" (thousands apart by blanks) — at the start, after two blanks or after a number, never after a word
GROUPS = re.compile(r"(?:^|(?<=\s\s)|(?<=\d\s)|(?<=\t))(?<!\d)\d{1,3}(?: \d{3})+[.,]\d{2}(?!\d)")

ANY_GROUPS = re.compile(r"(?<![\d.,])\d{1,3}(?: \d{3})+[.,]\d{2}(?!\d)")  # in a total's line: anywhere


def read_lines(lines: Sequence[str], name: str, out: _Found, words: list[str]) -> None:
    """Items, totals and dates of running text (a body, a PDF without ruled tables): one invoice per line with
    the amounts after it — the last is what is paid, a first one more than it is the invoice's amount."""
    for no, raw in enumerate(lines, start=1):
        line = GROUPS.sub(lambda m: m.group(0).replace(" ", ""),
                          unicodedata.normalize("NFKC", raw).replace("\u00a0", " ").replace("\u202f", " "))
        if (QUOTE_START.match(line) or SIGN_OFF.match(line)) and name == "body":
            break  # the signature and the quoted message below a reply are not this advice
        if line.lstrip().startswith(">"):
            continue
        folded = fold(line)
        if not folded:
            continue
        words.append(line)
        if TOTAL_WORDS.match(folded):
            if (amounts := amounts_in(ANY_GROUPS.sub(lambda m: m.group(0).replace(" ", ""), line))):
                out.totals.append(amounts[-1])
            continue
        if DATE_WORDS.search(folded) and (d := _first_date(line)) is not None:
            out.dates.insert(0, d)
        elif re.match(r"(date|datum|fecha)\b", folded) and (d := _first_date(line)) is not None:
            out.dates.append(d)  # "Date: …" of the advice itself: the payment's day when nothing better says it
        if REFERENCE_WORDS.search(line):
            continue  # the payment's own reference is no invoice
        amounts = amounts_in(line)
        # a bare number on a line without an amount is a phone, a postcode, a VAT number — not a document paid
        cands = [c for c in read([line]).of("invoice", "credit_note") if not c.alternative
                 and (c.strength != "bare" or amounts)]
        if not cands:
            continue
        if len(cands) == 1:
            c = cands[0]
            paid = amounts[-1] if amounts else c.amount
            gross = amounts[0] if len(amounts) >= 2 and amounts[0] > (paid or ZERO) else None
            disc = gross - paid if gross is not None and paid is not None else None
            if c.kind == "credit_note" and paid is not None and paid > 0:
                paid = -paid
            out.items.append(AdviceItem(c.number, paid, gross, disc, f"{name} line {no}"))
        else:
            out.items.extend(AdviceItem(c.number, c.amount, source=f"{name} line {no}") for c in cands)


def _sheet(sheet: Sheet, out: _Found, words: list[str]) -> None:
    tabled, before = False, len(out.totals)
    for table in sheet.tables:
        tabled = read_table(table, sheet.name, out) or tabled
    if sheet.lines:
        if tabled:  # the tables read the items; the text still says the date, the total, the reference
            sub = _Found()
            read_lines(sheet.lines, sheet.name, sub, words)
            out.dates[:0] = sub.dates
            if len(out.totals) == before:  # a total the table states wins over one the text writes
                out.totals.extend(sub.totals)
        else:
            read_lines(sheet.lines, sheet.name, out, words)
    elif not tabled:
        for table in sheet.tables:  # a table without a header we know: read its rows as lines of text
            read_lines(["  ".join(r) for r in table], sheet.name, out, words)


def read_advice(*, subject: str = "", text: str = "", html: str | None = None,
                attachments: Sequence[tuple[str, str, bytes]] = (), sender_name: str | None = None) -> Advice:
    """What an email's subject, body and attachments say about a payment. Never raises on bad attachments:
    each becomes a problem naming the file."""
    out = _Found()
    words: list[str] = [subject or ""]
    body = text if (text or "").strip() else html_text(html or "")
    read_lines(body.splitlines()[:2000], "body", out, words)
    files = []
    for name, ctype, data in attachments:
        try:
            sheet = read_attachment(name, ctype, data)
        except FileProblem as exc:
            out.problems.append(str(exc))
            continue
        except Exception as exc:  # a reader's bug must not lose the message
            out.problems.append(f"{name}: cannot be read ({type(exc).__name__})")
            continue
        if sheet is not None:
            files.append(name)
            _sheet(sheet, out, words)
    joined = "\n".join(words)
    folded = fold(joined + " " + " ".join(files))
    said = ADVICE_WORDS.search(folded)
    items = tuple(dict.fromkeys(out.items))
    tabled = any(i.source.split(" row ")[0] in files for i in items if " row " in i.source)
    amounts = [i.amount for i in items]
    total = out.totals[-1] if out.totals else None
    computed = sum(amounts, ZERO) if items and all(a is not None for a in amounts) else None  # type: ignore[arg-type]
    problems = list(out.problems)
    if total is not None and computed is not None and computed != total:
        problems.append(f"the invoices listed add up to {computed:,.2f}, the advice states a total of {total:,.2f}")
    ref = REFERENCE_WORDS.search(joined)
    cur = CURRENCY.search(joined)
    hints = [m.group(1).strip() for ln in words if (m := PAYER_WORDS.match(ln))]
    if sender_name and sender_name.strip():
        hints.append(sender_name.strip())
    customers = [c.number for c in read([joined]).of("customer")]
    evidence = (f"says {said.group(0)!r}" if said else "") or ("a table of invoices paid" if tabled else "")
    return Advice(is_advice=bool(items) and bool(said or tabled), items=items,
                  total=total if total is not None else computed, total_stated=total is not None,
                  payment_date=out.dates[0] if out.dates else None, reference=ref.group(1) if ref else None,
                  currency=out.currency or (cur.group(1) or SYMBOLS[cur.group(2)] if cur else None),
                  payer_hints=tuple(dict.fromkeys(hints)), customer_numbers=tuple(dict.fromkeys(customers)),
                  problems=tuple(problems), evidence=evidence)


def advice_reasons(decision: Decision, label: str, invoice_ids: set[str]) -> Decision:
    """The matcher's decision on an advised line, saying so: every proposal that settles an invoice the advice
    names gives the advice ("remittance advice emailed by … on …") as its first reason."""
    proposals = tuple(replace(p, reasons=(label, *p.reasons)) if label not in p.reasons and any(
        a.invoice_id in invoice_ids for a in p.allocations) else p for p in decision.proposals)
    reasons = decision.reasons
    if proposals and proposals[0] is not decision.proposals[0] and label not in reasons:
        reasons = (label, *reasons)
    return replace(decision, proposals=proposals, reasons=reasons)
