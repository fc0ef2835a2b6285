"""The small ledgers the report tests compute by hand, built through the ledger's import service."""

from __future__ import annotations

from pathlib import Path

from arcollect.ledger import service as ledger
from tests.conftest import write_csv


def load(ctx, tmp_path: Path, *, customers: list[str], invoices: list[str] = (), credit_notes: list[str] = (),  # noqa: ANN001
         payments: list[str] = ()) -> None:
    write_csv(tmp_path / "c.csv", "customer_id,name,currency,collector,segment", *customers)
    assert not ledger.import_file(ctx, kind="customers", path=tmp_path / "c.csv").errors
    if invoices:
        write_csv(tmp_path / "i.csv", "invoice_id,customer_id,issue_date,due_date,amount,currency,po_number", *invoices)
        assert not ledger.import_file(ctx, kind="invoices", path=tmp_path / "i.csv").errors
    if credit_notes:
        write_csv(tmp_path / "n.csv", "credit_note_id,customer_id,issue_date,amount,currency,applies_to", *credit_notes)
        assert not ledger.import_file(ctx, kind="credit-notes", path=tmp_path / "n.csv").errors
    if payments:
        write_csv(tmp_path / "p.csv", "payment_id,customer_id,received_date,amount,currency,applies_to", *payments)
        assert not ledger.import_file(ctx, kind="payments", path=tmp_path / "p.csv").errors


def quarter_book(ctx, tmp_path: Path) -> None:  # noqa: ANN001
    """The worked example of docs/reports.md: one USD customer, 2026-Q1 (90 days).

    I1 1,000.00 issued 2025-12-01 due 2025-12-31, paid in full 2026-01-20 (P1).
    I2 3,000.00 issued 2026-01-15 due 2026-02-14; credit note N1 500.00 of 2026-02-01 applied; 1,000.00 paid
       2026-03-10 (P2) → 1,500.00 open and past due on 2026-03-31.
    I3 2,000.00 issued 2026-03-01 due 2026-03-31 → open, not past due on its due date.
    I4 1,500.00 issued 2026-03-20 due 2026-04-19 → open, current.
    """
    load(ctx, tmp_path, customers=["C1,Acme,USD,alice,key"],
         invoices=["I1,C1,2025-12-01,2025-12-31,1000.00,USD,PO-1", "I2,C1,2026-01-15,2026-02-14,3000.00,USD,PO-2",
                   "I3,C1,2026-03-01,2026-03-31,2000.00,USD,PO-3", "I4,C1,2026-03-20,2026-04-19,1500.00,USD,PO-4"],
         credit_notes=["N1,C1,2026-02-01,500.00,USD,I2"],
         payments=["P1,C1,2026-01-20,1000.00,USD,I1", "P2,C1,2026-03-10,1000.00,USD,I2"])
