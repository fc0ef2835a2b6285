"""What the escalation rules read about each account: past-due balances per currency, contact attempts
since the customer last responded, broken promises and plans — and the undisputed open items."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import Any, NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from arcollect.escalations import policy as E
from arcollect.escalations.models import PaymentPlan
from arcollect.ledger import service as ledger
from arcollect.ledger.models import Customer, Invoice
from arcollect.money import quantize
from arcollect.promises import service as promises
from arcollect.promises.models import Activity

RESPONSES_CALL = frozenset({"promise", "dispute", "refused", "paid_already", "other"})  # someone answered
UNANSWERED_CALL = frozenset({"no_answer", "left_voicemail", "wrong_contact"})


def _attempts(session: Session, within: Any | None, as_of: dt.date, since: dt.date) -> dict[int, int]:
    """customer key → emails, letters and unanswered calls since the customer last responded (a reply,
    an answered call, a promise), counted within the lookback."""
    end = dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time(0), tzinfo=dt.timezone.utc)
    start = dt.datetime.combine(since, dt.time(0), tzinfo=dt.timezone.utc)
    stmt = (select(Activity.customer_pk, Activity.kind, Activity.outcome)
            .where(Activity.at >= start, Activity.at < end,
                   Activity.kind.in_(("email", "letter", "call", "promise"))).order_by(Activity.at, Activity.id))
    if within is not None:
        stmt = stmt.where(Activity.customer_pk.in_(within))
    out: dict[int, int] = defaultdict(int)
    for cpk, kind, outcome in session.execute(stmt).all():
        responded = (kind == "promise" or (kind == "email" and outcome == "inbound")
                     or (kind == "call" and outcome in RESPONSES_CALL))
        if responded:
            out[cpk] = 0
        elif kind in ("email", "letter") or outcome in UNANSWERED_CALL:
            out[cpk] += 1
    return out


class Holder(NamedTuple):
    """What the rules and the run read of an account holder (the customers row's columns of that name)."""
    id: int
    customer_id: str
    currency: str
    credit_limit: Decimal | None
    risk: str | None
    credit_hold: bool


def account_facts(session: Session, *, as_of: dt.date, policy: E.Policy, within: Any | None = None,
                  seen: dict[str, Any] | None = None) -> list[tuple[Holder, E.Facts]]:
    """Every account with undisputed money open, per currency, as the rules see it (``seen`` gets the
    open invoices read)."""
    opens = ledger.open_invoices(session, as_of=as_of, within=within)
    if seen is not None:
        seen["open_invoices"] = opens
    if not opens:
        return []
    since = as_of - dt.timedelta(days=policy.lookback_days)
    attempts = _attempts(session, within, as_of, since)
    promised = promises.promise_states(session, within=within, as_of=as_of, lookback_days=policy.lookback_days)
    broken_plan_stmt = select(PaymentPlan.customer_pk).where(PaymentPlan.status == "broken")
    if within is not None:
        broken_plan_stmt = broken_plan_stmt.where(PaymentPlan.customer_pk.in_(within))
    broken_plans = set(session.scalars(broken_plan_stmt))
    pks = sorted(opens)
    customers: dict[int, Holder] = {}
    cols = (Customer.id, Customer.customer_id, Customer.currency, Customer.credit_limit, Customer.risk,
            Customer.credit_hold)
    for i in range(0, len(pks), 5000):  # plain rows: a run reads every customer
        rows = session.execute(select(*cols).where(Customer.id.in_(pks[i:i + 5000])))
        customers.update({r[0]: Holder._make(r) for r in rows})
    out = []
    for cpk in pks:
        c = customers[cpk]
        by_currency: dict[str, list[tuple[dt.date, Decimal]]] = defaultdict(list)
        for _, due, amount, cur, disputed in opens[cpk]:
            if not disputed:
                by_currency[cur].append((due, amount))
        broken = promises.broken_promises(promised.get(cpk, ()), since)
        for cur, items in sorted(by_currency.items()):
            past = [(due, a) for due, a in items if due < as_of]
            out.append((c, E.Facts(
                customer_id=c.customer_id, currency=cur,
                past_due=quantize(sum((a for _, a in past), Decimal(0)), cur),
                balance=quantize(sum((a for _, a in items), Decimal(0)), cur),
                oldest_days_past_due=max(((as_of - due).days for due, _ in past), default=0),
                attempts_without_response=attempts.get(cpk, 0), broken_promises=broken,
                broken_plan=cpk in broken_plans,
                credit_limit=c.credit_limit if cur == c.currency else None, risk=c.risk)))
    return out


def open_items(session: Session, customer: Customer | Holder, currency: str, as_of: dt.date) -> list[tuple[Invoice, Decimal]]:
    """The customer's undisputed open invoices in a currency with their open (undisputed) amount."""
    rows = ledger.open_invoices(session, as_of=as_of, within=[customer.id]).get(customer.id, [])
    wanted = {iid: amount for iid, _, amount, cur, disputed in rows if cur == currency and not disputed}
    invoices = session.scalars(select(Invoice).where(Invoice.customer_pk == customer.id,
                                                     Invoice.invoice_id.in_(list(wanted))).order_by(Invoice.due_date))
    return [(inv, quantize(wanted[inv.invoice_id], currency)) for inv in invoices]
