"""Escalations through the API with each role: the approval matrix decides who approves a write-off at
its amount (a collector cannot approve above it), four eyes, scope (404 outside the portfolio), the
credit-hold flag exposed on the customer, the case history PDF and the agency package."""

from __future__ import annotations

import io
import zipfile
from decimal import Decimal

from arcollect.escalations import service as esc
from arcollect.escalations import policy as E
from arcollect.ledger import service as ledger


def _open_items(served, customer: str) -> list[dict]:  # noqa: ANN001
    return ledger.customer_overview(served.ctx, customer_id=customer, as_of=served.ctx.clock.today()).open_items


def test_a_write_off_goes_to_the_approver_the_matrix_names(served):
    c = served.client
    me, mona, admin = served.h(served.collector), served.h("mona"), served.h("admin")
    mine = sorted(served.customers_of(served.collector))
    customer = next(cid for cid in mine if any(i["open_amount"] > 200 for i in _open_items(served, cid)))
    item = next(i for i in _open_items(served, customer) if i["open_amount"] > 200)
    assert c.post("/api/v1/escalations", headers=served.h("vera"),
                  json={"customer_id": customer, "action": "write_off"}).status_code == 403
    assert c.get("/api/v1/escalations", headers=served.h("stan")).status_code == 403
    bad = c.post("/api/v1/escalations", headers=me, json={"customer_id": customer, "action": "write_off",
                                                          "invoices": [{"invoice_id": "NOPE"}]})
    assert bad.status_code == 422 and "NOPE" in bad.text
    small = c.post("/api/v1/escalations", headers=me, json={
        "customer_id": customer, "action": "write_off", "invoices": [{"invoice_id": item["invoice_id"], "amount": "150.00"}],
        "note": "freight charge waived"})
    assert small.status_code == 201, small.text
    e = small.json()
    policy = esc.active_policy(served.ctx).policy
    assert e["approvers"] == list(E.level_for(policy, "write_off", Decimal("150.00")).approvers) == ["manager", "admin"]
    # the collector cannot approve above the matrix (and not their own proposal)
    refused = c.post(f"/api/v1/escalations/{e['id']}/approve", headers=me, json={})
    assert refused.status_code == 403 and "escalation matrix needs a manager or admin" in refused.json()["detail"]
    theirs = served.h(served.other)
    assert c.post(f"/api/v1/escalations/{e['id']}/approve", headers=theirs, json={}).status_code == 404
    before = Decimal(str(item["open_amount"]))
    approved = c.post(f"/api/v1/escalations/{e['id']}/approve", headers=mona, json={"note": "ok"})
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "completed" and approved.json()["decided_by"] == "mona"
    after = next(i for i in _open_items(served, customer) if i["invoice_id"] == item["invoice_id"])
    assert Decimal(str(after["open_amount"])) == before - Decimal("150.00")
    again = c.post(f"/api/v1/escalations/{e['id']}/reject", headers=mona, json={})
    assert again.status_code == 409
    timeline = c.get(f"/api/v1/customers/{customer}/timeline", headers=me).json()
    assert any("approved by mona" in t["text"] for t in timeline)
    # above the manager's level (5,000.00) only an admin approves: a write-off of an account's open items
    big_customer = next(cid for cid in mine if sum(i["open_amount"] for i in _open_items(served, cid)) > 5000)
    big = c.post("/api/v1/escalations", headers=me, json={"customer_id": big_customer, "action": "write_off"}).json()
    assert Decimal(big["amount"]) > 5000 and big["approvers"] == ["admin"]
    assert c.post(f"/api/v1/escalations/{big['id']}/approve", headers=mona, json={}).status_code == 403
    assert c.post(f"/api/v1/escalations/{big['id']}/approve", headers=admin, json={}).json()["status"] == "completed"
    assert not [i for i in _open_items(served, big_customer) if i["invoice_id"] in big["details"]["invoices"]]


def test_credit_hold_agency_package_and_case_history(served):
    c = served.client
    me, mona = served.h(served.collector), served.h("mona")
    customer = next(cid for cid in sorted(served.customers_of(served.collector)) if _open_items(served, cid))
    hold = c.post("/api/v1/escalations", headers=me, json={"customer_id": customer, "action": "credit_hold",
                                                           "note": "three months late"}).json()
    assert c.get(f"/api/v1/customers/{customer}", headers=me).json()["credit_hold"] is False
    assert c.post(f"/api/v1/escalations/{hold['id']}/approve", headers=mona, json={}).status_code == 200
    assert c.get(f"/api/v1/customers/{customer}", headers=me).json()["credit_hold"] is True
    agency = c.post("/api/v1/escalations", headers=me, json={"customer_id": customer, "action": "agency"}).json()
    assert c.get(f"/api/v1/escalations/{agency['id']}/package", headers=me).status_code == 409  # not approved yet
    assert c.post(f"/api/v1/escalations/{agency['id']}/approve", headers=mona, json={}).status_code == 200
    package = c.get(f"/api/v1/escalations/{agency['id']}/package", headers=me)
    assert package.status_code == 200 and package.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(package.content)) as z:
        assert sorted(z.namelist()) == ["case_history.pdf", "items.csv", "placement.json"]
        rows = z.read("items.csv").decode().splitlines()
        assert rows[0].startswith("invoice_id,") and len(rows) == 1 + len(_open_items(served, customer))
        assert z.read("case_history.pdf").startswith(b"%PDF")
    pdf = c.get(f"/api/v1/customers/{customer}/case-history", headers=me)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    theirs = next(iter(served.customers_of(served.other)))
    assert c.get(f"/api/v1/customers/{theirs}/case-history", headers=me).status_code == 404
    detail = c.get(f"/api/v1/escalations/{agency['id']}", headers=me).json()
    assert detail["history"]["customer"]["customer_id"] == customer
    assert [e["action"] for e in detail["history"]["escalations"]] == ["credit_hold", "agency"]


def test_the_policy_is_loaded_by_admins_and_checked_line_by_line(served):
    c = served.client
    source = E.default_text()
    assert c.put("/api/v1/escalation-policy", headers=served.h("mona"), json={"source": source}).status_code == 403
    bad = c.put("/api/v1/escalation-policy", headers=served.h("admin"),
                json={"source": source.replace("propose: agency", "propose: prison")})
    assert bad.status_code == 422 and any("rules." in p and ".propose" in p for p in bad.json()["errors"])
    ok = c.put("/api/v1/escalation-policy", headers=served.h("admin"), json={"source": source})
    assert ok.status_code == 200 and ok.json()["version"] == 1
    assert c.get("/api/v1/escalation-policy", headers=served.h(served.collector)).json()["version"] == 1
