"""The reading side of cash application (re-exported by ``service``, which other packages and the interfaces
call): bank lines in the CONTRACT §9 shape, counts per status, a line's full detail, a customer's bank cash still
to settle, remittance advices and imported statements — each limited to what the caller may see."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import func, or_, select

from arcollect import audit
from arcollect.cashapp import advices, history, posting
from arcollect.cashapp.models import LINE_STATUSES, BankLine, BankStatement
from arcollect.context import Context
from arcollect.errors import InvalidInput, NotFound
from arcollect.ledger import service as ledger
from arcollect.ledger.models import Customer, Invoice
from arcollect.ledger.scope import EVERYTHING, CustomerScope
from arcollect.money import money_str, to_decimal

def _visible(stmt: Any, scope: CustomerScope, unidentified: bool) -> Any:
    """Lines of customers in ``scope``; lines of no customer only for the cash roles (``unidentified``)."""
    condition = scope.condition()
    if condition is None:
        return stmt if unidentified else stmt.where(BankLine.customer_pk.is_not(None))
    mine = BankLine.customer_pk.in_(select(Customer.id).where(condition))
    return stmt.where(or_(mine, BankLine.customer_pk.is_(None)) if unidentified else mine)


def _line_view(ln: BankLine, customer_id: str | None, applications: list[dict[str, Any]]) -> dict[str, Any]:
    return {"id": str(ln.id), "reference": ln.reference or "", "date": ln.booking_date.isoformat(),
            "amount": money_str(ln.amount, ln.currency), "currency": ln.currency, "payer": ln.payer_name or "",
            "remittance": "\n".join(ln.remittance or []), "status": ln.status, "customer_id": customer_id,
            "confidence": float(ln.confidence or 0.0), "applications": applications,
            "reasons": list(ln.reasons or []), "proposals": list(ln.proposals or [])}


UNIDENTIFIED = "unidentified"  # a filter, not a status: credits still open that name no customer


def _unidentified() -> Any:
    """Credit lines still open (unmatched, or proposed across several customers) with no customer identified."""
    return (BankLine.status.in_(posting.OPEN_STATUSES), BankLine.customer_pk.is_(None), BankLine.amount > 0)


def _filtered(stmt: Any, status: str | None, booked_on: dt.date | None) -> Any:
    if status == UNIDENTIFIED:
        stmt = stmt.where(*_unidentified())
    elif status:
        stmt = stmt.where(BankLine.status == status)
    return stmt.where(BankLine.booking_date == booked_on) if booked_on else stmt


def lines(ctx: Context, *, status: str | None = None, scope: CustomerScope = EVERYTHING, unidentified: bool = True,
          limit: int | None = None, offset: int = 0, with_total: bool = False,
          booked_on: dt.date | None = None) -> Any:
    """Bank lines in the CONTRACT §9 JSON shape, newest first (``with_total``: (rows, total)). ``status`` may
    also be "unidentified" (open credits of no customer); ``booked_on``: the lines the bank booked that day."""
    if status is not None and status not in (*LINE_STATUSES, UNIDENTIFIED):
        raise InvalidInput(f"--status {status!r}: one of {', '.join(LINE_STATUSES)}")
    with ctx.sessions() as session:
        stmt = _visible(select(BankLine, Customer.customer_id).outerjoin(Customer, Customer.id == BankLine.customer_pk),
                        scope, unidentified)
        count = _visible(select(func.count()).select_from(BankLine), scope, unidentified)
        stmt, count = _filtered(stmt, status, booked_on), _filtered(count, status, booked_on)
        stmt = stmt.order_by(BankLine.booking_date.desc(), BankLine.id.desc()).offset(offset)
        if limit is not None:
            stmt = stmt.limit(limit)
        rows = session.execute(stmt).all()
        apps = posting.applications_of(session, [ln.payment_pk for ln, _ in rows if ln.status == "applied"])
        out = [_line_view(ln, cid, apps.get(ln.payment_pk, []) if ln.status == "applied" else []) for ln, cid in rows]
        total = session.scalar(count) if with_total else None
    return (out, total) if with_total else out


def line(ctx: Context, *, line_id: str, scope: CustomerScope = EVERYTHING, unidentified: bool = True) -> dict[str, Any]:
    """One bank line in the CONTRACT §9 shape (NotFound outside the caller's scope)."""
    with ctx.sessions() as session:
        try:
            key = int(line_id)
        except (TypeError, ValueError):
            raise NotFound(f"bank line {line_id!r} not found") from None
        stmt = _visible(select(BankLine, Customer.customer_id).outerjoin(Customer, Customer.id == BankLine.customer_pk)
                        .where(BankLine.id == key), scope, unidentified) if 0 < key < 2**63 else None
        row = session.execute(stmt).first() if stmt is not None else None
        if row is None:
            raise NotFound(f"bank line {line_id} not found")
        ln, cid = row
        apps = posting.applications_of(session, [ln.payment_pk]) if ln.status == "applied" else {}
        return _line_view(ln, cid, apps.get(ln.payment_pk, []))


def counts(ctx: Context, *, scope: CustomerScope = EVERYTHING, unidentified: bool = True,
           booked_on: dt.date | None = None) -> dict[str, int]:
    """How many lines the caller sees per status, and how many of them are unidentified cash."""
    with ctx.sessions() as session:
        base = _filtered(_visible(select(BankLine.status, func.count()).select_from(BankLine), scope, unidentified),
                         None, booked_on)
        out = {s: 0 for s in LINE_STATUSES}
        out.update({s: n for s, n in session.execute(base.group_by(BankLine.status))})
        out[UNIDENTIFIED] = session.scalar(_filtered(_visible(select(func.count()).select_from(BankLine), scope,
                                                              unidentified), UNIDENTIFIED, booked_on)) or 0
    return out


def line_detail(ctx: Context, *, line_id: str, scope: CustomerScope = EVERYTHING,
                unidentified: bool = True) -> dict[str, Any]:
    """``line`` and everything the bank said about it (payer account, value date, structured documents, where
    it is in its file) and what became of it (customer name, unapplied rest, excluded reason, who decided)."""
    view = line(ctx, line_id=line_id, scope=scope, unidentified=unidentified)
    with ctx.sessions() as session:
        ln = session.get(BankLine, int(view["id"]))
        st = session.get(BankStatement, ln.statement_pk)
        name = session.scalar(select(Customer.name).where(Customer.id == ln.customer_pk)) if ln.customer_pk else None
        applied = sum((to_decimal(a["amount"]) for a in view["applications"]), Decimal(0))
        named = {p.get("customer_id") for p in view["proposals"]} - {None}
        names = {cid: nm for cid, nm in session.execute(select(Customer.customer_id, Customer.name)
                                                        .where(Customer.customer_id.in_(sorted(named))))}
        view.update({"customer_names": names,
            "value_date": ln.value_date.isoformat() if ln.value_date else None, "payer_account": ln.payer_account,
            "payer_bic": ln.payer_bic, "end_to_end_id": ln.end_to_end_id, "bank_code": ln.bank_code,
            "texts": list(ln.remittance or []), "documents": list(ln.documents or []), "location": ln.location,
            "customer_name": name, "excluded_reason": ln.excluded_reason, "decided_by": ln.decided_by,
            "is_credit": ln.amount > 0, "in_ledger": ln.payment_pk is not None, "statement": {"account": st.account, "file_name": st.file_name,
                                                      "statement_id": st.statement_id} if st else None,
            "unapplied": money_str(ln.amount - applied, ln.currency) if ln.status == "applied" else None,
            "advices": [advices.view(a) for a in advices.by_line(session, [ln.id]).get(ln.id, [])],
            "residuals": _residuals(session, view["applications"], ln.currency) if ln.status == "applied" else [],
            "history": history.told([history.Entry(e.at, e.actor, e.action, e.changes or {})
                                     for e in audit.history(session, "bank_line", str(ln.id))], currency=ln.currency)})
    return view


def _residuals(session: Any, applications: list[dict[str, Any]], currency: str) -> list[dict[str, Any]]:
    """The invoices an applied line pays that are still open (what a write-off of the residual may take), with
    what the line paid of each and what is left."""
    ids = [a["invoice_id"] for a in applications]
    found = {i.invoice_id: i for i in session.scalars(select(Invoice).where(Invoice.invoice_id.in_(ids)))} if ids else {}
    out = []
    for a in applications:
        inv = found.get(a["invoice_id"])
        left = ledger.open_amount_of(session, inv.id) if inv is not None else Decimal(0)
        if left > 0:
            out.append({"invoice_id": a["invoice_id"], "paid": a["amount"], "open": money_str(left, currency)})
    return out


def customer_cash(ctx: Context, *, customer_id: str, scope: CustomerScope = EVERYTHING,
                  limit: int = 50) -> dict[str, list[dict[str, Any]]]:
    """A customer's bank cash still to settle: lines applied to it that left an unapplied rest (on account), and
    lines proposed for it waiting for review (also those proposed across several customers that name it)."""
    with ctx.sessions() as session:
        c = ledger.scoped_customer(session, scope, customer_id)
        mine = session.scalars(select(BankLine).where(BankLine.customer_pk == c.id,
                                                      BankLine.status.in_(("applied", "proposed")))
                               .order_by(BankLine.booking_date.desc(), BankLine.id.desc())).all()
        shared = [ln for ln in session.scalars(select(BankLine).where(BankLine.status == "proposed",
                                                                      BankLine.customer_pk.is_(None))
                                               .order_by(BankLine.booking_date.desc(), BankLine.id.desc())
                                               .limit(2000))
                  if any(p.get("customer_id") == customer_id for p in ln.proposals or [])]
        apps = posting.applications_of(session, [ln.payment_pk for ln in mine if ln.status == "applied"])
        rest, proposed = [], []
        for ln in mine:
            if ln.status == "applied":
                view = _line_view(ln, customer_id, apps.get(ln.payment_pk, []))
                left = ln.amount - sum((to_decimal(a["amount"]) for a in view["applications"]), Decimal(0))
                if left > 0 and len(rest) < limit:
                    rest.append({**view, "unapplied": money_str(left, ln.currency)})
            elif len(proposed) < limit:
                proposed.append(_line_view(ln, customer_id, []))
        for ln in shared[:max(0, limit - len(proposed))]:
            proposed.append(_line_view(ln, None, []))
    return {"unapplied": rest, "proposed": proposed}


def remittance_advices(ctx: Context, *, scope: CustomerScope = EVERYTHING, customer_id: str | None = None,
                       status: str | None = None, limit: int = 200) -> list[dict[str, Any]]:
    """Remittance advices read from inbound mail, newest first: their invoices and amounts, the bank line they
    attached to or why none (advices of no customer only for callers who see everything)."""
    from arcollect.cashapp.models import ADVICE_STATUSES, RemittanceAdvice

    if status is not None and status not in ADVICE_STATUSES:
        raise InvalidInput(f"status {status!r}: one of {', '.join(ADVICE_STATUSES)}")
    with ctx.sessions() as session:
        stmt = select(RemittanceAdvice, Customer.customer_id).outerjoin(Customer, Customer.id == RemittanceAdvice.customer_pk)
        if customer_id is not None:
            stmt = stmt.where(RemittanceAdvice.customer_pk == ledger.scoped_customer(session, scope, customer_id).id)
        elif (condition := scope.condition()) is not None:
            stmt = stmt.where(RemittanceAdvice.customer_pk.in_(select(Customer.id).where(condition)))
        if status is not None:
            stmt = stmt.where(RemittanceAdvice.status == status)
        rows = session.execute(stmt.order_by(RemittanceAdvice.id.desc()).limit(limit)).all()
        return [{**advices.view(a), "customer_id": cid} for a, cid in rows]


def statements(ctx: Context, *, limit: int = 50, offset: int = 0) -> tuple[list[dict[str, Any]], int]:
    """Imported statements, newest first, with their balance check and continuity note."""
    with ctx.sessions() as session:
        total = session.scalar(select(func.count()).select_from(BankStatement)) or 0
        rows = session.scalars(select(BankStatement).order_by(BankStatement.imported_at.desc(), BankStatement.id.desc())
                               .limit(limit).offset(offset)).all()
        out = [{"id": str(s.id), "account": s.account, "currency": s.currency, "statement_id": s.statement_id,
                "format": s.format, "file_name": s.file_name,
                "opening": money_str(s.opening, s.currency) if s.opening is not None else None,  # null: not stated
                "closing": money_str(s.closing, s.currency) if s.closing is not None else None,
                "opening_date": s.opening_date.isoformat() if s.opening_date else None,
                "closing_date": s.closing_date.isoformat() if s.closing_date else None,
                "credits": money_str(s.credits, s.currency), "debits": money_str(s.debits, s.currency),
                "balance_check": s.balance_check, "continuity": s.continuity, "lines": s.line_count,
                "imported_at": s.imported_at.isoformat(), "imported_by": s.imported_by} for s in rows]
    return out, total
