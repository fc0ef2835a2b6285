"""The collector's day in figures, above the worklist ("my day"): calls due, promises due today and broken
lately, the cash expected this week. A handful of bounded queries over the portfolio (no query per
account); each figure lists its first accounts so that it opens on what it counts."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import Any

from sqlalchemy import func, or_, select

from arcollect.context import Context
from arcollect.errors import Conflict
from arcollect.ledger.models import Customer
from arcollect.ledger.scope import EVERYTHING, CustomerScope
from arcollect.money import quantize
from arcollect.promises import service as promises
from arcollect.promises.models import Promise
from arcollect.risk import service as risk
from arcollect.worklist.models import Action

BROKEN_DAYS = 7  # "broken lately": the promise's deadline (date + grace) fell within this many days
LISTED = 15  # accounts listed under each figure
GRACE_MAX = 31  # promises whose date is older than the look-back by more than this cannot have a deadline in it


def _portfolio(scope: CustomerScope, collector: str | None) -> list[Any]:
    where = []
    if collector is not None:
        where.append(Customer.collector == collector)
    if scope.condition() is not None:
        where.append(scope.condition())
    return where


def _calls(session: Any, today: dt.date, where: list[Any]) -> dict[str, Any]:
    """Accounts with an open call task due today or earlier (not snoozed past today)."""
    due = (select(Action.customer_pk, func.min(Action.due_on).label("due"))
           .where(Action.status == "open", Action.channel == "call", Action.proposed_on <= today,
                  Action.due_on <= today, or_(Action.snoozed_until.is_(None), Action.snoozed_until <= today))
           .group_by(Action.customer_pk).subquery())
    base = select(Customer.customer_id, Customer.name, due.c.due).join(due, due.c.customer_pk == Customer.id).where(*where)
    count = session.scalar(select(func.count()).select_from(base.subquery())) or 0
    rows = session.execute(base.order_by(due.c.due, Customer.customer_id).limit(LISTED)).all()
    return {"count": count, "accounts": [{"customer_id": c, "name": n, "due": d.isoformat()} for c, n, d in rows]}


def _promises(session: Any, today: dt.date, where: list[Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Open promises whose date is today; promises broken (or only partly kept) within BROKEN_DAYS."""
    since = today - dt.timedelta(days=BROKEN_DAYS)
    rows = session.execute(select(Promise, Customer.customer_id, Customer.name)
                           .join(Customer, Customer.id == Promise.customer_pk)
                           .where(*where, Promise.made_on <= today, Promise.cancelled_on.is_(None),
                                  Promise.promised_date <= today,
                                  Promise.promised_date >= since - dt.timedelta(days=GRACE_MAX))).all()
    states = promises.states_of(session, [p for p, _, _ in rows], today)
    due, broken = [], []
    for p, cid, name in rows:
        s = states[p.id]
        left = quantize(max(Decimal(0), p.amount - s["paid"]), p.currency)
        entry = {"customer_id": cid, "name": name, "currency": p.currency, "amount": p.amount, "left": left,
                 "date": p.promised_date.isoformat(), "deadline": s["deadline"].isoformat()}
        if s["status"] == "open" and p.promised_date == today:
            due.append(entry)
        elif s["status"] in ("broken", "partially_kept") and since <= s["deadline"] < today:
            broken.append(entry)

    def figure(items: list[dict[str, Any]], newest_first: bool) -> dict[str, Any]:
        items.sort(key=lambda e: (e["deadline"], e["customer_id"]), reverse=newest_first)
        totals: dict[str, Decimal] = defaultdict(Decimal)
        for e in items:
            totals[e["currency"]] += e["left"]
        return {"count": len(items), "accounts": items[:LISTED], "left": dict(sorted(totals.items()))}

    return figure(due, False), figure(broken, True)


def _inflows(ctx: Context, today: dt.date, scope: CustomerScope, collector: str | None) -> dict[str, Any] | None:
    """The forecast's first week (today and the next 6 days) per currency; None while no model is trained."""
    portfolio = CustomerScope(collectors=(collector,)) if collector is not None else scope
    try:
        made = risk.forecast(ctx, as_of=today, weeks=1, scope=portfolio, train_if_missing=False)
    except Conflict:
        return None
    week = made["weeks"]
    return {"until": (today + dt.timedelta(days=6)).isoformat(),
            "currencies": [{"currency": w["currency"], "expected": Decimal(w["expected"]), "low": Decimal(w["low"]),
                            "high": Decimal(w["high"])} for w in week if Decimal(w["expected"]) or Decimal(w["high"])]}


def figures(ctx: Context, *, as_of: dt.date, collector: str | None = None,
            scope: CustomerScope = EVERYTHING) -> dict[str, Any]:
    """The day's figures of a collector's portfolio (or of everyone within the scope)."""
    where = _portfolio(scope, collector)
    with ctx.sessions() as session:
        calls = _calls(session, as_of, where)
        due, broken = _promises(session, as_of, where)
    return {"as_of": as_of.isoformat(), "calls_due": calls, "promises_due": due, "promises_broken": broken,
            "broken_days": BROKEN_DAYS, "inflows": _inflows(ctx, as_of, scope, collector)}
