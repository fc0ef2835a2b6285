"""Reply drafts queued in the outbox (called through ``assistant.service``): a triaged reply becomes a draft
(``drafts.compose``, worded by the language model when one is configured and its wording keeps every fact),
stored as an outbox message ``awaiting_approval`` addressed to the reply's sender; the collector edits it and
approves it (``outbox approve``) before anything is sent. Audited; drafting the same reply twice gives the
same draft."""

from __future__ import annotations

import datetime as dt
import html
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from arcollect import audit
from arcollect.assistant import answers, drafts, knowledge, providers, refine
from arcollect.context import Context
from arcollect.disputes.models import Dispute, DisputeItem
from arcollect.disputes.workflow import ACTIVE
from arcollect.errors import Conflict, InvalidInput, NotFound
from arcollect.ledger import service as ledger
from arcollect.ledger.models import Customer, Invoice
from arcollect.outreach.models import OutboxMessage
from arcollect.outreach.smtp import new_message_id

STEP = "assistant_reply"
_FOR_INTENT = {"promise_to_pay": "confirm_promise", "dispute": "acknowledge_dispute", "invoice_copy": "invoice_copy"}


def _html(text: str) -> str:
    return "".join(f"<p>{html.escape(p).replace(chr(10), '<br>')}</p>" for p in text.split("\n\n"))


def _case(session: Any, customer: Customer, invoices: list[str], dispute_id: str | None) -> Dispute:
    """The dispute the draft acknowledges: the one named, else the active dispute of the invoices named,
    else the account's latest active dispute."""
    if dispute_id is not None:
        d = session.get(Dispute, int(dispute_id)) if str(dispute_id).isdigit() else None
        if d is None or d.customer_pk != customer.id:
            raise NotFound(f"dispute {dispute_id} of {customer.customer_id} not found")
        return d
    stmt = select(Dispute).where(Dispute.customer_pk == customer.id, Dispute.status.in_(tuple(ACTIVE)))
    if invoices:
        named = (stmt.join(DisputeItem, DisputeItem.dispute_pk == Dispute.id)
                 .join(Invoice, Invoice.id == DisputeItem.invoice_pk).where(Invoice.invoice_id.in_(invoices)))
        d = session.scalars(named.order_by(Dispute.id.desc())).first()
        if d is not None:
            return d
    d = session.scalars(stmt.order_by(Dispute.id.desc())).first()
    if d is None:
        raise InvalidInput(f"{customer.customer_id} has no open dispute to acknowledge: open it first "
                           "(dispute open …, or approve the proposed action) or pass --dispute ID")
    return d


def queue(ctx: Context, *, triage: dict[str, Any], reply_to: str | None, reply_message_id: str, subject: str,
          sender_name: str | None, kind: str | None, tone: str | None, dispute_id: str | None,
          scope: ledger.CustomerScope, provider: providers.Provider, masker: Any) -> dict[str, Any]:
    if triage["customer_id"] is None:
        raise InvalidInput("the email is linked to no account (in your portfolio): no draft")
    if not reply_to:
        raise InvalidInput("the email has no sender address to answer")
    if kind is None and triage["intent"] in ("other", "invoice_copy") and knowledge.topics(triage["text"]):
        kind = "answer_question"  # a question the knowledge base knows (bank details, W-9, late fee, …)
    if kind is None and triage["intent"] == "other" and knowledge.asks(triage["text"]):
        kind = "answer_question"
    kind = kind or _FOR_INTENT.get(triage["intent"])
    if kind is None:
        raise InvalidInput(f"no draft for a reply read as {triage['intent']}: choose a kind "
                           f"({', '.join(drafts.KINDS)})")
    if kind not in drafts.KINDS:
        raise InvalidInput(f"draft kind {kind!r} is not one of {', '.join(drafts.KINDS)}")
    if tone is not None and tone not in drafts.TONES:
        raise InvalidInput(f"tone {tone!r} is not one of {', '.join(drafts.TONES)}")
    key = f"assistant/{triage['customer_id']}/{kind}/{reply_message_id}"[:200]
    source: dict[str, Any] | None = None
    now = ctx.clock.now()
    with ctx.unit_of_work() as session:
        customer = ledger.scoped_customer(session, scope, triage["customer_id"])
        existing = session.scalar(select(OutboxMessage).where(OutboxMessage.idempotency_key == key))
        if existing is not None:
            return {**view(existing, triage["customer_id"], llm=None), "source": _source_of(session, existing)}
        last = session.scalar(select(OutboxMessage.template).where(OutboxMessage.customer_pk == customer.id,
                                                                   OutboxMessage.step != STEP)
                              .order_by(OutboxMessage.id.desc()).limit(1))
        chosen_tone = tone or drafts.tone_of(last)
        args: dict[str, Any] = {"invoices": triage["invoices"], "currency": customer.currency}
        if kind == "confirm_promise":
            if not triage["promise"]:
                raise InvalidInput("the reply states no promise date: nothing to confirm")
            args["date"] = dt.date.fromisoformat(triage["promise"]["date"])
            amount = triage["promise"]["amount"]
            args["amount"] = Decimal(amount) if amount else None
        elif kind == "acknowledge_dispute":
            d = _case(session, customer, triage["invoices"], dispute_id)
            args.update(case=str(d.id), team=d.team)
        elif kind == "answer_question":
            found = answers.find(ctx, text=triage["text"], language_code=triage["language"])
            if found is None:
                look = knowledge.lookup(triage["text"])
                raise InvalidInput("no answer found in the knowledge base (SOPs and the admins' answers) for "
                                   f"“{knowledge.question(triage['text'])[:200]}” — looked up: "
                                   f"{', '.join(look.keywords) or 'no words to look up'}. No draft: write the "
                                   "reply yourself, or ask an admin to add the answer")
            source = found
            args = {"invoices": [], "answer": found["text"],
                    "source": found["title"] + (f" — {found['section']}" if found["section"] else "")}
        draft = drafts.compose(kind, language=triage["language"], tone=chosen_tone, company=ctx.settings.company_name,
                               name=(sender_name or "").split(" ")[0] or None, original_subject=subject, **args)
        llm: dict[str, Any] = {"provider": provider.name, "used": False, "fallback": None}
        subject_out, text_out = draft.subject, draft.text
        if provider.enabled:
            try:
                subject_out, text_out = refine.draft(provider, subject=draft.subject, text=draft.text,
                                                     language=draft.language, tone=draft.tone, keep=list(draft.keep),
                                                     masker=masker)
                llm["used"] = True
            except providers.ProviderError as exc:
                llm["fallback"] = f"offline draft kept: {exc}"
        attach = "statement" if kind == "invoice_copy" else None
        m = OutboxMessage(idempotency_key=key, customer_pk=customer.id, action_pk=None, step=STEP,
                          template=f"assistant_{kind}", language=draft.language, as_of=ctx.clock.today(),
                          to_addrs=[reply_to], subject=subject_out[:500], body_text=text_out, body_html=_html(text_out),
                          message_id=new_message_id(key, ctx.settings), invoices=[],  # a reply is not a reminder:
                          status="awaiting_approval", not_before=now, created_at=now,  # never suppressed as one
                          attachment_kind=attach,
                          attachment_name=f"statement-{customer.customer_id}.pdf" if attach else None)
        session.add(m)
        session.flush()
        audit.record(session, at=now, actor=ctx.actor, action="draft", entity="outbox", entity_key=str(m.id),
                     changes={"kind": kind, "tone": chosen_tone, "language": draft.language, "to": [reply_to],
                              "invoices": triage["invoices"], "llm": llm["used"], "evidence": triage["evidence"][:10],
                              **({"source": _cited(source)} if source else {})})
        return {**view(m, customer.customer_id, llm=llm), "source": _cited(source)}


def _cited(found: dict[str, Any] | None) -> dict[str, Any] | None:
    """The knowledge-base document an answer came from, as the draft and its audit row cite it."""
    if not found:
        return None
    return {"kind": found["kind"], "id": found["id"], "title": found["title"], "section": found["section"],
            "language": found["language"]}


def _source_of(session: Any, m: OutboxMessage) -> dict[str, Any] | None:
    """The document a stored answer draft cited (read back from its audit row)."""
    if m.template != "assistant_answer_question":
        return None
    row = session.scalar(select(audit.AuditEntry).where(audit.AuditEntry.entity == "outbox",
                                                        audit.AuditEntry.entity_key == str(m.id),
                                                        audit.AuditEntry.action == "draft").limit(1))
    return (row.changes or {}).get("source") if row is not None else None


def view(m: OutboxMessage, customer_id: str, *, llm: dict[str, Any] | None) -> dict[str, Any]:
    return {"id": str(m.id), "customer_id": customer_id, "status": m.status, "kind": m.template.removeprefix("assistant_"),
            "language": m.language, "to": list(m.to_addrs), "subject": m.subject, "text": m.body_text,
            "attachment": m.attachment_name, "llm": llm}


def edit(ctx: Context, *, message_id: str, subject: str | None = None, text: str | None = None,
         scope: ledger.CustomerScope = ledger.EVERYTHING) -> dict[str, Any]:
    """The collector's edit of a draft still awaiting approval (audited with what changed)."""
    if subject is None and text is None:
        raise InvalidInput("nothing to change: give a subject or a text")
    if subject is not None and not (0 < len(subject.strip()) <= 500):
        raise InvalidInput("subject: 1 to 500 characters")
    if text is not None and not (0 < len(text.strip()) <= 20_000):
        raise InvalidInput("text: 1 to 20,000 characters")
    now = ctx.clock.now()
    with ctx.unit_of_work() as session:
        m, customer = ledger.scoped_record(session, scope, OutboxMessage, message_id, "outbox message")
        if m.step != STEP:
            raise Conflict(f"message {m.id} is not an assistant draft")
        if m.status != "awaiting_approval":
            raise Conflict(f"message {m.id} is {m.status}: only a draft awaiting approval can be edited")
        before = {"subject": m.subject, "text": m.body_text}
        if subject is not None:
            m.subject = subject.strip()
        if text is not None:
            m.body_text, m.body_html = text.strip(), _html(text.strip())
        audit.record(session, at=now, actor=ctx.actor, action="edit", entity="outbox", entity_key=str(m.id),
                     changes=audit.diff(before, {"subject": m.subject, "text": m.body_text}))
        return view(m, customer.customer_id, llm=None)
