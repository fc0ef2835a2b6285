"""A realistic, deterministic B2B receivables book (pure): customers, contacts, invoices, payments.

Payment behaviour follows a profile per customer (prompt, slow, chronic, partial payer, bundler)
so that aging, DSO and payment prediction have something true to find. Generated per customer so
that a million invoices stream through in bounded memory.
"""

from __future__ import annotations

import datetime as dt
import random
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Iterator

from arcollect.money import quantize

COUNTRIES = [  # country, currency, time zones, language, share
    ("US", "USD", ["America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles"], "en", 45),
    ("GB", "GBP", ["Europe/London"], "en-GB", 15),
    ("DE", "EUR", ["Europe/Berlin"], "de", 15),
    ("FR", "EUR", ["Europe/Paris"], "fr", 10),
    ("ES", "EUR", ["Europe/Madrid"], "es", 7),
    ("IN", "USD", ["Asia/Kolkata"], "en-IN", 5),
    ("CA", "USD", ["America/Toronto"], "en", 3),
]
SUFFIX = {"US": ["Inc.", "LLC", "Corp."], "CA": ["Inc.", "Ltd."], "GB": ["Ltd", "plc"],
          "DE": ["GmbH", "AG"], "FR": ["SAS", "SARL"], "ES": ["S.L.", "S.A."], "IN": ["Pvt Ltd"]}
PARTS_A = ["Nor", "Ast", "Bel", "Cor", "Del", "Fal", "Gran", "Hel", "Ir", "Jun", "Kes", "Lum", "Mar",
           "Nov", "Or", "Pel", "Quin", "Ros", "Sol", "Tor", "Ul", "Ver", "Wes", "Yar", "Zen"]
PARTS_B = ["dex", "ton", "via", "ara", "ium", "ex", "ora", "ant", "ico", "ent", "wick", "field",
           "mark", "stone", "bridge", "gate", "line", "tech", "core", "tron"]
TRADES = ["Logistics", "Manufacturing", "Foods", "Systems", "Retail", "Health", "Energy", "Components",
          "Textiles", "Pharma", "Distribution", "Engineering", "Media", "Chemicals", "Packaging"]
COLLECTORS = ["alice", "bruno", "chen", "dana", "emeka", "fatima", "gita", "hugo", "ines", "jonas",
              "kofi", "lena", "mateo", "nora", "omar", "priya"]
PROFILES = [("prompt", 40), ("slow", 25), ("chronic", 10), ("partial", 10), ("bundler", 15)]
SIZES = [("small", 60, Decimal("0.4"), 300, 4000), ("mid", 35, Decimal("1.0"), 1500, 20000),
         ("key", 5, Decimal("2.5"), 8000, 120000)]
FIRST = ["Anna", "Ben", "Clara", "David", "Eva", "Felix", "Grace", "Henry", "Isabel", "Jack",
         "Kim", "Liam", "Maria", "Noah", "Olga", "Paul", "Rosa", "Sam", "Tina", "Victor"]
LAST = ["Smith", "Müller", "Martin", "García", "Brown", "Schmidt", "Dubois", "Patel", "Wilson",
        "Fischer", "Moreau", "López", "Taylor", "Weber", "Shah", "Clark"]


@dataclass
class Book:
    """One customer and every document of theirs."""

    customer: dict
    contacts: list[dict] = field(default_factory=list)
    invoices: list[dict] = field(default_factory=list)
    credit_notes: list[dict] = field(default_factory=list)
    payments: list[dict] = field(default_factory=list)
    # (document kind 'payment'|'credit_note', document index, invoice index, amount, applied_on)
    applications: list[tuple[str, int, int, Decimal, dt.date]] = field(default_factory=list)
    profile: str = ""


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def _pick(rng: random.Random, options: list[tuple], weight_index: int) -> tuple:
    return rng.choices(options, weights=[o[weight_index] for o in options])[0]


# E.164 numbers of the country: its calling code, a real area code, then the subscriber number
# (area codes of large cities; the subscriber digits come from the seed)
PHONE_AREAS = {"US": ("1", ["212", "312", "415", "617", "713", "206"], 7),
               "CA": ("1", ["416", "604", "514", "613"], 7),
               "GB": ("44", ["20", "161", "131"], None),
               "DE": ("49", ["30", "40", "89", "69"], 8),
               "FR": ("33", ["1", "4", "5"], 8),
               "ES": ("34", ["91", "93"], 7),
               "IN": ("91", ["22", "11", "80"], 8)}


def _phone(country: str, a: int, b: int, c: int) -> str:
    """A valid E.164 phone number of ``country`` from three random draws (the demo's seed decides them)."""
    code, areas, length = PHONE_AREAS[country]
    area = areas[a % len(areas)]
    if country in ("US", "CA"):  # NANP: exchange 200–999 and not N11, then four digits
        exchange = 200 + b % 800
        exchange += 1 if exchange % 100 == 11 else 0
        return f"+{code}{area}{exchange}{c % 10000:04d}"
    if country == "GB":  # London 20 + 8 digits starting 7; Manchester, Edinburgh + 7 digits starting 4
        subscriber = f"7{c:07d}"[:8] if area == "20" else f"4{c:07d}"[:7]
        return f"+{code}{area}{subscriber}"
    if country == "FR":  # one-digit zone (Paris, south-west, south-east) + 8 digits
        return f"+{code}{area}{b % 80 + 10:02d}{c % 1000000:06d}"
    if country == "IN":  # city code + 8 digits; landlines there start with 2
        return f"+{code}{area}2{c:07d}"
    subscriber = f"{b % 8 + 2}{c:07d}"[:length]  # never starts with 0 or 1
    return f"+{code}{area}{subscriber}"


def _company(rng: random.Random, country: str) -> str:
    return f"{rng.choice(PARTS_A)}{rng.choice(PARTS_B)} {rng.choice(TRADES)} {rng.choice(SUFFIX[country])}"


def _lateness(rng: random.Random, profile: str) -> int | None:
    """Days after due date the invoice is paid; None: not paid (yet)."""
    if profile == "prompt":
        return max(-10, int(rng.gauss(-1, 4)))
    if profile == "slow":
        return rng.randint(5, 40)
    if profile == "chronic":
        return None if rng.random() < 0.12 else rng.randint(25, 130)
    if profile == "partial":
        return rng.randint(0, 35)
    return rng.randint(0, 25)


def generate(*, customers: int, seed: int, as_of: dt.date, months: int = 15) -> Iterator[Book]:
    """Yield one Book per customer, deterministic for (customers, seed, as_of)."""
    rng = random.Random(seed)
    n_collectors = min(len(COLLECTORS), max(3, customers // 400 + 1))
    collectors = COLLECTORS[:n_collectors]
    start = as_of - dt.timedelta(days=int(months * 30.4))
    invoice_seq = payment_seq = credit_seq = 0
    parents: list[tuple[str, str]] = []  # (customer_id, country) of potential parents
    for n in range(1, customers + 1):
        country, currency, zones, language, _ = _pick(rng, COUNTRIES, 4)
        size, _, rate, low, high = _pick(rng, SIZES, 1)
        profile = _pick(rng, PROFILES, 1)[0]
        cid = f"C{n:06d}"
        terms = rng.choices([30, 45, 60, 15], weights=[60, 15, 15, 10])[0]
        name = _company(rng, country)
        parent = None
        same_country = [p for p in parents[-50:] if p[1] == country]
        if same_country and rng.random() < 0.12:
            parent = rng.choice(same_country)[0]
            name = f"{name.split(' ')[0]} {rng.choice(['North', 'South', 'East', 'West', 'Central'])} {name.split(' ', 1)[1]}"
        elif size != "small":
            parents.append((cid, country))
        domain = _ascii(name.split(" ")[0].lower()) + ".example"
        customer = {
            "customer_id": cid, "name": name, "parent_id": parent, "currency": currency,
            "payment_terms_days": terms,
            "credit_limit": quantize(Decimal(high) * rate * 3, currency).quantize(Decimal(1000)) or Decimal(1000),
            "country": country, "timezone": rng.choice(zones), "language": language,
            "segment": size, "collector": collectors[(n * 7 + rng.randint(0, 2)) % n_collectors],
            "email": f"ap@{domain}", "phone": _phone(country, rng.randint(10, 99), rng.randint(100, 999),
                                                     rng.randint(1000000, 9999999)),
        }
        book = Book(customer=customer, profile=profile)
        for k, role in enumerate(["ap", "billing", "escalation"][: rng.randint(1, 3)]):
            first, last = rng.choice(FIRST), rng.choice(LAST)
            local = "ap" if role == "ap" else _ascii(f"{first}.{last}".lower())
            email = f"{local}@{domain}"
            if any(c["email"] == email for c in book.contacts):
                email = f"{local}.{role}@{domain}"
            book.contacts.append({"email": email, "name": f"{first} {last}", "role": role,
                                  "phone": customer["phone"], "language": language, "primary": k == 0})
        # invoices: a Poisson-like count per month
        day = start
        while True:
            gap = max(1, int(rng.expovariate(float(rate) / 30.4)))
            day = day + dt.timedelta(days=gap)
            if day > as_of:
                break
            invoice_seq += 1
            amount = quantize(Decimal(str(round(rng.lognormvariate(0, 0.6) * (low + high) / 4, 2))), currency)
            amount = max(amount, quantize(Decimal(50), currency))
            book.invoices.append({
                "invoice_id": f"INV-{day.year}-{invoice_seq:07d}", "issue_date": day,
                "due_date": day + dt.timedelta(days=terms), "amount": amount, "currency": currency,
                "po_number": f"PO-{rng.randint(10000, 99999)}" if rng.random() < 0.7 else None,
                "description": rng.choice(["Goods delivered", "Monthly services", "Licence fees",
                                           "Spare parts", "Consulting", "Freight"]),
            })
        open_amount = [inv["amount"] for inv in book.invoices]
        bundles: dict[tuple[int, int], list[int]] = {}
        for i, inv in enumerate(book.invoices):
            if rng.random() < 0.03:  # credit note for a price or quantity issue
                credit_seq += 1
                credit = quantize(inv["amount"] * Decimal(rng.randint(5, 30)) / 100, currency)
                when = inv["issue_date"] + dt.timedelta(days=rng.randint(5, 40))
                if when <= as_of and credit > 0:
                    applied = rng.random() < 0.8
                    book.credit_notes.append({"credit_note_id": f"CN-{credit_seq:07d}", "issue_date": when,
                                              "amount": credit, "currency": currency,
                                              "reason": rng.choice(["pricing", "short shipment", "damaged goods"]),
                                              "applies_to": inv["invoice_id"] if applied else None})
                    if applied:
                        book.applications.append(("credit_note", len(book.credit_notes) - 1, i, credit,
                                                  max(when, inv["issue_date"])))
                        open_amount[i] -= credit
            late = _lateness(rng, profile)
            if late is None:
                continue
            paid_on = inv["due_date"] + dt.timedelta(days=late)
            if profile == "bundler":
                # one remittance on the 25th of the month after the due month covers them all
                paid_on = (dt.date(inv["due_date"].year, inv["due_date"].month, 1) + dt.timedelta(days=40)).replace(day=25)
                if paid_on <= as_of:
                    bundles.setdefault((paid_on.year, paid_on.month), []).append(i)
                continue
            if paid_on > as_of or open_amount[i] <= 0:
                continue
            pay = open_amount[i]
            if profile == "partial" and rng.random() < 0.5:
                pay = quantize(pay * Decimal(rng.randint(40, 80)) / 100, currency)
            payment_seq += 1
            over = quantize(Decimal(rng.randint(1, 50)), currency) if rng.random() < 0.02 else Decimal(0)
            book.payments.append({"payment_id": f"PAY-{payment_seq:08d}", "received_date": paid_on,
                                  "amount": pay + over, "currency": currency,
                                  "reference": f"{inv['invoice_id']} {inv.get('po_number') or ''}".strip(),
                                  "payer_name": name, "applies_to": inv["invoice_id"], "unidentified": False})
            book.applications.append(("payment", len(book.payments) - 1, i, pay, max(paid_on, inv["issue_date"])))
            open_amount[i] -= pay
        for (year, month), members in sorted(bundles.items()):
            total = sum((open_amount[i] for i in members if open_amount[i] > 0), Decimal(0))
            if total <= 0:
                continue
            payment_seq += 1
            paid_on = dt.date(year, month, 25)
            ids = [book.invoices[i]["invoice_id"] for i in members if open_amount[i] > 0]
            book.payments.append({"payment_id": f"PAY-{payment_seq:08d}", "received_date": paid_on,
                                  "amount": total, "currency": currency, "reference": "Remittance " + ", ".join(ids[:6]),
                                  "payer_name": name, "applies_to": ";".join(ids), "unidentified": False})
            for i in members:
                if open_amount[i] > 0:
                    book.applications.append(("payment", len(book.payments) - 1, i, open_amount[i],
                                              max(paid_on, book.invoices[i]["issue_date"])))
                    open_amount[i] = Decimal(0)
        if rng.random() < 0.04:  # cash on account, not yet applied
            payment_seq += 1
            book.payments.append({"payment_id": f"PAY-{payment_seq:08d}",
                                  "received_date": as_of - dt.timedelta(days=rng.randint(1, 40)),
                                  "amount": quantize(Decimal(rng.randint(100, 3000)), currency), "currency": currency,
                                  "reference": "payment on account", "payer_name": name, "applies_to": None,
                                  "unidentified": rng.random() < 0.3})
        yield book
