"""The ledger doctor: recomputes the ledger truths of DESIGN §4 from the rows themselves and reports every
place the stored data drifted from them (a row changed behind arcollect's back, a bug, a bad restore).

Each check is a function of a read session returning findings; CHECKS is the list `arcollect doctor` runs,
and ``check(name, about)`` adds one (e.g. the maintained balances compared with the ledger)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Callable

from sqlalchemy import and_, func, or_, select, type_coerce
from sqlalchemy.orm import Session, aliased

from arcollect.db import Money
from arcollect.ledger.models import OPEN, Application, CreditNote, Invoice, Payment, WriteOff
from arcollect.money import format_money

LIMIT = 100  # findings kept per check (the count says how many there are in all)


@dataclass
class Finding:
    subject: str  # what drifted, as a person looks it up: "invoice INV-1", "payment P-9"
    problem: str


@dataclass
class Check:
    name: str
    about: str
    run: Callable[[Session], list[Finding]]


@dataclass
class Outcome:
    name: str
    about: str
    findings: list[Finding] = field(default_factory=list)
    total: int = 0


CHECKS: list[Check] = []


def check(name: str, about: str) -> Callable[[Callable[[Session], list[Finding]]], Callable[[Session], list[Finding]]]:
    """Register a check: ``@check("name", "what it verifies")`` over a function (session) -> findings."""
    def register(fn: Callable[[Session], list[Finding]]) -> Callable[[Session], list[Finding]]:
        CHECKS[:] = [c for c in CHECKS if c.name != name] + [Check(name, about, fn)]
        return fn
    return register


def run_checks(session: Session, names: list[str] | None = None) -> list[Outcome]:
    outcomes = []
    for c in CHECKS:
        if names and c.name not in names:
            continue
        findings = c.run(session)
        outcomes.append(Outcome(c.name, c.about, findings[:LIMIT], len(findings)))
    return outcomes


# ---- the document side: invoices, payments, credit notes, write-offs ---------------------------
_DOCUMENTS = (  # model, its key column, the application column pointing at it, its word
    (Invoice, Invoice.invoice_id, Application.invoice_pk, "invoice"),
    (Payment, Payment.payment_id, Application.payment_pk, "payment"),
    (CreditNote, CreditNote.credit_note_id, Application.credit_note_pk, "credit note"),
)


def _money(amount: Any, currency: str) -> str:
    return format_money(amount, currency)


@check("over_application", "no invoice is applied more than its amount, and no payment, credit note or "
                           "write-off gives more than it holds, on any date; nothing goes below zero")
def over_application(session: Session) -> list[Finding]:
    findings = []
    sources = [*_DOCUMENTS, (WriteOff, WriteOff.id, Application.write_off_pk, "write-off")]
    for model, key, link, word in sources:
        daily = (select(link.label("pk"), Application.applied_on.label("day"),
                        type_coerce(func.sum(Application.amount), Money()).label("moved"))
                 .where(link.is_not(None)).group_by(link, Application.applied_on).subquery("daily"))
        running = (select(daily.c.pk, daily.c.day,
                          type_coerce(func.sum(daily.c.moved).over(partition_by=daily.c.pk, order_by=daily.c.day),
                                      Money()).label("applied"))
                   .subquery("running"))
        bad = (select(key, model.amount, model.currency, running.c.day, running.c.applied)
               .join(running, running.c.pk == model.id)
               .where(or_(running.c.applied > model.amount, running.c.applied < 0))
               .order_by(key, running.c.day))
        seen = set()
        for row in session.execute(bad):
            if row[0] in seen:
                continue
            seen.add(row[0])
            what = "applied" if model is Invoice else "given"
            findings.append(Finding(f"{word} {row[0]}", f"{_money(row.applied, row.currency)} {what} by {row.day} "
                                    f"of its {_money(row.amount, row.currency)}"))
    return findings


@check("settled_dates", "each document's stored open_until (the date it became fully applied, or open) "
                        "and its copies on the applications agree with its applications")
def settled_dates(session: Session) -> list[Finding]:
    findings = []
    for model, key, link, word in _DOCUMENTS:
        sums = (select(link.label("pk"), type_coerce(func.sum(Application.amount), Money()).label("applied"),
                       func.max(Application.applied_on).label("last"))
                .where(link.is_not(None)).group_by(link).subquery("s"))
        applied = type_coerce(func.coalesce(sums.c.applied, 0), Money())
        rows = session.execute(
            select(key, model.amount, model.currency, model.open_until, applied.label("applied"), sums.c.last)
            .outerjoin(sums, sums.c.pk == model.id)
            .where(or_(and_(applied == model.amount, model.open_until != sums.c.last),
                       and_(applied != model.amount, model.open_until != OPEN)))
            .order_by(key))
        for row in rows:
            expected = row.last if row.applied == row.amount else "open"
            shown = "open" if row.open_until == OPEN else row.open_until
            findings.append(Finding(f"{word} {row[0]}", f"stored as settled {shown}, its applications say {expected} "
                                    f"({_money(row.applied, row.currency)} of {_money(row.amount, row.currency)})"))
        copy = Application.invoice_open_until if model is Invoice else Application.document_open_until
        stale = session.execute(select(key, func.count()).join(Application, link == model.id)
                                .where(copy != model.open_until).group_by(key).order_by(key))
        for doc, count in stale:
            findings.append(Finding(f"{word} {doc}", f"{count} application(s) carry a stale copy of its open_until"))
    return findings


@check("currencies", "every application is in the currency of its invoice and of the document it comes from")
def currencies(session: Session) -> list[Finding]:
    findings = []
    for model, key, link, word in [*_DOCUMENTS, (WriteOff, WriteOff.id, Application.write_off_pk, "write-off")]:
        rows = session.execute(select(Application.id, Application.currency, key, model.currency)
                               .join(model, link == model.id).where(Application.currency != model.currency)
                               .order_by(Application.id))
        for app_id, app_currency, doc, doc_currency in rows:
            findings.append(Finding(f"application {app_id}", f"in {app_currency}, its {word} {doc} in {doc_currency}"))
    return findings


@check("reversals", "a reversal undoes exactly one application (same invoice and source, opposite amount), "
                    "and no application is reversed twice")
def reversals(session: Session) -> list[Finding]:
    original = aliased(Application)
    findings = []
    rows = session.execute(
        select(Application.id, original.id)
        .join(original, original.id == Application.reverses_pk)
        .where(or_(Application.invoice_pk != original.invoice_pk,
                   Application.amount != -original.amount,
                   func.coalesce(Application.payment_pk, 0) != func.coalesce(original.payment_pk, 0),
                   func.coalesce(Application.credit_note_pk, 0) != func.coalesce(original.credit_note_pk, 0),
                   func.coalesce(Application.write_off_pk, 0) != func.coalesce(original.write_off_pk, 0)))
        .order_by(Application.id))
    for reversal, target in rows:
        findings.append(Finding(f"application {reversal}", f"reverses application {target} but does not mirror it"))
    twice = session.execute(select(Application.reverses_pk, func.count()).where(Application.reverses_pk.is_not(None))
                            .group_by(Application.reverses_pk).having(func.count() > 1)
                            .order_by(Application.reverses_pk))
    for target, count in twice:
        findings.append(Finding(f"application {target}", f"reversed {count} times"))
    return findings


@check("disputed_amounts", "an invoice's disputed part is more than zero and at most the invoice")
def disputed_amounts(session: Session) -> list[Finding]:
    rows = session.execute(select(Invoice.invoice_id, Invoice.disputed_amount, Invoice.amount, Invoice.currency)
                           .where(Invoice.disputed_amount.is_not(None),
                                  or_(Invoice.disputed_amount <= 0, Invoice.disputed_amount > Invoice.amount))
                           .order_by(Invoice.invoice_id))
    return [Finding(f"invoice {key}", f"disputed {_money(part, cur)} of {_money(amount, cur)}")
            for key, part, amount, cur in rows]



@check("balances", "the maintained balances (open and disputed amounts per customer, currency and due date; "
                   "unapplied cash and credits) equal the ledger recomputed customer by customer")
def balances(session: Session) -> list[Finding]:
    from arcollect.ledger.balance_reads import drift

    def shown(value: Any, currency: str) -> str:
        return _money(value, currency) if isinstance(value, Decimal) else str(value)

    return [Finding(f"customer {d.customer_id}", f"{d.what} ({d.currency}): stored {shown(d.stored, d.currency)}, "
                    f"ledger {shown(d.ledger, d.currency)}") for d in drift(session)]
