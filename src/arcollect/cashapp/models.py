"""Cash application tables: bank statements, their lines (one per transaction), and what people taught the
matcher (payer accounts and payer names that belong to a customer)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Date, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from arcollect.db import PK, Base, Money, UTCDateTime

LINE_STATUSES = ("unmatched", "proposed", "applied", "excluded")
DEBIT = "debit"  # the excluded reason of a debit line: it needs no matching


class BankStatement(Base):
    """One statement (or notification) of one account read from a bank file."""

    __tablename__ = "bank_statements"
    __table_args__ = (
        CheckConstraint("balance_check IN ('ok', 'break', 'n/a')", name="ck_bank_statements_balance_check"),
        # the same file read again finds its statements instead of adding them twice
        UniqueConstraint("file_sha256", "position", name="uq_bank_statements_file_position"),
        Index("ix_bank_statements_account_closing", "account", "closing_date"),
    )

    id: Mapped[int] = mapped_column(PK, primary_key=True, autoincrement=True)
    account: Mapped[str] = mapped_column(String(64))
    currency: Mapped[str] = mapped_column(String(3))
    statement_id: Mapped[str | None] = mapped_column(String(128))
    format: Mapped[str] = mapped_column(String(32))
    file_name: Mapped[str] = mapped_column(String(512))
    file_sha256: Mapped[str] = mapped_column(String(64))
    position: Mapped[int] = mapped_column(Integer)  # the statement's place in its file, from 0
    opening: Mapped[Decimal | None] = mapped_column(Money())
    closing: Mapped[Decimal | None] = mapped_column(Money())
    opening_date: Mapped[dt.date | None] = mapped_column(Date)
    closing_date: Mapped[dt.date | None] = mapped_column(Date)
    credits: Mapped[Decimal] = mapped_column(Money())
    debits: Mapped[Decimal] = mapped_column(Money())
    balance_check: Mapped[str] = mapped_column(String(8))
    continuity: Mapped[str | None] = mapped_column(String(16))  # "gap" | "overlap" with the previous statement
    line_count: Mapped[int] = mapped_column(Integer)
    imported_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    imported_by: Mapped[str] = mapped_column(String(128))


class BankLine(Base):
    """One bank transaction, as the bank states it (texts verbatim), and what cash application made of it."""

    __tablename__ = "bank_lines"
    __table_args__ = (
        CheckConstraint("status IN ('unmatched', 'proposed', 'applied', 'excluded')", name="ck_bank_lines_status"),
        CheckConstraint("amount <> 0", name="ck_bank_lines_amount_nonzero"),
        # CONTRACT §9: idempotent by bank reference + account + amount + date (see service.line_key)
        UniqueConstraint("line_key", name="uq_bank_lines_line_key"),
        # a payment is the cash of one line: never two lines on one payment
        UniqueConstraint("payment_pk", name="uq_bank_lines_payment"),
        Index("ix_bank_lines_status_date", "status", "booking_date"),
    )

    id: Mapped[int] = mapped_column(PK, primary_key=True, autoincrement=True)
    statement_pk: Mapped[int] = mapped_column(ForeignKey("bank_statements.id"), index=True)
    line_key: Mapped[str] = mapped_column(String(64))
    account: Mapped[str] = mapped_column(String(64))
    booking_date: Mapped[dt.date] = mapped_column(Date)
    value_date: Mapped[dt.date | None] = mapped_column(Date)
    amount: Mapped[Decimal] = mapped_column(Money())  # signed: credits > 0, debits < 0
    currency: Mapped[str] = mapped_column(String(3))
    reference: Mapped[str | None] = mapped_column(String(256))
    payer_name: Mapped[str | None] = mapped_column(String(256))
    payer_account: Mapped[str | None] = mapped_column(String(64), index=True)  # IBAN compact when valid
    payer_bic: Mapped[str | None] = mapped_column(String(16))
    end_to_end_id: Mapped[str | None] = mapped_column(String(256))
    bank_code: Mapped[str | None] = mapped_column(String(64))
    remittance: Mapped[list[str]] = mapped_column(JSON, default=list)  # every free text, verbatim, in order
    documents: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)  # structured references
    location: Mapped[str] = mapped_column(String(256), default="")
    status: Mapped[str] = mapped_column(String(16), default="unmatched")
    customer_pk: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), index=True)
    confidence: Mapped[float] = mapped_column(Float, default=0.0)
    reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    proposals: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    payment_pk: Mapped[int | None] = mapped_column(ForeignKey("payments.id"))
    excluded_reason: Mapped[str | None] = mapped_column(Text)
    decided_by: Mapped[str | None] = mapped_column(String(128))  # "rule" or the person who applied/excluded it
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class PayerAccount(Base):
    """A payer account a person tied to a customer (learned from a manual application)."""

    __tablename__ = "payer_accounts"

    id: Mapped[int] = mapped_column(PK, primary_key=True, autoincrement=True)
    account: Mapped[str] = mapped_column(String(64), unique=True)
    customer_pk: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    learned_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    learned_by: Mapped[str] = mapped_column(String(128))


class PayerAlias(Base):
    """A payer name a person confirmed for a customer (``name_key``: the name folded for comparison)."""

    __tablename__ = "payer_aliases"

    id: Mapped[int] = mapped_column(PK, primary_key=True, autoincrement=True)
    name_key: Mapped[str] = mapped_column(String(256), unique=True)
    name: Mapped[str] = mapped_column(String(256))
    customer_pk: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    learned_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    learned_by: Mapped[str] = mapped_column(String(128))


ADVICE_STATUSES = ("waiting", "attached", "unusable")


class RemittanceAdvice(Base):
    """A remittance advice read from an inbound email (cashapp.advice): the invoices and amounts it says a payment
    settles, and the bank line it describes once found (``waiting`` until then; ``unusable`` when it names
    nothing of ours — ``note`` says why)."""

    __tablename__ = "remittance_advices"
    __table_args__ = (
        CheckConstraint("status IN ('waiting', 'attached', 'unusable')", name="ck_remittance_advices_status"),
        Index("ix_remittance_advices_status", "status"),
    )

    id: Mapped[int] = mapped_column(PK, primary_key=True, autoincrement=True)
    message_pk: Mapped[int] = mapped_column(ForeignKey("inbound_messages.id"), unique=True)
    customer_pk: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), index=True)
    sender: Mapped[str | None] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(1000), default="")
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    payment_date: Mapped[dt.date | None] = mapped_column(Date)
    total: Mapped[Decimal | None] = mapped_column(Money())
    currency: Mapped[str | None] = mapped_column(String(3))
    reference: Mapped[str | None] = mapped_column(String(128))
    # [{"number": as written, "invoice_id": ours or null, "amount": "980.00" or null, "gross", "discount", "source"}]
    items: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    payer_hints: Mapped[list[str]] = mapped_column(JSON, default=list)
    problems: Mapped[list[str]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(16), default="waiting")
    note: Mapped[str | None] = mapped_column(Text)
    line_pk: Mapped[int | None] = mapped_column(ForeignKey("bank_lines.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    attached_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


RUN_STATUSES = ("running", "done", "failed")
RUNNING = "status = 'running'"


class CashMatchRun(Base):
    """One matching run (``cash match``, the web's "Match now"): how many lines it has to decide and has decided,
    so a page can show its progress across reloads; at most one runs at a time (the partial unique index)."""

    __tablename__ = "cash_match_runs"
    __table_args__ = (
        CheckConstraint("status IN ('running', 'done', 'failed')", name="ck_cash_match_runs_status"),
        Index("uq_cash_match_runs_running", "status", unique=True, sqlite_where=text(RUNNING),
              postgresql_where=text(RUNNING)),
    )

    id: Mapped[int] = mapped_column(PK, primary_key=True, autoincrement=True)
    status: Mapped[str] = mapped_column(String(8), default="running")
    phase: Mapped[str] = mapped_column(String(16), default="reading")  # reading | matching | applying | finished
    as_of: Mapped[dt.date] = mapped_column(Date)
    total: Mapped[int] = mapped_column(Integer, default=0)
    done: Mapped[int] = mapped_column(Integer, default=0)
    result: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    error: Mapped[str | None] = mapped_column(Text)
    started_by: Mapped[str] = mapped_column(String(128))
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
