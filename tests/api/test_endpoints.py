"""What each API endpoint returns: shapes, filters, pagination, validation, imports, administration."""

from __future__ import annotations

import json
from decimal import Decimal

from arcollect.auth import service as auth
from arcollect.ledger import service as ledger


def test_customer_list_paginates_filters_and_sorts(served):
    h = served.h("admin")
    first = served.client.get("/api/v1/customers", params={"limit": 10, "offset": 0}, headers=h).json()
    second = served.client.get("/api/v1/customers", params={"limit": 10, "offset": 10}, headers=h).json()
    assert first["total"] == second["total"] == 36 and len(first["items"]) == 10
    assert not {c["customer_id"] for c in first["items"]} & {c["customer_id"] for c in second["items"]}
    ids = [c["customer_id"] for c in first["items"]]
    assert ids == sorted(ids)
    desc = served.client.get("/api/v1/customers", params={"sort": "-customer_id", "limit": 1}, headers=h).json()
    assert desc["items"][0]["customer_id"] == "C000036"
    by_collector = served.client.get("/api/v1/customers", params={"collector": served.other, "limit": 500}, headers=h).json()
    assert {c["customer_id"] for c in by_collector["items"]} == served.customers_of(served.other)
    assert all(c["credit_limit"] is None or "." in c["credit_limit"] for c in first["items"])


def test_customer_detail_ties_to_open_items_and_hierarchy(served):
    h = served.h("admin")
    rows = ledger.aging(served.ctx, as_of=served.ctx.clock.today()).rows
    row = max(rows, key=lambda r: r.total)
    detail = served.client.get(f"/api/v1/customers/{row.key}", headers=h).json()
    assert detail["open_balance"][row.currency] == str(row.total.quantize(Decimal("0.01")))
    open_invoices = served.client.get("/api/v1/invoices", params={"customer_id": row.key, "status": "open",
                                                                  "limit": 500}, headers=h).json()
    assert sum(Decimal(i["open_amount"]) for i in open_invoices["items"] if i["currency"] == row.currency) == row.total
    assert all(Decimal(i["open_amount"]) > 0 for i in open_invoices["items"])
    children = [c for c in ledger.list_customers(served.ctx, scope=ledger.EVERYTHING, limit=500)[0]]
    with_parent = next(c for c in children if served.client.get(f"/api/v1/customers/{c['customer_id']}", headers=h).json()["parent_id"])
    tree = served.client.get(f"/api/v1/customers/{with_parent['customer_id']}/hierarchy", headers=h).json()
    parent = tree["ancestors"][-1]["customer_id"]
    up = served.client.get(f"/api/v1/customers/{parent}/hierarchy", headers=h).json()
    assert with_parent["customer_id"] in [c["customer_id"] for c in up["children"]]
    contacts = served.client.get(f"/api/v1/customers/{row.key}/contacts", headers=h).json()
    assert contacts and all("@" in c["email"] for c in contacts)


def test_payments_and_applications_tie_out(served):
    h = served.h("admin")
    payments = served.client.get("/api/v1/payments", params={"limit": 500}, headers=h).json()
    assert payments["total"] >= len(payments["items"]) > 0
    paid = next(p for p in payments["items"] if p["customer_id"] and Decimal(p["open_amount"]) == 0)
    apps = served.client.get("/api/v1/applications", params={"customer_id": paid["customer_id"], "limit": 500},
                             headers=h).json()["items"]
    assert sum(Decimal(a["amount"]) for a in apps if a["payment_id"] == paid["payment_id"]) == Decimal(paid["amount"])
    collector = served.client.get("/api/v1/payments", params={"limit": 500}, headers=served.h(served.collector)).json()
    assert {p["customer_id"] for p in collector["items"]} <= served.customers_of(served.collector)
    assert 0 < collector["total"] < payments["total"]


def test_aging_api_returns_the_cli_json(served, tmp_path):
    from typer.testing import CliRunner

    from arcollect.cli.main import app
    from arcollect.cli.common import state

    api = served.client.get("/api/v1/aging", params={"as_of": "2026-10-31", "by": "collector",
                                                     "buckets": "0,15,30,60"}, headers=served.h("admin"))
    assert api.status_code == 200
    result = CliRunner().invoke(app, ["--db", served.ctx.settings.effective_database_url, "aging", "--as-of",
                                      "2026-10-31", "--by", "collector", "--buckets", "0,15,30,60", "--format", "json"])
    if state.ctx is not None:
        state.ctx.dispose()
        state.ctx = None
    assert result.exit_code == 0, result.output
    assert api.json() == json.loads(result.stdout)
    assert api.json()["buckets"] == ["current", "1-15", "16-30", "31-60", "60+"]


def test_invalid_parameters_are_422_problems_naming_the_field(served):
    h = served.h("admin")
    for path, field in (("/api/v1/customers?limit=0", "limit"), ("/api/v1/aging?as_of=2026-13-01", "as_of"),
                        ("/api/v1/aging?buckets=0,30,20", None), ("/api/v1/invoices?status=late", "status"),
                        ("/api/v1/customers?sort=balance", "sort")):
        r = served.client.get(path, headers=h)
        assert r.status_code == 422, path
        body = r.json()
        assert r.headers["content-type"].startswith("application/problem+json")
        assert body["status"] == 422
        text = " ".join(body["errors"]) + " " + (body["detail"] or "")
        assert field is None or field in text, (path, body)
    r = served.client.patch("/api/v1/customers/C000001", json={"timezone": "Mars/Olympus", "email": "no-at"}, headers=h)
    assert r.status_code == 422
    assert any(e.startswith("timezone:") for e in r.json()["errors"]) and any(e.startswith("email:") for e in r.json()["errors"])
    r = served.client.patch("/api/v1/customers/C000001", json={"name": "Renamed"}, headers=h)
    assert r.status_code == 422  # the ERP owns the name


def test_customer_update_is_audited(served):
    from arcollect.audit import history

    mine = sorted(served.customers_of(served.collector))[0]
    r = served.client.patch(f"/api/v1/customers/{mine}", json={"timezone": "Europe/Paris", "phone": "+33 1 23"},
                            headers=served.h(served.collector))
    assert r.status_code == 200 and r.json()["timezone"] == "Europe/Paris"
    with served.ctx.sessions() as s:
        entry = history(s, "customer", mine)[-1]
    assert entry.actor == served.collector and entry.changes["timezone"][1] == "Europe/Paris"


def test_import_upload_reports_every_bad_line_and_writes_nothing(served):
    h = served.h("cash")
    bad = b"customer_id,name,currency,payment_terms_days\nN1,New One,USD,30\nN2,,USD,30\nN3,Three,XYZ,abc\n"
    r = served.client.post("/api/v1/imports/customers", files={"file": ("erp-customers.csv", bad, "text/csv")}, headers=h)
    assert r.status_code == 200
    report = r.json()
    assert report["committed"] is False and report["created"] == 0
    assert any(e.startswith("erp-customers.csv:3: name") for e in report["errors"])
    assert any(e.startswith("erp-customers.csv:4: currency") for e in report["errors"])
    assert any(e.startswith("erp-customers.csv:4: payment_terms_days") for e in report["errors"])
    assert all("uploads" not in e for e in report["errors"])  # no server paths
    assert ledger.list_customers(served.ctx, scope=ledger.EVERYTHING, q="N1")[1] == 0


def test_import_upload_dry_run_then_commit(served):
    h = served.h("admin")
    good = b"customer_id,name,currency\nN1,New One,USD\nN2,New Two,EUR\n"
    dry = served.client.post("/api/v1/imports/customers?dry_run=true", files={"file": ("c.csv", good)}, headers=h).json()
    assert dry["committed"] is False and dry["created"] == 2 and dry["errors"] == []
    assert ledger.list_customers(served.ctx, scope=ledger.EVERYTHING, q="New ")[1] == 0
    done = served.client.post("/api/v1/imports/customers", files={"file": ("c.csv", good)}, headers=h).json()
    assert done["committed"] is True and done["created"] == 2
    assert ledger.list_customers(served.ctx, scope=ledger.EVERYTHING, q="New ")[1] == 2
    r = served.client.post("/api/v1/imports/customers", files={"file": ("c.exe", b"MZ")}, headers=h)
    assert r.status_code == 422 and "csv" in r.json()["detail"]


def test_admin_manages_users_tokens_and_portfolios(served):
    h = served.h("admin")
    created = served.client.post("/api/v1/users", json={"login": "zoe", "role": "collector", "team": "south"}, headers=h)
    assert created.status_code == 201 and len(created.json()["password"]) >= 10
    assert served.client.post("/api/v1/users", json={"login": "zoe", "role": "viewer"}, headers=h).status_code == 409
    token = served.client.post("/api/v1/tokens", json={"login": "zoe", "name": "script"}, headers=h).json()
    zoe = {"Authorization": f"Bearer {token['token']}"}
    assert served.client.get("/api/v1/customers", headers=zoe).json()["total"] == 0
    theirs = sorted(served.customers_of(served.other))[:2]
    moved = served.client.post("/api/v1/portfolio/assign", json={"customer_ids": theirs, "collector": "zoe"}, headers=h)
    assert moved.json() == {"changed": 2}
    assert {c["customer_id"] for c in served.client.get("/api/v1/customers", headers=zoe).json()["items"]} == set(theirs)
    refused = served.client.post("/api/v1/portfolio/assign", json={"customer_ids": theirs, "collector": "vera"}, headers=h)
    assert refused.status_code == 422  # vera is a viewer, not a collector
    missing = served.client.post("/api/v1/portfolio/assign", json={"customer_ids": ["NOPE"], "collector": "zoe"}, headers=h)
    assert missing.status_code == 404
    assert served.client.patch("/api/v1/users/zoe", json={"role": "viewer"}, headers=h).json()["role"] == "viewer"
    assert served.client.get("/api/v1/users/zoe", headers=h).json()["team"] == "south"
    tokens = served.client.get("/api/v1/tokens", headers=h).json()
    assert all("token" not in t and "token_hash" not in t for t in tokens)
    assert served.client.delete(f"/api/v1/tokens/{token['id']}", headers=h).status_code == 204
    assert served.client.get("/api/v1/me", headers=zoe).status_code == 401
    assert served.client.delete(f"/api/v1/tokens/{token['id']}", headers=h).status_code == 409
    assert served.client.patch("/api/v1/users/zoe", json={"active": False}, headers=h).json()["active"] is False
    assert [u for u in auth.list_users(served.ctx) if u["login"] == "zoe"][0]["active"] is False


def test_health_and_openapi_are_public(served):
    assert served.client.get("/healthz").json() == {"status": "ok"}
    assert served.client.get("/api/v1/healthz").status_code == 200
    spec = served.client.get("/api/v1/openapi.json").json()
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            documented = set(op["responses"])
            if path.endswith("healthz"):
                continue
            assert "401" in documented, (method, path)
            assert all(s in documented for s in ("422",) if op.get("parameters") or op.get("requestBody")), (method, path)


def test_nul_is_refused_everywhere_and_changes_nothing(served):
    """PostgreSQL cannot store NUL: it is refused as a 422 naming the field, on both databases alike."""
    from tests.conftest import csrf_of

    h = served.h("admin")
    mine = sorted(served.customers_of(served.collector))[0]
    before = served.client.get(f"/api/v1/customers/{mine}", headers=h).json()
    for method, path, kwargs, where in (
            ("get", "/api/v1/applications", {"params": {"customer_id": "C\x00"}}, "query parameter 'customer_id'"),
            ("get", "/api/v1/customers/C%00", {}, "the URL path"),
            ("patch", f"/api/v1/customers/{mine}", {"json": {"email": "a\x00@b.example"}}, "field 'email'"),
            ("post", "/api/v1/tokens", {"json": {"login": "ad\x00min"}}, "field 'login'")):
        r = served.client.request(method, path, headers=h, **kwargs)
        assert r.status_code == 422, (path, r.text)
        assert r.headers["content-type"] == "application/problem+json"
        assert r.json()["detail"].startswith(where), r.json()
    assert served.client.get(f"/api/v1/customers/{mine}", headers=h).json() == before
    browser = served.browser()
    r = browser.post("/login", data={"login": "admin\x00", "password": served.PASSWORD,
                                      "csrf_token": csrf_of(browser.get("/login"))}, follow_redirects=False)
    assert r.status_code == 422 and "field 'login'" in r.json()["detail"]


def test_every_cli_import_kind_is_accepted_by_the_api_and_the_web_form(served):
    from tests.conftest import csrf_of

    h = served.h("admin")
    browser = served.browser("admin")
    for kind in ledger.KINDS:  # the CLI's kinds: credit-notes is spelt with a dash everywhere
        r = served.client.post(f"/api/v1/imports/{kind}?dry_run=true", files={"file": ("x.csv", b"nope\n1\n")},
                               headers=h)
        assert r.status_code == 200, (kind, r.text)
        assert r.json()["errors"] and all(e.startswith("x.csv:1:") for e in r.json()["errors"]), r.json()
        page = browser.post("/imports", data={"kind": kind, "csrf_token": csrf_of(browser.get("/imports"))},
                            files={"file": ("x.csv", b"nope\n1\n")})
        assert page.status_code == 422 and "x.csv:1:" in page.text, kind
    mine = ledger.customer_overview(served.ctx, customer_id="C000001", as_of=served.ctx.clock.today())
    currency = mine.customer["currency"]
    note = f"credit_note_id,customer_id,issue_date,amount,currency\nCN-API-1,C000001,2026-11-20,12.34,{currency}\n"
    done = served.client.post("/api/v1/imports/credit-notes", files={"file": ("cn.csv", note.encode())}, headers=h)
    assert done.status_code == 200 and done.json()["committed"] and done.json()["created"] == 1, done.text
    after = ledger.customer_overview(served.ctx, customer_id="C000001", as_of=served.ctx.clock.today())
    assert after.unapplied_credits.get(currency, Decimal(0)) - mine.unapplied_credits.get(currency, Decimal(0)) \
        == Decimal("12.34")
