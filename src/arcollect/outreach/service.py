"""Dunning use cases: queue the day's email actions as rendered messages, approve, send exactly once.

Exactly once: a message is claimed (``sending``, committed) before the SMTP transaction and marked
``sent`` after it; a re-run only ever picks ``queued`` messages, so a crash between the two leaves
the message ``sending`` for a person to check — it is never sent a second time.
"""

from __future__ import annotations

import datetime as dt
import smtplib
import time
from typing import Any, Callable, Protocol, Sequence

from sqlalchemy import func, select, update

from arcollect import audit
from arcollect import calendar
from arcollect.cases import service as cases
from arcollect.context import Context
from arcollect.errors import Conflict, InvalidInput, NotFound
from arcollect.ledger import service as ledger
from arcollect.ledger.models import Contact, Customer, Invoice
from arcollect.outreach import inbound
from arcollect.outreach.models import STATUSES, InboundAttachment, InboundMessage, OutboxMessage
from arcollect.outreach.render import Item, Message, pick_language, render
from arcollect.outreach.smtp import Sender, SmtpSender, build_email, new_message_id
from arcollect.playbook import service as playbooks
from arcollect.worklist import service as worklists

SenderFactory = Callable[[], Sender]


def _recipient(contacts: list[dict[str, Any]], customer: dict[str, Any]) -> tuple[str | None, str | None, str | None]:
    """(email, name, language) of whom to write to: the primary AP contact, any AP contact, the primary
    contact, else the account's own email."""
    ranked = sorted((k for k in contacts if not k.get("bouncing")), key=lambda k: (k["role"] != "ap", not k["primary"]))
    if ranked:
        k = ranked[0]
        return k["email"], k["name"], k["language"]
    return customer.get("email"), None, None


def compose(ctx: Context, *, customer_id: str, step: str, template: str, invoices: Sequence[str],
            as_of: dt.date, unapplied: dict | None = None) -> tuple[list[str], Message]:
    """The recipients and the merge fields of one customer's message for a step."""
    with ctx.sessions() as session:
        c = ledger.scoped_customer(session, ledger.EVERYTHING, customer_id)
        contacts = ledger.contacts_of(session, c.id)
        items = ledger.open_items_by_customer(session, customer_pks=[c.id], as_of=as_of).get(c.id, [])
        return _message_for(ctx, c, contacts, items, step, template, invoices, as_of, unapplied)


def _message_for(ctx: Context, c: Customer, contacts: list[dict[str, Any]], open_items: list[dict[str, Any]],
                 step: str, template: str, invoices: Sequence[str], as_of: dt.date,
                 unapplied: dict | None) -> tuple[list[str], Message]:
    email, name, contact_language = _recipient(contacts, {"email": c.email})
    wanted = set(invoices)
    items = tuple(Item(i["invoice_id"], i["po_number"], i["issue_date"], i["due_date"], i["days_past_due"],
                       i["open_amount"], i["currency"]) for i in open_items if i["invoice_id"] in wanted)
    settings = ctx.settings
    message = Message(template=template, language=pick_language(contact_language, c.language), as_of=as_of,
                      company=settings.company_name, customer_id=c.customer_id, customer_name=c.name,
                      reference=f"{c.customer_id}-{as_of:%Y%m%d}", items=items, contact_name=name,
                      unapplied=unapplied or {}, payment_instructions=settings.payment_instructions,
                      signature_name=f"{settings.company_name} collections", signature_email=settings.mail_from)
    return ([email] if email else []), message


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
        keys = set(session.scalars(select(OutboxMessage.idempotency_key)
                                   .where(OutboxMessage.as_of <= as_of, OutboxMessage.as_of >= as_of - dt.timedelta(days=60))))
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
        slots: dict[tuple, dt.datetime] = {}
        for a in todo:
            c = customers[a["customer_pk"]]
            key = f"{a['customer_id']}/{a['step']}/{a['proposed_on']}"
            to, message = _message_for(ctx, c, contacts.get(c.id, []), items.get(c.id, []), a["step"],
                                       a["template"] or a["step"], a["invoices"], as_of,
                                       dict(a["amounts"]) if not a["invoices"] else None)
            if not to:
                out["problems"].append(f"{a['customer_id']}: no email address (no contact, no account email)")
                continue
            rendered = render(message)
            slot_key = (c.timezone, c.country)
            if slot_key not in slots:
                slots[slot_key] = calendar.first_call_slot(now, customer_tz=c.timezone, customer_country=c.country,
                                                           contact=window) or now
            status = "awaiting_approval" if a["needs_approval"] else "queued"
            step = playbook.step(a["segment"], a["step"])
            attachment = None
            if step is not None and step.attach:
                attachment = letter(ctx, customer_id=a["customer_id"], kind=step.attach, as_of=as_of)
            session.add(OutboxMessage(
                idempotency_key=key, customer_pk=c.id, action_pk=int(a["id"]), step=a["step"],
                template=message.template, language=rendered.language, as_of=dt.date.fromisoformat(a["proposed_on"]),
                to_addrs=to, subject=rendered.subject, body_text=rendered.text, body_html=rendered.html,
                message_id=new_message_id(key, ctx.settings), invoices=list(a["invoices"]), status=status,
                not_before=slots[slot_key], created_at=now,
                attachment=attachment[0] if attachment else None, attachment_name=attachment[1] if attachment else None))
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
    for p in cases.promise_states(session, within=[message.customer_pk], as_of=today).get(message.customer_pk, []):
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
                cases.record_activity(session, customer_pk=message.customer_pk, kind="email", at=message.sent_at,
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
    return {"as_of": as_of.isoformat(), "dry_run": False, **queued, **sent}


def preview(ctx: Context, *, as_of: dt.date) -> list[dict[str, Any]]:
    """What the day's dunning would queue, per customer and step (nothing is stored)."""
    out = []
    with ctx.sessions() as session:
        keys = set(session.scalars(select(OutboxMessage.idempotency_key).where(OutboxMessage.as_of == as_of)))
    for p in worklists.proposals(ctx, as_of=as_of, channel="email"):
        if f"{p['customer_id']}/{p['step']}/{as_of.isoformat()}" in keys:
            continue
        to, message = compose(ctx, customer_id=p["customer_id"], step=p["step"], template=p["template"] or p["step"],
                              invoices=p["invoices"], as_of=as_of, unapplied=p["amounts"] if not p["invoices"] else None)
        rendered = render(message)
        out.append({"customer_id": p["customer_id"], "step": p["step"], "to": to, "language": rendered.language,
                    "subject": rendered.subject, "invoices": list(p["invoices"]),
                    "needs_approval": p["needs_approval"]})
    return out


def letter(ctx: Context, *, customer_id: str, kind: str = "statement", as_of: dt.date | None = None,
           scope: Any = None) -> tuple[bytes, str]:
    """A statement of account, final notice or demand letter as PDF: (bytes, file name)."""
    from arcollect.outreach import letters

    day = as_of or ctx.clock.today()
    view = ledger.customer_overview(ctx, customer_id=customer_id, as_of=day, scope=scope or ledger.EVERYTHING)
    invoices = [i["invoice_id"] for i in view.open_items]
    unapplied = {cur: view.unapplied_cash.get(cur, 0) + view.unapplied_credits.get(cur, 0)
                 for cur in set(view.unapplied_cash) | set(view.unapplied_credits)}
    _, message = compose(ctx, customer_id=customer_id, step=kind, template="reminder", invoices=invoices, as_of=day,
                         unapplied=unapplied)
    report = ledger.aging(ctx, as_of=day, customer_ids=[customer_id])
    aging = [letters.AgingLine(r.currency, tuple(r.buckets), r.total) for r in report.rows]
    c = view.customer
    pdf = letters.letter_pdf(message, kind=kind, aging=aging, bucket_names=report.bucket_names,
                             company_address=ctx.settings.company_address,
                             paper=letters.paper_for(ctx.settings.letter_paper, c.get("country")))
    return pdf, f"{kind}-{customer_id}-{day.isoformat()}.pdf"


def list_outbox(ctx: Context, *, status: str | None = None, limit: int = 500,
                scope: ledger.CustomerScope = ledger.EVERYTHING, customer_id: str | None = None) -> list[dict[str, Any]]:
    """Outbox messages in the caller's scope, newest first."""
    if status is not None and status not in STATUSES:
        raise InvalidInput(f"status: {status!r} is not one of {', '.join(STATUSES)}")
    with ctx.sessions() as session:
        stmt = (select(OutboxMessage, Customer.customer_id).join(Customer, Customer.id == OutboxMessage.customer_pk)
                .order_by(OutboxMessage.id.desc()).limit(limit))
        if status is not None:
            stmt = stmt.where(OutboxMessage.status == status)
        if scope.condition() is not None:
            stmt = stmt.where(scope.condition())
        if customer_id is not None:
            stmt = stmt.where(Customer.customer_id == customer_id)
        rows = session.execute(stmt).all()
    return [{"id": str(m.id), "customer_id": cid, "step": m.step, "status": m.status, "to": m.to_addrs,
             "subject": m.subject, "language": m.language, "as_of": m.as_of.isoformat(), "invoices": m.invoices,
             "not_before": m.not_before.isoformat(), "sent_at": m.sent_at.isoformat() if m.sent_at else None,
             "message_id": m.message_id, "note": m.status_note or m.last_error,
             "attachment": m.attachment_name} for m, cid in rows]


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


# ---- inbound mail ----------------------------------------------------------------------------


class Mailbox(Protocol):
    """The IMAP port: tests use a real Dovecot server."""

    def fetch_new(self) -> list[tuple[Any, bytes]]: ...

    def done(self, uids: list[Any]) -> None: ...

    def close(self) -> None: ...


class ImapMailbox:
    """The configured IMAP folder; processed mail moves to ``IMAP_PROCESSED_FOLDER``."""

    def __init__(self, settings: Any) -> None:
        from imapclient import IMAPClient

        if not settings.imap_host:
            raise InvalidInput("set ARCOLLECT_IMAP_HOST (and IMAP_USER, IMAP_PASSWORD) to read replies")
        self.settings = settings
        self.client = IMAPClient(settings.imap_host, port=settings.imap_port, ssl=settings.imap_ssl, timeout=30)
        self.client.login(settings.imap_user or "", settings.imap_password or "")
        self.client.select_folder(settings.imap_folder)

    def fetch_new(self) -> list[tuple[Any, bytes]]:
        uids = self.client.search("ALL")
        out = []
        for i in range(0, len(uids), 200):
            for uid, data in self.client.fetch(uids[i:i + 200], ["RFC822"]).items():
                out.append((uid, data[b"RFC822"]))
        return out

    def done(self, uids: list[Any]) -> None:
        if not uids:
            return
        target = self.settings.imap_processed_folder
        if not self.client.folder_exists(target):
            self.client.create_folder(target)
        self.client.move(uids, target)

    def close(self) -> None:
        try:
            self.client.logout()
        except Exception:  # the server went away: nothing left to do
            pass


def _link(session: Any, parsed: inbound.Parsed) -> tuple[int | None, int | None, str | None]:
    """(customer key, outbox message key, why): the thread first, then the sender, then invoice numbers."""
    thread = [i for i in [parsed.in_reply_to, *parsed.references] if i]
    if thread:
        row = session.execute(select(OutboxMessage.customer_pk, OutboxMessage.id)
                              .where(OutboxMessage.message_id.in_(thread))).first()
        if row is not None:
            return row[0], row[1], "answers our message"
    if parsed.from_addr and parsed.kind != "bounce":
        found = set(session.scalars(select(Contact.customer_pk).where(func.lower(Contact.email) == parsed.from_addr)))
        found |= set(session.scalars(select(Customer.id).where(func.lower(Customer.email) == parsed.from_addr)))
        if len(found) == 1:
            return found.pop(), None, "sender is a contact"
        domain = parsed.from_addr.rsplit("@", 1)[-1]
        if domain and domain not in PUBLIC_MAIL_DOMAINS:
            by_domain = set(session.scalars(select(Contact.customer_pk).where(func.lower(Contact.email).like(f"%@{domain}"))))
            if len(by_domain) == 1:
                return by_domain.pop(), None, f"sender's domain {domain}"
    tokens = inbound.invoice_candidates(f"{parsed.subject}\n{parsed.text}")
    if tokens:
        owners = set(session.scalars(select(Invoice.customer_pk).where(Invoice.invoice_id.in_(sorted(tokens)[:500]))))
        if len(owners) == 1:
            return owners.pop(), None, "invoice number in the text"
    return None, None, None


PUBLIC_MAIL_DOMAINS = frozenset({"gmail.com", "outlook.com", "hotmail.com", "yahoo.com", "icloud.com", "gmx.de",
                                 "web.de", "orange.fr", "free.fr", "aol.com", "proton.me", "protonmail.com"})


def fetch_mail(ctx: Context, *, mailbox_factory: Callable[[], Mailbox] | None = None) -> dict[str, int]:
    """`arcollect mail fetch`: read new mail, store it raw and parsed, link it (or leave it for triage),
    mark bouncing addresses, move it to the processed folder. A message already stored is skipped."""
    mailbox = (mailbox_factory or (lambda: ImapMailbox(ctx.settings)))()
    counts = {"fetched": 0, "linked": 0, "triage": 0, "bounces": 0, "duplicates": 0}
    try:
        messages = mailbox.fetch_new()
        processed = []
        for uid, raw in messages:
            parsed = inbound.parse(raw)
            now = ctx.clock.now()
            with ctx.unit_of_work() as session:
                if session.scalar(select(InboundMessage.id).where(InboundMessage.message_id == parsed.message_id)):
                    counts["duplicates"] += 1
                    processed.append(uid)
                    continue
                customer_pk, outbox_pk, why = _link(session, parsed)
                if parsed.kind == "bounce":
                    counts["bounces"] += _mark_bouncing(session, parsed.bounced, now)
                    if customer_pk is None and parsed.bounced:
                        owner = session.scalar(select(Contact.customer_pk)
                                               .where(func.lower(Contact.email).in_(parsed.bounced)).limit(1))
                        customer_pk, why = owner, ("bounce of a contact's address" if owner else why)
                row = InboundMessage(message_id=parsed.message_id, from_addr=parsed.from_addr, to_addrs=parsed.to_addrs,
                                     subject=parsed.subject[:1000], sent_at=parsed.sent_at,
                                     in_reply_to=parsed.in_reply_to, references=parsed.references, kind=parsed.kind,
                                     body_text=parsed.text, body_html=parsed.html, raw=raw, customer_pk=customer_pk,
                                     outbox_pk=outbox_pk, match_reason=why,
                                     status="linked" if customer_pk else "triage", fetched_at=now)
                session.add(row)
                session.flush()
                for name, content_type, data in parsed.attachments:
                    session.add(InboundAttachment(message_pk=row.id, filename=name[:500], content_type=content_type[:200],
                                                  data=data))
                if customer_pk is not None:
                    label = {"reply": "Reply", "auto_reply": "Auto-reply", "bounce": "Bounce", "forward": "Forwarded"}[parsed.kind]
                    files = f" ({len(parsed.attachments)} attachment(s))" if parsed.attachments else ""
                    cases.record_activity(session, customer_pk=customer_pk, kind="email", outcome="inbound", at=now,
                                          actor=parsed.from_addr or "mailbox",
                                          note=f"{label} received: {parsed.subject}{files}\n\n{parsed.text[:4000]}")
                counts["linked" if customer_pk else "triage"] += 1
                counts["fetched"] += 1
            processed.append(uid)
        mailbox.done(processed)
    finally:
        mailbox.close()
    return counts


def _mark_bouncing(session: Any, addresses: list[str], now: dt.datetime) -> int:
    if not addresses:
        return 0
    return session.execute(update(Contact).where(func.lower(Contact.email).in_(addresses),
                                                 Contact.bouncing_since.is_(None))
                           .values(bouncing_since=now)).rowcount


def triage(ctx: Context, *, limit: int = 200) -> list[dict[str, Any]]:
    """Inbound mail no customer could be matched to, newest first."""
    with ctx.sessions() as session:
        rows = session.scalars(select(InboundMessage).where(InboundMessage.status == "triage")
                               .order_by(InboundMessage.id.desc()).limit(limit)).all()
    return [{"id": str(m.id), "from": m.from_addr, "subject": m.subject, "kind": m.kind,
             "received": m.fetched_at.isoformat(), "text": (m.body_text or "")[:2000]} for m in rows]


def inbound_of(ctx: Context, *, customer_id: str, scope: ledger.CustomerScope = ledger.EVERYTHING) -> list[dict[str, Any]]:
    """A customer's inbound mail (404 outside the caller's scope), newest first."""
    with ctx.sessions() as session:
        c = ledger.scoped_customer(session, scope, customer_id)
        rows = session.scalars(select(InboundMessage).where(InboundMessage.customer_pk == c.id)
                               .order_by(InboundMessage.id.desc())).all()
        out = []
        for m in rows:
            files = session.execute(select(InboundAttachment.filename, InboundAttachment.content_type)
                                    .where(InboundAttachment.message_pk == m.id)).all()
            out.append({"id": str(m.id), "kind": m.kind, "from": m.from_addr, "subject": m.subject,
                        "match": m.match_reason, "answers": str(m.outbox_pk) if m.outbox_pk else None,
                        "attachments": [{"name": n, "type": t} for n, t in files]})
    return out


def message_detail(ctx: Context, *, message_id: str, scope: ledger.CustomerScope = ledger.EVERYTHING) -> dict[str, Any]:
    """One outbox message with its content (the outbox page's preview)."""
    with ctx.sessions() as session:
        m, _ = ledger.scoped_record(session, scope, OutboxMessage, message_id, "outbox message")
        cid = session.scalar(select(Customer.customer_id).where(Customer.id == m.customer_pk))
        return {"id": str(m.id), "customer_id": cid, "step": m.step, "status": m.status, "to": m.to_addrs,
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


def link_inbound(ctx: Context, *, message_id: str, customer_id: str,
                 scope: ledger.CustomerScope = ledger.EVERYTHING) -> dict[str, Any]:
    """Triage: link an unmatched inbound message to a customer; it goes on the account's timeline."""
    now = ctx.clock.now()
    with ctx.unit_of_work() as session:
        try:
            m = session.get(InboundMessage, int(message_id))
        except (TypeError, ValueError):
            m = None
        if m is None:
            raise NotFound(f"inbound message {message_id!r} not found")
        if m.status != "triage":
            raise Conflict(f"inbound message {m.id} is already linked")
        customer = ledger.scoped_customer(session, scope, customer_id)
        m.customer_pk, m.status, m.match_reason = customer.id, "linked", f"linked by {ctx.actor}"
        cases.record_activity(session, customer_pk=customer.id, kind="email", outcome="inbound", at=now, actor=ctx.actor,
                              note=f"Mail from {m.from_addr} linked from triage: {m.subject}\n\n{(m.body_text or '')[:4000]}")
        audit.record(session, at=now, actor=ctx.actor, action="link", entity="inbound", entity_key=str(m.id),
                     changes={"customer": customer.customer_id})
        return {"id": str(m.id), "customer_id": customer.customer_id}
