"""Actions proposed by the playbook (the worklist's tasks), per-day worklist entries and runs."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Boolean, CheckConstraint, Date, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from arcollect.db import PK, Base, UTCDateTime

ACTION_STATUSES = ("open", "done", "skipped", "cancelled")


class Action(Base):
    """One step of the playbook proposed for one customer on one day; unique per (customer, step, day)."""

    __tablename__ = "actions"
    __table_args__ = (
        UniqueConstraint("customer_pk", "step", "proposed_on", name="uq_actions_customer_step_day"),
        CheckConstraint("status IN ('open', 'done', 'skipped', 'cancelled')", name="ck_actions_status"),
        CheckConstraint("channel IN ('email', 'call', 'letter', 'review', 'escalation')", name="ck_actions_channel"),
        Index("ix_actions_open", "status", "customer_pk"),
    )

    id: Mapped[int] = mapped_column(PK, primary_key=True, autoincrement=True)
    customer_pk: Mapped[int] = mapped_column(ForeignKey("customers.id"))  # indexed by the unique key
    segment: Mapped[str] = mapped_column(String(64))
    step: Mapped[str] = mapped_column(String(48))
    channel: Mapped[str] = mapped_column(String(16))
    template: Mapped[str | None] = mapped_column(String(64))
    proposed_on: Mapped[dt.date] = mapped_column(Date)
    due_on: Mapped[dt.date] = mapped_column(Date)
    scheduled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    invoices: Mapped[list[str]] = mapped_column(JSON, default=list)
    amounts: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    needs_approval: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(16), default="open")
    snoozed_until: Mapped[dt.date | None] = mapped_column(Date)
    playbook_version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    closed_by: Mapped[str | None] = mapped_column(String(128))
    close_note: Mapped[str | None] = mapped_column(Text)


class WorklistEntry(Base):
    """A customer's place on a day's worklist: priority, its parts and the reasons behind it."""

    __tablename__ = "worklist_entries"
    __table_args__ = (Index("ix_worklist_entries_day_collector", "as_of", "collector", "priority"),)

    customer_pk: Mapped[int] = mapped_column(ForeignKey("customers.id"), primary_key=True)
    as_of: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    collector: Mapped[str | None] = mapped_column(String(64))
    segment: Mapped[str | None] = mapped_column(String(64))
    priority: Mapped[float] = mapped_column(Float)
    parts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    notes: Mapped[list[str]] = mapped_column(JSON, default=list)


class WorklistRun(Base):
    """One evaluation of the playbook for a day (whole book or one collector's portfolio)."""

    __tablename__ = "worklist_runs"

    id: Mapped[int] = mapped_column(PK, primary_key=True, autoincrement=True)
    as_of: Mapped[dt.date] = mapped_column(Date, index=True)
    collector: Mapped[str | None] = mapped_column(String(64))
    playbook_version: Mapped[int] = mapped_column(Integer)
    ran_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    actor: Mapped[str] = mapped_column(String(128))
    accounts: Mapped[int] = mapped_column(Integer, default=0)
    proposed: Mapped[int] = mapped_column(Integer, default=0)
    cancelled: Mapped[int] = mapped_column(Integer, default=0)


class EvaluationState(Base):
    """Per customer, what the last daily-run evaluation saw: the incremental run skips an account whose
    inputs stamp is unchanged and whose next interesting date has not come (worklist/incremental.py)."""

    __tablename__ = "evaluation_states"

    customer_pk: Mapped[int] = mapped_column(ForeignKey("customers.id"), primary_key=True)
    evaluated_on: Mapped[dt.date] = mapped_column(Date)  # the run's date (as of)
    evaluated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    stamp: Mapped[str] = mapped_column(String(32))  # digest of every input of the engine and the score
    next_on: Mapped[dt.date | None] = mapped_column(Date)  # None: nothing happens until an input changes
    entries_on: Mapped[dt.date] = mapped_column(Date)  # the day of its latest worklist entry
    playbook_version: Mapped[int] = mapped_column(Integer)
    # the engine's segment and notes from the next day until next_on: {"segment": …, "notes": [...]}
    # (None: the next day must be evaluated) — a skipped account's entry of a later day is built from it
    outlook: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
