"""The case history of an account as a PDF (for the manager deciding an escalation, or the collection
agency), and the agency package of a placement: the open items as CSV plus that PDF, zipped."""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

from arcollect.escalations import service as esc
from arcollect.context import Context
from arcollect.errors import Conflict
from arcollect.export_cells import csv_writer
from arcollect.ledger.scope import EVERYTHING, CustomerScope

ITEM_COLUMNS = ("invoice_id", "po_number", "issue_date", "due_date", "days_past_due", "currency", "amount",
                "open_amount", "disputed")


def case_history_pdf(ctx: Context, *, customer_id: str, scope: CustomerScope = EVERYTHING,
                     history: dict[str, Any] | None = None) -> bytes:
    from arcollect.outreach import letters

    h = history or esc.case_history(ctx, customer_id=customer_id, scope=scope)
    return letters.html_pdf(letters.page_html(
        "case_history.html", h=h, company=ctx.settings.company_name,
        paper=letters.paper_for(ctx.settings.letter_paper, h["customer"].get("country"))))


def items_csv(history: dict[str, Any]) -> str:
    """The open items the agency collects (disputed ones marked: not the agency's to collect)."""
    disputed = {i for d in history["disputes"] if d["status"] not in ("closed",) for i in d["invoices"]}
    out = io.StringIO()
    writer = csv_writer(out, lineterminator="\n")
    writer.writerow(ITEM_COLUMNS)
    for i in history["open_items"]:
        writer.writerow([i["invoice_id"], i.get("po_number") or "", i["issue_date"], i["due_date"],
                         max(i["days_past_due"], 0), i["currency"], str(i["amount"]), str(i["open_amount"]),
                         "true" if i["invoice_id"] in disputed else "false"])
    return out.getvalue()


def agency_package(ctx: Context, *, escalation_id: str, scope: CustomerScope = EVERYTHING) -> tuple[bytes, str]:
    """The zip handed to the agency for an approved placement: items.csv, case_history.pdf, placement.json."""
    e = esc.detail(ctx, escalation_id=escalation_id, scope=scope)
    if e["action"] != "agency" or e["status"] not in ("approved", "completed"):
        raise Conflict(f"escalation {escalation_id} is not an approved agency placement "
                       f"({e['action_label'].lower()}, {e['status']})")
    h = e["history"]
    pdf = case_history_pdf(ctx, customer_id=e["customer_id"], scope=scope, history=h)
    placement = {"escalation": e["id"], "customer_id": e["customer_id"], "customer_name": e["customer_name"],
                 "placed_on": e["result"].get("placed_on"), "approved_by": e["decided_by"],
                 "past_due": e["past_due"], "currency": e["currency"], "company": ctx.settings.company_name,
                 "contacts": [{k: c.get(k) for k in ("name", "email", "phone", "role")} for c in h["contacts"]]}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("items.csv", items_csv(h))
        z.writestr("case_history.pdf", pdf)
        z.writestr("placement.json", json.dumps(placement, indent=2, default=str))
    return buffer.getvalue(), f"agency-{e['customer_id']}-{ctx.clock.today().isoformat()}.zip"
