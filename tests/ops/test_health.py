"""/healthz (the process answers), /readyz (database, schema at the newest migration, workers) and /metrics
(Prometheus, by route template, only with the metrics token) on the served app."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from arcollect.context import build_context
from arcollect.ops import readiness
from arcollect.settings import Settings
from arcollect.web.factory import create_app

TOKEN = "metrics-secret-1234"


def _client(tmp_path, db_url, clock, **settings) -> TestClient:  # noqa: ANN001
    ctx = build_context(Settings(home=tmp_path / "home", database_url=db_url, **settings), clock=clock,
                        migrate_schema=False)
    return TestClient(create_app(ctx))



def _no_workers(db_url: str) -> str:
    """What the workers probe says with none running: on PostgreSQL the job queue's tables exist (migration 0023),
    so it counts the workers seen; SQLite runs jobs in-process and has no queue to look at."""
    return "no workers configured" if db_url.startswith("sqlite") else "0 seen in the last 120 s"

def test_ready_when_the_database_answers_at_the_newest_migration(tmp_path, db_url, clock):  # noqa: ANN001
    client = _client(tmp_path, db_url, clock)
    assert client.get("/healthz").json() == {"status": "ok"}
    r = client.get("/readyz")
    assert r.status_code == 200
    assert r.json() == {"status": "ready", "checks": {
        "database": {"ok": True, "detail": "ok"}, "migrations": {"ok": True, "detail": "at head"},
        "workers": {"ok": True, "detail": _no_workers(db_url)}}}


def test_not_ready_when_the_schema_is_behind_or_workers_are_wanted_and_missing(tmp_path, db_url, clock):  # noqa: ANN001
    client = _client(tmp_path, db_url, clock, ready_min_workers=1)
    r = client.get("/readyz")
    assert r.status_code == 503 and r.json()["status"] == "not ready"
    assert r.json()["checks"]["workers"] == {"ok": False, "detail": f"{_no_workers(db_url)} (at least 1 wanted)"}
    client = _client(tmp_path, db_url, clock)
    ctx = client.app.state.ctx
    with ctx.engine.begin() as conn:
        head = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        conn.execute(text("UPDATE alembic_version SET version_num = '0018'"))
    try:
        checks = client.get("/readyz").json()["checks"]
        assert checks["migrations"]["ok"] is False and "at migration 0018" in checks["migrations"]["detail"]
    finally:
        with ctx.engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": head})


def test_a_worker_probe_added_by_the_job_system_is_what_readyz_reports(tmp_path, db_url, clock, monkeypatch):  # noqa: ANN001
    monkeypatch.setattr(readiness, "WORKER_PROBES",
                        [lambda ctx: readiness.Probe("workers", False, "0 seen in the last 120 s (at least 1 wanted)")])
    r = _client(tmp_path, db_url, clock).get("/readyz")
    assert r.status_code == 503
    assert r.json()["checks"]["workers"]["detail"] == "0 seen in the last 120 s (at least 1 wanted)"


def test_alive_but_not_ready_when_the_database_does_not_answer(tmp_path, clock):  # noqa: ANN001
    client = _client(tmp_path, "postgresql+psycopg://nobody:secret@127.0.0.1:1/nowhere?connect_timeout=2", clock)
    assert client.get("/healthz").status_code == 200
    r = client.get("/readyz")
    assert r.status_code == 503
    assert r.json()["checks"] == {"database": {"ok": False, "detail": "not reachable (OperationalError)"}}
    assert "secret" not in r.text and "127.0.0.1" not in r.text


def test_metrics_are_off_without_a_token_and_refused_without_the_right_one(tmp_path, db_url, clock):  # noqa: ANN001
    assert _client(tmp_path, db_url, clock).get("/metrics").status_code == 404
    client = _client(tmp_path, db_url, clock, metrics_token=TOKEN)
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200


def _sample(body: str, name: str, **labels: str) -> float:
    wanted = ",".join(f'{k}="{v}"' for k, v in labels.items())
    for line in body.splitlines():
        if line.startswith(name + "{"):
            series, value = line.rsplit(" ", 1)
            got = dict(re.findall(r'(\w+)="([^"]*)"', series[len(name):]))
            if all(got.get(k) == v for k, v in labels.items()):
                return float(value)
    raise AssertionError(f"no {name}{{{wanted}}} in the metrics")


@pytest.mark.parametrize("path", ["/api/v1/customers/ACME-42"])
def test_requests_are_counted_by_route_template_and_status(tmp_path, db_url, clock, path):  # noqa: ANN001
    client = _client(tmp_path, db_url, clock, metrics_token=TOKEN)
    auth = {"Authorization": f"Bearer {TOKEN}"}
    before = client.get("/metrics", headers=auth).text
    route = "/api/v1/customers/{customer_id}"
    try:
        start = _sample(before, "arcollect_http_requests_total", method="GET", route=route, status="401")
    except AssertionError:
        start = 0.0
    for _ in range(3):
        assert client.get(path).status_code == 401  # no API token: still that route answering
    client.get("/no/such/page/123")
    body = client.get("/metrics", headers=auth).text
    assert _sample(body, "arcollect_http_requests_total", method="GET", route=route, status="401") == start + 3
    assert _sample(body, "arcollect_http_request_duration_seconds_count", method="GET", route=route) >= 3
    assert _sample(body, "arcollect_http_requests_total", method="GET", route="unmatched", status="404") >= 1
    assert "ACME-42" not in body and "/no/such/page" not in body
    assert "arcollect_job_duration_seconds" in body  # declared for the workers
