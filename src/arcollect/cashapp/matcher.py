"""The matcher (pure): bank lines against open items, layered the way a careful cash-app specialist works —
who paid (parties.py), which documents the remittance names (remittance.py), which amounts fit (exact, a
combination — combinations.py —, short pays, overpayments, partials) — and one decision per line with its
reasons and a confidence. Only what is unambiguous and confident enough is applied."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Sequence

from arcollect.cashapp.allocate import allocate
from arcollect.cashapp.parties import PartyIndex
from arcollect.cashapp.remittance import Candidate, is_near, number_key, read, segment_key
from arcollect.cashapp.shapes import Decision, LineIn, OpenItem, Party, Proposal

ZERO = Decimal(0)


@dataclass(frozen=True)
class MatchSettings:
    auto_threshold: float = 0.9
    fee_tolerance: Decimal = Decimal("25.00")  # a short pay up to this much is a bank fee
    discount_tolerance_pct: Decimal = Decimal("3")  # a short pay up to this share of the items is a discount
    max_combination_items: int = 30
    name_score_cutoff: float = 88
    max_combination_states: int = 20000
    short_pay: str = "leave_open"  # or "deduction": the residual of a short pay applied is written off (service)


class Book:
    """The open items indexed once per run: by customer (oldest first), by normalised number, by PO."""

    def __init__(self, items: Sequence[OpenItem], parties: PartyIndex) -> None:
        self.items = items
        self.parties = parties
        self.by_customer: dict[str, list[int]] = {}
        self.by_key: dict[str, int | list[int]] = {}
        self.by_po: dict[str, list[int]] = {}
        self.by_id: dict[str, int] = {}
        for i, it in enumerate(items):
            self.by_id[it.invoice_id] = i
            self.by_customer.setdefault(it.customer_id, []).append(i)
            for k in (number_key(it.invoice_id), segment_key(it.invoice_id)):
                if k is None:
                    continue
                old = self.by_key.get(k)
                if old is None:
                    self.by_key[k] = i
                elif isinstance(old, int):
                    if old != i:
                        self.by_key[k] = [old, i]
                elif i not in old:
                    old.append(i)
            if it.po_number:
                self.by_po.setdefault(number_key(it.po_number), []).append(i)
        for ids in self.by_customer.values():
            ids.sort(key=lambda i: (items[i].due_date, items[i].issue_date, items[i].invoice_id))

    def lookup(self, written: str) -> list[int]:
        out: list[int] = []
        for k in (number_key(written), segment_key(written)):
            hit = self.by_key.get(k) if k else None
            if hit is None:
                continue
            for i in (hit,) if isinstance(hit, int) else hit:
                if i not in out:
                    out.append(i)
        return out

    def scope(self, cid: str) -> list[int]:
        """The open items a payment of ``cid`` may settle: its own and its subsidiaries', oldest first."""
        members = self.parties.subtree(cid)
        if len(members) == 1:
            return self.by_customer.get(cid, [])
        ids = [i for m in members for i in self.by_customer.get(m, ())]
        ids.sort(key=lambda i: (self.items[i].due_date, self.items[i].issue_date, self.items[i].invoice_id))
        return ids


@dataclass
class Named:
    """A document the remittance names, resolved to an open item."""

    item: int
    candidate: Candidate
    how: str  # exact | normalised | near | po


@dataclass
class Suspect:
    """A customer the line may belong to, with the evidence for it."""

    cid: str  # the payer as identified (parent or child)
    confidence: float
    reasons: list[str] = field(default_factory=list)
    by_reference: bool = False


def match(lines: Sequence[LineIn], parties: Sequence[Party], items: Sequence[OpenItem],
          settings: MatchSettings | None = None) -> list[Decision]:
    """One decision per line: apply (unambiguous and confident), review (ranked proposals) or unidentified."""
    settings = settings or MatchSettings()
    index = PartyIndex(parties, score_cutoff=settings.name_score_cutoff)
    book = Book(items, index)
    return [match_line(line, book, settings) for line in lines]


def match_line(line: LineIn, book: Book, settings: MatchSettings) -> Decision:
    index = book.parties
    rem = read(line.texts, line.documents)
    suspects: dict[str, Suspect] = {}  # by group root

    def suspect(cid: str, confidence: float, reason: str, by_reference: bool = False) -> None:
        root = index.root(cid)
        s = suspects.get(root)
        if s is None:
            suspects[root] = Suspect(cid, confidence, [reason], by_reference)
            return
        if reason not in s.reasons:
            s.reasons.append(reason)
        s.by_reference = s.by_reference or by_reference
        s.confidence = min(0.99, max(s.confidence, confidence) + 0.02)  # a second, agreeing piece of evidence

    # a. who paid: account, name, our dunning reference, customer numbers
    payer: list[tuple[str, float]] = []  # who the payer is by its own marks (account, name, our reference)
    for cid in sorted(index.account(line.payer_account)):
        payer.append((cid, 0.97))
        suspect(cid, 0.97, f"payer account {line.payer_account} seen paying for {cid}")
    name_hits = index.names(line.payer_name)
    for h in name_hits[:3]:
        if h.how in ("exact", "alias"):
            payer.append((h.customer_id, 0.95))
        if h.how == "exact":
            suspect(h.customer_id, 0.95, f"payer name equals customer {h.matched!r}")
        elif h.how == "alias":
            suspect(h.customer_id, 0.96, f"payer name {h.matched!r} confirmed before for {h.customer_id}")
        else:
            span = 100 - settings.name_score_cutoff or 1
            conf = 0.55 + 0.3 * max(0.0, h.score - settings.name_score_cutoff) / span
            suspect(h.customer_id, conf, f"payer name {h.score:.0f} % like customer {h.matched!r}")
    for c in rem.of("dunning"):
        for cid in sorted(index.number(c.number, exact_only=True)):
            payer.append((cid, 0.96))
            suspect(cid, 0.96, f"our dunning reference {c.evidence} names {cid}")
    for c in rem.of("customer"):
        for cid in sorted(index.number(c.number)):
            payer.append((cid, 0.93))
            suspect(cid, 0.93, f"customer number {c.evidence} written")

    # b. documents named in the remittance
    named: list[Named] = []
    unresolved: list[Candidate] = []
    for c in rem.of("invoice", "credit_note", "po"):
        hits = book.by_po.get(number_key(c.number), []) if c.kind == "po" else book.lookup(c.number)
        hits = [i for i in hits if book.items[i].currency == line.currency]
        if not hits:
            if c.strength != "bare" and not c.alternative:
                unresolved.append(c)
            continue
        for i in hits:
            how = "po" if c.kind == "po" else ("exact" if book.items[i].invoice_id == c.number else "normalised")
            named.append(Named(i, c, how))
    owners: dict[str, set[int]] = {}
    for n in named:
        owners.setdefault(index.root(book.items[n.item].customer_id), set()).add(n.item)
    for root, ids in owners.items():
        strong = [n for n in named if n.item in ids and n.candidate.strength != "bare"]
        first = book.items[min(ids)]
        what = "invoice" if any(n.how != "po" for n in named if n.item in ids) else "PO"
        conf = 0.97 if strong else (0.9 if root in suspects else 0.7)
        suspect(first.customer_id if root not in suspects else suspects[root].cid, conf,
                f"{what} {first.invoice_id if what == 'invoice' else first.po_number} belongs to {first.customer_id}",
                by_reference=True)

    if not suspects:
        why = ["no customer identified"]
        if line.payer_name:
            why.append(f"payer name {line.payer_name!r} like no customer")
        if unresolved:
            why.append("; ".join(f"{c.evidence!r} is no open invoice" for c in unresolved[:3]))
        return Decision(line.id, "unidentified", (), tuple(why))

    # near misses inside the suspects' items (one transposition or digit off), confirmed later by amount — for
    # numbers that resolve to nothing open, or to no item of this customer, or to items of another amount
    near: dict[str, list[Named]] = {}
    written = [c for c in rem.of("invoice", "credit_note") if not c.alternative and (c.strength != "bare" or len(c.key) >= 5)]
    for root, s in suspects.items():
        own = [n for n in named if index.root(book.items[n.item].customer_id) == root]
        if own and sum((book.items[i].open_amount for i in {n.item for n in own}), ZERO) == line.amount:
            continue
        scope = book.scope(root)
        if not written or len(scope) > 5000:
            continue
        keys = {c.key: c for c in written}
        for i in scope:
            it = book.items[i]
            if it.currency != line.currency:
                continue
            k = number_key(it.invoice_id)
            for ck, c in keys.items():
                if is_near(ck, k):
                    near.setdefault(root, []).append(Named(i, c, "near"))

    proposals: list[Proposal] = []
    ranked = sorted(suspects.values(), key=lambda s: (-s.by_reference, -s.confidence, s.cid))
    for s in ranked[:3]:
        root = index.root(s.cid)
        own = [n for n in named if index.root(book.items[n.item].customer_id) == root]
        mine = {id(n.candidate) for n in own}
        elsewhere = [n.candidate for n in named if n.candidate.strength != "bare" and not n.candidate.alternative
                     and id(n.candidate) not in mine]  # numbers written that name another customer's invoices
        proposals.extend(allocate(line, s, own, near.get(root, []), unresolved + list(dict.fromkeys(elsewhere)), rem,
                                  book, settings))
    sure = {cid for cid, conf in payer}
    proposals = [_owner(p, book, payer_sure=p.customer_id in sure) for p in proposals]
    payer_groups = {index.root(cid) for cid, conf in payer if conf >= 0.95}
    if len(payer_groups) == 1:
        (pg,) = payer_groups
        proposals = [p if index.root(p.customer_id) == pg or not p.allocations else
                     replace(p, confidence=min(p.confidence, 0.8),
                             reasons=(*p.reasons, f"but the payer is {index.name(next(iter(payer_groups)))}"))
                     for p in proposals]
    proposals.sort(key=lambda p: -p.confidence)
    if not proposals:
        return Decision(line.id, "unidentified", (), ("no proposal",))
    best = proposals[0]
    # d. decide
    rivals = [p for p in proposals[1:] if p.confidence >= best.confidence - 0.05 and
              (index.root(p.customer_id) != index.root(best.customer_id) or p.allocations != best.allocations)]
    if rivals:
        what = ("two customers fit" if index.root(rivals[0].customer_id) != index.root(best.customer_id)
                else "two combinations fit")
        return Decision(line.id, "review", tuple(proposals[:5]), (what, *best.reasons))
    if len(ranked) > 1 and not ranked[0].by_reference and ranked[1].confidence >= ranked[0].confidence - 0.05:
        return Decision(line.id, "review", tuple(proposals[:5]), ("two customers fit", *best.reasons))
    if best.confidence >= settings.auto_threshold and best.allocations:
        if settings.short_pay == "deduction" and best.short_pay > 0 and best.short_pay_reason != "partial":
            best = replace(best, reasons=(*best.reasons, f"the residual {best.short_pay:,.2f} becomes a deduction "
                                                          f"({(best.short_pay_reason or 'deduction').replace('_', ' ')}): "
                                                          "written off, or for approval"))
            proposals[0] = best
        return Decision(line.id, "apply", tuple(proposals[:5]), best.reasons)
    return Decision(line.id, "review", tuple(proposals[:5]),
                    (f"confidence {best.confidence:.2f} below {settings.auto_threshold:.2f}", *best.reasons))


def _owner(p: Proposal, book: Book, *, payer_sure: bool) -> Proposal:
    """The customer a proposal is for: the payer when it is surely identified and the items' parent (a group pays
    for its children), else the one customer whose items it settles."""
    owners = {book.items[book.by_id[a.invoice_id]].customer_id for a in p.allocations if a.invoice_id in book.by_id}
    if not owners or owners == {p.customer_id}:
        return p
    members = set(book.parties.subtree(p.customer_id))
    if owners <= members and (payer_sure or len(owners) > 1):
        return p
    if len(owners) == 1:
        return replace(p, customer_id=owners.pop())
    return p
