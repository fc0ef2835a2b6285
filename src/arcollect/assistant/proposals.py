"""From a reply's own words to what CONTRACT §11 shows (pure): the intent, the facts resolved against the
account's documents (passed in), and the actions proposed — each ``needs_approval``; nothing is decided here."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any, Sequence

from arcollect.assistant import extract, intents, model
from arcollect.cashapp import remittance as R
from arcollect.disputes.workflow import DEFAULT_TEAM
from arcollect.money import money_str, sum_money


def resolve(numbers: Sequence[str], known: Sequence[str]) -> list[str]:
    """Written numbers → the account's invoice ids, exact or normalised (case, separators, prefix, leading
    zeros); only when none resolves so, a single near miss (one slip) of a number that is not a year."""
    index = R.InvoiceIndex(known)
    out: list[str] = []
    for n in numbers:
        for h in index.lookup(n, near=False):
            if h.invoice_id not in out:
                out.append(h.invoice_id)
    if out:
        return out
    for n in numbers:
        if re.fullmatch(r"(?:19|20)\d{2}", R.number_key(n)):
            continue
        hits = index.lookup(n)
        if len(hits) == 1 and hits[0].invoice_id not in out:
            out.append(hits[0].invoice_id)
    return out


def read(text: str, *, subject: str, as_of: dt.date, auto_reply: bool = False, sender: str | None = None,
         known_invoices: Sequence[str] | None = None, open_items: Sequence[dict[str, Any]] = (),
         currency: str | None = None, month_first: bool = False,
         override: dict[str, Any] | None = None) -> dict[str, Any]:
    """The triage of a cleaned reply. ``known_invoices``: the account's invoice ids (None: no account — the
    labelled numbers are shown as written); ``open_items``: its open invoices (for the amount of a promise);
    ``override``: a language model's validated reading (refine.triage), which replaces the offline intent
    and the facts it states."""
    found = model.classify(text, subject=subject, auto_reply=auto_reply)
    if override is not None:
        found = intents.Intent(override["intent"], override["confidence"],
                               tuple(override["evidence"]) or found.evidence, found.scores)
    facts = extract.facts(text, as_of=as_of, intent=found.intent, subject=subject, sender=sender,
                          month_first=month_first)
    if override is not None:
        _apply(facts, override)
    if known_invoices is not None:
        invoices = resolve(facts.invoices, known_invoices)
    else:
        invoices = [n for n, ev in zip(facts.invoices, facts.invoice_evidence) if not ev.strip().isdigit()]
    return _result(found, facts, invoices=invoices, open_items=list(open_items), currency=currency, as_of=as_of)


def _apply(facts: extract.Facts, override: dict[str, Any]) -> None:
    """The model's facts over the offline ones (the offline ones stay where it states nothing)."""
    said = "language model: " + " · ".join(override["evidence"])[:200]
    if override.get("promise_date") is not None:
        facts.promise_date = extract.Fact(override["promise_date"], said, override["confidence"])
    if override.get("promise_amount") is not None:
        facts.amounts = [extract.Fact(override["promise_amount"], said, override["confidence"]), *facts.amounts]
    if override.get("reason"):
        facts.reason = extract.Fact(override["reason"], said, override["confidence"])
    for n in override.get("invoices", ()):
        if n not in facts.invoices:
            facts.invoices.append(n)
            facts.invoice_evidence.append(n)


def _open_of(open_items: list[dict[str, Any]], invoices: list[str], currency: str | None) -> Decimal | None:
    rows = [r for r in open_items if not invoices or r["invoice_id"] in invoices]
    if not rows or currency is None:
        return None
    return sum_money((r["open_amount"] for r in rows if r["currency"] == currency), currency)


def _result(found: intents.Intent, facts: extract.Facts, *, invoices: list[str], open_items: list[dict[str, Any]],
            currency: str | None, as_of: dt.date) -> dict[str, Any]:
    evidence = list(found.evidence)
    kinds = (found.intent, *found.also())
    stated = facts.amounts[0] if facts.amounts else None
    promise = None
    actions: list[dict[str, Any]] = []
    if "promise_to_pay" in kinds and facts.promise_date is not None:
        amount = stated.value if stated else _open_of(open_items, invoices, currency)
        shown = money_str(amount, currency) if (amount is not None and currency) else (
            f"{amount:.2f}" if amount is not None else None)
        promise = {"date": facts.promise_date.value.isoformat(), "amount": shown}
        evidence.append(facts.promise_date.evidence)
        if stated:
            evidence.append(stated.evidence)
        actions.append({"kind": "record_promise", "needs_approval": True, "date": promise["date"], "amount": shown,
                        "invoices": invoices, "channel": "email",
                        "amount_from": "stated" if stated else "open amount of the invoices named" if invoices else
                        "open balance"})
    dispute = None
    if "dispute" in kinds:
        reason = facts.reason or extract.reason(" ".join(found.evidence))
        code = reason.value if reason else "other"
        dispute = {"reason": code}
        if reason:
            evidence.append(reason.evidence)
        actions.append({"kind": "open_dispute", "needs_approval": True, "reason": code, "invoices": invoices,
                        "team": DEFAULT_TEAM.get(str(code), "ara")})
    if "paid" in kinds:
        action: dict[str, Any] = {"kind": "mark_paid_check_cash", "needs_approval": True, "invoices": invoices}
        if facts.paid_date:
            action["paid_on"] = facts.paid_date.value.isoformat()
            evidence.append(facts.paid_date.evidence)
        if stated:
            action["amount"] = money_str(stated.value, currency) if currency else f"{stated.value:.2f}"
        if facts.paid_reference:
            action["reference"] = facts.paid_reference.value
            evidence.append(facts.paid_reference.evidence)
        actions.append(action)
    if "invoice_copy" in kinds:
        actions.append({"kind": "send_invoice_copy", "needs_approval": True,
                        "invoices": invoices or [r["invoice_id"] for r in open_items]})
    if "payment_plan" in kinds:
        total = _open_of(open_items, invoices, currency)
        actions.append({"kind": "propose_payment_plan", "needs_approval": True, "invoices": invoices,
                        "amount": money_str(total, currency) if (total is not None and currency) else None})
    if "out_of_office" in kinds:
        until = facts.return_date.value if facts.return_date else as_of + dt.timedelta(days=7)
        if facts.return_date:
            evidence.append(facts.return_date.evidence)
        actions.append({"kind": "snooze_until", "needs_approval": True, "date": until.isoformat(),
                        "stated": facts.return_date is not None})
    if facts.new_contact is not None and ("wrong_contact" in kinds or "out_of_office" in kinds or found.intent == "other"):
        evidence.append(facts.new_contact.evidence)
        actions.append({"kind": "update_contact", "needs_approval": True, "email": facts.new_contact.value,
                        "replaces_sender": "wrong_contact" in kinds})
    elif "wrong_contact" in kinds:
        actions.append({"kind": "update_contact", "needs_approval": True, "email": None, "replaces_sender": True})
    evidence += [ev for ev in facts.invoice_evidence if invoices and ev not in evidence][:5]
    fact_view = {"promise_date": _fact(facts.promise_date), "paid_date": _fact(facts.paid_date),
                 "paid_reference": _fact(facts.paid_reference), "reason": _fact(facts.reason),
                 "return_date": _fact(facts.return_date), "new_contact": _fact(facts.new_contact),
                 "amounts": [_fact(a) for a in facts.amounts[:5]], "invoices_written": facts.invoices[:50]}
    return {"intent": found.intent, "confidence": found.confidence, "invoices": invoices, "promise": promise,
            "dispute": dispute, "actions": actions, "evidence": list(dict.fromkeys(e for e in evidence if e)),
            "facts": fact_view}


def _fact(f: extract.Fact | None) -> dict[str, Any] | None:
    if f is None:
        return None
    value = f.value.isoformat() if isinstance(f.value, dt.date) else str(f.value)
    return {"value": value, "evidence": f.evidence, "confidence": f.confidence}
