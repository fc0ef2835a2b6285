"""Workbench API: worklist, calls, promises, actions, playbooks, workloads, timeline — and who may do what."""

from __future__ import annotations

import datetime as dt

TODAY = dt.date(2026, 11, 23)


def test_a_collector_works_their_own_worklist_through_the_api(served):
    c = served.client
    me = served.h(served.collector)
    r = c.get("/api/v1/worklist", headers=me)
    assert r.status_code == 200, r.text
    data = r.json()
    mine = served.customers_of(served.collector)
    assert data["items"] and {i["customer_id"] for i in data["items"]} <= mine
    assert [i["priority"] for i in data["items"]] == sorted((i["priority"] for i in data["items"]), reverse=True)
    assert c.get(f"/api/v1/worklist?collector={served.other}", headers=me).status_code == 403
    top = data["items"][0]
    cid = top["customer_id"]
    r = c.post("/api/v1/activities", headers=me, json={"customer_id": cid, "kind": "call", "outcome": "promise",
                                                       "note": "will pay Friday"})
    assert r.status_code == 201 and r.json()["outcome"] == "promise"
    invoices = sorted({i for a in top["actions"] for i in a["invoices"]})
    r = c.post("/api/v1/promises", headers=me, json={"customer_id": cid, "amount": "10.00", "date": "2026-11-27",
                                                     "invoices": invoices[:1]})
    assert r.status_code == 201, r.text
    promise = r.json()
    assert promise["status"] == "open" and promise["invoices"] == invoices[:1]
    listed = c.get(f"/api/v1/promises?customer_id={cid}", headers=me).json()
    assert [p["id"] for p in listed] == [promise["id"]]
    timeline = c.get(f"/api/v1/customers/{cid}/timeline", headers=me).json()
    assert {e["kind"] for e in timeline[:2]} == {"promise", "call"}
    assert all(e["by"] == served.collector for e in timeline[:2])


def test_other_portfolios_are_404_and_bad_input_is_422(served):
    c = served.client
    me = served.h(served.collector)
    theirs = sorted(served.customers_of(served.other))[0]
    assert c.post("/api/v1/activities", headers=me, json={"customer_id": theirs, "kind": "call",
                                                          "outcome": "no_answer"}).status_code == 404
    assert c.get(f"/api/v1/customers/{theirs}/timeline", headers=me).status_code == 404
    mine = sorted(served.customers_of(served.collector))[0]
    r = c.post("/api/v1/activities", headers=me, json={"customer_id": mine, "kind": "call"})
    assert r.status_code == 422 and "outcome" in r.text
    r = c.post("/api/v1/promises", headers=me, json={"customer_id": mine, "amount": "10.00", "date": "2020-01-01"})
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")
    assert c.get(f"/api/v1/promises?customer_id={mine}", headers=me).json() == []


def test_viewers_read_but_do_not_work_and_only_admins_load_playbooks(served):
    c = served.client
    cid = sorted(served.customers_of(served.collector))[0]
    assert c.get("/api/v1/worklist", headers=served.h("vera")).status_code == 200
    assert c.post("/api/v1/activities", headers=served.h("vera"),
                  json={"customer_id": cid, "kind": "note", "note": "x"}).status_code == 403
    current = c.get("/api/v1/playbooks/current", headers=served.h("vera")).json()
    assert current["version"] == 0 and current["segments"][0]["name"] == "key_accounts"
    text = current["source"].replace("promise_grace_days: 3", "promise_grace_days: 5")
    assert c.post("/api/v1/playbooks", headers=served.h("mona"), json={"text": text}).status_code == 403
    r = c.post("/api/v1/playbooks", headers=served.h("admin"), json={"text": text})
    assert r.status_code == 201 and r.json() == {"version": 1, "name": current["name"], "changed": True}
    bad = c.post("/api/v1/playbooks", headers=served.h("admin"), json={"text": "name: x\nsegments: []\n"})
    assert bad.status_code == 422 and "playbook:2: segments" in bad.text
    assert [v["version"] for v in c.get("/api/v1/playbooks", headers=served.h("vera")).json()] == [1]
    preview = c.post("/api/v1/playbooks/preview", headers=served.h("mona"), json={"text": text})
    assert preview.status_code == 200 and preview.json()["accounts"] > 0
    assert c.get("/api/v1/workloads", headers=served.h(served.collector)).status_code == 403
    loads = c.get("/api/v1/workloads", headers=served.h("admin")).json()
    assert {w["collector"] for w in loads} >= {served.collector, served.other}
    assert c.get("/api/v1/worklist", headers=served.h("stan")).status_code == 403


def test_actions_close_and_snooze_through_the_api(served):
    c = served.client
    me = served.h(served.collector)
    items = c.get("/api/v1/worklist", headers=me).json()["items"]
    action = next(a for i in items for a in i["actions"] if a["kind"] != "call")
    r = c.post(f"/api/v1/actions/{action['id']}/close", headers=me, json={"status": "skipped", "note": "paid by card"})
    assert r.status_code == 200 and r.json()["status"] == "skipped"
    assert c.post(f"/api/v1/actions/{action['id']}/close", headers=me, json={"status": "done"}).status_code == 409
    other = c.get("/api/v1/worklist", headers=served.h(served.other)).json()["items"][0]["actions"][0]
    assert c.post(f"/api/v1/actions/{other['id']}/close", headers=me, json={"status": "done"}).status_code == 404
    cid = items[-1]["customer_id"]
    r = c.post(f"/api/v1/customers/{cid}/snooze", headers=me, json={"until": "2026-11-30"})
    assert r.status_code == 200 and r.json()["actions"] >= 1
    assert cid not in {i["customer_id"] for i in c.get("/api/v1/worklist", headers=me).json()["items"]}
