"""Ledger reads for people and API clients: customer lists, documents, applications, balance history.

Every function takes the caller's CustomerScope and never returns what lies outside it: a customer
out of scope is NotFound (no existence leak). Re-exported by ``ledger.service``.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Sequence

from sqlalchemy import func, or_, select, type_coerce
from sqlalchemy.orm import Session

from arcollect.bounds import parse_pk
from arcollect.context import Context
from arcollect.db import Money, like_literal
from arcollect.errors import InvalidInput, NotFound
from arcollect.ledger.models import Application, Contact, CreditNote, Customer, Invoice, Payment, WriteOff
from arcollect.ledger.scope import CustomerScope
from arcollect.money import quantize

ZERO = Decimal(0)
MAX_PAGE = 500
CUSTOMER_FIELDS = ("customer_id", "name", "currency", "payment_terms_days", "credit_limit", "country",
                   "timezone", "language", "segment", "collector", "team", "email", "phone", "risk",
                   "do_not_contact", "credit_hold")
CUSTOMER_SORTS = {"customer_id": Customer.customer_id, "name": Customer.name,
                  "collector": Customer.collector, "segment": Customer.segment}


def _page(limit: int, offset: int) -> None:
    problems = []
    if not 1 <= limit <= MAX_PAGE:
        problems.append(f"limit: between 1 and {MAX_PAGE}")
    if offset < 0:
        problems.append("offset: 0 or more")
    if problems:
        raise InvalidInput("invalid page", problems)


def _scoped(stmt: Any, scope: CustomerScope) -> Any:
    condition = scope.condition()
    return stmt if condition is None else stmt.where(condition)


def _in_scope(customer_pk: Any, scope: CustomerScope) -> list[Any]:
    """Filters keeping the rows whose ``customer_pk`` belongs to a customer in scope (none for everything)."""
    return [] if scope.everything else [customer_pk.in_(_scoped(select(Customer.id), scope))]


def contacts_of(session: Session, customer_pk: int) -> list[dict[str, Any]]:
    """A customer's contacts, the primary one first."""
    return [{"email": k.email, "name": k.name, "phone": k.phone, "role": k.role, "language": k.language,
             "primary": k.primary, "bouncing": k.bouncing_since is not None}
            for k in session.scalars(select(Contact).where(Contact.customer_pk == customer_pk)
                                     .order_by(Contact.primary.desc(), Contact.email))]


def scoped_customer(session: Session, scope: CustomerScope, customer_id: str) -> Customer:
    customer = session.scalar(_scoped(select(Customer).where(Customer.customer_id == customer_id), scope))
    if customer is None:
        raise NotFound(f"customer {customer_id!r} not found")
    return customer


def scoped_record(session: Session, scope: CustomerScope, model: Any, key: Any, what: str) -> tuple[Any, Customer]:
    """A row of a table keyed by ``id`` with a ``customer_pk`` (a promise, an action, a message) and its
    customer, or NotFound — also when the customer is outside the caller's scope."""
    pk = parse_pk(key)
    if pk is None:
        raise NotFound(f"{what} {key!r} not found")
    row = session.execute(_scoped(select(model, Customer).join(Customer, Customer.id == model.customer_pk)
                                  .where(model.id == pk), scope)).first()
    if row is None:
        raise NotFound(f"{what} {key!r} not found")
    return row[0], row[1]


def customer_header(c: Customer) -> dict[str, Any]:
    header = {k: getattr(c, k) for k in CUSTOMER_FIELDS}
    if header["credit_limit"] is not None:
        header["credit_limit"] = quantize(header["credit_limit"], c.currency)
    return header


def list_customers(ctx: Context, *, scope: CustomerScope, q: str | None = None, collector: str | None = None,
                   team: str | None = None, segment: str | None = None, currency: str | None = None,
                   sort: str = "customer_id", limit: int = 50, offset: int = 0) -> tuple[list[dict[str, Any]], int]:
    """A page of the customers in scope, filtered; returns (items, total matching)."""
    _page(limit, offset)
    if sort.lstrip("-") not in CUSTOMER_SORTS:
        raise InvalidInput(f"sort {sort!r}: one of {', '.join(CUSTOMER_SORTS)} (prefix - for descending)")
    filters = []
    if q:
        text = q.strip().lower()
        filters.append(or_(like_literal(func.lower(Customer.customer_id), text),
                           like_literal(func.lower(Customer.name), text)))
    for column, value in ((Customer.collector, collector), (Customer.team, team), (Customer.segment, segment),
                          (Customer.currency, currency)):
        if value:
            filters.append(column == value)
    column = CUSTOMER_SORTS[sort.lstrip("-")]
    order = column.desc() if sort.startswith("-") else column
    with ctx.sessions() as session:
        base = _scoped(select(Customer).where(*filters), scope)
        total = session.scalar(_scoped(select(func.count()).select_from(Customer).where(*filters), scope)) or 0
        rows = session.scalars(base.order_by(order, Customer.customer_id).limit(limit).offset(offset))
        return [customer_header(c) for c in rows], total


def customer_hierarchy(ctx: Context, *, scope: CustomerScope, customer_id: str) -> dict[str, Any]:
    """The customer's parent chain (top first) and its children, as far as the scope shows them."""
    with ctx.sessions() as session:
        c = scoped_customer(session, scope, customer_id)
        allowed = scope.condition()
        ancestors, seen, parent_pk = [], {c.id}, c.parent_pk
        while parent_pk and parent_pk not in seen:
            seen.add(parent_pk)
            parent = session.get(Customer, parent_pk)
            if parent is None:
                break
            if scope.allows(parent.collector, parent.team):
                ancestors.insert(0, {"customer_id": parent.customer_id, "name": parent.name})
            parent_pk = parent.parent_pk
        stmt = select(Customer.customer_id, Customer.name).where(Customer.parent_pk == c.id)
        if allowed is not None:
            stmt = stmt.where(allowed)
        children = [{"customer_id": i, "name": n} for i, n in session.execute(stmt.order_by(Customer.customer_id))]
        return {"customer_id": c.customer_id, "name": c.name, "ancestors": ancestors, "children": children}


def list_contacts(ctx: Context, *, scope: CustomerScope, customer_id: str) -> list[dict[str, Any]]:
    with ctx.sessions() as session:
        return contacts_of(session, scoped_customer(session, scope, customer_id).id)


DOCUMENTS = {
    "invoices": (Invoice, "invoice_id", Invoice.issue_date, Application.invoice_pk),
    "credit_notes": (CreditNote, "credit_note_id", CreditNote.issue_date, Application.credit_note_pk),
    "payments": (Payment, "payment_id", Payment.received_date, Application.payment_pk),
}
EXTRA = {
    "invoices": ("issue_date", "due_date", "po_number", "description"),
    "credit_notes": ("issue_date", "reason", "applies_to"),
    "payments": ("received_date", "reference", "payer_name", "applies_to"),
}


def list_documents(ctx: Context, *, scope: CustomerScope, kind: str, as_of: dt.date,
                   customer_id: str | None = None, status: str = "all", limit: int = 50,
                   offset: int = 0) -> tuple[list[dict[str, Any]], int]:
    """Invoices, credit notes or payments in scope with their open (unapplied) amount on ``as_of``.

    ``status``: ``open`` (something left on the date), ``settled`` or ``all``. Payments without a
    customer (unidentified cash) are listed only to callers who see every customer.
    """
    if kind not in DOCUMENTS:
        raise InvalidInput(f"kind {kind!r}: one of {', '.join(DOCUMENTS)}")
    if status not in ("all", "open", "settled"):
        raise InvalidInput(f"status {status!r}: one of all, open, settled")
    _page(limit, offset)
    model, id_field, date_col, link = DOCUMENTS[kind]
    with ctx.sessions() as session:
        filters = [date_col <= as_of]
        if customer_id is not None:
            filters.append(model.customer_pk == scoped_customer(session, scope, customer_id).id)
        else:
            filters += _in_scope(model.customer_pk, scope)
        if status == "open":
            filters.append(model.open_until > as_of)
        elif status == "settled":
            filters.append(model.open_until <= as_of)
        total = session.scalar(select(func.count()).select_from(model).where(*filters)) or 0
        stmt = (select(model, Customer.customer_id).outerjoin(Customer, Customer.id == model.customer_pk)
                .where(*filters).order_by(date_col.desc(), getattr(model, id_field).desc())
                .limit(limit).offset(offset))
        rows = session.execute(stmt).all()
        applied = _applied(session, link, [d.id for d, _ in rows], as_of)
        items = []
        for doc, cid in rows:
            item = {id_field: getattr(doc, id_field), "customer_id": cid, "currency": doc.currency,
                    "amount": quantize(doc.amount, doc.currency),
                    "open_amount": quantize(doc.amount - applied.get(doc.id, ZERO), doc.currency)}
            item.update({k: getattr(doc, k) for k in EXTRA[kind]})
            if kind == "invoices":
                item["days_past_due"] = (as_of - doc.due_date).days
            items.append(item)
        return items, total


def _applied(session: Session, link: Any, pks: Sequence[int], as_of: dt.date) -> dict[int, Decimal]:
    if not pks:
        return {}
    stmt = (select(link, type_coerce(func.sum(Application.amount), Money()))
            .where(link.in_(list(pks)), Application.applied_on <= as_of).group_by(link))
    return {pk: amount or ZERO for pk, amount in session.execute(stmt)}


def list_applications(ctx: Context, *, scope: CustomerScope, customer_id: str | None = None,
                      invoice_id: str | None = None, limit: int = 50,
                      offset: int = 0) -> tuple[list[dict[str, Any]], int]:
    """Applications (and reversals) onto invoices in scope, newest first."""
    _page(limit, offset)
    with ctx.sessions() as session:
        filters = []
        if customer_id is not None:
            filters.append(Invoice.customer_pk == scoped_customer(session, scope, customer_id).id)
        else:
            filters += _in_scope(Invoice.customer_pk, scope)
        if invoice_id is not None:
            filters.append(Invoice.invoice_id == invoice_id)
        joined = (select(Application).join(Invoice, Invoice.id == Application.invoice_pk).where(*filters))
        total = session.scalar(select(func.count()).select_from(joined.subquery())) or 0
        stmt = (select(Application.id, Invoice.invoice_id, Payment.payment_id, CreditNote.credit_note_id,
                       Application.write_off_pk, Application.amount, Application.currency, Application.applied_on,
                       Application.reverses_pk, Application.source, Application.created_by)
                .join(Invoice, Invoice.id == Application.invoice_pk)
                .outerjoin(Payment, Payment.id == Application.payment_pk)
                .outerjoin(CreditNote, CreditNote.id == Application.credit_note_pk)
                .where(*filters).order_by(Application.applied_on.desc(), Application.id.desc())
                .limit(limit).offset(offset))
        items = []
        for r in session.execute(stmt):
            items.append({"id": r.id, "invoice_id": r.invoice_id, "payment_id": r.payment_id,
                          "credit_note_id": r.credit_note_id, "write_off_id": r.write_off_pk,
                          "amount": quantize(r.amount, r.currency), "currency": r.currency,
                          "applied_on": r.applied_on, "reverses": r.reverses_pk, "source": r.source,
                          "created_by": r.created_by})
        return items, total


def balance_history(ctx: Context, *, scope: CustomerScope, customer_id: str,
                    dates: Sequence[dt.date]) -> dict[str, list[tuple[dt.date, Decimal]]]:
    """Open balance per currency at each date (invoices issued − applications applied by then)."""
    with ctx.sessions() as session:
        c = scoped_customer(session, scope, customer_id)
        invoices = session.execute(select(Invoice.issue_date, Invoice.amount, Invoice.currency)
                                   .where(Invoice.customer_pk == c.id)).all()
        apps = session.execute(select(Application.applied_on, Application.amount, Application.currency)
                               .join(Invoice, Invoice.id == Application.invoice_pk)
                               .where(Invoice.customer_pk == c.id)).all()
    currencies = sorted({cur for _, _, cur in invoices})
    series: dict[str, list[tuple[dt.date, Decimal]]] = {}
    for cur in currencies:
        points = []
        for day in dates:
            issued = sum((a for d, a, k in invoices if k == cur and d <= day), ZERO)
            applied = sum((a for d, a, k in apps if k == cur and d <= day), ZERO)
            points.append((day, quantize(issued - applied, cur)))
        series[cur] = points
    return series


def month_ends(as_of: dt.date, months: int) -> list[dt.date]:
    """The last ``months`` month-ends before ``as_of``, oldest first, then ``as_of`` itself."""
    out, day = [], as_of.replace(day=1) - dt.timedelta(days=1)
    for _ in range(months):
        out.insert(0, day)
        day = day.replace(day=1) - dt.timedelta(days=1)
    return out + [as_of]


def customer_activity(ctx: Context, *, scope: CustomerScope, customer_id: str, limit: int = 50) -> list[dict[str, Any]]:
    """What happened on the account, newest first: documents received, applications, audited changes."""
    from arcollect.audit import AuditEntry

    with ctx.sessions() as session:
        c = scoped_customer(session, scope, customer_id)
        events: list[dict[str, Any]] = []
        for p in session.scalars(select(Payment).where(Payment.customer_pk == c.id)
                                 .order_by(Payment.received_date.desc()).limit(limit)):
            events.append({"on": p.received_date, "kind": "payment", "by": None,
                           "text": f"Payment {p.payment_id} received: {quantize(p.amount, p.currency)} {p.currency}"
                                   + (f" (ref {p.reference})" if p.reference else "")})
        for n in session.scalars(select(CreditNote).where(CreditNote.customer_pk == c.id)
                                 .order_by(CreditNote.issue_date.desc()).limit(limit)):
            events.append({"on": n.issue_date, "kind": "credit_note", "by": None,
                           "text": f"Credit note {n.credit_note_id}: {quantize(n.amount, n.currency)} {n.currency}"
                                   + (f" — {n.reason}" if n.reason else "")})
        for w, inv in session.execute(select(WriteOff, Invoice.invoice_id).join(Invoice, Invoice.id == WriteOff.invoice_pk)
                                      .where(Invoice.customer_pk == c.id).limit(limit)):
            events.append({"on": w.written_off_on, "kind": "write_off", "by": w.created_by,
                           "text": f"Write-off on {inv}: {quantize(w.amount, w.currency)} {w.currency} — {w.reason}"})
        for a in session.scalars(select(AuditEntry).where(AuditEntry.entity == "customer",
                                                          AuditEntry.entity_key == c.customer_id,
                                                          AuditEntry.action != "import")
                                 .order_by(AuditEntry.id.desc()).limit(limit)):
            fields = ", ".join(f"{k}: {v[0]!s} → {v[1]!s}" if isinstance(v, list) and len(v) == 2 else f"{k}: {v}"
                               for k, v in a.changes.items())
            events.append({"on": a.at.date(), "kind": a.action, "by": a.actor, "text": f"{a.action}: {fields}"})
    events.sort(key=lambda e: e["on"], reverse=True)
    return events[:limit]


def customer_facets(ctx: Context, *, scope: CustomerScope) -> dict[str, list[str]]:
    """The distinct collectors, teams, segments and currencies among the customers in scope (filter menus)."""
    out: dict[str, list[str]] = {}
    with ctx.sessions() as session:
        for name, column in (("collectors", Customer.collector), ("teams", Customer.team),
                             ("segments", Customer.segment), ("currencies", Invoice.currency)):
            if column is Invoice.currency:
                stmt = select(Invoice.currency).where(*_in_scope(Invoice.customer_pk, scope)).distinct()
            else:
                stmt = _scoped(select(column).where(column.is_not(None)).distinct(), scope)
            out[name] = sorted(v for v in session.scalars(stmt) if v)
    return out
