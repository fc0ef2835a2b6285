"""Carrying out an approved proposal with the features' own service functions — the same calls a collector's
click makes (record a promise, open a dispute, queue a copy, change the contact, attach a remittance advice,
snooze, link the reply) — all inside the approval's one transaction: ``joined`` hands those functions a
context whose units of work are the approval's session, so a refusal anywhere leaves everything as before."""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Iterator, Mapping

from sqlalchemy.orm import Session

from arcollect.context import Context
from arcollect.errors import InvalidInput


class _Borrowed:
    """``with ctx.sessions() as s`` inside the approval: the approval's session, left open afterwards."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def __call__(self) -> "_Borrowed":
        return self

    def __enter__(self) -> Session:
        return self.session

    def __exit__(self, *exc: object) -> None:
        return None


@dataclass
class _Joined(Context):
    shared: Session | None = None

    @contextmanager
    def unit_of_work(self) -> Iterator[Session]:
        assert self.shared is not None
        yield self.shared
        self.shared.flush()


def joined(ctx: Context, session: Session) -> Context:
    """``ctx`` whose every unit of work and read is ``session`` (committed or rolled back by the caller)."""
    return _Joined(**{**{f: getattr(ctx, f) for f in ("settings", "engine", "clock", "actor")},
                      "sessions": _Borrowed(session), "shared": session})  # type: ignore[arg-type]


def _day(value: Any, field: str) -> dt.date:
    try:
        return dt.date.fromisoformat(str(value or ""))
    except ValueError:
        raise InvalidInput(f"{field}: {value!r} is not a date (YYYY-MM-DD)") from None


def run(ctx: Context, *, kind: str, payload: Mapping[str, Any], customer_id: str | None, message_pk: int | None,
        proposal_pk: int, subject: str, sender: str | None, scope: Any) -> dict[str, Any]:
    """Do what the proposal says (``ctx`` is ``joined``); what was recorded, for the proposal and the audit."""
    if customer_id is None and kind != "log_reply":
        raise InvalidInput("the reply is linked to no account: link it to its account first")
    invoices = list(payload.get("invoices") or [])
    ref = f"the assistant's proposal {proposal_pk} (reply: {subject[:200]})"
    if kind == "record_promise":
        from arcollect.worklist import service as worklists

        if not payload.get("amount"):
            raise InvalidInput("amount: the reply states none and the invoices named have no open amount: edit it")
        p = worklists.add_promise(ctx, customer_id=customer_id, amount=str(payload["amount"]),
                                  promised_date=_day(payload.get("date"), "date"), scope=scope, invoices=invoices,
                                  channel="email", note=f"from {ref}")
        return {"promise_id": p["id"], "amount": p["amount"], "currency": p["currency"], "date": str(p["date"])}
    if kind == "open_dispute":
        from arcollect.disputes import service as disputes

        if not invoices:
            raise InvalidInput("invoices: the reply names no invoice of the account: edit the proposal to name them")
        d = disputes.open_dispute(ctx, customer_id=customer_id, invoices=[(i, None) for i in invoices],
                                  reason=str(payload.get("reason") or "other"), team=payload.get("team") or None,
                                  note=payload.get("note") or f"Opened from {ref}", scope=scope)
        return {"dispute_id": d["id"], "team": d["team"], "amount": d["amount"], "currency": d["currency"]}
    if kind == "send_invoice_copy":
        from arcollect.outreach import copies

        m = copies.queue_copy(ctx, customer_id=customer_id, invoices=invoices, key=f"proposal-{proposal_pk}",
                              reason=ref, scope=scope)
        return {"outbox_id": m["id"], "to": m["to"]}
    if kind == "update_contact":
        from arcollect.ledger import contacts

        if not payload.get("email"):
            raise InvalidInput("email: the reply names no new address: edit the proposal to give it")
        c = contacts.replace_contact(ctx, customer_id=customer_id, email=str(payload["email"]),
                                     replaces=sender if payload.get("replaces_sender") else None, why=ref, scope=scope)
        return {"email": c["email"], "replaced": c["replaced"], "added": c["added"]}
    if kind == "snooze_until":
        from arcollect.worklist import service as worklists

        s = worklists.snooze(ctx, customer_id=customer_id, until=_day(payload.get("date"), "date"), scope=scope,
                             note=f"out of office (from {ref})")
        return {"until": s["until"], "actions": s["actions"]}
    if kind == "mark_paid_check_cash":
        return _paid(ctx, payload, customer_id, message_pk, ref, scope)
    if kind == "propose_payment_plan":
        from arcollect.promises import service as promises

        a = promises.log_activity(ctx, customer_id=customer_id, kind="note", scope=scope, invoices=invoices,
                                  follow_up=ctx.clock.today() + dt.timedelta(days=1),
                                  note=payload.get("note") or f"The customer asks for a payment plan ({ref})")
        return {"activity_id": a["id"]}
    if kind == "log_reply":
        from arcollect.outreach import mailbox

        if message_pk is None or customer_id is None:
            raise InvalidInput("there is no stored reply or no account to put it on")
        m = mailbox.link_inbound(ctx, message_id=str(message_pk), customer_id=customer_id, scope=scope,
                                retriage=False)
        return {"message_id": m["id"], "customer_id": m["customer_id"]}
    raise InvalidInput(f"kind: {kind!r} is not an action the assistant carries out")


def _paid(ctx: Context, payload: Mapping[str, Any], customer_id: str, message_pk: int | None, ref: str,
          scope: Any) -> dict[str, Any]:
    """The customer says it paid: the remittance advice of the reply attached to its bank line when it is in,
    and a note with what the customer said to check the cash against (followed up tomorrow)."""
    from arcollect.cashapp import service as cash
    from arcollect.promises import service as promises

    advice = cash.attach_advice_of(ctx, message_pk=message_pk) if message_pk is not None else None
    said = ", ".join(x for x in (f"paid on {payload['paid_on']}" if payload.get("paid_on") else "",
                                 f"reference {payload['reference']}" if payload.get("reference") else "",
                                 f"amount {payload['amount']}" if payload.get("amount") else "") if x)
    found = (f"; remittance advice attached to bank line {advice['bank_line']}" if advice and advice["bank_line"]
             else "; no bank line found yet" if advice else "")
    a = promises.log_activity(ctx, customer_id=customer_id, kind="note", scope=scope,
                              invoices=list(payload.get("invoices") or []),
                              follow_up=ctx.clock.today() + dt.timedelta(days=1),
                              note=f"The customer says it has paid ({said or 'no details'}){found} — {ref}")
    return {"activity_id": a["id"], "bank_line": advice["bank_line"] if advice else None,
            "advice": advice["advice"] if advice else None}

