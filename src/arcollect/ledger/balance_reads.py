"""Reads of the maintained balances: today's aging from them, and their drift from the ledger (the doctor's)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Sequence

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from arcollect.ledger.aging import UNASSIGNED, AgingRow
from arcollect.ledger.models import Customer, CustomerBalance, CustomerBalanceTotal
from arcollect.ledger.queries import _bucket_sums, _customer_info, _customer_scope, _from_units, _raw
from arcollect.ledger.scope import CustomerScope
from arcollect.ledger.upkeep import balances_query, totals_query

ZERO = Decimal(0)


def answerable(session: Session, as_of: dt.date) -> bool:
    """Whether the balances are the ledger as of ``as_of``: nothing recorded is dated after it (they count
    every movement recorded, so a future-dated invoice or application is in them already)."""
    latest = session.scalar(select(func.max(CustomerBalanceTotal.latest_on)))
    return latest is None or latest <= as_of


def aging_by_customer(session: Session, *, as_of: dt.date, bounds: Sequence[int],
                      collector: str | None = None, currency: str | None = None,
                      customer_ids: Sequence[str] | None = None, scope: CustomerScope | None = None,
                      segment: str | None = None) -> list[AgingRow]:
    """``queries.aging_by_customer`` on the due-date basis, from the balances (``answerable`` for the date):
    the same rows, one GROUP BY over the customers' due dates instead of every open invoice."""
    dialect = session.get_bind().dialect.name
    B, T = CustomerBalance, CustomerBalanceTotal
    within = _customer_scope(collector, customer_ids, scope, segment)
    filters: list[Any] = []
    totals_filters: list[Any] = [or_(T.unapplied_cash != 0, T.unapplied_credits != 0)]
    if currency:
        filters.append(B.currency == currency)
        totals_filters.append(T.currency == currency)
    if within is not None:
        filters.append(B.customer_pk.in_(within))
        totals_filters.append(T.customer_pk.in_(within))
    sums = _bucket_sums(B.due_date, B.open_amount, as_of, bounds, dialect)
    stmt = (select(B.customer_pk, B.currency, _raw(func.sum(B.disputed_amount), dialect), *sums)
            .where(*filters).group_by(B.customer_pk, B.currency))
    connection = session.connection()
    read = _from_units
    rows: dict[tuple[int, str], AgingRow] = {}
    n = len(bounds) + 1
    for cpk, cur, disputed, *buckets in connection.execute(stmt).all():
        if any(buckets):
            rows[(cpk, cur)] = AgingRow("", "", cur, [read(b) for b in buckets], disputed=read(disputed))
    for cpk, cur, cash, credits in connection.execute(
            select(T.customer_pk, T.currency, _raw(T.unapplied_cash, dialect), _raw(T.unapplied_credits, dialect))
            .where(*totals_filters)).all():
        row = rows.get((cpk, cur))
        if row is None:
            row = rows[(cpk, cur)] = AgingRow("", "", cur, [ZERO] * n)
        row.unapplied_cash, row.unapplied_credits = read(cash), read(credits)
    info = _customer_info(session, {k[0] for k in rows})
    for (cpk, _), row in rows.items():
        row.key, row.name, row.collector = info[cpk]
    return list(rows.values())


def aging_grouped(session: Session, *, as_of: dt.date, bounds: Sequence[int], by: str,
                  collector: str | None = None, currency: str | None = None,
                  customer_ids: Sequence[str] | None = None, scope: CustomerScope | None = None,
                  segment: str | None = None) -> list[AgingRow]:
    """``roll_up(aging_by_customer(...), by)`` for by collector, currency or total, summed in the database
    (no row per customer reaches Python). The same groups: every balance row is a non-zero open amount."""
    dialect = session.get_bind().dialect.name
    B, T = CustomerBalance, CustomerBalanceTotal
    within = _customer_scope(collector, customer_ids, scope, segment)
    groups: dict[tuple[str, str], AgingRow] = {}
    n = len(bounds) + 1
    read = _from_units

    def group(model: Any) -> tuple[Any, list[Any], list[Any]]:
        joins, filters = [], []
        if by == "collector":
            key: Any = Customer.collector
            joins.append(Customer)
        elif by == "currency":
            key = model.currency
        else:
            key = model.currency  # one group per currency, labelled Total
        if currency:
            filters.append(model.currency == currency)
        if within is not None:
            filters.append(model.customer_pk.in_(within))
        return key, joins, filters

    def target(key: str | None, cur: str) -> AgingRow:
        name = {"collector": key or UNASSIGNED, "currency": cur}.get(by, "Total")
        label = {"collector": key or UNASSIGNED, "currency": cur}.get(by, "total")
        row = groups.get((label, cur))
        if row is None:
            row = groups[(label, cur)] = AgingRow(label, name, cur, [ZERO] * n)
        return row

    key, joins, filters = group(B)
    stmt = select(key, B.currency, _raw(func.sum(B.disputed_amount), dialect),
                  *_bucket_sums(B.due_date, B.open_amount, as_of, bounds, dialect)).select_from(B)
    for model in joins:
        stmt = stmt.join(model, model.id == B.customer_pk)
    connection = session.connection()
    for k, cur, disputed, *buckets in connection.execute(stmt.where(*filters).group_by(key, B.currency)).all():
        row = target(k, cur)
        row.buckets = [a + read(b) for a, b in zip(row.buckets, buckets)]
        row.disputed += read(disputed)
    key, joins, filters = group(T)
    stmt = select(key, T.currency, _raw(func.sum(T.unapplied_cash), dialect),
                  _raw(func.sum(T.unapplied_credits), dialect)).select_from(T)
    for model in joins:
        stmt = stmt.join(model, model.id == T.customer_pk)
    for k, cur, cash, credits in connection.execute(
            stmt.where(*filters, or_(T.unapplied_cash != 0, T.unapplied_credits != 0)).group_by(key, T.currency)):
        row = target(k, cur)
        row.unapplied_cash += read(cash)
        row.unapplied_credits += read(credits)
    return sorted(groups.values(), key=lambda r: (r.key, r.currency))


# ---- drift: the stored rows against the recomputation from the ledger --------------------------------------
@dataclass(frozen=True)
class Drift:
    customer_id: str
    currency: str
    what: str  # "open 2026-12-01", "disputed 2026-12-01", "unapplied cash", "unapplied credits", "latest date"
    stored: Any
    ledger: Any


def drift(session: Session) -> list[Drift]:
    """Every difference between the maintained balances and the ledger, customer by customer."""
    def as_dict(rows: Any, width: int) -> dict[tuple, tuple]:
        return {tuple(r[:width]): tuple(r[width:]) for r in rows}

    B, T = CustomerBalance, CustomerBalanceTotal
    money = CustomerBalance.open_amount.type
    stored_b = as_dict(session.execute(select(B.customer_pk, B.currency, B.due_date, B.open_amount,
                                              B.disputed_amount)).all(), 3)
    expected_b = as_dict(_typed(session, balances_query(None), [None, None, "date", money, money]), 3)
    stored_t = as_dict(session.execute(select(T.customer_pk, T.currency, T.unapplied_cash, T.unapplied_credits,
                                              T.latest_on)).all(), 2)
    expected_t = as_dict(_typed(session, totals_query(None), [None, None, money, money, "date"]), 2)
    found: list[tuple[int, str, str, Any, Any]] = []
    for key in sorted(set(stored_b) | set(expected_b), key=str):
        have, want = stored_b.get(key, (ZERO, ZERO)), expected_b.get(key, (ZERO, ZERO))
        for label, a, b in (("open", have[0], want[0]), ("disputed", have[1], want[1])):
            if a != b:
                found.append((key[0], key[1], f"{label} due {key[2]}", a, b))
    for key in sorted(set(stored_t) | set(expected_t), key=str):
        have, want = stored_t.get(key), expected_t.get(key)
        if have is None or want is None:
            found.append((key[0], key[1], "row", "present" if have else "missing", "present" if want else "none"))
            continue
        for label, a, b in zip(("unapplied cash", "unapplied credits", "latest date"), have, want):
            if a != b:
                found.append((key[0], key[1], label, a, b))
    names = dict(session.execute(select(Customer.id, Customer.customer_id)
                                 .where(Customer.id.in_({f[0] for f in found}))).all()) if found else {}
    return [Drift(names.get(pk, f"#{pk}"), cur, what, a, b) for pk, cur, what, a, b in found]


def _typed(session: Session, query: Any, kinds: list[Any]) -> list[tuple]:
    """The recomputation's rows with its money in Decimals and its dates in dates (some of its sums come back
    in storage units: their type is the union's first part's, a literal zero)."""
    dialect = session.get_bind().dialect
    out = []
    for row in session.execute(query).all():
        values = []
        for value, kind in zip(row, kinds):
            if kind == "date" and isinstance(value, str):
                value = dt.date.fromisoformat(value)
            elif kind is not None and kind != "date":  # a sum typed as money already, or raw storage units
                value = ZERO if value is None else value if isinstance(value, Decimal) else \
                    kind.process_result_value(value, dialect)
            values.append(value)
        out.append(tuple(values))
    return out
