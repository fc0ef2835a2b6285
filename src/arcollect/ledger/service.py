"""Ledger use cases: the only module other packages and the interfaces call.

Each function owns its transaction (one unit of work) and takes keyword-only arguments. Imports, the aging,
the ledger totals and the demo are here; customer accounts (``ledger.customers``), money moving on invoices
(``ledger.postings``) and the read models (``browse``, ``open_items``, ``period_queries``) live in their own
modules and are re-exported, so callers keep using ``ledger.service``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable, Sequence

from sqlalchemy import func, select, text, type_coerce

from arcollect import audit
from arcollect.context import Context
from arcollect.db import Money, writing
from arcollect.errors import Conflict, InvalidInput
from arcollect.ledger import aging as A
from arcollect.ledger import balance_reads as maintained
from arcollect.ledger import queries as Q
from arcollect.ledger.import_base import TABLES_WRITTEN, ImportResult, Progress
from arcollect.ledger.import_read import ReadLimits, parse_mapping, read_table
from arcollect.ledger.import_rows import KINDS
from arcollect.ledger.imports import import_table, write_rejected
from arcollect.ledger.models import (
    Application, CreditNote, Customer, Invoice, Payment,
)
from arcollect.ledger.browse import (  # noqa: F401  (part of this service's interface)
    balance_history, contacts_of, customer_activity, customer_facets, customer_header, customer_hierarchy,
    list_applications,
    list_contacts, list_customers, list_documents, month_ends, scoped_customer, scoped_record,
)
from arcollect.ledger.dashboard import Dashboard
from arcollect.ledger.customers import (  # noqa: F401  (part of this service's interface)
    CONTACT_FIELDS, EDITABLE_FIELDS, FLAG_FIELDS, RISKS, CustomerOverview, assign_portfolio, clean_contact_details,
    customer_overview, disputed_invoices, update_customer, update_customer_in,
)
from arcollect.ledger.postings import (  # noqa: F401  (part of this service's interface)
    apply_document, apply_in, move_payment_in, record_payment_in, reverse_application, reverse_in, write_off,
    write_off_in,
)
from arcollect.ledger.open_items import (  # noqa: F401  (bulk reads for the workbench)
    OpenInvoice, customers_in, invoiced_between, open_invoices, open_items_by_customer, payments_applied, unapplied,
)
from arcollect.ledger.queries import open_amount_of  # noqa: F401
from arcollect.ledger.period_queries import (  # noqa: F401  (reports)
    PeriodUnits, customer_groups, period_units, sales_in_windows)
from arcollect.ledger.locks import lock_rows, lost_race  # noqa: F401  (lock_rows: for cash application)
from arcollect.ledger.scope import EVERYTHING, FULL_RIGHTS, CustomerScope, ImportRights
from arcollect.ledger.upkeep import mark_customers
from arcollect.ledger.uploads import discard_upload, find_upload, prune_uploads, save_upload  # noqa: F401
from arcollect.money import quantize

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
        # the import's one commit point: result.touched_customers are the customers whose documents or
        # applications it wrote (what anything maintained per customer refreshes before this commit)
        mark_customers(session, result.touched_customers)
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
    filters = dict(collector=collector, currency=currency, segment=segment, customer_ids=customer_ids, scope=scope)
    with ctx.sessions() as session:
        if basis == "due" and as_of == ctx.clock.today() and maintained.answerable(session, as_of):
            # today's aging from the maintained balances (the exact ledger query stays the reference)
            if by == "customer":
                rows = A.roll_up(maintained.aging_by_customer(session, as_of=as_of, bounds=bounds, **filters),
                                 by, len(names))
            else:
                rows = maintained.aging_grouped(session, as_of=as_of, bounds=bounds, by=by, **filters)
        else:
            rows = A.roll_up(Q.aging_by_customer(session, as_of=as_of, basis=basis, bounds=bounds, **filters),
                             by, len(names))
        narrowed = collector or customer_ids is not None or segment or not scope.everything
        unidentified = {} if narrowed else Q.unidentified_cash(session, as_of)
    if currency:
        unidentified = {c: a for c, a in unidentified.items() if c == currency}
    # Amounts are stored quantized to their currency, so these sums are exact already; money_str
    # gives each the currency's digits on output.
    unidentified = {c: quantize(a, c) for c, a in unidentified.items()}
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
