"""Escalation policy versions, escalations and instalment plans: the tables."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, Index, LargeBinary, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from arcollect.db import PK, Base, Money, UTCDateTime

OPEN_ESCALATION = "status IN ('proposed', 'approved')"  # escalations/policy.py OPEN, as SQL


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
    amount: Mapped[Decimal] = mapped_column(Money())  # what the matrix measures (see escalations/policy.py)
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
