"""Outreach API: outbox and inbound mail within the caller's scope, letters as PDF, who may approve and run."""

from __future__ import annotations

import io

import pypdf


def test_letters_outbox_and_dunning_through_the_api(served):
    c = served.client
    me = served.h(served.collector)
    mine = sorted(served.customers_of(served.collector))[0]
    theirs = sorted(served.customers_of(served.other))[0]
    r = c.get(f"/api/v1/customers/{mine}/letters/statement", headers=me)
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    assert mine in " ".join(pypdf.PdfReader(io.BytesIO(r.content)).pages[0].extract_text().split())
    assert c.get(f"/api/v1/customers/{theirs}/letters/statement", headers=me).status_code == 404
    assert c.get(f"/api/v1/customers/{mine}/letters/poem", headers=me).status_code == 422
    assert c.post("/api/v1/dunning/run", headers=me, json={"dry_run": True}).status_code == 403
    dry = c.post("/api/v1/dunning/run", headers=served.h("admin"), json={"dry_run": True})
    assert dry.status_code == 200 and dry.json()["messages"] and c.get("/api/v1/outbox", headers=me).json() == []
    assert c.get("/api/v1/inbound/triage", headers=me).status_code == 403
    assert c.get("/api/v1/inbound/triage", headers=served.h("admin")).json() == []
    assert c.get(f"/api/v1/customers/{mine}/inbound", headers=me).json() == []
    assert c.get(f"/api/v1/customers/{theirs}/inbound", headers=me).status_code == 404
    assert c.post("/api/v1/outbox/1/approve", headers=me).status_code == 403
    assert c.post("/api/v1/outbox/999999/approve", headers=served.h("admin")).status_code == 404
    assert c.get("/api/v1/worklist?as_of=9999-12-31", headers=me).status_code == 422


def test_templates_through_the_api(served):
    c = served.client
    admin, me = served.h("admin"), served.h(served.collector)
    mine = sorted(served.customers_of(served.collector))[0]
    listed = c.get("/api/v1/templates", headers=me).json()
    assert {(t["language"], t["name"]) for t in listed} >= {("es", "demand"), ("de", "_layout")}
    current = c.get("/api/v1/templates/es/demand", headers=me).json()
    assert current["edited"] is False and "{% extends" in current["source"]
    edited = current["source"].replace("{% block subject %}", "{% block subject %}URGENTE ", 1)
    shown = c.post("/api/v1/templates/es/demand/preview", headers=me, json={"source": edited, "customer_id": mine})
    assert shown.status_code == 200 and shown.json()["subject"].startswith("URGENTE") and mine in shown.json()["text"]
    assert c.put("/api/v1/templates/es/demand", headers=me, json={"source": edited}).status_code == 403
    broken = c.put("/api/v1/templates/es/demand", headers=admin, json={"source": "{% if %}"})
    assert broken.status_code == 422 and "es/demand.j2:1:" in broken.json()["detail"]
    saved = c.put("/api/v1/templates/es/demand", headers=admin, json={"source": edited, "customer_id": mine})
    assert saved.status_code == 200 and saved.json() == {"language": "es", "name": "demand", "version": 1, "edited": True}
    assert c.get("/api/v1/templates/es/demand", headers=me).json()["source"] == edited
    assert c.delete("/api/v1/templates/es/demand", headers=admin).json()["version"] == 2
    assert c.delete("/api/v1/templates/es/demand", headers=admin).status_code == 409
    assert c.get("/api/v1/templates/pt/demand", headers=me).status_code in (404, 422)
