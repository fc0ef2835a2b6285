"""A realistic corpus of noisy remittances for the matcher (seeded): a synthetic book (customers with legal-form
names, groups, known payer accounts, open items with prefixes and leading zeros, PO numbers, disputes, numbers
of closed invoices) and bank lines of every case kind, each with its truth (customer and allocations, or nobody).

    from benchmarks.cashapp_corpus import corpus
    c = corpus(lines=2000, parties=400, items=4000, seed=7)   # c.parties, c.items, c.cases
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Callable

from arcollect.cashapp.remittance import creditor_reference
from arcollect.cashapp.shapes import DocumentRef, LineIn, OpenItem, Party

AS_OF = dt.date(2026, 11, 23)
CENT = Decimal("0.01")
FIRST = """Nordwind Alpen Baltic Central Delta Elbe Falken Global Hansa Iberia Jura Krone Lumen Meridian Nova Orion
Pacific Quadra Rhein Sierra Taurus Union Vektor Weser Xenon Yukon Zenit Adler Bergmann Castell Donau Eiche Fichte
Granit Hafen Insel Jupiter Kobalt Linde Main Neckar Oder Polar Quelle Ruhr Saale Tanne Ulme Vulkan Wald Atlas Boreal
Cobalt Dynamo Echo Fjord Gamma Helix Ionic Kappa Lotus Magnus Nimbus Omega Pixel Quartz Radius Solar Terra Ultra Vega
Willow Apex Beacon Cedar Dover Everest Fulton Garnet Harbor Ivory Jasper Kestrel Lancaster Monarch Newport Oakland
Pinnacle Quincy Redwood Sterling Trident Upton Vantage Westfield York Zephyr Müller Schmidt Schneider Fischer Weber
Meyer Wagner Becker Schulz Hoffmann Dubois Lefèvre Moreau Laurent Girard Garcia Martínez López Sánchez Romero""".split()
SECOND = """Steel Logistics Foods Pharma Textiles Plastics Chemicals Machines Electronics Software Energy Paper Glass
Timber Motors Optics Metals Packaging Brewing Dairy Farming Print Media Medical Robotics Aviation Marine Rail
Construction Tools Furniture Cosmetics Coffee Wine Solar Water Cable Pumps Valves Sensors Filters Bearings""".split()
THIRD = ["", "", "", "International", "Services", "Manufacturing", "Technologies", "Industries", "Group", "Systems",
         "Distribution", "Solutions", "Engineering", "Trading", "Partners", "Supply"]
LEGAL = ["GmbH", "AG", "Inc.", "Ltd", "LLC", "SA", "SARL", "BV", "plc", "Corp.", "GmbH & Co. KG", "S.A.", "Ltd.", "Inc"]
ABBREV = {"International": "Intl", "Services": "Svcs", "Manufacturing": "Mfg", "Technologies": "Tech",
          "Industries": "Ind", "Group": "Grp", "Distribution": "Dist", "Systems": "Sys", "Engineering": "Eng",
          "Logistics": "Log"}
COUNTRIES = [("Deutschland", "GmbH"), ("France", "SARL"), ("UK", "Ltd"), ("Benelux", "BV"), ("USA", "Inc."),
             ("Iberia", "SA"), ("Schweiz", "AG")]
NOBODY = ["Stadtwerke Kiel", "Max Mustermann", "J. Smith", "Finanzamt Süd", "Online Banking", "Private Transfer",
          "Lotto Bayern", "Kirchengemeinde St. Paul", "Maria Rossi", "Vereinskasse FC Nord", "Amazon Payments EU",
          "Western Union", "Paypal Europe", "HMRC Refund", "Jean Dupont", "Zahlung Bargeld"]
ROUND = [Decimal(x) for x in ("100.00", "250.00", "500.00", "750.00", "1000.00", "1500.00", "2000.00", "2500.00", "5000.00")]

KINDS: dict[str, int] = {  # case kind → weight in the corpus
    "exact_ref": 12, "ref_noise": 10, "ref_typo": 3, "several_listed": 7, "range": 3, "amount_single": 8,
    "amount_combination": 5, "bank_fee": 5, "discount": 4, "overpayment": 3, "partial": 3, "name_variant": 6,
    "parent_for_child": 4, "known_account": 5, "dunning_ref": 4, "rmr": 4, "camt_strd": 5, "po_ref": 3,
    "decoy_equal_amount": 2, "decoy_nobody": 2, "decoy_closed_ref": 2,
}


@dataclass(frozen=True)
class Truth:
    customer_id: str | None  # None: the line belongs to nobody here and must not be applied
    allocations: tuple[tuple[str, Decimal], ...] = ()
    unapplied: Decimal = Decimal(0)


@dataclass(frozen=True)
class Case:
    kind: str
    line: LineIn
    truth: Truth


@dataclass
class Corpus:
    parties: list[Party]
    items: list[OpenItem]
    cases: list[Case]
    closed: dict[str, list[tuple[str, Decimal]]]  # customer → numbers (and amounts) of its closed invoices


def _iban(r: random.Random) -> str:
    return "DE" + "".join(str(r.randint(0, 9)) for _ in range(20))


def book(parties: int, items: int, seed: int) -> tuple[list[Party], list[OpenItem], dict[str, list[tuple[str, Decimal]]]]:
    r = random.Random(seed)
    out_parties: list[Party] = []
    seen: set[str] = set()
    cid_no = 0

    def new_name() -> str:
        for _ in range(1000):
            core = f"{r.choice(FIRST)} {r.choice(SECOND)} {r.choice(THIRD)}".strip()
            if core.lower() not in seen:
                seen.add(core.lower())
                return core
        core = f"{r.choice(FIRST)} {r.choice(SECOND)} {len(seen)}"
        seen.add(core.lower())
        return core

    while len(out_parties) < parties:
        cid_no += 1
        cid = f"C{cid_no:06d}"
        accounts = (_iban(r),) if r.random() < 0.5 else ()
        if r.random() < 0.06 and len(out_parties) + 4 <= parties:  # a group: a holding and its subsidiaries
            core = new_name()
            out_parties.append(Party(cid, f"{core} Holding AG", None, accounts))
            for country, form in r.sample(COUNTRIES, r.randint(2, 3)):
                cid_no += 1
                seen.add(f"{core} {country}".lower())
                out_parties.append(Party(f"C{cid_no:06d}", f"{core} {country} {form}", cid))
        else:
            out_parties.append(Party(cid, f"{new_name()} {r.choice(LEGAL)}", None, accounts))
    currency_of = {p.customer_id: ("EUR" if r.random() < 0.8 else r.choice(["USD", "GBP"])) for p in out_parties}
    # items per customer: skewed (a few big accounts), ids increasing per customer with gaps (closed invoices)
    weights = [r.paretovariate(1.6) for _ in out_parties]
    total_w = sum(weights)
    counts = [max(1, min(400, int(items * w / total_w))) for w in weights]
    while sum(counts) < items:
        counts[r.randrange(len(counts))] += min(400, items - sum(counts))
    out_items: list[OpenItem] = []
    closed: dict[str, list[tuple[str, Decimal]]] = {}
    number = 100000
    for p, n in zip(out_parties, counts):
        style = r.random()
        for _ in range(n):
            if len(out_items) >= items:
                break
            while r.random() < 0.35:  # a closed (paid) invoice of this customer
                number += 1
                closed.setdefault(p.customer_id, []).append((f"INV-{number:07d}", _amount(r)))
            number += 1
            iid = f"INV-{number:07d}" if style < 0.85 else (f"RE{number:08d}" if style < 0.93 else f"F-2026-{number:07d}")
            issue = AS_OF - dt.timedelta(days=r.randint(5, 200))
            out_items.append(OpenItem(p.customer_id, iid, currency_of[p.customer_id], _amount(r), issue + dt.timedelta(days=30),
                                      issue, f"45{r.randint(0, 99999999):08d}" if r.random() < 0.3 else None,
                                      r.random() < 0.03))
    return out_parties, out_items, closed


def _amount(r: random.Random) -> Decimal:
    if r.random() < 0.08:
        return r.choice(ROUND)
    return (Decimal(r.randint(5000, 2000000)) / 100).quantize(CENT)


def _digits(iid: str) -> str:
    return "".join(ch for ch in iid if ch.isdigit())


def written(iid: str, r: random.Random) -> str:
    """How customers write our invoice number."""
    d = _digits(iid)
    bare = d.lstrip("0")
    forms = [iid, iid.lower(), bare, f"Rechnung {bare}", f"Rechnungsnr. {d}", f"RE {bare}", f"Inv. {bare}",
             f"Invoice {iid}", f"facture n° {bare}", f"FACT {bare}", f"factura {bare}", f"Fra. {bare}", f"#{bare}",
             f"INV {d[:4]} {d[4:]}", f"inv{bare}", f"Invoice No: {iid.replace('-', ' ')}", f"{iid.replace('-', '/')}"]
    return r.choice(forms)


def typo(iid: str, r: random.Random) -> str:
    d = list(_digits(iid).lstrip("0"))
    i = r.randrange(len(d) - 1)
    if r.random() < 0.5 and d[i] != d[i + 1]:
        d[i], d[i + 1] = d[i + 1], d[i]
    else:
        d[i] = r.choice([x for x in "0123456789" if x != d[i] and (i or x != "0")])
    return "".join(d)


def payer_name(p: Party, r: random.Random, *, hard: bool = False) -> str:
    name = p.name
    core = name
    for form in sorted(LEGAL, key=len, reverse=True):
        if core.endswith(" " + form):
            core = core[: -len(form) - 1]
            break
    variants = [name, name.upper(), core, core.upper(), name.replace(".", ""), f"{core}, {r.choice(LEGAL)}".upper()]
    if hard:
        abbreviated = " ".join(ABBREV.get(w, w) for w in name.split())
        variants += [abbreviated, abbreviated.upper(), name.upper()[:27], core.lower()]
    return r.choice(variants)


def corpus(lines: int = 2000, parties: int = 400, items: int = 4000, seed: int = 7) -> Corpus:
    parties_, items_, closed = book(parties, items, seed)
    r = random.Random(seed + 1)
    by_cust: dict[str, list[OpenItem]] = {}
    for it in items_:
        by_cust.setdefault(it.customer_id, []).append(it)
    pmap = {p.customer_id: p for p in parties_}
    children: dict[str, list[str]] = {}
    for p in parties_:
        if p.parent_id:
            children.setdefault(p.parent_id, []).append(p.customer_id)
    used: set[str] = set()
    amount_count: dict[tuple[str, Decimal], set[str]] = {}
    for it in items_:
        amount_count.setdefault((it.currency, it.open_amount), set()).add(it.customer_id)
    custs = [c for c in by_cust]
    cases: list[Case] = []
    kinds = list(KINDS)
    weights = [KINDS[k] for k in kinds]
    n = 0

    def free(cid: str, *, disputed: bool = False) -> list[OpenItem]:
        return [it for it in by_cust.get(cid, ()) if it.invoice_id not in used and (disputed or not it.disputed)]

    def line(amount: Decimal, currency: str, payer: str | None, texts: tuple[str, ...] = (), account: str | None = None,
             documents: tuple[DocumentRef, ...] = ()) -> LineIn:
        return LineIn(f"L{n:07d}", AS_OF, amount, currency, payer, account, texts, documents)

    def pick(k: int = 1, *, unique_amount: bool = False) -> tuple[Party, list[OpenItem]] | None:
        for _ in range(50):
            cid = r.choice(custs)
            avail = free(cid)
            if len(avail) >= k:
                chosen = r.sample(avail, k)
                if unique_amount and any(sum(1 for x in by_cust[cid] if x.open_amount == c.open_amount) > 1 for c in chosen):
                    continue
                return pmap[cid], chosen
        return None

    def take(chosen: list[OpenItem]) -> None:
        used.update(c.invoice_id for c in chosen)

    def paid(chosen: list[OpenItem]) -> tuple[tuple[str, Decimal], ...]:
        return tuple((c.invoice_id, c.open_amount) for c in chosen)

    filler = ["", "Zahlung", "Payment", "Danke", "Überweisung", "virement", "pago", "thanks", "SEPA Überweisung"]
    makers: dict[str, Callable[[], Case | None]] = {}

    def exact_ref() -> Case | None:
        got = pick()
        if not got:
            return None
        p, [it] = got
        take([it])
        text = r.choice([it.invoice_id, f"Invoice {it.invoice_id}", f"{r.choice(filler)} {it.invoice_id}".strip()])
        return Case("exact_ref", line(it.open_amount, it.currency, payer_name(p, r), (text,)), Truth(p.customer_id, paid([it])))

    def ref_noise() -> Case | None:
        got = pick()
        if not got:
            return None
        p, [it] = got
        take([it])
        text = f"{r.choice(filler)} {written(it.invoice_id, r)}".strip()
        return Case("ref_noise", line(it.open_amount, it.currency, payer_name(p, r), (text,)), Truth(p.customer_id, paid([it])))

    def ref_typo() -> Case | None:
        got = pick()
        if not got:
            return None
        p, [it] = got
        take([it])
        text = f"{r.choice(['Rechnung', 'Invoice', 'INV', 'RE'])} {typo(it.invoice_id, r)}"
        return Case("ref_typo", line(it.open_amount, it.currency, payer_name(p, r), (text,)), Truth(p.customer_id, paid([it])))

    def several_listed() -> Case | None:
        got = pick(r.randint(2, 4))
        if not got:
            return None
        p, chosen = got
        take(chosen)
        nums = [_digits(c.invoice_id).lstrip("0") for c in chosen]
        style = r.random()
        if style < 0.3:
            text = "Inv " + ", ".join(nums[:-1]) + " & " + nums[-1]
        elif style < 0.6:
            text = " / ".join(f"INV {x} {c.open_amount}" for x, c in zip(nums, chosen))
        elif style < 0.8:
            text = "Rechnungen " + ", ".join(nums)
        else:
            text = " ".join(c.invoice_id for c in chosen)
        total = sum((c.open_amount for c in chosen), Decimal(0))
        return Case("several_listed", line(total, chosen[0].currency, payer_name(p, r), (text,)), Truth(p.customer_id, paid(chosen)))

    def range_() -> Case | None:
        for _ in range(100):
            cid = r.choice(custs)
            avail = sorted(free(cid), key=lambda x: x.invoice_id)
            runs = [avail[i:i + 3] for i in range(len(avail) - 2)
                    if all(x.invoice_id.startswith("INV-") for x in avail[i:i + 3])
                    and int(_digits(avail[i + 2].invoice_id)) - int(_digits(avail[i].invoice_id)) == 2]
            if runs:
                chosen = r.choice(runs)
                take(chosen)
                lo, hi = _digits(chosen[0].invoice_id).lstrip("0"), _digits(chosen[-1].invoice_id).lstrip("0")
                text = r.choice([f"Rechnungen {lo}-{hi}", f"invoices {lo} to {hi}", f"INV {lo} - {hi}"])
                total = sum((c.open_amount for c in chosen), Decimal(0))
                return Case("range", line(total, chosen[0].currency, payer_name(pmap[cid], r), (text,)),
                            Truth(cid, paid(chosen)))
        return None

    def amount_single() -> Case | None:
        got = pick()
        if not got:
            return None
        p, [it] = got
        take([it])
        return Case("amount_single", line(it.open_amount, it.currency, payer_name(p, r), (r.choice(filler),)),
                    Truth(p.customer_id, paid([it])))

    def amount_combination() -> Case | None:
        got = pick(r.randint(2, 3))
        if not got:
            return None
        p, chosen = got
        take(chosen)
        total = sum((c.open_amount for c in chosen), Decimal(0))
        return Case("amount_combination", line(total, chosen[0].currency, payer_name(p, r),
                                               (r.choice(["Sammelzahlung", "payment", "", "Zahlung offene Posten"]),)),
                    Truth(p.customer_id, paid(chosen)))

    def bank_fee() -> Case | None:
        got = pick()
        if not got:
            return None
        p, [it] = got
        fee = Decimal(r.choice(["2.50", "5.00", "7.50", "10.00", "12.00", "15.00", "20.00", "25.00"]))
        if it.open_amount <= fee * 4:
            return None
        take([it])
        amount = it.open_amount - fee
        return Case("bank_fee", line(amount, it.currency, payer_name(p, r), (written(it.invoice_id, r),)),
                    Truth(p.customer_id, ((it.invoice_id, amount),)))

    def discount() -> Case | None:
        got = pick()
        if not got:
            return None
        p, [it] = got
        pct = Decimal(r.choice(["2", "2", "3", "1.5", "1"]))
        amount = (it.open_amount * (100 - pct) / 100).quantize(CENT, ROUND_HALF_UP)
        if it.open_amount - amount <= Decimal("25.00"):
            amount = (it.open_amount * Decimal("0.97")).quantize(CENT, ROUND_HALF_UP)
            if it.open_amount - amount <= Decimal("25.00"):
                return None
        take([it])
        text = f"{written(it.invoice_id, r)} abzgl. {pct}% Skonto" if r.random() < 0.5 else written(it.invoice_id, r)
        return Case("discount", line(amount, it.currency, payer_name(p, r), (text,)), Truth(p.customer_id, ((it.invoice_id, amount),)))

    def overpayment() -> Case | None:
        got = pick()
        if not got:
            return None
        p, [it] = got
        take([it])
        extra = (Decimal(r.randint(1000, 50000)) / 100).quantize(CENT)
        return Case("overpayment", line(it.open_amount + extra, it.currency, payer_name(p, r), (written(it.invoice_id, r),)),
                    Truth(p.customer_id, paid([it]), extra))

    def partial() -> Case | None:
        got = pick()
        if not got:
            return None
        p, [it] = got
        take([it])
        amount = (it.open_amount * Decimal(r.randint(20, 70)) / 100).quantize(CENT)
        word = r.choice(["Teilzahlung", "partial payment", "acompte", "Part payment", "Abschlag"])
        num = _digits(it.invoice_id).lstrip("0")
        text = r.choice([f"{word} Rechnung {num}", f"{word} {it.invoice_id}", f"{it.invoice_id} {word}"])
        return Case("partial", line(amount, it.currency, payer_name(p, r), (text,)), Truth(p.customer_id, ((it.invoice_id, amount),)))

    def name_variant() -> Case | None:
        got = pick()
        if not got:
            return None
        p, [it] = got
        take([it])
        return Case("name_variant", line(it.open_amount, it.currency, payer_name(p, r, hard=True), (written(it.invoice_id, r),)),
                    Truth(p.customer_id, paid([it])))

    def parent_for_child() -> Case | None:
        if not parents_:
            return None
        parent = r.choice(parents_)
        pool = [it for ch in children[parent] for it in free(ch)]
        if not pool:
            return None
        chosen = r.sample(pool, min(len(pool), r.randint(1, 3)))
        cur = chosen[0].currency
        chosen = [c for c in chosen if c.currency == cur]
        take(chosen)
        text = " ".join(written(c.invoice_id, r) for c in chosen)
        total = sum((c.open_amount for c in chosen), Decimal(0))
        return Case("parent_for_child", line(total, cur, payer_name(pmap[parent], r), (text,)), Truth(parent, paid(chosen)))

    def known_account() -> Case | None:
        for _ in range(50):
            got = pick()
            if got and got[0].accounts:
                p, [it] = got
                take([it])
                text = r.choice([written(it.invoice_id, r), r.choice(filler)])
                return Case("known_account", line(it.open_amount, it.currency, r.choice([None, "SEPA GUTSCHRIFT", p.name.upper()[:12]]),
                                                  (text,), p.accounts[0]), Truth(p.customer_id, paid([it])))
        return None

    def dunning_ref() -> Case | None:
        for _ in range(50):
            cid = r.choice(custs)
            avail = free(cid)
            if avail:
                avail.sort(key=lambda x: (x.due_date, x.issue_date, x.invoice_id))
                chosen = avail[: r.randint(1, min(2, len(avail)))]
                take(chosen)
                total = sum((c.open_amount for c in chosen), Decimal(0))
                ref = f"{cid}-{AS_OF - dt.timedelta(days=r.randint(3, 30)):%Y%m%d}"
                return Case("dunning_ref", line(total, chosen[0].currency, r.choice([None, "ONLINE BANKING"]), (f"Ref {ref}",)),
                            Truth(cid, paid(chosen)))
        return None

    def rmr() -> Case | None:
        got = pick(r.randint(1, 3))
        if not got:
            return None
        p, chosen = got
        take(chosen)
        text = "~".join(f"RMR*IV*{c.invoice_id.replace('-', '')}*PI*{c.open_amount}*{c.open_amount}" for c in chosen) + "~"
        total = sum((c.open_amount for c in chosen), Decimal(0))
        return Case("rmr", line(total, chosen[0].currency, payer_name(p, r), (text,)), Truth(p.customer_id, paid(chosen)))

    def camt_strd() -> Case | None:
        got = pick(r.randint(1, 3))
        if not got:
            return None
        p, chosen = got
        take(chosen)
        docs = []
        for j, c in enumerate(chosen):
            if r.random() < 0.2:
                docs.append(DocumentRef("creditor_ref", creditor_reference(_digits(c.invoice_id).lstrip("0")), None, "CdtrRefInf/Ref"))
            else:
                docs.append(DocumentRef("invoice", c.invoice_id, c.open_amount, f"Strd[{j + 1}]/RfrdDocInf/Nb"))
        total = sum((c.open_amount for c in chosen), Decimal(0))
        return Case("camt_strd", line(total, chosen[0].currency, payer_name(p, r), (), documents=tuple(docs)),
                    Truth(p.customer_id, paid(chosen)))

    def po_ref() -> Case | None:
        for _ in range(100):
            got = pick()
            if got and got[1][0].po_number:
                p, [it] = got
                take([it])
                text = r.choice([f"PO {it.po_number}", f"P.O. {it.po_number}", f"Bestellung {it.po_number}"])
                return Case("po_ref", line(it.open_amount, it.currency, payer_name(p, r), (text,)), Truth(p.customer_id, paid([it])))
        return None

    shared = [k for k, v in amount_count.items() if len(v) > 1]
    closed_custs = [c for c in closed if c in by_cust] or custs
    parents_ = list(children)

    def decoy_equal_amount() -> Case | None:
        if not shared:
            return None
        cur, amount = r.choice(shared)
        return Case("decoy_equal_amount", line(amount, cur, r.choice([None, "ONLINE BANKING", "SEPA GUTSCHRIFT"]),
                                               (r.choice(filler),)), Truth(None))

    def decoy_nobody() -> Case | None:
        amount = _amount(r) if r.random() < 0.7 else r.choice(items_).open_amount
        return Case("decoy_nobody", line(amount, "EUR", r.choice(NOBODY), (r.choice(filler + ["Miete November", "Spende"]),)),
                    Truth(None))

    def decoy_closed_ref() -> Case | None:
        cid = r.choice(closed_custs)
        if cid not in closed:
            return None
        iid, amount = r.choice(closed[cid])
        return Case("decoy_closed_ref", line(amount, by_cust[cid][0].currency, payer_name(pmap[cid], r), (written(iid, r),)),
                    Truth(None))

    makers.update({"exact_ref": exact_ref, "ref_noise": ref_noise, "ref_typo": ref_typo, "several_listed": several_listed,
                   "range": range_, "amount_single": amount_single, "amount_combination": amount_combination,
                   "bank_fee": bank_fee, "discount": discount, "overpayment": overpayment, "partial": partial,
                   "name_variant": name_variant, "parent_for_child": parent_for_child, "known_account": known_account,
                   "dunning_ref": dunning_ref, "rmr": rmr, "camt_strd": camt_strd, "po_ref": po_ref,
                   "decoy_equal_amount": decoy_equal_amount, "decoy_nobody": decoy_nobody, "decoy_closed_ref": decoy_closed_ref})
    attempts = 0
    while len(cases) < lines and attempts < lines * 5:
        attempts += 1
        n = len(cases)
        case = makers[r.choices(kinds, weights)[0]]()
        if case is not None:
            cases.append(case)
    return Corpus(parties_, items_, cases, closed)
