"""Payment and credit-note rows of an ERP import, and what they apply to (``applies_to``): the invoices
locked, allocated within what is open on the application date, earlier import applications reversed by
new rows when a document changes (nothing erased)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Callable, Iterable

from sqlalchemy import bindparam, func, select, type_coerce, update

from arcollect.db import Money, bulk_insert
from arcollect.ledger import import_rows as R
from arcollect.ledger.allocation import allocate_document, normalize_applies_to, parse_applies_to
from arcollect.ledger.balances import Movement, available_from
from arcollect.ledger.import_base import ImportState, Row, in_chunks
from arcollect.ledger.models import OPEN, Application, CreditNote, Invoice, Payment
from arcollect.ledger.queries import refresh_settled
from arcollect.money import quantize


class DocumentImport(ImportState):
    """``payments`` and ``credit-notes`` files."""

    # ---- payments and credit notes --------------------------------------------------------------
    def load_invoices(self, invoice_ids: Iterable[str]) -> None:
        wanted = [i for i in set(invoice_ids) if i not in self.invoice_cache]
        if not wanted:
            return
        # locked until the import commits (DESIGN §8): what is open is read after the lock, and no
        # other writer can apply to these invoices before this import is done
        found = in_chunks(self.s, lambda keys: select(
            Invoice.id, Invoice.invoice_id, Invoice.customer_pk, Invoice.currency, Invoice.issue_date,
            Invoice.amount, Invoice.open_until).where(Invoice.invoice_id.in_(keys)).order_by(Invoice.id).with_for_update(), wanted)
        # sums for these invoices only (an unfiltered GROUP BY would aggregate every application)
        sums = {pk: (done, lowest, last) for pk, done, lowest, last in in_chunks(self.s, lambda keys: select(
            Application.invoice_pk, type_coerce(func.sum(Application.amount), Money()), func.min(Application.amount),
            func.max(Application.applied_on)).where(Application.invoice_pk.in_(keys))
            .group_by(Application.invoice_pk), [r[0] for r in found])}
        for pk, iid, cpk, cur, issued, amount, open_until in found:
            done, lowest, last = sums.get(pk, (None, None, None))
            # applied (exact) and last: what refresh_settled reads, kept up to date as this import applies
            self.invoice_cache[iid] = {"pk": pk, "customer_pk": cpk, "currency": cur,
                                       "issue_date": issued, "amount": amount,
                                       "open": quantize(amount - (done or Decimal(0)), cur),
                                       "applied": done or Decimal(0), "last": last, "open_until": open_until,
                                       "has_applications": done is not None}
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

    def chunk_payments(self, rows: list[Row]) -> None:
        self.documents(rows, model=Payment, id_col="payment_id", date_col="received_date",
                       link="payment_pk", entity="payment", customer_required=False,
                       extra={"reference": 4000, "payer_name": 256})

    def chunk_credit_notes(self, rows: list[Row]) -> None:
        self.documents(rows, model=CreditNote, id_col="credit_note_id", date_col="issue_date",
                       link="credit_note_pk", entity="credit_note", customer_required=True,
                       extra={"reason": 4000})

    def documents(self, rows: list[Row], *, model: Any, id_col: str, date_col: str, link: str,
                  entity: str, customer_required: bool, extra: dict[str, int]) -> None:
        has_applies = "applies_to" in self.table.header
        targets_of: dict[int, list] = {}
        parsed: list[tuple[Row, dict[str, Any], tuple[int, str] | None]] = []
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
        # plain rows of the stored columns, locked (no ORM objects: most rows of a re-import are unchanged)
        stored = (model.id, *(getattr(model, k) for k in (id_col, "customer_pk", date_col, "amount", "currency",
                                                          *extra, "custom_fields", "applies_to")))
        existing = {getattr(d, id_col): d for d in in_chunks(
            self.s, lambda part: select(*stored).where(getattr(model, id_col).in_(part))
            .order_by(model.id).with_for_update(), ids)}
        active = self.active_applications(link, [d.id for d in existing.values()])
        creates: list[dict[str, Any]] = []
        changes: list[dict[str, Any]] = []
        new_apps: list[tuple[str, str, Decimal, dt.date]] = []  # (doc id, invoice id, amount, date)
        touched_invoices: set[str] = set()  # ids of the invoices this chunk applies to or reverses from
        resettle: set[str] = set()  # … of those with applications written before (their copies may change)
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
            label = f"{entity.replace('_', ' ')} {f[id_col]}"
            if current is None:
                closed = self.refuse_closed(row, date_col, f[date_col], label)
            else:
                closed = any(before.get(k) != after.get(k) for k in ("customer_pk", date_col, "amount", "currency",
                                                                      "applies_to")) and (
                    self.refuse_closed(row, date_col, getattr(current, date_col), label)
                    or self.refuse_closed(row, date_col, f[date_col], label))
            if closed:
                self.reject(row)
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
                for iid, _ in allocation:  # a document in an open month applies in it (closed: the clock moved back)
                    self.refuse_closed(row, "applies_to", self.application_date(f[date_col], iid, current),
                                       f"an application of {f[id_col]} to invoice {iid}")
                for a in mine:
                    self.refuse_closed(row, "applies_to", max(a["applied_on"], self.today),
                                       f"a reversal of {f[id_col]}'s application to invoice {a['invoice_id']}")
            if row.errors:
                self.reject(row)
                continue
            if current is not None:
                touched_docs.add(current.id)
            if reapply:
                for a in mine:  # reverse what the earlier import applied (a new row, nothing erased)
                    touched_invoices.add(a["invoice_id"])
                    resettle.add(a["invoice_id"])
                    self.load_invoices([a["invoice_id"]])
                    self.touched_customers.add(self.invoice_cache[a["invoice_id"]]["customer_pk"])
                    reversed_on = max(a["applied_on"], self.today)
                    self.track_movements(a["invoice_id"], [Movement(amt, when) for d_id, iid, amt, when in new_apps
                                                           if iid == a["invoice_id"]])
                    self.invoice_cache[a["invoice_id"]]["moves"].append(Movement(-a["amount"], reversed_on))
                    self.invoice_cache[a["invoice_id"]]["open"] += a["amount"]
                    self.applied(a["invoice_id"], -a["amount"], reversed_on)
                    bulk_insert(self.s, Application.__table__, [{
                        "invoice_pk": a["invoice_pk"], link: current.id, "amount": -a["amount"],
                        "currency": currency, "applied_on": reversed_on,
                        "reverses_pk": a["id"], "source": "import", "created_at": self.now,
                        "created_by": self.actor}])
                for iid, amount in allocation:
                    inv = self.invoice_cache[iid]
                    inv["open"] -= amount
                    when = self.application_date(f[date_col], iid, current)
                    self.applied(iid, amount, when)
                    touched_invoices.add(iid)
                    if "moves" in inv:
                        inv["moves"].append(Movement(amount, when))
                    new_apps.append((f[id_col], iid, amount, when))
            if current is None:
                record = {k: f[k] for k in (id_col, "customer_pk", date_col, "amount", "currency", *extra,
                                            "custom_fields", "applies_to")}
                creates.append(self.stamp(record))
            else:
                changes.append({"id": current.id, **after, "updated_at": self.now})
                self.touched_customers.update((before["customer_pk"], after["customer_pk"]))
                self.result.updated += 1
                self.audit_update(entity, f[id_col], before, after)
        self.update_many(model.__table__, changes)
        doc_pk: dict[str, int] = {d_id: d.id for d_id, d in existing.items()}
        resettle.update(iid for iid in touched_invoices if self.invoice_cache[iid]["has_applications"])
        invoice_settled = {iid: self.invoice_settled_on(iid) for iid in touched_invoices}
        settled = self.settle_new(creates, new_apps, id_col)
        if creates:
            keys = bulk_insert(self.s, model.__table__, creates, keys=True)
            doc_pk.update({record[id_col]: key for record, key in zip(creates, keys)})
            self.touched_customers.update(record["customer_pk"] for record in creates)
            self.result.created += len(creates)
        if new_apps:
            bulk_insert(self.s, Application.__table__, [{
                "invoice_pk": self.invoice_cache[iid]["pk"], link: doc_pk[d_id], "amount": amount,
                "currency": self.invoice_cache[iid]["currency"], "applied_on": when, "source": "import",
                "document_open_until": settled.get(d_id, OPEN), "invoice_open_until": invoice_settled[iid],
                "created_at": self.now, "created_by": self.actor} for d_id, iid, amount, when in new_apps])
            self.touched_customers.update(self.invoice_cache[iid]["customer_pk"] for _, iid, _, _ in new_apps)
            # documents stored before this import: their settlement is recomputed from every application
            touched_docs.update(doc_pk[d_id] for d_id, _, _, _ in new_apps if d_id in existing)
        self.s.flush()
        self.store_invoice_settlement(invoice_settled, resettle)
        refresh_settled(self.s, model, touched_docs)

    def applied(self, invoice_id: str, amount: Decimal, on: dt.date) -> None:
        inv = self.invoice_cache[invoice_id]
        inv["applied"] += amount
        inv["last"] = on if inv["last"] is None else max(inv["last"], on)

    def invoice_settled_on(self, invoice_id: str) -> dt.date:
        """The invoice's ``open_until`` after this chunk, as ``refresh_settled`` computes it from all its
        applications: the last application's date when they cover its amount, else OPEN."""
        inv = self.invoice_cache[invoice_id]
        return inv["last"] if inv["amount"] == inv["applied"] else OPEN

    def store_invoice_settlement(self, settled: dict[str, dt.date], resettle: set[str]) -> None:
        """Write the invoices' new ``open_until`` — only where it changed, one statement for all — and the
        copy on their earlier applications (new ones were written with it)."""
        changed = []
        for iid, day in settled.items():
            inv = self.invoice_cache[iid]
            inv["has_applications"] = True
            if inv["open_until"] != day:
                changed.append({"id": inv["pk"], "open_until": day})
                inv["open_until"] = day
        self.update_many(Invoice.__table__, changed)
        copies = [{"_key": self.invoice_cache[iid]["pk"], "_day": settled[iid]} for iid in sorted(resettle)]
        if copies:
            table = Application.__table__
            self.s.connection().execute(
                update(table).where(table.c.invoice_pk == bindparam("_key"),
                                    table.c.invoice_open_until != bindparam("_day", type_=table.c.invoice_open_until.type))
                .values(invoice_open_until=bindparam("_day", type_=table.c.invoice_open_until.type)), copies)

    @staticmethod
    def settle_new(creates: list[dict[str, Any]], new_apps: list[tuple[str, str, Decimal, dt.date]],
                   id_col: str) -> dict[str, dt.date]:
        """``open_until`` of the documents this chunk creates, set on their records before they are
        written: all their applications are in ``new_apps``, so it is what ``refresh_settled`` would
        compute (the last application's date when they apply the whole amount, else OPEN) without
        rewriting the rows (and their indexes) a second time."""
        applied: dict[str, Decimal] = {}
        last: dict[str, dt.date] = {}
        for d_id, _, amount, when in new_apps:
            applied[d_id] = applied.get(d_id, Decimal(0)) + amount
            last[d_id] = max(last.get(d_id, when), when)
        settled: dict[str, dt.date] = {}
        for record in creates:
            d_id = record[id_col]
            record["open_until"] = settled[d_id] = (
                last[d_id] if d_id in applied and applied[d_id] == record["amount"] else OPEN)
        return settled

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
        rows = in_chunks(self.s, lambda part: (
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
