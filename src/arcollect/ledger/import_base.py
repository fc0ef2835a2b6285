"""What every ERP import run shares: the result it returns, the rows it validates, the state of one run
(the customers the caller may touch, the rows seen, the audit entries) and the checks every kind uses."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable, Iterable

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from arcollect import audit
from arcollect.ledger import import_rows as R
from arcollect.ledger.import_read import RawRow, Table
from arcollect.ledger.keysets import keyed_rows
from arcollect.ledger.models import Customer
from arcollect.ledger.scope import FULL_RIGHTS, ImportRights
from arcollect.money import parse_amount
from arcollect.periods import rules as periods
from arcollect.periods.guard import closed_through

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
    # keys of the customers whose documents or applications the import wrote: what a refresh at the
    # commit point (maintained balances) has to recompute; not part of the summary
    touched_customers: set[int] = field(default_factory=set)

    def summary(self) -> dict[str, Any]:
        return {"created": self.created, "updated": self.updated, "unchanged": self.unchanged,
                "rejected": self.rejected, "errors": list(self.errors), "warnings": list(self.warnings),
                "rejected_file": str(self.rejected_file) if self.rejected_file else None}


@dataclass
class Row:
    raw: RawRow
    errors: list[R.CellError] = field(default_factory=list)

    def fail(self, column: str, message: str) -> None:
        self.errors.append(R.CellError(column, message))


def nul_cells(raw: RawRow) -> list[R.CellError]:
    """NUL characters are refused in every cell: no ERP value has one and PostgreSQL cannot store them."""
    if "\x00" not in "".join(raw.values.values()):
        return []
    return [R.CellError(column, "contains a NUL character") for column, value in raw.values.items()
            if "\x00" in value]


def in_chunks(session: Session, build: Callable[[Any], Any], values: Iterable[Any]) -> list[Any]:
    """All rows of ``build(keys)``: ``keys`` goes into ``column.in_(keys)`` — a short list, or the
    temporary key table holding ``values`` (one statement however many keys, see ``keysets``)."""
    return keyed_rows(session, build, values)


def fingerprint(values: dict[str, str], columns: list[str]) -> tuple:
    return tuple(map(values.get, columns))  # every column of the header is in every row


TABLES_WRITTEN = {"customers": ("customers",), "contacts": ("contacts",), "invoices": ("invoices",),
                  "credit-notes": ("credit_notes", "applications"), "payments": ("payments", "applications")}


class ImportState:
    """State of one import run (caches live across chunks of the same file) and the helpers every kind uses."""

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
        # customers whose documents this import created or changed (for whatever the commit refreshes)
        self.touched_customers: set[int | None] = set()
        self.audits: list[dict[str, Any]] = []
        self.rejected_rows: list[tuple[RawRow, str]] = []
        # documents dated on or before this day are in a closed month (month-end close): their rows are refused
        self.closed_through = closed_through(session)

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

    def first_sight(self, row: Row, key: str) -> bool:
        """False when the same id came earlier in this file (identical: skipped; different: error)."""
        fp = fingerprint(row.raw.values, self.fp_columns)
        earlier = self.seen.get(key)
        if earlier is None:
            self.seen[key] = (row.raw.line, fp)
            return True
        if earlier[1] == fp:
            self.result.unchanged += 1
            return False
        row.fail(self.spec.id_column, f"{key!r} appears again (line {earlier[0]}) with different values")
        return False

    def refuse_closed(self, row: Row, column: str, day: dt.date | None, what: str) -> bool:
        """Fail the row (on ``column``) when ``day`` is in a closed month; True when it did."""
        if day is None or not periods.is_closed(day, self.closed_through):
            return False
        row.fail(column, periods.refusal(day, what))
        return True

    def reject(self, row: Row) -> None:
        self.result.rejected += 1
        reasons = []
        for err in row.errors:
            self.result.errors.append(f"{self.table.path}:{row.raw.line}: {err.column}: {err.message}")
            reasons.append(f"{err.column}: {err.message}")
        self.rejected_rows.append((row.raw, "; ".join(reasons)))

    def update_many(self, table: Any, changes: list[dict[str, Any]]) -> None:
        """Set-based update: one statement run for every row (``id`` and the same columns in each)."""
        if not changes:
            return
        names = [k for k in changes[0] if k != "id"]
        stmt = (update(table).where(table.c.id == bindparam("_key"))
                .values({n: bindparam("_" + n, type_=table.c[n].type) for n in names}))
        self.s.connection().execute(stmt, [{"_key": c["id"], **{"_" + n: c[n] for n in names}} for c in changes])

    def audit_update(self, entity: str, key: str, before: dict[str, Any], after: dict[str, Any]) -> None:
        self.audits.append(audit.entry(at=self.now, actor=self.actor, action="update", entity=entity,
                                       entity_key=key, changes=audit.diff(before, after),
                                       batch_id=self.batch_id))

    def stamp(self, record: dict[str, Any]) -> dict[str, Any]:
        record.update(created_at=self.now, updated_at=self.now, import_batch_id=self.batch_id)
        return record

    def customer_ref(self, row: Row, column: str, *, required: bool) -> tuple[int, str] | None:
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

    def amount(self, row: Row, column: str, currency: str | None, *, required: bool,
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
