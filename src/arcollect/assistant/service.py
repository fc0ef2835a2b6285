"""The assistant's service: ``triage`` reads one raw customer email as if it had arrived in the mailbox,
links it to an account the way inbound mail does, reads its intent and facts offline and proposes the actions
a collector would take (CONTRACT §11). It records nothing: every action waits for a person to approve it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from arcollect.assistant import clean, extract, intents, language
from arcollect.calendar import zone
from arcollect.cashapp import remittance as R
from arcollect.context import Context
from arcollect.disputes.workflow import DEFAULT_TEAM
from arcollect.errors import InvalidInput, NotFound
from arcollect.ledger import service as ledger
from arcollect.ledger.models import Customer, Invoice
from arcollect.ledger.open_items import open_items_by_customer
from arcollect.money import money_str, sum_money
from arcollect.outreach import inbound, mailbox

MAX_RAW = 2_000_000


def _account(session: Any, parsed: inbound.Parsed, text: str, quoted: str,
             scope: ledger.CustomerScope) -> tuple[Customer | None, str | None]:
    """The customer the mail is about and why: as inbound mail links it (thread, sender, domain, invoice
    numbers), then our dunning reference or a customer number the mail quotes. Outside the caller's scope: none."""
    customer_pk, _, why = mailbox.link_message(session, parsed)
    customer = session.get(Customer, customer_pk) if customer_pk else None
    if customer is None:
        rem = R.read([parsed.subject, text, quoted])
        for c in rem.of("dunning", "customer"):
            found = session.scalar(select(Customer).where(func.upper(Customer.customer_id) == c.number.upper()))
            if found is not None:
                customer, why = found, ("dunning reference" if c.kind == "dunning" else "customer number") + f" {c.evidence}"
                break
    if customer is None:
        return None, None
    try:
        ledger.scoped_customer(session, scope, customer.customer_id)
    except NotFound:
        return None, None
    return customer, why


def _resolve(numbers: list[str], known: list[str]) -> list[str]:
    """Written numbers → the account's invoice ids: exact or normalised, else a single near miss."""
    index = R.InvoiceIndex(known)
    out: list[str] = []
    for n in numbers:
        hits = index.lookup(n, near=False) or [h for h in index.lookup(n) if len(index.lookup(n)) == 1]
        for h in hits:
            if h.invoice_id not in out:
                out.append(h.invoice_id)
    return out


def triage(ctx: Context, *, raw: bytes, scope: ledger.CustomerScope = ledger.EVERYTHING) -> dict[str, Any]:
    """CONTRACT §11: ``{"customer_id", "intent", "confidence", "invoices", "promise", "dispute", "actions",
    "evidence"}`` (plus ``language``, ``link`` and ``facts`` for people). Writes nothing to the database."""
    if not raw or not raw.strip():
        raise InvalidInput("the email is empty")
    if len(raw) > MAX_RAW:
        raise InvalidInput(f"the email is larger than {MAX_RAW} bytes")
    parsed = inbound.parse(raw)
    text = clean.reply_text(text=parsed.text, html=parsed.html)
    quoted = clean.quoted_text(text=parsed.text, html=parsed.html)
    with ctx.sessions() as session:
        customer, why = _account(session, parsed, text, quoted, scope)
        tz = zone(customer.timezone if customer else None)
        written = parsed.sent_at or ctx.clock.now()
        as_of = written.astimezone(tz).date()
        month_first = bool(customer and (customer.country or "").upper() in ("US", "PH", "CA", "FM"))
        found = intents.classify(text, subject=parsed.subject, auto_reply=parsed.kind == "auto_reply")
        facts = extract.facts(text, as_of=as_of, intent=found.intent, subject=parsed.subject, sender=parsed.from_addr,
                              month_first=month_first)
        open_items: list[dict[str, Any]] = []
        invoices: list[str] = []
        currency = customer.currency if customer else None
        if customer is not None:
            known = list(session.scalars(select(Invoice.invoice_id).where(Invoice.customer_pk == customer.id)))
            invoices = _resolve(facts.invoices, known)
            open_items = open_items_by_customer(session, customer_pks=[customer.id], as_of=as_of).get(customer.id, [])
        else:
            invoices = [n for n, ev in zip(facts.invoices, facts.invoice_evidence) if not ev.strip().isdigit()]
    lang = language.base(customer.language if customer else None)
    result = _result(found, facts, invoices=invoices, open_items=open_items, currency=currency, as_of=as_of)
    result.update({"customer_id": customer.customer_id if customer else None,
                   "language": language.detect(text, default=lang or "en"),
                   "link": why, "as_of": as_of.isoformat(), "text": text[:4000]})
    return {k: result[k] for k in ("customer_id", "intent", "confidence", "invoices", "promise", "dispute", "actions",
                                   "evidence", "language", "link", "as_of", "facts", "text")}


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
