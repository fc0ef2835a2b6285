"""Activities on an account (calls, emails, letters, notes) and promises-to-pay: their tables."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from arcollect.db import PK, Base, Money, UTCDateTime

CALL_OUTCOMES = ("promise", "dispute", "refused", "paid_already", "left_voicemail", "no_answer",
                 "wrong_contact", "other")
ACTIVITY_KINDS = ("call", "email", "letter", "note", "promise", "review", "escalation", "skip", "snooze")
SYSTEM_KINDS = ("dispute",)  # written by the services only (dispute cases on the timeline)
CHANNELS = ("call", "email", "portal", "letter", "other")


class Activity(Base):
    """Something a person (or the system) did on an account. Never updated."""

    __tablename__ = "activities"
    __table_args__ = (Index("ix_activities_customer_at", "customer_pk", "at"),)

    id: Mapped[int] = mapped_column(PK, primary_key=True, autoincrement=True)
    customer_pk: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    kind: Mapped[str] = mapped_column(String(16))
    outcome: Mapped[str | None] = mapped_column(String(32))
    note: Mapped[str | None] = mapped_column(Text)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    actor: Mapped[str] = mapped_column(String(128))
    contact_pk: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"))
    follow_up_on: Mapped[dt.date | None] = mapped_column(Date)
    action_pk: Mapped[int | None] = mapped_column(ForeignKey("actions.id"))
    promise_pk: Mapped[int | None] = mapped_column(ForeignKey("promises.id"))
    invoices: Mapped[list[str]] = mapped_column(JSON, default=list)


class Promise(Base):
    """A customer's promise to pay an amount by a date; kept/broken is computed from the ledger."""

    __tablename__ = "promises"
    __table_args__ = (CheckConstraint("amount > 0", name="ck_promises_amount_positive"),)

    id: Mapped[int] = mapped_column(PK, primary_key=True, autoincrement=True)
    customer_pk: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(Money())
    currency: Mapped[str] = mapped_column(String(3))
    promised_date: Mapped[dt.date] = mapped_column(Date)
    made_on: Mapped[dt.date] = mapped_column(Date)
    grace_days: Mapped[int] = mapped_column(default=3)
    channel: Mapped[str] = mapped_column(String(16))
    contact_pk: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"))
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[str] = mapped_column(String(128))
    cancelled_on: Mapped[dt.date | None] = mapped_column(Date)
    cancelled_by: Mapped[str | None] = mapped_column(String(128))


class PromiseInvoice(Base):
    __tablename__ = "promise_invoices"

    promise_pk: Mapped[int] = mapped_column(ForeignKey("promises.id"), primary_key=True)
    invoice_pk: Mapped[int] = mapped_column(ForeignKey("invoices.id"), primary_key=True, index=True)
