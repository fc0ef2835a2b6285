"""Facts in a customer's reply (pure), each with the words it came from: the promise's date and amount, a
payment already made, the dispute's reason code (disputes' codes), the invoices named (read by the one
remittance reader of arcollect, ``cashapp.remittance``), an out-of-office return date and a new contact."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal

from arcollect.assistant import dates as D
from arcollect.cashapp import remittance as R
from arcollect.disputes.workflow import REASONS

# the reason codes of disputes (disputes.workflow.REASONS), most specific first
_REASON_RULES: list[tuple[str, str]] = [
    ("duplicate", r"duplicate|billed twice|invoiced twice|charged twice|double[- ]billed|doppelt|doppelte rechnung|"
                  r"en double|deux fois|doublon|duplicada|dos veces"),
    ("tax", r"\b(?:vat|tax|sales tax|mwst|mehrwertsteuer|ust|umsatzsteuer|tva|iva)\b"),
    ("po", r"\b(?:po|purchase order)\b(?: number)?\b.{0,25}\b(?:missing|wrong|incorrect|required)|(?:missing|wrong|no|without a|"
           r"incorrect) (?:our |the |a )?(?:po|purchase order)|bestellnummer|po-nummer|bestell-nr|numéro de commande|bon de commande|"
           r"número de pedido|orden de compra"),
    ("pricing", r"price|pricing|overcharg|preis|prix|tarif|precio"),
    ("quality", r"damaged|broken|defective|faulty|poor quality|quality|beschädigt|defekt|mangelhaft|mängel|qualität|"
                r"endommag|abîm|défectueu|cass[ée]|qualité|non conforme|dañad|defectuos|\brot[oa]s?\b|calidad|estropead"),
    ("not_received", r"(?:never|not|n't|nicht|nie|pas|jamais|no (?:ha|han|hemos)?)\b.{0,25}\b(?:received|delivered|arrived|"
                     r"erhalten|geliefert|angekommen|eingetroffen|reçue?s?|livrée?s?|arrivée?s?|llegado|recibid|entregad)|"
                     r"nunca (?:llegó|recibimos)"),
    ("quantity", r"short[- ]?(?:shipped|shipment|delivery)|missing (?:items|parts|units|pieces)|quantity|only (?:received|got) \d+|"
                 r"zu wenig|unvollständig|fehlmenge|fehlende|menge|quantité|incomplète|partielle|manque|cantidad|incompleta|faltan"),
    ("service", r"(?:never|not|nicht|nie|pas|jamais|no|nunca)\b.{0,25}\b(?:performed|done|rendered|completed|provided|erbracht|"
                r"durchgeführt|erfolgt|réalisée|effectuée|rendue|prestado|realizado|completado)"),
    ("contract", r"contract|agreement|vertrag|vereinbarung|contrat|contrato|acuerdo"),
    ("billing_error", r"error|mistake|wrong|incorrect|falsch|fehler|erron|erreur|incorrect|equivocad|errón"),
]
_REASONS_RX = [(code, re.compile(rx, re.I)) for code, rx in _REASON_RULES if code in REASONS]

_CURRENCY_INT = re.compile(r"(?<![\w.,])(?:(?:EUR|USD|GBP|CHF|€|\$|£)\s?(\d{1,3}(?:[.,' ]\d{3})+|\d+)(?![.,]?\d)|"
                           r"(\d{1,3}(?:[.,' ]\d{3})+|\d+)\s?(?:EUR|USD|GBP|CHF|€|euros?|dollars?|Euro)\b)", re.I)
_EMAIL = re.compile(r"(?<![\w.+-])([\w.+-]+@[\w-]+(?:\.[\w-]+)+)", re.I)
_BACK = re.compile(r"\b(?:back|return|returning|zurück|wieder|retour|de vuelta|volveré|regreso|regresaré|reincorpor)|"
                   r"\bab(?: dem| den)?\s*$", re.I)
_UNTIL = re.compile(r"\b(?:until|till|bis|jusqu'(?:au|à)|hasta)\b", re.I)
_PAID_REF = re.compile(r"\b(?:ref(?:erence)?|referenz|réf(?:érence)?|referencia|transaction|trx|swift|utr)\b\s*(?:no\.?|nr\.?|"
                       r"number|n°|id)?\s*[:#]?\s*([A-Z0-9][A-Z0-9\-/]{3,34})", re.I)


@dataclass(frozen=True)
class Fact:
    value: object
    evidence: str
    confidence: float


@dataclass
class Facts:
    invoices: list[str] = field(default_factory=list)  # the numbers as written (resolved by the caller)
    invoice_evidence: list[str] = field(default_factory=list)
    dunning_customers: list[str] = field(default_factory=list)  # customer ids of our dunning reference
    customer_numbers: list[str] = field(default_factory=list)
    amounts: list[Fact] = field(default_factory=list)
    promise_date: Fact | None = None
    paid_date: Fact | None = None
    paid_reference: Fact | None = None
    reason: Fact | None = None
    return_date: Fact | None = None
    new_contact: Fact | None = None


def amounts(text: str) -> list[Fact]:
    """Amounts written with decimals (read by the remittance reader) or as whole numbers with a currency."""
    out: list[Fact] = []
    for m in R.AMOUNT_RE.finditer(text):
        value = R.amount_of(m.group(1))
        if value is not None:
            out.append(Fact(value, m.group(0).strip(), 0.9))
    taken = [m.span() for m in R.AMOUNT_RE.finditer(text)]
    for m in _CURRENCY_INT.finditer(text):
        if any(a < m.end() and m.start() < b for a, b in taken):
            continue
        written = (m.group(1) or m.group(2) or "").replace(" ", "")
        value = R.amount_of(written) if not re.fullmatch(r"\d{1,3}[.,]\d{3}", written) else Decimal(re.sub(r"[.,]", "", written))
        if value is not None and value > 0:
            out.append(Fact(value, m.group(0).strip(), 0.8))
    return out


def reason(text: str) -> Fact | None:
    """The dispute's reason code: the first rule (most specific first) the reply's words meet."""
    for code, rx in _REASONS_RX:
        m = rx.search(text)
        if m:
            return Fact(code, m.group(0).strip(), 0.8)
    return None


def invoice_numbers(text: str, *, subject: str = "") -> tuple[list[str], list[str], list[str], list[str]]:
    """(invoice numbers as written, their evidence, customer ids of dunning references, customer numbers)."""
    rem = R.read([subject, text])
    numbers, evidence = [], []
    for c in rem.of("invoice", "credit_note"):
        n = c.number.strip("#.-_/")
        if n and n not in numbers:
            numbers.append(n)
            evidence.append(c.evidence)
    return (numbers, evidence, [c.number for c in rem.of("dunning")], [c.number for c in rem.of("customer")])


def new_contact(text: str, *, sender: str | None) -> Fact | None:
    """An address the reply names to write to instead ("please write to payables@…")."""
    for m in _EMAIL.finditer(text):
        address = m.group(1).strip(".").lower()
        if address != (sender or "").lower():
            start = max(0, m.start() - 60)
            return Fact(address, " ".join(text[start:m.end()].split()), 0.8)
    return None


def facts(text: str, *, as_of: dt.date, intent: str, subject: str = "", sender: str | None = None,
          month_first: bool = False) -> Facts:
    """Everything the reply says that an action needs, read from the customer's own words (already cleaned)."""
    out = Facts()
    out.invoices, out.invoice_evidence, out.dunning_customers, out.customer_numbers = invoice_numbers(text, subject=subject)
    masked = text
    for ev in out.invoice_evidence:  # invoice numbers are not dates ("RE 17.04" stays a number)
        masked = masked.replace(ev, " " * len(ev))
    found = D.mentions(masked, as_of=as_of, month_first=month_first)
    no_dates = masked
    for x in found:
        if x.absolute:
            no_dates = no_dates[:x.start] + " " * (x.end - x.start) + no_dates[x.end:]
    out.amounts = amounts(no_dates)
    promise = D.first_on_or_after(found, as_of)
    if promise is not None:
        out.promise_date = Fact(promise.date, promise.evidence, 0.9 if promise.absolute else 0.8)
    past = [x for x in found if x.date <= as_of and x.absolute]
    if past:
        out.paid_date = Fact(past[0].date, past[0].evidence, 0.8)
    ref = _PAID_REF.search(masked)
    if ref and any(ch.isdigit() for ch in ref.group(1)):
        out.paid_reference = Fact(ref.group(1), ref.group(0).strip(), 0.7)
    if intent == "dispute" or intent == "other":
        out.reason = reason(text)
    if intent == "out_of_office":
        future = [x for x in found if x.date >= as_of]
        back = [x for x in future if _BACK.search(masked[max(0, x.start - 40):x.start])]
        until = [x for x in future if _UNTIL.search(masked[max(0, x.start - 25):x.start])]
        pick = back[0] if back else (until[0] if until else (future[-1] if future else None))
        if pick is not None:
            out.return_date = Fact(pick.date, pick.evidence, 0.85 if back else 0.75)
    out.new_contact = new_contact(text, sender=sender)
    return out
