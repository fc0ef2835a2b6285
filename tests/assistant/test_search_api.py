"""GET /api/v1/search, the /search page and the SOPs (API and pages): who may do what, scope, bad input."""

from __future__ import annotations

from arcollect.assistant import sops
from tests.assistant.search_book import SOP
from tests.conftest import csrf_of


def _names(served, login: str) -> set[str]:  # noqa: ANN001
    return served.customers_of(login)


def test_search_api_roles_and_scope(served):
    url = "/api/v1/search"
    assert served.client.get(url, params={"q": "invoice"}).status_code == 401
    mine = served.customers_of(served.collector)
    r = served.client.get(url, params={"q": "INV", "limit": 200}, headers=served.h(served.collector))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["results"] and {h["customer_id"] for h in body["results"]} <= mine
    everyone = served.client.get(url, params={"q": "INV", "limit": 200}, headers=served.h("admin")).json()
    assert {h["customer_id"] for h in everyone["results"]} - mine  # the admin sees other portfolios
    other = sorted(served.customers_of(served.other))[0]
    assert served.client.get(url, params={"q": "INV", "customer_id": other},
                             headers=served.h(served.collector)).status_code == 404


def test_search_api_exact_number_filters_and_bad_input(served):
    h = served.h("admin")
    inv = served.client.get("/api/v1/search", params={"q": "INV", "kind": "invoice", "limit": 1}, headers=h).json()
    number = inv["results"][0]["id"]
    first = served.client.get("/api/v1/search", params={"q": number}, headers=h).json()["results"][0]
    assert (first["id"], first["exact"], first["kind"]) == (number, True, "invoice")
    only = served.client.get("/api/v1/search", params=[("q", "INV"), ("kind", "account"), ("kind", "invoice")],
                             headers=h).json()
    assert {r["kind"] for r in only["results"]} <= {"account", "invoice"}
    for q in ['"', "*", 'NEAR("a" b)', "a OR b", "'; DROP TABLE invoices; --", "(", "^", "-x"]:
        assert served.client.get("/api/v1/search", params={"q": q}, headers=h).status_code == 200, q
    assert served.client.get("/api/v1/search", params={"q": "x" * 501}, headers=h).status_code == 422
    assert served.client.get("/api/v1/search", params={"q": "x", "kind": "gossip"}, headers=h).status_code == 422
    bad_range = served.client.get("/api/v1/search", params={"q": "x", "from": "2026-02-01", "to": "2026-01-01"},
                                  headers=h)
    assert bad_range.status_code == 200 and bad_range.json()["results"] == []  # no day in it: nothing found


def test_only_admins_upload_and_delete_sops_everyone_reads_them(served):
    files = {"file": ("credit-policy.md", SOP, "text/markdown")}
    assert served.client.post("/api/v1/sops", files=files, headers=served.h(served.collector)).status_code == 403
    assert served.client.post("/api/v1/sops", files=files, headers=served.h("mona")).status_code == 403
    made = served.client.post("/api/v1/sops", files=files, headers=served.h("admin"))
    assert made.status_code == 201, made.text
    sop_id = made.json()["id"]
    assert made.json()["title"] == "Credit policy"
    for login in (served.collector, "stan", "vera"):
        got = served.client.get(f"/api/v1/sops/{sop_id}", headers=served.h(login))
        assert got.status_code == 200
    html = got.json()["html"]
    assert "<script>" not in html and "&lt;script&gt;" in html and 'href="javascript:' not in html and "<table>" in html and "<strong>60 days</strong>" in html
    hit = served.client.get("/api/v1/search", params={"q": "credit hold"}, headers=served.h("stan")).json()["results"]
    assert [(r["kind"], r["url"]) for r in hit] == [("sop", f"/sops/{sop_id}")]
    assert served.client.delete(f"/api/v1/sops/{sop_id}", headers=served.h(served.collector)).status_code == 403
    assert served.client.delete(f"/api/v1/sops/{sop_id}", headers=served.h("admin")).status_code == 204
    assert served.client.get(f"/api/v1/sops/{sop_id}", headers=served.h("admin")).status_code == 404
    bad = served.client.post("/api/v1/sops", files={"file": ("policy.pdf", b"%PDF-1.4", "application/pdf")},
                             headers=served.h("admin"))
    assert bad.status_code == 422 and "policy.pdf" in bad.json()["detail"]
    latin1 = served.client.post("/api/v1/sops", files={"file": ("p.md", "# Café\n".encode("latin-1"), "text/markdown")},
                                headers=served.h("admin"))
    assert latin1.status_code == 422 and "p.md: byte" in latin1.json()["detail"]


def test_search_page_groups_kinds_and_the_header_box_goes_there(served):
    web = served.browser(served.collector)
    start = web.get("/worklist")
    assert 'action="/search"' in start.text
    page = web.get("/search", params={"q": "INV"})
    assert page.status_code == 200
    assert 'id="kind-invoice"' in page.text and "<mark>INV</mark>" in page.text
    other = sorted(served.customers_of(served.other))
    assert not any(f"/customers/{c}\"" in page.text for c in other)
    empty = web.get("/search", params={"q": '"*'})
    assert empty.status_code == 200 and 'id="no-results"' in empty.text
    bad = web.get("/search", params={"q": "x", "from": "soon"})
    assert bad.status_code == 422 and "is not a date" in bad.text


def test_sop_pages_upload_for_admins_read_for_all(served):
    admin = served.browser("admin")
    listing = admin.get("/sops")
    assert 'id="sop-upload"' in listing.text
    r = admin.post("/sops", data={"csrf_token": csrf_of(listing), "title": ""},
                   files={"file": ("credit-policy.md", SOP, "text/markdown")}, follow_redirects=True)
    assert r.status_code == 200 and r.text.count("<h1>Credit policy</h1>") == 1 and "<script>alert" not in r.text
    sop_id = sops.list_sops(served.ctx)[0]["id"]
    collector = served.browser(served.collector)
    mine = collector.get("/sops")
    assert mine.status_code == 200 and "Credit policy" in mine.text and 'id="sop-upload"' not in mine.text
    assert collector.get(f"/sops/{sop_id}").status_code == 200
    refused = collector.post(f"/sops/{sop_id}/delete", data={"csrf_token": csrf_of(mine)})
    assert refused.status_code == 403
    gone = admin.post(f"/sops/{sop_id}/delete", data={"csrf_token": csrf_of(admin.get('/sops'))}, follow_redirects=True)
    assert gone.status_code == 200 and "is deleted" in gone.text and sops.list_sops(served.ctx) == []
