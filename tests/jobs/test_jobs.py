"""Background jobs on both databases: the schedule of each collector's morning, jobs run in-process on SQLite
(and queued on PostgreSQL), the job listing with failures, the idempotent job bodies (issue #19, item 3)."""

from __future__ import annotations

import datetime as dt
import fcntl
import json

import pytest

from arcollect.context import build_context
from arcollect.errors import Conflict, NotFound
from arcollect.jobs import local, schedule
from arcollect.jobs import service as jobs
from arcollect.jobs.tasks import SPECS
from arcollect.settings import Settings

AS_OF = dt.date(2026, 11, 23)


def test_the_daily_run_is_due_at_each_collectors_morning_in_their_time_zone() -> None:
    zones = schedule.collector_zones("ana=Europe/Berlin, bo=America/Chicago,kim=Asia/Kolkata")
    due = lambda hour_utc: schedule.mornings(  # noqa: E731
        dt.datetime(2026, 11, 23, hour_utc, tzinfo=dt.timezone.utc), ["ana", "bo", "kim", "zoe", None],
        hour=6, zones=zones, default_zone="UTC")
    assert due(5) == [("ana", AS_OF)]                        # 06:00 in Berlin (UTC+1 in November)
    assert due(12) == [("bo", AS_OF)]                        # 06:00 in Chicago (UTC−6)
    assert due(1) == [("kim", AS_OF)]                        # 06:30 in Kolkata (UTC+5:30): its 6 o'clock hour
    assert due(6) == [("zoe", AS_OF), (None, AS_OF)]         # no zone of their own: the company's (UTC)
    assert schedule.mornings(dt.datetime(2026, 11, 23, 17, tzinfo=dt.timezone.utc), ["tok"], hour=6,
                             zones={"tok": "Pacific/Auckland"}, default_zone="UTC")[0][1] == dt.date(2026, 11, 24)
    assert sum(len(due(h)) for h in range(24)) == 5, "each collector once a day"


def test_the_schedule_lists_mail_fetch_only_with_a_mailbox(tmp_path) -> None:  # noqa: ANN001
    names = [n for n, _ in schedule.periodic(Settings(home=tmp_path))]
    assert names == ["morning", "send_outbox", "weekly_report", "train_model"]
    with_mail = dict(schedule.periodic(Settings(home=tmp_path, imap_host="imap.example.com", jobs_mail_fetch_minutes=3)))
    assert with_mail["fetch_mail"] == "*/3 * * * *"


def test_a_bad_collector_time_zone_is_refused_naming_it(tmp_path) -> None:  # noqa: ANN001
    with pytest.raises(ValueError, match="'Mars/Olympus' is not a time zone"):
        Settings(home=tmp_path, jobs_collector_timezones="ana=Mars/Olympus")


def test_on_sqlite_a_job_runs_at_once_in_process_and_its_chain_follows(ctx) -> None:  # noqa: ANN001
    from arcollect.ledger import service as ledger

    ledger.load_demo(ctx, customers=30, seed=7)
    collector = sorted(ledger.customer_facets(ctx, scope=ledger.EVERYTHING)["collectors"])[0]
    out = jobs.defer(ctx, "daily_run", as_of=AS_OF.isoformat(), collector=collector)
    listed = jobs.list_jobs(ctx)
    if not jobs.uses_queue(ctx):
        assert out["status"] == "succeeded" and out["result"]["collector"] == collector
        assert out["result"]["accounts"] > 0
        # the daily run queued the day's emails, which then were sent (no SMTP server: they stay queued)
        assert [j["task"] for j in listed] == ["send_outbox", "queue_dunning", "daily_run"]
        assert all(j["status"] == "succeeded" and j["attempts"] == 1 and j["seconds"] is not None for j in listed)
        assert listed[2]["args"] == {"as_of": AS_OF.isoformat(), "collector": collector}
        assert "unavailable" in listed[0]["result"]["error"]
        from arcollect.worklist import service as worklists

        assert worklists.day_built(ctx, as_of=AS_OF, collector=collector)
    else:  # PostgreSQL: queued for the workers, once
        assert out["status"] == "queued"
        assert jobs.defer(ctx, "daily_run", as_of=AS_OF.isoformat(), collector=collector)["status"] == "already_queued"
        mine = [j for j in listed if j["id"] == out["id"]]
        assert mine and mine[0]["status"] == "queued" and mine[0]["attempts"] == 0
        from sqlalchemy import text

        with ctx.engine.begin() as conn:
            conn.execute(text("DELETE FROM procrastinate_jobs"))


def test_a_failed_job_is_listed_with_its_error(cli, ctx) -> None:  # noqa: ANN001
    code = cli("jobs", "defer", "render_statements", "as_of=2026-11-23", "customer_ids=NOPE,NADA")
    result = cli("jobs", "--failed", "--format", "json")
    rows = json.loads(result.stdout)
    if rows and rows[0]["task"] == "render_statements":  # SQLite: it ran here and failed
        assert code.exit_code == 1 and "NOPE" in code.stderr
        assert rows[0]["status"] == "failed" and rows[0]["attempts"] == 1
        assert "NotFound" in rows[0]["last_error"] and "not found" in rows[0]["last_error"]
    else:  # PostgreSQL: queued for the workers; taken out again, so no other test sees a job waiting
        assert code.exit_code == 0 and "queued" in code.stdout
        from sqlalchemy import text

        with ctx.engine.begin() as conn:
            conn.execute(text("DELETE FROM procrastinate_jobs"))
    assert cli("jobs", "--status", "later").exit_code == 1
    assert cli("jobs", "defer", "nosuchjob").exit_code == 1


def test_statements_already_rendered_are_kept_when_a_chunk_runs_again(ctx, tmp_path) -> None:  # noqa: ANN001
    from arcollect.ledger import service as ledger

    ledger.load_demo(ctx, customers=12, seed=7)
    ids = sorted(r.key for r in ledger.aging(ctx, as_of=AS_OF, by="customer").rows if r.total != 0)[:3]
    kwargs = {"as_of": AS_OF.isoformat(), "customer_ids": ids, "directory": str(tmp_path / "pdf")}
    first = jobs.execute(ctx, SPECS["render_statements"], kwargs)
    again = jobs.execute(ctx, SPECS["render_statements"], kwargs)
    assert (first["written"], first["kept"]) == (3, 0) and (again["written"], again["kept"]) == (0, 3)
    files = sorted((tmp_path / "pdf" / AS_OF.isoformat()).iterdir())
    assert [f.name for f in files] == [f"statement-{c}-{AS_OF.isoformat()}.pdf" for c in ids]
    with pytest.raises(NotFound):
        jobs.execute(ctx, SPECS["render_statements"], {**kwargs, "customer_ids": ["NOPE"]})
    done = {j["task"]: j for j in jobs.list_jobs(ctx, status="succeeded")}
    assert done["render_statements"]["done"] == done["render_statements"]["total"] == 3


def test_a_weekly_report_run_again_sends_no_manager_twice(db_url, clock, tmp_path, smtp) -> None:  # noqa: ANN001
    from arcollect.auth import service as auth
    from arcollect.ledger import service as ledger

    inbox, port = smtp
    ctx = build_context(Settings(home=tmp_path / "home", database_url=db_url, smtp_host="127.0.0.1", smtp_port=port),
                        clock=clock, actor="test", migrate_schema=False)
    try:
        ledger.load_demo(ctx, customers=12, seed=7)
        auth.add_user(ctx, login="mona", role="manager", email="mona@example.com", password="correct horse battery")
        first = jobs.execute(ctx, SPECS["weekly_report"], {"as_of": AS_OF.isoformat()})
        again = jobs.execute(ctx, SPECS["weekly_report"], {"as_of": AS_OF.isoformat()})
    finally:
        ctx.dispose()
    assert first["sent"] == ["mona"] and again["sent"] == [] and again["already_sent"] == ["mona"]
    assert len(inbox.messages) == 1


def test_a_second_worker_on_one_sqlite_database_is_refused(tmp_path) -> None:  # noqa: ANN001
    ctx = build_context(Settings(home=tmp_path / "home", database_url=f"sqlite:///{tmp_path / 'a.db'}"))
    try:
        with local._lock_file(ctx).open("w") as held:
            fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
            with pytest.raises(Conflict, match="another arcollect worker runs on this database"):
                local.run_schedule(ctx, wait=False)
        local.run_schedule(ctx, wait=False)  # free again: it starts (and, not waiting, returns)
    finally:
        ctx.dispose()
