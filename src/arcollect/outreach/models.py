"""The outbox: one dunning message per customer, step and day (its idempotency key), rendered, queued,
optionally approved, then sent exactly once."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from arcollect.db import PK, Base, UTCDateTime

STATUSES = ("queued", "awaiting_approval", "sending", "sent", "suppressed", "failed")


class OutboxMessage(Base):
    __tablename__ = "outbox"
    __table_args__ = (
        CheckConstraint("status IN ('queued', 'awaiting_approval', 'sending', 'sent', 'suppressed', 'failed')",
                        name="ck_outbox_status"),
        Index("ix_outbox_status_due", "status", "not_before"),
    )

    id: Mapped[int] = mapped_column(PK, primary_key=True, autoincrement=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)  # customer/step/as-of
    customer_pk: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    action_pk: Mapped[int | None] = mapped_column(ForeignKey("actions.id"))
    step: Mapped[str] = mapped_column(String(48))
    template: Mapped[str] = mapped_column(String(64))
    language: Mapped[str] = mapped_column(String(8))
    as_of: Mapped[dt.date] = mapped_column(Date)
    to_addrs: Mapped[list[str]] = mapped_column(JSON, default=list)
    subject: Mapped[str] = mapped_column(String(500))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    message_id: Mapped[str] = mapped_column(String(250), unique=True)
    invoices: Mapped[list[str]] = mapped_column(JSON, default=list)
    attachment_name: Mapped[str | None] = mapped_column(String(200))
    # the PDF the step attaches: its kind is set when queued, the PDF rendered from the ledger when the
    # message is sent (so it is as current as the re-check) and kept with the message
    attachment_kind: Mapped[str | None] = mapped_column(String(20))
    attachment: Mapped[bytes | None] = mapped_column(LargeBinary)
    status: Mapped[str] = mapped_column(String(20), default="queued")
    not_before: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    status_note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    approved_by: Mapped[str | None] = mapped_column(String(128))
    approved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class InboundMessage(Base):
    """A message read from the collections mailbox: stored raw and parsed, linked to a customer (and the
    outbox message it answers) or left for triage. Never processed twice (unique Message-ID)."""

    __tablename__ = "inbound_messages"
    __table_args__ = (
        CheckConstraint("kind IN ('reply', 'auto_reply', 'bounce', 'forward')", name="ck_inbound_kind"),
        CheckConstraint("status IN ('linked', 'triage')", name="ck_inbound_status"),
    )

    id: Mapped[int] = mapped_column(PK, primary_key=True, autoincrement=True)
    message_id: Mapped[str] = mapped_column(String(500), unique=True)
    from_addr: Mapped[str | None] = mapped_column(String(254))
    to_addrs: Mapped[list[str]] = mapped_column(JSON, default=list)
    subject: Mapped[str | None] = mapped_column(String(1000))
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    in_reply_to: Mapped[str | None] = mapped_column(String(500))
    references: Mapped[list[str]] = mapped_column(JSON, default=list)
    kind: Mapped[str] = mapped_column(String(16))
    body_text: Mapped[str | None] = mapped_column(Text)
    body_html: Mapped[str | None] = mapped_column(Text)  # sanitised (nh3): customer mail is untrusted
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    customer_pk: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), index=True)
    outbox_pk: Mapped[int | None] = mapped_column(ForeignKey("outbox.id"))
    match_reason: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16))
    fetched_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class InboundAttachment(Base):
    __tablename__ = "inbound_attachments"

    id: Mapped[int] = mapped_column(PK, primary_key=True, autoincrement=True)
    message_pk: Mapped[int] = mapped_column(ForeignKey("inbound_messages.id"), index=True)
    filename: Mapped[str] = mapped_column(String(500))
    content_type: Mapped[str] = mapped_column(String(200))
    data: Mapped[bytes] = mapped_column(LargeBinary)


class MessageTemplate(Base):
    """An admin's edit of a message template: every save is a new version; the highest version of a
    (language, name) is in force; a version without source restores the file's template."""

    __tablename__ = "message_templates"
    __table_args__ = (UniqueConstraint("language", "name", "version", name="uq_message_templates_version"),)

    id: Mapped[int] = mapped_column(PK, primary_key=True, autoincrement=True)
    language: Mapped[str] = mapped_column(String(8))
    name: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    source: Mapped[str | None] = mapped_column(Text)
    saved_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    saved_by: Mapped[str] = mapped_column(String(128))
