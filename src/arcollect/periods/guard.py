"""The period lock: what every ledger write asks before it books anything dated (documents, applications,
reversals, write-offs). Depends only on its own table, so the ledger may use it (import-linter contract).

On PostgreSQL a writer holds a shared advisory lock until it commits and a close takes it exclusively, so a
document can never slip into a month between the check and the close's snapshot; SQLite has one writer.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from arcollect.errors import Conflict
from arcollect.periods import rules
from arcollect.periods.models import PeriodClose

LOCK_KEY = 0x4152_434C_4F53_45  # "ARCLOSE": the advisory lock of the period close


def _share_lock(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock_shared(:k)"), {"k": LOCK_KEY})


def exclusive_lock(session: Session) -> None:
    """The close's side: waits for writers in flight, holds new ones until the close commits."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": LOCK_KEY})


def latest_closed(session: Session) -> str | None:
    """The latest closed month (``YYYY-MM``), None when no month is closed."""
    return session.scalar(select(func.max(PeriodClose.month)).where(PeriodClose.reopened_at.is_(None)))


def closed_through(session: Session) -> dt.date | None:
    """The last closed date, for the rest of this transaction (a writer's shared lock is taken)."""
    _share_lock(session)
    return rules.closed_through(latest_closed(session))


def assert_open(session: Session, *, on: dt.date, what: str) -> None:
    """Conflict when ``on`` is in a closed month: "2026-03 is closed: <what> dated 2026-03-14 cannot be created
    or changed; post the correction in the open period"."""
    if rules.is_closed(on, closed_through(session)):
        raise Conflict(rules.refusal(on, what))
