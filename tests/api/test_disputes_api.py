"""Disputes through the API: a collector opens one on their customer, a Billing stakeholder sees only
Billing's cases and answers the action item, and cannot change the workflow; problem+json errors."""

from __future__ import annotations

from arcollect.ledger import service as ledger


def _open_invoices(served, customer: str) -> list[dict]:  # noqa: ANN001
    view = ledger.customer_overview(served.ctx, customer_id=customer, as_of=served.ctx.clock.today())
    return view.open_items


def test_a_dispute_through_the_api_with_each_role(served):
    c = served.client
    me, stan, vera = served.h(served.collector), served.h("stan"), served.h("vera")
    mine = sorted(served.customers_of(served.collector))
    first = next(cid for cid in mine if len(_open_invoices(served, cid)) >= 2)
    items = _open_invoices(served, first)
    body = {"invoices": [{"invoice_id": items[0]["invoice_id"], "amount": "1.00"},
                         {"invoice_id": items[1]["invoice_id"]}], "reason": "billing_error", "note": "VAT rate wrong"}
    assert c.post("/api/v1/disputes", headers=vera, json=body).status_code == 403
    opened = c.post("/api/v1/disputes", headers=me, json=body)
    assert opened.status_code == 201, opened.text
    d = opened.json()
    assert d["team"] == "billing" and d["status"] == "open" and d["customer_id"] == first
    assert d["amount"] == f"{items[1]['open_amount'] + 1:.2f}" and d["invoices"] == sorted(i["invoice_id"] for i in items[:2])
    again = c.post("/api/v1/disputes", headers=me, json=body)
    assert again.status_code == 409 and "already in dispute" in again.text
    theirs = next(cid for cid in sorted(served.customers_of(served.other)) if _open_invoices(served, cid))
    other_item = _open_invoices(served, theirs)[0]["invoice_id"]
    assert c.post("/api/v1/disputes", headers=me, json={"invoices": [{"invoice_id": other_item}],
                                                        "reason": "pricing"}).status_code == 404
    sales = c.post("/api/v1/disputes", headers=served.h("admin"),
                   json={"invoices": [{"invoice_id": other_item}], "reason": "pricing"}).json()
    # the Billing stakeholder sees Billing's case only
    assert [x["id"] for x in c.get("/api/v1/disputes", headers=stan).json()] == [d["id"]]
    assert c.get(f"/api/v1/disputes/{sales['id']}", headers=stan).status_code == 404
    assert c.get(f"/api/v1/disputes/{sales['id']}", headers=me).status_code == 404  # not the collector's customer
    item = c.post(f"/api/v1/disputes/{d['id']}/items", headers=me,
                  json={"title": "Issue the credit note", "due_on": served.ctx.clock.today().isoformat()})
    assert item.status_code == 201 and item.json()["team"] == "billing"
    assert c.post(f"/api/v1/disputes/{d['id']}/items", headers=stan, json={"title": "x"}).status_code == 403
    inbox = c.get("/api/v1/action-items", headers=stan).json()
    # the item the dispute opened with, then the one just added (Billing's only: not the Sales case's)
    assert [(i["dispute_id"], i["team"]) for i in inbox] == [(d["id"], "billing")] * 2
    assert item.json()["id"] in [i["id"] for i in inbox]
    assert c.patch(f"/api/v1/disputes/{d['id']}", headers=stan, json={"status": "resolved"}).status_code == 403
    assert c.patch(f"/api/v1/disputes/{d['id']}", headers=stan, json={"comment": "looking at it"}).status_code == 200
    answered = c.post(f"/api/v1/action-items/{item.json()['id']}/answer", headers=stan, json={"answer": "CN-9 raised"})
    assert answered.status_code == 200 and answered.json()["status"] == "done"
    refused = c.patch(f"/api/v1/disputes/{d['id']}", headers=me, json={"status": "closed"})
    assert refused.status_code == 409 and refused.headers["content-type"].startswith("application/problem+json")
    assert "cannot go from open to closed" in refused.json()["detail"]
    resolved = c.patch(f"/api/v1/disputes/{d['id']}", headers=me, json={"status": "resolved", "resolution": "credit_note"})
    assert resolved.status_code == 200 and resolved.json()["status"] == "resolved"
    detail = c.get(f"/api/v1/disputes/{d['id']}", headers=me).json()
    assert any("CN-9 raised" in (e["text"] or "") for e in detail["events"]) and detail["unsettled"]
    aging = c.get("/api/v1/aging", headers=me).json()
    assert any(r["disputed"] != "0.00" for r in aging["rows"] if r["key"] == first)
    assert c.get("/api/v1/disputes", headers=vera).status_code == 200
    assert "billing_error" in c.get("/api/v1/disputes/reasons", headers=stan).json()
