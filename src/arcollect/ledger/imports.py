"""ERP imports (CONTRACT §2): validate every row, then create, update or leave unchanged, in bulk.

Runs inside the caller's transaction: the service rolls everything back when a row is invalid
(unless ``partial``), so a failed import leaves the ledger exactly as before.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable, Iterable

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from arcollect import audit
from arcollect.ledger import import_rows as R
from arcollect.ledger.allocation import allocate_document, normalize_applies_to, parse_applies_to
from arcollect.ledger.balances import Movement, available_from
from arcollect.ledger.import_read import RawRow, Table, chunked
from arcollect.db import bulk_insert
from arcollect.ledger.queries import refresh_settled
from arcollect.ledger.scope import FULL_RIGHTS, ImportRights
from arcollect.ledger.models import (
    Application, Contact, CreditNote, Customer, ImportBatch, Invoice, Payment,
)
from arcollect.money import parse_amount, quantize

CHUNK = 20_000
Progress = Callable[[int], None]


@dataclass
class ImportResult:
    kind: str
    path: Path
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    rejected_file: Path | None = None
    batch_id: int | None = None

    def summary(self) -> dict[str, Any]:
        return {"created": self.created, "updated": self.updated, "unchanged": self.unchanged,
                "rejected": self.rejected, "errors": list(self.errors), "warnings": list(self.warnings),
                "rejected_file": str(self.rejected_file) if self.rejected_file else None}


@dataclass
class _Row:
    raw: RawRow
    errors: list[R.CellError] = field(default_factory=list)

    def fail(self, column: str, message: str) -> None:
        self.errors.append(R.CellError(column, message))


def _nul_cells(raw: RawRow) -> list[R.CellError]:
    """NUL characters are refused in every cell: no ERP value has one and PostgreSQL cannot store them."""
    return [R.CellError(column, "contains a NUL character") for column, value in raw.values.items()
            if "\x00" in value]


IN_CHUNK = 5000  # PostgreSQL takes at most 65,535 bind parameters per statement


def _in_chunks(session: Session, build: Callable[[list[Any]], Any], values: Iterable[Any]) -> list[Any]:
    """Run ``build(part)`` for parts of ``values`` small enough for one IN list; all rows."""
    items = list(values)
    rows: list[Any] = []
    for start in range(0, len(items), IN_CHUNK):
        rows.extend(session.execute(build(items[start:start + IN_CHUNK])).all())
    return rows


def _fingerprint(values: dict[str, str], columns: list[str]) -> tuple:
    return tuple(values.get(c, "") for c in columns)


TABLES_WRITTEN = {"customers": ("customers",), "contacts": ("contacts",), "invoices": ("invoices",),
                  "credit-notes": ("credit_notes", "applications"), "payments": ("payments", "applications")}


class _Importer:
    """State of one import run (caches live across chunks of the same file)."""

    def __init__(self, session: Session, table: Table, kind: str, *, date_format: str | None,
                 actor: str, now: dt.datetime, base_currency: str, keep_unknown: bool = True,
                 rights: ImportRights = FULL_RIGHTS) -> None:
        self.s = session
        self.table = table
        self.header = set(table.header)
        self.rights = rights
        self.spec = R.SPECS[kind]
        self.kind = kind
        self.date_format = date_format
        self.actor = actor
        self.now = now
        self.today = now.date()
        self.base_currency = base_currency
        self.result = ImportResult(kind, table.path)
        self.seen: dict[str, tuple[int, tuple]] = {}
        self.customers: dict[str, tuple[int, str]] = {}  # the customers this import may touch
        self.hidden: set[str] = set()  # customer ids outside the caller's portfolio: "unknown" here
        self.hidden_pks: set[int] = set()
        self.invoice_cache: dict[str, dict[str, Any]] = {}
        self.unknown_columns = [c for c in table.header if c not in self.spec.known]
        self.keep_unknown = keep_unknown and self.spec.keeps_custom_fields
        self.custom_columns = self.unknown_columns if self.keep_unknown else []
        # what makes two rows with the same id "the same row": the columns that are stored
        self.fp_columns = [c for c in table.header if c in self.spec.known or c in self.custom_columns]
        self.batch_id: int | None = None
        self.audits: list[dict[str, Any]] = []
        self.rejected_rows: list[tuple[RawRow, str]] = []

    # ---- shared helpers -------------------------------------------------------------------
    def load_customers(self) -> None:
        scope = self.rights.scope
        query = select(Customer.id, Customer.customer_id, Customer.currency, Customer.collector, Customer.team)
        for pk, cid, cur, collector, team in self.s.execute(query):
            if scope.allows(collector, team):
                self.customers[cid] = (pk, cur)
            else:
                self.hidden.add(cid)
                self.hidden_pks.add(pk)

    def outside(self, customer_pk: int | None) -> bool:
        """A stored document of a customer outside the caller's portfolio (or unidentified cash, which only
        a caller who sees every customer may change)."""
        return customer_pk in self.hidden_pks or (customer_pk is None and not self.rights.scope.everything)

    def keep_absent(self, current: Any, after: dict[str, Any], columns: dict[str, str]) -> None:
        """Fields whose column the file leaves out keep their stored value: an import never clears what it
        does not send. Custom fields: the file's custom columns are set or cleared, the others kept."""
        for name, column in columns.items():
            if column not in self.header:
                after[name] = getattr(current, name)
        if "custom_fields" in after:
            merged = {k: v for k, v in (current.custom_fields or {}).items() if k not in self.custom_columns}
            merged.update(after["custom_fields"] or {})
            after["custom_fields"] = merged or None

    def custom_fields(self, values: dict[str, str]) -> dict[str, str] | None:
        if not self.custom_columns:
            return None
        found = {c: values[c] for c in self.custom_columns if values.get(c)}
        return found or None

    def first_sight(self, row: _Row, key: str) -> bool:
        """False when the same id came earlier in this file (identical: skipped; different: error)."""
        fp = _fingerprint(row.raw.values, self.fp_columns)
        earlier = self.seen.get(key)
        if earlier is None:
            self.seen[key] = (row.raw.line, fp)
            return True
        if earlier[1] == fp:
            self.result.unchanged += 1
            return False
        row.fail(self.spec.id_column, f"{key!r} appears again (line {earlier[0]}) with different values")
        return False

    def reject(self, row: _Row) -> None:
        self.result.rejected += 1
        reasons = []
        for err in row.errors:
            self.result.errors.append(f"{self.table.path}:{row.raw.line}: {err.column}: {err.message}")
            reasons.append(f"{err.column}: {err.message}")
        self.rejected_rows.append((row.raw, "; ".join(reasons)))

    def audit_update(self, entity: str, key: str, before: dict[str, Any], after: dict[str, Any]) -> None:
        self.audits.append(audit.entry(at=self.now, actor=self.actor, action="update", entity=entity,
                                       entity_key=key, changes=audit.diff(before, after),
                                       batch_id=self.batch_id))

    def stamp(self, record: dict[str, Any]) -> dict[str, Any]:
        record.update(created_at=self.now, updated_at=self.now, import_batch_id=self.batch_id)
        return record

    def customer_ref(self, row: _Row, column: str, *, required: bool) -> tuple[int, str] | None:
        try:
            cid = R.identifier(row.raw.values, column, required=required)
        except R.CellError as exc:
            row.errors.append(exc)
            return None
        if cid is None:
            return None
        found = self.customers.get(cid)  # a customer outside the caller's portfolio reads as unknown
        if found is None:
            row.fail(column, f"customer {cid!r} does not exist (import customers first)")
        return found

    def amount(self, row: _Row, column: str, currency: str | None, *, required: bool,
               positive: bool = True) -> Decimal | None:
        raw = row.raw.values.get(column, "")
        if not raw:
            if required:
                row.fail(column, "required amount is empty")
            return None
        if currency is None:
            return None
        try:
            value = parse_amount(raw, currency)
        except ValueError as exc:
            row.fail(column, str(exc))
            return None
        if positive and value <= 0:
            row.fail(column, f"{raw} must be greater than zero")
        elif value < 0:
            row.fail(column, f"{raw} may not be negative")
        return value

    def analyze_while_growing(self, chunk_no: int) -> None:
        """PostgreSQL: refresh the statistics of the tables this import writes after chunks 1, 4, 16,
        64 … The whole import is one transaction, so autovacuum never sees the rows; planning the
        per-chunk updates on the statistics of an empty table chose sequential scans of a growing
        table (quadratic: 12+ minutes for 900k payments)."""
        if chunk_no & (chunk_no - 1) or chunk_no.bit_length() % 2 == 0:  # 1, 4, 16, 64, …
            return
        if self.s.get_bind().dialect.name == "postgresql":
            self.s.connection().exec_driver_sql("ANALYZE " + ", ".join(TABLES_WRITTEN[self.kind]))

    # ---- run --------------------------------------------------------------------------------
    def run(self, progress: Progress | None) -> ImportResult:
        batch = ImportBatch(kind=self.kind, file_name=str(self.table.path), sha256=self.table.sha256,
                            imported_at=self.now, actor=self.actor)
        self.s.add(batch)
        self.s.flush()
        self.batch_id = batch.id
        self.result.batch_id = batch.id
        if self.unknown_columns:
            what = "kept as custom fields" if self.keep_unknown else "ignored"
            self.result.warnings.append(
                f"{self.table.path}: unknown column(s) {what}: {', '.join(self.unknown_columns)}")
        self.load_customers()
        handler = getattr(self, "chunk_" + self.kind.replace("-", "_"))
        size = 10**9 if self.kind == "customers" else CHUNK  # parents may come after children
        for chunk_no, rows in enumerate(chunked(self.table.rows, size), 1):
            handler([_Row(r, _nul_cells(r)) for r in rows])
            audit.record_many(self.s, self.audits)
            self.audits = []
            self.analyze_while_growing(chunk_no)
            if progress:
                progress(len(rows))
        r = self.result
        batch.created, batch.updated, batch.unchanged, batch.rejected = r.created, r.updated, r.unchanged, r.rejected
        audit.record(self.s, at=self.now, actor=self.actor, action="import", entity=self.kind,
                     entity_key=str(self.table.path), batch_id=self.batch_id,
                     changes={"sha256": self.table.sha256, **{k: v for k, v in r.summary().items()
                                                              if k in ("created", "updated", "unchanged", "rejected")}})
        return r

    # ---- customers ---------------------------------------------------------------------------
    CUSTOMER_FIELDS = ("name", "parent_pk", "currency", "payment_terms_days", "credit_limit", "country",
                       "timezone", "language", "segment", "collector", "email", "phone", "custom_fields")
    CUSTOMER_COLUMNS = {**{k: k for k in CUSTOMER_FIELDS if k != "custom_fields"}, "parent_pk": "parent_id"}

    def check_customer_rights(self, row: _Row, f: dict[str, Any], current: Customer | None) -> None:
        """A row may create or change only a customer in the caller's portfolio, keep it there, and move it
        to another collector only with ``portfolio:assign``."""
        cid = f["customer_id"]
        if cid in self.hidden:
            row.fail("customer_id", f"{cid!r} is already the id of a customer outside your portfolio: "
                                    "it cannot be created or changed here")
            return
        stored = current.collector if current is not None else None
        collector = (f.get("collector") or None) if "collector" in self.header else stored
        if collector != stored and not self.rights.may_assign:
            row.fail("collector", "only a manager or an admin may give customers to a collector "
                                  "(leave the collector column out, or empty for new customers)")
        team = current.team if current is not None else (None if self.rights.scope.everything else self.rights.team)
        if not self.rights.scope.allows(collector, team):
            row.fail("collector", f"{collector!r} is not a collector of your team: the customer would leave "
                                  "your portfolio")

    def chunk_customers(self, rows: list[_Row]) -> None:
        parsed: list[tuple[_Row, dict[str, Any]]] = []
        for row in rows:
            v = row.raw.values
            fields, errors = R.collect(v, {
                "customer_id": lambda: R.identifier(v, "customer_id"),
                "name": lambda: R.text(v, "name", required=True),
                "parent_id": lambda: R.identifier(v, "parent_id", required=False),
                "currency": lambda: R.currency_value(v) or self.base_currency,
                "payment_terms_days": lambda: R.int_value(v, "payment_terms_days", low=0, high=3650),
                "country": lambda: R.country_value(v),
                "timezone": lambda: R.timezone_value(v),
                "language": lambda: R.language_value(v),
                "segment": lambda: R.text(v, "segment", max_len=64),
                "collector": lambda: R.text(v, "collector", max_len=64),
                "email": lambda: R.email_value(v, "email"),
                "phone": lambda: R.text(v, "phone", max_len=64),
            })
            row.errors.extend(errors)
            if "currency" in fields:
                fields["credit_limit"] = self.amount(row, "credit_limit", fields["currency"],
                                                     required=False, positive=False)
            fields["custom_fields"] = self.custom_fields(v)
            if fields.get("customer_id") and not self.first_sight(row, fields["customer_id"]):
                if row.errors:
                    self.reject(row)
                continue
            parsed.append((row, fields))
        in_file = {f["customer_id"]: f for row, f in parsed if not row.errors}
        existing_parent: dict[str, str | None] = {}
        by_pk = {pk: cid for cid, (pk, _) in self.customers.items()}
        for cid, parent_pk in self.s.execute(select(Customer.customer_id, Customer.parent_pk)):
            existing_parent[cid] = by_pk.get(parent_pk) if parent_pk else None
        for row, f in parsed:
            parent = f.get("parent_id")
            if parent and parent not in in_file and parent not in self.customers:
                row.fail("parent_id", f"parent customer {parent!r} is neither in this file nor stored")
        for row, f in parsed:  # cycles through the merged hierarchy
            if row.errors or not f.get("parent_id"):
                continue
            node, steps = f["customer_id"], 0
            while node is not None and steps <= len(in_file) + len(existing_parent) + 1:
                node = in_file[node]["parent_id"] if node in in_file else existing_parent.get(node)
                steps += 1
                if node == f["customer_id"]:
                    row.fail("parent_id", f"{f['parent_id']!r} makes the customer hierarchy circular")
                    break
        existing = {c.customer_id: c for (c,) in _in_chunks(
            self.s, lambda part: select(Customer).where(Customer.customer_id.in_(part)),
            [f["customer_id"] for row, f in parsed if not row.errors])}
        for row, f in parsed:
            if not row.errors:
                self.check_customer_rights(row, f, existing.get(f["customer_id"]))
        valid = [(row, f) for row, f in parsed if not row.errors]
        for row, _ in parsed:
            if row.errors:
                self.reject(row)
        creates = [f for _, f in valid if f["customer_id"] not in existing]
        if creates:
            team = None if self.rights.scope.everything else self.rights.team
            records = [self.stamp({**{k: f[k] for k in ("customer_id", *self.CUSTOMER_FIELDS) if k != "parent_pk"},
                                   "team": team}) for f in creates]
            bulk_insert(self.s, Customer.__table__, records)
            self.result.created += len(records)
            self.load_customers()
        for _, f in valid:  # parents and updates, now that every id has a key
            f["parent_pk"] = self.customers[f["parent_id"]][0] if f.get("parent_id") else None
            current = existing.get(f["customer_id"])
            if current is None:
                if f["parent_pk"]:
                    self.s.execute(update(Customer).where(Customer.customer_id == f["customer_id"])
                                   .values(parent_pk=f["parent_pk"]))
                continue
            before = {k: getattr(current, k) for k in self.CUSTOMER_FIELDS}
            after = {k: f[k] for k in self.CUSTOMER_FIELDS}
            self.keep_absent(current, after, self.CUSTOMER_COLUMNS)
            if before == after:
                self.result.unchanged += 1
                continue
            for k, value in after.items():
                setattr(current, k, value)
            current.updated_at = self.now
            self.result.updated += 1
            self.audit_update("customer", f["customer_id"], before, after)
        self.s.flush()
        self.load_customers()

    # ---- contacts ----------------------------------------------------------------------------
    CONTACT_FIELDS = ("name", "phone", "role", "language", "primary")

    def chunk_contacts(self, rows: list[_Row]) -> None:
        valid: list[dict[str, Any]] = []
        for row in rows:
            v = row.raw.values
            ref = self.customer_ref(row, "customer_id", required=True)
            fields, errors = R.collect(v, {
                "email": lambda: R.email_value(v, "email", required=True),
                "name": lambda: R.text(v, "name"),
                "phone": lambda: R.text(v, "phone", max_len=64),
                "role": lambda: R.role_value(v),
                "language": lambda: R.language_value(v),
                "primary": lambda: R.bool_value(v, "primary"),
            })
            row.errors.extend(errors)
            key = f"{v.get('customer_id')}/{fields.get('email')}"
            if fields.get("email") and not self.first_sight(row, key):
                if row.errors:
                    self.reject(row)
                continue
            if row.errors or ref is None:
                self.reject(row)
                continue
            fields["customer_pk"] = ref[0]
            fields["key"] = key
            valid.append(fields)
        if not valid:
            return
        pks = {f["customer_pk"] for f in valid}
        existing = {(c.customer_pk, c.email): c for (c,) in _in_chunks(
            self.s, lambda part: select(Contact).where(Contact.customer_pk.in_(part)), pks)}
        creates = []
        for f in valid:
            current = existing.get((f["customer_pk"], f["email"]))
            if current is None:
                creates.append(self.stamp({k: f[k] for k in ("customer_pk", "email", *self.CONTACT_FIELDS)}))
                continue
            before = {k: getattr(current, k) for k in self.CONTACT_FIELDS}
            after = {k: f[k] for k in self.CONTACT_FIELDS}
            self.keep_absent(current, after, {k: k for k in self.CONTACT_FIELDS})
            if before == after:
                self.result.unchanged += 1
                continue
            for k, value in after.items():
                setattr(current, k, value)
            current.updated_at = self.now
            self.result.updated += 1
            self.audit_update("contact", f["key"], before, after)
        if creates:
            bulk_insert(self.s, Contact.__table__, creates)
            self.result.created += len(creates)
        self.s.flush()

    # ---- invoices ----------------------------------------------------------------------------
    INVOICE_FIELDS = ("customer_pk", "issue_date", "due_date", "amount", "currency", "po_number",
                      "description", "custom_fields")

    def chunk_invoices(self, rows: list[_Row]) -> None:
        valid: list[tuple[_Row, dict[str, Any]]] = []
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
        existing = {i.invoice_id: i for (i,) in _in_chunks(
            self.s, lambda part: select(Invoice).where(Invoice.invoice_id.in_(part))
            .order_by(Invoice.id).with_for_update(), sorted(ids))}
        applied = dict(_in_chunks(
            self.s, lambda part: select(Application.invoice_pk, func.sum(Application.amount))
            .where(Application.invoice_pk.in_(part)).group_by(Application.invoice_pk),
            [i.id for i in existing.values()]))
        creates = []
        updated_pks: list[int] = []
        for row, f in valid:
            current = existing.get(f["invoice_id"])
            if current is None:
                creates.append(self.stamp({k: f[k] for k in ("invoice_id", *self.INVOICE_FIELDS)}))
                continue
            if self.outside(current.customer_pk):
                row.fail("invoice_id", f"{f['invoice_id']!r} is already the id of an invoice outside your portfolio: "
                                       "it cannot be changed here")
                self.reject(row)
                continue
            before = {k: getattr(current, k) for k in self.INVOICE_FIELDS}
            after = {k: f[k] for k in self.INVOICE_FIELDS}
            self.keep_absent(current, after, {k: k for k in ("currency", "po_number", "description")})
            if before == after:
                self.result.unchanged += 1
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
            for k, value in after.items():
                setattr(current, k, value)
            current.updated_at = self.now
            self.result.updated += 1
            self.audit_update("invoice", f["invoice_id"], before, after)
            self.invoice_cache.pop(f["invoice_id"], None)
            updated_pks.append(current.id)
        if creates:
            bulk_insert(self.s, Invoice.__table__, creates)
            self.result.created += len(creates)
        self.s.flush()
        refresh_settled(self.s, Invoice, updated_pks)

    # ---- payments and credit notes --------------------------------------------------------------
    def load_invoices(self, invoice_ids: Iterable[str]) -> None:
        wanted = sorted(i for i in set(invoice_ids) if i not in self.invoice_cache)
        for start in range(0, len(wanted), 5000):
            part = wanted[start:start + 5000]
            # locked until the import commits (DESIGN §8): what is open is read after the lock, and no
            # other writer can apply to these invoices before this import is done
            found = self.s.execute(select(Invoice.id, Invoice.invoice_id, Invoice.customer_pk, Invoice.currency,
                                          Invoice.issue_date, Invoice.amount)
                                   .where(Invoice.invoice_id.in_(part)).order_by(Invoice.id).with_for_update()).all()
            # sums for these invoices only (an unfiltered GROUP BY would aggregate every application)
            sums = {pk: (done, lowest) for pk, done, lowest in self.s.execute(
                select(Application.invoice_pk, func.sum(Application.amount), func.min(Application.amount))
                .where(Application.invoice_pk.in_([r[0] for r in found])).group_by(Application.invoice_pk))}
            for pk, iid, cpk, cur, issued, amount in found:
                done, lowest = sums.get(pk, (None, None))
                self.invoice_cache[iid] = {"pk": pk, "customer_pk": cpk, "currency": cur,
                                           "issue_date": issued, "amount": amount,
                                           "open": quantize(amount - (done or Decimal(0)), cur)}
                if lowest is not None and lowest < 0:
                    self.track_movements(iid, [])

    def track_movements(self, invoice_id: str, pending: list[Movement]) -> None:
        """Keep an invoice's dated movements once it has a reversal.

        Without reversals an invoice's applied total only grows, so today's open amount is the
        limit on every date; after a reversal, a backdated application must fit the dates before it.
        """
        inv = self.invoice_cache[invoice_id]
        if "moves" not in inv:
            inv["moves"] = [Movement(a, d) for a, d in self.s.execute(
                select(Application.amount, Application.applied_on).where(Application.invoice_pk == inv["pk"]))]
            inv["moves"].extend(pending)

    def available(self, invoice_id: str, on: dt.date, extra: Decimal = Decimal(0)) -> Decimal:
        """What may be applied to the invoice effective ``on`` (``extra``: reversed just now)."""
        inv = self.invoice_cache[invoice_id]
        open_now = inv["open"] + extra
        if "moves" not in inv:
            return open_now
        moves = inv["moves"] + ([Movement(-extra, self.today)] if extra else [])
        return min(open_now, quantize(available_from(inv["amount"], moves, on), inv["currency"]))

    def chunk_payments(self, rows: list[_Row]) -> None:
        self.documents(rows, model=Payment, id_col="payment_id", date_col="received_date",
                       link="payment_pk", entity="payment", customer_required=False,
                       extra={"reference": 4000, "payer_name": 256})

    def chunk_credit_notes(self, rows: list[_Row]) -> None:
        self.documents(rows, model=CreditNote, id_col="credit_note_id", date_col="issue_date",
                       link="credit_note_pk", entity="credit_note", customer_required=True,
                       extra={"reason": 4000})

    def documents(self, rows: list[_Row], *, model: Any, id_col: str, date_col: str, link: str,
                  entity: str, customer_required: bool, extra: dict[str, int]) -> None:
        has_applies = "applies_to" in self.table.header
        targets_of: dict[int, list] = {}
        parsed: list[tuple[_Row, dict[str, Any], tuple[int, str] | None]] = []
        for row in rows:
            v = row.raw.values
            ref = self.customer_ref(row, "customer_id", required=customer_required)
            parsers: dict[str, Callable[[], Any]] = {
                id_col: lambda: R.identifier(v, id_col),
                date_col: lambda: R.date_value(v, date_col, self.date_format),
                "currency": lambda: R.currency_value(v),
            }
            for col, size in extra.items():
                parsers[col] = (lambda c=col, n=size: R.text(v, c, max_len=n))
            fields, errors = R.collect(v, parsers)
            row.errors.extend(errors)
            fields["custom_fields"] = self.custom_fields(v)
            if fields.get(id_col) and not self.first_sight(row, fields[id_col]):
                if row.errors:
                    self.reject(row)
                continue
            parsed.append((row, fields, ref))
        wanted = set()
        for row, _, _ in parsed:
            for part in row.raw.values.get("applies_to", "").split(";"):
                if part.strip():
                    wanted.add(part.split(":")[0].strip())
        self.load_invoices(wanted)
        ids = [f[id_col] for _, f, _ in parsed if f.get(id_col)]
        existing = {getattr(d, id_col): d for (d,) in _in_chunks(
            self.s, lambda part: select(model).where(getattr(model, id_col).in_(part))
            .order_by(model.id).with_for_update(), sorted(ids))}
        active = self.active_applications(link, [d.id for d in existing.values()])
        creates: list[dict[str, Any]] = []
        new_apps: list[tuple[str, str, Decimal, dt.date]] = []  # (doc id, invoice id, amount, date)
        touched_invoices: set[int] = set()
        touched_docs: set[int] = set()
        for row, f, ref in parsed:
            v = row.raw.values
            raw_targets = v.get("applies_to", "")
            first_invoice = None
            currency = f.get("currency")
            targets = []
            if raw_targets:
                try:
                    targets = parse_applies_to(raw_targets, currency or self.base_currency)
                except ValueError as exc:
                    row.fail("applies_to", str(exc))
                for t in targets:
                    inv = self.invoice_cache.get(t.invoice_id)
                    if inv is None or inv["customer_pk"] in self.hidden_pks:  # outside the portfolio: unknown
                        row.fail("applies_to", f"invoice {t.invoice_id!r} does not exist")
                    elif first_invoice is None:
                        first_invoice = inv
            customer_pk = ref[0] if ref else (first_invoice["customer_pk"] if first_invoice else None)
            currency = currency or (ref[1] if ref else None) or (first_invoice["currency"] if first_invoice else None) or self.base_currency
            f["currency"], f["customer_pk"] = currency, customer_pk
            f["amount"] = self.amount(row, "amount", currency, required=True)
            if targets and not row.errors:
                try:  # re-parse with the final currency's minor units
                    targets = parse_applies_to(raw_targets, currency)
                except ValueError as exc:
                    row.fail("applies_to", str(exc))
                for t in targets:
                    inv = self.invoice_cache[t.invoice_id]
                    if inv["currency"] != currency:
                        row.fail("applies_to", f"invoice {t.invoice_id} is in {inv['currency']}, the document in {currency}")
            f["applies_to"] = normalize_applies_to(targets, currency) if targets else None
            if row.errors:
                self.reject(row)
                continue
            current = existing.get(f[id_col])
            if current is not None and self.outside(current.customer_pk):
                row.fail(id_col, f"{f[id_col]!r} is already the id of a {entity.replace('_', ' ')} outside your "
                                 "portfolio: it cannot be changed here")
                self.reject(row)
                continue
            fields_cmp = ("customer_pk", date_col, "amount", "currency", *extra, "custom_fields")
            before = {k: getattr(current, k) for k in fields_cmp} if current is not None else {}
            after = {k: f[k] for k in fields_cmp}
            if current is not None:
                self.keep_absent(current, after, {"customer_pk": "customer_id", "currency": "currency",
                                                  **{k: k for k in extra}})
            if has_applies:
                after["applies_to"] = f["applies_to"]
                if current is not None:
                    before["applies_to"] = current.applies_to
            if current is not None and before == after:
                self.result.unchanged += 1
                continue
            reapply = has_applies and (current is None or before.get("applies_to") != after.get("applies_to")
                                       or before["amount"] != after["amount"])
            mine = active.get(current.id, []) if current is not None else []
            if current is not None and not reapply:
                applied_total = quantize(sum((a["amount"] for a in mine), Decimal(0))
                                         + self.other_applied(link, current.id), currency)
                if f["amount"] < applied_total:
                    row.fail("amount", f"{f['amount']} is less than the {applied_total} already applied from {f[id_col]}")
            allocation: list[tuple[str, Decimal]] = []
            if reapply and not row.errors:
                restored = {}
                for a in mine:
                    iid = a["invoice_id"]
                    restored[iid] = restored.get(iid, Decimal(0)) + a["amount"]
                opens = {t.invoice_id: self.available(t.invoice_id, self.application_date(f[date_col], t.invoice_id, current),
                                                      restored.get(t.invoice_id, Decimal(0)))
                         for t in targets}
                available = f["amount"] - (self.other_applied(link, current.id) if current is not None else Decimal(0))
                try:
                    allocation = allocate_document(available, targets, opens)
                except ValueError as exc:
                    row.fail("applies_to", str(exc))
            if row.errors:
                self.reject(row)
                continue
            if current is not None:
                touched_docs.add(current.id)
            if reapply:
                for a in mine:  # reverse what the earlier import applied (a new row, nothing erased)
                    touched_invoices.add(a["invoice_pk"])
                    self.load_invoices([a["invoice_id"]])
                    reversed_on = max(a["applied_on"], self.today)
                    self.track_movements(a["invoice_id"], [Movement(amt, when) for d_id, iid, amt, when in new_apps
                                                           if iid == a["invoice_id"]])
                    self.invoice_cache[a["invoice_id"]]["moves"].append(Movement(-a["amount"], reversed_on))
                    self.invoice_cache[a["invoice_id"]]["open"] += a["amount"]
                    bulk_insert(self.s, Application.__table__, [{
                        "invoice_pk": a["invoice_pk"], link: current.id, "amount": -a["amount"],
                        "currency": currency, "applied_on": reversed_on,
                        "reverses_pk": a["id"], "source": "import", "created_at": self.now,
                        "created_by": self.actor}])
                for iid, amount in allocation:
                    inv = self.invoice_cache[iid]
                    inv["open"] -= amount
                    when = self.application_date(f[date_col], iid, current)
                    if "moves" in inv:
                        inv["moves"].append(Movement(amount, when))
                    new_apps.append((f[id_col], iid, amount, when))
            if current is None:
                record = {k: f[k] for k in (id_col, "customer_pk", date_col, "amount", "currency", *extra,
                                            "custom_fields", "applies_to")}
                creates.append(self.stamp(record))
            else:
                for k, value in after.items():
                    setattr(current, k, value)
                current.updated_at = self.now
                self.result.updated += 1
                self.audit_update(entity, f[id_col], before, after)
        doc_pk: dict[str, int] = {d_id: d.id for d_id, d in existing.items()}
        if creates:
            keys = bulk_insert(self.s, model.__table__, creates, keys=True)
            doc_pk.update({record[id_col]: key for record, key in zip(creates, keys)})
            self.result.created += len(creates)
        if new_apps:
            bulk_insert(self.s, Application.__table__, [{
                "invoice_pk": self.invoice_cache[iid]["pk"], link: doc_pk[d_id], "amount": amount,
                "currency": self.invoice_cache[iid]["currency"], "applied_on": when, "source": "import",
                "created_at": self.now, "created_by": self.actor} for d_id, iid, amount, when in new_apps])
            touched_invoices.update(self.invoice_cache[iid]["pk"] for _, iid, _, _ in new_apps)
            touched_docs.update(doc_pk[d_id] for d_id, _, _, _ in new_apps)
        self.s.flush()
        refresh_settled(self.s, Invoice, touched_invoices)
        refresh_settled(self.s, model, touched_docs)

    def application_date(self, document_date: dt.date, invoice_id: str, current: Any) -> dt.date:
        """A document applies on its own date, or the invoice's issue date if later; a changed
        document re-applies today (its history up to now stays as it was)."""
        when = max(document_date, self.invoice_cache[invoice_id]["issue_date"])
        return max(when, self.today) if current is not None else when

    def active_applications(self, link: str, doc_pks: list[int]) -> dict[int, list[dict[str, Any]]]:
        """Import-made applications of these documents that no reversal has undone."""
        if not doc_pks:
            return {}
        col = getattr(Application, link)
        rows = _in_chunks(self.s, lambda part: (
            select(Application.id, col, Application.invoice_pk, Invoice.invoice_id, Application.amount,
                   Application.applied_on, Application.reverses_pk)
            .join(Invoice, Invoice.id == Application.invoice_pk)
            .where(col.in_(part), Application.source == "import")), doc_pks)
        reversed_ids = {r.reverses_pk for r in rows if r.reverses_pk}
        result: dict[int, list[dict[str, Any]]] = {}
        for r in rows:
            if r.reverses_pk is None and r.id not in reversed_ids:
                result.setdefault(r[1], []).append({"id": r.id, "invoice_pk": r.invoice_pk,
                                                    "invoice_id": r.invoice_id, "amount": r.amount,
                                                    "applied_on": r.applied_on})
        return result

    def other_applied(self, link: str, doc_pk: int) -> Decimal:
        """What other processes (cash application, people) applied from a document."""
        col = getattr(Application, link)
        total = self.s.scalar(select(func.sum(Application.amount))
                              .where(col == doc_pk, Application.source != "import"))
        return total or Decimal(0)


def write_rejected(path: Path, header: list[str], rejected: list[tuple[RawRow, str]]) -> Path:
    """FILE.rejected.csv next to the input: the rejected rows and the reason each was refused."""
    from arcollect.export_cells import csv_writer

    out = path.with_name(path.name + ".rejected.csv")
    with out.open("w", encoding="utf-8", newline="") as handle:
        writer = csv_writer(handle)
        writer.writerow(["line", *header, "reason"])
        for raw, reason in rejected:
            writer.writerow([raw.line, *(raw.values.get(h, "") for h in header), reason])
    return out


def import_table(session: Session, table: Table, *, kind: str, date_format: str | None, actor: str,
                 now: dt.datetime, base_currency: str, keep_unknown: bool = True,
                 progress: Progress | None = None,
                 rights: ImportRights = FULL_RIGHTS) -> tuple[ImportResult, list[tuple[RawRow, str]]]:
    """Validate and write one file's rows within the session's transaction."""
    missing = [c for c in R.SPECS[kind].required if c not in table.header]
    if missing:
        result = ImportResult(kind, table.path, errors=[
            f"{table.path}:1: {c}: required column is missing from the header" for c in missing])
        return result, []
    importer = _Importer(session, table, kind, date_format=date_format, actor=actor, now=now,
                         base_currency=base_currency, keep_unknown=keep_unknown, rights=rights)
    result = importer.run(progress)
    return result, importer.rejected_rows
