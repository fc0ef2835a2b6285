"""Bulk loading of generated demo books (explicit keys, batched inserts; a million invoices in minutes)."""

from __future__ import annotations

import datetime as dt
from typing import Callable, Iterable

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from arcollect.errors import Conflict
from arcollect.ledger.demo import Book
from arcollect.db import bulk_insert
from arcollect.ledger.queries import refresh_settled
from arcollect.ledger.models import (
    Application, Contact, CreditNote, Customer, ImportBatch, Invoice, Payment,
)

TABLES = (Customer, Contact, Invoice, CreditNote, Payment, Application)


class _Keys:
    def __init__(self, session: Session) -> None:
        self.next = {m: (session.scalar(select(func.max(m.id))) or 0) + 1 for m in TABLES}

    def take(self, model: type) -> int:
        key = self.next[model]
        self.next[model] = key + 1
        return key


def load_books(session: Session, books: Iterable[Book], *, now: dt.datetime, actor: str,
               progress: Callable[[int], None] | None = None, flush_every: int = 2000) -> dict[str, int]:
    """Insert the books; refuses to load over customers that already exist."""
    keys = _Keys(session)
    batch = ImportBatch(kind="demo", file_name="(generated demo portfolio)", sha256="-", imported_at=now,
                        actor=actor)
    session.add(batch)
    session.flush()
    stamp = {"created_at": now, "updated_at": now, "import_batch_id": batch.id}
    pending: dict[type, list[dict]] = {m: [] for m in TABLES}
    counts = {m.__tablename__: 0 for m in TABLES}
    customer_pk: dict[str, int] = {}
    parent_links: list[tuple[int, str]] = []

    def flush() -> None:
        for model in TABLES:
            rows = pending[model]
            if rows:
                bulk_insert(session, model.__table__, rows)
                counts[model.__tablename__] += len(rows)
                pending[model] = []

    seen = 0
    for book in books:
        c = dict(book.customer)
        if seen == 0 and session.scalar(select(Customer.id).where(Customer.customer_id == c["customer_id"])):
            raise Conflict(f"customer {c['customer_id']} already exists: the demo loads into an empty ledger")
        pk = customer_pk[c["customer_id"]] = keys.take(Customer)
        parent = c.pop("parent_id")
        if parent:
            parent_links.append((pk, parent))
        pending[Customer].append({"id": pk, **c, **stamp})
        for contact in book.contacts:
            pending[Contact].append({"id": keys.take(Contact), "customer_pk": pk, **contact, **stamp})
        inv_pk = []
        for inv in book.invoices:
            inv_pk.append(keys.take(Invoice))
            pending[Invoice].append({"id": inv_pk[-1], "customer_pk": pk, **inv, **stamp})
        cn_pk = []
        for cn in book.credit_notes:
            cn_pk.append(keys.take(CreditNote))
            pending[CreditNote].append({"id": cn_pk[-1], "customer_pk": pk, **cn, **stamp})
        pay_pk = []
        for p in book.payments:
            p = dict(p)
            unidentified = p.pop("unidentified")
            pay_pk.append(keys.take(Payment))
            pending[Payment].append({"id": pay_pk[-1], "customer_pk": None if unidentified else pk, **p, **stamp})
        for kind, doc, inv_index, amount, when in book.applications:
            link = {"payment_pk": pay_pk[doc]} if kind == "payment" else {"credit_note_pk": cn_pk[doc]}
            pending[Application].append({"id": keys.take(Application), "invoice_pk": inv_pk[inv_index],
                                         "amount": amount, "currency": book.invoices[inv_index]["currency"],
                                         "applied_on": when, "source": "import", "created_at": now,
                                         "created_by": actor, **link})
        seen += 1
        if seen % flush_every == 0:
            flush()
        if progress:
            progress(1)
    flush()
    for child, parent in parent_links:
        session.execute(Customer.__table__.update().where(Customer.id == child)
                        .values(parent_pk=customer_pk[parent]))
    for model in (Invoice, Payment, CreditNote):
        refresh_settled(session, model)
    if session.get_bind().dialect.name == "postgresql":
        for model in TABLES:
            table = model.__tablename__
            session.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                 f"GREATEST((SELECT MAX(id) FROM {table}), 1))"))
    batch.created = counts["invoices"]
    return counts
