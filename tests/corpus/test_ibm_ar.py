"""The IBM Watson 'Accounts Receivable' export (2,466 real invoices) and two messy re-saves of it.

Customers, invoices and their settlements are imported with column mapping and US dates; the aging
on any date must equal an independent recomputation from the CSV (open = issued ≤ D < settled).
"""

from __future__ import annotations

import csv
import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from arcollect.ledger import service
from arcollect.ledger.aging import DEFAULT_BOUNDS, bucket_index
from arcollect.ledger.models import Customer, Invoice

pytestmark = pytest.mark.corpus
ORIGINAL = "ibm_watson_ar/WA_Fn-UseC_-Accounts-Receivable.csv"
DDMM = "ibm_watson_ar/variant_excel_resaved_ddmmyyyy__pedroteles.csv"
BLANKS = "ibm_watson_ar/variant_with_missing_values__wdmartin44.csv"
CUSTOMER_MAP = ["customerID=customer_id,customerID=name"]
INVOICE_MAP = ["invoiceNumber=invoice_id,customerID=customer_id,InvoiceDate=issue_date,"
               "DueDate=due_date,InvoiceAmount=amount"]
PAYMENT_MAP = ["invoiceNumber=payment_id,invoiceNumber=applies_to,customerID=customer_id,"
               "SettledDate=received_date,InvoiceAmount=amount"]


def _load(ctx, path: Path, date_format: str) -> None:  # noqa: ANN001
    customers = service.import_file(ctx, kind="customers", path=path, mapping=CUSTOMER_MAP, keep_unknown=False)
    assert not customers.errors, customers.errors[:5]
    invoices = service.import_file(ctx, kind="invoices", path=path, mapping=INVOICE_MAP, date_format=date_format)
    assert not invoices.errors, invoices.errors[:5]
    payments = service.import_file(ctx, kind="payments", path=path, mapping=PAYMENT_MAP, date_format=date_format,
                                   keep_unknown=False)
    assert not payments.errors, payments.errors[:5]
    return customers, invoices, payments


def _expected_aging(path: Path, as_of: dt.date, fmt: str) -> list[Decimal]:
    """Open amounts per default bucket, straight from the file."""
    buckets = [Decimal(0)] * (len(DEFAULT_BOUNDS) + 1)
    with path.open(newline="", encoding="utf-8-sig") as handle:
        for row in csv.DictReader(handle):
            issued = dt.datetime.strptime(row["InvoiceDate"], fmt).date()
            settled = dt.datetime.strptime(row["SettledDate"], fmt).date()
            if issued <= as_of < settled:
                due = dt.datetime.strptime(row["DueDate"], fmt).date()
                buckets[bucket_index((as_of - due).days, DEFAULT_BOUNDS)] += Decimal(row["InvoiceAmount"])
    return buckets


def test_ibm_export_imports_with_ids_intact_and_ages_like_the_file(ctx, corpus):
    path = corpus / ORIGINAL
    customers, invoices, payments = _load(ctx, path, "%m/%d/%Y")
    assert (customers.created, customers.unchanged) == (100, 2366)
    assert invoices.created == 2466 and payments.created == 2466
    assert any("Disputed" in w for w in invoices.warnings)  # kept as custom fields
    with ctx.sessions() as s:
        assert s.scalar(select(func.count()).select_from(Customer)) == 100
        inv = s.scalars(select(Invoice).where(Invoice.invoice_id == "0000611365")).one()
        assert (str(inv.issue_date), str(inv.due_date), inv.amount) == ("2013-01-02", "2013-02-01", Decimal("55.9400"))
        assert inv.custom_fields["Disputed"] == "No"
    assert service.ledger_totals(ctx, as_of=dt.date(2014, 12, 31), currency="USD").invoiced == Decimal("147703.18")
    for as_of in (dt.date(2012, 3, 31), dt.date(2013, 6, 30), dt.date(2013, 12, 31)):
        report = service.aging(ctx, as_of=as_of)
        assert report.totals[0].buckets == _expected_aging(path, as_of, "%m/%d/%Y"), as_of
        assert report.totals[0].total > 0
    assert service.aging(ctx, as_of=dt.date(2014, 2, 1)).rows == []  # everything settled by then
    again = service.import_file(ctx, kind="invoices", path=path, mapping=INVOICE_MAP, date_format="%m/%d/%Y")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2466)


def test_excel_resave_with_day_first_dates_needs_and_honours_date_format(ctx, corpus):
    path = corpus / DDMM
    service.import_file(ctx, kind="customers", path=path, mapping=CUSTOMER_MAP, keep_unknown=False)
    wrong = service.import_file(ctx, kind="invoices", path=path, mapping=INVOICE_MAP, date_format="%m/%d/%Y")
    # day 13..31 cannot be a month, and a swapped date that does parse puts the due date before the
    # issue date: every problem is a date cell, and the file is refused whole
    assert wrong.errors and wrong.created == 0
    assert all(e.split(": ")[1] in ("issue_date", "due_date") for e in wrong.errors)
    assert f"{path}:2: due_date: 2012-02-02 is before the issue date 2012-03-01" in wrong.errors
    with ctx.sessions() as s:
        assert s.scalar(select(func.count()).select_from(Invoice)) == 0
    _, invoices, _ = _load(ctx, path, "%d/%m/%Y")
    assert invoices.created == 2466
    assert service.ledger_totals(ctx, as_of=dt.date(2014, 12, 31), currency="USD").invoiced == Decimal("147703.18")
    as_of = dt.date(2013, 6, 30)
    assert service.aging(ctx, as_of=as_of).totals[0].buckets == _expected_aging(path, as_of, "%d/%m/%Y")


def test_variant_with_blank_cells_imports_cleanly(ctx, corpus):
    """Blanks sit only in PaperlessDate/PaperlessBill, which are not ledger columns: they are simply
    not stored as custom fields. (Blank required cells are reported per line: see test_imports.)"""
    path = corpus / BLANKS
    _, invoices, payments = _load(ctx, path, "%m/%d/%Y")
    assert invoices.created == 2586 and payments.created == 2586
    with ctx.sessions() as s:
        inv = s.scalars(select(Invoice).where(Invoice.invoice_id == "136962706")).one()
        assert "PaperlessDate" not in inv.custom_fields and inv.custom_fields["DaysLate"] == "7"
    as_of = dt.date(2013, 6, 30)
    assert service.aging(ctx, as_of=as_of).totals[0].buckets == _expected_aging(path, as_of, "%m/%d/%Y")
