"""What reports read besides the ledger's amounts: disputes, promises and error invoices of a date range,
as plain facts per customer key (a few hundred or thousand rows: cases, not invoices)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from arcollect.disputes.models import Dispute, DisputeItem
from arcollect.ledger.models import Customer, Invoice
from arcollect.ledger.scope import CustomerScope
from arcollect.promises import service as promises
from arcollect.promises.models import Activity, Promise
from arcollect.reports.causes import ERROR_KINDS, DisputeFact, ErrorInvoice


def _scoped(stmt: Any, scope: CustomerScope) -> Any:
    condition = scope.condition()
    return stmt if condition is None else stmt.where(condition)


def _resolved_on(resolved_at: dt.datetime | None, closed_at: dt.datetime | None) -> dt.date | None:
    moment = resolved_at or closed_at
    return None if moment is None else moment.date()


def dispute_facts(session: Session, *, since: dt.date, until: dt.date,
                  scope: CustomerScope) -> list[tuple[int, DisputeFact]]:
    """(customer key, fact) of every dispute opened or resolved in [since, until]."""
    stmt = (select(Dispute.customer_pk, Dispute.reason, Dispute.root_cause, Dispute.currency, Dispute.amount,
                   Dispute.opened_on, Dispute.resolved_at, Dispute.closed_at, Customer.customer_id, Customer.segment)
            .join(Customer, Customer.id == Dispute.customer_pk)
            .where(Dispute.opened_on <= until,
                   or_(Dispute.opened_on >= since, Dispute.resolved_at.is_not(None), Dispute.closed_at.is_not(None))))
    out = []
    for cpk, reason, root, cur, amount, opened, resolved_at, closed_at, cid, segment in session.execute(
            _scoped(stmt, scope)).all():
        resolved = _resolved_on(resolved_at, closed_at)
        if resolved is not None and resolved > until:
            resolved = None
        if opened >= since or (resolved is not None and resolved >= since):
            out.append((cpk, DisputeFact(reason, root, cur, amount, opened, resolved, cid, segment)))
    return out


def promise_outcomes(session: Session, *, since: dt.date, until: dt.date,
                     scope: CustomerScope) -> list[tuple[int, str, dt.date, str]]:
    """(customer key, currency, deadline, status as of ``until``) of the promises whose deadline (date plus
    grace days) falls in [since, until]; cancelled ones are left out."""
    stmt = (select(Promise).join(Customer, Customer.id == Promise.customer_pk)
            .where(Promise.promised_date <= until, Promise.promised_date >= since - dt.timedelta(days=60)))
    chosen = []
    for p in session.scalars(_scoped(stmt, scope)):
        deadline = p.promised_date + dt.timedelta(days=p.grace_days)
        if since <= deadline <= until:
            chosen.append((p, deadline))
    states = promises.states_of(session, [p for p, _ in chosen], until)
    return [(p.customer_pk, p.currency, deadline, states[p.id]["status"]) for p, deadline in chosen
            if states[p.id]["status"] != "cancelled"]


def error_invoices(session: Session, *, since: dt.date, until: dt.date, scope: CustomerScope) -> list[ErrorInvoice]:
    """Invoices of disputes opened in the range for a PO or billing error, and calls that found a wrong
    contact (address errors, with the invoices the call named)."""
    stmt = (select(Customer.customer_id, Customer.name, Dispute.reason, Invoice.invoice_id, Invoice.currency,
                   DisputeItem.amount)
            .select_from(DisputeItem).join(Dispute, Dispute.id == DisputeItem.dispute_pk)
            .join(Invoice, Invoice.id == DisputeItem.invoice_pk).join(Customer, Customer.id == Dispute.customer_pk)
            .where(Dispute.opened_on >= since, Dispute.opened_on <= until, Dispute.reason.in_(sorted(ERROR_KINDS))))
    out = [ErrorInvoice(cid, name, ERROR_KINDS[reason], iid, cur, amount)
           for cid, name, reason, iid, cur, amount in session.execute(_scoped(stmt, scope)).all()]
    start = dt.datetime.combine(since, dt.time.min, tzinfo=dt.timezone.utc)
    end = dt.datetime.combine(until + dt.timedelta(days=1), dt.time.min, tzinfo=dt.timezone.utc)
    calls = (select(Customer.id, Customer.customer_id, Customer.name, Activity.invoices)
             .join(Customer, Customer.id == Activity.customer_pk)
             .where(Activity.kind == "call", Activity.outcome == "wrong_contact", Activity.at >= start, Activity.at < end))
    named: list[tuple[int, str]] = []
    rows = session.execute(_scoped(calls, scope)).all()
    for cpk, cid, name, invoices in rows:
        if invoices:
            named.extend((cpk, iid) for iid in invoices)
        else:
            out.append(ErrorInvoice(cid, name, "address", None, "", Decimal(0)))
    if named:
        wanted = sorted({iid for _, iid in named})
        found = {iid: (cur, amount, cpk) for iid, cur, amount, cpk in session.execute(
            select(Invoice.invoice_id, Invoice.currency, Invoice.amount, Invoice.customer_pk)
            .where(Invoice.invoice_id.in_(wanted))).all()}
        names = {cpk: (cid, name) for cpk, cid, name, _ in rows}
        for cpk, iid in named:
            if iid in found and found[iid][2] == cpk:
                cur, amount, _ = found[iid]
                out.append(ErrorInvoice(names[cpk][0], names[cpk][1], "address", iid, cur, amount))
    return out
