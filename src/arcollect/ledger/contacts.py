"""A contact changed from the collections side (the assistant's approved "please write to …"): the new
address becomes the account's primary AP contact, the one it replaces stays on file (history) but is no
longer primary nor AP, so dunning writes to the new one. Audited; the ERP's next contacts import may
overwrite it like any contact detail."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from arcollect import audit
from arcollect.context import Context
from arcollect.email_address import is_email_address
from arcollect.errors import InvalidInput
from arcollect.ledger.models import Contact
from arcollect.ledger.scope import EVERYTHING, CustomerScope
from arcollect.ledger.service import scoped_customer


def replace_contact(ctx: Context, *, customer_id: str, email: str, replaces: str | None = None,
                    why: str | None = None, scope: CustomerScope = EVERYTHING) -> dict[str, Any]:
    """Make ``email`` the primary AP contact of the account (added when new) and mark ``replaces`` (the old
    address, when given and on file) as replaced: no longer primary, role ``other``."""
    address = (email or "").strip().lower()
    if not is_email_address(address):
        raise InvalidInput(f"email: {email!r} is not an email address")
    now = ctx.clock.now()
    with ctx.unit_of_work() as session:
        c = scoped_customer(session, scope, customer_id)
        contacts = list(session.scalars(select(Contact).where(Contact.customer_pk == c.id)))
        new = next((k for k in contacts if k.email.lower() == address), None)
        old = next((k for k in contacts if replaces and k.email.lower() == replaces.strip().lower()), None)
        if new is not None and new is old:
            raise InvalidInput(f"email: {address} is the address it would replace")
        added = new is None
        if new is None:
            new = Contact(customer_pk=c.id, email=address, role="ap", primary=True, created_at=now, updated_at=now)
            session.add(new)
        for k in contacts:
            if k is not new and k.primary and k.role in ("ap", new.role):
                k.primary, k.updated_at = False, now
        new.role, new.primary, new.updated_at = "ap", True, now
        if old is not None:
            old.role, old.primary, old.updated_at = "other", False, now
        session.flush()
        audit.record(session, at=now, actor=ctx.actor, action="contact", entity="customer", entity_key=c.customer_id,
                     changes={"primary_ap": address, "added": added, "replaced": old.email if old else None,
                              "why": why})
        return {"customer_id": c.customer_id, "email": address, "added": added,
                "replaced": old.email if old else None}
