"""The principal cache (issue #19) never answers with a stale principal: a sign-out, a role change, a team
change of someone else in a manager's team, a disabled user take effect on the very next request — also in
another worker process whose cache still holds the old principal (here: a second app on its own context)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from arcollect.auth import service as auth
from arcollect.auth.cache import principal_cache
from arcollect.context import build_context
from arcollect.web.factory import create_app
from tests.conftest import csrf_of

SESSION = "arcollect_session"


def _other_worker(served):  # noqa: ANN001, ANN202
    """A second app over the same database with its own context, hence its own principal cache."""
    ctx = build_context(served.ctx.settings, clock=served.ctx.clock, migrate_schema=False)
    return ctx, create_app(ctx)


def _replay(app, cookie: str) -> TestClient:  # noqa: ANN001
    client = TestClient(app)
    client.cookies.set(SESSION, cookie)
    return client


def test_the_cache_answers_repeat_requests_and_a_role_change_shows_on_the_next_one_in_every_worker(served):
    ctx_b, app_b = _other_worker(served)
    try:
        office = served.browser(served.collector)
        worker_b = _replay(app_b, office.cookies.get(SESSION))
        for client in (office, worker_b, office, worker_b):  # warm both workers' caches
            assert client.get("/aging", follow_redirects=False).status_code == 200
        assert principal_cache(served.ctx.caches).hits >= 1 and principal_cache(ctx_b.caches).hits >= 1
        api_b = TestClient(app_b)
        assert api_b.get("/api/v1/me", headers=served.h(served.collector)).json()["role"] == "collector"
        assert api_b.get("/api/v1/me", headers=served.h(served.collector)).json()["role"] == "collector"

        auth.update_user(served.ctx, login=served.collector, role="stakeholder")  # no ledger reading any more

        for client in (office, worker_b):
            assert client.get("/aging", follow_redirects=False).status_code == 403
        assert api_b.get("/api/v1/me", headers=served.h(served.collector)).json()["role"] == "stakeholder"
    finally:
        ctx_b.dispose()


def test_a_sign_out_in_one_worker_ends_the_session_in_the_others(served):
    ctx_b, app_b = _other_worker(served)
    try:
        office = served.browser("vera")
        worker_b = _replay(app_b, office.cookies.get(SESSION))
        assert worker_b.get("/aging", follow_redirects=False).status_code == 200
        assert worker_b.get("/aging", follow_redirects=False).status_code == 200  # from worker B's cache
        out = office.post("/logout", data={"csrf_token": csrf_of(office.get("/aging"))}, follow_redirects=False)
        assert out.status_code == 303
        r = worker_b.get("/aging", follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/login")
    finally:
        ctx_b.dispose()


def test_a_manager_sees_a_collector_leave_the_team_on_the_next_request(served):
    """A manager's scope is their team's collectors: a change to another user invalidates their principal."""
    def visible() -> set[str]:
        r = served.client.get("/api/v1/customers?limit=500", headers=served.h("mona"))
        assert r.status_code == 200, r.text
        return {c["collector"] for c in r.json()["items"]}

    assert served.collector in visible() and served.collector in visible()  # the second from the cache
    auth.update_user(served.ctx, login=served.collector, team="south")
    assert served.collector not in visible()


def test_a_disabled_users_token_stops_working_at_once_even_when_cached(served):
    assert served.client.get("/api/v1/me", headers=served.h("vera")).status_code == 200
    assert served.client.get("/api/v1/me", headers=served.h("vera")).status_code == 200
    auth.disable_user(served.ctx, login="vera")
    assert served.client.get("/api/v1/me", headers=served.h("vera")).status_code == 401
