"""Worklist use cases: run the playbook for a day, read a collector's worklist, work its actions.

``run`` (worklist/daily.py) is idempotent per day: actions are unique per (customer, step, day), so a
second run of the same date inserts nothing; open actions that no longer apply are cancelled with the reason.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from decimal import Decimal
from typing import Any, Sequence

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from arcollect import audit
from arcollect.disputes import service as disputes
from arcollect.escalations import service as escalations
from arcollect.promises import service as promises
from arcollect.context import Context
from arcollect.errors import Conflict, InvalidInput
from arcollect.ledger import service as ledger
from arcollect.ledger.models import Customer
from arcollect.ledger.scope import EVERYTHING, CustomerScope
from arcollect.playbook import evaluate as E
from arcollect.playbook import service as playbooks
from arcollect.playbook.rules import Playbook
from arcollect.worklist import team
from arcollect.worklist.models import Action, WorklistEntry, WorklistRun
from arcollect.worklist.pane import contact_card, next_account, next_best_action, plain_reasons  # noqa: F401  (the pane)
from arcollect.worklist.team import collectors as team_collectors, targets as reassign_targets  # noqa: F401
from arcollect.worklist.daily import (  # noqa: F401  (the daily run, re-exported)
    HISTORY_DAYS, KEEP_ENTRIES_DAYS, RULE_ACTOR, Gathered, _gather, _run_at, run,
)


def _has_run(session: Session, as_of: dt.date, collector: str | None, version: int) -> bool:
    stmt = select(WorklistRun.id).where(WorklistRun.as_of == as_of, WorklistRun.playbook_version == version)
    stmt = stmt.where(WorklistRun.collector.is_(None) if collector is None
                      else (WorklistRun.collector.is_(None) | (WorklistRun.collector == collector)))
    return session.scalar(stmt.limit(1)) is not None


def day_built(ctx: Context, *, as_of: dt.date, collector: str | None) -> bool:
    """Whether the day's worklist was built (for the whole book, or this collector) with the playbook in force."""
    version = playbooks.active(ctx).version
    with ctx.sessions() as session:
        return _has_run(session, as_of, collector, version)


def ensure_run(ctx: Context, *, as_of: dt.date, collector: str | None, scope: CustomerScope = EVERYTHING) -> None:
    """Run the day's evaluation for the portfolio unless it already ran with the playbook in force."""
    version = playbooks.active(ctx).version
    with ctx.sessions() as session:
        if _has_run(session, as_of, collector, version):
            return
    run(ctx, as_of=as_of, collector=collector, scope=scope if collector is None else EVERYTHING)


def _action_view(a: Action) -> dict[str, Any]:
    return {"id": str(a.id), "kind": a.channel, "step": a.step, "invoices": list(a.invoices or []),
            "due": a.due_on.isoformat(), "scheduled_at": a.scheduled_at.isoformat() if a.scheduled_at else None,
            "needs_approval": a.needs_approval, "reasons": list(a.reasons or []), "template": a.template,
            "amounts": dict(a.amounts or {}), "proposed_on": a.proposed_on.isoformat(), "status": a.status,
            "segment": a.segment}


def worklist(ctx: Context, *, as_of: dt.date, collector: str | None = None, scope: CustomerScope = EVERYTHING,
             ensure: bool = True, limit: int | None = None, offset: int = 0,
             customer_id: str | None = None) -> dict[str, Any]:
    """The day's worklist: accounts with open actions or a callback due, by priority (highest first;
    a callback due adds 100, so those come first); each with its score's parts, reasons and actions
    (CONTRACT §5)."""
    if ensure:
        ensure_run(ctx, as_of=as_of, collector=collector, scope=scope)
    with ctx.sessions() as session:
        # the customers first (by their indexes), then their entries of the day by primary key
        wanted = []
        if collector is not None:
            wanted.append(Customer.collector == collector)
        if scope.condition() is not None:
            wanted.append(scope.condition())
        if customer_id is not None:
            wanted.append(Customer.customer_id == customer_id)
        filters = [WorklistEntry.as_of == as_of]
        if wanted:
            filters.append(WorklistEntry.customer_pk.in_(select(Customer.id).where(*wanted)))
        keys = select(WorklistEntry.customer_pk).join(Customer, Customer.id == WorklistEntry.customer_pk).where(*filters)
        ranked = session.execute(select(WorklistEntry.customer_pk, WorklistEntry.priority, Customer.customer_id)
                                 .join(Customer, Customer.id == WorklistEntry.customer_pk).where(*filters)).all()
        live = (Action.status == "open", Action.proposed_on <= as_of,
                or_(Action.snoozed_until.is_(None), Action.snoozed_until <= as_of))
        working = set(session.scalars(select(Action.customer_pk).where(*live, Action.customer_pk.in_(keys)).distinct()))
        escalated = escalations.awaiting_decision(session, keys)  # the queue's, read here: they agree at once
        working |= set(escalated)
        follow_ups = promises.pending_follow_ups(session, within=keys, as_of=as_of)
        order = []
        for pk, priority, cid in ranked:
            callback = follow_ups.get(pk)
            callback = callback if callback is not None and callback <= as_of else None
            if pk in working or callback is not None:
                order.append((-priority, cid, pk, callback))
        order.sort()
        total = len(order)
        shown = order[offset:offset + limit] if limit is not None else order
        pks = [o[2] for o in shown]
        details: dict[int, Any] = {}
        actions: dict[int, list[Action]] = defaultdict(list)
        for i in range(0, len(pks), 5000):
            chunk = pks[i:i + 5000]
            for e, name, coll in session.execute(select(WorklistEntry, Customer.name, Customer.collector)
                                                 .join(Customer, Customer.id == WorklistEntry.customer_pk)
                                                 .where(WorklistEntry.as_of == as_of, WorklistEntry.customer_pk.in_(chunk))):
                details[e.customer_pk] = (e, name, coll)
            for a in session.scalars(select(Action).where(*live, Action.customer_pk.in_(chunk))
                                     .order_by(Action.due_on, Action.id)):
                actions[a.customer_pk].append(a)
    items = []
    for _, cid, pk, callback in shown:
        e, name, coll = details[pk]
        items.append({"customer_id": cid, "name": name, "collector": coll, "priority": e.priority,
                      "parts": {k: v for k, v in e.parts.items() if k != "total"}, "segment": e.segment,
                      "callback": callback.isoformat() if callback else None,
                      "reasons": list(e.notes or []),
                      "actions": [_action_view(a) for a in actions.get(pk, [])]
                      + [{**x, "segment": e.segment or ""} for x in escalated.get(pk, [])]})
    return {"as_of": as_of.isoformat(), "total": total, "items": items}


# ---- working the list ------------------------------------------------------------------------


def close_action(ctx: Context, *, action_id: str, status: str, scope: CustomerScope = EVERYTHING,
                 note: str | None = None) -> dict[str, Any]:
    """Mark an open action done (the email/letter went out, the review happened) or skipped; the
    account's timeline records it. Calls are closed by logging the call."""
    if status not in ("done", "skipped"):
        raise InvalidInput(f"status: {status!r} is not one of done, skipped")
    now = ctx.clock.now()
    with ctx.unit_of_work() as session:
        action, customer = ledger.scoped_record(session, scope, Action, action_id, "action")
        if action.status != "open":
            raise Conflict(f"action {action.id} cannot go from {action.status} to {status}")
        if action.channel == "call" and status == "done":
            raise InvalidInput("a call is closed by logging it with its outcome (call log)")
        action.status, action.closed_at, action.closed_by = status, now, ctx.actor
        action.close_note = (note or "").strip()[:4000] or None
        kind = "skip" if status == "skipped" else action.channel
        text = f"{action.step.replace('_', ' ')} {'skipped' if status == 'skipped' else 'done'}"
        promises.record_activity(session, customer_pk=customer.id, kind=kind, at=now, actor=ctx.actor,
                              note=text + (f": {action.close_note}" if action.close_note else ""),
                              action_pk=action.id, invoices=list(action.invoices or []))
        audit.record(session, at=now, actor=ctx.actor, action=status, entity="action", entity_key=str(action.id),
                     changes={"status": ["open", status], "customer": customer.customer_id, "step": action.step})
        return _action_view(action)


def _close_calls(session: Session, customer_pk: int, today: dt.date, actor: str, now: dt.datetime, outcome: str) -> list[int]:
    ids = list(session.scalars(select(Action.id).where(Action.customer_pk == customer_pk, Action.status == "open",
                                                       Action.channel == "call", Action.proposed_on <= today)))
    if ids:
        session.execute(update(Action).where(Action.id.in_(ids)).values(
            status="done", closed_at=now, closed_by=actor, close_note=f"call logged: {outcome}"))
    return ids


def log_call(ctx: Context, *, customer_id: str, outcome: str, scope: CustomerScope = EVERYTHING,
             note: str | None = None, follow_up: dt.date | None = None, contact: str | None = None,
             invoices: Sequence[str] = (), promise_amount: Any = None,
             promise_date: dt.date | None = None, dispute_reason: str | None = None) -> dict[str, Any]:
    """Log a call with its outcome; it completes the account's open call tasks. Outcome ``dispute``
    with invoices opens a dispute case on them (reason ``dispute_reason``, default ``other``; they leave
    dunning); outcome ``promise`` with an amount and a date records the promise too. The day's worklist
    is refreshed."""
    if promise_amount is not None:
        if outcome != "promise":
            raise InvalidInput("a promised amount goes with the outcome 'promise'")
        if promise_date is None:
            raise InvalidInput("cannot log the call", ["promise date: required with a promised amount"])
    if dispute_reason is not None and outcome != "dispute":
        raise InvalidInput("a dispute reason goes with the outcome 'dispute'")
    dispute = None
    if outcome == "dispute" and invoices:
        dispute = disputes.open_dispute(ctx, customer_id=customer_id, invoices=[(i, None) for i in invoices],
                                        reason=dispute_reason or "other", note=note or "disputed on a call",
                                        scope=scope)
    activity = promises.log_activity(ctx, customer_id=customer_id, kind="call", scope=scope, outcome=outcome,
                                  note=note, follow_up=follow_up, contact=contact, invoices=invoices)
    today, now = ctx.clock.today(), ctx.clock.now()
    with ctx.unit_of_work() as session:
        customer = ledger.scoped_customer(session, scope, customer_id)
        activity["closed_actions"] = [str(i) for i in _close_calls(session, customer.id, today, ctx.actor, now, outcome)]
        pk = customer.id
    if dispute is not None:
        activity["dispute"], activity["dispute_id"] = dispute, dispute["id"]
    if promise_amount is not None:  # add_promise refreshes the account
        activity["promise"] = add_promise(ctx, customer_id=customer_id, amount=promise_amount,
                                          promised_date=promise_date, scope=scope, invoices=invoices,
                                          contact=contact)
    else:
        refresh_account(ctx, customer_pk=pk)
    return activity


def add_promise(ctx: Context, *, customer_id: str, amount: Any, promised_date: dt.date,
                scope: CustomerScope = EVERYTHING, invoices: Sequence[str] = (), channel: str = "call",
                contact: str | None = None, note: str | None = None) -> dict[str, Any]:
    """Record a promise to pay (grace days from the playbook); its invoices leave dunning until the
    promised date + grace, and the day's worklist is refreshed."""
    grace = playbooks.active(ctx).playbook.settings.promise_grace_days
    promise = promises.add_promise(ctx, customer_id=customer_id, amount=amount, promised_date=promised_date,
                                scope=scope, invoices=invoices, channel=channel, contact=contact, note=note,
                                grace_days=grace)
    with ctx.sessions() as session:
        pk = ledger.scoped_customer(session, scope, customer_id).id
    refresh_account(ctx, customer_pk=pk)
    return promise


def snooze(ctx: Context, *, customer_id: str, until: dt.date, scope: CustomerScope = EVERYTHING,
           note: str | None = None) -> dict[str, Any]:
    """Put an account's open actions aside until a date; it comes back first on that day."""
    today, now = ctx.clock.today(), ctx.clock.now()
    if not today < until <= today + dt.timedelta(days=90):
        raise InvalidInput(f"until: {until.isoformat()} must be after today and within 90 days")
    promises.log_activity(ctx, customer_id=customer_id, kind="snooze", scope=scope, follow_up=until,
                       note=f"snoozed until {until.isoformat()}" + (f": {note.strip()}" if note and note.strip() else ""))
    with ctx.unit_of_work() as session:
        customer = ledger.scoped_customer(session, scope, customer_id)
        result = session.execute(update(Action).where(Action.customer_pk == customer.id, Action.status == "open")
                                 .values(snoozed_until=until))
        audit.record(session, at=now, actor=ctx.actor, action="snooze", entity="customer",
                     entity_key=customer.customer_id, changes={"until": until, "actions": result.rowcount})
        return {"customer_id": customer.customer_id, "until": until.isoformat(), "actions": result.rowcount}


def refresh_account(ctx: Context, *, customer_pk: int) -> None:
    """Re-evaluate one account for today if today's worklist exists (after a call, a promise …)."""
    today = ctx.clock.today()
    with ctx.sessions() as session:
        ran = session.scalar(select(WorklistRun.id).where(WorklistRun.as_of == today).limit(1))
    if ran is not None:
        run(ctx, as_of=today, customer_pks=[customer_pk])


def _evaluate_only(ctx: Context, *, playbook: Playbook, as_of: dt.date, scope: CustomerScope,
                   collector: str | None) -> list[E.Outcome]:
    with ctx.sessions() as session:
        g = _gather(session, as_of=as_of, playbook=playbook, scope=scope, collector=collector, customer_pks=None)
    return E.evaluate(g.accounts, g.histories, playbook, as_of, run_at=_run_at(ctx, as_of))


def proposals(ctx: Context, *, as_of: dt.date, channel: str | None = None,
              scope: CustomerScope = EVERYTHING) -> list[dict[str, Any]]:
    """What the playbook in force proposes for the date (nothing stored): dry runs of dunning."""
    outcomes = _evaluate_only(ctx, playbook=playbooks.active(ctx).playbook, as_of=as_of, scope=scope, collector=None)
    return [{"customer_id": p.customer_id, "step": p.step, "kind": p.channel, "template": p.template,
             "invoices": list(p.invoices), "amounts": dict(p.amounts), "needs_approval": p.needs_approval}
            for o in outcomes for p in o.proposals if channel is None or p.channel == channel]


def open_actions(ctx: Context, *, as_of: dt.date, channel: str) -> list[dict[str, Any]]:
    """Open actions of a channel proposed up to the date, oldest first (the outbox queues the emails)."""
    with ctx.sessions() as session:
        rows = session.execute(select(Action, Customer.customer_id).join(Customer, Customer.id == Action.customer_pk)
                               .where(Action.status == "open", Action.channel == channel, Action.proposed_on <= as_of)
                               .order_by(Action.proposed_on, Action.id)).all()
    return [{**_action_view(a), "customer_pk": a.customer_pk, "customer_id": cid} for a, cid in rows]


def complete_action(session: Session, *, action_pk: int | None, note: str, now: dt.datetime) -> None:
    """Inside the caller's unit of work: an open action was carried out (e.g. its email was sent)."""
    if action_pk is not None:
        session.execute(update(Action).where(Action.id == action_pk, Action.status == "open")
                        .values(status="done", closed_at=now, closed_by=RULE_ACTOR, close_note=note[:4000]))


def cancel_action(session: Session, *, action_pk: int | None, note: str, now: dt.datetime) -> None:
    """Inside the caller's unit of work: an open action no longer applies (its message was suppressed)."""
    if action_pk is not None:
        session.execute(update(Action).where(Action.id == action_pk, Action.status == "open")
                        .values(status="cancelled", closed_at=now, closed_by=RULE_ACTOR, close_note=note[:4000]))


def preview(ctx: Context, *, text: str, as_of: dt.date, scope: CustomerScope = EVERYTHING,
            collector: str | None = None, sample: int = 25) -> dict[str, Any]:
    """What a playbook (not yet loaded) would do on a date: counts per segment/step and a sample.
    Nothing is stored."""
    playbook = playbooks.validate(text)
    outcomes = _evaluate_only(ctx, playbook=playbook, as_of=as_of, scope=scope, collector=collector)
    by_step: Counter[tuple[str, str, str]] = Counter()
    segments: Counter[str] = Counter()
    found = []
    for o in outcomes:
        segments[o.segment or "(none)"] += 1
        for p in o.proposals:
            by_step[(p.segment, p.step, p.channel)] += 1
            found.append(p)
    found.sort(key=lambda p: (-max((a for a in p.amounts.values()), default=Decimal(0)), p.customer_id))
    return {"as_of": as_of.isoformat(), "name": playbook.name, "accounts": len(outcomes),
            "segments": dict(segments),
            "steps": [{"segment": s, "step": st, "channel": ch, "actions": n} for (s, st, ch), n in sorted(by_step.items())],
            "sample": [{"customer_id": p.customer_id, "segment": p.segment, "step": p.step, "kind": p.channel,
                        "invoices": list(p.invoices), "amounts": {c: str(a) for c, a in p.amounts.items()},
                        "due": p.due.isoformat(), "reasons": list(p.reasons)} for p in found[:sample]]}


def workloads(ctx: Context, *, as_of: dt.date, scope: CustomerScope = EVERYTHING) -> list[dict[str, Any]]:
    """Per collector: accounts on the day's worklist, open actions by kind, overdue ones, approvals."""
    with ctx.sessions() as session:
        stmt = (select(Customer.collector, Action.channel, Action.due_on, Action.needs_approval, Action.customer_pk)
                .join(Customer, Customer.id == Action.customer_pk)
                .where(Action.status == "open", Action.proposed_on <= as_of))
        if scope.condition() is not None:
            stmt = stmt.where(scope.condition())
        rows = session.execute(stmt).all()
    out: dict[str, dict[str, Any]] = {}
    for coll, channel, due, approval, cpk in rows:
        w = out.setdefault(coll or "(unassigned)", {"collector": coll or "(unassigned)", "accounts": set(), "actions": 0,
                                                    "overdue": 0, "needs_approval": 0,
                                                    "by_kind": Counter()})
        w["accounts"].add(cpk)
        w["actions"] += 1
        w["overdue"] += due < as_of
        w["needs_approval"] += bool(approval)
        w["by_kind"][channel] += 1
    return [{**w, "accounts": len(w["accounts"]), "by_kind": dict(w["by_kind"])}
            for _, w in sorted(out.items())]


def reassign(ctx: Context, *, customer_ids: Sequence[str], collector: str, scope: CustomerScope = EVERYTHING) -> int:
    """Move accounts (all within ``scope``) to another collector of the caller's team (a team's manager
    may not hand accounts to another team's collector); their open actions and today's worklist follow them."""
    collector = team.check_target(ctx, collector=collector, scope=scope)
    with ctx.sessions() as session:
        for cid in dict.fromkeys(customer_ids):
            ledger.scoped_customer(session, scope, cid)  # NotFound outside the manager's portfolio
    changed = ledger.assign_portfolio(ctx, customer_ids=customer_ids, collector=collector)
    with ctx.unit_of_work() as session:
        pks = list(session.scalars(select(Customer.id).where(Customer.customer_id.in_(list(customer_ids)))))
        session.execute(update(WorklistEntry).where(WorklistEntry.customer_pk.in_(pks),
                                                    WorklistEntry.as_of >= ctx.clock.today())
                        .values(collector=collector))
    return changed


def day_progress(ctx: Context, *, as_of: dt.date, collector: str | None = None,
                 scope: CustomerScope = EVERYTHING) -> dict[str, int]:
    """The day's counter ("3 of 31 done"): accounts with an action for the day (still open, or closed
    today by a person) and those among them worked today (a person closed one of their actions: a call
    logged, a review done) or with nothing left for today (snoozed). An escalation waiting for its decision
    is left until a manager decides it (it leaves the list then)."""
    start = dt.datetime.combine(as_of, dt.time(0), tzinfo=dt.timezone.utc)
    with ctx.sessions() as session:
        stmt = (select(Action.customer_pk, Action.status, Action.snoozed_until, Action.closed_by)
                .join(Customer, Customer.id == Action.customer_pk)
                .where(Action.proposed_on <= as_of,
                       or_(Action.status == "open",
                           (Action.status.in_(("done", "skipped"))) & (Action.closed_at >= start))))
        if collector is not None:
            stmt = stmt.where(Customer.collector == collector)
        if scope.condition() is not None:
            stmt = stmt.where(scope.condition())
        accounts: set[int] = set()
        left: set[int] = set()
        worked: set[int] = set()
        for pk, status, snoozed, closed_by in session.execute(stmt):
            if status != "open" and closed_by == RULE_ACTOR:
                continue  # the outbox sent it: nobody worked the account for it
            accounts.add(pk)
            if status == "open" and (snoozed is None or snoozed <= as_of):
                left.add(pk)
            elif status != "open":
                worked.add(pk)
        mine = select(Customer.id).where(*([Customer.collector == collector] if collector is not None else []),
                                         *([scope.condition()] if scope.condition() is not None else []))
        waiting = set(escalations.awaiting_decision(session, mine))  # listed until a manager decides them
        accounts, left = accounts | waiting, left | (waiting - worked)
    return {"done": len((accounts - left) | worked), "total": len(accounts)}
