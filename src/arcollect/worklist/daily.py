"""The daily run: evaluate the playbook in force for a day over the book and store the proposed actions
and the worklist's priorities (incremental: worklist/incremental.py).

``run`` is idempotent per day: actions are unique per (customer, step, day), so a second run of the
same date inserts nothing; open actions that no longer apply are cancelled with the reason.
"""

from __future__ import annotations

import datetime as dt
import gc
import json
from contextlib import contextmanager
from collections import Counter, defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Iterator, Sequence

from sqlalchemy import delete, select, type_coerce, update
from sqlalchemy.sql.sqltypes import NullType
from sqlalchemy.orm import Session

from arcollect import audit
from arcollect.disputes import service as disputes
from arcollect.escalations import service as escalations
from arcollect.promises import service as promises
from arcollect.risk import service as risk
from arcollect.context import Context
from arcollect.db import bulk_insert
from arcollect.ledger import service as ledger
from arcollect.ledger.models import Customer
from arcollect.ledger.scope import EVERYTHING, CustomerScope
from arcollect.money import quantize
from arcollect.playbook import evaluate as E
from arcollect.playbook import service as playbooks
from arcollect.playbook.rules import Playbook
from arcollect.worklist import incremental as inc
from arcollect.worklist.models import Action, WorklistEntry, WorklistRun
from arcollect.worklist.priority import score

HISTORY_DAYS = 730  # cadence looks back this far
KEEP_ENTRIES_DAYS = 60
RULE_ACTOR = "playbook"


@dataclass
class Gathered:
    accounts: list[E.Account]
    histories: dict[int, E.History]
    contacts: dict[int, dict[str, Any]]
    promises: dict[int, list[dict[str, Any]]]
    invoiced: dict[int, Decimal]
    existing_today: set[tuple[int, str]]
    names: dict[int, tuple[str, str, str | None]]  # key → (customer id, name, collector)


def _within(scope: CustomerScope, collector: str | None, customer_pks: Sequence[int] | None) -> Any | None:
    return ledger.customers_in(scope, collector, customer_pks)


def _gather(session: Session, *, as_of: dt.date, playbook: Playbook, scope: CustomerScope,
            collector: str | None, customer_pks: Sequence[int] | None,
            open_items: dict[int, list[Any]] | None = None) -> Gathered:
    """Everything the engine and the score read, for every account at once (``open_items``: the open
    invoices already read for the same accounts and day)."""
    within = _within(scope, collector, customer_pks)
    items = ledger.open_invoices(session, as_of=as_of, within=within) if open_items is None else open_items
    if customer_pks is None:
        cash = ledger.unapplied(session, as_of=as_of, scope=scope, collector=collector)
    else:
        cash = {k: v for k, v in ledger.unapplied(session, as_of=as_of, scope=scope, collector=collector).items()
                if k in set(customer_pks)}
    since = as_of - dt.timedelta(days=HISTORY_DAYS)
    raw = lambda column: type_coerce(column, NullType())  # noqa: E731  (driver values, parsed below)
    stmt = (select(Action.id, Action.customer_pk, raw(Action.step), raw(Action.channel), raw(Action.proposed_on),
                   raw(Action.invoices), raw(Action.status))
            .where(Action.proposed_on >= since, Action.proposed_on <= as_of, Action.status != "cancelled"))
    if within is not None:
        stmt = stmt.where(Action.customer_pk.in_(within))
    actions: dict[int, list[E.PastAction]] = defaultdict(list)
    existing_today: set[tuple[int, str]] = set()
    days: dict[Any, dt.date] = {}
    for aid, cpk, step, channel, raw_on, invoices, status in session.connection().execute(stmt).cursor.fetchall():
        on = days.get(raw_on)
        if on is None:
            on = days[raw_on] = raw_on if isinstance(raw_on, dt.date) else dt.date.fromisoformat(raw_on)
        if isinstance(invoices, str):  # SQLite keeps JSON as text; psycopg parses it
            invoices = json.loads(invoices)
        actions[cpk].append(E.PastAction(aid, step, channel, on, frozenset(invoices or ()), status == "open"))
        if on == as_of:
            existing_today.add((cpk, step))
    # the cancelled ones of today still block re-proposing the same step today (idempotence)
    today = select(Action.customer_pk, Action.step).where(Action.proposed_on == as_of, Action.status == "cancelled")
    if within is not None:
        today = today.where(Action.customer_pk.in_(within))
    existing_today |= {(c, s) for c, s in session.execute(today).all()}
    lookback = playbook.settings.broken_promise_lookback_days
    promised = promises.promise_states(session, within=within, as_of=as_of, lookback_days=lookback)
    contacts = promises.contact_history(session, within=within, as_of=as_of)
    wanted = set(items) | set(cash) | set(actions)
    cstmt = select(Customer.id, Customer.customer_id, Customer.name, Customer.currency, Customer.collector,
                   Customer.team, Customer.segment, Customer.country, Customer.timezone, Customer.risk,
                   Customer.credit_limit, Customer.do_not_contact, Customer.credit_hold, Customer.custom_fields)
    if within is not None:
        cstmt = cstmt.where(Customer.id.in_(within))
    accounts, histories, names = [], {}, {}
    for r in session.execute(cstmt).all():
        if r.id not in wanted:
            continue
        names[r.id] = (r.customer_id, r.name, r.collector)
        accounts.append(E.Account(
            r.id, r.customer_id, r.currency,
            tuple(map(E.OpenItem._make, items.get(r.id, ()))),
            cash.get(r.id, {}), r.collector, r.team, r.segment, r.country, r.timezone, r.risk, r.credit_limit,
            bool(r.do_not_contact), bool(r.credit_hold), {k: str(v) for k, v in (r.custom_fields or {}).items()}))
        histories[r.id] = E.History(
            tuple(actions.get(r.id, ())),
            tuple(E.PromiseState(p["status"], p["date"], p["pause_until"], p["invoices"]) for p in promised.get(r.id, ())),
            contacts.get(r.id, {}).get("last_call"))
    invoiced = ledger.invoiced_between(session, within=within, since=as_of - dt.timedelta(days=365), until=as_of)
    return Gathered(accounts, histories, contacts, promised, invoiced, existing_today, names)


def _run_at(ctx: Context, as_of: dt.date) -> dt.datetime:
    now = ctx.clock.now()
    return now if now.date() == as_of else dt.datetime.combine(as_of, dt.time(0), tzinfo=dt.timezone.utc)


def _explain(account: E.Account, outcome: E.Outcome, g: Gathered, as_of: dt.date, lookback: int,
             chances: dict[str, float] | None) -> tuple[dict[str, float], list[str], dt.date | None]:
    dpd = [((as_of - i.due_date).days, i.open_amount) for i in account.items if not i.disputed]
    upcoming = None if chances is None else [(i.open_amount, chances[i.invoice_id]) for i in account.items
                                             if not i.disputed and i.due_date >= as_of and i.invoice_id in chances]
    contact = g.contacts.get(account.customer_pk, {})
    last = contact.get("last_contact")
    broken = promises.broken_promises(g.promises.get(account.customer_pk, ()), as_of - dt.timedelta(days=lookback))
    follow_up = contact.get("follow_up")
    parts = score(past_due=dpd, risk=account.risk, broken_promises=broken,
                  days_since_contact=None if last is None else (as_of - last).days,
                  invoiced_12m=g.invoiced.get(account.customer_pk, Decimal(0)),
                  callback_due=follow_up is not None and follow_up <= as_of, upcoming=upcoming)
    notes: list[str] = []
    if follow_up is not None and follow_up <= as_of:
        notes.append(f"callback due {follow_up.isoformat()}" + (" (today)" if follow_up == as_of else " (overdue)"))
    sums: dict[str, Decimal] = defaultdict(lambda: Decimal(0))
    for i in account.items:
        if (as_of - i.due_date).days > 0:
            sums[i.currency] += i.open_amount
    past = {cur: quantize(v, cur) for cur, v in sums.items()}
    if past:
        oldest = max((as_of - i.due_date).days for i in account.items)
        notes.append(f"past due {E.money_text(past, grouped=True)}, oldest {oldest} days")
    if broken:
        notes.append(f"{broken} broken promise{'s' if broken > 1 else ''} in the last {lookback} days")
    notes.append("never contacted" if last is None else f"last contact {(as_of - last).days} days ago")
    notes.extend(outcome.notes)
    return parts, notes, follow_up


def run(ctx: Context, *, as_of: dt.date, collector: str | None = None, scope: CustomerScope = EVERYTHING,
        customer_pks: Sequence[int] | None = None, full: bool = False) -> dict[str, Any]:
    """Evaluate the playbook in force for the date and store the proposed actions and priorities.

    Whole book (or one collector's portfolio): recorded as a run. Running the same date again
    creates nothing new; open actions that no longer apply are cancelled with the reason. A run that is
    not for a few accounts first closes the resolved disputes the ledger now shows settled and applies
    the escalation policy (new proposals, approved settlements and plans followed up).

    Incremental (worklist/incremental.py): an account whose inputs are unchanged since its last
    evaluation and whose next interesting date has not come is skipped (``full``: evaluate every one).
    """
    with _collector_paused():  # a run holds millions of small objects, none of them in cycles
        return _run(ctx, as_of=as_of, collector=collector, scope=scope, customer_pks=customer_pks, full=full)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """The cyclic garbage collector off while a run builds its tuples (it would walk them all, again and
    again: a fifth of the run's CPU time); on again after, as it was."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _run(ctx: Context, *, as_of: dt.date, collector: str | None, scope: CustomerScope,
         customer_pks: Sequence[int] | None, full: bool) -> dict[str, Any]:
    clock = inc.Stopwatch()
    seen: dict[str, Any] = {}
    if customer_pks is None:
        disputes.close_settled(ctx)
        escalations.run(ctx, as_of=as_of, scope=CustomerScope(collectors=(collector,)) if collector else scope,
                        seen=seen)
        clock.lap("cases")
    current = playbooks.active(ctx)
    now = ctx.clock.now()
    chances = risk.late_chances(ctx, as_of=as_of, customer_pks=customer_pks, scope=scope, collector=collector)
    with ctx.unit_of_work() as session:
        # the open invoices the escalation rules read just now, for the same accounts (nothing between
        # writes invoices; a whole-book or scoped run: the rules read the same scope)
        g = _gather(session, as_of=as_of, playbook=current.playbook, scope=scope, collector=collector,
                    customer_pks=customer_pks, open_items=seen.get("open_invoices") if collector is None else None)
        clock.lap("read")
        engine = E.Engine(current.playbook, as_of, run_at=_run_at(ctx, as_of))
        lookback = current.playbook.settings.broken_promise_lookback_days
        new_rows, entries, stale, narrowed, states, skipped, refreshed = [], [], [], [], [], [], []
        known = inc.load_states(session, [a.customer_pk for a in g.accounts])
        ahead = E.Engine(current.playbook, as_of + dt.timedelta(days=1))
        horizon = inc.Horizon(current.playbook)
        today_steps: dict[int, set[str]] = defaultdict(set)
        for cpk, step in g.existing_today:
            today_steps[cpk].add(step)
        for account in g.accounts:
            cpk = account.customer_pk
            history, promised, contact = g.histories[cpk], g.promises.get(cpk, ()), g.contacts.get(cpk, {})
            state = known.get(cpk)
            if not full and inc.may_skip(state, current.version, as_of):
                before = inc.stamp(account, inc.history_rows(history), today_steps.get(cpk, ()), promised, contact,
                                   g.invoiced.get(cpk, Decimal(0)), chances, current.version)
                if before == inc.stored_stamp(state, as_of):
                    if state.entries_on == as_of:
                        skipped.append(cpk)
                        continue
                    if state.outlook is not None:  # the day's priority afresh, the engine's say as foreseen
                        segment = state.outlook["segment"]
                        parts, notes, _ = _explain(account, E.Outcome(cpk, segment, notes=list(state.outlook["notes"])),
                                                   g, as_of, lookback, chances)
                        entries.append({"customer_pk": cpk, "as_of": as_of, "collector": account.collector,
                                        "segment": segment, "priority": parts["total"], "parts": parts,
                                        "notes": notes})
                        refreshed.append(cpk)
                        continue
            outcome = engine.evaluate(account, history)
            stale.extend(outcome.stale)
            narrowed.extend(outcome.narrowed)
            inserted = [p for p in outcome.proposals if (p.customer_pk, p.step) not in g.existing_today]
            rows, steps = inc.after_run(history, outcome, inserted, as_of, today_steps.get(cpk, set()))
            next_on, outlook = inc.next_on(engine, ahead, horizon, account, history, rows, outcome)
            # the day as the run leaves it, and the days after (no steps of theirs yet)
            day, after = inc.stamps(account, rows, steps, promised, contact, g.invoiced.get(cpk, Decimal(0)),
                                    chances, current.version)
            states.append({"customer_pk": cpk, "evaluated_on": as_of, "evaluated_at": now, "entries_on": as_of,
                           "stamp": day + after,
                           "next_on": next_on, "outlook": outlook, "playbook_version": current.version})
            for p in inserted:
                new_rows.append({
                    "customer_pk": p.customer_pk, "segment": p.segment, "step": p.step, "channel": p.channel,
                    "template": p.template, "proposed_on": as_of, "due_on": p.due, "scheduled_at": p.scheduled_at,
                    "invoices": list(p.invoices), "amounts": {c: str(a) for c, a in p.amounts.items()},
                    "reasons": list(p.reasons), "needs_approval": p.needs_approval, "status": "open",
                    "playbook_version": current.version, "created_at": now})
            parts, notes, follow_up = _explain(account, outcome, g, as_of, lookback, chances)
            entries.append({"customer_pk": account.customer_pk, "as_of": as_of, "collector": account.collector,
                            "segment": outcome.segment, "priority": parts["total"], "parts": parts, "notes": notes})
        clock.lap("evaluate")
        bulk_insert(session, Action.__table__, new_rows)
        stale_ids = [aid for aid, _ in stale]
        by_reason: dict[str, list[int]] = defaultdict(list)
        for aid, why in stale:
            by_reason[why].append(aid)
        for why, ids in by_reason.items():
            for i in range(0, len(ids), 5000):
                session.execute(update(Action).where(Action.id.in_(ids[i:i + 5000]), Action.status == "open")
                                .values(status="cancelled", closed_at=now, closed_by=RULE_ACTOR, close_note=why))
        for aid, invoices, amounts in narrowed:
            session.execute(update(Action).where(Action.id == aid, Action.status == "open")
                            .values(invoices=list(invoices), amounts={c: str(v) for c, v in amounts.items()}))
        evaluated = [r["customer_pk"] for r in states]
        inc.save_states(session, states)
        inc.moved_entries(session, refreshed, as_of)
        for i in range(0, len(evaluated + refreshed), 5000):
            session.execute(delete(WorklistEntry).where(
                WorklistEntry.as_of == as_of, WorklistEntry.customer_pk.in_((evaluated + refreshed)[i:i + 5000])))
        bulk_insert(session, WorklistEntry.__table__, entries)
        if customer_pks is None and (scope.everything or collector is not None):
            session.add(WorklistRun(as_of=as_of, collector=collector, playbook_version=current.version, ran_at=now,
                                    actor=ctx.actor, accounts=len(g.accounts), proposed=len(new_rows),
                                    cancelled=len(stale_ids)))
            session.execute(delete(WorklistEntry).where(WorklistEntry.as_of < as_of - dt.timedelta(days=KEEP_ENTRIES_DAYS)))
        if new_rows or stale_ids:
            by_step = Counter(r["step"] for r in new_rows)
            audit.record(session, at=now, actor=ctx.actor, action="worklist_run", entity="worklist",
                         entity_key=as_of.isoformat(),
                         changes={"collector": collector, "playbook_version": current.version,
                                  "proposed": dict(by_step), "cancelled": stale_ids[:1000],
                                  "customers": None if customer_pks is None else [g.names[c][0] for c in evaluated]})
        clock.lap("write")
    clock.lap("commit")
    return {"as_of": as_of.isoformat(), "playbook_version": current.version, "accounts": len(g.accounts),
            "evaluated": len(evaluated), "skipped": len(skipped) + len(refreshed),
            "proposed": len(new_rows), "cancelled": len(stale_ids), "seconds": clock.laps,
            "cpu_seconds": clock.cpu}
