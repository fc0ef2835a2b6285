"""Instalment plans on the ledger: created when a ``payment_plan`` escalation is approved, measured
against the payments applied to their invoices (escalations/plans.py), refreshed by the daily run.

While a plan runs its invoices are treated like promised ones (``promise_states`` lists each plan's
instalments): no dunning while an instalment is open, and a broken instalment counts as a broken
promise for the worklist and the escalation rules.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import Any, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from arcollect.escalations import plans as PL
from arcollect.escalations.models import PaymentPlan, PlanInstalment
from arcollect.ledger import service as ledger
from arcollect.ledger.models import Customer, Invoice
from arcollect.money import quantize


def create(session: Session, *, customer: Customer, currency: str, invoices: Sequence[Invoice],
           schedule: Sequence[PL.Instalment], agreed_on: dt.date, grace_days: int, now: dt.datetime,
           actor: str) -> PaymentPlan:
    """Store an agreed plan (the schedule is checked by the caller with ``plans.check_schedule``)."""
    plan = PaymentPlan(customer_pk=customer.id, currency=currency, total=sum((i.amount for i in schedule), Decimal(0)),
                       invoices=[i.invoice_id for i in invoices], agreed_on=agreed_on, grace_days=grace_days,
                       status="active", created_at=now, created_by=actor)
    session.add(plan)
    session.flush()
    for n, inst in enumerate(schedule, 1):
        session.add(PlanInstalment(plan_pk=plan.id, number=n, due_on=inst.due_on, amount=inst.amount))
    session.flush()
    return plan


def evaluate(session: Session, plans: Sequence[PaymentPlan], as_of: dt.date) -> dict[int, tuple[str, list[PL.InstalmentState]]]:
    """plan key → (status, instalment states) as of the date."""
    if not plans:
        return {}
    pks = [p.id for p in plans]
    schedules: dict[int, list[PL.Instalment]] = defaultdict(list)
    for row in session.scalars(select(PlanInstalment).where(PlanInstalment.plan_pk.in_(pks))
                               .order_by(PlanInstalment.plan_pk, PlanInstalment.number)):
        schedules[row.plan_pk].append(PL.Instalment(row.due_on, row.amount))
    ids = sorted({iid for p in plans for iid in p.invoices})
    invoice_pk = dict(session.execute(select(Invoice.invoice_id, Invoice.id).where(Invoice.invoice_id.in_(ids))).all())
    by_invoice: dict[int, list[tuple[dt.date, Decimal, str]]] = defaultdict(list)
    since = min(p.agreed_on for p in plans)
    for ipk, _, cur, on, amount in ledger.payments_applied(session, invoice_pks=invoice_pk.values(), customer_pks=(),
                                                           since=since, until=as_of):
        by_invoice[ipk].append((on, amount, cur))
    out = {}
    for p in plans:
        payments = [(on, a) for iid in p.invoices for on, a, cur in by_invoice.get(invoice_pk.get(iid, -1), [])
                    if cur == p.currency]
        states = PL.states(schedules[p.id], payments, agreed_on=p.agreed_on, grace_days=p.grace_days, as_of=as_of)
        out[p.id] = (PL.plan_status(states, cancelled=p.cancelled_on is not None and p.cancelled_on <= as_of), states)
    return out


def instalment_states(session: Session, *, within: Any | None, as_of: dt.date) -> dict[int, list[dict[str, Any]]]:
    """customer key → each instalment of its plans shaped like a promise state (for dunning and the rules)."""
    stmt = select(PaymentPlan).where(PaymentPlan.agreed_on <= as_of, PaymentPlan.cancelled_on.is_(None))
    if within is not None:
        stmt = stmt.where(PaymentPlan.customer_pk.in_(within))
    plans = list(session.scalars(stmt))
    out: dict[int, list[dict[str, Any]]] = defaultdict(list)
    results = evaluate(session, plans, as_of)
    for p in plans:
        for s in results[p.id][1]:
            out[p.customer_pk].append({"status": s.status, "date": s.due_on,
                                       "pause_until": s.due_on + dt.timedelta(days=p.grace_days),
                                       "invoices": frozenset(p.invoices), "paid": quantize(s.paid, p.currency),
                                       "amount": s.amount, "plan": p.id})
    return out


def refresh(session: Session, *, as_of: dt.date) -> list[tuple[PaymentPlan, str, str]]:
    """Bring the stored status of every active plan up to date; returns (plan, before, after) changes."""
    plans = list(session.scalars(select(PaymentPlan).where(PaymentPlan.status == "active")))
    results = evaluate(session, plans, as_of)
    changes = []
    for p in plans:
        status, _ = results[p.id]
        if status != p.status:
            changes.append((p, p.status, status))
            p.status = status
    return changes


def view(session: Session, plan: PaymentPlan, as_of: dt.date) -> dict[str, Any]:
    status, states = evaluate(session, [plan], as_of)[plan.id]
    cur = plan.currency
    return {"id": str(plan.id), "currency": cur, "total": str(quantize(plan.total, cur)), "invoices": plan.invoices,
            "agreed_on": plan.agreed_on.isoformat(), "grace_days": plan.grace_days, "status": status,
            "paid": str(quantize(sum((s.paid for s in states), Decimal(0)), cur)),
            "instalments": [{"number": s.number, "due_on": s.due_on.isoformat(), "amount": str(quantize(s.amount, cur)),
                             "paid": str(quantize(s.paid, cur)), "status": s.status} for s in states]}
