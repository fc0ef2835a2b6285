"""Closed periods and their snapshots. A close is a row (append-only: reopening stamps it, never deletes
it); each close keeps the aging per customer × currency and the key figures per currency of its last day."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from arcollect.db import PK, Base, Money, UTCDateTime

LIVE = "reopened_at IS NULL"


class PeriodClose(Base):
    """One closing of a month. The month is closed while its live close (not reopened) exists."""

    __tablename__ = "period_closes"
    __table_args__ = (
        # one live close per month: two people closing the same month at once cannot both succeed
        Index("uq_period_closes_live_month", "month", unique=True,
              sqlite_where=text(LIVE), postgresql_where=text(LIVE)),
    )

    id: Mapped[int] = mapped_column(PK, primary_key=True, autoincrement=True)
    month: Mapped[str] = mapped_column(String(7))  # YYYY-MM
    as_of: Mapped[dt.date] = mapped_column(Date)   # the month's last day: the snapshot's date
    closed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    closed_by: Mapped[str] = mapped_column(String(128))
    reopened_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    reopened_by: Mapped[str | None] = mapped_column(String(128))
    reopen_reason: Mapped[str | None] = mapped_column(Text)


class PeriodAging(Base):
    """The aging of a close's day, one row per customer and currency (default buckets, due basis)."""

    __tablename__ = "period_aging"
    __table_args__ = (UniqueConstraint("close_pk", "customer_id", "currency", name="uq_period_aging_row"),)

    id: Mapped[int] = mapped_column(PK, primary_key=True, autoincrement=True)
    close_pk: Mapped[int] = mapped_column(ForeignKey("period_closes.id"))  # indexed by the unique constraint
    customer_id: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(256))
    collector: Mapped[str | None] = mapped_column(String(64))
    currency: Mapped[str] = mapped_column(String(3))
    current: Mapped[Decimal] = mapped_column(Money())
    days_1_30: Mapped[Decimal] = mapped_column(Money())
    days_31_60: Mapped[Decimal] = mapped_column(Money())
    days_61_90: Mapped[Decimal] = mapped_column(Money())
    days_90_plus: Mapped[Decimal] = mapped_column(Money())
    unapplied_cash: Mapped[Decimal] = mapped_column(Money())
    unapplied_credits: Mapped[Decimal] = mapped_column(Money())
    disputed: Mapped[Decimal] = mapped_column(Money())


BUCKET_COLUMNS = ("current", "days_1_30", "days_31_60", "days_61_90", "days_90_plus")


class PeriodFigures(Base):
    """The key figures of a close's day, per currency."""

    __tablename__ = "period_figures"
    __table_args__ = (UniqueConstraint("close_pk", "currency", name="uq_period_figures_currency"),)

    id: Mapped[int] = mapped_column(PK, primary_key=True, autoincrement=True)
    close_pk: Mapped[int] = mapped_column(ForeignKey("period_closes.id"))
    currency: Mapped[str] = mapped_column(String(3))
    ar_total: Mapped[Decimal] = mapped_column(Money())
    current: Mapped[Decimal] = mapped_column(Money())
    past_due: Mapped[Decimal] = mapped_column(Money())
    disputed: Mapped[Decimal] = mapped_column(Money())
    unapplied_cash: Mapped[Decimal] = mapped_column(Money())      # on customers' accounts
    unidentified_cash: Mapped[Decimal] = mapped_column(Money())   # on nobody's account
    unapplied_credits: Mapped[Decimal] = mapped_column(Money())
    net_balance: Mapped[Decimal] = mapped_column(Money())         # ar_total − unapplied cash − credits
    customers: Mapped[int] = mapped_column(Integer)               # customers with a row in the aging
