"""Customer accounts: the account overview (open items, unapplied cash and credits), contact details and
collections flags kept in arcollect (validated like the customers import; audited), the disputed invoices of a
customer, and portfolio assignment. Called through ``ledger.service``, which re-exports these functions."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from arcollect import audit
from arcollect.context import Context
from arcollect.errors import InvalidInput, NotFound
from arcollect.ledger import queries as Q
from arcollect.ledger.browse import contacts_of, customer_header, scoped_customer
from arcollect.ledger.models import CreditNote, Customer, Invoice, Payment
from arcollect.ledger.scope import EVERYTHING, CustomerScope
from arcollect.money import quantize

ZERO = Decimal(0)


@dataclass
class CustomerOverview:
    customer: dict[str, Any]
    parent_id: str | None
    children: list[str]
    contacts: list[dict[str, Any]]
    open_items: list[dict[str, Any]]
    unapplied_cash: dict[str, Decimal]
    unapplied_credits: dict[str, Decimal]
    as_of: dt.date

    @property
    def open_balance(self) -> dict[str, Decimal]:
        """Σ open amounts per currency."""
        totals: dict[str, Decimal] = {}
        for item in self.open_items:
            totals[item["currency"]] = totals.get(item["currency"], ZERO) + item["open_amount"]
        return totals

    @property
    def past_due(self) -> dict[str, Decimal]:
        """Σ open amounts past their due date per currency (every currency with an open amount)."""
        totals = dict.fromkeys(self.open_balance, ZERO)
        for item in self.open_items:
            if item["days_past_due"] > 0:
                totals[item["currency"]] += item["open_amount"]
        return totals


def customer_overview(ctx: Context, *, customer_id: str, as_of: dt.date,
                      scope: CustomerScope = EVERYTHING) -> CustomerOverview:
    with ctx.sessions() as session:
        c = scoped_customer(session, scope, customer_id)
        parent = session.scalar(select(Customer.customer_id).where(Customer.id == c.parent_pk)) if c.parent_pk else None
        children = list(session.scalars(select(Customer.customer_id).where(Customer.parent_pk == c.id)
                                        .order_by(Customer.customer_id)))
        contacts = contacts_of(session, c.id)
        items = Q.open_items(session, c.id, as_of)
        cash = Q.unapplied_by_customer(session, Payment, as_of, customer_ids=[customer_id])
        credits = Q.unapplied_by_customer(session, CreditNote, as_of, customer_ids=[customer_id])
        header = customer_header(c)
    return CustomerOverview(header, parent, children, contacts, items,
                            {k[1]: quantize(v, k[1]) for k, v in cash.items() if v},
                            {k[1]: quantize(v, k[1]) for k, v in credits.items() if v}, as_of)


CONTACT_FIELDS = ("email", "phone", "language", "timezone")
FLAG_FIELDS = ("risk", "do_not_contact", "credit_hold")  # kept in arcollect; imports never touch them
EDITABLE_FIELDS = CONTACT_FIELDS + FLAG_FIELDS
RISKS = ("low", "medium", "high")


def _risk(values: dict[str, str], column: str) -> str | None:
    from arcollect.ledger.import_rows import CellError

    value = values[column].lower()
    if value and value not in RISKS:
        raise CellError(column, f"{values[column]!r} is not a risk class (one of {', '.join(RISKS)})")
    return value or None


def _flag(values: dict[str, str], column: str) -> bool:
    from arcollect.ledger.import_rows import bool_value

    return bool_value(values, column)


def clean_contact_details(changes: dict[str, Any]) -> dict[str, Any]:
    """Validate a change of contact details and collections flags (contact details with the same
    cell rules as the customers import). Blank values clear a field. Raises InvalidInput naming
    every bad field.
    """
    from arcollect.ledger.import_rows import CellError, email_value, language_value, text, timezone_value

    readers = {"email": email_value, "timezone": timezone_value, "language": language_value,
               "phone": lambda values, column: text(values, column, max_len=64),
               "risk": _risk, "do_not_contact": _flag, "credit_hold": _flag}
    problems = [f"{k}: not editable here (one of {', '.join(EDITABLE_FIELDS)})" for k in changes
                if k not in EDITABLE_FIELDS]
    clean: dict[str, Any] = {}
    for key in (k for k in EDITABLE_FIELDS if k in changes):
        value = changes[key]
        if isinstance(value, bool):
            value = "true" if value else "false"
        elif key in ("do_not_contact", "credit_hold") and value is None:
            value = "false"
        try:
            clean[key] = readers[key]({key: (value or "").strip()}, key)
        except CellError as err:
            problems.append(f"{key}: {err.message}")
    if problems:
        raise InvalidInput("invalid customer update", problems)
    return clean


def update_customer(ctx: Context, *, customer_id: str, changes: dict[str, Any],
                    scope: CustomerScope = EVERYTHING) -> dict[str, Any]:
    """Change a customer's contact details (email, phone, language, time zone) or collections flags
    (risk, do-not-contact, credit hold); audited.

    The ERP stays the master of everything else: the next import overwrites what it sends.
    """
    clean = clean_contact_details(changes)
    with ctx.unit_of_work() as session:
        return update_customer_in(session, scoped_customer(session, scope, customer_id), clean, now=ctx.clock.now(),
                                  actor=ctx.actor)


def update_customer_in(session: Session, c: Customer, clean: dict[str, Any], *, now: dt.datetime, actor: str,
                       why: dict[str, Any] | None = None) -> dict[str, Any]:
    """``update_customer`` inside the caller's transaction with checked values (an approved escalation
    puts the account on credit hold); audited with ``why`` beside the changes."""
    before = customer_header(c)
    for key, value in clean.items():
        setattr(c, key, value)
    c.updated_at = now
    after = customer_header(c)
    changed = audit.diff(before, after)
    if changed:
        audit.record(session, at=now, actor=actor, action="update", entity="customer", entity_key=c.customer_id,
                     changes={**changed, **(why or {})})
    return after


def disputed_invoices(ctx: Context, *, customer_id: str, scope: CustomerScope = EVERYTHING) -> set[str]:
    """The ids of a customer's invoices flagged in dispute."""
    with ctx.sessions() as session:
        c = scoped_customer(session, scope, customer_id)
        return set(session.scalars(select(Invoice.invoice_id).where(Invoice.customer_pk == c.id, Invoice.disputed)))


def assign_portfolio(ctx: Context, *, customer_ids: Sequence[str], collector: str | None = None,
                     team: str | None = None, scope: CustomerScope = EVERYTHING) -> int:
    """Set the collector and/or team of customers (all or nothing); audited per customer. Customers
    outside ``scope`` (the caller's portfolio) are not found."""
    ids = list(dict.fromkeys(i.strip() for i in customer_ids if i.strip()))
    if not ids:
        raise InvalidInput("name at least one customer")
    now = ctx.clock.now()
    with ctx.unit_of_work() as session:
        found = {c.customer_id: c for c in session.scalars(select(Customer).where(Customer.customer_id.in_(ids)))
                 if scope.allows(c.collector, c.team)}
        missing = [i for i in ids if i not in found]
        if missing:
            raise NotFound(f"customers not found: {', '.join(missing[:20])}" + (" …" if len(missing) > 20 else ""))
        changed = 0
        for cid in ids:
            c = found[cid]
            before = {"collector": c.collector, "team": c.team}
            if collector is not None:
                c.collector = collector
            if team is not None:
                c.team = team
            diff = audit.diff(before, {"collector": c.collector, "team": c.team})
            if diff:
                changed += 1
                c.updated_at = now
                audit.record(session, at=now, actor=ctx.actor, action="assign", entity="customer",
                             entity_key=cid, changes=diff)
        return changed
