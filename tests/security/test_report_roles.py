"""Roles on the reading side of reports, predictions, the forecast and the periods (issue #17): every GET route
of /api/v1/reports/…, /predictions, /forecast and /periods (found by walking ``app.routes``) is listed with the
roles it is for; the others get 403 problem+json, anonymous callers 401. Those it is for read only their
portfolio: a collector their customers, a manager in a team the team's, viewers, cash application and admins
the whole book — the same figures as the service over that scope. The web Reports page follows the menu."""

from __future__ import annotations

import re

from fastapi.routing import iter_route_contexts

from arcollect.ledger.scope import EVERYTHING, CustomerScope
from arcollect.reports import service as reports
from arcollect.risk import service as risk
from tests.security.test_roles import EVERYONE, ROLES

READERS = EVERYONE - {"stakeholder"}                      # ledger:read
CLOSERS = frozenset({"admin", "manager"})                 # periods:close
PREFIXES = ("/api/v1/reports", "/api/v1/predictions", "/api/v1/forecast", "/api/v1/periods")

# "GET path" (with the query it is asked with) → the roles it is for.
READS: dict[str, frozenset[str]] = {
    "/api/v1/reports/metrics?period=2026-Q3": READERS,
    "/api/v1/reports/rollforward?period=2026-Q3": READERS,
    "/api/v1/reports/causes?period=2026-Q3": READERS,
    "/api/v1/reports/portfolio?format=json": READERS,
    "/api/v1/predictions": READERS,
    "/api/v1/forecast?weeks=4": READERS,
    "/api/v1/periods": CLOSERS,
    # the whole book's snapshot: periods:close, and a manager in a team (mona, team north) sees only a part of it
    "/api/v1/periods/{month}/snapshot": frozenset({"admin"}),
}
LOGINS = {"admin": "admin", "manager": "mona", "cash_app": "cash", "stakeholder": "stan", "viewer": "vera"}


def _login(served, role: str) -> str:  # noqa: ANN001
    return served.collector if role == "collector" else LOGINS[role]


def _get_routes(app) -> set[str]:  # noqa: ANN001
    return {route.path for route in iter_route_contexts(app.routes)
            if "GET" in (route.methods or set()) and route.path.startswith(PREFIXES)}


def test_every_report_read_route_has_an_entry(served):
    listed = {key.split("?", 1)[0] for key in READS}
    missing = sorted(_get_routes(served.app) - listed)
    assert not missing, f"GET {missing[0]} has no entry in READS (say which roles it is for)"
    assert not listed - _get_routes(served.app), "READS lists a route the app no longer has"


def test_each_role_reads_what_it_is_for_and_the_others_get_403(served):
    risk.train(served.ctx)  # predictions and the forecast use the stored model (409 until one is trained)
    from arcollect.periods import service as periods

    periods.close_period(served.ctx, month="2026-10")
    for key, allowed in READS.items():
        url = key.replace("{month}", "2026-10")
        anonymous = served.client.get(url)
        assert anonymous.status_code == 401, (url, anonymous.status_code)
        for role in ROLES:
            r = served.client.get(url, headers=served.h(_login(served, role)))
            if role in allowed:
                assert r.status_code == 200, (url, role, r.status_code, r.text[:300])
            else:
                assert r.status_code == 403, (url, role, r.status_code)
                assert r.headers["content-type"].startswith("application/problem+json"), (url, role)


def test_predictions_and_forecast_are_the_callers_portfolio(served):
    """A collector: their customers' open invoices only, and a forecast of those (the service's over their
    scope); the manager of team north: the team's; viewer, cash application and admin: the whole book."""
    ctx = served.ctx
    risk.train(ctx)
    today = ctx.clock.today()
    everything = risk.predict(ctx, as_of=today, explain=3)
    keys = {r["invoice_id"] for r in everything}
    for role in ("viewer", "cash_app", "admin"):
        got = served.client.get("/api/v1/predictions", headers=served.h(LOGINS[role])).json()
        assert {r["invoice_id"] for r in got} == keys, role
    mine = served.client.get("/api/v1/predictions", headers=served.h(served.collector)).json()
    assert mine and {r["customer_id"] for r in mine} <= served.customers_of(served.collector)
    assert {r["invoice_id"] for r in mine} == {r["invoice_id"] for r in everything
                                               if r["customer_id"] in served.customers_of(served.collector)}
    other = sorted(served.customers_of(served.other))[0]
    refused = served.client.get(f"/api/v1/predictions?customer_id={other}", headers=served.h(served.collector))
    assert refused.status_code == 404  # another collector's customer does not exist for them
    whole = served.client.get("/api/v1/forecast?weeks=4", headers=served.h("cash")).json()
    assert whole == risk.forecast(ctx, as_of=today, weeks=4, scope=EVERYTHING)
    own = served.client.get("/api/v1/forecast?weeks=4", headers=served.h(served.collector)).json()
    assert own == risk.forecast(ctx, as_of=today, weeks=4, scope=CustomerScope(collectors=(served.collector,)))
    assert own != whole
    team = served.client.get("/api/v1/forecast?weeks=4", headers=served.h("mona")).json()
    assert team["currencies"] and team != whole


def test_cash_application_reads_the_whole_book_in_reports_and_a_collector_their_own(served):
    c = served.client
    whole = reports.metrics(served.ctx, period="2026-Q3")
    assert c.get("/api/v1/reports/metrics?period=2026-Q3", headers=served.h("cash")).json() == whole
    roll = c.get("/api/v1/reports/rollforward?period=2026-Q3&by=collector", headers=served.h(served.collector)).json()
    assert {r["key"] for r in roll["rows"]} == {served.collector}


def test_the_web_reports_page_opens_for_the_roles_whose_menu_offers_it(served):
    """Cash application (read access, the whole book) has Reports in its menu and the page opens on every
    customer's figures; a stakeholder has neither the link nor the page."""
    cash = served.browser("cash")
    home = cash.get("/")
    assert re.search(r'<a href="/reports"[^>]*>Reports</a>', home.text)
    page = cash.get("/reports?period=2026-Q3")
    assert page.status_code == 200 and 'data-testid="metrics"' in page.text
    stan = served.browser("stan")
    assert 'href="/reports"' not in stan.get("/").text
    refused = stan.get("/reports")
    assert refused.status_code == 403 and "Not allowed" in refused.text
