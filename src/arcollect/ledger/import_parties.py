"""Customer and contact rows of an ERP import: validated, the customer hierarchy kept acyclic, the
caller's portfolio respected, then created, updated or left unchanged in bulk."""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, select, update

from arcollect.db import bulk_insert
from arcollect.ledger import import_rows as R
from arcollect.ledger.import_base import ImportState, Row, in_chunks
from arcollect.ledger.models import Contact, Customer


class PartyImport(ImportState):
    """``customers`` and ``contacts`` files."""

    # ---- customers ---------------------------------------------------------------------------
    CUSTOMER_FIELDS = ("name", "parent_pk", "currency", "payment_terms_days", "credit_limit", "country",
                       "timezone", "language", "segment", "collector", "email", "phone", "custom_fields")
    CUSTOMER_COLUMNS = {**{k: k for k in CUSTOMER_FIELDS if k != "custom_fields"}, "parent_pk": "parent_id"}

    def check_customer_rights(self, row: Row, f: dict[str, Any], current: Customer | None) -> None:
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

    def chunk_customers(self, rows: list[Row]) -> None:
        parsed: list[tuple[Row, dict[str, Any]]] = []
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
        existing = {c.customer_id: c for (c,) in in_chunks(
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
        new_parents: list[dict[str, Any]] = []
        for _, f in valid:  # parents and updates, now that every id has a key
            f["parent_pk"] = self.customers[f["parent_id"]][0] if f.get("parent_id") else None
            current = existing.get(f["customer_id"])
            if current is None:
                if f["parent_pk"]:
                    new_parents.append({"key": self.customers[f["customer_id"]][0], "parent": f["parent_pk"]})
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
            self.touched_customers.add(current.id)
            self.result.updated += 1
            self.audit_update("customer", f["customer_id"], before, after)
        if new_parents:  # one statement for all the new customers' parents
            table = Customer.__table__
            self.s.connection().execute(update(table).where(table.c.id == bindparam("key"))
                                        .values(parent_pk=bindparam("parent")), new_parents)
        self.s.flush()
        self.load_customers()

    # ---- contacts ----------------------------------------------------------------------------
    CONTACT_FIELDS = ("name", "phone", "role", "language", "primary")

    def chunk_contacts(self, rows: list[Row]) -> None:
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
        existing = {(c.customer_pk, c.email): c for (c,) in in_chunks(
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
