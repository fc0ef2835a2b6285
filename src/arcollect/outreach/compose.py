"""The merge fields of one customer's message for a playbook step: whom to write to (the primary AP
contact, any AP contact, the primary contact, else the account's email; bouncing addresses skipped),
in which language, and which open items it lists."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any, Sequence

from arcollect.context import Context
from arcollect.ledger import service as ledger
from arcollect.ledger.models import Customer
from arcollect.outreach.render import Item, Message, pick_language


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
        return message_for(ctx, c, contacts, items, step, template, invoices, as_of, unapplied)


def message_for(ctx: Context, c: Customer, contacts: list[dict[str, Any]], open_items: list[dict[str, Any]],
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


def account_message(ctx: Context, *, customer_id: str, step: str, template: str, as_of: dt.date,
                    past_due_only: bool = False, with_unapplied: bool = True, whole: bool = False,
                    scope: ledger.CustomerScope = ledger.EVERYTHING) -> tuple[ledger.CustomerOverview, Message]:
    """An account's overview and its message listing its open items (only the past-due ones if asked and
    there are any) with its unapplied cash and credits — letters and template previews.

    Dunning never asks for disputed money, so a message lists only the undisputed part of each item;
    ``whole`` (a statement of account) lists every open item at its whole open amount with its disputed
    part, so that the statement ties to the aging."""
    view = ledger.customer_overview(ctx, customer_id=customer_id, as_of=as_of, scope=scope)
    items = view.open_items
    if past_due_only:
        items = [i for i in items if i["days_past_due"] > 0] or items
    unapplied = {cur: view.unapplied_cash.get(cur, 0) + view.unapplied_credits.get(cur, 0)
                 for cur in set(view.unapplied_cash) | set(view.unapplied_credits)}
    _, message = compose(ctx, customer_id=customer_id, step=step, template=template,
                         invoices=[i["invoice_id"] for i in items], as_of=as_of,
                         unapplied=unapplied if with_unapplied else None)
    if whole:
        message = replace(message, items=tuple(
            Item(i["invoice_id"], i["po_number"], i["issue_date"], i["due_date"], i["days_past_due"],
                 i["open_amount"], i["currency"], i["disputed"]) for i in items))
    return view, message
