"""Escalation status moves (on the account's timeline, audited) and the actions carried out on approval:
the demand letter kept and on the timeline, the credit-hold or agency flag set, the write-offs, the
settlement's promise or the instalment plan started — and a kept settlement's discount written off."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from arcollect import audit
from arcollect.errors import Conflict
from arcollect.escalations import plan_ledger
from arcollect.escalations import plans as PL
from arcollect.escalations import policy as E
from arcollect.escalations.models import Escalation
from arcollect.ledger import service as ledger
from arcollect.ledger.models import Customer, Invoice
from arcollect.money import quantize
from arcollect.promises import service as promises

GRACE_DAYS = 3  # after a settlement's date or an instalment's


def on_timeline(session: Session, e: Escalation, at: dt.datetime, actor: str, text: str) -> None:
    promises.record_activity(session, customer_pk=e.customer_pk, kind="escalation", at=at, actor=actor,
                          note=f"Escalation {e.id} ({E.ACTIONS[e.action].lower()}): {text}")


def move(session: Session, e: Escalation, status: str, at: dt.datetime, actor: str, text: str,
          **changes: Any) -> None:
    E.check_transition(e.status, status)
    before = e.status
    e.status = status
    if status in ("completed", "broken"):
        e.completed_at = at
    on_timeline(session, e, at, actor, text)
    audit.record(session, at=at, actor=actor, action=status, entity="escalation", entity_key=str(e.id),
                 changes={"status": [before, status], **changes})


def carry_out(session: Session, e: Escalation, customer: Customer, day: dt.date, now: dt.datetime, actor: str,
               pdf: tuple[bytes, str] | None) -> None:
    invoices = e.details.get("invoices", {})
    if e.action == "demand_letter":
        assert pdf is not None
        e.document, e.document_name = pdf
        promises.record_activity(session, customer_pk=customer.id, kind="letter", at=now, actor=actor,
                              note=f"Demand letter issued (escalation {e.id}): {pdf[1]}", invoices=list(invoices))
        move(session, e, "completed", now, actor, f"demand letter {pdf[1]} issued")
    elif e.action in ("credit_hold", "agency"):
        field = "credit_hold" if e.action == "credit_hold" else "do_not_contact"
        ledger.update_customer_in(session, customer, {field: True}, now=now, actor=actor, why={"escalation": e.id})
        e.result = {field: True, **({"placed_on": day.isoformat()} if e.action == "agency" else {})}
        move(session, e, "completed", now, actor, "account on credit hold" if e.action == "credit_hold" else
              "account placed with the collection agency (no more dunning from us)")
    elif e.action == "write_off":
        done = {}
        for iid, amount in invoices.items():
            inv = session.scalar(select(Invoice).where(Invoice.invoice_id == iid, Invoice.customer_pk == customer.id))
            if inv is None:
                raise Conflict(f"invoice {iid} no longer exists")
            wo = ledger.write_off_in(session, invoice=inv, amount=amount, on=day, approved_by=actor, now=now, actor=actor,
                                     reason=f"escalation {e.id}" + (f": {e.note}" if e.note else ""))
            done[iid] = {"amount": amount, "write_off": wo}
        e.result = {"written_off": done}
        move(session, e, "completed", now, actor, "written off " + ", ".join(f"{k} {v['amount']}" for k, v in done.items()))
    else:  # settlement and payment plan: approved now, completed or broken once the money shows (or not)
        linked = list(session.scalars(select(Invoice).where(Invoice.customer_pk == customer.id,
                                                           Invoice.invoice_id.in_(list(invoices)))))
        if e.action == "settlement":
            promise = promises.create_promise(
                session, customer=customer, amount=Decimal(e.details["settle_amount"]), currency=e.currency,
                promised_date=dt.date.fromisoformat(e.details["pay_by"]), made_on=day, grace_days=GRACE_DAYS,
                channel="other", note=f"settlement (escalation {e.id}); the rest is written off once paid",
                invoices=linked, now=now, actor=actor)
            e.promise_pk, e.result = promise.id, {"promise": promise.id}
        else:
            schedule = [PL.Instalment(dt.date.fromisoformat(i["due_on"]), Decimal(i["amount"]))
                        for i in e.details["instalments"]]
            plan = plan_ledger.create(session, customer=customer, currency=e.currency, invoices=linked,
                                       schedule=schedule, agreed_on=day, grace_days=GRACE_DAYS, now=now, actor=actor)
            e.plan_pk, e.result = plan.id, {"plan": plan.id}
            promises.record_activity(session, customer_pk=customer.id, kind="note", at=now, actor=actor,
                                  invoices=list(invoices), note=f"Instalment plan {plan.id} agreed (escalation {e.id}): "
                                  + ", ".join(f"{i.amount} by {i.due_on.isoformat()}" for i in schedule))


def write_off_rest(session: Session, e: Escalation, day: dt.date, now: dt.datetime) -> dict[str, str]:
    """After a kept settlement: what the settled invoices still owe is written off (the agreed discount)."""
    out = {}
    for iid in e.details.get("invoices", {}):
        inv = session.scalar(select(Invoice).where(Invoice.invoice_id == iid))
        left = quantize(ledger.open_amount_of(session, inv.id, day), inv.currency) if inv is not None else Decimal(0)
        if inv is not None and left > 0:
            ledger.write_off_in(session, invoice=inv, amount=left, on=day, approved_by=e.decided_by, now=now,
                                actor="ledger", reason=f"settlement discount (escalation {e.id})")
            out[iid] = str(left)
    return out
