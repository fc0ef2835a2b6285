"""Roles change only what they are for: every write route of the app (API POST/PUT/PATCH/DELETE and web form
POSTs, found by walking ``app.routes``) is listed below with the roles it is for; every other role gets 403
(API problem+json, web "Not allowed" page — with a valid CSRF token, so the refusal is the role's) before
its input is even looked at, and nothing in the database changes. A write route added without an entry
here fails the test."""

from __future__ import annotations

import re

import pytest
from fastapi.routing import iter_route_contexts
from sqlalchemy import select

from arcollect.auth import service as auth
from arcollect.disputes import service as disputes
from arcollect.db import Base
from arcollect.ledger import service as ledger
from tests.conftest import csrf_of

ROLES = ("admin", "manager", "collector", "cash_app", "stakeholder", "viewer")
EVERYONE = frozenset(ROLES)
READERS = EVERYONE - {"stakeholder"}
WORKERS = frozenset({"admin", "manager", "collector"})        # collections:work, disputes:work, escalations:work
EDITORS = WORKERS                                              # customer:edit
IMPORTERS = frozenset({"admin", "manager", "cash_app"})        # ledger:import
ASSIGNERS = frozenset({"admin", "manager"})                    # portfolio:assign
ADMINS = frozenset({"admin"})                                  # users:admin, playbook:edit
CASES = WORKERS | {"stakeholder"}                              # disputes:work or cases:answer
CASHIERS = frozenset({"admin", "manager", "cash_app"})         # cash:apply

# "METHOD path" → the roles the route is for (the permission it needs, in words).
WRITES: dict[str, frozenset[str]] = {
    # ---- REST API
    "PATCH /api/v1/customers/{customer_id}": EDITORS,
    "POST /api/v1/imports/{kind}": IMPORTERS,
    "POST /api/v1/worklist/run": WORKERS,
    "POST /api/v1/actions/{action_id}/close": WORKERS,
    "POST /api/v1/customers/{customer_id}/snooze": WORKERS,
    "POST /api/v1/activities": WORKERS,
    "POST /api/v1/promises": WORKERS,
    "POST /api/v1/promises/{promise_id}/cancel": WORKERS,
    "POST /api/v1/playbooks": ADMINS,
    "POST /api/v1/playbooks/preview": READERS,      # a dry run: changes nothing
    "POST /api/v1/outbox/{message_id}/approve": ASSIGNERS,
    "POST /api/v1/dunning/run": ASSIGNERS,
    "POST /api/v1/disputes": WORKERS,
    "PATCH /api/v1/disputes/{dispute_id}": CASES,   # stakeholders: a comment only (see VARIANTS)
    "POST /api/v1/disputes/{dispute_id}/items": WORKERS,
    "POST /api/v1/action-items/{item_id}/answer": CASES,
    "POST /api/v1/escalations": WORKERS,
    "POST /api/v1/escalations/{escalation_id}/approve": WORKERS,
    "POST /api/v1/escalations/{escalation_id}/reject": WORKERS,
    "POST /api/v1/escalations/{escalation_id}/cancel": WORKERS,
    "PUT /api/v1/escalation-policy": ADMINS,
    "POST /api/v1/escalations/run": ASSIGNERS,
    "POST /api/v1/templates/{language}/{name}/preview": READERS,
    "PUT /api/v1/templates/{language}/{name}": ADMINS,
    "DELETE /api/v1/templates/{language}/{name}": ADMINS,
    "POST /api/v1/users": ADMINS,
    "PUT /api/v1/assistant/auto-approval/{kind}": ADMINS,
    "DELETE /api/v1/assistant/auto-approval/{kind}": ADMINS,
    "POST /api/v1/assistant/answers": ADMINS,
    "DELETE /api/v1/assistant/answers/{answer_id}": ADMINS,
    "PATCH /api/v1/users/{login}": ADMINS,
    "POST /api/v1/tokens": ADMINS,
    "DELETE /api/v1/tokens/{token_id}": ADMINS,
    "POST /api/v1/portfolio/assign": ASSIGNERS,
    "POST /api/v1/cash/statements": CASHIERS,
    "POST /api/v1/cash/match": CASHIERS,
    "POST /api/v1/cash/lines/{line_id}/apply": CASHIERS,
    "POST /api/v1/cash/lines/{line_id}/unapply": CASHIERS,
    "POST /api/v1/cash/lines/{line_id}/exclude": CASHIERS,
    "POST /api/v1/cash/lines/{line_id}/move": CASHIERS,
    "POST /api/v1/cash/lines/{line_id}/writeoff": CASHIERS,
    "POST /api/v1/periods/{month}/close": ASSIGNERS,   # periods:close (managers, admins)
    "POST /api/v1/periods/{month}/reopen": ADMINS,
    "POST /api/v1/assistant/triage": WORKERS,
    "POST /api/v1/assistant/ask": EVERYONE,  # reads only (a POST for the question); search:read or cases:answer
    "POST /api/v1/assistant/proposals/{proposal_id}/approve": WORKERS,
    "POST /api/v1/assistant/proposals/{proposal_id}/edit": WORKERS,
    "POST /api/v1/assistant/proposals/{proposal_id}/reject": WORKERS,
    "POST /api/v1/assistant/drafts": WORKERS,
    "PATCH /api/v1/assistant/drafts/{message_id}": WORKERS,
    # ---- web forms
    "POST /login": EVERYONE,
    "POST /logout": EVERYONE,
    "POST /worklist/{customer_id}/call": WORKERS,
    "POST /worklist/{customer_id}/promise": WORKERS,
    "POST /worklist/{customer_id}/snooze": WORKERS,
    "POST /actions/{action_id}/close": WORKERS,
    "POST /customers/{customer_id}/flags": EDITORS,
    "POST /promises/{promise_id}/cancel": WORKERS,
    "POST /worklist/team/reassign": ASSIGNERS,
    "POST /playbook": READERS,                     # check and preview; loading is for admins (see VARIANTS)
    "POST /outbox/{message_id}/approve": ASSIGNERS,
    "POST /outbox/{message_id}/hold": ASSIGNERS,
    "POST /outbox/bulk": ASSIGNERS,
    "POST /inbound/{message_id}/link": ASSIGNERS,
    "POST /assistant/proposals/{proposal_id}/approve": WORKERS,
    "POST /assistant/proposals/{proposal_id}/edit": WORKERS,
    "POST /assistant/proposals/{proposal_id}/reject": WORKERS,
    "POST /templates/{language}/{name}/preview": READERS,
    "POST /templates/{language}/{name}": ADMINS,
    "POST /customers/{customer_id}/contact-details": EDITORS,
    "POST /customers/{customer_id}/disputes": WORKERS,
    "POST /disputes/{dispute_id}": CASES,           # stakeholders: a comment only (see VARIANTS)
    "POST /disputes/{dispute_id}/attachments": CASES,
    "POST /disputes/{dispute_id}/items": WORKERS,
    "POST /action-items/{item_id}/answer": CASES,
    "POST /escalations/{escalation_id}/{decision}": WORKERS,
    "POST /customers/{customer_id}/escalations": WORKERS,
    "POST /imports": IMPORTERS,
    "POST /imports/confirm": IMPORTERS,
    "POST /admin/users": ADMINS,
    "POST /admin/assistant/rules/{kind}": ADMINS,
    "POST /admin/assistant/answers": ADMINS,
    "POST /admin/assistant/answers/{answer_id}/delete": ADMINS,
    "POST /admin/users/{login}": ADMINS,
    "POST /admin/tokens": ADMINS,
    "POST /admin/tokens/{token_id}/revoke": ADMINS,
    "POST /admin/portfolio": ASSIGNERS,
    "POST /cash/statements": CASHIERS,
    "POST /cash/match": CASHIERS,
    "POST /cash/lines/{line_id}/accept": CASHIERS,
    "POST /cash/lines/{line_id}/apply": CASHIERS,
    "POST /cash/lines/{line_id}/unapply": CASHIERS,
    "POST /cash/lines/{line_id}/exclude": CASHIERS,
    "POST /cash/lines/{line_id}/move": CASHIERS,
    "POST /cash/lines/{line_id}/writeoff": CASHIERS,
    "POST /periods/close": ASSIGNERS,
    "POST /periods/reopen": ADMINS,
    "POST /api/v1/sops": ADMINS,                # sops:edit (everyone reads them)
    "DELETE /api/v1/sops/{sop_id}": ADMINS,
    "POST /sops": ADMINS,
    "POST /sops/{sop_id}/delete": ADMINS,
}

# What each refused request sends: a well-formed request, so that only the role can be the reason.
JSON: dict[str, dict] = {
    "PATCH /api/v1/customers/{customer_id}": {"phone": "+1 555 0100"},
    "POST /api/v1/worklist/run": {},
    "POST /api/v1/actions/{action_id}/close": {"status": "done"},
    "POST /api/v1/customers/{customer_id}/snooze": {"until": "2026-11-30"},
    "POST /api/v1/activities": {"customer_id": "{customer_id}", "kind": "note", "note": "x"},
    "POST /api/v1/promises": {"customer_id": "{customer_id}", "amount": "10.00", "date": "2026-11-30"},
    "PATCH /api/v1/disputes/{dispute_id}": {"comment": "a viewer's comment"},
    "POST /api/v1/disputes/{dispute_id}/items": {"title": "x"},
    "POST /api/v1/action-items/{item_id}/answer": {"answer": "x"},
    "POST /api/v1/users": {"login": "eve", "role": "admin"},
    "PATCH /api/v1/users/{login}": {"role": "admin"},
    "POST /api/v1/tokens": {"login": "vera"},
    "POST /api/v1/portfolio/assign": {"customer_ids": ["{customer_id}"], "collector": "{collector}"},
    "POST /api/v1/cash/lines/{line_id}/apply": {"invoices": [{"invoice_id": "X"}]},
    "POST /api/v1/cash/lines/{line_id}/exclude": {"reason": "internal transfer"},
    "POST /api/v1/cash/lines/{line_id}/move": {"customer_id": "{customer_id}", "reason": "misapplied"},
    "POST /api/v1/cash/lines/{line_id}/writeoff": {"invoice_id": "X", "amount": "1.00", "reason": "bank_fee"},
    "POST /api/v1/periods/{month}/reopen": {"reason": "late invoice"},
    "POST /api/v1/assistant/proposals/{proposal_id}/edit": {"changes": {"date": "2026-11-30"}},
}
FORM: dict[str, dict] = {
    "POST /disputes/{dispute_id}": {"comment": "a viewer's comment"},
    "POST /action-items/{item_id}/answer": {"answer": "x"},
    "POST /worklist/{customer_id}/call": {"outcome": "no_answer"},
    "POST /outbox/bulk": {"action": "hold"},
    "POST /customers/{customer_id}/contact-details": {"phone": "+1 555 0100"},
    "POST /admin/users": {"login": "eve", "role": "admin"},
    "POST /admin/users/{login}": {"role": "admin"},
    "POST /admin/tokens": {"login": "vera"},
    "POST /cash/lines/{line_id}/accept": {"proposal": "0"},
    "POST /cash/lines/{line_id}/apply": {"invoices": "X", "rows": "X", "amounts": "1.00", "customer_id": "{customer_id}"},
    "POST /cash/lines/{line_id}/unapply": {"reason": "misapplied"},
    "POST /cash/lines/{line_id}/exclude": {"reason": "internal transfer"},
    "POST /cash/lines/{line_id}/move": {"customer_id": "{customer_id}", "reason": "misapplied"},
    "POST /cash/lines/{line_id}/writeoff": {"invoice_id": "X", "amount": "1.00", "reason": "bank_fee"},
    "POST /periods/close": {"month": "2026-10", "proposal_id": "1"},
    "POST /periods/reopen": {"month": "2026-10", "reason": "late invoice"},
}
FILES = {"POST /api/v1/imports/{kind}", "POST /imports", "POST /disputes/{dispute_id}/attachments",
         "POST /api/v1/cash/statements", "POST /cash/statements", "POST /api/v1/sops", "POST /sops"}

# The same route asked for more than its entry allows: (route, what is sent, the roles it is for).
VARIANTS = [
    ("PATCH /api/v1/disputes/{dispute_id}", {"status": "in_review"}, WORKERS),
    ("POST /disputes/{dispute_id}", {"status": "in_review"}, WORKERS),
    ("POST /playbook", {"action": "load", "text": "x"}, ADMINS),
]


def write_routes(app) -> set[str]:  # noqa: ANN001
    """Every state-changing route of the app: the API's POST/PUT/PATCH/DELETE and the web's POSTs."""
    found = set()
    for route in iter_route_contexts(app.routes):
        for method in (route.methods or set()) - {"GET", "HEAD", "OPTIONS"}:
            found.add(f"{method} {route.path}")
    return found


def snapshot(ctx) -> dict[str, list]:  # noqa: ANN001
    with ctx.sessions() as session:
        return {t.name: sorted(map(repr, session.execute(select(t)).all())) for t in Base.metadata.sorted_tables}


class World:
    def __init__(self, served) -> None:  # noqa: ANN001
        ctx, today = served.ctx, served.ctx.clock.today()
        mine = [c for c in sorted(served.customers_of(served.collector))
                if ledger.customer_overview(ctx, customer_id=c, as_of=today).open_items]
        customer = mine[0]
        invoice = ledger.customer_overview(ctx, customer_id=customer, as_of=today).open_items[0]["invoice_id"]
        dispute = disputes.open_dispute(ctx, invoices=[(invoice, None)], reason="billing_error")
        item = disputes.add_action_item(ctx, dispute_id=dispute["id"], title="Check the VAT rate")
        token = next(t["id"] for t in auth.list_tokens(ctx, login="vera"))
        self.params = {"customer_id": customer, "kind": "customers", "action_id": "1", "promise_id": "1",
                       "message_id": "1", "dispute_id": dispute["id"], "item_id": item["id"], "escalation_id": "1",
                       "decision": "approve", "language": "en", "name": "reminder", "login": "vera",
                       "token_id": str(token), "collector": served.other, "line_id": "1",
                       "month": "2026-10", "proposal_id": "1", "sop_id": "1",
                       "answer_id": "1"}
        self.logins = {"admin": "admin", "manager": "mona", "collector": served.collector, "cash_app": "cash",
                       "stakeholder": "stan", "viewer": "vera"}

    def fill(self, text: str) -> str:
        return re.sub(r"\{([^}]+)\}", lambda m: self.params[m.group(1)], text)

    def filled(self, value):  # noqa: ANN001, ANN201
        if isinstance(value, str):
            return self.fill(value)
        if isinstance(value, list):
            return [self.filled(v) for v in value]
        if isinstance(value, dict):
            return {k: self.filled(v) for k, v in value.items()}
        return value


def test_every_write_route_has_an_entry(served):
    found = write_routes(served.app)
    missing = sorted(found - set(WRITES))
    assert not missing, f"route {missing[0]} has no entry in WRITES (say which roles it is for)"
    stale = sorted(set(WRITES) - found)
    assert not stale, f"WRITES lists {stale[0]}, which the app no longer has"


def _send(served, world, browsers, key, role, body):  # noqa: ANN001, ANN202
    method, path = key.split(" ", 1)
    url = world.fill(path)
    files = {"file": ("x.csv", b"customer_id,name\nX9,Mallory\n", "text/csv")} if key in FILES else None
    if path.startswith("/api/"):
        kwargs = {"files": files} if files else {"json": world.filled(body)}
        return served.client.request(method, url, headers=served.h(world.logins[role]), **kwargs)
    browser, token = browsers[role]
    return browser.request(method, url, data={"csrf_token": token, **world.filled(body)}, files=files,
                           follow_redirects=False)


def _assert_refused(r, key: str, role: str) -> None:  # noqa: ANN001
    assert r.status_code == 403, f"{key} as {role}: {r.status_code} {r.text[:300]}"
    if key.split(" ", 1)[1].startswith("/api/"):
        assert r.headers["content-type"].startswith("application/problem+json"), key
    else:
        assert "Not allowed" in r.text, key


def test_every_write_route_refuses_the_roles_it_is_not_for_and_changes_nothing(served):
    world = World(served)
    browsers = {}
    for role, login in world.logins.items():
        browser = served.browser(login)
        browsers[role] = (browser, csrf_of(browser.get("/login")))
    checked = 0
    for key in sorted(set(WRITES) & write_routes(served.app)):
        refused = [r for r in ROLES if r not in WRITES[key]]
        if not refused:
            continue
        before = snapshot(served.ctx)
        body = (JSON if key.split(" ", 1)[1].startswith("/api/") else FORM).get(key, {})
        for role in refused:
            _assert_refused(_send(served, world, browsers, key, role, body), key, role)
            checked += 1
        assert snapshot(served.ctx) == before, f"{key}: a refused request changed the database"
    for key, body, allowed in VARIANTS:
        before = snapshot(served.ctx)
        for role in WRITES[key] - allowed:
            _assert_refused(_send(served, world, browsers, key, role, body), f"{key} {body}", role)
            checked += 1
        assert snapshot(served.ctx) == before, f"{key} {body}: a refused request changed the database"
    assert checked > 150


def test_a_viewer_cannot_comment_on_a_dispute_but_a_stakeholder_of_its_team_can(served):
    world = World(served)
    dispute_id = world.params["dispute_id"]
    url = f"/api/v1/disputes/{dispute_id}"
    assert served.client.patch(url, headers=served.h("vera"), json={"comment": "hi"}).status_code == 403
    assert served.client.patch(url, headers=served.h("cash"), json={"comment": "hi"}).status_code == 403
    r = served.client.patch(url, headers=served.h("stan"), json={"comment": "looking at it"})
    assert r.status_code == 200, r.text
    comments = [e["text"] for e in disputes.detail(served.ctx, dispute_id=dispute_id)["events"] if e["kind"] == "comment"]
    assert comments == ["looking at it"]
    viewer = served.browser("vera")
    r = viewer.post(f"/disputes/{dispute_id}", data={"csrf_token": csrf_of(viewer.get("/login")), "comment": "hi"},
                    follow_redirects=False)
    assert r.status_code == 403 and "Not allowed" in r.text
