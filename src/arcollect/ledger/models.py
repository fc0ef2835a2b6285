"""Ledger tables. Applications, reversals and write-offs are new rows: history is never erased."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    false,
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from arcollect.db import PK, Base, Money, UTCDateTime

ERP_ID = String(64)
OPEN = dt.date(9999, 12, 31)


class ImportBatch(Base):
    """One import run of one file: what it created is traceable to the file and its checksum."""

    __tablename__ = "import_batches"

    id: Mapped[int] = mapped_column(PK, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(32))
    file_name: Mapped[str] = mapped_column(String(512))
    sha256: Mapped[str] = mapped_column(String(64))
    imported_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    actor: Mapped[str] = mapped_column(String(128))
    created: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[int] = mapped_column(Integer, default=0)


class Customer(Base):
    __tablename__ = "customers"

    id: Mapped[int] = mapped_column(PK, primary_key=True, autoincrement=True)
    customer_id: Mapped[str] = mapped_column(ERP_ID, unique=True)
    name: Mapped[str] = mapped_column(String(256))
    parent_pk: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), index=True)
    currency: Mapped[str] = mapped_column(String(3))
    payment_terms_days: Mapped[int | None] = mapped_column(Integer)
    credit_limit: Mapped[Decimal | None] = mapped_column(Money())
    country: Mapped[str | None] = mapped_column(String(2))
    timezone: Mapped[str | None] = mapped_column(String(64))
    language: Mapped[str | None] = mapped_column(String(35))
    segment: Mapped[str | None] = mapped_column(String(64))
    collector: Mapped[str | None] = mapped_column(String(64), index=True)
    team: Mapped[str | None] = mapped_column(String(64), index=True)
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(64))
    # Collections flags kept in arcollect (the ERP does not send them): risk class, do-not-contact, credit hold.
    risk: Mapped[str | None] = mapped_column(String(8))
    do_not_contact: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    credit_hold: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    custom_fields: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    import_batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batches.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class Contact(Base):
    __tablename__ = "contacts"
    __table_args__ = (
        UniqueConstraint("customer_pk", "email", name="uq_contacts_customer_email"),
        CheckConstraint("role IN ('ap', 'billing', 'escalation', 'other')", name="ck_contacts_role"),
    )

    id: Mapped[int] = mapped_column(PK, primary_key=True, autoincrement=True)
    customer_pk: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    email: Mapped[str] = mapped_column(String(254))
    name: Mapped[str | None] = mapped_column(String(256))
    phone: Mapped[str | None] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(16), default="other")
    language: Mapped[str | None] = mapped_column(String(35))
    primary: Mapped[bool] = mapped_column(Boolean, default=False)
    # Set when a delivery-status notification says mail to this address bounced: no more sends to it.
    bouncing_since: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    import_batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batches.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class Invoice(Base):
    __tablename__ = "invoices"
    __table_args__ = (
        CheckConstraint("amount > 0", name="ck_invoices_amount_positive"),
        CheckConstraint("due_date >= issue_date", name="ck_invoices_due_after_issue"),
        # covers the aging scan: walked in (customer, currency) order, no table lookups, no sort
        Index("ix_invoices_aging", "customer_pk", "currency", "open_until", "due_date", "issue_date", "amount"),
    )

    id: Mapped[int] = mapped_column(PK, primary_key=True, autoincrement=True)
    invoice_id: Mapped[str] = mapped_column(ERP_ID, unique=True)
    customer_pk: Mapped[int] = mapped_column(ForeignKey("customers.id"))  # indexed by ix_invoices_aging
    issue_date: Mapped[dt.date] = mapped_column(Date)
    due_date: Mapped[dt.date] = mapped_column(Date)
    amount: Mapped[Decimal] = mapped_column(Money())
    currency: Mapped[str] = mapped_column(String(3))
    po_number: Mapped[str | None] = mapped_column(String(128))
    description: Mapped[str | None] = mapped_column(Text)
    # Fully applied from this date on (its last application); OPEN while anything is open.
    # Lets as-of queries skip settled documents with one range condition: open_until > DATE.
    open_until: Mapped[dt.date] = mapped_column(Date, default=OPEN)  # indexed by ix_invoices_aging
    # Under an open dispute (kept by the dispute cases of arcollect, never by imports): the disputed part
    # (``disputed_amount``; None = the whole invoice) leaves dunning and shows separately in the aging.
    disputed: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    disputed_amount: Mapped[Decimal | None] = mapped_column(Money())
    custom_fields: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    import_batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batches.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class CreditNote(Base):
    __tablename__ = "credit_notes"
    __table_args__ = (
        CheckConstraint("amount > 0", name="ck_credit_notes_amount_positive"),
        Index("ix_credit_notes_unapplied", "open_until", "customer_pk", "currency", "issue_date", "amount"),
    )

    id: Mapped[int] = mapped_column(PK, primary_key=True, autoincrement=True)
    credit_note_id: Mapped[str] = mapped_column(ERP_ID, unique=True)
    customer_pk: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    issue_date: Mapped[dt.date] = mapped_column(Date)
    amount: Mapped[Decimal] = mapped_column(Money())
    currency: Mapped[str] = mapped_column(String(3))
    applies_to: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(Text)
    # Fully applied from this date on (its last application); OPEN while anything is open.
    # Lets as-of queries skip settled documents with one range condition: open_until > DATE.
    open_until: Mapped[dt.date] = mapped_column(Date, default=OPEN)  # indexed with the unapplied query
    custom_fields: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    import_batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batches.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class Payment(Base):
    """Cash received. No customer = unidentified cash."""

    __tablename__ = "payments"
    __table_args__ = (
        CheckConstraint("amount > 0", name="ck_payments_amount_positive"),
        Index("ix_payments_unapplied", "open_until", "customer_pk", "currency", "received_date", "amount"),
    )

    id: Mapped[int] = mapped_column(PK, primary_key=True, autoincrement=True)
    payment_id: Mapped[str] = mapped_column(ERP_ID, unique=True)
    customer_pk: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), index=True)
    received_date: Mapped[dt.date] = mapped_column(Date, index=True)
    amount: Mapped[Decimal] = mapped_column(Money())
    currency: Mapped[str] = mapped_column(String(3))
    reference: Mapped[str | None] = mapped_column(Text)
    payer_name: Mapped[str | None] = mapped_column(String(256))
    applies_to: Mapped[str | None] = mapped_column(Text)
    # Fully applied from this date on (its last application); OPEN while anything is open.
    # Lets as-of queries skip settled documents with one range condition: open_until > DATE.
    open_until: Mapped[dt.date] = mapped_column(Date, default=OPEN)  # indexed with the unapplied query
    custom_fields: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    import_batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batches.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class WriteOff(Base):
    """Money written off an invoice (bad debt, small balance). Applied like a credit."""

    __tablename__ = "write_offs"
    __table_args__ = (CheckConstraint("amount > 0", name="ck_write_offs_amount_positive"),)

    id: Mapped[int] = mapped_column(PK, primary_key=True, autoincrement=True)
    invoice_pk: Mapped[int] = mapped_column(ForeignKey("invoices.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(Money())
    currency: Mapped[str] = mapped_column(String(3))
    written_off_on: Mapped[dt.date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text)
    approved_by: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[str] = mapped_column(String(128))


class Application(Base):
    """Money moved from a payment, credit note or write-off onto an invoice, effective ``applied_on``.

    A reversal is another row with the negative amount and ``reverses_pk`` set; nothing is updated.
    """

    __tablename__ = "applications"
    __table_args__ = (
        CheckConstraint(
            "(CASE WHEN payment_pk IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN credit_note_pk IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN write_off_pk IS NULL THEN 0 ELSE 1 END) = 1",
            name="ck_applications_one_source",
        ),
        CheckConstraint("amount <> 0", name="ck_applications_amount_nonzero"),
        Index("ix_applications_invoice_date", "invoice_pk", "applied_on", "amount"),
        Index("ix_applications_live_invoice", "invoice_open_until", "invoice_pk", "applied_on", "amount"),
        Index("ix_applications_live_document", "document_open_until", "applied_on"),
    )

    id: Mapped[int] = mapped_column(PK, primary_key=True, autoincrement=True)
    invoice_pk: Mapped[int] = mapped_column(ForeignKey("invoices.id"))
    payment_pk: Mapped[int | None] = mapped_column(ForeignKey("payments.id"), index=True)
    credit_note_pk: Mapped[int | None] = mapped_column(ForeignKey("credit_notes.id"), index=True)
    write_off_pk: Mapped[int | None] = mapped_column(ForeignKey("write_offs.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(Money())
    currency: Mapped[str] = mapped_column(String(3))
    applied_on: Mapped[dt.date] = mapped_column(Date)
    reverses_pk: Mapped[int | None] = mapped_column(ForeignKey("applications.id"))
    # Copies of the invoice's and the payment's/credit note's open_until (kept by refresh_settled),
    # so that as-of queries read only the applications of documents still open on the date.
    invoice_open_until: Mapped[dt.date] = mapped_column(Date, default=OPEN)
    document_open_until: Mapped[dt.date] = mapped_column(Date, default=OPEN)
    source: Mapped[str] = mapped_column(String(16), default="manual")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[str] = mapped_column(String(128))


class CustomerBalance(Base):
    """Maintained: a customer's open amount per currency and due date, and the part of it under dispute.

    Recomputed from the ledger for every customer a unit of work touched, in that unit of work (``upkeep``),
    so that the aging as of today is one small GROUP BY; ``arcollect doctor`` reports any drift.
    """

    __tablename__ = "customer_balances"
    __table_args__ = (
        # covers the aging read: walked in (customer, currency) order, no table lookups
        Index("ix_customer_balances_aging", "customer_pk", "currency", "due_date", "open_amount", "disputed_amount"),
    )

    customer_pk: Mapped[int] = mapped_column(ForeignKey("customers.id"), primary_key=True)
    currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    due_date: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    open_amount: Mapped[Decimal] = mapped_column(Money())
    disputed_amount: Mapped[Decimal] = mapped_column(Money())


class CustomerBalanceTotal(Base):
    """Maintained with ``CustomerBalance``: a customer's unapplied cash and credits per currency, and the
    latest date of any of its documents or applications (a later one than today: today's aging reads the
    ledger, since these balances count every movement recorded, dated in the future or not)."""

    __tablename__ = "customer_balance_totals"

    customer_pk: Mapped[int] = mapped_column(ForeignKey("customers.id"), primary_key=True)
    currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    unapplied_cash: Mapped[Decimal] = mapped_column(Money())
    unapplied_credits: Mapped[Decimal] = mapped_column(Money())
    latest_on: Mapped[dt.date] = mapped_column(Date, index=True)
