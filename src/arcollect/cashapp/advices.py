"""Emailed remittance advices in the database: stored with the message they came in (its customer from the
mail's link or the invoices it names), attached to the bank line they describe — whichever of the two arrives
first — and handed to the matcher as that line's structured remittance. Runs inside the caller's transaction."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Sequence

from rapidfuzz import fuzz
from sqlalchemy import select
from sqlalchemy.orm import Session

from arcollect import audit
from arcollect.cashapp.advice import Advice, read_advice
from arcollect.cashapp.models import BankLine, PayerAccount, PayerAlias, RemittanceAdvice
from arcollect.cashapp.parties import normalize_name
from arcollect.cashapp.remittance import InvoiceIndex, number_key
from arcollect.cashapp.shapes import DocumentRef
from arcollect.db import like_literal
from arcollect.ledger.models import Customer, Invoice
from arcollect.money import money_str

NAME_SCORE = 88  # a payer name at least this like the customer's (rapidfuzz token set ratio) is the customer
REFERENCE_WINDOW = 30  # days around the advice's payment date searched for the payment reference it quotes
MAX_NUMBERS = 200


def _resolve(session: Session, numbers: Sequence[str], customer_pk: int | None) -> dict[str, tuple[str, int]]:
    """Written number → (our invoice id, its customer key): exact, else normalised (case, separators, prefix,
    leading zeros) among the customer's invoices, or — no customer known — among invoices ending in its digits."""
    numbers = list(dict.fromkeys(numbers))[:MAX_NUMBERS]
    if not numbers:
        return {}
    rows = session.execute(select(Invoice.invoice_id, Invoice.customer_pk).where(Invoice.invoice_id.in_(numbers))).all()
    found = {iid: (iid, cpk) for iid, cpk in rows if customer_pk is None or cpk == customer_pk}
    rest = [n for n in numbers if n not in found]
    if not rest:
        return found
    if customer_pk is not None:
        pool = session.execute(select(Invoice.invoice_id, Invoice.customer_pk)
                               .where(Invoice.customer_pk == customer_pk).limit(200_000)).all()
    else:
        pool = []
        for n in rest[:50]:
            key = number_key(n)
            if len(key) >= 3:
                pool += session.execute(select(Invoice.invoice_id, Invoice.customer_pk)
                                        .where(like_literal(Invoice.invoice_id, key, at="end")).limit(50)).all()
    owner = dict(pool)
    index = InvoiceIndex(owner)
    for n in rest:
        hits = index.lookup(n, near=False)
        if len(hits) == 1:  # one invoice only: a number two invoices could be is no evidence
            found[n] = (hits[0].invoice_id, owner[hits[0].invoice_id])
    return found


def _money(value: Decimal | None, currency: str | None) -> str | None:
    return None if value is None else money_str(value, currency or "EUR")


def record_advice_in(session: Session, *, message_pk: int, customer_pk: int | None, sender: str | None,
                     sender_name: str | None, subject: str, text: str, html: str | None,
                     attachments: Sequence[tuple[str, str, bytes]], received_at: dt.datetime, now: dt.datetime,
                     actor: str, days: int, tolerance: Decimal) -> dict[str, Any] | None:
    """Read an inbound message as a remittance advice; None when it is none. Stored (once per message) with
    its customer — the mail's, else the one customer whose invoices it names — and attached to its bank line if
    that is in already. Returns {"advice_pk", "customer_pk", "status", "line_pk", "note"}."""
    advice = read_advice(subject=subject, text=text, html=html, attachments=attachments, sender_name=sender_name)
    if not advice.is_advice:
        return None
    known = session.scalar(select(RemittanceAdvice).where(RemittanceAdvice.message_pk == message_pk))
    if known is not None:
        return _outcome(known)
    resolved = _resolve(session, [i.number for i in advice.items], customer_pk)
    note = None
    if customer_pk is None:
        owners = {cpk for _, cpk in resolved.values()}
        if len(owners) == 1:
            customer_pk = owners.pop()
        elif owners:
            ids = sorted(session.scalars(select(Customer.customer_id).where(Customer.id.in_(owners))))
            note = f"names invoices of several customers ({', '.join(ids)}): attached to no bank line"
            resolved = {}
    currency = advice.currency
    if currency is None and resolved:
        currency = session.scalar(select(Invoice.currency).where(Invoice.invoice_id == next(iter(resolved.values()))[0]))
    items = [{"number": i.number, "invoice_id": resolved.get(i.number, (None,))[0],
              "amount": _money(i.amount, currency), "gross": _money(i.gross, currency),
              "discount": _money(i.discount, currency), "source": i.source} for i in advice.items]
    unknown = [i["number"] for i in items if i["invoice_id"] is None]
    if note is None and not resolved:
        note = (f"names no invoice of ours ({', '.join(unknown[:10])}{' …' if len(unknown) > 10 else ''}): "
                "attached to no bank line")
    elif note is None and unknown:
        note = f"not invoices of ours: {', '.join(unknown[:10])}"
    row = RemittanceAdvice(message_pk=message_pk, customer_pk=customer_pk, subject=(subject or "")[:1000],
                           sender=(sender or "")[:254] or None, received_at=received_at,
                           payment_date=advice.payment_date, total=advice.total, currency=currency,
                           reference=(advice.reference or None) and advice.reference[:128], items=items,
                           payer_hints=list(advice.payer_hints)[:10], problems=list(advice.problems)[:20],
                           status="waiting" if resolved else "unusable", note=note, created_at=now)
    session.add(row)
    session.flush()
    audit.record(session, at=now, actor=actor, action="read", entity="remittance_advice", entity_key=str(row.id),
                 changes={"message": message_pk, "invoices": [i["invoice_id"] or i["number"] for i in items],
                          "total": _money(advice.total, currency), "status": row.status, "why": advice.evidence})
    if row.status == "waiting":
        attach(session, row, now=now, actor=actor, days=days, tolerance=tolerance, keep_note=bool(unknown))
    return _outcome(row)


def _outcome(row: RemittanceAdvice) -> dict[str, Any]:
    return {"advice_pk": row.id, "customer_pk": row.customer_pk, "status": row.status, "line_pk": row.line_pk,
            "note": row.note}


def _payer_is_customer(session: Session, line: BankLine, adv: RemittanceAdvice) -> str | None:
    """Why the line's payer is the advice's customer (its line, its learned account or name, a name alike)."""
    if line.customer_pk is not None:
        return "the line's customer" if line.customer_pk == adv.customer_pk else None
    if line.payer_account and session.scalar(select(PayerAccount.id).where(
            PayerAccount.account == line.payer_account, PayerAccount.customer_pk == adv.customer_pk)):
        return f"payer account {line.payer_account} seen paying for the customer"
    if not line.payer_name:
        return None
    names = [session.scalar(select(Customer.name).where(Customer.id == adv.customer_pk)) or ""]
    names += list(session.scalars(select(PayerAlias.name).where(PayerAlias.customer_pk == adv.customer_pk)))
    names += list(adv.payer_hints or [])
    payer = normalize_name(line.payer_name)
    for name in filter(None, names):
        if fuzz.token_set_ratio(payer, normalize_name(name)) >= NAME_SCORE:
            return f"payer {line.payer_name!r} is {name!r}"
    return None


def _quotes(line: BankLine, reference: str) -> bool:
    ref = "".join(reference.split()).casefold()
    texts = [line.reference or "", line.end_to_end_id or "", *(line.remittance or [])]
    return any(ref in "".join(t.split()).casefold() for t in texts)


def attach(session: Session, adv: RemittanceAdvice, *, now: dt.datetime, actor: str, days: int,
           tolerance: Decimal, keep_note: bool = False) -> int | None:
    """Attach a waiting advice to the one credit line it describes: the payment reference it quotes, else the
    customer's (or payer's) line of its total (within ``tolerance``) booked within ``days`` of its payment date.
    Several lines that fit: none is taken (the note says so). Returns the line's key."""
    if adv.status != "waiting" or adv.customer_pk is None:
        return None
    day = adv.payment_date or adv.received_at.date()
    window = max(days, REFERENCE_WINDOW if adv.reference else days)
    taken = select(RemittanceAdvice.line_pk).where(RemittanceAdvice.line_pk.is_not(None),
                                                   RemittanceAdvice.id != adv.id)
    stmt = (select(BankLine).where(BankLine.amount > 0, BankLine.status != "excluded",
                                   BankLine.booking_date >= day - dt.timedelta(days=window),
                                   BankLine.booking_date <= day + dt.timedelta(days=window),
                                   BankLine.id.not_in(taken))
            .order_by(BankLine.booking_date, BankLine.id).limit(20_000))
    if adv.currency:
        stmt = stmt.where(BankLine.currency == adv.currency)
    lines = list(session.scalars(stmt))
    fits: list[tuple[BankLine, str]] = []
    if adv.reference and len(adv.reference) >= 4:
        fits = [(ln, f"it quotes the payment reference {adv.reference}") for ln in lines if _quotes(ln, adv.reference)]
    if not fits and adv.total is not None:
        for ln in lines:
            if abs(ln.amount - adv.total) > tolerance or abs((ln.booking_date - day).days) > days:
                continue
            who = _payer_is_customer(session, ln, adv)
            if who:
                fits.append((ln, f"amount {money_str(ln.amount, ln.currency)} is the advice's total, booked "
                                 f"{ln.booking_date.isoformat()}, {who}"))
    if len(fits) != 1:
        if len(fits) > 1:
            adv.note = (f"{len(fits)} bank lines fit ({', '.join(str(ln.id) for ln, _ in fits[:5])}): "
                        "attached to none; apply by hand")
        return None
    line, why = fits[0]
    adv.status, adv.line_pk, adv.attached_at = "attached", line.id, now
    adv.note = (f"{adv.note}; " if keep_note and adv.note else "") + f"attached to bank line {line.id}: {why}"
    audit.record(session, at=now, actor=actor, action="attach", entity="remittance_advice", entity_key=str(adv.id),
                 changes={"bank_line": line.id, "why": why})
    return line.id


def attach_waiting(session: Session, *, now: dt.datetime, actor: str, days: int, tolerance: Decimal,
                   limit: int = 2000) -> list[int]:
    """Advices still waiting for their bank line, tried again (after an import, before a match): the keys of
    the lines they attached to."""
    waiting = session.scalars(select(RemittanceAdvice).where(RemittanceAdvice.status == "waiting")
                              .order_by(RemittanceAdvice.id).limit(limit)).all()
    out = []
    for adv in waiting:
        pk = attach(session, adv, now=now, actor=actor, days=days, tolerance=tolerance,
                    keep_note=bool(adv.note and adv.note.startswith("not invoices")))
        if pk is not None:
            out.append(pk)
    return out


def any_waiting(session: Session) -> bool:
    return session.scalar(select(RemittanceAdvice.id).where(RemittanceAdvice.status == "waiting").limit(1)) is not None


def label(adv: RemittanceAdvice) -> str:
    """'remittance advice emailed by ap@beta.example on 2026-11-21' — the words a decision gives it."""
    return f"remittance advice emailed by {adv.sender or 'the customer'} on {adv.received_at.date().isoformat()}"


def by_line(session: Session, line_pks: Sequence[int]) -> dict[int, list[RemittanceAdvice]]:
    out: dict[int, list[RemittanceAdvice]] = {}
    keys = sorted(set(line_pks))
    for i in range(0, len(keys), 5000):
        for adv in session.scalars(select(RemittanceAdvice).where(RemittanceAdvice.line_pk.in_(keys[i:i + 5000]))
                                   .order_by(RemittanceAdvice.id)):
            out.setdefault(adv.line_pk, []).append(adv)  # type: ignore[arg-type]
    return out


def documents(advices: Sequence[RemittanceAdvice]) -> tuple[DocumentRef, ...]:
    """The advices' invoices as structured references of their line: our invoice id where resolved, with what
    the payer says it pays (credit notes taken are left to the total)."""
    out = []
    for adv in advices:
        for item in adv.items or []:
            amount = Decimal(item["amount"]) if item.get("amount") is not None else None
            if amount is not None and amount <= 0:
                continue
            out.append(DocumentRef(kind="invoice", number=item.get("invoice_id") or item["number"], amount=amount,
                                   source=label(adv)))
    return tuple(dict.fromkeys(out))


def view(adv: RemittanceAdvice) -> dict[str, Any]:
    """An advice as the Cash page and the API show it."""
    return {"id": str(adv.id), "from": adv.sender, "received": adv.received_at, "subject": adv.subject or "",
            "message_id": str(adv.message_pk), "payment_date": adv.payment_date.isoformat() if adv.payment_date else None,
            "total": None if adv.total is None else money_str(adv.total, adv.currency or "EUR"),
            "currency": adv.currency, "reference": adv.reference, "items": list(adv.items or []),
            "problems": list(adv.problems or []), "status": adv.status, "note": adv.note,
            "line_id": str(adv.line_pk) if adv.line_pk else None}
