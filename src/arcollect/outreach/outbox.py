"""Dunning use cases: queue the day's email actions as rendered messages, approve, send exactly once.

Exactly once: a message is claimed (``sending``, committed) before the SMTP transaction and marked
``sent`` after it; a re-run only ever picks ``queued`` messages, so a crash between the two leaves
the message ``sending`` for a person to check — it is never sent a second time.
"""

from __future__ import annotations

import datetime as dt
import smtplib
import time
from typing import Any, Callable

from sqlalchemy import func, select, update

from arcollect import audit
from arcollect import calendar
from arcollect.promises import service as promises
from arcollect.context import Context
from arcollect.errors import Conflict, InvalidInput
from arcollect.ledger import service as ledger
from arcollect.ledger.models import Contact, Customer, Invoice
from arcollect.outreach.compose import compose, message_for
from arcollect.outreach.documents import letter
from arcollect.outreach.models import STATUSES, OutboxMessage
from arcollect.outreach.render import render
from arcollect.outreach.sandbox import Limits
from arcollect.outreach.template_store import overrides
from arcollect.outreach.smtp import Sender, SmtpSender, build_email, new_message_id
from arcollect.playbook import service as playbooks
from arcollect.worklist import service as worklists

SenderFactory = Callable[[], Sender]


def queue(ctx: Context, *, as_of: dt.date) -> dict[str, Any]:
    """Render and queue every open email action of the day (and earlier unqueued ones); idempotent:
    one message per customer, step and day. Steps needing approval wait for it. One transaction;
    customers, contacts and open items are read in bulk."""
    now = ctx.clock.now()
    playbook = playbooks.active(ctx).playbook
    window = playbook.settings.contact_window.window()
    actions = worklists.open_actions(ctx, as_of=as_of, channel="email")
    out: dict[str, Any] = {"queued": 0, "awaiting_approval": 0, "problems": []}
    with ctx.unit_of_work() as session:
        # the messages already queued for these actions, found by their exact keys (an action proposed on
        # any day, whatever day this run is for)
        wanted = sorted({f"{a['customer_id']}/{a['step']}/{a['proposed_on']}" for a in actions})
        keys = {k for i in range(0, len(wanted), 5000)
                for k in session.scalars(select(OutboxMessage.idempotency_key)
                                         .where(OutboxMessage.idempotency_key.in_(wanted[i:i + 5000])))}
        todo = [a for a in actions if f"{a['customer_id']}/{a['step']}/{a['proposed_on']}" not in keys]
        pks = sorted({a["customer_pk"] for a in todo})
        customers = {c.id: c for i in range(0, len(pks), 5000)
                     for c in session.scalars(select(Customer).where(Customer.id.in_(pks[i:i + 5000])))}
        contacts: dict[int, list[dict[str, Any]]] = {}
        for i in range(0, len(pks), 5000):
            for k in session.scalars(select(Contact).where(Contact.customer_pk.in_(pks[i:i + 5000]))
                                     .order_by(Contact.primary.desc(), Contact.email)):
                contacts.setdefault(k.customer_pk, []).append(
                    {"email": k.email, "name": k.name, "role": k.role, "language": k.language, "primary": k.primary,
                     "bouncing": k.bouncing_since is not None})
        items = ledger.open_items_by_customer(session, customer_pks=pks, as_of=as_of)
        edits = overrides(session)
        limits = Limits.of(ctx.settings)
        slots: dict[tuple, dt.datetime] = {}
        for a in todo:
            c = customers[a["customer_pk"]]
            key = f"{a['customer_id']}/{a['step']}/{a['proposed_on']}"
            to, message = message_for(ctx, c, contacts.get(c.id, []), items.get(c.id, []), a["step"],
                                       a["template"] or a["step"], a["invoices"], as_of,
                                       dict(a["amounts"]) if not a["invoices"] else None)
            if not to:
                out["problems"].append(f"{a['customer_id']}: no email address (no contact, no account email)")
                continue
            try:
                rendered = render(message, overrides=edits, limits=limits)
            except InvalidInput as exc:  # this message fails (kept with the error); the others go on
                out["problems"].append(f"{a['customer_id']}: {exc}")
                session.add(OutboxMessage(
                    idempotency_key=key, customer_pk=c.id, action_pk=int(a["id"]), step=a["step"],
                    template=message.template, language=message.language, as_of=dt.date.fromisoformat(a["proposed_on"]),
                    to_addrs=to, subject="", body_text="", body_html="", message_id=new_message_id(key, ctx.settings),
                    invoices=list(a["invoices"]), status="failed", last_error=f"template: {exc}"[:2000],
                    not_before=now, created_at=now))
                continue
            slot_key = (c.timezone, c.country)
            if slot_key not in slots:
                slots[slot_key] = calendar.first_call_slot(now, customer_tz=c.timezone, customer_country=c.country,
                                                           contact=window) or now
            status = "awaiting_approval" if a["needs_approval"] else "queued"
            step = playbook.step(a["segment"], a["step"])
            kind = step.attach if step is not None else None
            session.add(OutboxMessage(
                idempotency_key=key, customer_pk=c.id, action_pk=int(a["id"]), step=a["step"],
                template=message.template, language=rendered.language, as_of=dt.date.fromisoformat(a["proposed_on"]),
                to_addrs=to, subject=rendered.subject, body_text=rendered.text, body_html=rendered.html,
                message_id=new_message_id(key, ctx.settings), invoices=list(a["invoices"]), status=status,
                not_before=slots[slot_key], created_at=now,
                attachment_kind=kind, attachment_name=f"{kind}-{c.customer_id}-{as_of.isoformat()}.pdf" if kind else None))
            out[status] += 1
    return out


def _still_due(session: Any, message: OutboxMessage, today: dt.date) -> str | None:
    """Why the message must not go any more (paid, disputed, promised since it was queued; its address
    bounced), or None."""
    bouncing = session.scalar(select(Contact.email).where(func.lower(Contact.email).in_([a.lower() for a in message.to_addrs]),
                                                          Contact.bouncing_since.is_not(None)).limit(1))
    if bouncing:
        return f"{bouncing} is bouncing"
    if not message.invoices:
        return None
    rows = session.execute(select(Invoice.id, Invoice.invoice_id, Invoice.disputed)
                           .where(Invoice.customer_pk == message.customer_pk, Invoice.invoice_id.in_(message.invoices))).all()
    promised: set[str] = set()
    whole = False
    for p in promises.promise_states(session, within=[message.customer_pk], as_of=today).get(message.customer_pk, []):
        if p["status"] == "open":
            promised |= p["invoices"]
            whole = whole or not p["invoices"]
    for pk, iid, disputed in rows:
        if disputed:
            return f"invoice {iid} is in dispute"
        if whole or iid in promised:
            return f"invoice {iid} is under a promise to pay"
        if ledger.open_amount_of(session, pk, today) <= 0:
            return f"invoice {iid} is paid"
    return None


def suppress_not_due(ctx: Context, *, customer_pks: Any) -> int:
    """Suppress at once the waiting messages (queued or awaiting approval) of these customers that must not go
    any more — the same check a send makes first (paid, disputed, promised since queued) — and cancel their
    actions; e.g. right after cash from the bank was applied. Returns how many were suppressed."""
    pks = sorted({int(pk) for pk in customer_pks if pk is not None})
    if not pks:
        return 0
    now, today, count = ctx.clock.now(), ctx.clock.today(), 0
    with ctx.unit_of_work() as session:
        for i in range(0, len(pks), 5000):
            waiting = session.scalars(select(OutboxMessage).where(OutboxMessage.customer_pk.in_(pks[i:i + 5000]),
                                                                  OutboxMessage.status.in_(("queued", "awaiting_approval")))
                                      .order_by(OutboxMessage.id).with_for_update())
            for message in list(waiting):
                why = _still_due(session, message, today)
                if why is None:
                    continue
                before = message.status
                message.status, message.status_note = "suppressed", why
                worklists.cancel_action(session, action_pk=message.action_pk, note=f"message suppressed: {why}", now=now)
                audit.record(session, at=now, actor=ctx.actor, action="suppress", entity="outbox",
                             entity_key=str(message.id), changes={"status": [before, "suppressed"], "why": why})
                count += 1
    return count


def send_due(ctx: Context, *, sender_factory: SenderFactory | None = None, limit: int | None = None,
             pause: bool = True) -> dict[str, Any]:
    """Send the queued messages whose local business hours have come, at most the rate limit per
    minute; each is re-checked first and suppressed if its invoices were paid, disputed or promised."""
    now = ctx.clock.now()
    today = ctx.clock.today()
    with ctx.sessions() as session:
        due = list(session.scalars(select(OutboxMessage.id).where(OutboxMessage.status == "queued",
                                                                   OutboxMessage.not_before <= now)
                                   .order_by(OutboxMessage.id).limit(limit)))
    counts = {"sent": 0, "suppressed": 0, "failed": 0}
    if not due:
        return counts
    try:
        sender = (sender_factory or (lambda: SmtpSender(ctx.settings)))()
    except (OSError, smtplib.SMTPException) as exc:  # server down or refusing us: everything stays queued
        counts["error"] = f"SMTP {ctx.settings.smtp_host}:{ctx.settings.smtp_port} unavailable: {exc}"  # type: ignore[assignment]
        return counts
    gap = 60.0 / max(1, ctx.settings.smtp_rate_per_minute)
    try:
        for n, mid in enumerate(due):
            with ctx.unit_of_work() as session:
                message = session.get(OutboxMessage, mid)
                why = _still_due(session, message, today)
                if why is not None:
                    message.status, message.status_note = "suppressed", why
                    worklists.cancel_action(session, action_pk=message.action_pk, note=f"message suppressed: {why}",
                                            now=now)
                    counts["suppressed"] += 1
                    continue
                if message.attachment_kind and message.attachment is None:
                    try:
                        message.attachment, message.attachment_name = letter(
                            ctx, customer_id=session.get(Customer, message.customer_pk).customer_id,
                            kind=message.attachment_kind, as_of=today)
                    except Exception as exc:  # a letter that cannot be rendered: the message is not sent without it
                        message.status, message.last_error = "failed", f"attachment: {type(exc).__name__}: {exc}"[:2000]
                        counts["failed"] += 1
                        continue
                claimed = session.execute(update(OutboxMessage).where(OutboxMessage.id == mid,
                                                                      OutboxMessage.status == "queued")
                                          .values(status="sending", attempts=OutboxMessage.attempts + 1)).rowcount
                email = build_email(settings=ctx.settings, to=message.to_addrs, subject=message.subject,
                                    text=message.body_text, html=message.body_html, message_id=message.message_id,
                                    attachments=[(message.attachment_name, message.attachment)] if message.attachment else None)
            if not claimed:
                continue
            try:
                sender.send(email)
            except Exception as exc:  # the server refused it or the connection broke: not sent
                with ctx.unit_of_work() as session:
                    session.execute(update(OutboxMessage).where(OutboxMessage.id == mid)
                                    .values(status="failed", last_error=f"{type(exc).__name__}: {exc}"[:2000]))
                counts["failed"] += 1
                continue
            with ctx.unit_of_work() as session:
                message = session.get(OutboxMessage, mid)
                message.status, message.sent_at = "sent", ctx.clock.now()
                worklists.complete_action(session, action_pk=message.action_pk, note=f"sent: {message.subject}",
                                          now=message.sent_at)
                promises.record_activity(session, customer_pk=message.customer_pk, kind="email", at=message.sent_at,
                                      actor="outbox", note=f"{message.subject}\n\n{message.body_text}",
                                      action_pk=message.action_pk, invoices=list(message.invoices))
                audit.record(session, at=message.sent_at, actor=ctx.actor, action="send", entity="outbox",
                             entity_key=str(mid), changes={"to": message.to_addrs, "message_id": message.message_id})
            counts["sent"] += 1
            if pause and n + 1 < len(due):
                time.sleep(gap)
    finally:
        sender.close()
    return counts


def dunning_run(ctx: Context, *, as_of: dt.date, dry_run: bool = False, send: bool = True,
                sender_factory: SenderFactory | None = None, pause: bool = True) -> dict[str, Any]:
    """The day's dunning (CONTRACT §8): evaluate the playbook, queue its emails, send what is due and
    approved. The same date again sends nothing new. ``dry_run`` stores and sends nothing."""
    if dry_run:
        return {"as_of": as_of.isoformat(), "dry_run": True, "messages": preview(ctx, as_of=as_of)}
    worklists.run(ctx, as_of=as_of)
    queued = queue(ctx, as_of=as_of)
    sent = send_due(ctx, sender_factory=sender_factory, pause=pause) if send else {"sent": 0, "suppressed": 0, "failed": 0}
    out = {"as_of": as_of.isoformat(), "dry_run": False, **queued, **sent}
    if send:  # the day's case notices go with it: stakeholders' action items, SLA breaches
        from arcollect.outreach import case_notices

        out["case_notices"] = case_notices.notify(ctx)
    return out


def preview(ctx: Context, *, as_of: dt.date) -> list[dict[str, Any]]:
    """What the day's dunning would queue, per customer and step (nothing is stored)."""
    out = []
    with ctx.sessions() as session:
        keys = set(session.scalars(select(OutboxMessage.idempotency_key).where(OutboxMessage.as_of == as_of)))
        edits = overrides(session)
    for p in worklists.proposals(ctx, as_of=as_of, channel="email"):
        if f"{p['customer_id']}/{p['step']}/{as_of.isoformat()}" in keys:
            continue
        to, message = compose(ctx, customer_id=p["customer_id"], step=p["step"], template=p["template"] or p["step"],
                              invoices=p["invoices"], as_of=as_of, unapplied=p["amounts"] if not p["invoices"] else None)
        try:
            rendered = render(message, overrides=edits, limits=Limits.of(ctx.settings))
        except InvalidInput as exc:  # what the run would do with it: fail this message, not the run
            out.append({"customer_id": p["customer_id"], "step": p["step"], "to": to, "language": message.language,
                        "subject": None, "invoices": list(p["invoices"]), "needs_approval": p["needs_approval"],
                        "error": str(exc)})
            continue
        out.append({"customer_id": p["customer_id"], "step": p["step"], "to": to, "language": rendered.language,
                    "subject": rendered.subject, "invoices": list(p["invoices"]),
                    "needs_approval": p["needs_approval"]})
    return out


def list_outbox(ctx: Context, *, status: str | None = None, limit: int = 500,
                scope: ledger.CustomerScope = ledger.EVERYTHING, customer_id: str | None = None) -> list[dict[str, Any]]:
    """Outbox messages in the caller's scope, newest first."""
    if status is not None and status not in STATUSES:
        raise InvalidInput(f"status: {status!r} is not one of {', '.join(STATUSES)}")
    with ctx.sessions() as session:
        stmt = (select(OutboxMessage, Customer.customer_id, Customer.name)
                .join(Customer, Customer.id == OutboxMessage.customer_pk).order_by(OutboxMessage.id.desc()).limit(limit))
        if status is not None:
            stmt = stmt.where(OutboxMessage.status == status)
        if scope.condition() is not None:
            stmt = stmt.where(scope.condition())
        if customer_id is not None:
            stmt = stmt.where(Customer.customer_id == customer_id)
        rows = session.execute(stmt).all()
    return [{"id": str(m.id), "customer_id": cid, "customer_name": name, "step": m.step, "status": m.status, "to": m.to_addrs,
             "subject": m.subject, "language": m.language, "as_of": m.as_of.isoformat(), "invoices": m.invoices,
             "not_before": m.not_before.isoformat(), "sent_at": m.sent_at.isoformat() if m.sent_at else None,
             "message_id": m.message_id, "note": m.status_note or m.last_error,
             "attachment": m.attachment_name} for m, cid, name in rows]


def approve(ctx: Context, *, message_id: str, scope: ledger.CustomerScope = ledger.EVERYTHING) -> dict[str, Any]:
    """A manager approves a message of a step that needs approval: it joins the queue."""
    now = ctx.clock.now()
    with ctx.unit_of_work() as session:
        m, _ = ledger.scoped_record(session, scope, OutboxMessage, message_id, "outbox message")
        if m.status != "awaiting_approval":
            raise Conflict(f"message {m.id} cannot go from {m.status} to queued (approval)")
        m.status, m.approved_by, m.approved_at = "queued", ctx.actor, now
        audit.record(session, at=now, actor=ctx.actor, action="approve", entity="outbox", entity_key=str(m.id),
                     changes={"status": ["awaiting_approval", "queued"]})
        return {"id": str(m.id), "status": m.status}


def message_detail(ctx: Context, *, message_id: str, scope: ledger.CustomerScope = ledger.EVERYTHING) -> dict[str, Any]:
    """One outbox message with its content (the outbox page's preview)."""
    with ctx.sessions() as session:
        m, _ = ledger.scoped_record(session, scope, OutboxMessage, message_id, "outbox message")
        cid, name = session.execute(select(Customer.customer_id, Customer.name).where(Customer.id == m.customer_pk)).one()
        return {"id": str(m.id), "customer_id": cid, "customer_name": name, "step": m.step, "status": m.status, "to": m.to_addrs,
                "subject": m.subject, "language": m.language, "text": m.body_text, "html": m.body_html,
                "note": m.status_note or m.last_error, "message_id": m.message_id}


def hold(ctx: Context, *, message_id: str, note: str = "", scope: ledger.CustomerScope = ledger.EVERYTHING) -> dict[str, Any]:
    """A manager stops a queued (or awaiting) message: it is suppressed and its action cancelled; audited."""
    now = ctx.clock.now()
    with ctx.unit_of_work() as session:
        m, _ = ledger.scoped_record(session, scope, OutboxMessage, message_id, "outbox message")
        if m.status not in ("queued", "awaiting_approval"):
            raise Conflict(f"message {m.id} cannot go from {m.status} to suppressed (hold)")
        before = m.status
        why = f"held by {ctx.actor}" + (f": {note.strip()}" if note and note.strip() else "")
        m.status, m.status_note = "suppressed", why
        worklists.cancel_action(session, action_pk=m.action_pk, note=why, now=now)
        audit.record(session, at=now, actor=ctx.actor, action="hold", entity="outbox", entity_key=str(m.id),
                     changes={"status": [before, "suppressed"], "note": note})
        return {"id": str(m.id), "status": m.status}
