"""Maintained balances (customer_balances, customer_balance_totals), kept in the writer's own transaction.

A unit of work marks what it wrote: the ORM's flushes mark the invoices, payments, credit notes, applications
and write-offs they insert, change or delete (a dispute change is a change of its invoices); set-based writes
that bypass the ORM mark explicitly (``mark_customers``; ``refresh_settled`` marks the documents whose
applications it re-reads). Just before the unit of work commits, the marked customers' rows are recomputed
from the ledger itself — delete and INSERT … SELECT — so they are exact by construction, whatever the writer.
"""

from __future__ import annotations

from itertools import chain
from typing import Any, Iterable

from sqlalchemy import case, delete, event, false, func, insert, inspect, literal, select, union_all
from sqlalchemy.orm import Session

from arcollect.ledger.models import (
    Application,
    CreditNote,
    Customer,
    CustomerBalance,
    CustomerBalanceTotal,
    Invoice,
    Payment,
    WriteOff,
)

KEY = "arcollect_balances"
CHUNK = 5000
EVERYONE_FROM = 20_000  # more touched customers than this: recompute the whole table in one pass
_DOCS = {"invoices": Invoice, "payments": Payment, "credit_notes": CreditNote}


def _marks(session: Session) -> dict[str, Any]:
    return session.info.setdefault(KEY, {"all": False, "customers": set(), "invoices": set(), "payments": set(),
                                         "credit_notes": set()})


def mark_customers(session: Session, pks: Iterable[int | None]) -> None:
    """Customers whose documents or applications a set-based write changed in this unit of work."""
    _marks(session)["customers"].update(pk for pk in pks if pk is not None)


def mark_documents(session: Session, table: str, pks: Iterable[int] | None) -> None:
    """Invoices, payments or credit notes (by table name and key) whose applications changed; None: all."""
    if pks is None:
        _marks(session)["all"] = True
    else:
        _marks(session)[table].update(pks)


def mark_all(session: Session) -> None:
    _marks(session)["all"] = True


def _after_flush(session: Session, _context: Any) -> None:
    marks = None
    for obj in chain(session.new, session.dirty, session.deleted):
        if not isinstance(obj, (Invoice, Payment, CreditNote, Application, WriteOff)):
            continue
        marks = marks or _marks(session)
        state = inspect(obj)
        if isinstance(obj, (Invoice, Payment, CreditNote)):
            if state.identity:
                marks[obj.__tablename__].add(state.identity[0])
            history = state.attrs.customer_pk.history
            marks["customers"].update(pk for pk in chain(history.added, history.unchanged, history.deleted)
                                      if pk is not None)
        else:
            links = (("invoice_pk", "invoices"),) if isinstance(obj, WriteOff) else (
                ("invoice_pk", "invoices"), ("payment_pk", "payments"), ("credit_note_pk", "credit_notes"))
            for attr, table in links:
                history = getattr(state.attrs, attr).history
                marks[table].update(pk for pk in chain(history.added, history.unchanged, history.deleted)
                                    if pk is not None)


_LEDGER = {m.__table__: m for m in (Invoice, Payment, CreditNote, Application, WriteOff)}
# columns no balance depends on: a statement setting only these changes no balance
_NEUTRAL = {"open_until", "invoice_open_until", "document_open_until", "updated_at", "import_batch_id",
            "custom_fields", "description", "po_number", "reference", "payer_name", "applies_to", "reason"}


def _do_orm_execute(state: Any) -> None:
    """Statements run through the session that bypass the flush (``session.execute(insert(Invoice), rows)``,
    an UPDATE of invoices): their rows' customers, or everyone when the statement does not say."""
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    model = _LEDGER.get(getattr(state.statement, "table", None))
    if model is None:
        return
    session = state.session
    if state.is_update:
        values = getattr(state.statement, "_values", None) or {}
        names = {getattr(k, "key", k) for k in values}
        if names and names <= _NEUTRAL:
            return
    params = state.parameters
    rows = params if isinstance(params, list) else [params] if params else []
    if not state.is_insert or not rows or getattr(state.statement, "_values", None):
        mark_all(session)
        return
    keys = ("customer_pk",) if model in (Invoice, Payment, CreditNote) else (
        ("invoice_pk",) if model is WriteOff else ("invoice_pk", "payment_pk", "credit_note_pk"))
    if not all(any(k in row for k in keys) for row in rows):
        mark_all(session)
        return
    marks = _marks(session)
    for row in rows:
        for k in keys:
            if row.get(k) is not None:
                marks["customers" if k == "customer_pk" else _TABLE_OF[k]].add(row[k])


_TABLE_OF = {"invoice_pk": "invoices", "payment_pk": "payments", "credit_note_pk": "credit_notes"}


def _before_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return
    if session.info.get(KEY) is None and not session.new and not session.dirty and not session.deleted:
        return
    session.flush()
    marks = session.info.pop(KEY, None)
    if marks:
        refresh(session, marks)


def _after_transaction_end(session: Session, transaction: Any) -> None:
    if transaction.parent is None:
        session.info.pop(KEY, None)


def install(sessions: Any) -> None:
    """Keep the balances on every session of a factory (``build_context`` calls this)."""
    event.listen(sessions, "after_flush", _after_flush)
    event.listen(sessions, "do_orm_execute", _do_orm_execute)
    event.listen(sessions, "before_commit", _before_commit)
    event.listen(sessions, "after_transaction_end", _after_transaction_end)


def touched_customers(session: Session, marks: dict[str, Any]) -> set[int] | None:
    """The customer keys the marks stand for; None: every customer."""
    if marks["all"]:
        return None
    customers = set(marks["customers"])
    for table, model in _DOCS.items():
        keys = sorted(marks[table])
        for i in range(0, len(keys), CHUNK):
            customers.update(pk for (pk,) in session.execute(
                select(model.customer_pk).where(model.id.in_(keys[i:i + CHUNK])).distinct()) if pk is not None)
    return customers


def refresh(session: Session, marks: dict[str, Any]) -> None:
    customers = touched_customers(session, marks)
    if customers is not None and not customers:
        return
    if customers is not None and len(customers) > EVERYONE_FROM:
        customers = None
    _lock(session, customers)
    if customers is None:
        session.execute(delete(CustomerBalance))
        session.execute(delete(CustomerBalanceTotal))
        _insert(session, None)
        return
    keys = sorted(customers)
    for i in range(0, len(keys), CHUNK):
        chunk = keys[i:i + CHUNK]
        session.execute(delete(CustomerBalance).where(CustomerBalance.customer_pk.in_(chunk)))
        session.execute(delete(CustomerBalanceTotal).where(CustomerBalanceTotal.customer_pk.in_(chunk)))
        _insert(session, chunk)


def _lock(session: Session, customers: set[int] | None) -> None:
    """PostgreSQL: the customers' rows locked in key order first, so two units of work refreshing the same
    customer take turns and the second one's DELETE and INSERT … SELECT see what the first committed (FOR NO KEY
    UPDATE: rows that only reference a customer are not held up). SQLite has a single writer already."""
    if session.get_bind().dialect.name != "postgresql":
        return
    stmt = select(Customer.id).order_by(Customer.id).with_for_update(key_share=True)
    if customers is None:
        session.execute(stmt).all()
        return
    keys = sorted(customers)
    for i in range(0, len(keys), CHUNK):
        session.execute(stmt.where(Customer.id.in_(keys[i:i + CHUNK]))).all()


def refresh_everyone(session: Session) -> None:
    """Recompute every customer's balances (the migration's backfill, a repair after the doctor found drift)."""
    refresh(session, {"all": True})


def _insert(session: Session, customers: list[int] | None) -> None:
    session.execute(insert(CustomerBalance).from_select(
        ["customer_pk", "currency", "due_date", "open_amount", "disputed_amount"], balances_query(customers)))
    session.execute(insert(CustomerBalanceTotal).from_select(
        ["customer_pk", "currency", "unapplied_cash", "unapplied_credits", "latest_on"], totals_query(customers)))


# ---- the recomputation from the ledger (also what the doctor compares the stored rows with) -------------
def balances_query(customers: list[int] | None) -> Any:
    """(customer, currency, due date) → Σ open amount, Σ disputed part, from invoices and every application."""
    applied = select(Application.invoice_pk.label("pk"), func.sum(Application.amount).label("applied"))
    if customers is not None:
        applied = applied.where(Application.invoice_pk.in_(
            select(Invoice.id).where(Invoice.customer_pk.in_(customers))))
    applied_sub = applied.group_by(Application.invoice_pk).subquery("applied")
    left = Invoice.amount - func.coalesce(applied_sub.c.applied, 0)
    part = Invoice.disputed_amount
    # the aging's rule: the whole open amount when the whole invoice is disputed, else min(part, open) ≥ 0
    disputed = case((Invoice.disputed == false(), literal(0)),
                    (part.is_(None), left),
                    (part <= 0, literal(0)), (left <= 0, literal(0)),
                    (part < left, part), else_=left)
    stmt = (select(Invoice.customer_pk, Invoice.currency, Invoice.due_date,
                   func.sum(left).label("open_amount"), func.sum(disputed).label("disputed_amount"))
            .outerjoin(applied_sub, applied_sub.c.pk == Invoice.id))
    if customers is not None:
        stmt = stmt.where(Invoice.customer_pk.in_(customers))
    return (stmt.group_by(Invoice.customer_pk, Invoice.currency, Invoice.due_date)
            .having(func.sum(left) != 0))


def totals_query(customers: list[int] | None) -> Any:
    """(customer, currency) → unapplied cash, unapplied credits, the latest document or application date."""
    zero = literal(0)
    parts = []
    for model, link, date_col, column in ((Invoice, Application.invoice_pk, Invoice.issue_date, None),
                                          (Payment, Application.payment_pk, Payment.received_date, "cash"),
                                          (CreditNote, Application.credit_note_pk, CreditNote.issue_date,
                                           "credit")):
        own = [model.customer_pk.is_not(None)]
        if customers is not None:
            own.append(model.customer_pk.in_(customers))
        amount = func.sum(model.amount)
        parts.append(select(model.customer_pk.label("c"), model.currency.label("cur"),
                            (amount if column == "cash" else zero).label("cash"),
                            (amount if column == "credit" else zero).label("credit"),
                            func.max(date_col).label("latest"))
                     .where(*own).group_by(model.customer_pk, model.currency))
        moved = -func.sum(Application.amount)
        parts.append(select(model.customer_pk.label("c"), model.currency.label("cur"),
                            (moved if column == "cash" else zero).label("cash"),
                            (moved if column == "credit" else zero).label("credit"),
                            func.max(Application.applied_on).label("latest"))
                     .join(model, model.id == link).where(*own).group_by(model.customer_pk, model.currency))
    every = union_all(*parts).subquery("movements")
    return (select(every.c.c, every.c.cur, func.sum(every.c.cash), func.sum(every.c.credit), func.max(every.c.latest))
            .group_by(every.c.c, every.c.cur))

