"""Ledger use cases: the only module other packages and the interfaces call.

Each function owns its transaction (one unit of work) and takes keyword-only arguments.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable, Sequence

from sqlalchemy import func, select, text, type_coerce
from sqlalchemy.orm import Session

from arcollect import audit
from arcollect.context import Context
from arcollect.db import Money, writing
from arcollect.errors import Conflict, InvalidInput, NotFound
from arcollect.ledger import aging as A
from arcollect.ledger import queries as Q
from arcollect.ledger.balances import Movement, available_from
from arcollect.ledger.import_base import TABLES_WRITTEN, ImportResult, Progress
from arcollect.ledger.import_read import ReadLimits, parse_mapping, read_table
from arcollect.ledger.import_rows import KINDS
from arcollect.ledger.imports import import_table, write_rejected
from arcollect.ledger.models import (
    Application, CreditNote, Customer, Invoice, Payment, WriteOff,
)
from arcollect.ledger.browse import (  # noqa: F401  (part of this service's interface)
    balance_history, contacts_of, customer_activity, customer_facets, customer_header, customer_hierarchy,
    list_applications,
    list_contacts, list_customers, list_documents, month_ends, scoped_customer, scoped_record,
)
from arcollect.ledger.dashboard import Dashboard
from arcollect.ledger.open_items import (  # noqa: F401  (bulk reads for the workbench)
    OpenInvoice, customers_in, invoiced_between, open_invoices, open_items_by_customer, payments_applied, unapplied,
)
from arcollect.ledger.queries import open_amount_of  # noqa: F401
from arcollect.ledger.period_queries import PeriodUnits, customer_groups, period_units  # noqa: F401  (reports)
from arcollect.ledger.locks import lock_rows, lost_race
from arcollect.ledger.scope import EVERYTHING, FULL_RIGHTS, CustomerScope, ImportRights
from arcollect.ledger.uploads import discard_upload, find_upload, prune_uploads, save_upload  # noqa: F401
from arcollect.money import quantize, to_decimal
from arcollect.periods.guard import assert_open

ZERO = Decimal(0)


# ---- imports -----------------------------------------------------------------------------------
ANALYZE_AFTER_ROWS = 10_000


IMPORT_ATTEMPTS = 5


def import_file(ctx: Context, *, kind: str, path: Path, mapping: list[str] | None = None,
                mapping_file: Path | None = None, date_format: str | None = None,
                partial: bool = False, keep_unknown: bool = True,
                progress: Progress | None = None, dry_run: bool = False,
                rights: ImportRights = FULL_RIGHTS, stop: Callable[[], bool] | None = None) -> ImportResult:
    """Import one CSV/XLSX file. Atomic unless ``partial``; the result lists every problem.
    ``stop`` (the server shutting down) is asked every thousand rows: when true the import is refused
    (Conflict) and rolled back, so a shutdown waits for no long import.

    Unknown columns are kept as custom fields, or ignored when ``keep_unknown`` is False.
    ``dry_run`` validates and counts everything, then rolls back: nothing is written.
    ``rights``: the caller's portfolio and whether they may move customers between collectors;
    rows outside it are refused as unknown.

    An import that collides with a concurrent writer (the same documents or invoices at the same
    moment) is rolled back and run again from the file, on what the other one committed.
    """
    if kind not in KINDS:
        raise InvalidInput(f"unknown import kind {kind!r}; one of: {', '.join(KINDS)}")
    pairs = parse_mapping(mapping, mapping_file)
    for attempt in range(1, IMPORT_ATTEMPTS + 1):
        table = read_table(Path(path), pairs, ReadLimits.of(ctx.settings), stop=stop)
        try:
            return _import_once(ctx, table, kind=kind, path=Path(path), date_format=date_format, partial=partial,
                                keep_unknown=keep_unknown, progress=progress, dry_run=dry_run, rights=rights)
        except Exception as exc:
            if not lost_race(exc):
                raise
            if attempt == IMPORT_ATTEMPTS:
                raise Conflict(f"{Path(path).name}: other changes to the same customers, invoices or payments kept "
                               f"colliding with this import; nothing was imported — import the file again") from exc
    raise AssertionError("unreachable")


def _import_once(ctx: Context, table: Any, *, kind: str, path: Path, date_format: str | None, partial: bool,
                 keep_unknown: bool, progress: Progress | None, dry_run: bool, rights: ImportRights) -> ImportResult:
    session = writing(ctx.sessions())
    try:
        result, rejected = import_table(session, table, kind=kind, date_format=date_format,
                                        actor=ctx.actor, now=ctx.clock.now(),
                                        base_currency=ctx.settings.base_currency,
                                        keep_unknown=keep_unknown, progress=progress, rights=rights)
        if dry_run:
            session.rollback()
            return result
        if result.errors and not partial:
            session.rollback()
            result.created = result.updated = 0
            return result
        if rejected:
            result.rejected_file = write_rejected(path, table.header, rejected)
        session.commit()
        dialect = session.get_bind().dialect.name
        if dialect == "sqlite":
            # a million-row import leaves a WAL of gigabytes (and its mapped index) behind otherwise
            session.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
        elif dialect == "postgresql" and result.created + result.updated >= ANALYZE_AFTER_ROWS:
            # fresh planner statistics now, not whenever autovacuum gets to it: with stale ones the
            # per-customer reads of the account page scan whole tables instead of using their indexes.
            # Only the tables this kind wrote: statistics taken of a still-empty table would mislead
            # the planner during the next bulk import into it.
            session.connection().exec_driver_sql("ANALYZE " + ", ".join(TABLES_WRITTEN[kind]))
            session.commit()
        return result
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def import_upload(ctx: Context, *, kind: str, name: str, stream: Any, dry_run: bool = False,
                  partial: bool = False, rights: ImportRights = FULL_RIGHTS,
                  stop: Callable[[], bool] | None = None) -> dict[str, Any]:
    """Import an uploaded file (API, web): the import report as plain data; the copy is removed."""
    path = save_upload(ctx, name=name, stream=stream)
    try:
        return import_saved(ctx, kind=kind, path=path, dry_run=dry_run, partial=partial, rights=rights, stop=stop)
    finally:
        discard_upload(path)


def import_saved(ctx: Context, *, kind: str, path: Path, dry_run: bool = False,
                 partial: bool = False, rights: ImportRights = FULL_RIGHTS,
                 stop: Callable[[], bool] | None = None) -> dict[str, Any]:
    """Import a file saved by ``save_upload``; messages name the file, not where the server keeps it."""
    full, name = str(path), Path(path).name
    try:
        result = import_file(ctx, kind=kind, path=path, dry_run=dry_run, partial=partial, rights=rights, stop=stop)
    except InvalidInput as exc:
        raise InvalidInput(str(exc.args[0]).replace(full, name), [p.replace(full, name) for p in exc.problems]) from None
    except Conflict as exc:
        raise Conflict(str(exc).replace(full, name)) from None
    committed = not dry_run and (partial or not result.errors)
    summary = result.summary()
    summary.pop("rejected_file", None)
    for key in ("errors", "warnings"):
        summary[key] = [m.replace(full, name) for m in summary[key]]
    return {"kind": kind, "file_name": name, "committed": committed, **summary}


# ---- aging -------------------------------------------------------------------------------------
def aging(ctx: Context, *, as_of: dt.date, by: str = "customer", basis: str = "due",
          buckets: str | Sequence[int] | None = None, collector: str | None = None,
          currency: str | None = None, customer_ids: Sequence[str] | None = None,
          segment: str | None = None, scope: CustomerScope = EVERYTHING) -> A.AgingReport:
    """Aging as of a date, limited to ``scope`` (the caller's portfolio) and the filters given."""
    if by not in A.GROUPINGS:
        raise InvalidInput(f"--by {by!r}: one of {', '.join(A.GROUPINGS)}")
    if basis not in A.BASES:
        raise InvalidInput(f"--basis {basis!r}: one of {', '.join(A.BASES)}")
    try:
        bounds = A.parse_bounds(buckets) if not isinstance(buckets, (list, tuple)) else tuple(buckets)
    except ValueError as exc:
        raise InvalidInput(str(exc)) from None
    names = A.bucket_names(bounds)
    with ctx.sessions() as session:
        customer_rows = Q.aging_by_customer(session, as_of=as_of, basis=basis, bounds=bounds,
                                            collector=collector, currency=currency, segment=segment,
                                            customer_ids=customer_ids, scope=scope)
        narrowed = collector or customer_ids is not None or segment or not scope.everything
        unidentified = {} if narrowed else Q.unidentified_cash(session, as_of)
    if currency:
        unidentified = {c: a for c, a in unidentified.items() if c == currency}
    # Amounts are stored quantized to their currency, so these sums are exact already; money_str
    # gives each the currency's digits on output.
    unidentified = {c: quantize(a, c) for c, a in unidentified.items()}
    rows = A.roll_up(customer_rows, by, len(names))
    return A.AgingReport(as_of=as_of, basis=basis, by=by, bucket_names=names, rows=rows,
                         totals=A.totals_by_currency(rows, len(names)), unidentified_cash=unidentified)


def dashboard(ctx: Context, *, as_of: dt.date, scope: CustomerScope = EVERYTHING, months: int = 6,
              top: int = 20) -> "Dashboard":
    """Portfolio health for the caller's scope: totals by bucket, % current, past-due trend, top accounts."""
    from arcollect.ledger.dashboard import summarise

    report = aging(ctx, as_of=as_of, scope=scope)
    dates = month_ends(as_of, months)
    with ctx.sessions() as session:
        trend = Q.past_due_by_date(session, dates=dates, scope=scope)
    return summarise(report, dates, trend, top=top)


def credit_limits(ctx: Context, *, scope: CustomerScope = EVERYTHING) -> dict[str, tuple[str, Decimal]]:
    """customer id → (its currency, its credit limit) of the customers in scope that have a limit."""
    with ctx.sessions() as session:
        stmt = select(Customer.customer_id, Customer.currency, Customer.credit_limit).where(
            Customer.credit_limit.is_not(None))
        if scope.condition() is not None:
            stmt = stmt.where(scope.condition())
        return {cid: (cur, quantize(limit, cur)) for cid, cur, limit in session.execute(stmt)}


def export_aging(report: A.AgingReport, *, fmt: str) -> tuple[bytes, str]:
    """The report as a CSV or XLSX file: (content, media type)."""
    import io

    from arcollect.ledger.aging_export import to_csv, write_xlsx

    if fmt == "csv":
        return to_csv(report).encode("utf-8"), "text/csv; charset=utf-8"
    if fmt == "xlsx":
        buffer = io.BytesIO()
        write_xlsx(report, buffer)  # type: ignore[arg-type]
        return buffer.getvalue(), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    raise InvalidInput(f"format {fmt!r}: csv or xlsx")


# ---- customers ---------------------------------------------------------------------------------
@dataclass
class CustomerOverview:
    customer: dict[str, Any]
    parent_id: str | None
    children: list[str]
    contacts: list[dict[str, Any]]
    open_items: list[dict[str, Any]]
    unapplied_cash: dict[str, Decimal]
    unapplied_credits: dict[str, Decimal]
    as_of: dt.date

    @property
    def open_balance(self) -> dict[str, Decimal]:
        """Σ open amounts per currency."""
        totals: dict[str, Decimal] = {}
        for item in self.open_items:
            totals[item["currency"]] = totals.get(item["currency"], ZERO) + item["open_amount"]
        return totals

    @property
    def past_due(self) -> dict[str, Decimal]:
        """Σ open amounts past their due date per currency (every currency with an open amount)."""
        totals = dict.fromkeys(self.open_balance, ZERO)
        for item in self.open_items:
            if item["days_past_due"] > 0:
                totals[item["currency"]] += item["open_amount"]
        return totals


def customer_overview(ctx: Context, *, customer_id: str, as_of: dt.date,
                      scope: CustomerScope = EVERYTHING) -> CustomerOverview:
    with ctx.sessions() as session:
        c = scoped_customer(session, scope, customer_id)
        parent = session.scalar(select(Customer.customer_id).where(Customer.id == c.parent_pk)) if c.parent_pk else None
        children = list(session.scalars(select(Customer.customer_id).where(Customer.parent_pk == c.id)
                                        .order_by(Customer.customer_id)))
        contacts = contacts_of(session, c.id)
        items = Q.open_items(session, c.id, as_of)
        cash = Q.unapplied_by_customer(session, Payment, as_of, customer_ids=[customer_id])
        credits = Q.unapplied_by_customer(session, CreditNote, as_of, customer_ids=[customer_id])
        header = customer_header(c)
    return CustomerOverview(header, parent, children, contacts, items,
                            {k[1]: quantize(v, k[1]) for k, v in cash.items() if v},
                            {k[1]: quantize(v, k[1]) for k, v in credits.items() if v}, as_of)


CONTACT_FIELDS = ("email", "phone", "language", "timezone")
FLAG_FIELDS = ("risk", "do_not_contact", "credit_hold")  # kept in arcollect; imports never touch them
EDITABLE_FIELDS = CONTACT_FIELDS + FLAG_FIELDS
RISKS = ("low", "medium", "high")


def _risk(values: dict[str, str], column: str) -> str | None:
    from arcollect.ledger.import_rows import CellError

    value = values[column].lower()
    if value and value not in RISKS:
        raise CellError(column, f"{values[column]!r} is not a risk class (one of {', '.join(RISKS)})")
    return value or None


def _flag(values: dict[str, str], column: str) -> bool:
    from arcollect.ledger.import_rows import bool_value

    return bool_value(values, column)


def clean_contact_details(changes: dict[str, Any]) -> dict[str, Any]:
    """Validate a change of contact details and collections flags (contact details with the same
    cell rules as the customers import). Blank values clear a field. Raises InvalidInput naming
    every bad field.
    """
    from arcollect.ledger.import_rows import CellError, email_value, language_value, text, timezone_value

    readers = {"email": email_value, "timezone": timezone_value, "language": language_value,
               "phone": lambda values, column: text(values, column, max_len=64),
               "risk": _risk, "do_not_contact": _flag, "credit_hold": _flag}
    problems = [f"{k}: not editable here (one of {', '.join(EDITABLE_FIELDS)})" for k in changes
                if k not in EDITABLE_FIELDS]
    clean: dict[str, Any] = {}
    for key in (k for k in EDITABLE_FIELDS if k in changes):
        value = changes[key]
        if isinstance(value, bool):
            value = "true" if value else "false"
        elif key in ("do_not_contact", "credit_hold") and value is None:
            value = "false"
        try:
            clean[key] = readers[key]({key: (value or "").strip()}, key)
        except CellError as err:
            problems.append(f"{key}: {err.message}")
    if problems:
        raise InvalidInput("invalid customer update", problems)
    return clean


def update_customer(ctx: Context, *, customer_id: str, changes: dict[str, Any],
                    scope: CustomerScope = EVERYTHING) -> dict[str, Any]:
    """Change a customer's contact details (email, phone, language, time zone) or collections flags
    (risk, do-not-contact, credit hold); audited.

    The ERP stays the master of everything else: the next import overwrites what it sends.
    """
    clean = clean_contact_details(changes)
    with ctx.unit_of_work() as session:
        return update_customer_in(session, scoped_customer(session, scope, customer_id), clean, now=ctx.clock.now(),
                                  actor=ctx.actor)


def update_customer_in(session: Session, c: Customer, clean: dict[str, Any], *, now: dt.datetime, actor: str,
                       why: dict[str, Any] | None = None) -> dict[str, Any]:
    """``update_customer`` inside the caller's transaction with checked values (an approved escalation
    puts the account on credit hold); audited with ``why`` beside the changes."""
    before = customer_header(c)
    for key, value in clean.items():
        setattr(c, key, value)
    c.updated_at = now
    after = customer_header(c)
    changed = audit.diff(before, after)
    if changed:
        audit.record(session, at=now, actor=actor, action="update", entity="customer", entity_key=c.customer_id,
                     changes={**changed, **(why or {})})
    return after


def disputed_invoices(ctx: Context, *, customer_id: str, scope: CustomerScope = EVERYTHING) -> set[str]:
    """The ids of a customer's invoices flagged in dispute."""
    with ctx.sessions() as session:
        c = scoped_customer(session, scope, customer_id)
        return set(session.scalars(select(Invoice.invoice_id).where(Invoice.customer_pk == c.id, Invoice.disputed)))


def assign_portfolio(ctx: Context, *, customer_ids: Sequence[str], collector: str | None = None,
                     team: str | None = None, scope: CustomerScope = EVERYTHING) -> int:
    """Set the collector and/or team of customers (all or nothing); audited per customer. Customers
    outside ``scope`` (the caller's portfolio) are not found."""
    ids = list(dict.fromkeys(i.strip() for i in customer_ids if i.strip()))
    if not ids:
        raise InvalidInput("name at least one customer")
    now = ctx.clock.now()
    with ctx.unit_of_work() as session:
        found = {c.customer_id: c for c in session.scalars(select(Customer).where(Customer.customer_id.in_(ids)))
                 if scope.allows(c.collector, c.team)}
        missing = [i for i in ids if i not in found]
        if missing:
            raise NotFound(f"customers not found: {', '.join(missing[:20])}" + (" …" if len(missing) > 20 else ""))
        changed = 0
        for cid in ids:
            c = found[cid]
            before = {"collector": c.collector, "team": c.team}
            if collector is not None:
                c.collector = collector
            if team is not None:
                c.team = team
            diff = audit.diff(before, {"collector": c.collector, "team": c.team})
            if diff:
                changed += 1
                c.updated_at = now
                audit.record(session, at=now, actor=ctx.actor, action="assign", entity="customer",
                             entity_key=cid, changes=diff)
        return changed


# ---- applications, reversals, write-offs -------------------------------------------------------
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


# ---- ledger totals (the invariants of DESIGN §4) -----------------------------------------------
@dataclass
class LedgerTotals:
    invoiced: Decimal
    applied_payments: Decimal
    applied_credits: Decimal
    written_off: Decimal
    open: Decimal
    payments: Decimal
    unapplied_cash: Decimal
    credits: Decimal
    unapplied_credits: Decimal


def ledger_totals(ctx: Context, *, as_of: dt.date, currency: str) -> LedgerTotals:
    """Σ of each side of the ledger for one currency as of a date (for reconciliation and tests)."""

    def total(stmt: Any) -> Decimal:
        return session.scalar(stmt) or ZERO

    def s(col: Any) -> Any:
        return type_coerce(func.sum(col), Money())

    with ctx.sessions() as session:
        invoiced = total(select(s(Invoice.amount)).where(Invoice.currency == currency, Invoice.issue_date <= as_of))
        apps = {}
        for name, link in (("payments", Application.payment_pk), ("credits", Application.credit_note_pk),
                           ("write_offs", Application.write_off_pk)):
            apps[name] = total(select(s(Application.amount)).join(Invoice, Invoice.id == Application.invoice_pk)
                               .where(link.is_not(None), Application.currency == currency,
                                      Application.applied_on <= as_of, Invoice.issue_date <= as_of))
        payments = total(select(s(Payment.amount)).where(Payment.currency == currency, Payment.received_date <= as_of))
        credits = total(select(s(CreditNote.amount)).where(CreditNote.currency == currency, CreditNote.issue_date <= as_of))
        report_open = Decimal(0)
        for row in Q.aging_by_customer(session, as_of=as_of, basis="due", bounds=A.DEFAULT_BOUNDS, currency=currency):
            report_open += row.total
        cash = sum((v for k, v in Q.unapplied_by_customer(session, Payment, as_of).items() if k[1] == currency), ZERO)
        cash += Q.unidentified_cash(session, as_of).get(currency, ZERO)
        cred = sum((v for k, v in Q.unapplied_by_customer(session, CreditNote, as_of).items() if k[1] == currency), ZERO)
    return LedgerTotals(invoiced, apps["payments"], apps["credits"], apps["write_offs"], report_open,
                        payments, cash, credits, cred)


# ---- demo portfolio ----------------------------------------------------------------------------
def load_demo(ctx: Context, *, customers: int = 200, seed: int = 42, as_of: dt.date | None = None,
              progress: Progress | None = None) -> dict[str, int]:
    """Generate and load a realistic demo book into an empty ledger (deterministic per seed)."""
    from arcollect.ledger.demo import generate
    from arcollect.ledger.demo_load import load_books

    if customers < 1:
        raise InvalidInput("--customers must be at least 1")
    as_of = as_of or ctx.clock.today()
    with ctx.unit_of_work() as session:
        counts = load_books(session, generate(customers=customers, seed=seed, as_of=as_of),
                            now=ctx.clock.now(), actor=ctx.actor, progress=progress)
        audit.record(session, at=ctx.clock.now(), actor=ctx.actor, action="demo", entity="ledger",
                     entity_key=f"seed={seed}", changes={"customers": customers, "as_of": as_of, **counts})
    return counts


def busiest_collector(ctx: Context) -> str | None:
    """The collector login with the most customers (None when no customer has one)."""
    with ctx.sessions() as session:
        return session.scalar(select(Customer.collector).where(Customer.collector.is_not(None))
                              .group_by(Customer.collector).order_by(func.count().desc(), Customer.collector)
                              .limit(1))


def is_empty(ctx: Context) -> bool:
    with ctx.sessions() as session:
        return session.scalar(select(Customer.id).limit(1)) is None
