"""Two real worker processes on the test PostgreSQL: jobs spread across both and none is done twice; a worker
SIGKILLed mid-job leaves its job retried by the other, and no dunning email goes out twice (issue #19, item 3)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from arcollect.clock import FixedClock
from arcollect.context import build_context
from arcollect.jobs import service as jobs
from arcollect.settings import Settings
from tests.conftest import BACKENDS, _truncate_all
from tests.jobs.workers import Worker, empty_queue, rows, scalar, wait_for

pytestmark = pytest.mark.skipif("postgresql" not in BACKENDS,
                                reason="PostgreSQL not among ARCOLLECT_TEST_BACKENDS: the worker tests need the queue")
AS_OF = dt.date(2026, 11, 23)


@pytest.fixture
def pg_ctx(pg_url, tmp_path):  # noqa: ANN001, ANN201
    _truncate_all(pg_url)
    ctx = build_context(Settings(home=tmp_path / "home", database_url=pg_url), actor="test", migrate_schema=False,
                        clock=FixedClock(dt.datetime(2026, 11, 23, 9, 30, tzinfo=dt.timezone.utc)))
    empty_queue(ctx)
    yield ctx
    empty_queue(ctx)
    ctx.dispose()


def _both_registered(ctx) -> bool:  # noqa: ANN001
    return scalar(ctx, "SELECT count(*) FROM procrastinate_workers") == 2


def test_two_workers_share_the_statement_jobs_and_none_is_rendered_twice(pg_ctx, tmp_path: Path) -> None:
    from arcollect.ledger import service as ledger

    ledger.load_demo(pg_ctx, customers=30, seed=7)
    workers = [Worker(pg_ctx.settings.effective_database_url, tmp_path / name, name) for name in ("w1", "w2")]
    try:
        wait_for("both workers registered", lambda: _both_registered(pg_ctx), 90, workers)
        out = jobs.statements(pg_ctx, as_of=AS_OF, directory=str(tmp_path / "pdf"), chunk=2)
        assert out["customers"] >= 10 and {j["status"] for j in out["jobs"]} == {"queued"}
        again = jobs.statements(pg_ctx, as_of=AS_OF, directory=str(tmp_path / "pdf"), chunk=2)
        # the same chunks asked for again while they wait: refused by their queueing locks, not queued twice
        assert sum(j["status"] == "already_queued" for j in again["jobs"]) >= len(out["jobs"]) - 2
        n = len(out["jobs"])
        wait_for("every statement job done", lambda: scalar(
            pg_ctx, "SELECT count(*) FROM procrastinate_jobs WHERE task_name = 'arcollect.render_statements' "
                    "AND status IN ('succeeded', 'failed')") == scalar(
            pg_ctx, "SELECT count(*) FROM procrastinate_jobs WHERE task_name = 'arcollect.render_statements'"),
            240, workers)
    finally:
        for w in workers:
            w.stop()
    done = rows(pg_ctx, "SELECT job_id, status, attempts, worker, result FROM job_runs WHERE task = 'render_statements'")
    assert all(r["status"] == "succeeded" and r["attempts"] == 1 for r in done), done
    assert len({r["job_id"] for r in done}) == len(done) >= n
    assert len({r["worker"] for r in done}) == 2, "both workers took statement jobs"
    written = sum(r["result"]["written"] for r in done)
    files = sorted((tmp_path / "pdf" / AS_OF.isoformat()).glob("statement-*.pdf"))
    assert written == len(files) == out["customers"], "every statement rendered exactly once"
    assert all(f.read_bytes().startswith(b"%PDF") for f in files)
    listed = {j["id"]: j for j in jobs.list_jobs(pg_ctx, limit=200)}
    assert all(listed[str(r["job_id"])]["status"] == "succeeded" for r in done)


def test_a_worker_killed_mid_send_leaves_the_job_to_the_other_and_no_email_goes_twice(pg_ctx, tmp_path: Path,
                                                                                     smtp) -> None:  # noqa: ANN001
    from arcollect.ledger import service as ledger
    from arcollect.outreach import outbox
    from arcollect.worklist import service as worklists

    inbox, port = smtp
    ledger.load_demo(pg_ctx, customers=40, seed=7)
    worklists.run(pg_ctx, as_of=AS_OF)
    outbox.queue(pg_ctx, as_of=AS_OF)
    queued = scalar(pg_ctx, "SELECT count(*) FROM outbox WHERE status = 'queued'")
    assert queued >= 6, "the demo queues enough dunning emails to kill a worker in the middle of them"
    mail = {"smtp_host": "127.0.0.1", "smtp_port": port, "smtp_rate_per_minute": 60}
    first = Worker(pg_ctx.settings.effective_database_url, tmp_path / "w1", "w1", **mail)
    second = None
    try:
        wait_for("worker 1 registered", lambda: scalar(pg_ctx, "SELECT count(*) FROM procrastinate_workers") == 1,
                 90, [first])
        job = jobs.defer(pg_ctx, "send_outbox")
        assert job["status"] == "queued"
        wait_for("worker 1 in the middle of the sends", lambda: len(inbox.ids()) >= 2, 120, [first])
        first.kill()
        sent_before = len(inbox.ids())
        assert sent_before < queued, "killed before it was done"
        assert scalar(pg_ctx, "SELECT status::text FROM procrastinate_jobs WHERE id = :id", id=int(job["id"])) == "doing"
        second = Worker(pg_ctx.settings.effective_database_url, tmp_path / "w2", "w2", **mail)
        wait_for("the killed worker's job retried and finished by worker 2", lambda: scalar(
            pg_ctx, "SELECT status::text FROM procrastinate_jobs WHERE id = :id", id=int(job["id"])) == "succeeded",
            240, [second])
    finally:
        first.stop()
        if second is not None:
            second.stop()
    ids = inbox.ids()
    assert len(ids) == len(set(ids)), "no email was delivered twice"
    assert len(ids) > sent_before, "worker 2 sent the rest"
    states = {r["message_id"]: r["status"] for r in rows(pg_ctx, "SELECT message_id, status FROM outbox")}
    sent = {m for m, s in states.items() if s == "sent"}
    sending = {m for m, s in states.items() if s == "sending"}
    assert "queued" not in states.values(), "everything due was sent"
    assert sent <= set(ids) <= sent | sending, "only messages claimed were delivered; the one in flight stays claimed"
    assert len(sending) <= 1
    run = rows(pg_ctx, "SELECT status, attempts, worker, last_error FROM job_runs WHERE job_id = :id", id=int(job["id"]))
    assert len(run) == 1 and run[0]["status"] == "succeeded" and run[0]["attempts"] == 2, run
    assert "queued again" in run[0]["last_error"]
    listed = {j["id"]: j for j in jobs.list_jobs(pg_ctx, limit=20)}[job["id"]]
    assert listed["status"] == "succeeded" and listed["attempts"] == 2
