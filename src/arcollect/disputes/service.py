"""Dispute cases: open on invoices (whole or part), route to a team, work the status through the workflow,
comment, attach files, chase action items, resolve, and close once the ledger shows the money settled.

An open dispute takes its amounts out of dunning and shows them in the aging's ``disputed`` column: the
invoices carry ``disputed`` / ``disputed_amount`` for as long as one of their disputes is active (or
resolved with a credit note or a rebill that the ledger has not settled yet).

Who sees what (``CaseScope``): collectors and managers the disputes of the customers in their scope;
stakeholders (no portfolio) only the disputes routed to their team.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from arcollect import audit
from arcollect.auth.permissions import ANSWER, DISPUTE
from arcollect.bounds import parse_pk
from arcollect.context import Context
from arcollect.disputes import workflow as D
from arcollect.disputes.models import ActionItem, Dispute, DisputeItem, DisputeEvent
from arcollect.disputes.queries import (  # noqa: F401  (the reading side, called through this module)
    attachment, counts, detail, disputed_by_reason, inbox, item_view, list_disputes,
)
from arcollect.disputes.records import (
    add_event, claim, in_dispute, items_of, move, on_timeline, open_amounts, scoped, summary, sync_invoice_flags,
    unsettled,
)
from arcollect.disputes.scope import ALL_CASES, CaseScope, case_scope  # noqa: F401  (who sees what)
from arcollect.errors import Conflict, InvalidInput, NotFound
from arcollect.ledger import service as ledger
from arcollect.ledger.models import Customer, Invoice
from arcollect.ledger.scope import EVERYTHING, CustomerScope
from arcollect.promises.service import clean_text, part_amount

MAX_FILE = 10 * 1024 * 1024


def parse_invoice_args(values: Sequence[str]) -> list[tuple[str, str | None]]:
    """``["I1:120.50", "I2"]`` or ``"I1:120.50,I2"`` → [(I1, "120.50"), (I2, None)] (CLI and forms)."""
    out = []
    for value in values:
        for part in value.split(","):
            part = part.strip()
            if part:
                iid, _, amount = part.partition(":")
                out.append((iid.strip(), amount.strip() or None))
    return out


def reasons(ctx: Context) -> dict[str, str]:
    """The reason codes in force: the defaults plus ``ARCOLLECT_DISPUTE_REASONS`` (``code:Label,…``)."""
    out = dict(D.REASONS)
    for part in (ctx.settings.dispute_reasons or "").split(","):
        code, _, label = part.partition(":")
        if code.strip():
            out[code.strip()] = label.strip() or code.strip()
    return out


def open_dispute(ctx: Context, *, customer_id: str | None = None, invoices: Sequence[tuple[str, str | None]],
                 reason: str, team: str | None = None, priority: str = "normal", note: str | None = None,
                 sla_days: int | None = None, scope: CustomerScope = EVERYTHING) -> dict[str, Any]:
    """Open a dispute on invoices of one customer and currency: each whole (no amount) or in part. Every
    problem is reported at once. An invoice is in at most one active dispute (whole or a part of it): one
    already held is a Conflict naming the dispute — the database decides when two open it at once."""
    now, today = ctx.clock.now(), ctx.clock.today()
    problems: list[str] = []
    codes = reasons(ctx)
    if reason not in codes:
        problems.append(f"reason: {reason!r} is not one of {', '.join(codes)}")
    team = team or D.DEFAULT_TEAM.get(reason, "ara")
    if team not in D.TEAMS:
        problems.append(f"team: {team!r} is not one of {', '.join(D.TEAMS)}")
    if priority not in D.PRIORITIES:
        problems.append(f"priority: {priority!r} is not one of {', '.join(D.PRIORITIES)}")
    if sla_days is not None and not 0 < sla_days <= 365:
        problems.append(f"sla_days: between 1 and 365 (got {sla_days})")
    note = clean_text(note, "note", problems)
    wanted = [(i.strip(), a) for i, a in invoices if i and i.strip()]
    if not wanted:
        problems.append("invoices: at least one invoice")
    if len({i for i, _ in wanted}) != len(wanted):
        problems.append("invoices: an invoice is listed twice")
    with ctx.unit_of_work() as session:
        found = {i.invoice_id: i for i in session.scalars(select(Invoice).where(Invoice.invoice_id.in_([i for i, _ in wanted])))}
        customers = {i.customer_pk for i in found.values()}
        missing = [i for i, _ in wanted if i not in found]
        if missing:
            problems.append(f"invoices: unknown invoice(s) {', '.join(missing[:20])}")
        customer = None
        if len(customers) > 1:
            problems.append("invoices: a dispute covers invoices of one customer")
        elif customers:
            pk = customers.pop()
            cid = session.scalar(select(Customer.customer_id).where(Customer.id == pk))
            if customer_id is not None and cid != customer_id:
                problems.append(f"invoices: not invoices of {customer_id}")
            try:
                customer = ledger.scoped_customer(session, scope, cid)
            except NotFound:
                raise NotFound(f"customer {cid!r} not found") from None
        currencies = {i.currency for i in found.values()}
        if len(currencies) > 1:
            problems.append(f"invoices: a dispute is in one currency (got {', '.join(sorted(currencies))})")
        open_now = open_amounts(session, list(found.values()), today)
        items: list[tuple[Invoice, Decimal]] = []
        for iid, raw in wanted:
            inv = found.get(iid)
            if inv is None:
                continue
            left = open_now[iid]
            if left <= 0:
                problems.append(f"invoices: {iid} has nothing open")
                continue
            amount = part_amount(iid, raw, left, inv.currency, problems)
            if amount is None:
                continue
            items.append((inv, amount))
        busy = in_dispute(session, [inv.id for inv, _ in items])
        if problems:
            raise InvalidInput("the dispute was not opened", problems=problems + [f"invoices: {b}" for b in busy])
        if busy:
            raise Conflict("; ".join(busy))
        assert customer is not None
        total = sum((a for _, a in items), Decimal(0))
        dispute = Dispute(customer_pk=customer.id, reason=reason, team=team, priority=priority, status="open",
                          currency=items[0][0].currency, amount=total, sla_due=D.sla_due(today, priority, sla_days),
                          note=note, opened_on=today, opened_at=now, opened_by=ctx.actor)
        session.add(dispute)
        session.flush()
        for inv, amount in items:
            session.add(DisputeItem(dispute_pk=dispute.id, invoice_pk=inv.id, amount=amount,
                                    open_at_opening=open_now[inv.invoice_id], active=True))
        claim(session, lambda: session.flush(), [inv.id for inv, _ in items])
        sync_invoice_flags(session, [inv.id for inv, _ in items])
        ids = [inv.invoice_id for inv, _ in items]
        add_event(session, dispute, "opened", now, ctx.actor, to_status="open", text=note)
        on_timeline(session, dispute, now, ctx.actor, f"opened — {codes[reason]}, {total} {dispute.currency} on "
                  f"{', '.join(ids)}, routed to {D.TEAMS[team]}" + (f": {note}" if note else ""), ids)
        audit.record(session, at=now, actor=ctx.actor, action="open", entity="dispute", entity_key=str(dispute.id),
                     changes={"customer": customer.customer_id, "reason": reason, "team": team,
                              "invoices": {inv.invoice_id: str(a) for inv, a in items}})
        # the team it is routed to gets its action item now, in this transaction (its inbox, its notice)
        _new_item(session, dispute, title=D.opening_item_title(codes[reason], ids, total, dispute.currency),
                  team=team, assignee=None, due_on=dispute.sla_due, now=now, actor=ctx.actor)
        return {"id": str(dispute.id), "customer_id": customer.customer_id, "status": "open", "team": team,
                "amount": str(total), "currency": dispute.currency, "sla_due": dispute.sla_due.isoformat()}


def update(ctx: Context, *, dispute_id: str, status: str | None = None, resolution: str | None = None,
           root_cause: str | None = None, team: str | None = None, priority: str | None = None,
           comment: str | None = None, scope: CaseScope = ALL_CASES) -> dict[str, Any]:
    """Move a dispute through the workflow (and/or re-route it, re-prioritise it, comment). ``resolved``
    needs a resolution; ``closed`` needs the ledger to show the disputed money settled. Stakeholders
    (cases:answer) only comment; the rest needs disputes:work."""
    if any(v is not None for v in (status, resolution, root_cause, team, priority)):
        scope.require(DISPUTE)
    else:
        scope.require(DISPUTE, ANSWER)
    now, today = ctx.clock.now(), ctx.clock.today()
    problems: list[str] = []
    comment = clean_text(comment, "comment", problems)
    if resolution is not None and resolution not in D.RESOLUTIONS:
        problems.append(f"resolution: {resolution!r} is not one of {', '.join(D.RESOLUTIONS)}")
    if root_cause is not None and root_cause not in D.ROOT_CAUSES:
        problems.append(f"root_cause: {root_cause!r} is not one of {', '.join(D.ROOT_CAUSES)}")
    if team is not None and team not in D.TEAMS:
        problems.append(f"team: {team!r} is not one of {', '.join(D.TEAMS)}")
    if priority is not None and priority not in D.PRIORITIES:
        problems.append(f"priority: {priority!r} is not one of {', '.join(D.PRIORITIES)}")
    if problems:
        raise InvalidInput("the dispute was not changed", problems=problems)
    with ctx.unit_of_work() as session:
        dispute, customer = scoped(session, scope, dispute_id)
        if resolution is not None and status != "resolved" and dispute.status != "resolved":
            raise InvalidInput("resolution: given when resolving a dispute (status resolved)")
        before = {"status": dispute.status, "team": dispute.team, "priority": dispute.priority,
                  "resolution": dispute.resolution, "root_cause": dispute.root_cause}
        if status is not None and status != dispute.status:
            D.check_transition(dispute.status, status)
            if status == "resolved":
                if (resolution or dispute.resolution) is None:
                    raise InvalidInput("resolution: required to resolve a dispute "
                                       f"({', '.join(D.RESOLUTIONS)})")
                dispute.resolution = resolution or dispute.resolution
                dispute.resolved_at = now
            if status == "closed":
                left = unsettled(session, dispute, today)
                if left:
                    raise Conflict(f"dispute {dispute.id} cannot be closed: the money side is not settled — "
                                   + "; ".join(left) + " (apply the credit note or the payment first)")
            if status == "in_review" and dispute.status == "resolved":
                dispute.resolution, dispute.resolved_at = None, None
            move(session, dispute, status, now, ctx.actor, comment)
        elif comment:
            add_event(session, dispute, "comment", now, ctx.actor, text=comment)
        if resolution is not None and status is None:  # a resolved dispute's resolution corrected
            dispute.resolution = resolution
        if root_cause is not None:
            dispute.root_cause = root_cause
        if team is not None and team != dispute.team:
            add_event(session, dispute, "routed", now, ctx.actor, text=f"{D.TEAMS[dispute.team]} → {D.TEAMS[team]}")
            dispute.team = team
        if priority is not None and priority != dispute.priority:
            dispute.priority = priority
            dispute.sla_due = D.sla_due(dispute.opened_on, priority)
        session.flush()
        sync_invoice_flags(session, [it.invoice_pk for it, _ in items_of(session, dispute)])
        after = {"status": dispute.status, "team": dispute.team, "priority": dispute.priority,
                 "resolution": dispute.resolution, "root_cause": dispute.root_cause}
        changes = {k: [before[k], after[k]] for k in before if before[k] != after[k]}
        if comment:
            changes["comment"] = comment
        audit.record(session, at=now, actor=ctx.actor, action="update", entity="dispute", entity_key=str(dispute.id),
                     changes=changes)
        return summary(session, dispute, customer, today)


def close_settled(ctx: Context) -> list[str]:
    """Close every resolved dispute whose money side the ledger now shows settled — the credit note or
    the payment applied since it was opened (run after imports and by the daily worklist run); returns
    their ids."""
    today, now = ctx.clock.today(), ctx.clock.now()
    closed = []
    with ctx.unit_of_work() as session:
        for dispute in session.scalars(select(Dispute).where(Dispute.status == "resolved")):
            if unsettled(session, dispute, today):
                continue
            move(session, dispute, "closed", now, "ledger", "the ledger shows the disputed amount settled")
            session.flush()
            sync_invoice_flags(session, [it.invoice_pk for it, _ in items_of(session, dispute)])
            audit.record(session, at=now, actor=ctx.actor, action="close", entity="dispute", entity_key=str(dispute.id),
                         changes={"status": ["resolved", "closed"], "by": "ledger settlement"})
            closed.append(str(dispute.id))
    return closed


def after_import(ctx: Context, kind: str) -> list[str]:
    """Interfaces call this after a committed import: payments and credit notes may settle disputes."""
    return close_settled(ctx) if kind in ("credit-notes", "payments") else []


def attach(ctx: Context, *, dispute_id: str, filename: str, content_type: str, data: bytes,
           scope: CaseScope = ALL_CASES) -> dict[str, Any]:
    """Keep a file with the dispute (a proof of delivery, a corrected PO, a credit note request)."""
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1].strip()[:300]
    if not name:
        raise InvalidInput("file: a file name is required")
    if not data:
        raise InvalidInput(f"file {name}: the file is empty")
    if len(data) > MAX_FILE:
        raise InvalidInput(f"file {name}: at most {MAX_FILE // (1024 * 1024)} MB (got {len(data) / 1048576:.1f} MB)")
    now = ctx.clock.now()
    with ctx.unit_of_work() as session:
        d, _ = scoped(session, scope, dispute_id)
        event = DisputeEvent(dispute_pk=d.id, kind="attachment", at=now, actor=ctx.actor, filename=name,
                             content_type=(content_type or "application/octet-stream")[:200], data=data)
        session.add(event)
        session.flush()
        audit.record(session, at=now, actor=ctx.actor, action="attach", entity="dispute", entity_key=str(d.id),
                     changes={"file": name, "bytes": len(data)})
        return {"id": str(event.id), "file": name}


# ---- action items ----------------------------------------------------------------------------------


def add_action_item(ctx: Context, *, dispute_id: str, title: str, team: str | None = None, assignee: str | None = None,
                    due_on: dt.date | None = None, scope: CaseScope = ALL_CASES) -> dict[str, Any]:
    """A task for a team (default: the dispute's) or a person, due by a date (default: the dispute's SLA)."""
    now, today = ctx.clock.now(), ctx.clock.today()
    problems: list[str] = []
    title = clean_text(title, "title", problems, required=True)
    if title and len(title) > 500:
        problems.append("title: at most 500 characters")
    if team is not None and team not in D.TEAMS:
        problems.append(f"team: {team!r} is not one of {', '.join(D.TEAMS)}")
    if due_on is not None and not today <= due_on <= today + dt.timedelta(days=366):
        problems.append(f"due_on: {due_on.isoformat()} must be between today and a year from now")
    if problems:
        raise InvalidInput("the action item was not added", problems=problems)
    with ctx.unit_of_work() as session:
        d, _ = scoped(session, scope, dispute_id)
        if d.status == "closed":
            raise Conflict(f"dispute {d.id} is closed")
        item = _new_item(session, d, title=title, team=team or d.team, assignee=(assignee or "").strip() or None,
                         due_on=due_on or max(d.sla_due, today), now=now, actor=ctx.actor)
        return item_view(item, today)


def _new_item(session: Session, d: Dispute, *, title: str, team: str, assignee: str | None, due_on: dt.date,
              now: dt.datetime, actor: str) -> ActionItem:
    """Store an open action item on the dispute, in its history and the audit log."""
    item = ActionItem(dispute_pk=d.id, title=title, team=team, assignee=assignee, due_on=due_on, status="open",
                      created_at=now, created_by=actor)
    session.add(item)
    session.flush()
    add_event(session, d, "item", now, actor, text=f"action item for {D.TEAMS[item.team]}: {title}")
    audit.record(session, at=now, actor=actor, action="add_item", entity="dispute", entity_key=str(d.id),
                 changes={"item": item.id, "title": title, "team": item.team})
    return item


def answer_action_item(ctx: Context, *, item_id: str, answer: str, done: bool = True,
                       scope: CaseScope = ALL_CASES) -> dict[str, Any]:
    """The team answers an action item (and marks it done); the answer goes into the dispute's history."""
    now, today = ctx.clock.now(), ctx.clock.today()
    problems: list[str] = []
    answer = clean_text(answer, "answer", problems, required=True)
    if problems:
        raise InvalidInput("the answer was not saved", problems=problems)
    with ctx.unit_of_work() as session:
        pk = parse_pk(item_id)
        item = None if pk is None else session.get(ActionItem, pk)
        if item is None:
            raise NotFound(f"action item {item_id!r} not found")
        d, _ = scoped(session, scope, item.dispute_pk)
        if scope.team is not None and item.team != scope.team:
            raise NotFound(f"action item {item_id!r} not found")
        if item.status != "open":
            raise Conflict(f"action item {item.id} is already {item.status}")
        item.answer = answer
        if done:
            item.status, item.done_at, item.done_by = "done", now, ctx.actor
        add_event(session, d, "comment", now, ctx.actor, text=f"re: {item.title} — {answer}")
        on_timeline(session, d, now, ctx.actor, f"{D.TEAMS[item.team]} answered “{item.title}”: {answer}")
        audit.record(session, at=now, actor=ctx.actor, action="answer_item", entity="dispute", entity_key=str(d.id),
                     changes={"item": item.id, "answer": answer, "done": done})
        return item_view(item, today)
