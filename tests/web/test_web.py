"""The web app over HTTP: sign-in, CSRF, every route behind authentication, portfolio limits, imports, admin."""

from __future__ import annotations

import datetime as dt
import html
import io
import re
from decimal import Decimal

import pytest
from fastapi.routing import APIRoute

from arcollect.api.app import PREFIX, ROUTERS
from arcollect.web.factory import VIEWS

from arcollect.auth import service as auth
from arcollect.ledger import service as ledger
from arcollect.money import format_money
from tests.conftest import csrf_of

PUBLIC = {("GET", "/login"), ("POST", "/login"), ("GET", "/healthz"), ("GET", "/api/v1/healthz")}


def _fill(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", path)


def test_every_route_requires_authentication(served):
    """Walks the app's routes: anonymous callers get 401 (API) or are sent to /login (web)."""
    anonymous = served.browser()
    checked = 0
    routes = [(PREFIX + r.path, r) for router in ROUTERS for r in router.routes] + \
             [(r.path, r) for router in VIEWS for r in router.routes]
    for full, route in routes:
        assert isinstance(route, APIRoute)
        for method in route.methods - {"HEAD", "OPTIONS"}:
            if (method, full) in PUBLIC:
                continue
            path = _fill(full)
            token = csrf_of(anonymous.get("/login"))  # (a tested /logout clears the cookie)
            data = {"csrf_token": token}
            r = anonymous.request(method, path, data=data if method != "GET" else None,
                                  headers={"X-CSRF-Token": token}, follow_redirects=False)
            if full.startswith("/api/"):
                assert r.status_code == 401, (method, full, r.status_code)
            else:
                assert r.status_code in (303, 422) and (r.status_code == 422 or
                                                       r.headers["location"].startswith("/login")), (method, full, r.status_code)
                if r.status_code == 422:  # form validation ran first: repeat with a complete form
                    r = anonymous.request(method, path, data={**data, "login": "x", "role": "viewer", "kind": "customers",
                                                              "token": "0" * 16, "customer_ids": "X"},
                                          files={"file": ("a.csv", b"a\n")} if "imports" in path and "confirm" not in path else None,
                                          follow_redirects=False)
                    assert r.status_code == 303 and r.headers["location"].startswith("/login"), (method, full, r.status_code)
            checked += 1
    assert checked >= 25


def test_form_post_without_csrf_token_is_403(served):
    browser = served.browser("admin")
    r = browser.post("/admin/users", data={"login": "mallory", "role": "admin"})
    assert r.status_code == 403 and "security token" in r.text
    r = browser.post("/admin/users", data={"login": "mallory", "role": "admin", "csrf_token": "forged"})
    assert r.status_code == 403
    assert "mallory" not in {u["login"] for u in auth.list_users(served.ctx)}
    r = browser.post("/logout")
    assert r.status_code == 403
    # a token from another browser's cookie does not work either
    other = served.browser()
    stolen = csrf_of(other.get("/login"))
    assert browser.post("/admin/users", data={"login": "mallory", "role": "admin", "csrf_token": stolen}).status_code == 403


def test_login_logout_and_session_end_on_disable(served):
    browser = served.browser()
    r = browser.get("/", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login?next=%2F"
    token = csrf_of(browser.get("/login"))
    bad = browser.post("/login", data={"login": "vera", "password": "wrong password", "csrf_token": token})
    assert bad.status_code == 401 and "wrong login or password" in bad.text
    ok = browser.post("/login", data={"login": "vera", "password": served.PASSWORD, "csrf_token": token,
                                      "next": "/aging"}, follow_redirects=False)
    assert ok.status_code == 303 and ok.headers["location"] == "/aging"
    cookie = ok.headers.get_list("set-cookie")
    assert any("arcollect_session=" in c and "HttpOnly" in c and "SameSite=lax" in c for c in cookie)
    assert browser.get("/aging").status_code == 200
    # open redirects are refused
    token = csrf_of(browser.get("/aging"))
    r = served.browser().post("/login", data={"login": "vera", "password": served.PASSWORD, "csrf_token": token,
                                              "next": "//evil.example/"}, follow_redirects=False)
    auth.disable_user(served.ctx, login="vera")
    assert browser.get("/aging", follow_redirects=False).status_code == 303
    browser2 = served.browser("admin")
    page = browser2.get("/")
    out = browser2.post("/logout", data={"csrf_token": csrf_of(page)}, follow_redirects=False)
    assert out.status_code == 303 and out.headers["location"] == "/login"
    assert browser2.get("/", follow_redirects=False).status_code == 303


def test_login_is_rate_limited_after_five_failures(served):
    browser = served.browser()
    token = csrf_of(browser.get("/login"))
    for _ in range(5):
        assert browser.post("/login", data={"login": "admin", "password": "guess-guess", "csrf_token": token}).status_code == 401
    r = browser.post("/login", data={"login": "admin", "password": served.PASSWORD, "csrf_token": token},
                     follow_redirects=False)
    assert r.status_code == 429 and "too many failed logins" in r.text
    # 15 minutes later the right password works again
    served.ctx.clock.advance(dt.timedelta(minutes=16))
    r = browser.post("/login", data={"login": "admin", "password": served.PASSWORD, "csrf_token": token},
                     follow_redirects=False)
    assert r.status_code == 303


def test_collector_pages_show_only_their_portfolio(served):
    browser = served.browser(served.collector)
    mine, theirs = served.customers_of(served.collector), served.customers_of(served.other)
    aging = browser.get("/aging").text
    shown = set(re.findall(r'href="/customers/(C\d+)"', aging))
    assert shown and shown <= mine
    dashboard = browser.get("/").text
    assert set(re.findall(r'href="/customers/(C\d+)"', dashboard)) <= mine
    assert browser.get(f"/customers/{sorted(theirs)[0]}").status_code == 404
    assert browser.get(f"/customers/{sorted(mine)[0]}").status_code == 200
    listing = browser.get("/customers").text
    assert set(re.findall(r'href="/customers/(C\d+)"', listing)) == mine
    assert browser.get("/admin").status_code == 403
    assert browser.get("/imports").status_code == 403
    # the other collector's customer cannot be changed through the form either
    page = browser.get("/customers")
    r = browser.post(f"/customers/{sorted(theirs)[0]}/contact-details", data={"csrf_token": csrf_of(page), "phone": "1"})
    assert r.status_code == 404


def test_dashboard_and_aging_totals_tie_to_the_ledger(served):
    browser = served.browser("admin")
    report = ledger.aging(served.ctx, as_of=served.ctx.clock.today())
    aging = browser.get("/aging").text
    for t in report.totals:
        cell = re.search(rf'data-testid="total-{t.currency}">([^<]+)<', aging).group(1)
        assert html.unescape(cell) == format_money(t.total, t.currency)  # the one money format
    dashboard = browser.get("/").text
    assert "<svg" in dashboard and "Past-due trend" in dashboard
    filtered = browser.get("/aging", params={"currency": "EUR", "bucket": 4, "sort": "b4"}).text
    rows = re.findall(r'<tr><td><a href="/customers/(C\d+)">', filtered)
    eur_90 = [r.key for r in report.rows if r.currency == "EUR" and r.buckets[4] != 0]
    assert set(rows) == set(eur_90)


def test_aging_export_xlsx_has_the_totals(served):
    from openpyxl import load_workbook

    browser = served.browser("admin")
    r = browser.get("/aging/export", params={"format": "xlsx", "currency": "USD"})
    assert r.status_code == 200 and "attachment" in r.headers["content-disposition"]
    sheet = load_workbook(io.BytesIO(r.content)).active
    total = ledger.aging(served.ctx, as_of=served.ctx.clock.today(), currency="USD").totals[0].total
    values = [row for row in sheet.iter_rows(values_only=True) if row and row[0] == "TOTAL"]
    assert values and Decimal(str(values[0][list(sheet.iter_rows(values_only=True))[0].index("Total")])) == total


def test_web_import_checks_then_confirms(served):
    browser = served.browser("cash")
    page = browser.get("/imports")
    bad = browser.post("/imports", data={"kind": "customers", "csrf_token": csrf_of(page)},
                       files={"file": ("bad.csv", b"customer_id,name,currency\nB1,,USD\nB2,Two,usd1\n")})
    assert bad.status_code == 422
    assert "bad.csv:2: name" in bad.text and "bad.csv:3: currency" in bad.text and "nothing was imported" in bad.text
    good = browser.post("/imports", data={"kind": "customers", "csrf_token": csrf_of(page)},
                        files={"file": ("good.csv", b"customer_id,name,currency\nG1,Good One,USD\n")})
    assert good.status_code == 200 and "Confirm import" in good.text
    assert ledger.list_customers(served.ctx, scope=ledger.EVERYTHING, q="Good One")[1] == 0
    token = re.search(r'name="token" value="([0-9a-f]+)"', good.text).group(1)
    done = browser.post("/imports/confirm", data={"kind": "customers", "token": token, "csrf_token": csrf_of(good)})
    assert done.status_code == 200 and "good.csv imported" in done.text
    assert ledger.list_customers(served.ctx, scope=ledger.EVERYTHING, q="Good One")[1] == 1
    again = browser.post("/imports/confirm", data={"kind": "customers", "token": token, "csrf_token": csrf_of(good)})
    assert again.status_code == 404  # the upload is gone once imported


def test_admin_page_creates_users_and_tokens_shown_once(served):
    browser = served.browser("admin")
    page = browser.get("/admin")
    r = browser.post("/admin/users", data={"login": "newbie", "role": "collector", "team": "east",
                                           "csrf_token": csrf_of(page)})
    password = re.search(r'<code id="secret">([^<]+)</code>', r.text).group(1)
    assert auth.authenticate_password(served.ctx, login="newbie", password=password)[0].role == "collector"
    assert "id=\"secret\"" not in browser.get("/admin").text
    r = browser.post("/admin/tokens", data={"login": "newbie", "csrf_token": csrf_of(page)})
    secret = re.search(r'<code id="secret">([^<]+)</code>', r.text).group(1)
    assert served.client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).json()["login"] == "newbie"
    mine = sorted(served.customers_of(served.collector))[:1]
    r = browser.post("/admin/portfolio", data={"customer_ids": " ".join(mine), "collector": "newbie",
                                               "csrf_token": csrf_of(page)})
    assert "1 customer(s) reassigned" in r.text
    assert served.customers_of("newbie") == set(mine)
    viewer = served.browser("vera")
    assert viewer.get("/admin").status_code == 403


@pytest.mark.parametrize("path", ["/", "/aging", "/customers", "/customers/C000001", "/imports", "/admin", "/worklist",
                                  "/worklist/team", "/playbook", "/outbox", "/inbound/triage"])
def test_pages_have_labels_and_security_headers(served, path):
    r = served.browser("admin").get(path)
    assert r.status_code == 200
    assert r.headers["x-frame-options"] == "DENY" and "default-src 'self'" in r.headers["content-security-policy"]
    for field in re.findall(r'<(?:input|select|textarea)\b[^>]*>', r.text):
        if 'type="hidden"' in field:
            continue
        ident = re.search(r'id="([^"]+)"', field)
        assert ident or "aria-label" in field, field
        if ident and "aria-label" not in field:
            assert f'for="{ident.group(1)}"' in r.text, field


def test_aging_export_is_the_filtered_sorted_page(served):
    import csv
    import html

    browser = served.browser("admin")
    params = {"currency": "USD", "bucket": 1, "sort": "b1", "dir": "desc"}
    page = browser.get("/aging", params=params).text
    shown = re.findall(r'<tr><td><a href="/customers/(C\d+)">', page)
    link = html.unescape(re.search(r'href="(/aging/export\?format=csv[^"]*)"', page).group(1))
    assert shown and "bucket=1" in link and "sort=b1" in link
    exported = list(csv.DictReader(io.StringIO(browser.get(link).text)))  # the page's own Export CSV link
    body = [r for r in exported if r["key"] != "TOTAL"]
    assert [r["key"] for r in body] == shown
    report = ledger.aging(served.ctx, as_of=served.ctx.clock.today(), currency="USD")
    wanted = sum((r.total for r in report.rows if r.buckets[1] != 0), Decimal(0))
    total = next(r for r in exported if r["key"] == "TOTAL")
    assert Decimal(total["total"]) == wanted < report.totals[0].total
