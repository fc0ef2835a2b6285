"""ERP imports (CONTRACT §2): validate every row, then create, update or leave unchanged, in bulk.

Runs inside the caller's transaction: the service rolls everything back when a row is invalid
(unless ``partial``), so a failed import leaves the ledger exactly as before.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy.orm import Session

from arcollect import audit
from arcollect.ledger import import_rows as R
from arcollect.ledger.import_base import CHUNK, ImportResult, Progress, Row, nul_cells
from arcollect.ledger.import_documents import DocumentImport
from arcollect.ledger.import_invoices import InvoiceImport
from arcollect.ledger.import_parties import PartyImport
from arcollect.ledger.import_read import RawRow, Table, chunked
from arcollect.ledger.models import ImportBatch
from arcollect.ledger.scope import FULL_RIGHTS, ImportRights


class _Importer(PartyImport, InvoiceImport, DocumentImport):
    """One import run: a batch row, then the file's rows chunk by chunk through the handler of its kind
    (``chunk_customers`` … ``chunk_payments``), the audit entries of each chunk written with it."""

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
            handler([Row(r, nul_cells(r)) for r in rows])
            audit.record_many(self.s, self.audits)
            self.audits = []
            self.analyze_while_growing(chunk_no)
            if progress:
                progress(len(rows))
        r = self.result
        r.touched_customers = {pk for pk in self.touched_customers if pk is not None}
        batch.created, batch.updated, batch.unchanged, batch.rejected = r.created, r.updated, r.unchanged, r.rejected
        audit.record(self.s, at=self.now, actor=self.actor, action="import", entity=self.kind,
                     entity_key=str(self.table.path), batch_id=self.batch_id,
                     changes={"sha256": self.table.sha256, **{k: v for k, v in r.summary().items()
                                                              if k in ("created", "updated", "unchanged", "rejected")}})
        return r


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
