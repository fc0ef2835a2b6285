"""Corrections of applied bank cash, inside the caller's transaction: misapplied cash moved to another customer
or other invoices (the applications in force reversed, the line applied again — nothing erased), and the residual
a line left on an invoice it short-paid checked before it is written off (at once up to the auto limit of
settings, else by the escalation approval matrix).

Locks, in the order every money writer keeps (DESIGN §8): the line, then every invoice the move touches — the
old ones and the new ones together, ascending keys —, then the payment.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from arcollect import audit
from arcollect.cashapp import posting
from arcollect.cashapp.history import WRITEOFF_REASONS  # noqa: F401  (the reason codes, re-exported)
from arcollect.cashapp.models import BankLine
from arcollect.errors import Conflict, InvalidInput, NotFound
from arcollect.ledger import service as ledger
from arcollect.ledger.models import Customer, Invoice, Payment
from arcollect.money import money_str, quantize, to_decimal

ZERO = Decimal(0)


def owner_of(session: Session, invoice_ids: Sequence[str]) -> str:
    """The one customer these invoices belong to (InvalidInput when several, NotFound when none)."""
    owners = set(session.scalars(select(Customer.customer_id).join(Invoice, Invoice.customer_pk == Customer.id)
                                 .where(Invoice.invoice_id.in_(list(invoice_ids)))))
    if len(owners) > 1:
        raise InvalidInput(f"the invoices belong to several customers ({', '.join(sorted(owners))}); "
                           f"name one with --customer")
    if not owners:
        raise NotFound(f"invoices not found: {', '.join(invoice_ids)}")
    return owners.pop()


def _customer_id(session: Session, pk: int | None) -> str | None:
    return session.scalar(select(Customer.customer_id).where(Customer.id == pk)) if pk else None


def move_line(session: Session, *, line: BankLine, customer_id: str | None,
              invoices: Sequence[tuple[str, Decimal | None]], reason: str, on: dt.date, now: dt.datetime,
              actor: str) -> dict[str, Any]:
    """Move an applied (locked) line's cash: its applications in force reversed, then the line applied to
    ``customer_id`` (else the invoices' customer) and ``invoices``, the rest on account; what a person's match
    teaches is learned; one audit row with from and to. Returns the customer keys before and after."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("say why the cash is moved (--reason)")
    if line.status != "applied":
        raise Conflict(f"bank line {line.id} is {line.status}, not applied: apply it instead of moving it")
    if not invoices and not customer_id:
        raise InvalidInput("name the customer (--customer) or the invoices (--invoices) the cash belongs to")
    who = customer_id or owner_of(session, [i for i, _ in invoices])
    payment = session.get(Payment, line.payment_pk) if line.payment_pk else None
    if payment is None:
        raise Conflict(f"bank line {line.id} has no payment in the ledger")
    old = posting.in_force(session, payment.id)
    new_pks = list(session.scalars(select(Invoice.id).where(Invoice.invoice_id.in_([i for i, _ in invoices])))) \
        if invoices else []
    # every invoice the move touches, old and new together, in one ascending order; then the payment
    ledger.lock_rows(session, Invoice, [a.invoice_pk for a in old] + new_pks)
    ledger.lock_rows(session, Payment, [payment.id])
    before = {"customer": _customer_id(session, line.customer_pk),
              "applications": posting.applications_of(session, [payment.id]).get(payment.id, [])}
    undone = posting.unpost_line(session, line=line, on=on, now=now, actor=actor, reason=f"moved: {reason}")
    moved = posting.post_line(session, line=line, customer_id=who, invoices=list(invoices), now=now, actor=actor,
                              decided_by=actor, confidence=1.0, reasons=[f"moved by {actor}: {reason}"])
    taught = posting.learn(session, line=line, customer_pk=moved["customer_pk"], now=now, actor=actor)
    audit.record(session, at=now, actor=actor, action="move", entity="bank_line", entity_key=str(line.id),
                 changes={"from": before, "to": {"customer": who, "applications": moved["applications"],
                                                 "unapplied": moved["unapplied"]},
                          "reason": reason, "payment": payment.payment_id, "learned": taught})
    return {"from_customer_pk": undone["customer_pk"], "to_customer_pk": moved["customer_pk"]}


def auto_limit(spec: str, currency: str) -> Decimal:
    """The write-off auto limit of ``currency`` from ``ARCOLLECT_CASH_WRITEOFF_AUTO_LIMIT`` ("5.00" for every
    currency, "EUR:5.00,USD:5.00", or both: a bare amount as the default); 0 when none is set."""
    default, mine = ZERO, None
    for part in (spec or "").split(","):
        code, _, amount = part.strip().rpartition(":")
        if not amount.strip():
            continue
        if not code:
            default = to_decimal(amount.strip())
        elif code.strip().upper() == currency.upper():
            mine = to_decimal(amount.strip())
    return mine if mine is not None else default


def residual(session: Session, *, line: BankLine, invoice_id: str, amount: Decimal | str) -> tuple[Invoice, Decimal]:
    """The invoice a (locked) applied line short-paid and the amount of its residual to write off, checked:
    the line's cash is applied to the invoice, the invoice still has that much open (read inside its lock)."""
    if line.status != "applied" or line.payment_pk is None:
        raise Conflict(f"bank line {line.id} is {line.status}: only the residual of an applied line is written off")
    inv = session.scalar(select(Invoice).where(Invoice.invoice_id == invoice_id))
    if inv is None:
        raise NotFound(f"invoice {invoice_id!r} not found")
    applied = {a.invoice_pk for a in posting.in_force(session, line.payment_pk)}
    if inv.id not in applied:
        raise InvalidInput(f"bank line {line.id} pays nothing of invoice {invoice_id}: only the residual of an "
                           f"invoice the line short-paid is written off here")
    try:
        value = to_decimal(amount)
    except (TypeError, ValueError):
        raise InvalidInput(f"--amount: {amount!r} is not an amount") from None
    if not value.is_finite() or value <= 0:
        raise InvalidInput("--amount: greater than zero")
    if quantize(value, inv.currency) != value:
        raise InvalidInput(f"--amount: more decimals than {inv.currency} has")
    ledger.lock_rows(session, Invoice, [inv.id])
    left = quantize(ledger.open_amount_of(session, inv.id), inv.currency)  # every application, later ones too
    if value > left:
        raise Conflict(f"invoice {invoice_id} has {money_str(left, inv.currency)} open, less than the write-off "
                       f"{money_str(value, inv.currency)}")
    return inv, value


def check_reason(code: str) -> str:
    code = (code or "").strip()
    if code not in WRITEOFF_REASONS:
        raise InvalidInput(f"--reason {code!r}: one of {', '.join(WRITEOFF_REASONS)}")
    return code
