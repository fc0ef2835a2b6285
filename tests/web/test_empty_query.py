"""An empty query value (``?bucket=``, what a GET form sends for "Any") means "no filter" on every page
and API endpoint: table-driven over every GET route that takes optional query parameters, each one sent
empty on its own and all of them empty together."""

from __future__ import annotations

from urllib.parse import quote

from fastapi.routing import APIRoute

from arcollect.api import app as api
from arcollect.web.factory import VIEWS


def _query_params(dependant) -> list:  # noqa: ANN001
    found = list(dependant.query_params)
    for sub in dependant.dependencies:
        found += _query_params(sub)
    return found


def _get_routes() -> list[tuple[str, list[str], list[str]]]:
    """(path, path parameter names, optional query parameter names) of every GET route, API and web."""
    out = []
    for prefix, routers in ((api.PREFIX, api.ROUTERS), ("", VIEWS)):
        for router in routers:
            for route in router.routes:
                if isinstance(route, APIRoute) and "GET" in route.methods:
                    params = _query_params(route.dependant)
                    optional = [p.alias for p in params if not p.field_info.is_required()]
                    required = [p.alias for p in params if p.field_info.is_required()]
                    if optional:
                        out.append((prefix + route.path, [p.name for p in route.dependant.path_params] + required,
                                    optional))
    return out


def test_the_table_covers_the_pages_that_broke():
    paths = {path for path, _, _ in _get_routes()}
    assert {"/aging", "/aging/export", "/api/v1/aging", "/api/v1/customers", "/customers", "/outbox"} <= paths


def test_every_get_route_answers_200_with_each_optional_query_parameter_empty(served):
    customer = next(c["customer_id"] for c in served.client.get("/api/v1/customers?limit=200",
                                                                  headers=served.h("admin")).json()["items"]
                    if served.client.get(f"/api/v1/invoices?customer_id={quote(c['customer_id'])}&status=open",
                                         headers=served.h("admin")).json()["items"])
    invoice = served.client.get(f"/api/v1/invoices?customer_id={quote(customer)}&status=open",
                                headers=served.h("admin")).json()["items"][0]["invoice_id"]
    opened = served.client.post("/api/v1/disputes", headers=served.h("admin"),
                                json={"invoices": [{"invoice_id": invoice}], "reason": "pricing"})
    assert opened.status_code == 201, opened.text
    values = {"customer_id": quote(customer, safe=""), "kind": "statement", "dispute_id": opened.json()["id"],
              "language": "en", "name": "reminder", "period": "2026-Q3", "q": "INV"}  # path and required query values
    from arcollect.cashapp import service as cash
    from arcollect.risk import service as risk

    run = cash.start_match_run(served.ctx)
    values["run_id"] = cash.run_match(served.ctx, run_id=run["id"])["id"]  # a finished matching run

    risk.train(served.ctx)  # the prediction and forecast routes answer 409 until a model is stored
    web = served.browser("admin")
    failures = []
    for path, path_params, optional in _get_routes():
        unknown = set(path_params) - set(values)
        assert not unknown, f"{path}: add a value for {unknown} to the table"
        required = [p for p in path_params if "{" + p + "}" not in path]
        url = path.format(**values)
        client, headers = (served.client, served.h("admin")) if path.startswith(api.PREFIX) else (web, {})
        for query in dict.fromkeys([f"{name}=" for name in optional] + ["&".join(f"{name}=" for name in optional)]):
            query = "&".join([*(f"{p}={values[p]}" for p in required), query])
            r = client.get(f"{url}?{query}", headers=headers, follow_redirects=False)
            if r.status_code != 200:
                failures.append(f"GET {url}?{query} → {r.status_code} {r.text[:160]!r}")
    assert not failures, "\n".join(failures)


def test_the_escalation_queue_says_all_explicitly_since_an_empty_status_takes_the_default(served):
    web = served.browser("mona")
    queue = web.get("/escalations")
    assert queue.status_code == 200 and 'href="/escalations?status=all"' in queue.text
    everything = web.get("/escalations?status=all")
    assert everything.status_code == 200
    assert '<a href="/escalations?status=all" aria-current="page">all</a>' in everything.text
    assert web.get("/escalations?status=").text.count('aria-current="page">proposed<') == 1
