"""Background job commands: `arcollect worker`, `arcollect jobs` (list, defer, statements). procrastinate is
imported only inside them, on PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path
from typing import List, Optional

import typer

from arcollect.cli.common import check_format, context, echo, fail, parse_date, print_rows
from arcollect.errors import ArcollectError, InvalidInput

jobs_app = typer.Typer(help="Background jobs: list them and their failures, queue one, render statements.",
                       invoke_without_command=True)


def worker(
    concurrency: int = typer.Option(1, "--concurrency", min=1, max=32, help="Jobs at once in this process"),
    name: Optional[str] = typer.Option(None, "--name", help="Worker name in logs and `arcollect jobs` (default host:pid)"),
    queue: Optional[List[str]] = typer.Option(None, "--queue", help="Only these queues (repeatable; default all)"),
    no_wait: bool = typer.Option(False, "--no-wait", help="Exit once the queue is empty (PostgreSQL)"),
    no_schedule: bool = typer.Option(False, "--no-schedule", help="Do not defer the scheduled jobs from this worker "
                                     "(it still retries the jobs of dead workers)"),
) -> None:
    """Run a background worker (PostgreSQL: jobs from the queue; SQLite: the schedule in this process).

    On PostgreSQL it takes jobs from the queue (start several, on several machines), defers the
    periodic ones (daily runs at each collector's morning, mail, sends, weekly report, retraining) and retries the
    jobs of workers that died; on SQLite it runs the schedule in this process (one worker per database)."""
    try:
        ctx = context().acting_as("worker")  # the audit log names the jobs' changes as the worker's
        from arcollect.jobs import service

        mode = "PostgreSQL queue" if service.uses_queue(ctx) else "SQLite, in-process schedule"
        echo(f"arcollect worker ({mode}); Ctrl+C to stop")
        service.run_worker(ctx, name=name, concurrency=concurrency, wait=not no_wait, queues=queue or None,
                           schedule_jobs=not no_schedule)
    except ArcollectError as exc:
        fail(exc)
    except KeyboardInterrupt:
        echo("worker stopped")


def _when(value: str | None) -> str:
    return (value or "")[:19].replace("T", " ")


@jobs_app.callback()
def jobs_list(
    typer_ctx: typer.Context,
    status: Optional[str] = typer.Option(None, "--status", help="queued | running | retrying | succeeded | failed"),
    failed: bool = typer.Option(False, "--failed", help="Only the failures (same as --status failed)"),
    limit: int = typer.Option(50, "--limit", min=1, max=1000),
    fmt: str = typer.Option("table", "--format", help="table | json"),
) -> None:
    """Recent jobs, newest first: status, attempts, duration, progress and the last error."""
    if typer_ctx.invoked_subcommand is not None:
        return
    check_format(fmt)
    try:
        from arcollect.jobs import service

        rows = service.list_jobs(context(), limit=limit, status="failed" if failed else status)
    except ArcollectError as exc:
        fail(exc)
        return
    print_rows(fmt, rows, ("id", "task", "status", "attempts", "started (UTC)", "seconds", "progress", "worker",
                           "last error"), lambda r: (
        r["id"], r["task"], r["status"], str(r["attempts"]), _when(r["started_at"]),
        "" if r["seconds"] is None else f"{r['seconds']:.1f}",
        f"{r['done']}/{r['total']}" if r["total"] else "", r["worker"] or "", (r["last_error"] or "").split("\n")[0][:80]))


def _pairs(values: list[str]) -> dict[str, object]:
    out: dict[str, object] = {}
    for v in values:
        key, sep, raw = v.partition("=")
        if not sep or not key:
            raise InvalidInput(f"{v!r}: arguments are KEY=VALUE (e.g. as_of=2026-11-23)")
        out[key] = ([p.strip() for p in raw.split(",") if p.strip()] if key.endswith("_ids")
                    else {"true": True, "false": False}.get(raw.lower(), raw))
    return out


@jobs_app.command("defer")
def jobs_defer(task: str = typer.Argument(..., help="daily_run, queue_dunning, send_outbox, fetch_mail, import_file, "
                                                    "cash_import, cash_match, train_model, weekly_report, morning"),
               args: Optional[List[str]] = typer.Argument(None, help="KEY=VALUE arguments of the job (…_ids: a comma-separated list)"),
               as_json: bool = typer.Option(False, "--json")) -> None:
    """Queue a job for the workers (PostgreSQL), or run it now in this process (SQLite)."""
    try:
        from arcollect.jobs import service

        out = service.defer(context(), task, **_pairs(args or []))
    except ArcollectError as exc:
        fail(exc)
        return
    if as_json:
        echo(json.dumps(out, indent=2, default=str))
        return
    echo(f"{task}: {out['status'].replace('_', ' ')}" + (f" (job {out['id']})" if out.get("id") else ""))


@jobs_app.command("statements")
def jobs_statements(
    as_of: Optional[str] = typer.Option(None, "--as-of", help="Date (default: today)"),
    customer: Optional[List[str]] = typer.Option(None, "--customer", help="Only these customers (repeatable)"),
    output: Optional[Path] = typer.Option(None, "--output", help="Directory (default: the statements directory)"),
    chunk: Optional[int] = typer.Option(None, "--chunk", min=1, help="Statements per job"),
) -> None:
    """Statement PDFs of every customer with an open balance (or those named), in chunks spread across the
    workers (PostgreSQL) or rendered now (SQLite), into DIRECTORY/DATE/statement-CUSTOMER-DATE.pdf."""
    date = parse_date(as_of, "--as-of")
    try:
        from arcollect.jobs import service

        ctx = context()
        out = service.statements(ctx, as_of=date or ctx.clock.today(), customer_ids=customer or None,
                                 directory=str(output) if output else None, chunk=chunk)
    except ArcollectError as exc:
        fail(exc)
        return
    states = [j["status"] for j in out["jobs"]]
    summary = ", ".join(f"{states.count(s)} {s.replace('_', ' ')}" for s in sorted(set(states))) or "no jobs"
    echo(f"{out['customers']} statement(s) as of {out['as_of']} in {len(out['jobs'])} job(s): {summary}; "
         f"into {out['directory']}")
