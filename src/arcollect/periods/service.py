"""Month-end close use cases (CONTRACT §10): close a month (its aging and key figures snapshotted as of its
last day), reopen it (admins, with a reason), list the periods, read a snapshot, and ``assert_open`` — the
check every write of a dated document, application or write-off makes. Everything audited.

Who may: closing is for managers and admins (``role=None``: the local operator of the CLI, who holds the
database); reopening only for an admin, always named.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from arcollect import audit
from arcollect.context import Context
from arcollect.db import bulk_insert
from arcollect.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from arcollect.ledger import aging as A
from arcollect.ledger import service as ledger
from arcollect.money import money_str
from arcollect.periods import rules
from arcollect.periods.guard import assert_open, closed_through, exclusive_lock, latest_closed  # noqa: F401
from arcollect.periods.models import BUCKET_COLUMNS, PeriodAging, PeriodClose, PeriodFigures

CLOSERS = ("manager", "admin")
REOPENERS = ("admin",)
ZERO = Decimal(0)
FIGURES = ("ar_total", "current", "past_due", "disputed", "unapplied_cash", "unidentified_cash",
           "unapplied_credits", "net_balance")


def _role_of(ctx: Context, login: str) -> str:
    from arcollect.auth import service as auth

    user = auth.get_user(ctx, login=login)
    if not user["active"]:
        raise PermissionDenied(f"user {login!r} is disabled")
    return user["role"]


# ---- close --------------------------------------------------------------------------------------
def close_period(ctx: Context, *, month: str, role: str | None = None) -> dict[str, Any]:
    """Close ``month`` (``YYYY-MM``): refused (Conflict) unless it is over and the month after the latest
    closed one; its aging per customer × currency and key figures per currency as of its last day are kept.
    From then on nothing dated on or before that day can be created or changed."""
    month = rules.parse_month(month)
    if role is not None and role not in CLOSERS:
        raise PermissionDenied(f"Your role ({role.replace('_', ' ')}) cannot close a month: a manager or an admin closes it.")
    end = rules.last_day(month)
    now = ctx.clock.now()
    try:
        with ctx.unit_of_work() as session:
            exclusive_lock(session)  # no writer in flight; new ones wait until this close commits
            refused = rules.close_refusal(month, today=ctx.clock.today(), latest_closed=latest_closed(session))
            if refused:
                raise Conflict(refused)
            close = PeriodClose(month=month, as_of=end, closed_at=now, closed_by=ctx.actor)
            session.add(close)
            session.flush()
            report = ledger.aging(ctx, as_of=end, by="customer")  # committed data: no writer is in flight
            figures = _figures(report)
            bulk_insert(session, PeriodAging.__table__, [_aging_row(close.id, r) for r in report.rows])
            bulk_insert(session, PeriodFigures.__table__, [{"close_pk": close.id, **f} for f in figures])
            audit.record(session, at=now, actor=ctx.actor, action="close", entity="period", entity_key=month,
                         changes={"as_of": end, "customers": len(report.rows),
                                  "figures": {f["currency"]: {k: money_str(f[k], f["currency"]) for k in FIGURES}
                                              for f in figures}})
            view = _view(close, figures)
    except IntegrityError:  # someone else closed it at the same moment
        raise Conflict(f"{month} is already closed") from None
    return view


def close_period_as_user(ctx: Context, *, month: str, login: str | None = None) -> dict[str, Any]:
    """``close_period`` for the CLI: on behalf of ``login`` (their role is checked), else the operator."""
    if login is None:
        return close_period(ctx, month=month)
    return close_period(ctx.acting_as(login), month=month, role=_role_of(ctx, login))


def _aging_row(close_pk: int, r: A.AgingRow) -> dict[str, Any]:
    row = {"close_pk": close_pk, "customer_id": r.key, "name": r.name[:256], "collector": r.collector,
           "currency": r.currency, "unapplied_cash": r.unapplied_cash, "unapplied_credits": r.unapplied_credits,
           "disputed": r.disputed}
    row.update(zip(BUCKET_COLUMNS, r.buckets))
    return row


def _figures(report: A.AgingReport) -> list[dict[str, Any]]:
    out = []
    totals = {t.currency: t for t in report.totals}
    counts: dict[str, int] = {}
    for r in report.rows:
        counts[r.currency] = counts.get(r.currency, 0) + 1
    for cur in sorted(set(totals) | set(report.unidentified_cash)):
        t = totals.get(cur) or A.AgingRow("total", "Total", cur, [ZERO] * len(BUCKET_COLUMNS))
        unidentified = report.unidentified_cash.get(cur, ZERO)
        out.append({"currency": cur, "ar_total": t.total, "current": t.buckets[0], "past_due": t.past_due,
                    "disputed": t.disputed, "unapplied_cash": t.unapplied_cash, "unidentified_cash": unidentified,
                    "unapplied_credits": t.unapplied_credits,
                    "net_balance": t.total - t.unapplied_cash - unidentified - t.unapplied_credits,
                    "customers": counts.get(cur, 0)})
    return out


# ---- reopen -------------------------------------------------------------------------------------
def reopen_period(ctx: Context, *, month: str, reason: str, role: str | None) -> dict[str, Any]:
    """Reopen the latest closed month (admins only; a reason is required). The close stays on record with
    who reopened it, when and why; its snapshot is kept. Audited."""
    month = rules.parse_month(month)
    if role not in REOPENERS:
        if role is None:
            raise PermissionDenied("reopening a closed month needs an admin: name one with --as LOGIN")
        raise PermissionDenied(f"Your role ({role.replace('_', ' ')}) cannot reopen a closed month: only an admin reopens one.")
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("say why the month is reopened (--reason)")
    now = ctx.clock.now()
    with ctx.unit_of_work() as session:
        exclusive_lock(session)
        refused = rules.reopen_refusal(month, latest_closed=latest_closed(session))
        if refused:
            raise Conflict(refused)
        close = session.scalar(select(PeriodClose).where(PeriodClose.month == month, PeriodClose.reopened_at.is_(None)))
        if close is None:  # closed through an earlier first close, never closed itself
            raise Conflict(f"{month} was never closed itself")
        close.reopened_at, close.reopened_by, close.reopen_reason = now, ctx.actor, reason[:4000]
        audit.record(session, at=now, actor=ctx.actor, action="reopen", entity="period", entity_key=month,
                     changes={"reason": reason, "closed_at": close.closed_at, "closed_by": close.closed_by})
        return _view(close, _stored_figures(session, close.id))


def reopen_period_as_user(ctx: Context, *, month: str, reason: str, login: str | None) -> dict[str, Any]:
    """``reopen_period`` for the CLI: on behalf of ``login``, who must be an admin."""
    if login is None:
        return reopen_period(ctx, month=month, reason=reason, role=None)
    return reopen_period(ctx.acting_as(login), month=month, reason=reason, role=_role_of(ctx, login))


# ---- reads --------------------------------------------------------------------------------------
def _figure_view(f: dict[str, Any]) -> dict[str, Any]:
    cur = f["currency"]
    return {"currency": cur, **{k: money_str(f[k], cur) for k in FIGURES}, "customers": f["customers"]}


def _stored_figures(session: Any, close_pk: int) -> list[dict[str, Any]]:
    rows = session.scalars(select(PeriodFigures).where(PeriodFigures.close_pk == close_pk)
                           .order_by(PeriodFigures.currency))
    return [{"currency": r.currency, "customers": r.customers, **{k: getattr(r, k) for k in FIGURES}} for r in rows]


def _view(close: PeriodClose, figures: list[dict[str, Any]]) -> dict[str, Any]:
    return {"id": close.id, "month": close.month, "as_of": close.as_of.isoformat(),
            "status": "closed" if close.reopened_at is None else "reopened",
            "closed_at": close.closed_at.isoformat(), "closed_by": close.closed_by,
            "reopened_at": close.reopened_at.isoformat() if close.reopened_at else None,
            "reopened_by": close.reopened_by, "reopen_reason": close.reopen_reason,
            "figures": [_figure_view(f) for f in figures]}


def list_periods(ctx: Context) -> dict[str, Any]:
    """Every close (newest first, reopened ones kept), what is closed, and the month that may close next."""
    today = ctx.clock.today()
    with ctx.sessions() as session:
        latest = latest_closed(session)
        closes = list(session.scalars(select(PeriodClose).order_by(PeriodClose.month.desc(), PeriodClose.id.desc())))
        views = [_view(c, _stored_figures(session, c.id)) for c in closes]
    through = rules.closed_through(latest)
    candidate = rules.next_month(latest) if latest else rules.previous_month(rules.month_of(today))
    can_close = rules.close_refusal(candidate, today=today, latest_closed=latest) is None
    return {"closed_through": through.isoformat() if through else None,
            "earliest_open_date": rules.earliest_open_date(through).isoformat() if through else None,  # type: ignore[union-attr]
            "latest_closed": latest, "next_to_close": candidate if can_close else None, "periods": views}


def snapshot(ctx: Context, *, month: str, by: str = "customer") -> dict[str, Any]:
    """The aging as kept when ``month`` was closed: the CONTRACT §3 JSON of ``aging --as-of <its last day>``
    (default buckets, due basis), with the month, when and by whom it was closed, and its key figures."""
    month = rules.parse_month(month)
    if by not in A.GROUPINGS:
        raise InvalidInput(f"--by {by!r}: one of {', '.join(A.GROUPINGS)}")
    with ctx.sessions() as session:
        close = session.scalar(select(PeriodClose).where(PeriodClose.month == month, PeriodClose.reopened_at.is_(None)))
        if close is None:
            raise NotFound(f"{month} is not closed: it has no snapshot")
        rows = [A.AgingRow(r.customer_id, r.name, r.currency, [getattr(r, c) for c in BUCKET_COLUMNS],
                           unapplied_cash=r.unapplied_cash, unapplied_credits=r.unapplied_credits,
                           collector=r.collector, disputed=r.disputed)
                for r in session.scalars(select(PeriodAging).where(PeriodAging.close_pk == close.id))]
        figures = _stored_figures(session, close.id)
    names = A.bucket_names(A.DEFAULT_BOUNDS)
    rolled = A.roll_up(rows, by, len(names))
    report = A.AgingReport(as_of=close.as_of, basis="due", by=by, bucket_names=names, rows=rolled,
                           totals=A.totals_by_currency(rolled, len(names)),
                           unidentified_cash={f["currency"]: f["unidentified_cash"] for f in figures})
    view = _view(close, figures)
    return {**A.to_json(report), "month": month, "closed_at": view["closed_at"], "closed_by": view["closed_by"],
            "figures": view["figures"]}
