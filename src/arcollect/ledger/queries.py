"""Ledger reads computed in the database (SQL aggregation; never one ORM object per invoice)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import Any, Sequence

from sqlalchemy import and_, case, func, literal, select, type_coerce
from sqlalchemy.orm import Session

from arcollect.db import Money
from arcollect.ledger.aging import AgingRow, bucket_cutoffs
from arcollect.money import quantize
from arcollect.ledger.models import Application, CreditNote, Customer, Invoice, Payment

ZERO = Decimal(0)


def _applied_as_of(as_of: dt.date):
    return (select(Application.invoice_pk, func.sum(Application.amount).label("applied"))
            .where(Application.applied_on <= as_of)
            .group_by(Application.invoice_pk).subquery("applied"))


def _customer_filter(stmt: Any, collector: str | None, customer_ids: Sequence[str] | None) -> Any:
    if collector is not None:
        stmt = stmt.where(Customer.collector == collector)
    if customer_ids is not None:
        stmt = stmt.where(Customer.customer_id.in_(list(customer_ids)))
    return stmt


def aging_by_customer(session: Session, *, as_of: dt.date, basis: str, bounds: Sequence[int],
                      collector: str | None = None, currency: str | None = None,
                      customer_ids: Sequence[str] | None = None) -> list[AgingRow]:
    """One row per (customer, currency) with open amounts per bucket and unapplied cash/credits."""
    applied = _applied_as_of(as_of)
    open_amount = type_coerce(Invoice.amount - func.coalesce(applied.c.applied, 0), Money())
    ref_date = Invoice.due_date if basis == "due" else Invoice.issue_date
    cutoffs = bucket_cutoffs(as_of, bounds)
    sums = []
    for i in range(len(bounds) + 1):
        conds = []
        if i > 0:
            conds.append(ref_date < cutoffs[i - 1])
        if i < len(bounds):
            conds.append(ref_date >= cutoffs[i])
        sums.append(type_coerce(func.sum(case((and_(*conds), open_amount), else_=literal(0))), Money())
                    .label(f"b{i}"))
    stmt = (select(Customer.customer_id, Customer.name, Customer.collector, Invoice.currency, *sums)
            .select_from(Invoice)
            .join(Customer, Customer.id == Invoice.customer_pk)
            .outerjoin(applied, applied.c.invoice_pk == Invoice.id)
            .where(Invoice.issue_date <= as_of)
            .group_by(Customer.id, Customer.customer_id, Customer.name, Customer.collector, Invoice.currency))
    if currency:
        stmt = stmt.where(Invoice.currency == currency)
    stmt = _customer_filter(stmt, collector, customer_ids)
    rows: dict[tuple[str, str], AgingRow] = {}
    for cid, name, coll, cur, *buckets in session.execute(stmt):
        values = [b or ZERO for b in buckets]
        if any(values):
            rows[(cid, cur)] = AgingRow(cid, name, cur, values, collector=coll)
    for kind, amounts in (("cash", unapplied_by_customer(session, Payment, as_of, collector, customer_ids)),
                          ("credits", unapplied_by_customer(session, CreditNote, as_of, collector, customer_ids))):
        for (cid, name, coll, cur), amount in amounts.items():
            if not amount or (currency and cur != currency):
                continue
            row = rows.get((cid, cur))
            if row is None:
                row = rows[(cid, cur)] = AgingRow(cid, name, cur, [ZERO] * (len(bounds) + 1), collector=coll)
            if kind == "cash":
                row.unapplied_cash += amount
            else:
                row.unapplied_credits += amount
    return list(rows.values())


def unapplied_by_customer(session: Session, model: Any, as_of: dt.date, collector: str | None = None,
                          customer_ids: Sequence[str] | None = None) -> dict[tuple, Decimal]:
    """Unapplied amount of payments or credit notes per (customer_id, name, collector, currency)."""
    date_col = model.received_date if model is Payment else model.issue_date
    link = Application.payment_pk if model is Payment else Application.credit_note_pk
    key = (Customer.customer_id, Customer.name, Customer.collector, model.currency)
    received = _customer_filter(
        select(*key, type_coerce(func.sum(model.amount), Money()))
        .join(Customer, Customer.id == model.customer_pk)
        .where(date_col <= as_of).group_by(Customer.id, *key), collector, customer_ids)
    applied = _customer_filter(
        select(*key, type_coerce(func.sum(Application.amount), Money()))
        .select_from(Application).join(model, model.id == link)
        .join(Customer, Customer.id == model.customer_pk)
        .where(Application.applied_on <= as_of, date_col <= as_of).group_by(Customer.id, *key),
        collector, customer_ids)
    totals: dict[tuple, Decimal] = defaultdict(lambda: ZERO)
    for *k, amount in session.execute(received):
        totals[tuple(k)] += amount or ZERO
    for *k, amount in session.execute(applied):
        totals[tuple(k)] -= amount or ZERO
    return dict(totals)


def unidentified_cash(session: Session, as_of: dt.date) -> dict[str, Decimal]:
    """Cash received with no customer, per currency, not applied as of the date."""
    received = (select(Payment.currency, type_coerce(func.sum(Payment.amount), Money()))
                .where(Payment.customer_pk.is_(None), Payment.received_date <= as_of)
                .group_by(Payment.currency))
    applied = (select(Payment.currency, type_coerce(func.sum(Application.amount), Money()))
               .select_from(Application).join(Payment, Payment.id == Application.payment_pk)
               .where(Payment.customer_pk.is_(None), Application.applied_on <= as_of,
                      Payment.received_date <= as_of)
               .group_by(Payment.currency))
    totals: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for cur, amount in session.execute(received):
        totals[cur] += amount or ZERO
    for cur, amount in session.execute(applied):
        totals[cur] -= amount or ZERO
    return {c: a for c, a in totals.items() if a}


def open_items(session: Session, customer_pk: int, as_of: dt.date) -> list[dict[str, Any]]:
    """A customer's invoices open on a date, oldest due first."""
    applied = _applied_as_of(as_of)
    open_amount = type_coerce(Invoice.amount - func.coalesce(applied.c.applied, 0), Money())
    stmt = (select(Invoice.invoice_id, Invoice.issue_date, Invoice.due_date, Invoice.amount,
                   Invoice.currency, Invoice.po_number, open_amount.label("open_amount"))
            .outerjoin(applied, applied.c.invoice_pk == Invoice.id)
            .where(Invoice.customer_pk == customer_pk, Invoice.issue_date <= as_of)
            .order_by(Invoice.due_date, Invoice.invoice_id))
    items = []
    for row in session.execute(stmt):
        if row.open_amount:
            item = row._asdict()
            item["amount"] = quantize(row.amount, row.currency)
            item["open_amount"] = quantize(row.open_amount, row.currency)
            item["days_past_due"] = (as_of - row.due_date).days
            items.append(item)
    return items


def open_amount_of(session: Session, invoice_pk: int, as_of: dt.date | None = None) -> Decimal:
    stmt = select(func.sum(Application.amount)).where(Application.invoice_pk == invoice_pk)
    if as_of is not None:
        stmt = stmt.where(Application.applied_on <= as_of)
    amount, currency = session.execute(select(Invoice.amount, Invoice.currency).where(Invoice.id == invoice_pk)).one()
    return quantize(amount - (session.scalar(stmt) or ZERO), currency)
