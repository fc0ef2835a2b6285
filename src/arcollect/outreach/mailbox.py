"""Inbound mail: `arcollect mail fetch` reads the IMAP mailbox, stores every message raw and parsed,
links it to the customer and the message it answers (thread, then sender, then invoice numbers), marks
bounced addresses, and leaves what matches nothing in the triage queue."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any, Callable, Protocol

from sqlalchemy import func, select, update

from arcollect import audit
from arcollect.bounds import parse_pk
from arcollect.context import Context
from arcollect.db import like_literal
from arcollect.errors import Conflict, InvalidInput, NotFound
from arcollect.ledger import service as ledger
from arcollect.ledger.models import Contact, Customer, Invoice
from arcollect.outreach import inbound
from arcollect.outreach.models import InboundAttachment, InboundMessage, OutboxMessage
from arcollect.promises import service as promises

log = logging.getLogger(__name__)


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
            by_domain = set(session.scalars(select(Contact.customer_pk)
                                            .where(like_literal(func.lower(Contact.email), f"@{domain}", at="end"))))
            if len(by_domain) == 1:
                return by_domain.pop(), None, f"sender's domain {domain}"
    tokens = inbound.invoice_candidates(f"{parsed.subject}\n{parsed.text}")
    if tokens:
        owners = set(session.scalars(select(Invoice.customer_pk).where(Invoice.invoice_id.in_(sorted(tokens)[:500]))))
        if len(owners) == 1:
            return owners.pop(), None, "invoice number in the text"
    return None, None, None


def link_message(session: Any, parsed: inbound.Parsed) -> tuple[int | None, int | None, str | None]:
    """How inbound mail is linked (customer key, outbox message key, why) — read-only, shared with the assistant."""
    return _link(session, parsed)


PUBLIC_MAIL_DOMAINS = frozenset({"gmail.com", "outlook.com", "hotmail.com", "yahoo.com", "icloud.com", "gmx.de",
                                 "web.de", "orange.fr", "free.fr", "aol.com", "proton.me", "protonmail.com"})


def fetch_mail(ctx: Context, *, mailbox_factory: Callable[[], Mailbox] | None = None) -> dict[str, int]:
    """`arcollect mail fetch`: read new mail, store it raw and parsed, link it (or leave it for triage),
    mark bouncing addresses, move it to the processed folder. A message already stored is skipped."""
    mailbox = (mailbox_factory or (lambda: ImapMailbox(ctx.settings)))()
    counts = {"fetched": 0, "linked": 0, "triage": 0, "bounces": 0, "duplicates": 0, "advices": 0}
    advised: list[int] = []  # bank lines an advice of this fetch attached to
    stored: list[int] = []   # the messages of this fetch, triaged by the assistant once stored
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
                stored.append(row.id)
                for name, content_type, data in parsed.attachments:
                    session.add(InboundAttachment(message_pk=row.id, filename=name[:500], content_type=content_type[:200],
                                                  data=data))
                advice = _advice(ctx, session, row, parsed, customer_pk, now) if parsed.kind in ("reply", "forward") else None
                if advice is not None:
                    counts["advices"] += 1
                    if customer_pk is None and advice["customer_pk"] is not None:
                        customer_pk = row.customer_pk = advice["customer_pk"]
                        row.status, row.match_reason = "linked", "remittance advice names its invoices"
                    if advice["line_pk"] is not None:
                        advised.append(advice["line_pk"])
                if customer_pk is not None:
                    label = {"reply": "Reply", "auto_reply": "Auto-reply", "bounce": "Bounce", "forward": "Forwarded"}[parsed.kind]
                    if advice is not None:
                        label = "Remittance advice"
                    files = f" ({len(parsed.attachments)} attachment(s))" if parsed.attachments else ""
                    if advice is not None and advice["note"]:
                        files += f" — {advice['note']}"
                    promises.record_activity(session, customer_pk=customer_pk, kind="email", outcome="inbound", at=now,
                                          actor=parsed.from_addr or "mailbox",
                                          note=f"{label} received: {parsed.subject}{files}\n\n{parsed.text[:4000]}")
                counts["linked" if customer_pk else "triage"] += 1
                counts["fetched"] += 1
            processed.append(uid)
        mailbox.done(processed)
    finally:
        mailbox.close()
    if advised:  # the lines advices just attached to are matched again with what the advices say
        from arcollect.cashapp import service as cash

        cash.match(ctx, line_ids=advised)
    counts["advices_attached"] = len(advised)
    counts["proposals"] = sum(_triage(ctx, pk) for pk in stored)
    return counts


def _triage(ctx: Context, message_pk: int) -> int:
    """The assistant reads a stored reply and keeps its proposals (nothing else changes until a person
    approves). A reply it cannot read stays stored and in the queue as it is: the fetch goes on."""
    from arcollect.assistant import service as assistant

    try:
        return assistant.triage_inbound(ctx, message_pk=message_pk)["proposals"]
    except Exception as exc:  # noqa: BLE001 — the mail is stored already; a triage failure must not stop the fetch
        log.warning("assistant triage of inbound message %s failed: %s", message_pk, type(exc).__name__)
        return 0


def _advice(ctx: Context, session: Any, row: InboundMessage, parsed: inbound.Parsed, customer_pk: int | None,
            now: dt.datetime) -> dict[str, Any] | None:
    """The message read as a remittance advice by cash application (None when it is none)."""
    from arcollect.cashapp import service as cash

    return cash.record_advice_in(ctx, session=session, message_pk=row.id, customer_pk=customer_pk,
                                 sender=parsed.from_addr, sender_name=parsed.from_name, subject=parsed.subject,
                                 text=parsed.text, html=parsed.html, attachments=parsed.attachments,
                                 received_at=parsed.sent_at or now)


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


def link_inbound(ctx: Context, *, message_id: str, customer_id: str,
                 scope: ledger.CustomerScope = ledger.EVERYTHING, retriage: bool = True) -> dict[str, Any]:
    """Triage: link an unmatched inbound message to a customer; it goes on the account's timeline. Then (unless
    ``retriage`` is off: the assistant's own log-the-reply approval, read against this account already) the
    assistant reads it again against the account's documents and proposes its actions (``proposals``)."""
    now = ctx.clock.now()
    with ctx.unit_of_work() as session:
        pk = parse_pk(message_id)
        m = None if pk is None else session.get(InboundMessage, pk)
        if m is None:
            raise NotFound(f"inbound message {message_id!r} not found")
        if m.status != "triage":
            raise Conflict(f"inbound message {m.id} is already linked")
        customer = ledger.scoped_customer(session, scope, customer_id)
        m.customer_pk, m.status, m.match_reason = customer.id, "linked", f"linked by {ctx.actor}"
        promises.record_activity(session, customer_pk=customer.id, kind="email", outcome="inbound", at=now, actor=ctx.actor,
                              note=f"Mail from {m.from_addr} linked from triage: {m.subject}\n\n{(m.body_text or '')[:4000]}")
        audit.record(session, at=now, actor=ctx.actor, action="link", entity="inbound", entity_key=str(m.id),
                     changes={"customer": customer.customer_id})
        out = {"id": str(m.id), "customer_id": customer.customer_id}
    out["proposals"] = _retriage(ctx, pk) if retriage else 0
    return out


def _retriage(ctx: Context, message_pk: int) -> int:
    """The assistant reads a just-linked reply again (a failure leaves the link done: it is logged)."""
    from arcollect.assistant import service as assistant

    try:
        return assistant.retriage_linked(ctx, message_pk=message_pk)["proposals"]
    except Exception as exc:  # noqa: BLE001 — the link is committed; a triage failure must not undo or hide it
        log.warning("assistant re-triage of inbound message %s failed: %s", message_pk, type(exc).__name__)
        return 0
