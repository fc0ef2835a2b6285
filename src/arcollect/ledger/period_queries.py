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


def _index(column: Any, bounds: Sequence[dt.date]) -> Any:
    """#{b in bounds : b < column} as a nested CASE that halves the bounds at each step (a binary search:
    a handful of comparisons a row, however many dates and windows a report asks for)."""
    def part(lo: int, hi: int) -> Any:  # the index lies in [lo, hi]
        if lo == hi:
            return literal(lo)
        mid = (lo + hi) // 2
        return case((column <= bounds[mid], part(lo, mid)), else_=part(mid + 1, hi))
    return part(0, len(bounds))


def _bounds(days: Any) -> list[dt.date]:
    return sorted(set(days))


def _pos(bounds: list[dt.date]) -> dict[dt.date, int]:
    return {b: i for i, b in enumerate(bounds)}


def _scan_by(by: str, customer_pk: Any, currency: Any, groups: list[Any], sums: list[Any], source: Any,
             joins: Sequence[tuple[Any, Any]], filters: list[Any]) -> Any:
    """SELECT group, currency, groups…, sums… GROUP BY group, currency, groups…"""
    keys = [currency] if by == TOTAL else [customer_pk if by == "customer" else getattr(Customer, by), currency]
    labelled = [g.label(f"g{i}") for i, g in enumerate(groups)]
    stmt = select(*keys, *labelled, *sums).select_from(source)
    for target, on in joins:
        stmt = stmt.join(target, on)
    if by not in ("customer", TOTAL):
        stmt = stmt.join(Customer, Customer.id == customer_pk)
    return stmt.where(*filters).group_by(*keys, *labelled)


def _grouped(session: Session, stmt: Any, by: str, n_groups: int) -> Any:
    """(key, group indexes, sums) per result row."""
    width = 1 if by == TOTAL else 2
    cut = width + n_groups
    for row in _fetch(session, stmt):
        key = (TOTAL, row[0]) if by == TOTAL else (row[0], row[1])
        yield key, tuple(map(int, row[width:cut])), [int(v or 0) for v in row[cut:]]


def _fetch(session: Session, stmt: Any) -> list[tuple[Any, ...]]:
    """The rows as the driver returns them: keys, date indexes and integer sums need no result processing,
    and building a Row per group is a third of the time of a by-customer report's scans."""
    result = session.connection().execute(stmt)
    try:
        return result.cursor.fetchall()
    finally:
        result.close()


def period_units(session: Session, *, dates: Sequence[dt.date], windows: Sequence[Window],
                 flow_windows: Sequence[Window], by: str = "customer",
                 scope: CustomerScope | None = None) -> PeriodUnits:
    """Open/current amounts at ``dates``; invoices and credit notes issued in ``windows``; money applied,
    back-dated applications and payment days in ``flow_windows`` (each on invoices issued by its end).

    Each scan groups the rows by where their dates fall among the report's dates (``_index``) and sums
    the amounts once; which date or window each group counts for is decided here, per group.
    """
    if by not in GROUPINGS:
        raise ValueError(f"by {by!r}: one of {', '.join(GROUPINGS)}")
    dialect = session.get_bind().dialect.name
    within = _within(scope)
    first, last = min(dates), max(dates)
    earliest = min(s for s, _ in [*windows, *flow_windows])
    out = PeriodUnits()
    n, w = len(dates), len(windows)
    day = dt.timedelta(days=1)
    # issue dates against the dates and the windows' edges; open_until against the dates; due dates
    # against the day before each date (due ≥ d ⇔ not due ≤ d − 1)
    issue_b = _bounds([*dates, *(s - day for s, _ in windows), *(e for _, e in windows)])
    open_b, due_b = _bounds(dates), _bounds(d - day for d in dates)
    ip, op, dp = _pos(issue_b), _pos(open_b), _pos(due_b)
    date_at = [(ip[d], op[d], dp[d - day]) for d in dates]
    window_at = [(ip[s - day], ip[e]) for s, e in windows]
    scoped = [Invoice.customer_pk.in_(within)] if within is not None else []

    memo: dict[tuple[int, ...], tuple[list[int], list[int], list[int]]] = {}

    def counts(i: int, o: int, d: int) -> tuple[list[int], list[int], list[int]]:
        """For an invoice whose dates index (i, o, d): the dates it is open at, the dates it is current at,
        the windows it was issued in."""
        hit = memo.get((i, o, d))
        if hit is None:
            live = [k for k, (pi, po, _) in enumerate(date_at) if i <= pi and o > po]
            current = [k for k in live if d > date_at[k][2]]
            issued = [k for k, (lo, hi) in enumerate(window_at) if lo < i <= hi]
            hit = memo[(i, o, d)] = (live, current, issued)
        return hit

    groups = [_index(Invoice.issue_date, issue_b), _index(Invoice.open_until, open_b), _index(Invoice.due_date, due_b)]
    filters = [Invoice.issue_date <= last, or_(Invoice.open_until > first, Invoice.issue_date >= earliest), *scoped]
    stmt = _scan_by(by, Invoice.customer_pk, Invoice.currency, groups, [Q._raw(func.sum(Invoice.amount), dialect)],
                    Invoice, (), filters)
    for key, (i, o, d), (amount,) in _grouped(session, stmt, by, 3):
        live, current, issued = counts(i, o, d)
        opened = out.open_at.setdefault(key, [0] * n)
        cur = out.current_at.setdefault(key, [0] * n)
        sold = out.invoiced.setdefault(key, [0] * w)
        for k in live:
            opened[k] += amount
        for k in current:
            cur[k] += amount
        for k in issued:
            sold[k] += amount

    # the applications of the invoices live at the first date, subtracted as the aging does
    applied_b = _bounds(dates)
    ap = _pos(applied_b)
    applied_at = [ap[d] for d in dates]
    groups = [_index(Invoice.issue_date, issue_b), _index(Invoice.open_until, open_b), _index(Invoice.due_date, due_b),
              _index(Application.applied_on, applied_b)]
    filters = [Application.invoice_open_until > first, Invoice.open_until > first, Invoice.issue_date <= last, *scoped]
    stmt = _scan_by(by, Invoice.customer_pk, Invoice.currency, groups, [Q._raw(func.sum(Application.amount), dialect)],
                    Application, [(Invoice, Invoice.id == Application.invoice_pk)], filters)
    for key, (i, o, d, a), (amount,) in _grouped(session, stmt, by, 4):
        live, current, _ = counts(i, o, d)
        opened = out.open_at.setdefault(key, [0] * n)
        cur = out.current_at.setdefault(key, [0] * n)
        for k in live:
            if a <= applied_at[k]:
                opened[k] -= amount
        for k in current:
            if a <= applied_at[k]:
                cur[k] -= amount

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


def sales_in_windows(session: Session, *, windows: Sequence[Window], by: str = "customer",
                     scope: CustomerScope | None = None) -> tuple[dict[Key, list[int]], dict[Key, list[int]]]:
    """(invoiced, credit notes): what was issued in each window, per (group, currency) — the month sums
    countback DSO walks back through. One grouped scan of the issue dates per table (each row's date placed
    among the windows' edges by ``_index``): no open amount, no application, whatever the windows' span."""
    if by not in GROUPINGS:
        raise ValueError(f"by {by!r}: one of {', '.join(GROUPINGS)}")
    if not windows:
        return {}, {}
    dialect = session.get_bind().dialect.name
    within = _within(scope)
    day = dt.timedelta(days=1)
    bounds = _bounds([*(s - day for s, _ in windows), *(e for _, e in windows)])
    pos = _pos(bounds)
    edges = [(pos[s - day], pos[e]) for s, e in windows]  # x in [s, e] ⇔ lo < index(x) ≤ hi
    hits: dict[int, list[int]] = {}
    n = len(windows)
    out: list[dict[Key, list[int]]] = []
    for model in (Invoice, CreditNote):
        filters = [model.issue_date > bounds[0], model.issue_date <= bounds[-1]]
        if within is not None:
            filters.append(model.customer_pk.in_(within))
        stmt = _scan_by(by, model.customer_pk, model.currency, [_index(model.issue_date, bounds)],
                        [Q._raw(func.sum(model.amount), dialect)], model, (), filters)
        table: dict[Key, list[int]] = {}
        for key, (i,), (amount,) in _grouped(session, stmt, by, 1):
            where = hits.get(i)
            if where is None:
                where = hits[i] = [j for j, (lo, hi) in enumerate(edges) if lo < i <= hi]
            have = table.get(key)
            if have is None:
                have = table[key] = [0] * n
            for j in where:
                have[j] += amount
        out.append(table)
    invoiced, credits = out
    for key in invoiced.keys() | credits.keys():
        invoiced.setdefault(key, [0] * n)
        credits.setdefault(key, [0] * n)
    return invoiced, credits


def _flows(session: Session, out: PeriodUnits, windows: Sequence[Window], within: Any | None, last: dt.date,
           dialect: str, by: str) -> None:
    out.applied = {kind: {} for kind in KINDS}
    if not windows:
        return
    day = dt.timedelta(days=1)
    earliest = min(s for s, _ in windows)
    filters = [Application.applied_on <= last, Invoice.issue_date <= last,
               or_(Application.applied_on >= earliest, Invoice.issue_date >= earliest)]
    if within is not None:
        filters.append(Invoice.customer_pk.in_(within))
    bounds = _bounds([*(s - day for s, _ in windows), *(e for _, e in windows)])
    pos = _pos(bounds)
    edges = [(pos[s - day], pos[e]) for s, e in windows]  # x in [s, e] ⇔ lo < index(x) ≤ hi
    kind = case((Application.payment_pk.is_not(None), literal(0)),
                (Application.credit_note_pk.is_not(None), literal(1)), else_=literal(2))
    to_pay = _days(Application.applied_on, Invoice.issue_date, dialect)
    late = _days(Application.applied_on, Invoice.due_date, dialect)
    late = case((late > 0, late), else_=literal(0))
    groups = [_index(Application.applied_on, bounds), _index(Invoice.issue_date, bounds), kind]
    sums = [Q._raw(func.sum(Application.amount), dialect),
            Q._raw(func.sum(case((Application.payment_pk.is_not(None), Application.amount * to_pay), else_=literal(0))), dialect),
            Q._raw(func.sum(case((Application.payment_pk.is_not(None), Application.amount * late), else_=literal(0))), dialect)]
    stmt = _scan_by(by, Invoice.customer_pk, Invoice.currency, groups, sums, Application,
                    [(Invoice, Invoice.id == Application.invoice_pk)], filters)
    n = len(windows)
    for key, (a, i, k), (amount, pay, lateness) in _grouped(session, stmt, by, 3):
        for j, (lo, hi) in enumerate(edges):
            if lo < a <= hi and i <= hi:  # applied in the window, on an invoice issued by its end
                out.applied[KINDS[k]].setdefault(key, [0] * n)[j] += amount
                if k == 0:
                    out.pay_days.setdefault(key, [0] * n)[j] += pay
                    out.late_days.setdefault(key, [0] * n)[j] += lateness
            elif a <= lo and lo < i <= hi:  # dated before the window, on an invoice issued in it
                out.backdated.setdefault(key, [0] * n)[j] += amount
    for table in (*out.applied.values(), out.backdated, out.pay_days, out.late_days):
        for key in list(table):
            table.setdefault(key, [0] * n)


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
