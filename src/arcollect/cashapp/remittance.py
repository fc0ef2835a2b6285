"""The one remittance reader of arcollect (pure): invoice, PO and customer numbers, our dunning reference,
X12 RMR segments, creditor references (RF…) and amounts found in what a payer writes — each candidate with
the words it came from — and ``resolve``: written numbers to the real invoice ids (normalised or near)."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Iterable, Literal, Mapping, Sequence

from arcollect.cashapp.shapes import DocumentRef

Kind = Literal["invoice", "credit_note", "po", "customer", "dunning", "creditor_ref"]
Strength = Literal["structured", "labelled", "bare"]


@dataclass(frozen=True)
class Candidate:
    kind: Kind
    number: str  # as written ("INV 0100634", "1002" of the range "1001-1003", "C000123" of a dunning reference)
    strength: Strength  # structured (camt Strd, RMR, RF, dunning ref) > labelled ("Rechnung 1001") > bare
    evidence: str  # the words it came from
    amount: Decimal | None = None  # what the payer says it pays on this document
    alternative: bool = False  # one reading of ambiguous words ("0100 634" also read as "0100634")

    @property
    def key(self) -> str:
        return number_key(self.number)


@dataclass(frozen=True)
class Remittance:
    candidates: tuple[Candidate, ...] = ()
    partial: bool = False  # the payer says it is a partial payment ("Teilzahlung", "acompte", "partial")
    partial_evidence: str = ""

    def of(self, *kinds: str) -> tuple[Candidate, ...]:
        return tuple(c for c in self.candidates if c.kind in kinds)


# ---- normalisation -----------------------------------------------------------------------------------
_NON_ALNUM = re.compile(r"[^0-9A-Z]+")
_LEAD_LETTERS = re.compile(r"^[A-Z]+")


def number_key(written: str) -> str:
    """Case, separators, a letter prefix and leading zeros dropped: 'INV-0100634', 'inv 100634' → '100634'.
    A number without digits keeps its letters ('ABC' → 'ABC')."""
    s = _NON_ALNUM.sub("", unicodedata.normalize("NFKC", written).upper())
    stripped = _LEAD_LETTERS.sub("", s)
    if not stripped:
        return s
    return stripped.lstrip("0") or "0"


def segment_key(written: str) -> str | None:
    """Per-segment form for numbers made of several parts: 'RE-2026-0012' and '2026/12' → '2026-12'."""
    parts = [p for p in _NON_ALNUM.split(unicodedata.normalize("NFKC", written).upper()) if p]
    if parts and not any(ch.isdigit() for ch in parts[0]):
        parts = parts[1:]
    if parts:
        parts[0] = _LEAD_LETTERS.sub("", parts[0]) or parts[0]
    parts = [p.lstrip("0") or "0" for p in parts if p]
    return "-".join(parts) if len(parts) > 1 else None


def near_keys(key: str) -> set[str]:
    """Keys one slip away: adjacent transposition, one digit changed, dropped or added (for keys ≥ 4 long)."""
    if len(key) < 4:
        return set()
    out: set[str] = set()
    digits = "0123456789"
    for i in range(len(key) - 1):
        if key[i] != key[i + 1]:
            out.add(key[:i] + key[i + 1] + key[i] + key[i + 2:])
    for i, ch in enumerate(key):
        out.add(key[:i] + key[i + 1:])
        if ch.isdigit():
            out.update(key[:i] + d + key[i + 1:] for d in digits if d != ch)
    for i in range(len(key) + 1):
        out.update(key[:i] + d + key[i:] for d in digits)
    out.discard(key)
    return {k.lstrip("0") or "0" for k in out if k and k[0] != "0"}


def is_near(a: str, b: str) -> bool:
    """Two keys one slip apart (the relation ``near_keys`` enumerates)."""
    if a == b:
        return False
    la, lb = len(a), len(b)
    if la == lb:
        diff = [i for i in range(la) if a[i] != b[i]]
        return len(diff) == 1 or (len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]]
                                  and a[diff[1]] == b[diff[0]])
    if abs(la - lb) != 1:
        return False
    short, long_ = (a, b) if la < lb else (b, a)
    i = 0
    while i < len(short) and short[i] == long_[i]:
        i += 1
    return short[i:] == long_[i + 1:]


# ---- resolution ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Resolution:
    invoice_id: str
    how: Literal["exact", "normalised", "near"]


class InvoiceIndex:
    """Invoice ids by normalised key (and per-segment key), built once for many look-ups."""

    def __init__(self, invoice_ids: Iterable[str]) -> None:
        self.exact: set[str] = set()
        self.by_key: dict[str, list[str]] = {}
        for iid in invoice_ids:
            self.add(iid)

    def add(self, invoice_id: str) -> None:
        self.exact.add(invoice_id)
        self.by_key.setdefault(number_key(invoice_id), []).append(invoice_id)
        seg = segment_key(invoice_id)
        if seg:
            self.by_key.setdefault(seg, []).append(invoice_id)

    def lookup(self, written: str, *, near: bool = True) -> list[Resolution]:
        if written in self.exact:
            return [Resolution(written, "exact")]
        found: dict[str, Resolution] = {}
        for k in filter(None, (number_key(written), segment_key(written))):
            for iid in self.by_key.get(k, ()):
                found.setdefault(iid, Resolution(iid, "normalised"))
        if found or not near:
            return list(found.values())
        for k in near_keys(number_key(written)):
            for iid in self.by_key.get(k, ()):
                found.setdefault(iid, Resolution(iid, "near"))
        return sorted(found.values(), key=lambda r: r.invoice_id)


def resolve(candidate_numbers: Iterable[str], known_invoice_ids: Iterable[str] | InvoiceIndex,
            *, near: bool = True) -> dict[str, list[Resolution]]:
    """Each written number → the known invoice ids it designates: exact, normalised (case, separators, prefix,
    leading zeros), else near misses (one transposition or one digit off — the caller confirms them by amount)."""
    index = known_invoice_ids if isinstance(known_invoice_ids, InvoiceIndex) else InvoiceIndex(known_invoice_ids)
    return {n: hits for n in dict.fromkeys(candidate_numbers) if (hits := index.lookup(n, near=near))}


# ---- reading ---------------------------------------------------------------------------------------
_AMOUNT = r"(?:\d{1,3}(?:[.,']\d{3})+|\d+)[.,]\d{2}"
AMOUNT_RE = re.compile(rf"(?<![\w.,/-])(?:(?:EUR|USD|GBP|CHF|€|\$|£)\s?)?({_AMOUNT})(?![.,]?\d)(?:\s?(?:EUR|USD|GBP|CHF|€))?", re.I)
DATE_RE = re.compile(r"(?<![\w./-])(?:\d{1,2}[./]\d{1,2}[./](?:19|20)\d{2}|(?:19|20)\d{2}-\d{2}-\d{2})(?![\w/-])")
RMR_RE = re.compile(r"RMR\*([A-Z0-9]{1,3})\*([^*~\\\n]{1,50})(?:\*([A-Z0-9]{0,2}))?(?:\*(-?[0-9]+(?:\.[0-9]{1,4})?))?[^~\\\n]*", re.I)
DUNNING_RE = re.compile(r"(?<![\w-])([A-Za-z0-9][A-Za-z0-9_.]{1,40})-((?:19|20)\d{2})(\d{2})(\d{2})(?![\w-])")
RF_RE = re.compile(r"(?<![A-Z0-9])RF(\d{2})((?:\s?[A-Z0-9]){1,21})", re.I)
PARTIAL_RE = re.compile(r"\b(partial(?:ly)?|part[- ]payment|teilzahlung|abschlag(?:szahlung)?|anzahlung|"
                        r"ratenzahlung|acompte|à[- ]compte|a[- ]cuenta|pago parcial|parcial|installment|instalment)\b", re.I)

_INVOICE_LABEL = (r"invoices?|inv|invoice\s*(?:no|nr|number|num)|rechnungs?(?:-?nr|-?nummer)?|rechnungen|rg(?:-?nr)?|re|"
                  r"factures?|fact|fac|fa|factura|facturas|fra|ft|fattura|bill|nota|ref|reference|referenz|"
                  r"belegnr|beleg|doc|document|nr|no|n°|number|num")
_CREDIT_LABEL = r"credit\s*note|cn|gutschrift|avoir|nota de cr[eé]dito"
_PO_LABEL = (r"p\s?\.?\s?o\.?|po#|purchase\s*order|bestellung|bestell-?(?:nr|nummer)|order(?:\s*(?:no|nr|number))?|"
             r"commande|bon\s*de\s*commande|pedido|orden\s*de\s*compra")
_CUST_LABEL = (r"kd\.?-?\s?nr|kunden-?(?:nr|nummer)|kundennummer|customer\s*(?:no|nr|number|id|#|ref)|cust\.?\s?(?:no|nr|#)|"
               r"cust#|client\s*(?:no|nr|n°|id)|num[eé]ro\s*client|n°\s*client|account\s*(?:no|nr|number)|acct\s*(?:no|#)|deb(?:itor)?-?nr")
LABEL_RE = re.compile(rf"(?<![\w])(?:(?P<cn>{_CREDIT_LABEL})|(?P<po>{_PO_LABEL})|(?P<cust>{_CUST_LABEL})|(?P<inv>{_INVOICE_LABEL}))"
                      rf"(?![A-Za-z])\s*\.?\s*(?:(?:no|nr|n°|number|num)\b\.?)?\s*[:#.]?\s*", re.I)
# a document number as written: optional letter prefix glued or dashed, then digits with inner separators
NUMBER_RE = re.compile(r"(?<![\w])([A-Za-z]{0,6}[-#/.]?\d[0-9A-Za-z]*(?:[-/.]\d[0-9A-Za-z]*)*)(?![\w])")
CUSTOMER_NO_RE = re.compile(r"([A-Za-z0-9][A-Za-z0-9\-/.]{0,30}[A-Za-z0-9]|[A-Za-z0-9])")
_JOINERS = re.compile(r"^\s*(?:,|;|&|\+|/|and|und|et|y|e|plus)?\s*$", re.I)
_RANGE_WORD = re.compile(r"^\s*(?:-|–|to|bis|à|a|au|al|through|thru)\s*$", re.I)
_MAX_RANGE = 50


def _decimal(written: str) -> Decimal | None:
    s = written.replace("'", "")
    if re.search(r",\d{2}$", s):
        s = s.replace(".", "").replace(",", ".")
    else:
        s = s.replace(",", "")
    try:
        return Decimal(s)
    except InvalidOperation:
        return None


def _mask(text: str, spans: list[tuple[int, int]]) -> str:
    chars = list(text)
    for a, b in spans:
        chars[a:b] = " " * (b - a)
    return "".join(chars)


def _rf_valid(payload: str, check: str) -> bool:
    s = (payload + "RF" + check).upper()
    digits = "".join(str(int(ch, 36)) for ch in s)
    return int(digits) % 97 == 1


def creditor_reference(payload: str) -> str:
    """The ISO 11649 creditor reference for a payload ('1001' → 'RF…1001')."""
    s = "".join(str(int(ch, 36)) for ch in (payload + "RF00").upper())
    return f"RF{98 - int(s) % 97:02d}{payload.upper()}"


def _structured(documents: Sequence[DocumentRef]) -> list[Candidate]:
    out = []
    for d in documents:
        number = d.number.strip()
        if not number:
            continue
        ev = f"{d.source or 'structured'} {number}" + (f" {d.amount}" if d.amount is not None else "")
        if d.kind == "creditor_ref":
            m = re.fullmatch(r"RF(\d{2})([A-Z0-9]{1,21})", number.replace(" ", "").upper())
            if m and _rf_valid(m.group(2), m.group(1)):
                out.append(Candidate("invoice", m.group(2), "structured", ev, d.amount))
                continue
        kind: Kind = {"credit_note": "credit_note", "po": "po"}.get(d.kind, "invoice")  # type: ignore[assignment]
        out.append(Candidate(kind, number, "structured", ev, d.amount))
    return out


def _rmr(text: str, out: list[Candidate]) -> list[tuple[int, int]]:
    spans = []
    for m in RMR_RE.finditer(text):
        qual = m.group(1).upper()
        kind: Kind = {"IV": "invoice", "PO": "po", "CM": "credit_note", "CR": "credit_note", "IK": "customer",
                      "11": "customer"}.get(qual, "invoice")  # type: ignore[assignment]
        amount = _decimal(m.group(4)) if m.group(4) else None
        out.append(Candidate(kind, m.group(2).strip(), "structured", m.group(0), amount))
        spans.append(m.span())
    return spans


def _dunning(text: str, out: list[Candidate]) -> list[tuple[int, int]]:
    spans = []
    for m in DUNNING_RE.finditer(text):
        try:
            dt.date(int(m.group(2)), int(m.group(3)), int(m.group(4)))
        except ValueError:
            continue
        if not any(ch.isdigit() for ch in m.group(1)) and not m.group(1).isupper():
            continue  # "Rechnung-20261123" is a word and a date, not a customer id
        out.append(Candidate("dunning", m.group(1), "structured", m.group(0)))
        spans.append(m.span())
    return spans


def _creditor_refs(text: str, out: list[Candidate]) -> list[tuple[int, int]]:
    spans = []
    for m in RF_RE.finditer(text):
        raw = m.group(2)
        payload = raw.replace(" ", "").upper()
        for end in range(len(payload), 0, -1):  # the longest prefix that checks out (words may follow)
            if _rf_valid(payload[:end], m.group(1)):
                out.append(Candidate("invoice", payload[:end], "structured", m.group(0).strip()))
                spans.append(m.span())
                break
    return spans


def _labelled_and_bare(text: str, out: list[Candidate]) -> None:
    amounts = [(m.start(), m.end(), _decimal(m.group(1))) for m in AMOUNT_RE.finditer(text)]
    masked = _mask(text, [(a, b) for a, b, _ in amounts] + [m.span() for m in DATE_RE.finditer(text)])
    labels = [(m.start(), m.end(), m.lastgroup) for m in LABEL_RE.finditer(masked)]
    numbers = [m for m in NUMBER_RE.finditer(masked) if any(ch.isdigit() for ch in m.group(1))]
    label_starts = sorted(s for s, _, _ in labels)
    current: tuple[str, int] | None = None  # (label group, start of the label)
    prev_end = 0
    prev_num: re.Match[str] | None = None
    for m in numbers:
        start, end = m.span()
        here = next(((g, s) for s, e, g in labels if s <= start <= e), None)
        if here is not None:
            current = here
        elif current is not None:
            gap = masked[prev_end:start]
            if any(prev_end <= s < start for s in label_starts) or not (_JOINERS.match(gap) or _RANGE_WORD.match(gap)
                                                                       or not gap.strip()):
                current = None
        group = current[0] if current else None
        lab_start = current[1] if current else start
        written = m.group(1)
        if group == "cust":
            out.append(Candidate("customer", written, "labelled", text[lab_start:end].strip()))
            prev_end, prev_num = end, m
            continue
        kind: Kind = "po" if group == "po" else "credit_note" if group == "cn" else "invoice"
        letters = re.match(r"[A-Za-z]*", written).group(0)  # type: ignore[union-attr]
        strength: Strength = "labelled" if group or letters else "bare"
        digits = sum(ch.isdigit() for ch in written)
        # "0100 634": two digit groups separated by a space may be one number
        if prev_num is not None and masked[prev_end:start] == " " and prev_num.group(1)[-1:].isdigit() and written.isdigit():
            out.append(Candidate(kind, prev_num.group(1) + written, strength if group else "bare",
                                 text[lab_start:end].strip(), alternative=True))
        if strength == "bare" and digits < 4:
            prev_end, prev_num = end, m
            continue
        # an amount right after the number (skipping "EUR", ":", "=") is what the payer pays on it
        amount = None
        for a, b, value in amounts:
            if a >= end and re.fullmatch(r"[\s:=\-–/]*(?:(?:EUR|USD|GBP|CHF|amount|betrag|montant)\s*[:=]?\s*)?",
                                         masked[end:a], re.I):
                nxt = next((n for n in numbers if n.start() >= end), None)
                if nxt is None or nxt.start() > a:
                    amount = value
                break
        evidence = text[lab_start:end].strip() if group else written
        # a range "1001-1003" / "1001 to 1003"
        parts = re.fullmatch(r"([A-Za-z]*[-#]?)(\d+)[-–](\d+)", written)
        if parts and len(parts.group(2)) == len(parts.group(3)) and 0 < int(parts.group(3)) - int(parts.group(2)) <= _MAX_RANGE:
            lo, hi, width = int(parts.group(2)), int(parts.group(3)), len(parts.group(2))
            for n in range(lo, hi + 1):
                out.append(Candidate(kind, f"{parts.group(1)}{n:0{width}d}", strength, evidence))
            out.append(Candidate(kind, written, strength, evidence, amount, alternative=True))
            prev_end, prev_num = end, m
            continue
        if prev_num is not None and masked[prev_end:start].strip() and _RANGE_WORD.match(masked[prev_end:start]):
            lo_s = re.sub(r"^[A-Za-z]*[-#]?", "", prev_num.group(1))
            hi_s = re.sub(r"^[A-Za-z]*[-#]?", "", written)
            if lo_s.isdigit() and hi_s.isdigit() and 0 < int(hi_s) - int(lo_s) <= _MAX_RANGE:
                width = len(lo_s)
                pre = prev_num.group(1)[: len(prev_num.group(1)) - len(lo_s)]
                for n in range(int(lo_s) + 1, int(hi_s) + 1):
                    out.append(Candidate(kind, f"{pre}{n:0{width}d}", strength, text[lab_start:end].strip()))
                prev_end, prev_num = end, m
                continue
        out.append(Candidate(kind, written, strength, evidence, amount))
        prev_end, prev_num = end, m


def read(texts: Iterable[str], documents: Sequence[DocumentRef] = ()) -> Remittance:
    """Every candidate a remittance carries, structured documents first, then what the texts say."""
    out: list[Candidate] = _structured(documents)
    text = " ".join(t for t in texts if t)
    text = unicodedata.normalize("NFKC", text)[:20000]
    spans = _rmr(text, out)
    text = _mask(text, spans)
    spans = _dunning(text, out) + _creditor_refs(text, out)
    _labelled_and_bare(_mask(text, spans), out)
    partial = PARTIAL_RE.search(text)
    seen: set[tuple[str, str, Decimal | None]] = set()
    unique = []
    for c in out:
        k = (c.kind, c.number, c.amount)
        if k not in seen:
            seen.add(k)
            unique.append(c)
    return Remittance(tuple(unique), partial=bool(partial), partial_evidence=partial.group(0) if partial else "")


def amounts_in(text: str) -> list[Decimal]:
    """The amounts a text writes, in order ("1.234,56 EUR", "$1,234.56", "980.00"), as the reader reads them."""
    out = []
    for m in AMOUNT_RE.finditer(unicodedata.normalize("NFKC", text or "")[:20000]):
        value = _decimal(m.group(1))
        if value is not None:
            out.append(value)
    return out


def amount_of(written: str) -> Decimal | None:
    """One amount as written in a cell ("1.234,56", "1,234.56", "-20.00", "980"); None when it is none."""
    s = unicodedata.normalize("NFKC", written or "").strip()
    s = re.sub(r"(?<=\d)[ \u00a0\u202f](?=\d{3}(?!\d))", "", s)  # "1 234,56": groups written with blanks
    s = re.sub(r"^(?:EUR|USD|GBP|CHF|€|\$|£)\s?|\s?(?:EUR|USD|GBP|CHF|€)$", "", s, flags=re.I).strip()
    negative = s.startswith("-") or (s.startswith("(") and s.endswith(")"))
    s = s.strip("-() ")
    if re.fullmatch(_AMOUNT, s):
        value = _decimal(s)
    elif re.fullmatch(r"\d{1,15}", s):
        value = Decimal(s)
    else:
        return None
    return -value if value is not None and negative else value


def invoice_numbers(text: str) -> set[str]:
    """The numbers a free text names as documents (as written), for linking mail or notes to invoices."""
    return {c.number for c in read([text]).candidates if c.kind in ("invoice", "credit_note", "po")}


def known_ids(numbers: Iterable[str], ids: Mapping[str, object] | Iterable[str]) -> set[str]:
    """Convenience: the known ids a set of written numbers resolves to exactly or normalised (no near misses)."""
    return {r.invoice_id for hits in resolve(numbers, ids, near=False).values() for r in hits}
