"""A bank line into the ledger and back: its payment, applications and reversals (through the ledger's own
``record_payment_in``/``apply_in``/``reverse_in``), the line's status, what a person's match teaches.
A line is dated by its booking date: booked in a closed month it can be neither applied nor unapplied.

Each function runs inside the caller's transaction and locks the line first, then the invoices (ascending
keys), then the payment (DESIGN §8): a line is decided once, whoever gets to it first.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Sequence

from sqlalchemy import func, select, type_coerce
from sqlalchemy.orm import Session

from arcollect import audit
from arcollect.cashapp.models import BankLine, PayerAccount, PayerAlias
from arcollect.cashapp.shapes import Proposal
from arcollect.db import Money
from arcollect.errors import Conflict, InvalidInput, NotFound
from arcollect.ledger import service as ledger
from arcollect.ledger.allocation import Target, allocate_document
from arcollect.ledger.models import Application, Customer, Invoice, Payment
from arcollect.money import money_str, quantize, to_decimal
from arcollect.periods import service as periods

OPEN_STATUSES = ("unmatched", "proposed")
ZERO = Decimal(0)


def payment_id_of(line: BankLine) -> str:
    """The ledger payment a bank line becomes: one per line (the payments' unique ERP id guards it)."""
    return f"BANK-{line.id}"


def locked_line(session: Session, line_id: Any) -> BankLine:
    """The bank line, locked for the rest of the transaction, as committed now."""
    try:
        pk = int(line_id)
    except (TypeError, ValueError):
        raise NotFound(f"bank line {line_id!r} not found") from None
    if not 0 < pk < 2**63:
        raise NotFound(f"bank line {line_id!r} not found")
    line = session.scalar(select(BankLine).where(BankLine.id == pk).with_for_update()
                          .execution_options(populate_existing=True))
    if line is None:
        raise NotFound(f"bank line {line_id} not found")
    return line


def in_force(session: Session, payment_pk: int) -> list[Application]:
    """The payment's applications not reversed (reversal rows themselves excluded), oldest first."""
    reversed_pks = select(Application.reverses_pk).where(Application.payment_pk == payment_pk,
                                                         Application.reverses_pk.is_not(None))
    return list(session.scalars(select(Application).where(Application.payment_pk == payment_pk,
                                                          Application.reverses_pk.is_(None),
                                                          Application.id.not_in(reversed_pks))
                                .order_by(Application.id)))


def _customer(session: Session, customer_id: str) -> Customer:
    c = session.scalar(select(Customer).where(Customer.customer_id == customer_id))
    if c is None:
        raise NotFound(f"customer {customer_id!r} not found")
    return c


def post_line(session: Session, *, line: BankLine, customer_id: str, invoices: Sequence[tuple[str, Decimal | None]],
              now: dt.datetime, actor: str, decided_by: str, confidence: float, reasons: Sequence[str]) -> dict[str, Any]:
    """Apply a locked, undecided credit line: its payment (made now, or the one it became before an unapply) on
    ``customer_id``, applied to ``invoices`` (an amount each, or None: what is left, in the order given, up to
    the invoice's open amount); the rest stays unapplied on the customer. Returns what moved."""
    if line.status not in OPEN_STATUSES:
        raise Conflict(f"bank line {line.id} is {line.status}" + ("; unapply it first" if line.status == "applied" else ""))
    if line.amount <= 0:
        raise Conflict(f"bank line {line.id} is a debit: nothing to apply")
    # a line's payment and its applications are dated the day the bank booked it: booked in a closed month,
    # the line is neither applied nor unapplied (the month's figures stay as they were signed off)
    periods.assert_open(session, on=line.booking_date, what=f"the payment of bank line {line.id}")
    customer = _customer(session, customer_id)
    ids = [i for i, _ in invoices]
    if len(set(ids)) != len(ids):
        raise InvalidInput("an invoice is named twice")
    found = {inv.invoice_id: inv for inv in session.scalars(select(Invoice).where(Invoice.invoice_id.in_(ids)))} if ids else {}
    missing = [i for i in ids if i not in found]
    if missing:
        raise NotFound(f"invoices not found: {', '.join(missing)}")
    others = [i for i in ids if found[i].customer_pk != customer.id]
    if others:
        raise InvalidInput(f"invoices not of customer {customer_id}: {', '.join(others)}")
    wrong = [i for i in ids if found[i].currency != line.currency]
    if wrong:
        raise InvalidInput(f"invoices not in {line.currency}, the line's currency: {', '.join(wrong)}")
    ledger.lock_rows(session, Invoice, [inv.id for inv in found.values()])
    payment = session.get(Payment, line.payment_pk) if line.payment_pk else None
    if payment is not None:
        ledger.lock_rows(session, Payment, [payment.id])
        session.refresh(payment)
        ledger.move_payment_in(session, payment=payment, customer_pk=customer.id, now=now, actor=actor,
                               reason=f"bank line {line.id} applied again")
    else:
        payment = ledger.record_payment_in(session, payment_id=payment_id_of(line), customer_pk=customer.id,
                                           received_date=line.booking_date, amount=line.amount, currency=line.currency,
                                           reference=line.reference, payer_name=line.payer_name, now=now, actor=actor,
                                           source=f"bank line {line.id}")
        line.payment_pk = payment.id
    open_amounts = {i: ledger.open_amount_of(session, found[i].id) for i in ids}  # inside the lock
    targets = [Target(i, None if a is None else to_decimal(a)) for i, a in invoices]
    rough = [t.invoice_id for t in targets if t.amount is not None and quantize(t.amount, line.currency) != t.amount]
    if rough:
        raise InvalidInput(f"amounts with more decimals than {line.currency} has: {', '.join(rough)}")
    try:
        parts = allocate_document(payment.amount, targets, open_amounts)
    except ValueError as exc:
        raise Conflict(f"bank line {line.id}: {exc}") from None
    # effective the day the bank booked it; a payment applied again after an unapply: from its reversals on
    floor = max(line.booking_date, session.scalar(select(func.max(Application.applied_on))
                                                  .where(Application.payment_pk == payment.id)) or line.booking_date)
    applied = []
    for invoice_id, amount in parts:
        inv = found[invoice_id]
        ledger.apply_in(session, invoice=inv, document=payment, amount=amount,
                        applied_on=max(floor, inv.issue_date), source="bank", now=now, actor=actor)
        applied.append({"invoice_id": invoice_id, "amount": money_str(amount, line.currency)})
    before = {"status": line.status, "customer_pk": line.customer_pk}
    line.status, line.customer_pk, line.decided_by = "applied", customer.id, decided_by
    line.confidence, line.reasons, line.updated_at = float(confidence), list(reasons), now
    rest = payment.amount - sum((a for _, a in parts), ZERO)
    audit.record(session, at=now, actor=actor, action="apply", entity="bank_line", entity_key=str(line.id),
                 changes={**audit.diff(before, {"status": "applied", "customer_pk": customer.id}),
                          "customer": customer_id, "payment": payment.payment_id, "applications": applied,
                          "unapplied": money_str(rest, line.currency), "by": decided_by})
    return {"customer_pk": customer.id, "applications": applied, "unapplied": money_str(rest, line.currency)}


def apply_proposal(session: Session, *, line: BankLine, proposal: Proposal, now: dt.datetime, actor: str,
                   reasons: Sequence[str]) -> dict[str, Any]:
    """The matcher's "apply" decision: its first proposal, exactly as proposed."""
    return post_line(session, line=line, customer_id=proposal.customer_id,
                     invoices=[(a.invoice_id, a.amount) for a in proposal.allocations], now=now, actor=actor,
                     decided_by="rule", confidence=proposal.confidence, reasons=reasons)


def unpost_line(session: Session, *, line: BankLine, on: dt.date, now: dt.datetime, actor: str,
                reason: str) -> dict[str, Any]:
    """Reverse every application of the line's payment in force (reversal rows; nothing erased); the payment
    stays in the ledger as unidentified cash until the line is applied again; the line is unmatched."""
    if line.status != "applied":
        raise Conflict(f"bank line {line.id} is {line.status}, not applied")
    periods.assert_open(session, on=line.booking_date, what=f"the payment of bank line {line.id}")
    payment = session.get(Payment, line.payment_pk) if line.payment_pk else None
    if payment is None:
        raise Conflict(f"bank line {line.id} has no payment in the ledger")
    apps = in_force(session, payment.id)
    ledger.lock_rows(session, Invoice, [a.invoice_pk for a in apps])
    ledger.lock_rows(session, Payment, [payment.id])
    reversed_ = []
    for app in apps:
        ledger.reverse_in(session, application_id=app.id, reversed_on=max(on, app.applied_on),
                          reason=reason, now=now, actor=actor)
        reversed_.append(app.id)
    session.refresh(payment)
    ledger.move_payment_in(session, payment=payment, customer_pk=None, now=now, actor=actor,
                           reason=f"bank line {line.id} unapplied")
    customer_pk = line.customer_pk
    line.status, line.customer_pk, line.decided_by, line.confidence = "unmatched", None, None, 0.0
    line.reasons, line.proposals, line.updated_at = [f"unapplied by {actor}"], [], now
    audit.record(session, at=now, actor=actor, action="unapply", entity="bank_line", entity_key=str(line.id),
                 changes={"status": ["applied", "unmatched"], "customer_pk": [customer_pk, None],
                          "reversed_applications": reversed_, "payment": payment.payment_id, "reason": reason})
    return {"customer_pk": customer_pk, "reversed": len(reversed_)}


def exclude_line(session: Session, *, line: BankLine, reason: str, now: dt.datetime, actor: str) -> None:
    """An undecided line that needs no matching (a transfer between own accounts, a bank error)."""
    if not reason.strip():
        raise InvalidInput("say why the line is excluded (--reason)")
    if line.status not in OPEN_STATUSES:
        raise Conflict(f"bank line {line.id} is {line.status}" + ("; unapply it first" if line.status == "applied" else ""))
    if line.payment_pk is not None:
        raise Conflict(f"bank line {line.id} is payment {payment_id_of(line)} in the ledger (unidentified cash "
                       f"since it was unapplied); apply it to the customer it belongs to instead")
    before = line.status
    line.status, line.excluded_reason, line.decided_by, line.updated_at = "excluded", reason.strip()[:4000], actor, now
    line.proposals = []
    audit.record(session, at=now, actor=actor, action="exclude", entity="bank_line", entity_key=str(line.id),
                 changes={"status": [before, "excluded"], "reason": reason.strip()})


def fold_name(name: str) -> str:
    """A payer name folded for comparison: case and runs of blanks ignored."""
    return " ".join(name.casefold().split())[:256]


def learn(session: Session, *, line: BankLine, customer_pk: int, now: dt.datetime, actor: str) -> list[str]:
    """What a person's manual match teaches: the payer account and the payer name belong to the customer."""
    taught = []
    if line.payer_account:
        known = session.scalar(select(PayerAccount).where(PayerAccount.account == line.payer_account))
        if known is None:
            session.add(PayerAccount(account=line.payer_account, customer_pk=customer_pk, learned_at=now, learned_by=actor))
            taught.append("payer account")
        elif known.customer_pk != customer_pk:
            audit.record(session, at=now, actor=actor, action="relearn", entity="payer_account",
                         entity_key=line.payer_account, changes={"customer_pk": [known.customer_pk, customer_pk]})
            known.customer_pk, known.learned_at, known.learned_by = customer_pk, now, actor
            taught.append("payer account")
    if line.payer_name and line.payer_name.strip():
        key = fold_name(line.payer_name)
        known_alias = session.scalar(select(PayerAlias).where(PayerAlias.name_key == key))
        if known_alias is None:
            session.add(PayerAlias(name_key=key, name=line.payer_name.strip()[:256], customer_pk=customer_pk,
                                   learned_at=now, learned_by=actor))
            taught.append("payer name")
        elif known_alias.customer_pk != customer_pk:
            audit.record(session, at=now, actor=actor, action="relearn", entity="payer_alias", entity_key=key,
                         changes={"customer_pk": [known_alias.customer_pk, customer_pk]})
            known_alias.customer_pk, known_alias.learned_at, known_alias.learned_by = customer_pk, now, actor
            taught.append("payer name")
    if taught:
        session.flush()
        audit.record(session, at=now, actor=actor, action="learn", entity="bank_line", entity_key=str(line.id),
                     changes={"customer_pk": customer_pk, "learned": taught})
    return taught


def applications_of(session: Session, payment_pks: Sequence[int]) -> dict[int, list[dict[str, Any]]]:
    """payment key → its applications in force, per invoice (Σ of the rows, reversals netted), for the lines view."""
    out: dict[int, list[dict[str, Any]]] = {}
    keys = sorted({pk for pk in payment_pks if pk})
    for i in range(0, len(keys), 5000):
        rows = session.execute(select(Application.payment_pk, Invoice.invoice_id, Application.currency,
                                      type_coerce(func.sum(Application.amount), Money()))
                               .join(Invoice, Invoice.id == Application.invoice_pk)
                               .where(Application.payment_pk.in_(keys[i:i + 5000]))
                               .group_by(Application.payment_pk, Invoice.invoice_id, Application.currency)
                               .order_by(Application.payment_pk, Invoice.invoice_id)).all()
        for ppk, iid, cur, total in rows:
            if total:
                out.setdefault(ppk, []).append({"invoice_id": iid, "amount": money_str(total, cur)})
    return out
