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
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Any, Sequence

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from arcollect import audit, versions
from arcollect.escalations import policy as E
from arcollect.escalations import plan_ledger
from arcollect.escalations.plan_ledger import instalment_states  # noqa: F401  (promises count instalments as promises)
from arcollect.escalations import plans as PL
from arcollect.promises import service as promises
from arcollect.escalations.models import Escalation, EscalationPolicyVersion, PaymentPlan
from arcollect.promises.models import Activity, Promise
from arcollect.promises.service import clean_text
from arcollect.context import Context
from arcollect.db import bulk_insert, insert_new, violates
from arcollect.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from arcollect.ledger import service as ledger
from arcollect.ledger.models import Contact, Customer, Invoice
from arcollect.ledger.scope import EVERYTHING, CustomerScope
from arcollect.money import parse_amount, quantize

MAX_SOURCE = 100_000
RESPONSES_CALL = frozenset({"promise", "dispute", "refused", "paid_already", "other"})  # someone answered
UNANSWERED_CALL = frozenset({"no_answer", "left_voicemail", "wrong_contact"})
GRACE_DAYS = 3  # after a settlement's date or an instalment's
OPEN_ACTION = next(i for i in Escalation.__table__.indexes if i.name == "uq_escalations_open_action")


# ---- the policy in force -------------------------------------------------------------------------


@dataclass(frozen=True)
class ActivePolicy:
    version: int  # 0: the built-in default
    policy: E.Policy
    source: str


@lru_cache(maxsize=8)
def _parsed(source: str) -> E.Policy:
    return E.parse(source)


def validate_policy(text: str, *, source: str = "escalation policy") -> E.Policy:
    if len(text) > MAX_SOURCE:
        raise InvalidInput(f"{source}: an escalation policy is at most {MAX_SOURCE} characters")
    return E.parse(text, source=source)


def active_policy(ctx: Context, session: Session | None = None) -> ActivePolicy:
    """The policy in force: the last one loaded, else the built-in default (version 0)."""
    if session is not None:
        row = versions.latest(session, EscalationPolicyVersion)
    else:
        with ctx.sessions() as s:
            row = versions.latest(s, EscalationPolicyVersion)
    if row is None:
        text = E.default_text()
        return ActivePolicy(0, _parsed(text), text)
    return ActivePolicy(row[0], _parsed(row[1]), row[1])


def load_policy(ctx: Context, *, text: str, source: str = "escalation policy") -> dict[str, Any]:
    """Validate and store as the next version (nothing new if unchanged); audited."""
    policy = validate_policy(text, source=source)
    with ctx.unit_of_work() as session:
        return versions.store(session, EscalationPolicyVersion, name=policy.name, text=text, now=ctx.clock.now(),
                              actor=ctx.actor, entity="escalation_policy", changes={"rules": [r.id for r in policy.rules]})


# ---- facts the rules read --------------------------------------------------------------------------


def _attempts(session: Session, within: Any | None, as_of: dt.date, since: dt.date) -> dict[int, int]:
    """customer key → emails, letters and unanswered calls since the customer last responded (a reply,
    an answered call, a promise), counted within the lookback."""
    end = dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time(0), tzinfo=dt.timezone.utc)
    start = dt.datetime.combine(since, dt.time(0), tzinfo=dt.timezone.utc)
    stmt = (select(Activity.customer_pk, Activity.kind, Activity.outcome)
            .where(Activity.at >= start, Activity.at < end,
                   Activity.kind.in_(("email", "letter", "call", "promise"))).order_by(Activity.at, Activity.id))
    if within is not None:
        stmt = stmt.where(Activity.customer_pk.in_(within))
    out: dict[int, int] = defaultdict(int)
    for cpk, kind, outcome in session.execute(stmt).all():
        responded = (kind == "promise" or (kind == "email" and outcome == "inbound")
                     or (kind == "call" and outcome in RESPONSES_CALL))
        if responded:
            out[cpk] = 0
        elif kind in ("email", "letter") or outcome in UNANSWERED_CALL:
            out[cpk] += 1
    return out


def account_facts(session: Session, *, as_of: dt.date, policy: E.Policy,
                  within: Any | None = None) -> list[tuple[Customer, E.Facts]]:
    """Every account with undisputed money open, per currency, as the rules see it."""
    opens = ledger.open_invoices(session, as_of=as_of, within=within)
    if not opens:
        return []
    since = as_of - dt.timedelta(days=policy.lookback_days)
    attempts = _attempts(session, within, as_of, since)
    promised = promises.promise_states(session, within=within, as_of=as_of, lookback_days=policy.lookback_days)
    broken_plan_stmt = select(PaymentPlan.customer_pk).where(PaymentPlan.status == "broken")
    if within is not None:
        broken_plan_stmt = broken_plan_stmt.where(PaymentPlan.customer_pk.in_(within))
    broken_plans = set(session.scalars(broken_plan_stmt))
    pks = sorted(opens)
    customers: dict[int, Customer] = {}
    for i in range(0, len(pks), 5000):
        customers.update({c.id: c for c in session.scalars(select(Customer).where(Customer.id.in_(pks[i:i + 5000])))})
    out = []
    for cpk in pks:
        c = customers[cpk]
        by_currency: dict[str, list[tuple[dt.date, Decimal]]] = defaultdict(list)
        for _, due, amount, cur, disputed in opens[cpk]:
            if not disputed:
                by_currency[cur].append((due, amount))
        broken = promises.broken_promises(promised.get(cpk, ()), since)
        for cur, items in sorted(by_currency.items()):
            past = [(due, a) for due, a in items if due < as_of]
            out.append((c, E.Facts(
                customer_id=c.customer_id, currency=cur,
                past_due=quantize(sum((a for _, a in past), Decimal(0)), cur),
                balance=quantize(sum((a for _, a in items), Decimal(0)), cur),
                oldest_days_past_due=max(((as_of - due).days for due, _ in past), default=0),
                attempts_without_response=attempts.get(cpk, 0), broken_promises=broken,
                broken_plan=cpk in broken_plans,
                credit_limit=c.credit_limit if cur == c.currency else None, risk=c.risk)))
    return out


# ---- the daily run -------------------------------------------------------------------------------


def _timeline(session: Session, e: Escalation, at: dt.datetime, actor: str, text: str) -> None:
    promises.record_activity(session, customer_pk=e.customer_pk, kind="escalation", at=at, actor=actor,
                          note=f"Escalation {e.id} ({E.ACTIONS[e.action].lower()}): {text}")


def _move(session: Session, e: Escalation, status: str, at: dt.datetime, actor: str, text: str,
          **changes: Any) -> None:
    E.check_transition(e.status, status)
    before = e.status
    e.status = status
    if status in ("completed", "broken"):
        e.completed_at = at
    _timeline(session, e, at, actor, text)
    audit.record(session, at=at, actor=actor, action=status, entity="escalation", entity_key=str(e.id),
                 changes={"status": [before, status], **changes})


def _open_items(session: Session, customer: Customer, currency: str, as_of: dt.date) -> list[tuple[Invoice, Decimal]]:
    """The customer's undisputed open invoices in a currency with their open (undisputed) amount."""
    rows = ledger.open_invoices(session, as_of=as_of, within=[customer.id]).get(customer.id, [])
    wanted = {iid: amount for iid, _, amount, cur, disputed in rows if cur == currency and not disputed}
    invoices = session.scalars(select(Invoice).where(Invoice.customer_pk == customer.id,
                                                     Invoice.invoice_id.in_(list(wanted))).order_by(Invoice.due_date))
    return [(inv, quantize(wanted[inv.invoice_id], currency)) for inv in invoices]


def run(ctx: Context, *, as_of: dt.date | None = None, scope: CustomerScope = EVERYTHING) -> dict[str, Any]:
    """Follow approved settlements and plans (completed or broken), then propose what the rules say for
    every account without an open escalation of that action. Running it twice proposes nothing new."""
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
        rows, notes = [], []
        for customer, facts in account_facts(session, as_of=day, policy=policy, within=within):
            for trig in E.triggers(policy, facts):
                key = (customer.id, facts.currency, trig.action)
                if key in open_keys or key in decided or customer.id in placed or (
                        trig.action == "credit_hold" and customer.credit_hold):
                    continue
                details: dict[str, Any] = {}
                amount = facts.past_due
                if trig.action == "write_off":
                    items = _open_items(session, customer, facts.currency, day)
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
                    result = _write_off_rest(session, e, day, now)
                    _move(session, e, "completed", now, "ledger", "the settlement was paid; the rest written off "
                          + ", ".join(f"{k} {v}" for k, v in result.items()), written_off=result)
                    e.result = {**e.result, "written_off": result}
                    completed.append(str(e.id))
                elif status in ("broken", "partially_kept", "cancelled"):
                    _move(session, e, "broken", now, "ledger", f"the settlement was not paid ({status.replace('_', ' ')})")
                    broken.append(str(e.id))
            elif e.action == "payment_plan" and e.plan_pk is not None:
                plan = session.get(PaymentPlan, e.plan_pk)
                if plan is not None and plan.status == "completed":
                    _move(session, e, "completed", now, "ledger", "every instalment was paid")
                    completed.append(str(e.id))
                elif plan is not None and plan.status == "broken":
                    _move(session, e, "broken", now, "ledger", "an instalment was not paid: the plan is broken")
                    broken.append(str(e.id))
    return {"completed": completed, "broken": broken}


def _write_off_rest(session: Session, e: Escalation, day: dt.date, now: dt.datetime) -> dict[str, str]:
    """After a kept settlement: what the settled invoices still owe is written off (the agreed discount)."""
    out = {}
    for iid in e.details.get("invoices", {}):
        inv = session.scalar(select(Invoice).where(Invoice.invoice_id == iid))
        left = quantize(ledger.open_amount_of(session, inv.id, day), inv.currency) if inv is not None else Decimal(0)
        if inv is not None and left > 0:
            ledger.write_off_in(session, invoice=inv, amount=left, on=day, approved_by=e.decided_by, now=now,
                                actor="ledger", reason=f"settlement discount (escalation {e.id})")
            out[iid] = str(left)
    return out


# ---- proposals by people -------------------------------------------------------------------------


def _scoped(session: Session, scope: CustomerScope, escalation_id: Any) -> tuple[Escalation, Customer]:
    return ledger.scoped_record(session, scope, Escalation, escalation_id, "escalation")


def _chosen(session: Session, customer: Customer, currency: str, day: dt.date,
            invoices: Sequence[tuple[str, str | None]], problems: list[str]) -> list[tuple[Invoice, Decimal]]:
    """The invoices named (each whole or an amount of it), else every undisputed open one in the currency."""
    available = {inv.invoice_id: (inv, a) for inv, a in _open_items(session, customer, currency, day)}
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
            amount = _settlement(details, settle_amount, pay_by, open_total, cur, day, problems)
        elif action == "payment_plan":
            amount = open_total
            _plan(details, instalments, instalment_count, every_days, first_due, open_total, cur, day, problems)
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
        _timeline(session, e, now, ctx.actor, f"proposed, {amount} {cur} — needs {' or '.join(level.approvers)}"
                  + (f": {note}" if note else ""))
        audit.record(session, at=now, actor=ctx.actor, action="propose", entity="escalation", entity_key=str(e.id),
                     changes={"customer": customer_id, "action": action, "amount": amount, "details": details})
        return _view(e, customer, active.policy)


def _settlement(details: dict[str, Any], settle_amount: str | None, pay_by: dt.date | None, open_total: Decimal,
                cur: str, day: dt.date, problems: list[str]) -> Decimal:
    if settle_amount is None or pay_by is None:
        problems.append("settlement: the settled amount and the date to pay it by are required")
        return Decimal(0)
    try:
        settled = parse_amount(settle_amount, cur)
    except (ValueError, ArithmeticError) as exc:
        problems.append(f"settle_amount: {settle_amount!r}: {exc}")
        return Decimal(0)
    if not 0 < settled < open_total:
        problems.append(f"settle_amount: more than 0 and less than the {open_total} {cur} the invoices owe (got {settled})")
    if not day <= pay_by <= day + dt.timedelta(days=366):
        problems.append(f"pay_by: {pay_by.isoformat()} must be between today and a year from now")
    details.update(settle_amount=str(settled), pay_by=pay_by.isoformat())
    return max(open_total - settled, Decimal(0))  # the discount is what the matrix measures


def _plan(details: dict[str, Any], instalments: Sequence[tuple[dt.date, str]], count: int | None, every_days: int,
          first_due: dt.date | None, total: Decimal, cur: str, day: dt.date, problems: list[str]) -> None:
    schedule: list[PL.Instalment] = []
    known = len(problems)
    if instalments:
        for n, (due, raw) in enumerate(instalments, 1):
            try:
                schedule.append(PL.Instalment(due, parse_amount(raw, cur)))
            except (ValueError, ArithmeticError) as exc:
                problems.append(f"instalments[{n}]: amount {raw!r}: {exc}")
    elif count is not None:
        if not 1 <= count <= PL.MAX_INSTALMENTS or not 1 <= every_days <= 366:
            problems.append(f"instalments: between 1 and {PL.MAX_INSTALMENTS}, every 1 to 366 days")
            return
        schedule = PL.equal_schedule(total, count, first_due or day + dt.timedelta(days=every_days), every_days, cur)
    else:
        problems.append("instalments: give the instalments (date and amount) or their number")
        return
    if len(problems) == known:  # every amount parsed: now the schedule as a whole
        problems.extend(PL.check_schedule(schedule, total=total, starts=day))
    details["instalments"] = [{"due_on": i.due_on.isoformat(), "amount": str(i.amount)} for i in schedule]


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
        e, customer = _scoped(session, scope, escalation_id)
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
            _move(session, e, "rejected", now, ctx.actor, "rejected" + (f": {note}" if note else ""), note=note)
            return _view(e, customer, policy)
        _move(session, e, "approved", now, ctx.actor, f"approved by {ctx.actor} ({role})" + (f": {note}" if note else ""),
              note=note, level=e.approver_roles)
        _carry_out(session, e, customer, day, now, ctx.actor, pdf)
        return _view(e, customer, policy)


def decide_as_user(ctx: Context, *, login: str, escalation_id: str, approve: bool, note: str | None = None) -> dict[str, Any]:
    """``decide`` on behalf of a user (the CLI): their role is what the matrix checks; a disabled user may not."""
    from arcollect.auth import service as auth

    user = auth.get_user(ctx, login=login)
    if not user["active"]:
        raise PermissionDenied(f"user {login!r} is disabled")
    return decide(ctx.acting_as(login), escalation_id=escalation_id, approve=approve, role=user["role"], note=note)


def _carry_out(session: Session, e: Escalation, customer: Customer, day: dt.date, now: dt.datetime, actor: str,
               pdf: tuple[bytes, str] | None) -> None:
    invoices = e.details.get("invoices", {})
    if e.action == "demand_letter":
        assert pdf is not None
        e.document, e.document_name = pdf
        promises.record_activity(session, customer_pk=customer.id, kind="letter", at=now, actor=actor,
                              note=f"Demand letter issued (escalation {e.id}): {pdf[1]}", invoices=list(invoices))
        _move(session, e, "completed", now, actor, f"demand letter {pdf[1]} issued")
    elif e.action in ("credit_hold", "agency"):
        field = "credit_hold" if e.action == "credit_hold" else "do_not_contact"
        ledger.update_customer_in(session, customer, {field: True}, now=now, actor=actor, why={"escalation": e.id})
        e.result = {field: True, **({"placed_on": day.isoformat()} if e.action == "agency" else {})}
        _move(session, e, "completed", now, actor, "account on credit hold" if e.action == "credit_hold" else
              "account placed with the collection agency (no more dunning from us)")
    elif e.action == "write_off":
        done = {}
        for iid, amount in invoices.items():
            inv = session.scalar(select(Invoice).where(Invoice.invoice_id == iid, Invoice.customer_pk == customer.id))
            if inv is None:
                raise Conflict(f"invoice {iid} no longer exists")
            wo = ledger.write_off_in(session, invoice=inv, amount=amount, on=day, approved_by=actor, now=now, actor=actor,
                                     reason=f"escalation {e.id}" + (f": {e.note}" if e.note else ""))
            done[iid] = {"amount": amount, "write_off": wo}
        e.result = {"written_off": done}
        _move(session, e, "completed", now, actor, "written off " + ", ".join(f"{k} {v['amount']}" for k, v in done.items()))
    else:  # settlement and payment plan: approved now, completed or broken once the money shows (or not)
        linked = list(session.scalars(select(Invoice).where(Invoice.customer_pk == customer.id,
                                                           Invoice.invoice_id.in_(list(invoices)))))
        if e.action == "settlement":
            promise = promises.create_promise(
                session, customer=customer, amount=Decimal(e.details["settle_amount"]), currency=e.currency,
                promised_date=dt.date.fromisoformat(e.details["pay_by"]), made_on=day, grace_days=GRACE_DAYS,
                channel="other", note=f"settlement (escalation {e.id}); the rest is written off once paid",
                invoices=linked, now=now, actor=actor)
            e.promise_pk, e.result = promise.id, {"promise": promise.id}
        else:
            schedule = [PL.Instalment(dt.date.fromisoformat(i["due_on"]), Decimal(i["amount"]))
                        for i in e.details["instalments"]]
            plan = plan_ledger.create(session, customer=customer, currency=e.currency, invoices=linked,
                                       schedule=schedule, agreed_on=day, grace_days=GRACE_DAYS, now=now, actor=actor)
            e.plan_pk, e.result = plan.id, {"plan": plan.id}
            promises.record_activity(session, customer_pk=customer.id, kind="note", at=now, actor=actor,
                                  invoices=list(invoices), note=f"Instalment plan {plan.id} agreed (escalation {e.id}): "
                                  + ", ".join(f"{i.amount} by {i.due_on.isoformat()}" for i in schedule))


def cancel(ctx: Context, *, escalation_id: str, note: str | None = None, scope: CustomerScope = EVERYTHING) -> dict[str, Any]:
    """Withdraw a proposal (or stop following an approved settlement or plan)."""
    problems: list[str] = []
    note = clean_text(note, "note", problems)
    if problems:
        raise InvalidInput("nothing was cancelled", problems=problems)
    now = ctx.clock.now()
    with ctx.unit_of_work() as session:
        e, customer = _scoped(session, scope, escalation_id)
        _move(session, e, "cancelled", now, ctx.actor, "cancelled" + (f": {note}" if note else ""), note=note)
        if e.plan_pk is not None:
            plan = session.get(PaymentPlan, e.plan_pk)
            if plan is not None and plan.status == "active":
                plan.status, plan.cancelled_on = "cancelled", ctx.clock.today()
        return _view(e, customer, active_policy(ctx, session).policy)


# ---- reading -------------------------------------------------------------------------------------


def _view(e: Escalation, c: Customer, policy: E.Policy | None = None) -> dict[str, Any]:
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
        return [_view(e, c, policy) for e, c in session.execute(stmt)]


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
        e, c = _scoped(session, scope, escalation_id)
        out = _view(e, c, active_policy(ctx, session).policy)
        if e.plan_pk is not None:
            plan = session.get(PaymentPlan, e.plan_pk)
            out["plan"] = plan_ledger.view(session, plan, ctx.clock.today()) if plan else None
        cid = c.customer_id
    out["history"] = case_history(ctx, customer_id=cid, scope=scope)
    return out


def document(ctx: Context, *, escalation_id: str, scope: CustomerScope = EVERYTHING) -> tuple[bytes, str]:
    with ctx.sessions() as session:
        e, _ = _scoped(session, scope, escalation_id)
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
