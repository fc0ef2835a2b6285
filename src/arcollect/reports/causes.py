"""Recurring causes (pure): disputes by reason and by root cause (counts, amounts, share of the disputed
value, cycle time, monthly trend), invoices with PO, billing or address errors by customer, and the few
recommendations plain rules draw from them — each with the figures it rests on."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Iterable, Sequence

from arcollect.money import format_money, money_str
from arcollect.reports.metrics import one_decimal
from arcollect.reports.periods import Period

ZERO = Decimal(0)
# Dispute reasons that are our own invoicing errors, by the kind of error they are.
ERROR_KINDS = {"po": "po", "billing_error": "billing", "duplicate": "billing", "tax": "billing"}
ACTIONS = {
    "pricing": "check the price master and the quotes behind those invoices",
    "quantity": "check shipping quantities against the orders",
    "quality": "raise the damaged or faulty goods with quality",
    "billing_error": "review the billing process",
    "po": "capture the customer's PO at order entry",
    "contract": "check the contract set-up in billing",
    "duplicate": "check the invoicing run for duplicates",
    "tax": "check the tax set-up",
    "not_received": "send proofs of delivery with the invoices",
    "service": "confirm delivery of the service before billing",
    "other": "read these disputes' notes for a pattern",
}
SHARE_RULE = Decimal(25)          # a reason with at least this % of a currency's disputed value
SEGMENT_RULE = Decimal(50)        # … named with the segment holding at least this % of it
SLOW_RULE = Decimal("1.5")        # a reason resolved this many times slower than all disputes
ERRORS_RULE = 3                   # a customer with at least this many invoices in error


@dataclass(frozen=True)
class DisputeFact:
    reason: str
    root_cause: str | None
    currency: str
    amount: Decimal
    opened_on: dt.date
    resolved_on: dt.date | None
    customer_id: str
    segment: str | None


@dataclass(frozen=True)
class ErrorInvoice:
    customer_id: str
    name: str
    kind: str  # po | billing | address
    invoice_id: str | None  # None: an address error that named no invoice (a call to a wrong contact)
    currency: str
    amount: Decimal


def _cycle(facts: Sequence[DisputeFact]) -> tuple[int, float | None]:
    done = [(f.resolved_on - f.opened_on).days for f in facts if f.resolved_on is not None]
    return len(done), one_decimal(Decimal(sum(done)) / len(done)) if done else None


def _groups(facts: Iterable[DisputeFact], key: Any) -> dict[tuple[Any, str], list[DisputeFact]]:
    out: dict[tuple[Any, str], list[DisputeFact]] = defaultdict(list)
    for f in facts:
        out[(key(f), f.currency)].append(f)
    return out


def _table(facts: Sequence[DisputeFact], key: Any, name: str, months: Sequence[Period],
           labels: dict[str, str] | None = None) -> list[dict[str, Any]]:
    totals: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for f in facts:
        totals[f.currency] += f.amount
    rows = []
    for (value, cur), group in _groups(facts, key).items():
        amount = sum((f.amount for f in group), ZERO)
        resolved, cycle = _cycle(group)
        row: dict[str, Any] = {name: value}
        if labels is not None:
            row["label"] = labels.get(value, value)
        row.update({"currency": cur, "disputes": len(group), "amount": money_str(amount, cur),
                    "share": one_decimal(amount / totals[cur] * 100) if totals[cur] else None,
                    "resolved": resolved, "cycle_days": cycle})
        rows.append((amount, row))
    rows.sort(key=lambda p: (p[1]["currency"], -p[0], str(p[1][name])))
    return [r for _, r in rows]


def _trend(facts: Sequence[DisputeFact], months: Sequence[Period]) -> list[dict[str, Any]]:
    out = []
    for m in months:
        inside = [f for f in facts if m.start <= f.opened_on <= m.end]
        by: dict[tuple[str, str], list[DisputeFact]] = defaultdict(list)
        for f in inside:
            by[(f.reason, f.currency)].append(f)
        out.append({"month": m.label, "disputes": len(inside),
                    "by_reason": [{"reason": r, "currency": c, "disputes": len(g),
                                   "amount": money_str(sum((f.amount for f in g), ZERO), c)}
                                  for (r, c), g in sorted(by.items())]})
    return out


def error_table(errors: Iterable[ErrorInvoice]) -> list[dict[str, Any]]:
    """Invoices in error per customer: how many of each kind, and their amounts per currency."""
    by: dict[str, dict[str, Any]] = {}
    seen: set[tuple[str, str]] = set()
    for e in errors:
        row = by.setdefault(e.customer_id, {"customer_id": e.customer_id, "name": e.name, "po": 0, "billing": 0,
                                            "address": 0, "invoices": [], "unnamed": 0,
                                            "amounts": defaultdict(lambda: ZERO)})
        if e.invoice_id is None:
            row[e.kind] += 1
            row["unnamed"] += 1
            continue
        if (e.kind, e.invoice_id) in seen:
            continue
        seen.add((e.kind, e.invoice_id))
        row[e.kind] += 1
        if e.invoice_id not in row["invoices"]:
            row["invoices"].append(e.invoice_id)
            row["amounts"][e.currency] += e.amount
    out = []
    for row in by.values():
        row["amounts"] = [{"currency": c, "amount": money_str(a, c)} for c, a in sorted(row["amounts"].items())]
        row["invoices"] = sorted(row["invoices"])
        row["count"] = len(row["invoices"]) + row.pop("unnamed")
        out.append(row)
    out.sort(key=lambda r: (-r["count"], r["customer_id"]))
    return out


def recommendations(facts: Sequence[DisputeFact], errors: Sequence[dict[str, Any]],
                    labels: dict[str, str]) -> list[dict[str, Any]]:
    """Plain rules over the period's disputes and error invoices; each says what it saw."""
    out: list[dict[str, Any]] = []
    totals: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for f in facts:
        totals[f.currency] += f.amount
    for (reason, cur), group in sorted(_groups(facts, lambda f: f.reason).items()):
        amount = sum((f.amount for f in group), ZERO)
        share = amount / totals[cur] * 100 if totals[cur] else ZERO
        if share < SHARE_RULE or len(group) < 2:
            continue
        segments: dict[str | None, Decimal] = defaultdict(lambda: ZERO)
        for f in group:
            segments[f.segment] += f.amount
        top, top_amount = max(segments.items(), key=lambda p: (p[1], str(p[0])))
        where = ""
        if top is not None and top_amount / amount * 100 >= SEGMENT_RULE:
            where = f" on segment {top}"
        out.append({"rule": "reason_share", "reason": reason, "currency": cur,
                    "text": f"{one_decimal(share):g} % of disputed value ({cur}) is {labels.get(reason, reason).lower()}"
                            f"{where} — {ACTIONS.get(reason, ACTIONS['other'])}",
                    "evidence": {"disputes": len(group), "amount": money_str(amount, cur),
                                 "disputed_total": money_str(totals[cur], cur), "segment": top if where else None,
                                 "segment_amount": money_str(top_amount, cur) if where else None}})
    all_resolved, all_cycle = _cycle(facts)
    if all_cycle:
        for reason, group in sorted(_groups(facts, lambda f: f.reason).items()):
            resolved, cycle = _cycle(group)
            if resolved >= 2 and cycle is not None and Decimal(str(cycle)) >= SLOW_RULE * Decimal(str(all_cycle)) \
                    and cycle > all_cycle:
                label = labels.get(reason[0], reason[0])
                out.append({"rule": "slow_reason", "reason": reason[0], "currency": reason[1],
                            "text": f"disputes about {label.lower()} take {cycle:g} days to resolve against "
                                    f"{all_cycle:g} for all disputes — agree a faster route with the team that owns them",
                            "evidence": {"resolved": resolved, "cycle_days": cycle, "all_resolved": all_resolved,
                                         "all_cycle_days": all_cycle}})
    for row in errors:
        if row["count"] >= ERRORS_RULE:
            kinds = ", ".join(f"{row[k]} {k}" for k in ("po", "billing", "address") if row[k])
            amounts = ", ".join(format_money(Decimal(a["amount"]), a["currency"]) for a in row["amounts"])
            out.append({"rule": "customer_errors", "customer_id": row["customer_id"],
                        "text": f"{row['name']} ({row['customer_id']}) had {row['count']} invoices with errors "
                                f"({kinds}; {amounts}) — review their PO and billing requirements",
                        "evidence": {"invoices": row["invoices"], "po": row["po"], "billing": row["billing"],
                                     "address": row["address"]}})
    return out


def causes_report(facts: Sequence[DisputeFact], errors: Sequence[ErrorInvoice], period: Period,
                  months: Sequence[Period], labels: dict[str, str]) -> dict[str, Any]:
    """The whole `report causes` document for the period (the trend over ``months``)."""
    inside = [f for f in facts if period.start <= f.opened_on <= period.end]
    error_rows = error_table(errors)
    return {"period": period.label, "start": period.start.isoformat(), "end": period.end.isoformat(),
            "days": period.days, "disputes": len(inside),
            "by_reason": _table(inside, lambda f: f.reason, "reason", months, labels),
            "by_root_cause": _table(inside, lambda f: f.root_cause or "(not yet known)", "root_cause", months),
            "by_reason_and_root_cause": [
                {"reason": r[0], "root_cause": r[1], **{k: v for k, v in row.items() if k != "pair"}}
                for row in _table(inside, lambda f: (f.reason, f.root_cause or "(not yet known)"), "pair", months)
                for r in [row["pair"]]],
            "trend": _trend(facts, months),
            "error_invoices": error_rows,
            "recommendations": recommendations(inside, error_rows, labels)}
