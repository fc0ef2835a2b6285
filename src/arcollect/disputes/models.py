"""Disputes of invoices (whole or part), their history and their action items: the tables."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, LargeBinary, String, Text, text, true
from sqlalchemy.orm import Mapped, mapped_column

from arcollect.db import PK, Base, Money, UTCDateTime


class Dispute(Base):
    """A customer's dispute of one or more invoices (whole or part), routed to the team that can resolve it."""

    __tablename__ = "disputes"
    __table_args__ = (
        CheckConstraint("status IN ('open', 'in_review', 'waiting_internal', 'waiting_customer', 'resolved', 'closed')",
                        name="ck_disputes_status"),
        Index("ix_disputes_status_team", "status", "team"),
    )

    id: Mapped[int] = mapped_column(PK, primary_key=True, autoincrement=True)
    customer_pk: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    reason: Mapped[str] = mapped_column(String(32))
    team: Mapped[str] = mapped_column(String(32))
    priority: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(20))
    currency: Mapped[str] = mapped_column(String(3))
    amount: Mapped[Decimal] = mapped_column(Money())
    sla_due: Mapped[dt.date] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text)
    resolution: Mapped[str | None] = mapped_column(String(20))
    root_cause: Mapped[str | None] = mapped_column(String(32))
    opened_on: Mapped[dt.date] = mapped_column(Date)
    opened_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    opened_by: Mapped[str] = mapped_column(String(128))
    resolved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    sla_flagged_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())  # collector and manager told


class DisputeItem(Base):
    """An invoice (whole or a part of it) in a dispute. ``active`` while the dispute is (open … waiting_*):
    the database keeps an invoice in at most one active dispute (``uq_dispute_items_active_invoice``)."""

    __tablename__ = "dispute_items"
    __table_args__ = (CheckConstraint("amount > 0", name="ck_dispute_items_amount_positive"),
                      Index("uq_dispute_items_active_invoice", "invoice_pk", unique=True,
                            sqlite_where=text("active"), postgresql_where=text("active")))

    dispute_pk: Mapped[int] = mapped_column(ForeignKey("disputes.id"), primary_key=True)
    invoice_pk: Mapped[int] = mapped_column(ForeignKey("invoices.id"), primary_key=True, index=True)
    amount: Mapped[Decimal] = mapped_column(Money())
    open_at_opening: Mapped[Decimal] = mapped_column(Money())
    active: Mapped[bool] = mapped_column(default=True, server_default=true())  # kept by disputes.service._move


class DisputeEvent(Base):
    """The dispute's history: status changes, comments (from collectors or stakeholders), attachments."""

    __tablename__ = "dispute_events"

    id: Mapped[int] = mapped_column(PK, primary_key=True, autoincrement=True)
    dispute_pk: Mapped[int] = mapped_column(ForeignKey("disputes.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # opened, status, comment, attachment, item
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    actor: Mapped[str] = mapped_column(String(128))
    text: Mapped[str | None] = mapped_column(Text)
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str | None] = mapped_column(String(20))
    filename: Mapped[str | None] = mapped_column(String(300))
    content_type: Mapped[str | None] = mapped_column(String(200))
    data: Mapped[bytes | None] = mapped_column(LargeBinary)


class ActionItem(Base):
    """A task on a dispute for a team or a person (e.g. Billing: issue the credit note), chased to done."""

    __tablename__ = "dispute_action_items"
    __table_args__ = (CheckConstraint("status IN ('open', 'done', 'cancelled')", name="ck_action_items_status"),
                      Index("ix_action_items_team_status", "team", "status"))

    id: Mapped[int] = mapped_column(PK, primary_key=True, autoincrement=True)
    dispute_pk: Mapped[int] = mapped_column(ForeignKey("disputes.id"), index=True)
    title: Mapped[str] = mapped_column(String(500))
    team: Mapped[str] = mapped_column(String(32))
    assignee: Mapped[str | None] = mapped_column(String(128))
    due_on: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16))
    answer: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[str] = mapped_column(String(128))
    done_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    done_by: Mapped[str | None] = mapped_column(String(128))
    notified_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    overdue_notified_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
