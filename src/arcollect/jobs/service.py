"""Background jobs, the one module the interfaces call: defer a job, run a worker, list jobs, render many
statements. On PostgreSQL jobs go through procrastinate's queue and run on ``arcollect worker`` processes
(several, on several machines); on SQLite (one machine) the same job bodies run in-process, at once, and
``arcollect worker`` runs the schedule in its own process. procrastinate is imported only on PostgreSQL."""

from __future__ import annotations

import datetime as dt
import time
import traceback
from typing import Any, Sequence

from arcollect.context import Context
from arcollect.errors import InvalidInput
from arcollect.jobs import runs, schedule
from arcollect.jobs.tasks import SPECS, Spec

PROGRESS_EVERY = 1.0  # seconds between two progress writes of one job


def uses_queue(ctx: Context) -> bool:
    """Whether jobs go through procrastinate's queue (PostgreSQL) or run in-process (SQLite)."""
    return ctx.engine.dialect.name == "postgresql"


def spec_of(task: str) -> Spec:
    try:
        return SPECS[task]
    except KeyError:
        raise InvalidInput(f"unknown job {task!r}; one of: {', '.join(sorted(SPECS))}") from None


def execute(ctx: Context, spec: Spec, kwargs: dict[str, Any], *, job_id: int | None = None) -> dict[str, Any]:
    """Run a job's body with its record kept: started (or started again), progress, succeeded or failed with
    the error (then raised again, for the queue to retry it or mark it failed)."""
    args = {k: v for k, v in kwargs.items() if k != "timestamp"}
    pk = runs.start(ctx, task=spec.name, args=args, job_id=job_id)
    started = time.perf_counter()
    last = [0.0]

    def report(done: int, total: int) -> None:
        now = time.perf_counter()
        if now - last[0] >= PROGRESS_EVERY or (total and done >= total):
            last[0] = now
            runs.progress(ctx, pk, done=done, total=total)

    try:
        result = spec.body(ctx, report, **kwargs)
    except BaseException as exc:
        error = f"{type(exc).__name__}: {exc}"
        if not str(exc):
            error += "\n" + "".join(traceback.format_exception(exc)[-3:])
        runs.finish(ctx, pk, seconds=time.perf_counter() - started, error=error)
        raise
    runs.finish(ctx, pk, seconds=time.perf_counter() - started, result=_jsonable(result))
    return result


def _jsonable(value: Any) -> Any:
    import json

    return json.loads(json.dumps(value, default=str))


def defer(ctx: Context, task: str, **kwargs: Any) -> dict[str, Any]:
    """Queue a job (PostgreSQL), or run it now in this process (SQLite). A job whose queueing lock is held by one
    already waiting is not queued twice: the answer says ``already_queued``."""
    spec = spec_of(task)
    kwargs = _jsonable(kwargs)
    if not uses_queue(ctx):
        result = execute(ctx, spec, kwargs)
        return {"task": task, "status": "succeeded", "id": None, "result": _jsonable(result)}
    from arcollect.jobs import app as queue

    return queue.defer(ctx, spec, kwargs)


def statements(ctx: Context, *, as_of: dt.date, customer_ids: Sequence[str] | None = None,
               directory: str | None = None, chunk: int | None = None) -> dict[str, Any]:
    """Statement PDFs of these customers (default: every customer with an open balance on the date), rendered
    in chunks — one job each, spread across the workers — into ``directory``/DATE (default the statements
    directory of the settings)."""
    from arcollect.jobs.tasks import statements_dir
    from arcollect.ledger import service as ledger

    ids = list(customer_ids) if customer_ids else sorted(
        {r.key for r in ledger.aging(ctx, as_of=as_of, by="customer").rows if r.total != 0})
    parts = [{"as_of": as_of.isoformat(), "customer_ids": part, "directory": directory}
             for part in schedule.chunks(ids, chunk or ctx.settings.jobs_statements_chunk)]
    if uses_queue(ctx):
        from arcollect.jobs import app as queue

        jobs = queue.defer_many(ctx, SPECS["render_statements"], parts)
    else:
        jobs = [defer(ctx, "render_statements", **part) for part in parts]
    return {"as_of": as_of.isoformat(), "customers": len(ids), "jobs": jobs,
            "directory": str(statements_dir(ctx, as_of, directory))}


def list_jobs(ctx: Context, *, limit: int = 50, status: str | None = None) -> list[dict[str, Any]]:
    """Recent jobs, newest first (status, attempts, duration, progress, last error); ``status`` filters
    (queued, running, retrying, succeeded, failed)."""
    if status is not None and status not in ("queued", "running", "retrying", "succeeded", "failed", "cancelled"):
        raise InvalidInput(f"--status {status!r}: one of queued, running, retrying, succeeded, failed, cancelled")
    return runs.listing(ctx, limit=limit, status=status)


def run_worker(ctx: Context, *, name: str | None = None, concurrency: int = 1, wait: bool = True,
               queues: Sequence[str] | None = None, schedule_jobs: bool = True) -> None:
    """A worker: on PostgreSQL a procrastinate worker (jobs of the queue, the periodic schedule, stalled jobs of
    dead workers retried); on SQLite the schedule, run in this process (one such process per machine)."""
    if uses_queue(ctx):
        from arcollect.jobs import app as queue

        queue.run_worker(ctx, name=name, concurrency=concurrency, wait=wait, queues=queues,
                         schedule_jobs=schedule_jobs)
        return
    from arcollect.jobs import local

    local.run_schedule(ctx, wait=wait)
