"""Activities and promises-to-pay: the only module other packages and the interfaces call.

Each public function taking a Context owns its transaction; the ``session``-taking readers are
used by the worklist run inside its own unit of work.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Iterable, Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from arcollect import audit
from arcollect.promises import promises as P
from arcollect.promises.models import ACTIVITY_KINDS, CALL_OUTCOMES, CHANNELS, Activity, Promise, PromiseInvoice
from arcollect.context import Context
from arcollect.errors import InvalidInput
from arcollect.ledger import service as ledger
from arcollect.ledger.models import Contact, Customer, Invoice
from arcollect.ledger.scope import EVERYTHING, CustomerScope
from arcollect.money import parse_amount, quantize, to_decimal

MAX_NOTE = 4000
CONTACT_KINDS = ("call", "email", "letter", "promise")
HORIZON_DAYS = 366


def clean_text(value: str | None, field: str, problems: list[str], required: bool = False) -> str | None:
    """Stripped text (None when blank) of at most MAX_NOTE characters; problems name the field."""
    value = (value or "").strip() or None
    if value is None and required:
        problems.append(f"{field}: required")
    if value and len(value) > MAX_NOTE:
        problems.append(f"{field}: at most {MAX_NOTE} characters (got {len(value)})")
    return value


def part_amount(invoice_id: str, raw: str | None, left: Decimal, currency: str, problems: list[str]) -> Decimal | None:
    """An amount of an invoice typed by a person (None: the whole ``left``), more than 0 and at most what is
    open; None with the problem noted when it is not (disputes, write-offs)."""
    if raw is None:
        return left
    try:
        amount = parse_amount(raw, currency)
    except (ValueError, ArithmeticError) as exc:
        problems.append(f"invoices: {invoice_id}: amount {raw!r}: {exc}")
        return None
    if not 0 < amount <= left:
        problems.append(f"invoices: {invoice_id}: the amount must be more than 0 and at most the open {left} {currency} "
                        f"(got {amount})")
        return None
    return amount


def _note(note: str | None, problems: list[str]) -> str | None:
    return clean_text(note, "note", problems)


def _follow_up(value: dt.date | None, today: dt.date, problems: list[str]) -> dt.date | None:
    if value is not None and not today <= value <= today + dt.timedelta(days=HORIZON_DAYS):
        problems.append(f"follow_up: {value.isoformat()} must be between today ({today.isoformat()}) "
                        f"and a year from now")
    return value


def _contact(session: Session, customer: Customer, email: str | None, problems: list[str]) -> int | None:
    if not email:
        return None
    pk = session.scalar(select(Contact.id).where(Contact.customer_pk == customer.id,
                                                 func.lower(Contact.email) == email.strip().lower()))
    if pk is None:
        problems.append(f"contact: {email!r} is not a contact of {customer.customer_id}")
    return pk


def _invoices(session: Session, customer: Customer, invoice_ids: Sequence[str], problems: list[str]) -> list[Invoice]:
    ids = list(dict.fromkeys(i.strip() for i in invoice_ids if i and i.strip()))
    if not ids:
        return []
    found = {i.invoice_id: i for i in session.scalars(
        select(Invoice).where(Invoice.invoice_id.in_(ids), Invoice.customer_pk == customer.id))}
    missing = [i for i in ids if i not in found]
    if missing:
        problems.append(f"invoices: not invoices of {customer.customer_id}: {', '.join(missing[:20])}")
    return [found[i] for i in ids if i in found]


# ---- activities ------------------------------------------------------------------------------


def record_activity(session: Session, *, customer_pk: int, kind: str, at: dt.datetime, actor: str,
                    outcome: str | None = None, note: str | None = None, follow_up_on: dt.date | None = None,
                    contact_pk: int | None = None, action_pk: int | None = None, promise_pk: int | None = None,
                    invoices: Sequence[str] = ()) -> Activity:
    activity = Activity(customer_pk=customer_pk, kind=kind, outcome=outcome, note=note, at=at, actor=actor,
                        follow_up_on=follow_up_on, contact_pk=contact_pk, action_pk=action_pk,
                        promise_pk=promise_pk, invoices=list(invoices))
    session.add(activity)
    session.flush()
    return activity


def log_activity(ctx: Context, *, customer_id: str, kind: str, scope: CustomerScope = EVERYTHING,
                 outcome: str | None = None, note: str | None = None, follow_up: dt.date | None = None,
                 contact: str | None = None, invoices: Sequence[str] = (),
                 action_pks: Sequence[int] = ()) -> dict[str, Any]:
    """Record a call (with its outcome), an email, a letter or a note on an account; audited.

    A call needs an outcome code; ``follow_up`` sets the date the account comes back first on the
    worklist.
    """
    problems: list[str] = []
    if kind not in ACTIVITY_KINDS:
        problems.append(f"kind: {kind!r} is not one of {', '.join(ACTIVITY_KINDS)}")
    if kind == "call" and outcome not in CALL_OUTCOMES:
        problems.append(f"outcome: {outcome!r} is not a call outcome (one of {', '.join(CALL_OUTCOMES)})")
    now = ctx.clock.now()
    clean_note = _note(note, problems)
    _follow_up(follow_up, ctx.clock.today(), problems)
    with ctx.unit_of_work() as session:
        customer = ledger.scoped_customer(session, scope, customer_id)
        contact_pk = _contact(session, customer, contact, problems)
        linked = _invoices(session, customer, invoices, problems)
        if problems:
            raise InvalidInput(f"cannot log the {kind}", problems)
        activity = record_activity(session, customer_pk=customer.id, kind=kind, at=now, actor=ctx.actor,
                                   outcome=outcome, note=clean_note, follow_up_on=follow_up, contact_pk=contact_pk,
                                   action_pk=action_pks[0] if action_pks else None,
                                   invoices=[i.invoice_id for i in linked])
        audit.record(session, at=now, actor=ctx.actor, action=kind, entity="customer",
                     entity_key=customer.customer_id,
                     changes={"activity": activity.id, "outcome": outcome, "follow_up": follow_up,
                              "invoices": activity.invoices})
        return _activity_view(activity, customer.customer_id, contact)


def _activity_view(a: Activity, customer_id: str, contact: str | None = None) -> dict[str, Any]:
    return {"id": str(a.id), "customer_id": customer_id, "kind": a.kind, "outcome": a.outcome, "note": a.note,
            "at": a.at, "actor": a.actor, "follow_up": a.follow_up_on, "contact": contact,
            "invoices": list(a.invoices or []), "promise_id": str(a.promise_pk) if a.promise_pk else None}


def list_activities(ctx: Context, *, scope: CustomerScope = EVERYTHING, customer_id: str | None = None,
                    kind: str | None = None, since: dt.date | None = None, limit: int = 100,
                    offset: int = 0) -> dict[str, Any]:
    with ctx.sessions() as session:
        stmt = (select(Activity, Customer.customer_id, Contact.email)
                .join(Customer, Customer.id == Activity.customer_pk)
                .outerjoin(Contact, Contact.id == Activity.contact_pk))
        if scope.condition() is not None:
            stmt = stmt.where(scope.condition())
        if customer_id is not None:
            stmt = stmt.where(Customer.id == ledger.scoped_customer(session, scope, customer_id).id)
        if kind is not None:
            stmt = stmt.where(Activity.kind == kind)
        if since is not None:
            stmt = stmt.where(Activity.at >= dt.datetime.combine(since, dt.time(0), tzinfo=dt.timezone.utc))
        total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
        rows = session.execute(stmt.order_by(Activity.at.desc(), Activity.id.desc()).limit(limit).offset(offset)).all()
        return {"items": [_activity_view(a, cid, email) for a, cid, email in rows], "total": total}


def contact_history(session: Session, *, within: Any | None, as_of: dt.date) -> dict[int, dict[str, Any]]:
    """customer key → last contact day, last call day and the follow-up date still pending (if any)."""
    end = dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time(0), tzinfo=dt.timezone.utc)
    base = [Activity.at < end]
    if within is not None:
        base.append(Activity.customer_pk.in_(within))
    out: dict[int, dict[str, Any]] = defaultdict(dict)
    for field, kinds in (("last_contact", CONTACT_KINDS), ("last_call", ("call",))):
        stmt = (select(Activity.customer_pk, func.max(Activity.at)).where(*base, Activity.kind.in_(kinds))
                .group_by(Activity.customer_pk))
        for cpk, at in session.execute(stmt).all():
            out[cpk][field] = (at if at.tzinfo else at.replace(tzinfo=dt.timezone.utc)).date()
    for cpk, follow_up in pending_follow_ups(session, within=within, as_of=as_of).items():
        out[cpk]["follow_up"] = follow_up
    return out


def pending_follow_ups(session: Session, *, within: Any | None, as_of: dt.date) -> dict[int, dt.date]:
    """customer key → the follow-up date set by the account's latest activity (if it set one)."""
    end = dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time(0), tzinfo=dt.timezone.utc)
    latest = select(Activity.customer_pk, func.max(Activity.id).label("last")).where(Activity.at < end)
    if within is not None:
        latest = latest.where(Activity.customer_pk.in_(within))
    sub = latest.group_by(Activity.customer_pk).subquery()
    return dict(session.execute(select(Activity.customer_pk, Activity.follow_up_on)
                                .join(sub, sub.c.last == Activity.id)
                                .where(Activity.follow_up_on.is_not(None))).all())


def timeline(ctx: Context, *, customer_id: str, scope: CustomerScope = EVERYTHING, limit: int = 100) -> list[dict[str, Any]]:
    """Everything on the account, newest first: calls, emails, letters, notes, promises, documents,
    applications and audited changes, each with who and when."""
    ledger_events = ledger.customer_activity(ctx, scope=scope, customer_id=customer_id, limit=limit)
    acts = list_activities(ctx, scope=scope, customer_id=customer_id, limit=limit)["items"]
    events = [{"at": e.get("at"), "on": e["on"], "kind": e["kind"], "by": e["by"], "text": e["text"]}
              for e in ledger_events if e["kind"] not in ACTIVITY_KINDS]
    for a in acts:
        text = _describe(a)
        events.append({"at": a["at"], "on": a["at"].date(), "kind": a["kind"], "by": a["actor"], "text": text})
    events.sort(key=lambda e: (e["on"], e["at"] or dt.datetime.min.replace(tzinfo=dt.timezone.utc)), reverse=True)
    return events[:limit]


def _describe(a: dict[str, Any]) -> str:
    parts = []
    if a["kind"] == "call":
        parts.append(f"Call: {a['outcome'].replace('_', ' ')}")
    elif a["kind"] == "promise":
        parts.append("Promise to pay")
    else:
        parts.append(a["kind"].capitalize())
    if a["contact"]:
        parts.append(f"with {a['contact']}")
    text = " ".join(parts)
    if a["invoices"]:
        text += f" — invoices {', '.join(a['invoices'])}"
    if a["note"]:
        text += f": {a['note']}"
    if a["follow_up"]:
        text += f" (follow up {a['follow_up'].isoformat()})"
    return text


# ---- promises --------------------------------------------------------------------------------


def _amount(value: Any, currency: str, problems: list[str]) -> Decimal | None:
    try:
        amount = parse_amount(value, currency) if isinstance(value, str) else quantize(to_decimal(value), currency)
    except (ValueError, TypeError, ArithmeticError) as err:
        problems.append(f"amount: {err}")
        return None
    if amount <= 0:
        problems.append("amount: must be more than zero")
        return None
    return amount


def add_promise(ctx: Context, *, customer_id: str, amount: Any, promised_date: dt.date,
                scope: CustomerScope = EVERYTHING, invoices: Sequence[str] = (), channel: str = "call",
                contact: str | None = None, note: str | None = None, grace_days: int = 3) -> dict[str, Any]:
    """Record a promise to pay ``amount`` by ``promised_date`` (on some invoices, or the account).

    Refused with every problem named: a date in the past or more than a year out, invoices of
    another customer or already paid, invoices in several currencies, an amount above what they owe.
    """
    problems: list[str] = []
    today = ctx.clock.today()
    if not today <= promised_date <= today + dt.timedelta(days=HORIZON_DAYS):
        problems.append(f"date: {promised_date.isoformat()} must be between today ({today.isoformat()}) "
                        "and a year from now")
    if channel not in CHANNELS:
        problems.append(f"channel: {channel!r} is not one of {', '.join(CHANNELS)}")
    clean_note = _note(note, problems)
    now = ctx.clock.now()
    with ctx.unit_of_work() as session:
        customer = ledger.scoped_customer(session, scope, customer_id)
        contact_pk = _contact(session, customer, contact, problems)
        linked = _invoices(session, customer, invoices, problems)
        currencies = sorted({i.currency for i in linked})
        if len(currencies) > 1:
            problems.append(f"invoices: one promise is in one currency (these are in {', '.join(currencies)})")
        currency = currencies[0] if currencies else customer.currency
        value = _amount(amount, currency, problems)
        if linked and value is not None and len(currencies) == 1:
            owed = sum((ledger.open_amount_of(session, i.id, today) for i in linked), Decimal(0))
            paid = [i.invoice_id for i in linked if ledger.open_amount_of(session, i.id, today) <= 0]
            if paid:
                problems.append(f"invoices: already paid: {', '.join(paid)}")
            elif value > owed:
                problems.append(f"amount: {value} {currency} is more than the {owed} {currency} these invoices owe")
        if problems:
            raise InvalidInput("cannot record the promise", problems)
        promise = create_promise(session, customer=customer, amount=value, currency=currency,
                                 promised_date=promised_date, made_on=today, grace_days=grace_days, channel=channel,
                                 contact_pk=contact_pk, note=clean_note, invoices=linked, now=now, actor=ctx.actor)
        return {"id": str(promise.id), "customer_id": customer.customer_id, "amount": str(value),
                "currency": currency, "date": promised_date, "invoices": [i.invoice_id for i in linked],
                "status": "open", "grace_days": grace_days}


def create_promise(session: Session, *, customer: Customer, amount: Decimal, currency: str, promised_date: dt.date,
                   made_on: dt.date, grace_days: int, channel: str, note: str | None, invoices: Sequence[Invoice],
                   now: dt.datetime, actor: str, contact_pk: int | None = None) -> Promise:
    """Store a checked promise with its invoices, on the timeline and in the audit log (``add_promise``;
    an approved settlement)."""
    promise = Promise(customer_pk=customer.id, amount=amount, currency=currency, promised_date=promised_date,
                      made_on=made_on, grace_days=grace_days, channel=channel, contact_pk=contact_pk, note=note,
                      created_at=now, created_by=actor)
    session.add(promise)
    session.flush()
    for inv in invoices:
        session.add(PromiseInvoice(promise_pk=promise.id, invoice_pk=inv.id))
    text = f"{amount} {currency} by {promised_date.isoformat()} ({channel})"
    record_activity(session, customer_pk=customer.id, kind="promise", at=now, actor=actor,
                    note=text + (f" — {note}" if note else ""), contact_pk=contact_pk, promise_pk=promise.id,
                    invoices=[i.invoice_id for i in invoices])
    audit.record(session, at=now, actor=actor, action="create", entity="promise", entity_key=str(promise.id),
                 changes={"customer": customer.customer_id, "amount": amount, "currency": currency,
                          "date": promised_date, "invoices": [i.invoice_id for i in invoices], "channel": channel})
    return promise


def cancel_promise(ctx: Context, *, promise_id: str, scope: CustomerScope = EVERYTHING,
                   note: str | None = None) -> dict[str, Any]:
    """Cancel an open promise (the customer withdrew it, or it was recorded by mistake); audited."""
    today, now = ctx.clock.today(), ctx.clock.now()
    with ctx.unit_of_work() as session:
        promise, _ = ledger.scoped_record(session, scope, Promise, promise_id, "promise")
        current = states_of(session, [promise], today)[promise.id]
        P.check_transition(current["status"], "cancelled")
        promise.cancelled_on, promise.cancelled_by = today, ctx.actor
        cid = session.scalar(select(Customer.customer_id).where(Customer.id == promise.customer_pk))
        record_activity(session, customer_pk=promise.customer_pk, kind="note", at=now, actor=ctx.actor,
                        note=f"Promise {promise.id} cancelled" + (f": {note.strip()}" if note and note.strip() else ""),
                        promise_pk=promise.id)
        audit.record(session, at=now, actor=ctx.actor, action="cancel", entity="promise", entity_key=str(promise.id),
                     changes={"status": [current["status"], "cancelled"], "customer": cid})
        return {"id": str(promise.id), "customer_id": cid, "status": "cancelled"}


def states_of(session: Session, promises: Sequence[Promise], as_of: dt.date) -> dict[int, dict[str, Any]]:
    """promise key → status, paid, invoices (ids) as of the date, from the payments applied."""
    if not promises:
        return {}
    pks = [p.id for p in promises]
    invoice_links: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for i in range(0, len(pks), 5000):
        for ppk, ipk, iid in session.execute(select(PromiseInvoice.promise_pk, Invoice.id, Invoice.invoice_id)
                                             .join(Invoice, Invoice.id == PromiseInvoice.invoice_pk)
                                             .where(PromiseInvoice.promise_pk.in_(pks[i:i + 5000]))).all():
            invoice_links[ppk].append((ipk, iid))
    whole = {p.customer_pk for p in promises if not invoice_links.get(p.id)}
    linked = {ipk for links in invoice_links.values() for ipk, _ in links}
    since = min(p.made_on for p in promises)
    until = max(p.promised_date + dt.timedelta(days=p.grace_days) for p in promises)
    by_invoice: dict[int, list[tuple[dt.date, Decimal, str, dt.datetime]]] = defaultdict(list)
    by_customer: dict[int, list[tuple[dt.date, Decimal, str, dt.datetime]]] = defaultdict(list)
    for ipk, cpk, cur, on, amount, at in ledger.payments_applied(session, invoice_pks=linked, customer_pks=whole,
                                                                 since=since, until=min(until, as_of), recorded=True):
        by_invoice[ipk].append((on, amount, cur, at))
        by_customer[cpk].append((on, amount, cur, at))
    out = {}
    for p in promises:
        links = invoice_links.get(p.id, [])
        if links:
            payments = [(on, a, at) for ipk, _ in links for on, a, cur, at in by_invoice.get(ipk, [])
                        if cur == p.currency]
        else:
            payments = [(on, a, at) for on, a, cur, at in by_customer.get(p.customer_pk, []) if cur == p.currency]
        terms = P.Terms(p.amount, p.promised_date, p.made_on, p.grace_days, p.cancelled_on, made_at=p.created_at)
        status, paid = P.status(terms, payments, as_of)
        out[p.id] = {"status": status, "paid": quantize(paid, p.currency), "deadline": terms.deadline,
                     "invoices": [iid for _, iid in links]}
    return out


def promise_states(session: Session, *, within: Any | None, as_of: dt.date, lookback_days: int = 180) -> dict[int, list[dict[str, Any]]]:
    """customer key → its promises that matter on the date (made by then, deadline within the lookback),
    and the instalments of its plans (each like a promise)."""
    stmt = select(Promise).where(Promise.made_on <= as_of,
                                 Promise.promised_date >= as_of - dt.timedelta(days=lookback_days + 60))
    if within is not None:
        stmt = stmt.where(Promise.customer_pk.in_(within))
    promises = list(session.scalars(stmt))
    states = states_of(session, promises, as_of)
    out: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for p in promises:
        s = states[p.id]
        out[p.customer_pk].append({"status": s["status"], "date": p.promised_date, "pause_until": s["deadline"],
                                   "invoices": frozenset(s["invoices"]), "paid": s["paid"], "amount": p.amount})
    from arcollect.escalations import service as escalations  # escalations build on promises, not the reverse

    for cpk, instalments in escalations.instalment_states(session, within=within, as_of=as_of).items():
        out[cpk].extend(i for i in instalments if i["pause_until"] >= as_of - dt.timedelta(days=lookback_days))
    return out


def list_promises(ctx: Context, *, as_of: dt.date, scope: CustomerScope = EVERYTHING, customer_id: str | None = None,
                  status: str | None = None, collector: str | None = None) -> list[dict[str, Any]]:
    """Promises made by the date with their status as of it (CONTRACT §5), newest first."""
    if status is not None and status not in P.STATUSES:
        raise InvalidInput(f"status: {status!r} is not one of {', '.join(P.STATUSES)}")
    with ctx.sessions() as session:
        stmt = (select(Promise, Customer.customer_id, Customer.collector).join(Customer, Customer.id == Promise.customer_pk)
                .where(Promise.made_on <= as_of))
        if scope.condition() is not None:
            stmt = stmt.where(scope.condition())
        if customer_id is not None:
            stmt = stmt.where(Customer.id == ledger.scoped_customer(session, scope, customer_id).id)
        if collector is not None:
            stmt = stmt.where(Customer.collector == collector)
        rows = session.execute(stmt.order_by(Promise.promised_date.desc(), Promise.id.desc())).all()
        states = states_of(session, [p for p, _, _ in rows], as_of)
    out = []
    for p, cid, coll in rows:
        s = states[p.id]
        if status is not None and s["status"] != status:
            continue
        out.append({"id": str(p.id), "customer_id": cid, "amount": str(quantize(p.amount, p.currency)),
                    "currency": p.currency, "date": p.promised_date.isoformat(), "invoices": s["invoices"],
                    "status": s["status"], "paid": str(s["paid"]), "deadline": s["deadline"].isoformat(),
                    "made_on": p.made_on.isoformat(), "channel": p.channel, "created_by": p.created_by,
                    "collector": coll})
    return out


def kept_rates(ctx: Context, *, as_of: dt.date, by: str = "collector", scope: CustomerScope = EVERYTHING) -> list[dict[str, Any]]:
    """Kept ÷ resolved promises per collector or per customer, with the counts behind it."""
    if by not in ("collector", "customer"):
        raise InvalidInput("by: one of collector, customer")
    groups: dict[str, list[str]] = defaultdict(list)
    for p in list_promises(ctx, as_of=as_of, scope=scope):
        groups[(p["collector"] or "(none)") if by == "collector" else p["customer_id"]].append(p["status"])
    out = []
    for key, statuses in sorted(groups.items()):
        rate = P.kept_rate(statuses)
        counts = {s: statuses.count(s) for s in P.STATUSES}
        out.append({by: key, "kept_rate": None if rate is None else str(rate),
                    "kept_percent": None if rate is None else int((rate * 100).to_integral_value(rounding=ROUND_HALF_UP)),
                    "promises": len(statuses), **counts})
    return out


def broken_promises(states: Iterable[dict[str, Any]], since: dt.date) -> int:
    return sum(1 for s in states if s["status"] in ("broken", "partially_kept") and s["pause_until"] >= since)
