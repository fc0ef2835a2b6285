"""A dispute's rows kept consistent: its items claimed (an invoice in at most one active dispute, as the
database decides), the invoices' disputed flags, the history events and the account's timeline, the
checked status moves, and the summary every reader shows."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Callable, Sequence

from sqlalchemy import and_, or_, select
from sqlalchemy import update as sql_update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from arcollect.bounds import parse_pk
from arcollect.db import violates
from arcollect.disputes import workflow as D
from arcollect.disputes.models import Dispute, DisputeEvent, DisputeItem
from arcollect.disputes.scope import CaseScope
from arcollect.errors import Conflict, NotFound
from arcollect.ledger import service as ledger
from arcollect.ledger.models import Customer, Invoice
from arcollect.money import quantize
from arcollect.promises.models import Activity

ACTIVE_INVOICE = next(i for i in DisputeItem.__table__.indexes if i.name == "uq_dispute_items_active_invoice")


def open_amounts(session: Session, invoices: Sequence[Invoice], on: dt.date) -> dict[str, Decimal]:
    return {i.invoice_id: quantize(ledger.open_amount_of(session, i.id, on), i.currency) for i in invoices}


def sync_invoice_flags(session: Session, invoice_pks: Sequence[int]) -> None:
    """An invoice is disputed while one of its disputes holds money out of dunning: active, or resolved
    with a credit note / rebill not yet settled. ``disputed_amount`` = Σ of those items (None: whole)."""
    holding = or_(Dispute.status.in_(sorted(D.ACTIVE)),
                  and_(Dispute.status == "resolved", Dispute.resolution != "rejected_valid"))
    for inv in session.scalars(select(Invoice).where(Invoice.id.in_(list(invoice_pks)))):
        rows = session.execute(select(DisputeItem.amount, DisputeItem.open_at_opening)
                               .join(Dispute, Dispute.id == DisputeItem.dispute_pk)
                               .where(DisputeItem.invoice_pk == inv.id, holding)).all()
        if not rows:
            inv.disputed, inv.disputed_amount = False, None
            continue
        whole = any(amount >= opening for amount, opening in rows)
        inv.disputed, inv.disputed_amount = True, None if whole else sum((a for a, _ in rows), Decimal(0))


def in_dispute(session: Session, invoice_pks: Sequence[int]) -> list[str]:
    """"invoice I1 is already in dispute 12" for each invoice an active dispute holds."""
    rows = session.execute(select(Invoice.invoice_id, DisputeItem.dispute_pk)
                           .join(DisputeItem, DisputeItem.invoice_pk == Invoice.id)
                           .where(DisputeItem.invoice_pk.in_(list(invoice_pks)), DisputeItem.active)
                           .order_by(Invoice.invoice_id)).all()
    return [f"invoice {iid} is already in dispute {pk}" for iid, pk in rows]


def claim(session: Session, write: Callable[[], Any], invoice_pks: Sequence[int]) -> None:
    """Run a write that makes dispute items active; when the database refuses it because another active
    dispute holds one of the invoices (someone opened it at the same moment), Conflict naming that dispute.
    The transaction is rolled back whole (the unit of work refuses the use case)."""
    try:
        write()
    except IntegrityError as exc:
        if not violates(exc, ACTIVE_INVOICE):
            raise
        session.rollback()
        raise Conflict("; ".join(in_dispute(session, invoice_pks)) or "an invoice is already in dispute") from None


def add_event(session: Session, dispute: Dispute, kind: str, at: dt.datetime, actor: str, **fields: Any) -> None:
    session.add(DisputeEvent(dispute_pk=dispute.id, kind=kind, at=at, actor=actor, **fields))


def on_timeline(session: Session, dispute: Dispute, at: dt.datetime, actor: str, text: str,
              invoices: Sequence[str] = ()) -> None:
    session.add(Activity(customer_pk=dispute.customer_pk, kind="dispute", note=f"Dispute {dispute.id}: {text}", at=at,
                         actor=actor, invoices=list(invoices)))


def scoped(session: Session, scope: CaseScope, dispute_id: Any) -> tuple[Dispute, Customer]:
    pk = parse_pk(dispute_id)
    if pk is None:
        raise NotFound(f"dispute {dispute_id!r} not found")
    stmt = select(Dispute, Customer).join(Customer, Customer.id == Dispute.customer_pk).where(Dispute.id == pk)
    if scope.condition() is not None:
        stmt = stmt.where(scope.condition())
    row = session.execute(stmt).first()
    if row is None:
        raise NotFound(f"dispute {dispute_id!r} not found")
    return row[0], row[1]


def items_of(session: Session, dispute: Dispute) -> list[tuple[DisputeItem, Invoice]]:
    return list(session.execute(select(DisputeItem, Invoice).join(Invoice, Invoice.id == DisputeItem.invoice_pk)
                                .where(DisputeItem.dispute_pk == dispute.id).order_by(Invoice.invoice_id)))


def unsettled(session: Session, dispute: Dispute, on: dt.date) -> list[str]:
    rows = items_of(session, dispute)
    open_now = open_amounts(session, [inv for _, inv in rows], on)
    return D.unsettled([D.Item(inv.invoice_id, quantize(it.amount, inv.currency), quantize(it.open_at_opening, inv.currency))
                        for it, inv in rows], open_now)


def move(session: Session, dispute: Dispute, status: str, now: dt.datetime, actor: str, comment: str | None) -> None:
    """Record a checked status change: history event, account timeline, closing time."""
    add_event(session, dispute, "status", now, actor, from_status=dispute.status, to_status=status, text=comment)
    on_timeline(session, dispute, now, actor, f"{dispute.status} → {status}"
              + (f" ({dispute.resolution})" if status == "resolved" else "") + (f": {comment}" if comment else ""))
    if status == "closed":
        dispute.closed_at = now
    holds = status in D.ACTIVE
    if holds != (dispute.status in D.ACTIVE):  # leaving the active statuses frees the invoices; reopening takes them
        pks = list(session.scalars(select(DisputeItem.invoice_pk).where(DisputeItem.dispute_pk == dispute.id)))
        claim(session, lambda: session.execute(sql_update(DisputeItem).where(DisputeItem.dispute_pk == dispute.id)
                                                .values(active=holds)), pks)
    dispute.status = status


def summary(session: Session, d: Dispute, c: Customer, today: dt.date) -> dict[str, Any]:
    return {"id": str(d.id), "customer_id": c.customer_id, "customer_name": c.name, "status": d.status,
            "reason": d.reason, "team": d.team, "priority": d.priority, "amount": str(quantize(d.amount, d.currency)),
            "currency": d.currency, "opened_on": d.opened_on.isoformat(), "opened_by": d.opened_by,
            "sla_due": d.sla_due.isoformat(), "sla_breached": D.sla_breached(d.status, d.sla_due, today),
            "resolution": d.resolution, "root_cause": d.root_cause,
            "invoices": [inv.invoice_id for _, inv in items_of(session, d)]}
