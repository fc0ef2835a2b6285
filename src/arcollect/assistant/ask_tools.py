"""The tools the Ask agent may call: READ-ONLY service functions (the ones the API's GET routes use), each with a
pydantic model for its arguments (validated like API input; its JSON schema is what the model is shown) and
run under the caller's scope and permissions. Nothing here writes: there is no tool that records, sends,
approves or changes anything. Every result lists the records it holds (``cites``) so the answer can cite them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Callable, Literal
from urllib.parse import quote

from pydantic import BaseModel, ConfigDict, Field

from arcollect.assistant import search as search_service
from arcollect.auth.permissions import READ
from arcollect.bounds import FIRST_DAY, LAST_DAY
from arcollect.context import Context
from arcollect.disputes import service as disputes
from arcollect.disputes.scope import CaseScope
from arcollect.errors import PermissionDenied
from arcollect.ledger.customers import customer_overview
from arcollect.promises import service as promises

MAX_ROWS = 25  # at most this many rows of one result go to the model (it is told how many there were)
Day = dt.date


class _Args(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SearchArgs(_Args):
    query: str = Field(min_length=1, max_length=200, description="Words to find (all of them)")
    kinds: list[Literal["account", "invoice", "email", "note", "call", "dispute", "sop"]] | None = None
    customer_id: str | None = Field(default=None, max_length=64)
    date_from: Day | None = Field(default=None, ge=FIRST_DAY, le=LAST_DAY)
    date_to: Day | None = Field(default=None, ge=FIRST_DAY, le=LAST_DAY)


class CustomerArgs(_Args):
    customer_id: str = Field(min_length=1, max_length=64, description="The customer number, e.g. C1")


class PromiseArgs(_Args):
    status: Literal["open", "kept", "partially_kept", "broken", "cancelled"] | None = None
    due_from: Day | None = Field(default=None, ge=FIRST_DAY, le=LAST_DAY, description="Promised for this day or later")
    due_to: Day | None = Field(default=None, ge=FIRST_DAY, le=LAST_DAY, description="Promised for this day or earlier")
    customer_id: str | None = Field(default=None, max_length=64)


class DisputeArgs(_Args):
    active: bool = Field(default=True, description="Only disputes not yet resolved")
    customer_id: str | None = Field(default=None, max_length=64)


Cite = dict[str, str]  # {"kind", "id", "label", "url"}


def _customer_cite(cid: str) -> Cite:
    return {"kind": "customer", "id": cid, "label": cid, "url": f"/customers/{quote(cid, safe='')}"}


def _customers(scope: CaseScope) -> Any:
    """The caller's customers; a stakeholder (who sees their team's disputes only) gets none of this tool."""
    scope.require(READ)
    if scope.team is not None:
        raise PermissionDenied("a stakeholder reads the disputes routed to their team only")
    return scope.customers


def _cut(rows: list[Any]) -> dict[str, Any]:
    return {"total": len(rows), "shown": min(len(rows), MAX_ROWS), "rows": rows[:MAX_ROWS]}


def run_search(ctx: Context, scope: CaseScope, a: SearchArgs) -> tuple[dict[str, Any], list[Cite]]:
    found = search_service.search(ctx, query=a.query, kinds=a.kinds, customer_id=a.customer_id,
                                  date_from=a.date_from, date_to=a.date_to, scope=scope, limit=MAX_ROWS)
    import re
    from html import unescape

    rows, cites = [], []
    for r in found["results"]:
        rows.append({"kind": r["kind"], "id": r["id"], "title": r["title"], "customer_id": r["customer_id"],
                     "date": r["date"], "snippet": unescape(re.sub(r"</?mark>", "", r["snippet"]))})
        label = r["id"] if r["kind"] in ("account", "invoice") else f"{r['kind']} {r['id']}"
        cites.append({"kind": r["kind"], "id": r["id"], "label": label, "url": r["url"]})
    return {"total": found["total"], "rows": rows}, cites


def run_customer(ctx: Context, scope: CaseScope, a: CustomerArgs) -> tuple[dict[str, Any], list[Cite]]:
    view = customer_overview(ctx, customer_id=a.customer_id, as_of=ctx.clock.today(), scope=_customers(scope))
    c = view.customer
    cid = c["customer_id"]
    items = [{"invoice_id": i["invoice_id"], "due_date": i["due_date"].isoformat(), "currency": i["currency"],
              "open_amount": str(i["open_amount"]), "days_past_due": i["days_past_due"],
              "disputed": str(i["disputed"])} for i in view.open_items]
    out = {"customer_id": cid, "name": c["name"], "collector": c.get("collector"), "currency": c.get("currency"),
           "as_of": view.as_of.isoformat(), "open_balance": {k: str(v) for k, v in view.open_balance.items()},
           "unapplied_cash": {k: str(v) for k, v in view.unapplied_cash.items()},
           "credit_hold": c.get("credit_hold"), "open_invoices": _cut(items)}
    url = f"/customers/{quote(cid, safe='')}"
    return out, [_customer_cite(cid)] + [{"kind": "invoice", "id": i["invoice_id"], "label": i["invoice_id"],
                                          "url": url} for i in items[:MAX_ROWS]]


def run_promises(ctx: Context, scope: CaseScope, a: PromiseArgs) -> tuple[dict[str, Any], list[Cite]]:
    rows = promises.list_promises(ctx, as_of=ctx.clock.today(), scope=_customers(scope), customer_id=a.customer_id,
                                  status=a.status)
    rows = [p for p in rows if (a.due_from is None or p["date"] >= a.due_from.isoformat())
            and (a.due_to is None or p["date"] <= a.due_to.isoformat())]
    keep = ("id", "customer_id", "amount", "currency", "date", "invoices", "status", "paid", "deadline", "made_on")
    rows = [{k: p[k] for k in keep} for p in rows]
    cites = []
    for p in rows[:MAX_ROWS]:
        cites.append({"kind": "promise", "id": p["id"], "label": f"promise {p['id']}",
                      "url": f"/customers/{quote(p['customer_id'], safe='')}"})
        cites.append(_customer_cite(p["customer_id"]))
    return {"today": ctx.clock.today().isoformat(), **_cut(rows)}, cites


def run_disputes(ctx: Context, scope: CaseScope, a: DisputeArgs) -> tuple[dict[str, Any], list[Cite]]:
    rows = disputes.list_disputes(ctx, active=a.active or None, customer_id=a.customer_id, scope=scope,
                                  limit=MAX_ROWS)
    keep = ("id", "customer_id", "status", "reason", "team", "amount", "currency", "sla_due", "invoices")
    rows = [{k: d.get(k) for k in keep if k in d} for d in rows]
    cites = [{"kind": "dispute", "id": str(d["id"]), "label": f"dispute {d['id']}", "url": f"/disputes/{d['id']}"}
             for d in rows]
    return {"rows": rows}, cites


@dataclass(frozen=True)
class Tool:
    name: str
    description: str
    args: type[_Args]
    run: Callable[[Context, CaseScope, Any], tuple[dict[str, Any], list[Cite]]]

    def spec(self) -> dict[str, Any]:
        """The tool as the chat-completions protocol declares it."""
        return {"type": "function", "function": {"name": self.name, "description": self.description,
                                                 "parameters": self.args.model_json_schema()}}


TOOLS: dict[str, Tool] = {t.name: t for t in (
    Tool("search_records", "Full-text search over accounts, invoices, emails, notes, call logs, disputes and SOPs "
         "the user may see (every word must appear).", SearchArgs, run_search),
    Tool("customer_summary", "One customer: open balance, unapplied cash and open invoices (oldest due first).",
         CustomerArgs, run_customer),
    Tool("promises", "Promises to pay with their status today (open, kept, partially_kept, broken, cancelled), "
         "optionally for a range of promised dates or one customer.", PromiseArgs, run_promises),
    Tool("disputes", "Disputes (active ones by default), the nearest SLA first.", DisputeArgs, run_disputes),
)}
