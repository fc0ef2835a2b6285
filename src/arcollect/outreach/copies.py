"""A copy a customer asked for (the assistant's approved "send the invoice copy"): one message listing the
invoices asked for, with the statement of account as PDF, queued in the outbox like a dunning message and
sent in the customer's business hours. It lists no invoices for the dunning re-check (a copy still goes when
an invoice is disputed or promised: the customer asked for it)."""

from __future__ import annotations

from typing import Any, Sequence

from sqlalchemy import select

from arcollect import audit, calendar
from arcollect.context import Context
from arcollect.errors import InvalidInput
from arcollect.ledger import service as ledger
from arcollect.outreach.compose import message_for
from arcollect.outreach.models import OutboxMessage
from arcollect.outreach.render import render
from arcollect.outreach.sandbox import Limits
from arcollect.outreach.smtp import new_message_id
from arcollect.outreach.template_store import overrides
from arcollect.playbook import service as playbooks


def queue_copy(ctx: Context, *, customer_id: str, invoices: Sequence[str], key: str, reason: str,
               scope: ledger.CustomerScope = ledger.EVERYTHING) -> dict[str, Any]:
    """Queue the copy (idempotent by ``key``: the same request queues one message). Refused when the account
    has no address to write to or the invoices asked for are not open invoices of the account."""
    now, today = ctx.clock.now(), ctx.clock.today()
    window = playbooks.active(ctx).playbook.settings.contact_window.window()
    with ctx.unit_of_work() as session:
        c = ledger.scoped_customer(session, scope, customer_id)
        idem = f"{c.customer_id}/copy/{key}"[:200]
        found = session.scalar(select(OutboxMessage).where(OutboxMessage.idempotency_key == idem))
        if found is not None:
            return {"id": str(found.id), "status": found.status, "to": list(found.to_addrs)}
        items = ledger.open_items_by_customer(session, customer_pks=[c.id], as_of=today).get(c.id, [])
        open_ids = [i["invoice_id"] for i in items]
        wanted = list(dict.fromkeys(invoices)) or open_ids
        unknown = [i for i in wanted if i not in open_ids]
        if unknown:
            raise InvalidInput(f"the copy was not queued: not open invoices of {c.customer_id}: {', '.join(unknown[:20])}")
        to, message = message_for(ctx, c, ledger.contacts_of(session, c.id), items, "copy", "reminder", wanted,
                                  today, None)
        if not to:
            raise InvalidInput(f"the copy was not queued: {c.customer_id} has no email address (no contact, no account email)")
        rendered = render(message, overrides=overrides(session), limits=Limits.of(ctx.settings))
        slot = calendar.first_call_slot(now, customer_tz=c.timezone, customer_country=c.country, contact=window) or now
        row = OutboxMessage(idempotency_key=idem, customer_pk=c.id, step="copy", template=message.template,
                            language=rendered.language, as_of=today, to_addrs=to, subject=rendered.subject,
                            body_text=rendered.text, body_html=rendered.html, message_id=new_message_id(idem, ctx.settings),
                            invoices=[], status="queued", not_before=slot, created_at=now, attachment_kind="statement",
                            attachment_name=f"statement-{c.customer_id}-{today.isoformat()}.pdf")
        session.add(row)
        session.flush()
        audit.record(session, at=now, actor=ctx.actor, action="queue", entity="outbox", entity_key=str(row.id),
                     changes={"customer": c.customer_id, "step": "copy", "invoices": wanted, "why": reason})
        return {"id": str(row.id), "status": "queued", "to": to, "invoices": wanted}
