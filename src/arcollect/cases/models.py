"""Activities on an account (calls, emails, letters, notes), promises-to-pay, disputes, escalations and instalment plans."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, Index, LargeBinary, String, Text, text, true
from sqlalchemy.orm import Mapped, mapped_column

from arcollect.db import PK, Base, Money, UTCDateTime

CALL_OUTCOMES = ("promise", "dispute", "refused", "paid_already", "left_voicemail", "no_answer",
                 "wrong_contact", "other")
ACTIVITY_KINDS = ("call", "email", "letter", "note", "promise", "review", "escalation", "skip", "snooze")
SYSTEM_KINDS = ("dispute",)  # written by the services only (dispute cases on the timeline)
CHANNELS = ("call", "email", "portal", "letter", "other")
OPEN_ESCALATION = "status IN ('proposed', 'approved')"  # cases/escalations.py OPEN, as SQL


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
    active: Mapped[bool] = mapped_column(default=True, server_default=true())  # kept by dispute_service._move


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


class EscalationPolicyVersion(Base):
    """Escalation policy versions (rules + approval matrix): every load is a new row; the highest is in force."""

    __tablename__ = "escalation_policy_versions"

    id: Mapped[int] = mapped_column(PK, primary_key=True, autoincrement=True)
    version: Mapped[int] = mapped_column(unique=True)
    name: Mapped[str] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    loaded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    loaded_by: Mapped[str] = mapped_column(String(128))


class Escalation(Base):
    """A proposed escalation action on an account (in one currency), decided by an approver of the matrix."""

    __tablename__ = "escalations"
    __table_args__ = (
        CheckConstraint("status IN ('proposed', 'approved', 'rejected', 'cancelled', 'completed', 'broken')",
                        name="ck_escalations_status"),
        Index("ix_escalations_status", "status"),
        Index("ix_escalations_customer_action", "customer_pk", "action"),
        # one open (proposed or approved) escalation per account, currency and action
        Index("uq_escalations_open_action", "customer_pk", "currency", "action", unique=True,
              sqlite_where=text(OPEN_ESCALATION), postgresql_where=text(OPEN_ESCALATION)),
    )

    id: Mapped[int] = mapped_column(PK, primary_key=True, autoincrement=True)
    customer_pk: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    currency: Mapped[str] = mapped_column(String(3))
    action: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(12))
    amount: Mapped[Decimal] = mapped_column(Money())  # what the matrix measures (see cases/escalations.py)
    past_due: Mapped[Decimal] = mapped_column(Money())  # the account's past-due balance when proposed
    rule: Mapped[str | None] = mapped_column(String(48))  # None: proposed by a person
    reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    details: Mapped[dict] = mapped_column(JSON, default=dict)  # settlement, plan schedule, write-off items
    note: Mapped[str | None] = mapped_column(Text)
    proposed_on: Mapped[dt.date] = mapped_column(Date)
    proposed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    proposed_by: Mapped[str] = mapped_column(String(128))
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    decided_by: Mapped[str | None] = mapped_column(String(128))
    decision_note: Mapped[str | None] = mapped_column(Text)
    approver_roles: Mapped[list[str]] = mapped_column(JSON, default=list)  # the matrix level applied
    policy_version: Mapped[int] = mapped_column(default=0)
    completed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    result: Mapped[dict] = mapped_column(JSON, default=dict)  # what was done: write-off ids, promise, plan …
    promise_pk: Mapped[int | None] = mapped_column(ForeignKey("promises.id"))
    plan_pk: Mapped[int | None] = mapped_column(ForeignKey("payment_plans.id"))
    document: Mapped[bytes | None] = mapped_column(LargeBinary)  # the demand letter sent
    document_name: Mapped[str | None] = mapped_column(String(200))


class PaymentPlan(Base):
    """An instalment schedule agreed with the customer for some of their invoices."""

    __tablename__ = "payment_plans"
    __table_args__ = (CheckConstraint("total > 0", name="ck_payment_plans_total_positive"),
                      CheckConstraint("status IN ('active', 'completed', 'broken', 'cancelled')",
                                      name="ck_payment_plans_status"))

    id: Mapped[int] = mapped_column(PK, primary_key=True, autoincrement=True)
    customer_pk: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    currency: Mapped[str] = mapped_column(String(3))
    total: Mapped[Decimal] = mapped_column(Money())
    invoices: Mapped[list[str]] = mapped_column(JSON, default=list)
    agreed_on: Mapped[dt.date] = mapped_column(Date)
    grace_days: Mapped[int] = mapped_column(default=3)
    status: Mapped[str] = mapped_column(String(12))  # as of its last evaluation (the daily run)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[str] = mapped_column(String(128))
    cancelled_on: Mapped[dt.date | None] = mapped_column(Date)


class PlanInstalment(Base):
    __tablename__ = "payment_plan_instalments"
    __table_args__ = (CheckConstraint("amount > 0", name="ck_plan_instalments_amount_positive"),)

    plan_pk: Mapped[int] = mapped_column(ForeignKey("payment_plans.id"), primary_key=True)
    number: Mapped[int] = mapped_column(primary_key=True)
    due_on: Mapped[dt.date] = mapped_column(Date)
    amount: Mapped[Decimal] = mapped_column(Money())
