"""Reading disputes: the list and the board's counts, one dispute with its items, action items and
history, an attachment, the action-item inbox of a team, and the recurring causes."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import case, func, select

from arcollect.bounds import parse_pk
from arcollect.context import Context
from arcollect.disputes import workflow as D
from arcollect.disputes.models import ActionItem, Dispute, DisputeEvent
from arcollect.disputes.records import items_of, scoped, summary, unsettled
from arcollect.disputes.scope import ALL_CASES, CaseScope
from arcollect.errors import InvalidInput, NotFound
from arcollect.ledger import service as ledger
from arcollect.ledger.models import Customer
from arcollect.money import quantize


def list_disputes(ctx: Context, *, status: str | None = None, team: str | None = None,
                  customer_id: str | None = None, active: bool | None = None, scope: CaseScope = ALL_CASES,
                  limit: int = 500) -> list[dict[str, Any]]:
    """Disputes in the caller's scope, the most urgent first (SLA date, then id)."""
    if status is not None and status not in D.STATUSES:
        raise InvalidInput(f"status: {status!r} is not one of {', '.join(D.STATUSES)}")
    if team is not None and team not in D.TEAMS:
        raise InvalidInput(f"team: {team!r} is not one of {', '.join(D.TEAMS)}")
    today = ctx.clock.today()
    with ctx.sessions() as session:
        stmt = (select(Dispute, Customer).join(Customer, Customer.id == Dispute.customer_pk)
                .order_by(Dispute.sla_due, Dispute.id).limit(limit))
        for cond in (scope.condition(), Dispute.status == status if status else None,
                     Dispute.team == team if team else None, Customer.customer_id == customer_id if customer_id else None,
                     Dispute.status.in_(sorted(D.ACTIVE)) if active else None):
            if cond is not None:
                stmt = stmt.where(cond)
        return [summary(session, d, c, today) for d, c in session.execute(stmt)]


def counts(ctx: Context, *, scope: CaseScope = ALL_CASES) -> dict[str, Any]:
    """The board's and the dashboard's figures: disputes per (status, team), active ones, active ones past
    their SLA."""
    today = ctx.clock.today()
    with ctx.sessions() as session:
        stmt = (select(Dispute.status, Dispute.team, func.count(), func.sum(case((Dispute.sla_due < today, 1), else_=0)))
                .join(Customer, Customer.id == Dispute.customer_pk).group_by(Dispute.status, Dispute.team))
        if scope.condition() is not None:
            stmt = stmt.where(scope.condition())
        rows = session.execute(stmt).all()
    return {"by": {(status, team): n for status, team, n, _ in rows},
            "active": sum(n for status, _, n, _ in rows if status in D.ACTIVE),
            "sla_breached": sum(int(late or 0) for status, _, _, late in rows if status in D.ACTIVE)}


def detail(ctx: Context, *, dispute_id: str, scope: CaseScope = ALL_CASES) -> dict[str, Any]:
    """A dispute with its invoices (disputed, open now), action items and history."""
    today = ctx.clock.today()
    with ctx.sessions() as session:
        d, c = scoped(session, scope, dispute_id)
        out = summary(session, d, c, today)
        out["note"] = d.note
        out["items"] = [{"invoice_id": inv.invoice_id, "amount": str(quantize(it.amount, inv.currency)),
                         "open_at_opening": str(quantize(it.open_at_opening, inv.currency)),
                         "open_now": str(quantize(ledger.open_amount_of(session, inv.id, today), inv.currency)),
                         "due_date": inv.due_date.isoformat()} for it, inv in items_of(session, d)]
        out["unsettled"] = unsettled(session, d, today) if d.status in ("resolved", "closed") else []
        out["action_items"] = [item_view(a, today) for a in session.scalars(
            select(ActionItem).where(ActionItem.dispute_pk == d.id).order_by(ActionItem.id))]
        out["events"] = [{"id": str(e.id), "kind": e.kind, "at": e.at.isoformat(), "actor": e.actor, "text": e.text,
                          "from": e.from_status, "to": e.to_status, "file": e.filename}
                         for e in session.scalars(select(DisputeEvent).where(DisputeEvent.dispute_pk == d.id)
                                                  .order_by(DisputeEvent.id))]
        return out


def attachment(ctx: Context, *, dispute_id: str, event_id: str, scope: CaseScope = ALL_CASES) -> tuple[bytes, str, str]:
    with ctx.sessions() as session:
        d, _ = scoped(session, scope, dispute_id)
        pk = parse_pk(event_id)
        e = None if pk is None else session.get(DisputeEvent, pk)
        if e is None or e.dispute_pk != d.id or e.data is None:
            raise NotFound(f"attachment {event_id!r} not found")
        return e.data, e.filename or "attachment", e.content_type or "application/octet-stream"


def item_view(a: ActionItem, today: dt.date) -> dict[str, Any]:
    return {"id": str(a.id), "dispute_id": str(a.dispute_pk), "title": a.title, "team": a.team, "assignee": a.assignee,
            "due_on": a.due_on.isoformat(), "status": a.status, "answer": a.answer,
            "overdue": a.status == "open" and today > a.due_on, "done_by": a.done_by,
            "done_at": a.done_at.isoformat() if a.done_at else None}


def inbox(ctx: Context, *, scope: CaseScope, include_done: bool = False) -> list[dict[str, Any]]:
    """Action items routed to the caller's team (stakeholders) or in the caller's scope, overdue first."""
    today = ctx.clock.today()
    with ctx.sessions() as session:
        stmt = (select(ActionItem, Dispute, Customer).join(Dispute, Dispute.id == ActionItem.dispute_pk)
                .join(Customer, Customer.id == Dispute.customer_pk).order_by(ActionItem.due_on, ActionItem.id))
        if scope.team is not None:
            stmt = stmt.where(ActionItem.team == scope.team)
        elif scope.customers.condition() is not None:
            stmt = stmt.where(scope.customers.condition())
        if not include_done:
            stmt = stmt.where(ActionItem.status == "open")
        return [{**item_view(a, today), "customer_id": c.customer_id, "customer_name": c.name, "reason": d.reason,
                 "dispute_status": d.status, "claim": d.note, "currency": d.currency,
                 "amount": str(quantize(d.amount, d.currency)),
                 "invoices": [{"invoice_id": inv.invoice_id, "amount": str(quantize(it.amount, inv.currency)),
                               "due_date": inv.due_date.isoformat()} for it, inv in items_of(session, d)]}
                for a, d, c in session.execute(stmt).all()]


def disputed_by_reason(ctx: Context, *, since: dt.date, scope: CaseScope = ALL_CASES) -> list[dict[str, Any]]:
    """Recurring causes: disputes opened since a date per reason and root cause, with their amounts."""
    with ctx.sessions() as session:
        stmt = (select(Dispute.reason, Dispute.root_cause, Dispute.currency, func.count(), func.sum(Dispute.amount))
                .join(Customer, Customer.id == Dispute.customer_pk).where(Dispute.opened_on >= since)
                .group_by(Dispute.reason, Dispute.root_cause, Dispute.currency))
        if scope.condition() is not None:
            stmt = stmt.where(scope.condition())
        return [{"reason": r, "root_cause": rc, "currency": cur, "disputes": n, "amount": str(quantize(total, cur))}
                for r, rc, cur, n, total in session.execute(stmt).all()]
