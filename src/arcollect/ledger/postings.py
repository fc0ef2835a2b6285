"""Money moving on the ledger: applying a payment or credit note to an invoice, reversing an application
(a new, negative row), recording and moving payments, writing invoices off. Each public function owns its
transaction; the ``*_in`` variants run inside the caller's (cash application, escalations) and lock rows in
the order every money writer keeps (invoice, then document). A date in a closed month is refused
(``periods.guard.assert_open``). Called through ``ledger.service``, which re-exports these functions."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select, type_coerce
from sqlalchemy.orm import Session

from arcollect import audit
from arcollect.context import Context
from arcollect.db import Money
from arcollect.errors import Conflict, InvalidInput, NotFound
from arcollect.ledger import queries as Q
from arcollect.ledger.balances import Movement, available_from
from arcollect.ledger.locks import lock_rows
from arcollect.ledger.models import Application, CreditNote, Invoice, Payment, WriteOff
from arcollect.money import quantize, to_decimal
from arcollect.periods.guard import assert_open

ZERO = Decimal(0)


def _invoice(session: Session, invoice_id: str) -> Invoice:
    """The invoice, locked for the rest of the transaction: money is about to move onto it."""
    inv = session.scalar(select(Invoice).where(Invoice.invoice_id == invoice_id).with_for_update())
    if inv is None:
        raise NotFound(f"invoice {invoice_id!r} not found")
    return inv


def _available(session: Session, column: Any, pk: int, total: Decimal, currency: str, on: dt.date) -> Decimal:
    """What of an invoice (open) or document (unapplied) can be applied effective ``on``."""
    moves = [Movement(a, d) for a, d in session.execute(
        select(Application.amount, Application.applied_on).where(column == pk))]
    return quantize(available_from(total, moves, on), currency)


def apply_document(ctx: Context, *, invoice_id: str, amount: Decimal | str,
                   payment_id: str | None = None, credit_note_id: str | None = None,
                   applied_on: dt.date | None = None, source: str = "manual") -> int:
    """Apply part of a payment or credit note to an invoice. Returns the application's key."""
    if (payment_id is None) == (credit_note_id is None):
        raise InvalidInput("name exactly one of payment_id or credit_note_id")
    with ctx.unit_of_work() as session:
        inv = _invoice(session, invoice_id)
        if payment_id is not None:  # locked after the invoice (the order every money writer keeps)
            doc = session.scalar(select(Payment).where(Payment.payment_id == payment_id).with_for_update())
        else:
            doc = session.scalar(select(CreditNote).where(CreditNote.credit_note_id == credit_note_id)
                                 .with_for_update())
        if doc is None:
            raise NotFound(f"{'payment' if payment_id else 'credit note'} {payment_id or credit_note_id!r} not found")
        doc_date = doc.received_date if isinstance(doc, Payment) else doc.issue_date
        when = applied_on or max(doc_date, inv.issue_date, ctx.clock.today())
        return apply_in(session, invoice=inv, document=doc, amount=amount, applied_on=when, source=source,
                        now=ctx.clock.now(), actor=ctx.actor)


def apply_in(session: Session, *, invoice: Invoice, document: Payment | CreditNote, amount: Decimal | str,
             applied_on: dt.date, source: str, now: dt.datetime, actor: str) -> int:
    """``apply_document`` inside the caller's transaction (cash application applies a bank line's payment to
    several invoices all or nothing). The caller has locked the invoice, then the document (``lock_rows``,
    ascending keys); what is open and unapplied is read here, inside the lock. Returns the application's key."""
    inv, doc = invoice, document
    value = quantize(to_decimal(amount), inv.currency)
    if value <= 0:
        raise InvalidInput(f"amount {value} must be greater than zero")
    if isinstance(doc, Payment):
        link, key, doc_id, doc_date = Application.payment_pk, "payment_pk", doc.payment_id, doc.received_date
    else:
        link, key, doc_id, doc_date = Application.credit_note_pk, "credit_note_pk", doc.credit_note_id, doc.issue_date
    if doc.currency != inv.currency:
        raise InvalidInput(f"currency mismatch: document in {doc.currency}, invoice in {inv.currency}")
    when = applied_on
    if when < doc_date or when < inv.issue_date:
        raise InvalidInput(f"an application cannot be dated {when}, before the document ({doc_date}) "
                           f"or the invoice ({inv.issue_date})")
    assert_open(session, on=when, what=f"an application of {doc_id} to invoice {inv.invoice_id}")
    left = _available(session, link, doc.id, doc.amount, doc.currency, when)
    if value > left:
        raise Conflict(f"only {left} of {doc_id} is unapplied from {when} on, not {value}")
    open_then = _available(session, Application.invoice_pk, inv.id, inv.amount, inv.currency, when)
    if value > open_then:
        raise Conflict(f"invoice {inv.invoice_id} has {open_then} open from {when} on, less than {value}")
    app = Application(invoice_pk=inv.id, amount=value, currency=inv.currency, applied_on=when,
                      source=source, created_at=now, created_by=actor, **{key: doc.id})
    session.add(app)
    session.flush()
    Q.refresh_settled(session, Invoice, [inv.id])
    Q.refresh_settled(session, type(doc), [doc.id])
    audit.record(session, at=now, actor=actor, action="apply", entity="invoice",
                 entity_key=inv.invoice_id, changes={"application": app.id, "amount": value,
                                                     "from": doc_id, "applied_on": when})
    return app.id


def reverse_application(ctx: Context, *, application_id: int, reversed_on: dt.date | None = None,
                        reason: str) -> int:
    """Undo an application with a new, negative row (the original stays). Returns the reversal's key."""
    with ctx.unit_of_work() as session:
        return reverse_in(session, application_id=application_id, reversed_on=reversed_on or ctx.clock.today(),
                          reason=reason, now=ctx.clock.now(), actor=ctx.actor)


def reverse_in(session: Session, *, application_id: int, reversed_on: dt.date, reason: str, now: dt.datetime,
               actor: str) -> int:
    """``reverse_application`` inside the caller's transaction (cash application reverses every application
    of a bank line's payment all or nothing). Returns the reversal's key."""
    app = session.get(Application, application_id)
    if app is None:
        raise NotFound(f"application {application_id} not found")
    # lock what the reversal moves money between; "already reversed" is decided inside the lock
    lock_rows(session, Invoice, [app.invoice_pk])
    for model, pk in ((Payment, app.payment_pk), (CreditNote, app.credit_note_pk)):
        lock_rows(session, model, [pk])
    if app.reverses_pk is not None:
        raise Conflict(f"application {application_id} is itself a reversal")
    if session.scalar(select(Application.id).where(Application.reverses_pk == app.id)):
        raise Conflict(f"application {application_id} is already reversed")
    when = reversed_on
    if when < app.applied_on:
        raise InvalidInput(f"a reversal cannot be dated before the application ({app.applied_on})")
    assert_open(session, on=when, what=f"a reversal of application {application_id}")
    rev = Application(invoice_pk=app.invoice_pk, payment_pk=app.payment_pk,
                      credit_note_pk=app.credit_note_pk, write_off_pk=app.write_off_pk,
                      amount=-app.amount, currency=app.currency, applied_on=when, reverses_pk=app.id,
                      source="manual", created_at=now, created_by=actor)
    session.add(rev)
    session.flush()
    Q.refresh_settled(session, Invoice, [app.invoice_pk])
    if app.payment_pk:
        Q.refresh_settled(session, Payment, [app.payment_pk])
    if app.credit_note_pk:
        Q.refresh_settled(session, CreditNote, [app.credit_note_pk])
    invoice_id = session.scalar(select(Invoice.invoice_id).where(Invoice.id == app.invoice_pk))
    audit.record(session, at=now, actor=actor, action="reverse", entity="invoice",
                 entity_key=invoice_id, changes={"application": app.id, "reversal": rev.id,
                                                 "amount": app.amount, "reason": reason})
    return rev.id


def record_payment_in(session: Session, *, payment_id: str, customer_pk: int | None, received_date: dt.date,
                      amount: Decimal, currency: str, reference: str | None, payer_name: str | None,
                      now: dt.datetime, actor: str, source: str) -> Payment:
    """A payment received (cash application: a bank line becomes one), inside the caller's transaction;
    audited. ``payment_id`` is unique: the same cash can never become two payments."""
    value = quantize(to_decimal(amount), currency)
    if value <= 0:
        raise InvalidInput(f"a payment's amount must be greater than zero, not {value}")
    assert_open(session, on=received_date, what=f"payment {payment_id}")
    payment = Payment(payment_id=payment_id, customer_pk=customer_pk, received_date=received_date, amount=value,
                      currency=currency, reference=(reference or None), payer_name=(payer_name or "")[:256] or None,
                      created_at=now, updated_at=now)
    session.add(payment)
    session.flush()
    audit.record(session, at=now, actor=actor, action="create", entity="payment", entity_key=payment_id,
                 changes={"amount": value, "currency": currency, "received_date": received_date,
                          "customer_pk": customer_pk, "source": source})
    return payment


def move_payment_in(session: Session, *, payment: Payment, customer_pk: int | None, now: dt.datetime, actor: str,
                    reason: str) -> None:
    """Put a payment (none of it applied) on another customer's account, or none (unidentified cash); audited."""
    if payment.customer_pk == customer_pk:
        return
    applied = session.scalar(select(type_coerce(func.sum(Application.amount), Money()))
                             .where(Application.payment_pk == payment.id)) or ZERO
    if applied:
        raise Conflict(f"payment {payment.payment_id} has {applied} applied; reverse its applications first")
    assert_open(session, on=payment.received_date, what=f"payment {payment.payment_id} (its customer)")
    audit.record(session, at=now, actor=actor, action="move", entity="payment", entity_key=payment.payment_id,
                 changes={"customer_pk": [payment.customer_pk, customer_pk], "reason": reason})
    payment.customer_pk = customer_pk
    payment.updated_at = now


def write_off(ctx: Context, *, invoice_id: str, amount: Decimal | str, written_off_on: dt.date,
              reason: str, approved_by: str | None = None) -> int:
    """Write part or all of an invoice's open amount off (bad debt, small balance)."""
    with ctx.unit_of_work() as session:
        return write_off_in(session, invoice=_invoice(session, invoice_id), amount=amount, on=written_off_on,
                            reason=reason, approved_by=approved_by, now=ctx.clock.now(), actor=ctx.actor)


def write_off_in(session: Session, *, invoice: Invoice, amount: Decimal | str, on: dt.date, reason: str,
                 approved_by: str | None, now: dt.datetime, actor: str) -> int:
    """``write_off`` inside the caller's transaction (an approved escalation writes several invoices off
    all or nothing)."""
    if not reason.strip():
        raise InvalidInput("a write-off needs a reason")
    inv = invoice
    lock_rows(session, Invoice, [inv.id])
    session.refresh(inv)  # as committed before the lock
    value = quantize(to_decimal(amount), inv.currency)
    if value <= 0:
        raise InvalidInput(f"amount {value} must be greater than zero")
    if on < inv.issue_date:
        raise InvalidInput(f"a write-off cannot be dated before the invoice ({inv.issue_date})")
    assert_open(session, on=on, what=f"a write-off of invoice {inv.invoice_id}")
    open_then = _available(session, Application.invoice_pk, inv.id, inv.amount, inv.currency, on)
    if value > open_then:
        raise Conflict(f"invoice {inv.invoice_id} has {open_then} open from {on} on, less than the write-off {value}")
    wo = WriteOff(invoice_pk=inv.id, amount=value, currency=inv.currency, written_off_on=on,
                  reason=reason, approved_by=approved_by, created_at=now, created_by=actor)
    session.add(wo)
    session.flush()
    session.add(Application(invoice_pk=inv.id, write_off_pk=wo.id, amount=value, currency=inv.currency,
                            applied_on=on, source="write_off", created_at=now, created_by=actor))
    session.flush()
    Q.refresh_settled(session, Invoice, [inv.id])
    audit.record(session, at=now, actor=actor, action="write_off", entity="invoice", entity_key=inv.invoice_id,
                 changes={"amount": value, "reason": reason, "approved_by": approved_by, "on": on})
    return wo.id
