"""Ledger reads computed in the database (SQL aggregation; never one ORM object per invoice)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import Any, Iterable, Sequence

from sqlalchemy import BigInteger, and_, case, cast, func, literal, select, type_coerce, update
from sqlalchemy.orm import Session
from sqlalchemy.sql.sqltypes import NullType

from arcollect.db import Money
from arcollect.ledger.aging import AgingRow, bucket_cutoffs
from arcollect.money import STORAGE_SCALE, quantize
from arcollect.ledger.models import OPEN, Application, CreditNote, Customer, Invoice, Payment
from arcollect.ledger.keysets import key_set
from arcollect.ledger.scope import CustomerScope
from arcollect.ledger.upkeep import mark_documents

ZERO = Decimal(0)


def _live(model: Any, as_of: dt.date) -> Any:
    """Documents not fully applied on the date (settled ones add and subtract to zero: skipped)."""
    return model.open_until > as_of


def _customer_scope(collector: str | None, customer_ids: Sequence[str] | None,
                    scope: CustomerScope | None = None, segment: str | None = None) -> Any | None:
    allowed = scope.condition() if scope is not None else None
    if collector is None and customer_ids is None and allowed is None and segment is None:
        return None
    stmt = select(Customer.id)
    if segment is not None:
        stmt = stmt.where(Customer.segment == segment)
    if collector is not None:
        stmt = stmt.where(Customer.collector == collector)
    if customer_ids is not None:
        stmt = stmt.where(Customer.customer_id.in_(list(customer_ids)))
    if allowed is not None:
        stmt = stmt.where(allowed)
    return stmt


def _bucket_sums(ref_date: Any, value: Any, as_of: dt.date, bounds: Sequence[int], dialect: str) -> list[Any]:
    cutoffs = bucket_cutoffs(as_of, bounds)
    sums = []
    for i in range(len(bounds) + 1):
        conds = []
        if i > 0:
            conds.append(ref_date < cutoffs[i - 1])
        if i < len(bounds):
            conds.append(ref_date >= cutoffs[i])
        sums.append(_raw(func.sum(case((and_(*conds), value), else_=literal(0))), dialect))
    return sums


_SCALE = 10**STORAGE_SCALE


def _raw(expression: Any, dialect: str) -> Any:
    """A money sum as an integer count of 1/10,000ths, with no result processing.

    SQLite stores that already; on PostgreSQL the cast spares psycopg a NUMERIC → Decimal
    conversion per value (aging reads 100k+ rows). ``_from_units`` turns them into Decimals.
    """
    if dialect == "postgresql":
        expression = cast(expression * _SCALE, BigInteger)
    return type_coerce(expression, NullType())


def _from_units(value: Any) -> Decimal:
    return Decimal(value).scaleb(-STORAGE_SCALE) if value else ZERO


def aging_by_customer(session: Session, *, as_of: dt.date, basis: str, bounds: Sequence[int],
                      collector: str | None = None, currency: str | None = None,
                      customer_ids: Sequence[str] | None = None,
                      scope: CustomerScope | None = None, segment: str | None = None) -> list[AgingRow]:
    """One row per (customer, currency) with open amounts per bucket and unapplied cash/credits.

    Σ open per bucket = Σ invoice amounts − Σ applications (each bucketed by its invoice's date),
    so two flat aggregations replace a per-invoice join; settled invoices are skipped on both sides.
    """
    ref_date = Invoice.due_date if basis == "due" else Invoice.issue_date
    within = _customer_scope(collector, customer_ids, scope, segment)
    key = (Invoice.customer_pk, Invoice.currency)
    filters = [Invoice.issue_date <= as_of, _live(Invoice, as_of)]
    if currency:
        filters.append(Invoice.currency == currency)
    if within is not None:
        filters.append(Invoice.customer_pk.in_(within))
    dialect = session.get_bind().dialect.name
    invoiced = (select(*key, *_bucket_sums(ref_date, Invoice.amount, as_of, bounds, dialect))
                .where(*filters).group_by(*key))
    applied = (select(*key, *_bucket_sums(ref_date, Application.amount, as_of, bounds, dialect))
               .select_from(Application).join(Invoice, Application.invoice_pk == Invoice.id)
               .where(Application.invoice_open_until > as_of, Application.applied_on <= as_of, *filters)
               .group_by(*key))
    n = len(bounds) + 1
    read = _from_units
    connection = session.connection()
    raw: dict[tuple[int, str], list[Any]] = {}  # database units until the end
    for cpk, cur, *buckets in connection.execute(invoiced).all():
        raw[(cpk, cur)] = buckets
    for cpk, cur, *buckets in connection.execute(applied).all():
        target = raw.get((cpk, cur))
        if target is None:
            raw[(cpk, cur)] = [-(b or 0) for b in buckets]
        else:
            raw[(cpk, cur)] = [(a or 0) - (b or 0) for a, b in zip(target, buckets)]
    totals = {k: [read(v) for v in values] for k, values in raw.items() if any(values)}
    disputed = _disputed(session, as_of, filters, dialect)
    cash = unapplied_by_customer(session, Payment, as_of, collector, customer_ids, scope, segment)
    credits = unapplied_by_customer(session, CreditNote, as_of, collector, customer_ids, scope, segment)
    wanted = set(totals) | set(cash) | set(credits)
    if currency:
        wanted = {k for k in wanted if k[1] == currency}
    info = _customer_info(session, {k[0] for k in wanted})
    rows = []
    for cpk, cur in wanted:
        cid, name, coll = info[cpk]
        rows.append(AgingRow(cid, name, cur, totals.get((cpk, cur)) or [ZERO] * n, collector=coll,
                             unapplied_cash=cash.get((cpk, cur), ZERO),
                             unapplied_credits=credits.get((cpk, cur), ZERO),
                             disputed=disputed.get((cpk, cur), ZERO)))
    return rows


def _disputed(session: Session, as_of: dt.date, filters: list[Any], dialect: str) -> dict[tuple[int, str], Decimal]:
    """(customer key, currency) → the part of the open amounts under an open dispute (as disputed today)."""
    wanted = [*filters, Invoice.disputed]
    rows = session.connection().execute(
        select(Invoice.id, Invoice.customer_pk, Invoice.currency, _raw(Invoice.amount, dialect),
               _raw(Invoice.disputed_amount, dialect)).where(*wanted)).all()
    if not rows:
        return {}
    applied: dict[int, int] = {}
    pks = [r[0] for r in rows]
    for i in range(0, len(pks), 5000):
        applied.update(session.connection().execute(
            select(Application.invoice_pk, _raw(func.sum(Application.amount), dialect))
            .where(Application.invoice_pk.in_(pks[i:i + 5000]), Application.applied_on <= as_of)
            .group_by(Application.invoice_pk)).all())
    out: dict[tuple[int, str], int] = {}
    for pk, cpk, cur, amount, disputed_units in rows:
        left = int(amount or 0) - int(applied.get(pk) or 0)
        part = left if disputed_units is None else max(0, min(int(disputed_units), left))
        if part:
            out[(cpk, cur)] = out.get((cpk, cur), 0) + part
    return {k: _from_units(v) for k, v in out.items()}


def _customer_info(session: Session, pks: set[int]) -> dict[int, tuple[str, str, str | None]]:
    if not pks:
        return {}
    stmt = select(Customer.id, Customer.customer_id, Customer.name, Customer.collector)
    if len(pks) <= 5000:
        stmt = stmt.where(Customer.id.in_(list(pks)))
    return {pk: (cid, name, coll) for pk, cid, name, coll in session.connection().execute(stmt).all() if pk in pks}


def unapplied_by_customer(session: Session, model: Any, as_of: dt.date, collector: str | None = None,
                          customer_ids: Sequence[str] | None = None,
                          scope: CustomerScope | None = None,
                          segment: str | None = None) -> dict[tuple[int, str], Decimal]:
    """Unapplied amount of payments or credit notes per (customer key, currency) on a date."""
    date_col = model.received_date if model is Payment else model.issue_date
    link = Application.payment_pk if model is Payment else Application.credit_note_pk
    # Unapplied documents are few, so the open_until range must drive the query. Grouping by an
    # expression ("+ 0") and leaving out "customer_pk IS NOT NULL" keep SQLite, which has no
    # statistics, off the customer index; null customers are dropped below.
    key = ((model.customer_pk + 0).label("customer_pk"), model.currency)
    filters = [_live(model, as_of), date_col <= as_of]
    within = _customer_scope(collector, customer_ids, scope, segment)
    if within is not None:
        filters.append(model.customer_pk.in_(within))
    dialect = session.get_bind().dialect.name
    received = select(*key, _raw(func.sum(model.amount), dialect)).where(*filters).group_by(*key)
    applied = (select(*key, _raw(func.sum(Application.amount), dialect))
               .select_from(Application).join(model, link == model.id)
               .where(Application.document_open_until > as_of, Application.applied_on <= as_of, *filters)
               .group_by(*key))
    read = _from_units
    connection = session.connection()
    totals: dict[tuple[int, str], Decimal] = defaultdict(lambda: ZERO)
    for cpk, cur, amount in connection.execute(received).all():
        totals[(cpk, cur)] += read(amount)
    for cpk, cur, amount in connection.execute(applied).all():
        totals[(cpk, cur)] -= read(amount)
    return {k: v for k, v in totals.items() if v and k[0] is not None}


def unidentified_cash(session: Session, as_of: dt.date) -> dict[str, Decimal]:
    """Cash received with no customer, per currency, not applied as of the date."""
    filters = [Payment.customer_pk.is_(None), Payment.received_date <= as_of, _live(Payment, as_of)]
    received = (select(Payment.currency, type_coerce(func.sum(Payment.amount), Money()))
                .where(*filters).group_by(Payment.currency))
    applied = (select(Payment.currency, type_coerce(func.sum(Application.amount), Money()))
               .select_from(Payment).join(Application, Application.payment_pk == Payment.id)
               .where(*filters, Application.applied_on <= as_of).group_by(Payment.currency))
    totals: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for cur, amount in session.execute(received):
        totals[cur] += amount or ZERO
    for cur, amount in session.execute(applied):
        totals[cur] -= amount or ZERO
    return {c: a for c, a in totals.items() if a}


SETTLE_LINKS = {"invoices": "invoice_pk", "payments": "payment_pk", "credit_notes": "credit_note_pk"}


def refresh_settled(session: Session, model: Any, pks: Iterable[int] | None = None) -> None:
    """Recompute ``open_until`` (last application date when fully applied, else OPEN) for documents.

    Correct for every date: from the last movement on, every application is counted, so a document
    whose applications equal its amount stays at zero from then on. ``pks`` None: the whole table.
    """
    link = getattr(Application, SETTLE_LINKS[model.__tablename__])
    keys = None
    if pks is not None:
        wanted = set(pks)
        if not wanted:
            return
        keys = key_set(session, wanted)  # one statement each however many documents (see keysets)
    mark_documents(session, model.__tablename__, None if pks is None else sorted(wanted))  # their balances
    sums = (select(link.label("pk"), type_coerce(func.sum(Application.amount), Money()).label("applied"),
                   func.max(Application.applied_on).label("last"))
            .where(link.is_not(None)).group_by(link))
    if keys is not None:
        sums = sums.where(link.in_(keys))
    sub = sums.subquery("s")
    session.execute(update(model).where(model.id == sub.c.pk)
                    .values(open_until=case((model.amount == sub.c.applied, sub.c.last), else_=OPEN))
                    .execution_options(synchronize_session=False))
    copy = Application.invoice_open_until if model is Invoice else Application.document_open_until
    own = (select(model.open_until).where(model.id == link).scalar_subquery())
    stmt = update(Application).where(link.is_not(None)).values({copy: own})
    if keys is not None:
        stmt = stmt.where(link.in_(keys))
    session.execute(stmt.execution_options(synchronize_session=False))


def open_items(session: Session, customer_pk: int, as_of: dt.date) -> list[dict[str, Any]]:
    """A customer's invoices open on a date, oldest due first; ``disputed`` is the part of each open amount
    under an open dispute (the aging's Disputed column, invoice by invoice)."""
    applied = (select(Application.invoice_pk, func.sum(Application.amount).label("applied"))
               .join(Invoice, Invoice.id == Application.invoice_pk)
               .where(Invoice.customer_pk == customer_pk, Application.applied_on <= as_of)
               .group_by(Application.invoice_pk).subquery("applied"))
    open_amount = type_coerce(Invoice.amount - func.coalesce(applied.c.applied, 0), Money())
    stmt = (select(Invoice.invoice_id, Invoice.issue_date, Invoice.due_date, Invoice.amount,
                   Invoice.currency, Invoice.po_number, open_amount.label("open_amount"),
                   Invoice.disputed.label("in_dispute"), Invoice.disputed_amount)
            .outerjoin(applied, applied.c.invoice_pk == Invoice.id)
            .where(Invoice.customer_pk == customer_pk, Invoice.issue_date <= as_of)
            .order_by(Invoice.due_date, Invoice.invoice_id))
    items = []
    for row in session.execute(stmt):
        if row.open_amount:
            item = row._asdict()
            del item["in_dispute"], item["disputed_amount"]
            item["amount"] = quantize(row.amount, row.currency)
            item["open_amount"] = quantize(row.open_amount, row.currency)
            part = ZERO
            if row.in_dispute:  # as the aging counts it: the disputed amount, at most what is still open
                part = row.open_amount if row.disputed_amount is None else max(ZERO, min(row.disputed_amount,
                                                                                         row.open_amount))
            item["disputed"] = quantize(part, row.currency)
            item["disputed_amount"] = item["disputed"]  # the same part, under the name the worklist pane reads
            item["days_past_due"] = (as_of - row.due_date).days
            items.append(item)
    return items


def open_amount_of(session: Session, invoice_pk: int, as_of: dt.date | None = None) -> Decimal:
    stmt = select(func.sum(Application.amount)).where(Application.invoice_pk == invoice_pk)
    if as_of is not None:
        stmt = stmt.where(Application.applied_on <= as_of)
    amount, currency = session.execute(select(Invoice.amount, Invoice.currency).where(Invoice.id == invoice_pk)).one()
    return quantize(amount - (session.scalar(stmt) or ZERO), currency)


def past_due_by_date(session: Session, *, dates: Sequence[dt.date], basis_days: int = 0,
                     scope: CustomerScope | None = None) -> dict[str, list[Decimal]]:
    """Σ past-due open amount per currency at each date (the past-due trend), in two scans.

    At date d an invoice is past due when due_date < d - basis_days; its open amount is its amount
    less the applications dated ≤ d. One conditional sum per date over the invoices not settled
    before the earliest date, and the same over their applications.
    """
    if not dates:
        return {}
    dialect = session.get_bind().dialect.name
    first = min(dates)
    within = _customer_scope(None, None, scope)
    filters = [Invoice.open_until > first]
    if within is not None:
        filters.append(Invoice.customer_pk.in_(within))

    def sums(value: Any, applied_on: Any | None) -> list[Any]:
        out = []
        for d in dates:
            conds = [Invoice.issue_date <= d, Invoice.due_date < d - dt.timedelta(days=basis_days),
                     Invoice.open_until > d]
            if applied_on is not None:
                conds.append(applied_on <= d)
            out.append(_raw(func.sum(case((and_(*conds), value), else_=literal(0))), dialect))
        return out

    invoiced = select(Invoice.currency, *sums(Invoice.amount, None)).where(*filters).group_by(Invoice.currency)
    applied = (select(Invoice.currency, *sums(Application.amount, Application.applied_on))
               .select_from(Application).join(Invoice, Invoice.id == Application.invoice_pk)
               .where(Application.invoice_open_until > first, *filters).group_by(Invoice.currency))
    totals: dict[str, list[Decimal]] = {}
    connection = session.connection()
    for cur, *values in connection.execute(invoiced).all():
        totals[cur] = [_from_units(v) for v in values]
    for cur, *values in connection.execute(applied).all():
        base = totals.setdefault(cur, [ZERO] * len(dates))
        totals[cur] = [a - _from_units(v) for a, v in zip(base, values)]
    return {cur: [quantize(v, cur) for v in values] for cur, values in totals.items()}
