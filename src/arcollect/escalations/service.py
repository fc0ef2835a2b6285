"""Escalations: the policy in force (rules + approval matrix, versioned like the playbook), the daily run
that turns rules into proposals and follows approved settlements and plans, manual proposals, the
manager's decisions — and the actions carried out on approval, all or nothing, audited:

- ``demand_letter``: the demand letter PDF (outreach) rendered, kept with the escalation, on the timeline;
- ``credit_hold``: the account's credit-hold flag set (exposed to sales and order systems by the API);
- ``settlement``: a promise for the settled amount; once kept, the discount is written off (completed);
- ``payment_plan``: the instalment plan starts; completed when every instalment is kept, broken otherwise;
- ``write_off``: the ledger write-offs, approved by the decider;
- ``agency``: the account placed (do-not-contact: the agency collects now); the export package is
  the items CSV and the case history PDF.

The entry point other packages and the interfaces call. Behind it: ``policy_versions`` (the policy in
force), ``facts`` (what the rules read), ``terms`` (settlement and plan terms checked, pure), ``actions``
(status moves and what approval carries out), ``queries`` (the reading side, re-exported here) and
``plan_ledger`` (instalment plans against the ledger).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Sequence

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from arcollect import audit
from arcollect.context import Context
from arcollect.db import bulk_insert, insert_new, violates
from arcollect.errors import Conflict, InvalidInput, PermissionDenied
from arcollect.escalations import plan_ledger
from arcollect.escalations import policy as E
from arcollect.escalations.actions import carry_out, move, on_timeline, write_off_rest
from arcollect.escalations.facts import account_facts, open_items
from arcollect.escalations.models import Escalation, PaymentPlan
from arcollect.escalations.plan_ledger import instalment_states  # noqa: F401  (promises count instalments as promises)
from arcollect.escalations.policy_versions import active_policy, load_policy, validate_policy  # noqa: F401
from arcollect.escalations.queries import (  # noqa: F401  (the reading side, called through this module)
    awaiting_decision, case_history, count, detail, document, escalation_view, ladder_history, list_escalations, plans, scoped,
)
from arcollect.escalations.terms import plan_terms, settlement_terms
from arcollect.ledger import service as ledger
from arcollect.ledger.models import Customer, Invoice
from arcollect.ledger.scope import EVERYTHING, CustomerScope
from arcollect.money import quantize
from arcollect.promises import service as promises
from arcollect.promises.models import Activity, Promise
from arcollect.promises.service import clean_text

OPEN_ACTION = next(i for i in Escalation.__table__.indexes if i.name == "uq_escalations_open_action")


# ---- the daily run -------------------------------------------------------------------------------


def run(ctx: Context, *, as_of: dt.date | None = None, scope: CustomerScope = EVERYTHING,
        seen: dict[str, Any] | None = None) -> dict[str, Any]:
    """Follow approved settlements and plans (completed or broken), then propose what the rules say for
    every account without an open escalation of that action. Running it twice proposes nothing new.
    ``seen``: gets the open invoices read (``open_invoices``, after the follow-up; the daily run reads them
    once for both)."""
    day = as_of or ctx.clock.today()
    now = ctx.clock.now()
    followed = _follow_up(ctx, day)
    with ctx.unit_of_work() as session:
        active = active_policy(ctx, session)
        policy = active.policy
        within = ledger.customers_in(scope)
        open_keys = {(cpk, cur, action) for cpk, cur, action in session.execute(
            select(Escalation.customer_pk, Escalation.currency, Escalation.action)
            .where(Escalation.status.in_(sorted(E.OPEN)))).all()}
        recent = day - dt.timedelta(days=policy.repropose_after_days)
        # not again soon after a decision (rejected, withdrawn, or done — a demand letter a month ago);
        # never again while it is in effect (an account on credit hold, an account placed with an agency)
        decided = {(cpk, cur, action) for cpk, cur, action in session.execute(
            select(Escalation.customer_pk, Escalation.currency, Escalation.action)
            .where(Escalation.status.in_(("rejected", "cancelled", "completed")), Escalation.proposed_on >= recent)).all()}
        placed = set(session.scalars(select(Escalation.customer_pk).where(Escalation.action == "agency",
                                                                          Escalation.status == "completed")))
        rungs = {r.action for r in policy.ladder}
        history = ladder_history(session, sorted(rungs), within)
        rows, notes = [], []
        for customer, facts in account_facts(session, as_of=day, policy=policy, within=within, seen=seen):
            found = E.triggers(policy, facts)
            # the ladder: one rung at a time (demand letter, then credit hold, then the agency), the next
            # only once the one before was decided and its waiting time passed
            rung = E.next_rung(policy, {t.action for t in found if t.action in rungs},
                               history.get((customer.id, facts.currency), {}),
                               {"credit_hold"} if customer.credit_hold else set(), day)
            for trig in found:
                key = (customer.id, facts.currency, trig.action)
                if trig.action in rungs and trig.action != rung:
                    continue
                if key in open_keys or key in decided or customer.id in placed or (
                        trig.action == "credit_hold" and customer.credit_hold):
                    continue
                details: dict[str, Any] = {}
                amount = facts.past_due
                if trig.action == "write_off":
                    items = open_items(session, customer, facts.currency, day)
                    details = {"invoices": {inv.invoice_id: str(a) for inv, a in items}}
                    amount = quantize(sum((a for _, a in items), Decimal(0)), facts.currency)
                open_keys.add(key)
                rows.append(dict(customer_pk=customer.id, currency=facts.currency, action=trig.action, status="proposed",
                                 amount=amount, past_due=facts.past_due, rule=trig.rule, reasons=[trig.reason],
                                 details=details, proposed_on=day, proposed_at=now, proposed_by="rules",
                                 policy_version=active.version, approver_roles=[], result={}))
                notes.append((customer.customer_id, trig))
        # thousands of proposals on a first run: bulk inserts (the timeline and the audit log alike); what a
        # person or another run proposed meanwhile is skipped (the one-open-escalation index): already proposed
        table = Escalation.__table__
        made = {(r.customer_pk, r.currency, r.action): r.id for r in insert_new(
            session, table, rows, returning=[table.c.id, table.c.customer_pk, table.c.currency, table.c.action])}
        kept = [(r, n) for r, n in zip(rows, notes) if (r["customer_pk"], r["currency"], r["action"]) in made]
        ids = [made[(r["customer_pk"], r["currency"], r["action"])] for r, _ in kept]
        rows, notes = [r for r, _ in kept], [n for _, n in kept]
        bulk_insert(session, Activity.__table__, [
            dict(customer_pk=r["customer_pk"], kind="escalation", at=now, actor="rules", invoices=[],
                 note=f"Escalation {pk} ({E.ACTIONS[r['action']].lower()}): proposed by rule {t.rule} — {t.reason}")
            for pk, r, (_, t) in zip(ids, rows, notes)])
        audit.record_many(session, [audit.entry(at=now, actor=ctx.actor, action="propose", entity="escalation",
                                                entity_key=str(pk), changes={"customer": cid, "action": t.action,
                                                                             "rule": t.rule, "amount": r["amount"]})
                                    for pk, r, (cid, t) in zip(ids, rows, notes)])
        proposed = [str(pk) for pk in ids]
    return {"as_of": day.isoformat(), "proposed": proposed, **followed}


def _follow_up(ctx: Context, day: dt.date) -> dict[str, list[str]]:
    """Approved settlements and plans: kept → completed (a settlement's discount written off), broken → broken."""
    now = ctx.clock.now()
    completed, broken = [], []
    with ctx.unit_of_work() as session:
        plan_ledger.refresh(session, as_of=day)
        rows = list(session.scalars(select(Escalation).where(Escalation.status == "approved")))
        settled = [session.get(Promise, e.promise_pk) for e in rows if e.promise_pk is not None]
        states = promises.states_of(session, [p for p in settled if p is not None], day)
        for e in rows:
            if e.action == "settlement" and e.promise_pk is not None:
                status = states[e.promise_pk]["status"]
                if status == "kept":
                    result = write_off_rest(session, e, day, now)
                    move(session, e, "completed", now, "ledger", "the settlement was paid; the rest written off "
                          + ", ".join(f"{k} {v}" for k, v in result.items()), written_off=result)
                    e.result = {**e.result, "written_off": result}
                    completed.append(str(e.id))
                elif status in ("broken", "partially_kept", "cancelled"):
                    move(session, e, "broken", now, "ledger", f"the settlement was not paid ({status.replace('_', ' ')})")
                    broken.append(str(e.id))
            elif e.action == "payment_plan" and e.plan_pk is not None:
                plan = session.get(PaymentPlan, e.plan_pk)
                if plan is not None and plan.status == "completed":
                    move(session, e, "completed", now, "ledger", "every instalment was paid")
                    completed.append(str(e.id))
                elif plan is not None and plan.status == "broken":
                    move(session, e, "broken", now, "ledger", "an instalment was not paid: the plan is broken")
                    broken.append(str(e.id))
    return {"completed": completed, "broken": broken}


# ---- proposals by people -------------------------------------------------------------------------


def _chosen(session: Session, customer: Customer, currency: str, day: dt.date,
            invoices: Sequence[tuple[str, str | None]], problems: list[str]) -> list[tuple[Invoice, Decimal]]:
    """The invoices named (each whole or an amount of it), else every undisputed open one in the currency."""
    available = {inv.invoice_id: (inv, a) for inv, a in open_items(session, customer, currency, day)}
    if not invoices:
        return list(available.values())
    out = []
    for iid, raw in invoices:
        if iid not in available:
            problems.append(f"invoices: {iid} is not an undisputed open {currency} invoice of {customer.customer_id}")
            continue
        inv, left = available[iid]
        amount = promises.part_amount(iid, raw, left, currency, problems)
        if amount is not None:
            out.append((inv, amount))
    return out


def _refuse_second(session: Session, customer: Customer, cur: str, action: str) -> None:
    """Conflict naming the open escalation of this action, if the account has one in the currency."""
    dupe = session.scalar(select(Escalation.id).where(Escalation.customer_pk == customer.id, Escalation.currency == cur,
                                                      Escalation.action == action,
                                                      Escalation.status.in_(sorted(E.OPEN))).limit(1))
    if dupe is not None:
        raise Conflict(f"escalation {dupe} already proposes a {E.ACTIONS[action].lower()} for "
                       f"{customer.customer_id} in {cur}")


def propose(ctx: Context, *, customer_id: str, action: str, currency: str | None = None, note: str | None = None,
            invoices: Sequence[tuple[str, str | None]] = (), settle_amount: str | None = None,
            pay_by: dt.date | None = None, instalments: Sequence[tuple[dt.date, str]] = (),
            instalment_count: int | None = None, every_days: int = 30, first_due: dt.date | None = None,
            scope: CustomerScope = EVERYTHING) -> dict[str, Any]:
    """A person proposes an escalation (for a manager's decision). Details by action: ``write_off`` —
    the invoices (each whole or an amount); ``settlement`` — what the customer pays (``settle_amount``)
    by ``pay_by`` for the invoices; ``payment_plan`` — the instalments (dates and amounts, or a count
    every N days from a first date) for the invoices. Every problem is reported at once."""
    day, now = ctx.clock.today(), ctx.clock.now()
    problems: list[str] = []
    if action not in E.ACTIONS:
        problems.append(f"action: {action!r} is not one of {', '.join(E.ACTIONS)}")
    note = clean_text(note, "note", problems)
    with ctx.unit_of_work() as session:
        customer = ledger.scoped_customer(session, scope, customer_id)
        cur = (currency or customer.currency).upper()
        if problems:
            raise InvalidInput("the escalation was not proposed", problems=problems)
        _refuse_second(session, customer, cur, action)
        facts = {f.currency: f for c, f in account_facts(session, as_of=day, policy=active_policy(ctx, session).policy,
                                                           within=[customer.id])}.get(cur)
        past_due = facts.past_due if facts else Decimal(0)
        items = _chosen(session, customer, cur, day, invoices, problems)
        if not items and not problems:
            problems.append(f"invoices: {customer_id} has no undisputed open {cur} invoices")
        open_total = quantize(sum((a for _, a in items), Decimal(0)), cur)
        details: dict[str, Any] = {"invoices": {inv.invoice_id: str(a) for inv, a in items}}
        amount = past_due or open_total
        if action == "write_off":
            amount = open_total
        elif action == "settlement":
            amount = settlement_terms(details, settle_amount, pay_by, open_total, cur, day, problems)
        elif action == "payment_plan":
            amount = open_total
            plan_terms(details, instalments, instalment_count, every_days, first_due, open_total, cur, day, problems)
        if problems:
            raise InvalidInput("the escalation was not proposed", problems=problems)
        active = active_policy(ctx, session)
        e = Escalation(customer_pk=customer.id, currency=cur, action=action, status="proposed", amount=amount,
                       past_due=past_due, rule=None, reasons=[note] if note else [], details=details, note=note,
                       proposed_on=day, proposed_at=now, proposed_by=ctx.actor, policy_version=active.version)
        session.add(e)
        try:
            session.flush()
        except IntegrityError as exc:  # proposed by someone else (or the daily run) at the same moment
            if not violates(exc, OPEN_ACTION):
                raise
            session.rollback()
            _refuse_second(session, customer, cur, action)
            raise Conflict(f"an open {action} escalation of {customer_id} in {cur} exists") from None
        level = E.level_for(active.policy, action, amount)
        on_timeline(session, e, now, ctx.actor, f"proposed, {amount} {cur} — needs {' or '.join(level.approvers)}"
                  + (f": {note}" if note else ""))
        audit.record(session, at=now, actor=ctx.actor, action="propose", entity="escalation", entity_key=str(e.id),
                     changes={"customer": customer_id, "action": action, "amount": amount, "details": details})
        return escalation_view(e, customer, active.policy)


# ---- decisions -----------------------------------------------------------------------------------


def decide(ctx: Context, *, escalation_id: str, approve: bool, role: str, note: str | None = None,
           scope: CustomerScope = EVERYTHING) -> dict[str, Any]:
    """Approve (and carry out) or reject an escalation. Only a role the matrix names for the action at
    its amount may decide; with four eyes, not the person who proposed it. All or nothing."""
    problems: list[str] = []
    note = clean_text(note, "note", problems)
    if problems:
        raise InvalidInput("nothing was decided", problems=problems)
    now, day = ctx.clock.now(), ctx.clock.today()

    def allowed(session: Session) -> tuple[Escalation, Customer, E.Policy, E.Level]:
        e, customer = scoped(session, scope, escalation_id)
        policy = active_policy(ctx, session).policy
        E.check_transition(e.status, "approved" if approve else "rejected")
        level = E.check_approval(policy, action=e.action, amount=quantize(e.amount, e.currency), currency=e.currency,
                                 role=role, login=ctx.actor, proposed_by=e.proposed_by if approve else "")
        return e, customer, policy, level

    pdf: tuple[bytes, str] | None = None
    with ctx.sessions() as session:  # refused before anything is rendered
        e, customer, _, _ = allowed(session)
        cid, action = customer.customer_id, e.action
    if approve and action == "demand_letter":
        from arcollect.outreach import documents

        pdf = documents.letter(ctx, customer_id=cid, kind="demand", as_of=day)
    with ctx.unit_of_work() as session:
        e, customer, policy, level = allowed(session)  # again: someone may have decided meanwhile
        e.decided_at, e.decided_by, e.decision_note = now, ctx.actor, note
        e.approver_roles = list(level.approvers)
        if not approve:
            move(session, e, "rejected", now, ctx.actor, "rejected" + (f": {note}" if note else ""), note=note)
            return escalation_view(e, customer, policy)
        move(session, e, "approved", now, ctx.actor, f"approved by {ctx.actor} ({role})" + (f": {note}" if note else ""),
              note=note, level=e.approver_roles)
        carry_out(session, e, customer, day, now, ctx.actor, pdf)
        return escalation_view(e, customer, policy)


def decide_as_user(ctx: Context, *, login: str, escalation_id: str, approve: bool, note: str | None = None) -> dict[str, Any]:
    """``decide`` on behalf of a user (the CLI): their role is what the matrix checks; a disabled user may not."""
    from arcollect.auth import service as auth

    user = auth.get_user(ctx, login=login)
    if not user["active"]:
        raise PermissionDenied(f"user {login!r} is disabled")
    return decide(ctx.acting_as(login), escalation_id=escalation_id, approve=approve, role=user["role"], note=note)


def cancel(ctx: Context, *, escalation_id: str, note: str | None = None, scope: CustomerScope = EVERYTHING) -> dict[str, Any]:
    """Withdraw a proposal (or stop following an approved settlement or plan)."""
    problems: list[str] = []
    note = clean_text(note, "note", problems)
    if problems:
        raise InvalidInput("nothing was cancelled", problems=problems)
    now = ctx.clock.now()
    with ctx.unit_of_work() as session:
        e, customer = scoped(session, scope, escalation_id)
        move(session, e, "cancelled", now, ctx.actor, "cancelled" + (f": {note}" if note else ""), note=note)
        if e.plan_pk is not None:
            plan = session.get(PaymentPlan, e.plan_pk)
            if plan is not None and plan.status == "active":
                plan.status, plan.cancelled_on = "cancelled", ctx.clock.today()
        return escalation_view(e, customer, active_policy(ctx, session).policy)
