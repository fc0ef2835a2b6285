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
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Callable, Sequence

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy import update as sql_update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from arcollect import audit
from arcollect.disputes import workflow as D
from arcollect.disputes.models import ActionItem, Dispute, DisputeEvent, DisputeItem
from arcollect.promises.models import Activity
from arcollect.promises.service import clean_text, part_amount
from arcollect.context import Context
from arcollect.db import violates
from arcollect.auth.permissions import ANSWER, DISPUTE, READ, Principal
from arcollect.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from arcollect.ledger import service as ledger
from arcollect.ledger.models import Customer, Invoice
from arcollect.ledger.scope import EVERYTHING, CustomerScope
from arcollect.money import quantize

MAX_FILE = 10 * 1024 * 1024
ACTIVE_INVOICE = next(i for i in DisputeItem.__table__.indexes if i.name == "uq_dispute_items_active_invoice")


@dataclass(frozen=True)
class CaseScope:
    """The customers whose disputes the caller sees, or (stakeholders) the team the disputes are routed to."""

    customers: CustomerScope = EVERYTHING
    team: str | None = None
    principal: Principal | None = None  # who acts; None: the operator (CLI, scheduled runs), who may do all

    def condition(self) -> Any | None:
        if self.team is not None:
            return Dispute.team == self.team
        return self.customers.condition()

    def require(self, *permissions: str) -> None:
        """PermissionDenied unless the caller's role has one of ``permissions``."""
        if self.principal is not None:
            self.principal.require(*permissions)


ALL_CASES = CaseScope()


def case_scope(principal: Principal) -> CaseScope:
    """Stakeholders read and answer the cases routed to their team (none without a team); everyone else
    with read access their customers'. PermissionDenied for a role that may read neither."""
    if principal.role == "stakeholder" and principal.can(ANSWER):
        # "": no case is routed to no team
        return CaseScope(customers=CustomerScope(), team=principal.team or "", principal=principal)
    if principal.can(READ):
        return CaseScope(customers=principal.scope, principal=principal)
    raise PermissionDenied(f"role {principal.role!r} may not read disputes")


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


def _open_amounts(session: Session, invoices: Sequence[Invoice], on: dt.date) -> dict[str, Decimal]:
    return {i.invoice_id: quantize(ledger.open_amount_of(session, i.id, on), i.currency) for i in invoices}


def _sync_invoice_flags(session: Session, invoice_pks: Sequence[int]) -> None:
    """An invoice is disputed while one of its disputes holds money out of dunning: active, or resolved
    with a credit note / rebill not yet settled. ``disputed_amount`` = Σ of those items (None: whole)."""
    holding = or_(Dispute.status.in_(sorted(D.ACTIVE)),
                  and_(Dispute.status == "resolved", Dispute.resolution != "rejected_valid"))
    for inv in session.scalars(select(Invoice).where(Invoice.id.in_(list(invoice_pks)))):
        rows = session.execute(select(DisputeItem.amount, DisputeItem.open_at_opening)
                               .join(Dispute, Dispute.id == DisputeItem.dispute_pk)
                               .where(DisputeItem.invoice_pk == inv.id, holding)).all()
        if not rows:
            inv.disputed, inv.disputed_amount = False, None
            continue
        whole = any(amount >= opening for amount, opening in rows)
        inv.disputed, inv.disputed_amount = True, None if whole else sum((a for a, _ in rows), Decimal(0))


def _in_dispute(session: Session, invoice_pks: Sequence[int]) -> list[str]:
    """"invoice I1 is already in dispute 12" for each invoice an active dispute holds."""
    rows = session.execute(select(Invoice.invoice_id, DisputeItem.dispute_pk)
                           .join(DisputeItem, DisputeItem.invoice_pk == Invoice.id)
                           .where(DisputeItem.invoice_pk.in_(list(invoice_pks)), DisputeItem.active)
                           .order_by(Invoice.invoice_id)).all()
    return [f"invoice {iid} is already in dispute {pk}" for iid, pk in rows]


def _claim(session: Session, write: Callable[[], Any], invoice_pks: Sequence[int]) -> None:
    """Run a write that makes dispute items active; when the database refuses it because another active
    dispute holds one of the invoices (someone opened it at the same moment), Conflict naming that dispute.
    The transaction is rolled back whole (the unit of work refuses the use case)."""
    try:
        write()
    except IntegrityError as exc:
        if not violates(exc, ACTIVE_INVOICE):
            raise
        session.rollback()
        raise Conflict("; ".join(_in_dispute(session, invoice_pks)) or "an invoice is already in dispute") from None


def _event(session: Session, dispute: Dispute, kind: str, at: dt.datetime, actor: str, **fields: Any) -> None:
    session.add(DisputeEvent(dispute_pk=dispute.id, kind=kind, at=at, actor=actor, **fields))


def _timeline(session: Session, dispute: Dispute, at: dt.datetime, actor: str, text: str,
              invoices: Sequence[str] = ()) -> None:
    session.add(Activity(customer_pk=dispute.customer_pk, kind="dispute", note=f"Dispute {dispute.id}: {text}", at=at,
                         actor=actor, invoices=list(invoices)))


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
        open_now = _open_amounts(session, list(found.values()), today)
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
        busy = _in_dispute(session, [inv.id for inv, _ in items])
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
        _claim(session, lambda: session.flush(), [inv.id for inv, _ in items])
        _sync_invoice_flags(session, [inv.id for inv, _ in items])
        ids = [inv.invoice_id for inv, _ in items]
        _event(session, dispute, "opened", now, ctx.actor, to_status="open", text=note)
        _timeline(session, dispute, now, ctx.actor, f"opened — {codes[reason]}, {total} {dispute.currency} on "
                  f"{', '.join(ids)}, routed to {D.TEAMS[team]}" + (f": {note}" if note else ""), ids)
        audit.record(session, at=now, actor=ctx.actor, action="open", entity="dispute", entity_key=str(dispute.id),
                     changes={"customer": customer.customer_id, "reason": reason, "team": team,
                              "invoices": {inv.invoice_id: str(a) for inv, a in items}})
        return {"id": str(dispute.id), "customer_id": customer.customer_id, "status": "open", "team": team,
                "amount": str(total), "currency": dispute.currency, "sla_due": dispute.sla_due.isoformat()}


def _scoped(session: Session, scope: CaseScope, dispute_id: Any) -> tuple[Dispute, Customer]:
    try:
        pk = int(dispute_id)
    except (TypeError, ValueError):
        raise NotFound(f"dispute {dispute_id!r} not found") from None
    stmt = select(Dispute, Customer).join(Customer, Customer.id == Dispute.customer_pk).where(Dispute.id == pk)
    if scope.condition() is not None:
        stmt = stmt.where(scope.condition())
    row = session.execute(stmt).first()
    if row is None:
        raise NotFound(f"dispute {dispute_id!r} not found")
    return row[0], row[1]


def _items(session: Session, dispute: Dispute) -> list[tuple[DisputeItem, Invoice]]:
    return list(session.execute(select(DisputeItem, Invoice).join(Invoice, Invoice.id == DisputeItem.invoice_pk)
                                .where(DisputeItem.dispute_pk == dispute.id).order_by(Invoice.invoice_id)))


def _unsettled(session: Session, dispute: Dispute, on: dt.date) -> list[str]:
    rows = _items(session, dispute)
    open_now = _open_amounts(session, [inv for _, inv in rows], on)
    return D.unsettled([D.Item(inv.invoice_id, quantize(it.amount, inv.currency), quantize(it.open_at_opening, inv.currency))
                        for it, inv in rows], open_now)


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
        dispute, customer = _scoped(session, scope, dispute_id)
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
                left = _unsettled(session, dispute, today)
                if left:
                    raise Conflict(f"dispute {dispute.id} cannot be closed: the money side is not settled — "
                                   + "; ".join(left) + " (apply the credit note or the payment first)")
            if status == "in_review" and dispute.status == "resolved":
                dispute.resolution, dispute.resolved_at = None, None
            _move(session, dispute, status, now, ctx.actor, comment)
        elif comment:
            _event(session, dispute, "comment", now, ctx.actor, text=comment)
        if resolution is not None and status is None:  # a resolved dispute's resolution corrected
            dispute.resolution = resolution
        if root_cause is not None:
            dispute.root_cause = root_cause
        if team is not None and team != dispute.team:
            _event(session, dispute, "routed", now, ctx.actor, text=f"{D.TEAMS[dispute.team]} → {D.TEAMS[team]}")
            dispute.team = team
        if priority is not None and priority != dispute.priority:
            dispute.priority = priority
            dispute.sla_due = D.sla_due(dispute.opened_on, priority)
        session.flush()
        _sync_invoice_flags(session, [it.invoice_pk for it, _ in _items(session, dispute)])
        after = {"status": dispute.status, "team": dispute.team, "priority": dispute.priority,
                 "resolution": dispute.resolution, "root_cause": dispute.root_cause}
        changes = {k: [before[k], after[k]] for k in before if before[k] != after[k]}
        if comment:
            changes["comment"] = comment
        audit.record(session, at=now, actor=ctx.actor, action="update", entity="dispute", entity_key=str(dispute.id),
                     changes=changes)
        return _summary(session, dispute, customer, today)


def _move(session: Session, dispute: Dispute, status: str, now: dt.datetime, actor: str, comment: str | None) -> None:
    """Record a checked status change: history event, account timeline, closing time."""
    _event(session, dispute, "status", now, actor, from_status=dispute.status, to_status=status, text=comment)
    _timeline(session, dispute, now, actor, f"{dispute.status} → {status}"
              + (f" ({dispute.resolution})" if status == "resolved" else "") + (f": {comment}" if comment else ""))
    if status == "closed":
        dispute.closed_at = now
    holds = status in D.ACTIVE
    if holds != (dispute.status in D.ACTIVE):  # leaving the active statuses frees the invoices; reopening takes them
        pks = list(session.scalars(select(DisputeItem.invoice_pk).where(DisputeItem.dispute_pk == dispute.id)))
        _claim(session, lambda: session.execute(sql_update(DisputeItem).where(DisputeItem.dispute_pk == dispute.id)
                                                .values(active=holds)), pks)
    dispute.status = status


def close_settled(ctx: Context) -> list[str]:
    """Close every resolved dispute whose money side the ledger now shows settled — the credit note or
    the payment applied since it was opened (run after imports and by the daily worklist run); returns
    their ids."""
    today, now = ctx.clock.today(), ctx.clock.now()
    closed = []
    with ctx.unit_of_work() as session:
        for dispute in session.scalars(select(Dispute).where(Dispute.status == "resolved")):
            if _unsettled(session, dispute, today):
                continue
            _move(session, dispute, "closed", now, "ledger", "the ledger shows the disputed amount settled")
            session.flush()
            _sync_invoice_flags(session, [it.invoice_pk for it, _ in _items(session, dispute)])
            audit.record(session, at=now, actor=ctx.actor, action="close", entity="dispute", entity_key=str(dispute.id),
                         changes={"status": ["resolved", "closed"], "by": "ledger settlement"})
            closed.append(str(dispute.id))
    return closed


def after_import(ctx: Context, kind: str) -> list[str]:
    """Interfaces call this after a committed import: payments and credit notes may settle disputes."""
    return close_settled(ctx) if kind in ("credit-notes", "payments") else []


def _summary(session: Session, d: Dispute, c: Customer, today: dt.date) -> dict[str, Any]:
    return {"id": str(d.id), "customer_id": c.customer_id, "customer_name": c.name, "status": d.status,
            "reason": d.reason, "team": d.team, "priority": d.priority, "amount": str(quantize(d.amount, d.currency)),
            "currency": d.currency, "opened_on": d.opened_on.isoformat(), "opened_by": d.opened_by,
            "sla_due": d.sla_due.isoformat(), "sla_breached": D.sla_breached(d.status, d.sla_due, today),
            "resolution": d.resolution, "root_cause": d.root_cause,
            "invoices": [inv.invoice_id for _, inv in _items(session, d)]}


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
        return [_summary(session, d, c, today) for d, c in session.execute(stmt)]


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
        d, c = _scoped(session, scope, dispute_id)
        out = _summary(session, d, c, today)
        out["note"] = d.note
        out["items"] = [{"invoice_id": inv.invoice_id, "amount": str(quantize(it.amount, inv.currency)),
                         "open_at_opening": str(quantize(it.open_at_opening, inv.currency)),
                         "open_now": str(quantize(ledger.open_amount_of(session, inv.id, today), inv.currency)),
                         "due_date": inv.due_date.isoformat()} for it, inv in _items(session, d)]
        out["unsettled"] = _unsettled(session, d, today) if d.status in ("resolved", "closed") else []
        out["action_items"] = [_item_view(a, today) for a in session.scalars(
            select(ActionItem).where(ActionItem.dispute_pk == d.id).order_by(ActionItem.id))]
        out["events"] = [{"id": str(e.id), "kind": e.kind, "at": e.at.isoformat(), "actor": e.actor, "text": e.text,
                          "from": e.from_status, "to": e.to_status, "file": e.filename}
                         for e in session.scalars(select(DisputeEvent).where(DisputeEvent.dispute_pk == d.id)
                                                  .order_by(DisputeEvent.id))]
        return out


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
        d, _ = _scoped(session, scope, dispute_id)
        event = DisputeEvent(dispute_pk=d.id, kind="attachment", at=now, actor=ctx.actor, filename=name,
                             content_type=(content_type or "application/octet-stream")[:200], data=data)
        session.add(event)
        session.flush()
        audit.record(session, at=now, actor=ctx.actor, action="attach", entity="dispute", entity_key=str(d.id),
                     changes={"file": name, "bytes": len(data)})
        return {"id": str(event.id), "file": name}


def attachment(ctx: Context, *, dispute_id: str, event_id: str, scope: CaseScope = ALL_CASES) -> tuple[bytes, str, str]:
    with ctx.sessions() as session:
        d, _ = _scoped(session, scope, dispute_id)
        try:
            e = session.get(DisputeEvent, int(event_id))
        except (TypeError, ValueError):
            e = None
        if e is None or e.dispute_pk != d.id or e.data is None:
            raise NotFound(f"attachment {event_id!r} not found")
        return e.data, e.filename or "attachment", e.content_type or "application/octet-stream"


# ---- action items ----------------------------------------------------------------------------


def _item_view(a: ActionItem, today: dt.date) -> dict[str, Any]:
    return {"id": str(a.id), "dispute_id": str(a.dispute_pk), "title": a.title, "team": a.team, "assignee": a.assignee,
            "due_on": a.due_on.isoformat(), "status": a.status, "answer": a.answer,
            "overdue": a.status == "open" and today > a.due_on, "done_by": a.done_by}


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
        d, _ = _scoped(session, scope, dispute_id)
        if d.status == "closed":
            raise Conflict(f"dispute {d.id} is closed")
        item = ActionItem(dispute_pk=d.id, title=title, team=team or d.team, assignee=(assignee or "").strip() or None,
                          due_on=due_on or max(d.sla_due, today), status="open", created_at=now, created_by=ctx.actor)
        session.add(item)
        session.flush()
        _event(session, d, "item", now, ctx.actor, text=f"action item for {D.TEAMS[item.team]}: {title}")
        audit.record(session, at=now, actor=ctx.actor, action="add_item", entity="dispute", entity_key=str(d.id),
                     changes={"item": item.id, "title": title, "team": item.team})
        return _item_view(item, today)


def answer_action_item(ctx: Context, *, item_id: str, answer: str, done: bool = True,
                       scope: CaseScope = ALL_CASES) -> dict[str, Any]:
    """The team answers an action item (and marks it done); the answer goes into the dispute's history."""
    now, today = ctx.clock.now(), ctx.clock.today()
    problems: list[str] = []
    answer = clean_text(answer, "answer", problems, required=True)
    if problems:
        raise InvalidInput("the answer was not saved", problems=problems)
    with ctx.unit_of_work() as session:
        try:
            item = session.get(ActionItem, int(item_id))
        except (TypeError, ValueError):
            item = None
        if item is None:
            raise NotFound(f"action item {item_id!r} not found")
        d, _ = _scoped(session, scope, item.dispute_pk)
        if scope.team is not None and item.team != scope.team:
            raise NotFound(f"action item {item_id!r} not found")
        if item.status != "open":
            raise Conflict(f"action item {item.id} is already {item.status}")
        item.answer = answer
        if done:
            item.status, item.done_at, item.done_by = "done", now, ctx.actor
        _event(session, d, "comment", now, ctx.actor, text=f"re: {item.title} — {answer}")
        _timeline(session, d, now, ctx.actor, f"{D.TEAMS[item.team]} answered “{item.title}”: {answer}")
        audit.record(session, at=now, actor=ctx.actor, action="answer_item", entity="dispute", entity_key=str(d.id),
                     changes={"item": item.id, "answer": answer, "done": done})
        return _item_view(item, today)


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
        return [{**_item_view(a, today), "customer_id": c.customer_id, "customer_name": c.name, "reason": d.reason,
                 "dispute_status": d.status} for a, d, c in session.execute(stmt)]


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

