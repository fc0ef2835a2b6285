"""Invoice rows of an ERP import: validated, locked, and never changed below what is already applied to
them (nor moved to another customer or currency once they have applications)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from arcollect.db import bulk_insert
from arcollect.ledger import import_rows as R
from arcollect.ledger.import_base import ImportState, Row, in_chunks
from arcollect.ledger.models import Application, Invoice
from arcollect.ledger.queries import refresh_settled
from arcollect.money import quantize


class InvoiceImport(ImportState):
    """``invoices`` files."""

    # ---- invoices ----------------------------------------------------------------------------
    INVOICE_FIELDS = ("customer_pk", "issue_date", "due_date", "amount", "currency", "po_number",
                      "description", "custom_fields")
    # what the books (and a closed month's aging) see; the others may change in a closed month
    BOOKING_FIELDS = ("customer_pk", "issue_date", "due_date", "amount", "currency")

    def chunk_invoices(self, rows: list[Row]) -> None:
        valid: list[tuple[Row, dict[str, Any]]] = []
        for row in rows:
            v = row.raw.values
            ref = self.customer_ref(row, "customer_id", required=True)
            fields, errors = R.collect(v, {
                "invoice_id": lambda: R.identifier(v, "invoice_id"),
                "issue_date": lambda: R.date_value(v, "issue_date", self.date_format),
                "due_date": lambda: R.date_value(v, "due_date", self.date_format),
                "currency": lambda: R.currency_value(v),
                "po_number": lambda: R.text(v, "po_number", max_len=128),
                "description": lambda: R.text(v, "description", max_len=4000),
            })
            row.errors.extend(errors)
            currency = fields.get("currency") or (ref[1] if ref else None)
            fields["currency"] = currency
            fields["amount"] = self.amount(row, "amount", currency, required=True)
            fields["custom_fields"] = self.custom_fields(v)
            if fields.get("issue_date") and fields.get("due_date") and fields["due_date"] < fields["issue_date"]:
                row.fail("due_date", f"{fields['due_date']} is before the issue date {fields['issue_date']}")
            if fields.get("invoice_id") and not self.first_sight(row, fields["invoice_id"]):
                if row.errors:
                    self.reject(row)
                continue
            if row.errors or ref is None:
                self.reject(row)
                continue
            fields["customer_pk"] = ref[0]
            valid.append((row, fields))
        if not valid:
            return
        ids = [f["invoice_id"] for _, f in valid]
        # plain rows of the stored columns, locked (no ORM objects: most rows of a re-import are unchanged)
        existing = {i.invoice_id: i for i in in_chunks(
            self.s, lambda part: select(Invoice.id, Invoice.invoice_id,
                                        *(getattr(Invoice, k) for k in self.INVOICE_FIELDS))
            .where(Invoice.invoice_id.in_(part)).order_by(Invoice.id).with_for_update(), sorted(ids))}
        compared: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {}
        for _, f in valid:
            current = existing.get(f["invoice_id"])
            if current is None or f["invoice_id"] in compared:
                continue
            before = {k: getattr(current, k) for k in self.INVOICE_FIELDS}
            after = {k: f[k] for k in self.INVOICE_FIELDS}
            self.keep_absent(current, after, {k: k for k in ("currency", "po_number", "description")})
            compared[f["invoice_id"]] = (before, after)
        # applied totals only of the invoices that change
        applied = dict(in_chunks(
            self.s, lambda part: select(Application.invoice_pk, func.sum(Application.amount))
            .where(Application.invoice_pk.in_(part)).group_by(Application.invoice_pk),
            [existing[iid].id for iid, (before, after) in compared.items() if before != after]))
        creates = []
        updated_pks: list[int] = []
        changes: list[dict[str, Any]] = []
        for row, f in valid:
            current = existing.get(f["invoice_id"])
            if current is None:
                if self.refuse_closed(row, "issue_date", f["issue_date"], f"invoice {f['invoice_id']}"):
                    self.reject(row)
                    continue
                creates.append(self.stamp({k: f[k] for k in ("invoice_id", *self.INVOICE_FIELDS)}))
                continue
            if self.outside(current.customer_pk):
                row.fail("invoice_id", f"{f['invoice_id']!r} is already the id of an invoice outside your portfolio: "
                                       "it cannot be changed here")
                self.reject(row)
                continue
            before, after = compared[f["invoice_id"]]
            if before == after:
                self.result.unchanged += 1
                continue
            if any(before[k] != after[k] for k in self.BOOKING_FIELDS) and (
                    self.refuse_closed(row, "issue_date", current.issue_date, f"invoice {f['invoice_id']}")
                    or self.refuse_closed(row, "issue_date", f["issue_date"], f"invoice {f['invoice_id']}")):
                self.reject(row)
                continue
            covered = quantize(applied.get(current.id) or Decimal(0), current.currency)
            if covered:
                if f["amount"] < covered:
                    row.fail("amount", f"{f['amount']} is less than the {covered} already applied to invoice {f['invoice_id']}")
                for k in ("currency", "customer_pk"):
                    if before[k] != after[k]:
                        row.fail(k if k == "currency" else "customer_id",
                                 f"cannot change: invoice {f['invoice_id']} already has applications")
                if row.errors:
                    self.reject(row)
                    continue
            changes.append({"id": current.id, **after, "updated_at": self.now})
            self.touched_customers.update((before["customer_pk"], after["customer_pk"]))
            self.result.updated += 1
            self.audit_update("invoice", f["invoice_id"], before, after)
            self.invoice_cache.pop(f["invoice_id"], None)
            updated_pks.append(current.id)
        self.update_many(Invoice.__table__, changes)
        if creates:
            bulk_insert(self.s, Invoice.__table__, creates)
            self.touched_customers.update(record["customer_pk"] for record in creates)
            self.result.created += len(creates)
        self.s.flush()
        refresh_settled(self.s, Invoice, updated_pks)
