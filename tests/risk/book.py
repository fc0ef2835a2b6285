"""A small ledger with known payment habits: LATE always pays 20 days after the due date, PROMPT on it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from arcollect.ledger import service as ledger
from tests.conftest import write_csv

TODAY = dt.date(2026, 11, 23)
HABITS = {"LATE": 20, "PROMPT": 0}


def load_habits(ctx, tmp_path: Path) -> dict[str, list[str]]:  # noqa: ANN001
    """Weekly invoices (30-day terms) from 2025-06-02; those whose habitual payment day has come are paid.
    Each customer also gets one fresh invoice issued 2026-11-20 (due 2026-12-20). Returns the open ids."""
    write_csv(tmp_path / "c.csv", "customer_id,name,currency,payment_terms_days,segment",
              "LATE,Late Payer Ltd,USD,30,retail", "PROMPT,Prompt Payer Ltd,USD,30,retail")
    invoices, payments, open_ids = [], [], {c: [] for c in HABITS}
    day = dt.date(2025, 6, 2)
    n = 0
    while day <= dt.date(2026, 10, 26):
        for cust, late in HABITS.items():
            n += 1
            due = day + dt.timedelta(days=30)
            iid = f"{cust}-{n:04d}"
            invoices.append(f"{iid},{cust},{day},{due},{100 + n % 7 * 10}.00")
            paid = due + dt.timedelta(days=late)
            if paid < TODAY:
                payments.append(f"P-{iid},{paid},{100 + n % 7 * 10}.00,{cust},{iid}")
            else:
                open_ids[cust].append(iid)
        day += dt.timedelta(days=7)
    for cust in HABITS:
        invoices.append(f"{cust}-NEW,{cust},2026-11-20,2026-12-20,500.00")
        open_ids[cust].append(f"{cust}-NEW")
    for kind, header, rows in (("customers", None, None),
                               ("invoices", "invoice_id,customer_id,issue_date,due_date,amount", invoices),
                               ("payments", "payment_id,received_date,amount,customer_id,applies_to", payments)):
        path = tmp_path / "c.csv" if header is None else write_csv(tmp_path / f"{kind}.csv", header, *rows)
        result = ledger.import_file(ctx, kind=kind, path=path)
        assert not result.errors, result.errors[:3]
    return open_ids
