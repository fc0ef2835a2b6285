"""Bulk reads for the workbench: every open invoice of many customers, payments towards promises,
and what each customer was invoiced lately (flat SQL, raw tuples: a run reads a million invoices)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import Any, Iterable, Sequence

from sqlalchemy import and_, func, or_, select, type_coerce
from sqlalchemy.sql.sqltypes import NullType
from sqlalchemy.orm import Session

from arcollect.ledger import queries as Q
from arcollect.ledger.models import Application, CreditNote, Customer, Invoice, Payment
from arcollect.ledger.scope import CustomerScope
from arcollect.money import quantize

ZERO = Decimal(0)


def customers_in(scope: CustomerScope | None, collector: str | None = None,
                 customer_pks: Sequence[int] | None = None) -> Any | None:
    """A subquery of customer keys (None: every customer)."""
    conds = []
    if scope is not None and scope.condition() is not None:
        conds.append(scope.condition())
    if collector is not None:
        conds.append(Customer.collector == collector)
    if customer_pks is not None:
        conds.append(Customer.id.in_(list(customer_pks)))
    return select(Customer.id).where(*conds) if conds else None


OpenInvoice = tuple  # (invoice_id, due_date, open_amount, currency, disputed)


def open_invoices(session: Session, *, as_of: dt.date, within: Any | None) -> dict[int, list[OpenInvoice]]:
    """customer key → its invoices open on the date (issued by then, not fully applied by then), as
    plain tuples (invoice_id, due_date, open_amount, currency, disputed): a run reads a million. An invoice
    disputed in part comes with its undisputed open amount and ``disputed`` False.
    ``open_amount`` is exact with the storage's four decimals: quantize sums before showing them."""
    dialect = session.get_bind().dialect.name
    filters = [Invoice.open_until > as_of, Invoice.issue_date <= as_of]
    if within is not None:
        filters.append(Invoice.customer_pk.in_(within))
    # due dates raw (SQLite hands back text): a run reads a million, and they share a few hundred values
    invoices = select(Invoice.id, Invoice.customer_pk, type_coerce(Invoice.invoice_id, NullType()),
                      type_coerce(Invoice.due_date, NullType()), Q._raw(Invoice.amount, dialect),
                      type_coerce(Invoice.currency, NullType()), type_coerce(Invoice.disputed, NullType()),
                      Q._raw(Invoice.disputed_amount, dialect)).where(*filters)
    applied = (select(Application.invoice_pk, Q._raw(func.sum(Application.amount), dialect))
               .join(Invoice, Invoice.id == Application.invoice_pk)
               .where(Application.invoice_open_until > as_of, Application.applied_on <= as_of, *filters)
               .group_by(Application.invoice_pk))
    connection = session.connection()
    applied_units = dict(connection.execute(applied).cursor.fetchall())
    out: dict[int, list[OpenInvoice]] = defaultdict(list)
    dates: dict[Any, dt.date] = {}
    scale = -Q.STORAGE_SCALE
    # raw driver tuples: no Row objects, no per-value processing (every column above is raw already)
    for pk, cpk, iid, raw_due, amount, cur, disputed, disputed_units in connection.execute(invoices).cursor.fetchall():
        units = int(amount or 0) - int(applied_units.get(pk) or 0)
        if units and disputed and disputed_units is not None and int(disputed_units) < units:
            units, disputed = units - int(disputed_units), False  # the undisputed rest stays in dunning
        if units:
            due = dates.get(raw_due)
            if due is None:
                due = dates[raw_due] = raw_due if isinstance(raw_due, dt.date) else dt.date.fromisoformat(raw_due)
            out[cpk].append((iid, due, Decimal(units).scaleb(scale), cur, bool(disputed)))
    return out


def unapplied(session: Session, *, as_of: dt.date, scope: CustomerScope | None,
              collector: str | None = None) -> dict[int, dict[str, Decimal]]:
    """customer key → unapplied cash plus unapplied credits per currency on the date."""
    out: dict[int, dict[str, Decimal]] = defaultdict(dict)
    for model in (Payment, CreditNote):
        for (cpk, cur), amount in Q.unapplied_by_customer(session, model, as_of, collector, None, scope).items():
            out[cpk][cur] = quantize(out[cpk].get(cur, ZERO) + amount, cur)
    return {cpk: {c: a for c, a in by.items() if a > 0} for cpk, by in out.items()}


def payments_applied(session: Session, *, invoice_pks: Iterable[int], customer_pks: Iterable[int],
                     since: dt.date, until: dt.date, recorded: bool = False) -> list[tuple[Any, ...]]:
    """Payment applications (not credits or write-offs) dated in [since, until] on the given invoices
    or on any invoice of the given customers: (invoice key, customer key, currency, applied_on, amount),
    and the moment the application was recorded (``created_at``) last when ``recorded``."""
    inv, cust = sorted(set(invoice_pks)), sorted(set(customer_pks))
    if not inv and not cust:
        return []
    target = []
    if inv:
        target.append(Application.invoice_pk.in_(inv))
    if cust:
        target.append(Invoice.customer_pk.in_(cust))
    stmt = (select(Application.invoice_pk, Invoice.customer_pk, Application.currency, Application.applied_on,
                   Application.amount, *([Application.created_at] if recorded else []))
            .join(Invoice, Invoice.id == Application.invoice_pk)
            .where(Application.payment_pk.is_not(None), Application.applied_on >= since,
                   Application.applied_on <= until, or_(*target)))
    return [tuple(r) for r in session.execute(stmt).all()]  # type: ignore[misc]


def invoiced_between(session: Session, *, within: Any | None, since: dt.date, until: dt.date) -> dict[int, Decimal]:
    """customer key → Σ invoiced in (since, until], all currencies added as numbers (a size measure)."""
    dialect = session.get_bind().dialect.name
    stmt = (select(Invoice.customer_pk, Q._raw(func.sum(Invoice.amount), dialect))
            .where(and_(Invoice.issue_date > since, Invoice.issue_date <= until)).group_by(Invoice.customer_pk))
    if within is not None:
        stmt = stmt.where(Invoice.customer_pk.in_(within))
    return {cpk: Q._from_units(units) for cpk, units in session.connection().execute(stmt).all()}


def open_items_by_customer(session: Session, *, customer_pks: Sequence[int], as_of: dt.date) -> dict[int, list[dict[str, Any]]]:
    """customer key → its open invoices with PO and dates, oldest due first (dunning letters for many
    customers in two queries per 5,000 customers instead of two per customer). Dunning never asks for
    disputed money: an invoice under dispute shows only its undisputed open amount (or not at all)."""
    out: dict[int, list[dict[str, Any]]] = defaultdict(list)
    pks = sorted(set(customer_pks))
    for i in range(0, len(pks), 5000):
        chunk = pks[i:i + 5000]
        filters = [Invoice.customer_pk.in_(chunk), Invoice.open_until > as_of, Invoice.issue_date <= as_of]
        applied = dict(session.execute(select(Application.invoice_pk, func.sum(Application.amount))
                                       .join(Invoice, Invoice.id == Application.invoice_pk)
                                       .where(Application.applied_on <= as_of, *filters)
                                       .group_by(Application.invoice_pk)).all())
        rows = session.execute(select(Invoice.id, Invoice.customer_pk, Invoice.invoice_id, Invoice.po_number,
                                      Invoice.issue_date, Invoice.due_date, Invoice.amount, Invoice.currency,
                                      Invoice.disputed, Invoice.disputed_amount)
                               .where(*filters).order_by(Invoice.due_date, Invoice.invoice_id)).all()
        for pk, cpk, iid, po, issued, due, amount, cur, disputed, disputed_amount in rows:
            left = amount - (applied.get(pk) or ZERO)
            if disputed:
                left = max(ZERO, left - (left if disputed_amount is None else disputed_amount))
            if left:
                out[cpk].append({"invoice_id": iid, "po_number": po, "issue_date": issued, "due_date": due,
                                 "open_amount": quantize(left, cur), "currency": cur,
                                 "days_past_due": (as_of - due).days})
    return out
