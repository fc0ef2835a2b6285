"""Period reads for reports, computed in the database: open and not-yet-due amounts at several dates,
documents issued and money applied in date windows — per (group, currency), in a few flat scans.

The open amount as of a date is the aging's (``queries.aging_by_customer``): invoices issued by then
less their applications dated by then, settled invoices skipped on both sides (``open_until``). Sums
come back as integer 1/10,000ths (``queries._raw``), exact on both databases. A group is a customer
key, a collector, a team, a segment or the whole book (``by``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Sequence

from sqlalchemy import Integer, and_, case, cast, func, literal, or_, select
from sqlalchemy.orm import Session

from arcollect.ledger import queries as Q
from arcollect.ledger.models import Application, CreditNote, Customer, Invoice, Payment
from arcollect.ledger.scope import CustomerScope

Key = tuple[Any, str]  # (group, currency)
Window = tuple[dt.date, dt.date]  # first day, last day (both included)
KINDS = ("payments", "credits", "write_offs")
GROUPINGS = ("total", "collector", "team", "segment", "customer")
TOTAL = "total"


@dataclass
class PeriodUnits:
    """Sums in 1/10,000ths per (group, currency). Lists follow the dates and windows asked for."""

    open_at: dict[Key, list[int]] = field(default_factory=dict)       # open amount at each date
    current_at: dict[Key, list[int]] = field(default_factory=dict)    # the part not past due at each date
    invoiced: dict[Key, list[int]] = field(default_factory=dict)      # invoices issued in each window
    credit_notes: dict[Key, list[int]] = field(default_factory=dict)  # credit notes issued in each window
    applied: dict[str, dict[Key, list[int]]] = field(default_factory=dict)  # kind → applied in each flow window
    backdated: dict[Key, list[int]] = field(default_factory=dict)     # dated before the window, invoice in it
    pay_days: dict[Key, list[int]] = field(default_factory=dict)      # Σ payment × (applied − issued) days
    late_days: dict[Key, list[int]] = field(default_factory=dict)     # Σ payment × max(0, applied − due) days
    unapplied_cash: dict[Key, int] = field(default_factory=dict)      # at the last date

    def keys(self) -> set[Key]:
        out = set(self.open_at) | set(self.invoiced) | set(self.credit_notes) | set(self.backdated)
        out |= set(self.unapplied_cash)
        for by_kind in self.applied.values():
            out |= set(by_kind)
        return out


def _days(later: Any, earlier: Any, dialect: str) -> Any:
    if dialect == "sqlite":
        return cast(func.julianday(later) - func.julianday(earlier), Integer)
    return later - earlier


def _within(scope: CustomerScope | None) -> Any | None:
    condition = scope.condition() if scope is not None else None
    return None if condition is None else select(Customer.id).where(condition)


def _sum(cond: Any, value: Any, dialect: str) -> Any:
    return Q._raw(func.sum(case((cond, value), else_=literal(0))), dialect)


def _scan(by: str, customer_pk: Any, currency: Any, cols: list[Any], source: Any, joins: Sequence[tuple[Any, Any]],
          filters: list[Any]) -> Any:
    """SELECT group, currency, cols FROM source [JOIN …] WHERE filters GROUP BY group, currency."""
    keys = [currency] if by == TOTAL else [customer_pk if by == "customer" else getattr(Customer, by), currency]
    stmt = select(*keys, *cols).select_from(source)
    for target, on in joins:
        stmt = stmt.join(target, on)
    if by not in ("customer", TOTAL):
        stmt = stmt.join(Customer, Customer.id == customer_pk)
    return stmt.where(*filters).group_by(*keys)


def _rows(session: Session, stmt: Any, by: str) -> list[tuple[Key, list[int]]]:
    out = []
    for row in session.connection().execute(stmt).all():
        if by == TOTAL:
            out.append(((TOTAL, row[0]), [int(v or 0) for v in row[1:]]))
        else:
            out.append(((row[0], row[1]), [int(v or 0) for v in row[2:]]))
    return out


def _add(target: dict[Key, list[int]], key: Key, values: Sequence[int], sign: int = 1) -> None:
    have = target.setdefault(key, [0] * len(values))
    for i, v in enumerate(values):
        have[i] += sign * v


def period_units(session: Session, *, dates: Sequence[dt.date], windows: Sequence[Window],
                 flow_windows: Sequence[Window], by: str = "customer",
                 scope: CustomerScope | None = None) -> PeriodUnits:
    """Open/current amounts at ``dates``; invoices and credit notes issued in ``windows``; money applied,
    back-dated applications and payment days in ``flow_windows`` (each on invoices issued by its end)."""
    if by not in GROUPINGS:
        raise ValueError(f"by {by!r}: one of {', '.join(GROUPINGS)}")
    dialect = session.get_bind().dialect.name
    within = _within(scope)
    first, last = min(dates), max(dates)
    earliest = min(s for s, _ in [*windows, *flow_windows])
    out = PeriodUnits()
    n, w = len(dates), len(windows)

    def live(d: dt.date) -> Any:
        return and_(Invoice.issue_date <= d, Invoice.open_until > d)

    scoped = [Invoice.customer_pk.in_(within)] if within is not None else []
    cols = [_sum(live(d), Invoice.amount, dialect) for d in dates]
    cols += [_sum(and_(live(d), Invoice.due_date >= d), Invoice.amount, dialect) for d in dates]
    cols += [_sum(and_(Invoice.issue_date >= s, Invoice.issue_date <= e), Invoice.amount, dialect) for s, e in windows]
    filters = [Invoice.issue_date <= last, or_(Invoice.open_until > first, Invoice.issue_date >= earliest), *scoped]
    for key, v in _rows(session, _scan(by, Invoice.customer_pk, Invoice.currency, cols, Invoice, (), filters), by):
        _add(out.open_at, key, v[:n])
        _add(out.current_at, key, v[n:2 * n])
        _add(out.invoiced, key, v[2 * n:])

    # the applications of the invoices live at the first date, subtracted as the aging does
    cols = [_sum(and_(live(d), Application.applied_on <= d), Application.amount, dialect) for d in dates]
    cols += [_sum(and_(live(d), Application.applied_on <= d, Invoice.due_date >= d), Application.amount, dialect)
             for d in dates]
    filters = [Application.invoice_open_until > first, Invoice.open_until > first, Invoice.issue_date <= last, *scoped]
    stmt = _scan(by, Invoice.customer_pk, Invoice.currency, cols, Application,
                 [(Invoice, Invoice.id == Application.invoice_pk)], filters)
    for key, v in _rows(session, stmt, by):
        _add(out.open_at, key, v[:n], -1)
        _add(out.current_at, key, v[n:], -1)

    cols = [_sum(and_(CreditNote.issue_date >= s, CreditNote.issue_date <= e), CreditNote.amount, dialect)
            for s, e in windows]
    filters = [CreditNote.issue_date >= earliest, CreditNote.issue_date <= last]
    if within is not None:
        filters.append(CreditNote.customer_pk.in_(within))
    for key, v in _rows(session, _scan(by, CreditNote.customer_pk, CreditNote.currency, cols, CreditNote, (), filters), by):
        _add(out.credit_notes, key, v)
    for key in out.invoiced.keys() | out.credit_notes.keys():
        out.invoiced.setdefault(key, [0] * w)
        out.credit_notes.setdefault(key, [0] * w)

    _flows(session, out, flow_windows, within, last, dialect, by)
    out.unapplied_cash = _unapplied(session, last, scope, by)
    return out


def _flows(session: Session, out: PeriodUnits, windows: Sequence[Window], within: Any | None, last: dt.date,
           dialect: str, by: str) -> None:
    out.applied = {kind: {} for kind in KINDS}
    if not windows:
        return
    earliest = min(s for s, _ in windows)
    filters = [Application.applied_on <= last, Invoice.issue_date <= last,
               or_(Application.applied_on >= earliest, Invoice.issue_date >= earliest)]
    if within is not None:
        filters.append(Invoice.customer_pk.in_(within))
    links = {"payments": Application.payment_pk, "credits": Application.credit_note_pk,
             "write_offs": Application.write_off_pk}
    to_pay = _days(Application.applied_on, Invoice.issue_date, dialect)
    late = _days(Application.applied_on, Invoice.due_date, dialect)
    late = case((late > 0, late), else_=literal(0))
    cols = []
    for s, e in windows:
        applied_in = and_(Application.applied_on >= s, Application.applied_on <= e, Invoice.issue_date <= e)
        for kind in KINDS:
            cols.append(_sum(and_(applied_in, links[kind].is_not(None)), Application.amount, dialect))
        cols.append(_sum(and_(Application.applied_on < s, Invoice.issue_date >= s, Invoice.issue_date <= e),
                         Application.amount, dialect))
        paid = and_(applied_in, Application.payment_pk.is_not(None))
        cols.append(_sum(paid, Application.amount * to_pay, dialect))
        cols.append(_sum(paid, Application.amount * late, dialect))
    stmt = _scan(by, Invoice.customer_pk, Invoice.currency, cols, Application,
                 [(Invoice, Invoice.id == Application.invoice_pk)], filters)
    per, n = 6, len(windows)
    for key, values in _rows(session, stmt, by):
        for j, kind in enumerate(KINDS):
            out.applied[kind][key] = [values[i * per + j] for i in range(n)]
        out.backdated[key] = [values[i * per + 3] for i in range(n)]
        out.pay_days[key] = [values[i * per + 4] for i in range(n)]
        out.late_days[key] = [values[i * per + 5] for i in range(n)]


def _unapplied(session: Session, on: dt.date, scope: CustomerScope | None, by: str) -> dict[Key, int]:
    """Unapplied cash of identified customers on the date, per group (the aging's column)."""
    cash = Q.unapplied_by_customer(session, Payment, on, scope=scope)
    groups = customer_groups(session, {k[0] for k in cash}) if by not in ("customer", TOTAL) else {}
    out: dict[Key, int] = {}
    for (cpk, cur), amount in cash.items():
        group = cpk if by == "customer" else TOTAL if by == TOTAL else groups[cpk][GROUPINGS.index(by) + 1]
        out[(group, cur)] = out.get((group, cur), 0) + int(amount.scaleb(Q.STORAGE_SCALE))
    return out


def customer_groups(session: Session, pks: set[int]) -> dict[int, tuple[Any, ...]]:
    """customer key → (customer_id, name, collector, team, segment)."""
    if not pks:
        return {}
    stmt = select(Customer.id, Customer.customer_id, Customer.name, Customer.collector, Customer.team,
                  Customer.segment)
    if len(pks) <= 5000:
        stmt = stmt.where(Customer.id.in_(sorted(pks)))
    return {r[0]: tuple(r[1:]) for r in session.connection().execute(stmt).all() if r[0] in pks}
