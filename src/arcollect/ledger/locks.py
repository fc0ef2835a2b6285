"""Row locks for every write that moves money (DESIGN §8), and the test for a transaction that lost a race.

Whoever applies money to an invoice (imports, applications, reversals, write-offs, cash application)
first locks the invoices — and the payment or credit note it applies from — with ``lock_rows``, in
ascending key order, and only then reads what is open: two writers can never both spend the same
open amount. On PostgreSQL that is ``SELECT … FOR UPDATE``; SQLite has one writer at a time (a
writing transaction starts with ``BEGIN IMMEDIATE``, see ``db.writing``), so nothing more is needed.
"""

from __future__ import annotations

import sqlite3
from typing import Any, Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

LOCK_CHUNK = 5000  # keys per statement (PostgreSQL takes at most 65,535 bind parameters)
# SQLSTATEs of a transaction that collided with another one and may simply run again:
# serialization failure, deadlock detected, unique violation (the other inserted the same key first).
RETRYABLE_SQLSTATES = frozenset({"40001", "40P01", "23505"})


def lock_rows(session: Session, model: Any, pks: Iterable[int]) -> None:
    """Lock these rows of ``model`` for the rest of the transaction, in ascending key order."""
    keys = sorted({int(pk) for pk in pks if pk is not None})
    if not keys or session.get_bind().dialect.name != "postgresql":
        return
    for start in range(0, len(keys), LOCK_CHUNK):
        part = keys[start:start + LOCK_CHUNK]
        session.execute(select(model.id).where(model.id.in_(part)).order_by(model.id).with_for_update()).all()


def lost_race(exc: BaseException) -> bool:
    """True when ``exc`` says the transaction collided with a concurrent one (run it again), not that
    the data is wrong: a PostgreSQL deadlock, serialization failure or duplicate key, or SQLite's
    writer lock still held by another process after the busy timeout."""
    for error in (exc, getattr(exc, "orig", None), exc.__cause__):
        if error is None:
            continue
        if getattr(error, "sqlstate", None) in RETRYABLE_SQLSTATES:
            return True
        if isinstance(error, sqlite3.OperationalError) and "locked" in str(error):
            return True
        if isinstance(error, sqlite3.IntegrityError) and "UNIQUE constraint failed" in str(error):
            return True
    return False
