"""The matcher's input read from the database in bulk: the lines to match, every customer as a ``Party`` (with
what people taught), every open invoice as an ``OpenItem``; and the settings as ``MatchSettings``."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import Any, Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from arcollect.cashapp import advices
from arcollect.cashapp.models import BankLine, PayerAccount, PayerAlias
from arcollect.cashapp.shapes import DocumentRef, LineIn, OpenItem, Party
from arcollect.cashapp.store import documents_of
from arcollect.ledger.models import Application, Customer, Invoice
from arcollect.money import quantize
from arcollect.periods import rules as period_rules
from arcollect.periods.guard import latest_closed
from arcollect.settings import Settings

CHUNK = 5000
ZERO = Decimal(0)


def undecided_lines(session: Session, *, line_ids: Sequence[int] | None = None) -> list[BankLine]:
    """Credit lines not applied or excluded (``line_ids``: only these), in date order."""
    stmt = select(BankLine).where(BankLine.status.in_(("unmatched", "proposed")), BankLine.amount > 0)
    if line_ids is not None:
        stmt = stmt.where(BankLine.id.in_(sorted({int(i) for i in line_ids})[:CHUNK]))
    return list(session.scalars(stmt.order_by(BankLine.booking_date, BankLine.id)))


def in_open_months(session: Session, lines: Sequence[BankLine]) -> tuple[list[BankLine], int]:
    """The lines booked in an open month, and how many were booked in a closed one (their payment could be
    neither created nor changed: matching them only fails; a person reopens the month or leaves them)."""
    through = period_rules.closed_through(latest_closed(session))
    kept = [ln for ln in lines if not period_rules.is_closed(ln.booking_date, through)]
    return kept, len(lines) - len(kept)


def line_in(line: BankLine, extra: Sequence[DocumentRef] = ()) -> LineIn:
    """A line as the matcher reads it; ``extra``: documents named elsewhere (an emailed remittance advice)."""
    return LineIn(id=str(line.id), date=line.booking_date, amount=line.amount, currency=line.currency,
                  payer_name=line.payer_name, payer_account=line.payer_account, texts=tuple(line.remittance or ()),
                  documents=documents_of(line.documents) + tuple(extra))


def line_ins(session: Session, lines: Sequence[BankLine]) -> tuple[list[LineIn], dict[str, tuple[str, set[str]]]]:
    """The lines as the matcher reads them, each with the invoices and amounts of the remittance advices attached
    to it as structured documents; and per advised line (its id) the advice's words and the invoices it names,
    for the reasons of the decision."""
    attached = advices.by_line(session, [ln.id for ln in lines])
    out, advised = [], {}
    for ln in lines:
        mine = attached.get(ln.id, [])
        out.append(line_in(ln, advices.documents(mine)))
        if mine:
            named = {i["invoice_id"] for a in mine for i in a.items or [] if i.get("invoice_id")}
            advised[str(ln.id)] = ("; ".join(advices.label(a) for a in mine), named)
    return out, advised


def parties(session: Session) -> list[Party]:
    parent = aliased(Customer)
    accounts: dict[int, list[str]] = defaultdict(list)
    for cpk, account in session.execute(select(PayerAccount.customer_pk, PayerAccount.account).order_by(PayerAccount.id)):
        accounts[cpk].append(account)
    aliases: dict[int, list[str]] = defaultdict(list)
    for cpk, name in session.execute(select(PayerAlias.customer_pk, PayerAlias.name).order_by(PayerAlias.id)):
        aliases[cpk].append(name)
    rows = session.execute(select(Customer.id, Customer.customer_id, Customer.name, parent.customer_id)
                           .outerjoin(parent, parent.id == Customer.parent_pk).order_by(Customer.customer_id))
    return [Party(customer_id=cid, name=name, parent_id=pid, accounts=tuple(accounts.get(pk, ())),
                  aliases=tuple(aliases.get(pk, ()))) for pk, cid, name, pid in rows]


def open_items(session: Session, *, as_of: dt.date, currencies: set[str]) -> list[OpenItem]:
    """Every invoice open on the date in these currencies (disputed ones flagged, with their whole open amount:
    a payer may pay a disputed invoice after all), oldest due first."""
    if not currencies:
        return []
    filters = [Invoice.open_until > as_of, Invoice.issue_date <= as_of, Invoice.currency.in_(sorted(currencies))]
    applied = dict(session.execute(select(Application.invoice_pk, func.sum(Application.amount))
                                   .join(Invoice, Invoice.id == Application.invoice_pk)
                                   .where(Application.applied_on <= as_of, *filters)
                                   .group_by(Application.invoice_pk)).all())
    rows = session.execute(select(Invoice.id, Customer.customer_id, Invoice.invoice_id, Invoice.currency, Invoice.amount,
                                  Invoice.due_date, Invoice.issue_date, Invoice.po_number, Invoice.disputed)
                           .join(Customer, Customer.id == Invoice.customer_pk).where(*filters)
                           .order_by(Invoice.due_date, Invoice.invoice_id)).all()
    out = []
    for pk, cid, iid, cur, amount, due, issued, po, disputed in rows:
        left = quantize(amount - (applied.get(pk) or ZERO), cur)
        if left > 0:
            out.append(OpenItem(customer_id=cid, invoice_id=iid, currency=cur, open_amount=left, due_date=due,
                                issue_date=issued, po_number=po, disputed=bool(disputed)))
    return out


SETTING_NAMES = {"auto_threshold": "cash_auto_threshold", "fee_tolerance": "cash_fee_tolerance",
                 "discount_tolerance_pct": "cash_discount_tolerance_pct", "short_pay": "cash_short_pay"}


def match_settings(settings_cls: Any, settings: Settings) -> Any:
    """``MatchSettings`` from the configured ``cash_*`` settings (only the fields the class has)."""
    names = {f.name for f in dataclasses.fields(settings_cls)}
    return settings_cls(**{field: getattr(settings, key) for field, key in SETTING_NAMES.items() if field in names})
