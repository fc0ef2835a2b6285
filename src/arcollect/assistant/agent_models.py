"""The assistant's stored work: one triage per inbound message (what it read, with the evidence) and the
actions it proposes, each waiting for a person (or an admin's auto-approval rule) to approve it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Boolean, CheckConstraint, Float, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from arcollect.db import PK, Base, UTCDateTime

PROPOSAL_STATUSES = ("proposed", "approved", "edited", "rejected", "auto")


class AssistantTriage(Base):
    """The triage of one inbound message (CONTRACT §11's reading, kept for the queue and the account page)."""

    __tablename__ = "assistant_triages"

    id: Mapped[int] = mapped_column(PK, primary_key=True, autoincrement=True)
    message_pk: Mapped[int | None] = mapped_column(ForeignKey("inbound_messages.id"), unique=True)
    customer_pk: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), index=True)
    intent: Mapped[str] = mapped_column(String(32))
    confidence: Mapped[float] = mapped_column(Float, default=0.0)
    language: Mapped[str | None] = mapped_column(String(8))
    reading: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # the whole triage result
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class AssistantProposal(Base):
    """One proposed action: its kind, what it would do (payload), why (evidence, confidence) and what became
    of it. Nothing is changed until it is approved; a failed execution keeps it proposed with the error."""

    __tablename__ = "assistant_proposals"
    __table_args__ = (
        CheckConstraint("status IN ('proposed', 'approved', 'edited', 'rejected', 'auto')",
                        name="ck_assistant_proposals_status"),
        Index("ix_assistant_proposals_status_customer", "status", "customer_pk"),
    )

    id: Mapped[int] = mapped_column(PK, primary_key=True, autoincrement=True)
    triage_pk: Mapped[int] = mapped_column(ForeignKey("assistant_triages.id"), index=True)
    customer_pk: Mapped[int | None] = mapped_column(ForeignKey("customers.id"))
    kind: Mapped[str] = mapped_column(String(32))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    evidence: Mapped[list[str]] = mapped_column(JSON, default=list)
    confidence: Mapped[float] = mapped_column(Float, default=0.0)
    status: Mapped[str] = mapped_column(String(16), default="proposed")
    proposed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    decided_by: Mapped[str | None] = mapped_column(String(128))
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    original: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # the payload as proposed, when edited
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)    # what the execution recorded (ids)
    error: Mapped[str | None] = mapped_column(Text)                # the last failed execution, in words


class AssistantAutoRule(Base):
    """An admin's auto-approval rule for one action kind, set on the Assistant settings page: on or off, and the
    confidence a proposal needs. A kind without a row follows the ``assistant_auto_approve`` setting."""

    __tablename__ = "assistant_auto_rules"
    __table_args__ = (CheckConstraint("threshold >= 0 AND threshold <= 1", name="ck_assistant_auto_rules_threshold"),)

    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    threshold: Mapped[float] = mapped_column(Float, default=0.95)
    updated_by: Mapped[str] = mapped_column(String(128))
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class AssistantAnswer(Base):
    """A short answer an admin maintains for a question customers ask (bank details, W-9, late fees): the words
    that identify the question, the answer in one language. Drafts answering a question use it (or an SOP)."""

    __tablename__ = "assistant_answers"

    id: Mapped[int] = mapped_column(PK, primary_key=True, autoincrement=True)
    topic: Mapped[str] = mapped_column(String(200))
    keywords: Mapped[str] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(8))
    answer: Mapped[str] = mapped_column(Text)
    updated_by: Mapped[str] = mapped_column(String(128))
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
