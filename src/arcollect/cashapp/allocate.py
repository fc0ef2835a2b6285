"""The matcher's amount layer (pure): for one suspected customer, the proposals a line's amount supports —
documents named (exact, over, short by a fee or discount, partial, a subset of them), near misses confirmed
by amount, then amount only (one open item, a combination), and last the whole amount on account."""

from __future__ import annotations

from decimal import ROUND_DOWN, ROUND_UP, Decimal
from typing import TYPE_CHECKING, Sequence

from arcollect.cashapp import combinations
from arcollect.cashapp.remittance import Candidate, Remittance, number_key
from arcollect.cashapp.shapes import Allocation, LineIn, Proposal

if TYPE_CHECKING:
    from arcollect.cashapp.matcher import Book, MatchSettings, Named, Suspect

ZERO = Decimal(0)


def spread(amount: Decimal, opens: Sequence[Decimal]) -> list[Decimal]:
    """``amount`` over items oldest first (each at most its open amount)."""
    out, left = [], amount
    for o in opens:
        take = min(o, left)
        out.append(take)
        left -= take
    return out


def proportional(amount: Decimal, opens: Sequence[Decimal]) -> list[Decimal]:
    """``amount`` over items in proportion to their open amounts (cents; the last takes the rest)."""
    total = sum(opens, ZERO)
    out, left = [], amount
    for j, o in enumerate(opens):
        take = left if j == len(opens) - 1 else (amount * o / total).quantize(Decimal("0.01"), rounding=ROUND_DOWN)
        take = min(take, o, left)
        out.append(take)
        left -= take
    return out


def _pct(total: Decimal, pct: Decimal) -> Decimal:
    """``pct`` % of ``total`` rounded up to the cent (a discount computed on the invoice rounds either way)."""
    return (total * pct / 100).quantize(Decimal("0.01"), rounding=ROUND_UP)


def _m(d: Decimal) -> str:
    return f"{d:,.2f}"


def _proposal(cid: str, pairs: Sequence[tuple[str, Decimal]], line: LineIn, conf: float, reasons: list[str],
              short: Decimal = ZERO, why: str | None = None) -> Proposal:
    allocs = tuple(Allocation(i, a) for i, a in pairs if a > 0)
    used = sum((a.amount for a in allocs), ZERO)
    return Proposal(cid, allocs, line.amount - used, round(max(0.0, min(conf, 0.99)), 3), tuple(reasons),
                    short if short > 0 else ZERO, why if short > 0 else None)


def _named_reason(n: "Named", iid: str) -> str:
    c = n.candidate
    src = "remittance" if c.strength != "structured" else "the structured remittance"
    if n.how == "po":
        return f"PO {c.number} of invoice {iid} named in {src}"
    if n.how == "exact":
        return f"invoice {iid} named in {src}"
    return f"invoice {iid} named in {src} (written {c.evidence!r})"


def allocate(line: LineIn, s: "Suspect", named: Sequence["Named"], near: Sequence["Named"],
             unresolved: Sequence[Candidate], rem: Remittance, book: "Book", settings: "MatchSettings") -> list[Proposal]:
    items, A = book.items, line.amount
    reasons = list(s.reasons)
    by_item: dict[int, "Named"] = {}
    for n in named:
        if n.item not in by_item or (by_item[n.item].candidate.strength == "bare" and n.candidate.strength != "bare"):
            by_item[n.item] = n
    order = sorted(by_item, key=lambda i: (items[i].due_date, items[i].issue_date, items[i].invoice_id))
    order = [i for i in order if not items[i].disputed or by_item[i].candidate.strength != "bare"]
    strong = any(by_item[i].candidate.strength != "bare" for i in order)
    ref_conf = max(s.confidence, 0.97 if strong else 0.9)
    out: list[Proposal] = []
    near_fit = [n for n in near if items[n.item].open_amount == A and n.item not in by_item and not items[n.item].disputed]
    if order and sum((items[i].open_amount for i in order), ZERO) != A and len({n.item for n in near_fit}) == 1 \
            and not any(by_item[i].candidate.amount is not None for i in order):
        n, it = near_fit[0], items[near_fit[0].item]
        return [_proposal(s.cid, [(it.invoice_id, A)], line, 0.85 if A % 50 == 0 else min(max(s.confidence, 0.9), 0.92), reasons + [
            f"written {n.candidate.evidence!r} is one slip from invoice {it.invoice_id}", "amount equals its open amount",
            f"invoice {items[order[0]].invoice_id} has another amount"])]
    if order:
        ids = [items[i].invoice_id for i in order]
        opens = [items[i].open_amount for i in order]
        why = reasons + [_named_reason(by_item[i], items[i].invoice_id) for i in order]
        why += [f"invoice {items[i].invoice_id} is disputed; paid as named" for i in order if items[i].disputed]
        T = sum(opens, ZERO)
        stated = [by_item[i].candidate.amount for i in order]
        if all(x is not None and x > 0 for x in stated):
            S = sum(stated, ZERO)  # type: ignore[arg-type]
            if S <= A and all(x <= o for x, o in zip(stated, opens)):  # type: ignore[operator]
                short = T - S
                kind = None
                if short > 0:
                    kind = "bank_fee" if short <= settings.fee_tolerance else (
                        "discount" if short <= _pct(T, settings.discount_tolerance_pct) else "deduction")
                conf = min(ref_conf, 0.98 if S == A else 0.92) - (0.1 if kind == "deduction" else 0)
                note = "amounts as the remittance states them" + (f"; {_m(A - S)} more than stated stays on account" if S < A else "")
                return [_proposal(s.cid, list(zip(ids, stated)), line, conf, why + [note], short, kind)]  # type: ignore[arg-type]
        if T == A:
            return [_proposal(s.cid, list(zip(ids, opens)), line, min(ref_conf, 0.99), why +
                              ["amount equals open amount" if len(ids) == 1 else f"amount equals the open amounts of the {len(ids)} invoices named"])]
        if A > T:
            # an overpayment is believed only when nothing else explains the rest: another open item of that
            # amount, an open item of the whole amount, a near miss of a number written
            others = [i for i in book.scope(s.cid) if i not in by_item and items[i].currency == line.currency]
            explained = [i for i in others if items[i].open_amount in (A - T, A)]
            explained += [n.item for n in near if items[n.item].open_amount == A and n.item not in by_item]
            conf = min(ref_conf, 0.93) if not explained else 0.75
            note = [f"overpaid by {_m(A - T)}: the rest stays unapplied on the customer"]
            if explained:
                note.append(f"but invoice {items[explained[0]].invoice_id} would explain the amount")
            return [_proposal(s.cid, list(zip(ids, opens)), line, conf, why + note)]
        diff = T - A
        if rem.partial:
            return [_proposal(s.cid, list(zip(ids, spread(A, opens))), line, min(ref_conf, 0.93),
                              why + [f"partial payment named as such ({rem.partial_evidence!r}); {_m(diff)} stays open"],
                              diff, "partial")]
        if diff <= settings.fee_tolerance and len(ids) == 1:
            return [_proposal(s.cid, [(ids[0], A)], line, min(ref_conf, 0.94),
                              why + [f"short by {_m(diff)}: a bank fee within tolerance {_m(settings.fee_tolerance)}"], diff, "bank_fee")]
        if diff <= _pct(T, settings.discount_tolerance_pct):
            return [_proposal(s.cid, list(zip(ids, proportional(A, opens))), line, min(ref_conf, 0.93),
                              why + [f"short by {_m(diff)} ({diff * 100 / T:.1f} %): early-payment discount within "
                                     f"{settings.discount_tolerance_pct} %"], diff, "discount")]
        if diff <= settings.fee_tolerance:
            pays = spread(A, opens)
            return [_proposal(s.cid, list(zip(ids, pays)), line, min(ref_conf, 0.91),
                              why + [f"short by {_m(diff)}: a bank fee within tolerance, left open on the newest"], diff, "bank_fee")]
        if len(order) > 1:  # the payer listed more than it paid: which of them add up?
            combo = combinations.find([combinations.units(o) for o in opens], combinations.units(A),
                                      max_items=settings.max_combination_items, max_states=settings.max_combination_states,
                                      min_size=1)
            for rank, picked in enumerate(combo.found):
                out.append(_proposal(s.cid, [(ids[j], opens[j]) for j in picked], line,
                                     min(ref_conf, 0.92 if combo.unique else 0.7) - 0.05 * rank,
                                     why + [f"amount equals {len(picked)} of the {len(ids)} invoices named"]))
            if out:
                return out
        out.append(_proposal(s.cid, list(zip(ids, spread(A, opens))), line, 0.6,
                             why + [f"paid {_m(A)} of {_m(T)} named: short by {_m(diff)} without a reason"], diff, "deduction"))
        return out

    # near misses (one slip in the number) count only when the amount confirms them
    for n in near:
        it = items[n.item]
        if it.open_amount == A or (n.candidate.amount is not None and n.candidate.amount == it.open_amount):
            if it.disputed:
                continue
            pay = min(A, it.open_amount)
            round_amount = A % 50 == 0  # a round amount confirms little: many invoices have it
            out.append(_proposal(s.cid, [(it.invoice_id, pay)], line, 0.85 if round_amount else min(max(s.confidence, 0.9), 0.93),
                                 reasons + [f"written {n.candidate.evidence!r} is one slip from invoice {it.invoice_id}",
                                            "amount equals its open amount"]))
    if len(out) == 1:
        return out
    if len(out) > 1:
        return [p.__class__(**{**p.__dict__, "confidence": 0.6}) for p in out]

    # amount only, within the customer (and its subsidiaries), never a disputed item
    scope = [i for i in book.scope(s.cid) if items[i].currency == line.currency and not items[i].disputed]
    # a bare number shaped like this customer's invoice numbers that names nothing open counts as a reference
    shapes = {(len(k), k[:2]) for k in (number_key(items[i].invoice_id) for i in scope[:200])}
    unresolved = list(unresolved) + [c for c in rem.of("invoice") if c.strength == "bare" and not c.alternative
                                     and (len(c.key), c.key[:2]) in shapes and not book.lookup(c.number)]
    cap = 0.7 if unresolved else 0.99
    if unresolved:
        reasons = reasons + [f"{c.evidence!r} names no open invoice" for c in unresolved[:3]]
    base = min(s.confidence, cap)
    singles = [i for i in scope if items[i].open_amount == A]
    if singles:
        conf = base if len(singles) == 1 else min(base, 0.6)
        extra = [] if len(singles) == 1 else [f"{len(singles)} open invoices of this amount"]
        return [_proposal(s.cid, [(items[i].invoice_id, A)], line, conf - 0.02 * r,
                          reasons + [f"amount equals open amount of invoice {items[i].invoice_id}"] + extra)
                for r, i in enumerate(singles[:3])]
    if len(scope) > 1:
        opens = [items[i].open_amount for i in scope]
        combo = combinations.find_smallest([combinations.units(o) for o in opens], combinations.units(A),
                                           max_items=settings.max_combination_items,
                                           max_states=settings.max_combination_states)
        for rank, picked in enumerate(combo.found):
            ids = [items[scope[j]].invoice_id for j in picked]
            conf = (base - 0.02) if combo.unique else min(base, 0.6) - 0.05 * rank
            if not combo.complete:
                conf = min(conf, 0.85)
            out.append(_proposal(s.cid, [(items[scope[j]].invoice_id, opens[j]) for j in picked], line, conf,
                                 reasons + [f"amount equals the sum of {len(ids)} open invoices ({', '.join(ids)})"]
                                 + ([] if combo.unique else ["another combination fits as well"])
                                 + ([] if combo.complete else [f"only the oldest of {len(scope)} open items searched"])))
        if out:
            return out
        if combo.exhausted:
            reasons = reasons + ["too many combinations of open items to decide"]
    for i in scope:
        it = items[i]
        diff = it.open_amount - A
        if 0 < diff <= settings.fee_tolerance or 0 < diff <= _pct(it.open_amount, settings.discount_tolerance_pct):
            kind = "bank_fee" if diff <= settings.fee_tolerance else "discount"
            out.append(_proposal(s.cid, [(it.invoice_id, A)], line, min(base, 0.8),
                                 reasons + [f"amount is {_m(diff)} short of invoice {it.invoice_id} ({kind.replace('_', ' ')})"],
                                 diff, kind))
    if out:
        return sorted(out, key=lambda p: p.short_pay)[:3]
    if rem.partial and scope:
        opens = [items[i].open_amount for i in scope]
        pays = spread(A, opens)
        out.append(_proposal(s.cid, [(items[i].invoice_id, p) for i, p in zip(scope, pays)], line, 0.6,
                             reasons + [f"partial payment ({rem.partial_evidence!r}) spread over the oldest items"],
                             sum(opens, ZERO) - A if sum(opens, ZERO) > A else ZERO, "partial"))
        return out
    return [_proposal(s.cid, [], line, min(s.confidence, 0.5), reasons + ["no open item fits the amount: on account"])]
