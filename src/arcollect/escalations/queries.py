"""Reading escalations: the list and its counts, one escalation with its plan and the account's case
history (what a manager or an agency needs), the demand letter kept, the instalment plans."""

from __future__ import annotations

import datetime as dt
from typing import Any, Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from arcollect.context import Context
from arcollect.errors import InvalidInput, NotFound
from arcollect.escalations import plan_ledger
from arcollect.escalations import policy as E
from arcollect.escalations.models import Escalation, PaymentPlan
from arcollect.escalations.policy_versions import active_policy
from arcollect.ledger import service as ledger
from arcollect.ledger.models import Contact, Customer
from arcollect.ledger.scope import EVERYTHING, CustomerScope
from arcollect.money import quantize
from arcollect.promises import service as promises
from arcollect.promises.models import Activity

def scoped(session: Session, scope: CustomerScope, escalation_id: Any) -> tuple[Escalation, Customer]:
    return ledger.scoped_record(session, scope, Escalation, escalation_id, "escalation")


def escalation_view(e: Escalation, c: Customer, policy: E.Policy | None = None) -> dict[str, Any]:
    level = E.level_for(policy, e.action, e.amount) if policy is not None and e.status == "proposed" else None
    return {"id": str(e.id), "customer_id": c.customer_id, "customer_name": c.name, "collector": c.collector,
            "action": e.action, "action_label": E.ACTIONS[e.action], "status": e.status,
            "amount": str(quantize(e.amount, e.currency)), "past_due": str(quantize(e.past_due, e.currency)),
            "currency": e.currency, "rule": e.rule, "reasons": list(e.reasons or []), "details": e.details or {},
            "note": e.note, "proposed_on": e.proposed_on.isoformat(), "proposed_by": e.proposed_by,
            "decided_by": e.decided_by, "decided_at": e.decided_at.isoformat() if e.decided_at else None,
            "decision_note": e.decision_note, "result": e.result or {},
            "approvers": list(level.approvers) if level else list(e.approver_roles or []),
            "document": e.document_name, "plan_id": str(e.plan_pk) if e.plan_pk else None,
            "promise_id": str(e.promise_pk) if e.promise_pk else None}


def list_escalations(ctx: Context, *, status: str | None = None, action: str | None = None,
                     customer_id: str | None = None, scope: CustomerScope = EVERYTHING,
                     limit: int = 500) -> list[dict[str, Any]]:
    """Escalations in the caller's scope, the largest amounts first within the oldest proposals."""
    if status is not None and status not in E.STATUSES:
        raise InvalidInput(f"status: {status!r} is not one of {', '.join(E.STATUSES)}")
    if action is not None and action not in E.ACTIONS:
        raise InvalidInput(f"action: {action!r} is not one of {', '.join(E.ACTIONS)}")
    with ctx.sessions() as session:
        policy = active_policy(ctx, session).policy
        stmt = (select(Escalation, Customer).join(Customer, Customer.id == Escalation.customer_pk)
                .order_by(Escalation.proposed_on, Escalation.amount.desc(), Escalation.id).limit(limit))
        for cond in (scope.condition(), Escalation.status == status if status else None,
                     Escalation.action == action if action else None,
                     Customer.customer_id == customer_id if customer_id else None):
            if cond is not None:
                stmt = stmt.where(cond)
        return [escalation_view(e, c, policy) for e, c in session.execute(stmt)]


def count(ctx: Context, *, status: str, scope: CustomerScope = EVERYTHING) -> int:
    """How many escalations of the customers in scope have a status (the dashboard's "awaiting a decision")."""
    with ctx.sessions() as session:
        stmt = (select(func.count()).select_from(Escalation).join(Customer, Customer.id == Escalation.customer_pk)
                .where(Escalation.status == status))
        if scope.condition() is not None:
            stmt = stmt.where(scope.condition())
        return session.scalar(stmt) or 0


def detail(ctx: Context, *, escalation_id: str, scope: CustomerScope = EVERYTHING) -> dict[str, Any]:
    with ctx.sessions() as session:
        e, c = scoped(session, scope, escalation_id)
        out = escalation_view(e, c, active_policy(ctx, session).policy)
        if e.plan_pk is not None:
            plan = session.get(PaymentPlan, e.plan_pk)
            out["plan"] = plan_ledger.view(session, plan, ctx.clock.today()) if plan else None
        cid = c.customer_id
    out["history"] = case_history(ctx, customer_id=cid, scope=scope)
    return out


def document(ctx: Context, *, escalation_id: str, scope: CustomerScope = EVERYTHING) -> tuple[bytes, str]:
    with ctx.sessions() as session:
        e, _ = scoped(session, scope, escalation_id)
        if e.document is None:
            raise NotFound(f"escalation {escalation_id} has no document")
        return e.document, e.document_name or f"escalation-{e.id}.pdf"


def plans(ctx: Context, *, customer_id: str | None = None, scope: CustomerScope = EVERYTHING) -> list[dict[str, Any]]:
    """Instalment plans with each instalment's status as of today."""
    today = ctx.clock.today()
    with ctx.sessions() as session:
        stmt = (select(PaymentPlan, Customer.customer_id).join(Customer, Customer.id == PaymentPlan.customer_pk)
                .order_by(PaymentPlan.id.desc()))
        if scope.condition() is not None:
            stmt = stmt.where(scope.condition())
        if customer_id is not None:
            stmt = stmt.where(Customer.customer_id == customer_id)
        return [{**plan_ledger.view(session, p, today), "customer_id": cid} for p, cid in session.execute(stmt)]


def _day(at: dt.datetime | None) -> str | None:
    return at.date().isoformat() if at is not None else None


def case_history(ctx: Context, *, customer_id: str, scope: CustomerScope = EVERYTHING,
                 as_of: dt.date | None = None) -> dict[str, Any]:
    """Everything a manager or an agency needs about an account: header, aging, contacts tried,
    timeline, promises and their outcomes, disputes, escalations and their decisions, plans."""
    from arcollect.disputes import service as disputes

    day = as_of or ctx.clock.today()
    view = ledger.customer_overview(ctx, customer_id=customer_id, as_of=day, scope=scope)
    report = ledger.aging(ctx, as_of=day, customer_ids=[customer_id], scope=scope)
    timeline = promises.timeline(ctx, customer_id=customer_id, scope=scope, limit=1000)
    with ctx.sessions() as session:
        c = ledger.scoped_customer(session, scope, customer_id)
        tried = {email: (n, at) for email, n, at in session.execute(
            select(Contact.email, func.count(), func.max(Activity.at)).join(Contact, Contact.id == Activity.contact_pk)
            .where(Activity.customer_pk == c.id).group_by(Contact.email)).all()}
    contacts = [{**k, "attempts": tried.get(k["email"], (0, None))[0],
                 "last": _day(tried.get(k["email"], (0, None))[1])} for k in view.contacts]
    return {
        "as_of": day.isoformat(), "customer": view.customer, "contacts": contacts,
        "open_items": view.open_items, "open_balance": {k: str(v) for k, v in view.open_balance.items()},
        "aging": {"buckets": report.bucket_names,
                  "rows": [{"currency": r.currency, "buckets": [str(quantize(b, r.currency)) for b in r.buckets],
                            "total": str(quantize(r.total, r.currency)), "disputed": str(quantize(r.disputed, r.currency))}
                           for r in report.rows]},
        "timeline": [{**t, "on": t["on"].isoformat()} for t in timeline],
        "promises": promises.list_promises(ctx, as_of=day, scope=scope, customer_id=customer_id),
        "disputes": disputes.list_disputes(ctx, customer_id=customer_id,
                                           scope=disputes.CaseScope(customers=scope)),
        "escalations": list_escalations(ctx, customer_id=customer_id, scope=scope),
        "plans": plans(ctx, customer_id=customer_id, scope=scope),
    }


def ladder_history(session: Session, actions: Sequence[str], within: Any | None) -> dict[tuple[int, str], dict[str, E.Past]]:
    """(customer key, currency) → for each ladder action, its latest escalation (status, day decided)."""
    out: dict[tuple[int, str], dict[str, E.Past]] = {}
    if not actions:
        return out
    stmt = (select(Escalation.customer_pk, Escalation.currency, Escalation.action, Escalation.status,
                   Escalation.decided_at, Escalation.completed_at)
            .where(Escalation.action.in_(list(actions))).order_by(Escalation.id))
    if within is not None:
        stmt = stmt.where(Escalation.customer_pk.in_(within))
    for cpk, cur, action, status, decided_at, completed_at in session.execute(stmt).all():
        when = completed_at or decided_at
        out.setdefault((cpk, cur), {})[action] = E.Past(
            status, when.date() if when is not None and status in E.LADDER_DONE else None)
    return out


def awaiting_decision(session: Session, within: Any) -> dict[int, list[dict[str, Any]]]:
    """customer key → its escalations waiting for a decision, shaped like worklist actions (the worklist
    shows them as the account's approval task, read from here: decided, they are gone at once)."""
    out: dict[int, list[dict[str, Any]]] = {}
    stmt = select(Escalation).where(Escalation.status == "proposed", Escalation.customer_pk.in_(within))
    for e in session.scalars(stmt.order_by(Escalation.id)):
        out.setdefault(e.customer_pk, []).append({
            "id": f"escalation-{e.id}", "escalation_id": str(e.id), "kind": "escalation", "step": e.action,
            "invoices": sorted((e.details or {}).get("invoices", {})), "due": e.proposed_on.isoformat(),
            "scheduled_at": None, "needs_approval": True, "template": None,
            "reasons": [f"{E.ACTIONS[e.action]} proposed — decided in the escalation queue", *(e.reasons or [])],
            "amounts": {e.currency: str(quantize(e.amount, e.currency))}, "proposed_on": e.proposed_on.isoformat(),
            "status": "open", "segment": ""})
    return out

