"""Authentication and portfolio boundaries of the API: 401 anonymous, 404 outside the portfolio, 403 by role."""

from __future__ import annotations

from decimal import Decimal

import pytest

from arcollect.auth import service as auth
from arcollect.ledger import service as ledger
from arcollect.money import money_str

READS = ["/api/v1/customers", "/api/v1/customers/C000001", "/api/v1/customers/C000001/hierarchy",
         "/api/v1/customers/C000001/contacts", "/api/v1/invoices", "/api/v1/credit-notes", "/api/v1/payments",
         "/api/v1/applications", "/api/v1/aging", "/api/v1/me", "/api/v1/users", "/api/v1/tokens"]


def test_anonymous_and_bad_tokens_get_401_problem_json(served):
    for path in READS:
        for headers in ({}, {"Authorization": "Bearer arc_not-a-token"}, {"Authorization": "Basic YWRtaW46eA=="}):
            r = served.client.get(path, headers=headers)
            assert r.status_code == 401, (path, headers, r.text)
            assert r.headers["content-type"].startswith("application/problem+json")
            assert r.headers["www-authenticate"] == "Bearer"
            assert r.json()["status"] == 401 and r.json()["title"] == "Not authenticated"
    r = served.client.post("/api/v1/imports/customers", files={"file": ("c.csv", b"customer_id,name\n")})
    assert r.status_code == 401


def test_revoked_token_and_disabled_user_stop_working(served):
    tokens = {t["login"]: t["id"] for t in auth.list_tokens(served.ctx)}
    assert served.client.get("/api/v1/me", headers=served.h("vera")).status_code == 200
    auth.revoke_token(served.ctx, token_id=tokens["vera"])
    assert served.client.get("/api/v1/me", headers=served.h("vera")).status_code == 401
    assert served.client.get("/api/v1/me", headers=served.h("cash")).status_code == 200
    auth.disable_user(served.ctx, login="cash")
    assert served.client.get("/api/v1/me", headers=served.h("cash")).status_code == 401


def test_collector_sees_only_their_portfolio_in_lists_counts_documents_and_aging(served):
    mine = served.customers_of(served.collector)
    h = served.h(served.collector)
    listed = served.client.get("/api/v1/customers", params={"limit": 500}, headers=h).json()
    assert {c["customer_id"] for c in listed["items"]} == mine and listed["total"] == len(mine)
    search = served.client.get("/api/v1/customers", params={"q": "c0000"}, headers=h).json()
    assert {c["customer_id"] for c in search["items"]} <= mine
    for path in ("/api/v1/invoices", "/api/v1/payments", "/api/v1/credit-notes"):
        page = served.client.get(path, params={"limit": 500}, headers=h).json()
        assert page["items"] and {i["customer_id"] for i in page["items"]} <= mine, path
    aging = served.client.get("/api/v1/aging", headers=h).json()
    assert {r["key"] for r in aging["rows"]} <= mine
    # the totals are the collector's, to the cent
    own = ledger.aging(served.ctx, as_of=served.ctx.clock.today(), collector=served.collector)
    assert {t["currency"]: t["total"] for t in aging["totals"]} == {t.currency: money_str(t.total, t.currency) for t in own.totals}
    everything = served.client.get("/api/v1/aging", headers=served.h("admin")).json()
    assert sum(Decimal(t["total"]) for t in everything["totals"]) > sum(Decimal(t["total"]) for t in aging["totals"])


def test_another_collectors_customer_is_404_for_reads_and_writes(served):
    theirs = sorted(served.customers_of(served.other))[0]
    h = served.h(served.collector)
    for path in (f"/api/v1/customers/{theirs}", f"/api/v1/customers/{theirs}/hierarchy",
                 f"/api/v1/customers/{theirs}/contacts", f"/api/v1/invoices?customer_id={theirs}",
                 f"/api/v1/applications?customer_id={theirs}"):
        r = served.client.get(path, headers=h)
        assert r.status_code == 404, path
        assert r.json()["detail"] == f"customer {theirs!r} not found"  # same as a customer that does not exist
    r = served.client.patch(f"/api/v1/customers/{theirs}", json={"phone": "+1 555 0100"}, headers=h)
    assert r.status_code == 404
    assert ledger.customer_overview(served.ctx, customer_id=theirs, as_of=served.ctx.clock.today()).customer["phone"] != "+1 555 0100"
    mine = sorted(served.customers_of(served.collector))[0]
    assert served.client.patch(f"/api/v1/customers/{mine}", json={"phone": "+1 555 0100"}, headers=h).status_code == 200


@pytest.mark.parametrize("method,path,body", [
    ("patch", "/api/v1/customers/C000001", {"json": {"phone": "1"}}),
    ("post", "/api/v1/imports/customers", {"files": {"file": ("c.csv", b"customer_id,name,currency\nX1,X,USD\n")}}),
    ("post", "/api/v1/users", {"json": {"login": "eve", "role": "admin"}}),
    ("post", "/api/v1/tokens", {"json": {"login": "vera"}}),
    ("delete", "/api/v1/tokens/1", {}),
    ("patch", "/api/v1/users/vera", {"json": {"role": "admin"}}),
    ("post", "/api/v1/portfolio/assign", {"json": {"customer_ids": ["C000001"], "collector": "vera"}}),
])
def test_viewer_writing_gets_403_and_nothing_changes(served, method, path, body):
    before = (auth.list_users(served.ctx), auth.list_tokens(served.ctx), ledger.list_customers(served.ctx, scope=ledger.EVERYTHING, limit=500))
    r = getattr(served.client, method)(path, headers=served.h("vera"), **body)
    assert r.status_code == 403, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    after = (auth.list_users(served.ctx), auth.list_tokens(served.ctx), ledger.list_customers(served.ctx, scope=ledger.EVERYTHING, limit=500))
    assert before == after


def test_stakeholder_sees_no_portfolio(served):
    assert served.client.get("/api/v1/customers", headers=served.h("stan")).status_code == 403
    assert served.client.get("/api/v1/aging", headers=served.h("stan")).status_code == 403
    assert served.client.get("/api/v1/me", headers=served.h("stan")).json()["permissions"] == ["cases:answer"]


def test_manager_of_a_team_sees_the_team_collectors_portfolios(served):
    # mona manages team "north", where only the first collector works
    listed = served.client.get("/api/v1/customers", params={"limit": 500}, headers=served.h("mona")).json()
    assert {c["customer_id"] for c in listed["items"]} == served.customers_of(served.collector)
    theirs = sorted(served.customers_of(served.other))[0]
    assert served.client.get(f"/api/v1/customers/{theirs}", headers=served.h("mona")).status_code == 404
    # a customer assigned to the team directly becomes visible
    auth.assign_portfolio(served.ctx, customer_ids=[theirs], team="north")
    assert served.client.get(f"/api/v1/customers/{theirs}", headers=served.h("mona")).status_code == 200
