"""procrastinate on PostgreSQL: the App over the configured database, arcollect's tasks registered on it (with
their locks and the periodic schedule), deferring from any process, and the worker. Imported only when the
database is PostgreSQL (procrastinate is not loaded by the CLI's other commands)."""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Sequence

from procrastinate import App, PsycopgConnector, exceptions
from procrastinate import jobs as pjobs
from sqlalchemy.engine import make_url

from arcollect.context import Context
from arcollect.jobs import runs, schedule
from arcollect.jobs.tasks import SPECS, Spec

PREFIX = "arcollect."
QUEUE_KEEP_HOURS = 7 * 24
log = logging.getLogger("arcollect.jobs")
_running: App | None = None  # the worker's own app, open while it runs (jobs defer their follow-ups on it)


def conninfo(url: str) -> str:
    """A libpq URL from the SQLAlchemy one (``postgresql+psycopg://`` → ``postgresql://``)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _register(app: App, ctx: Context, spec: Spec) -> Any:
    def run(job_context: Any, **kwargs: Any) -> Any:
        from arcollect.jobs.service import execute

        return execute(ctx, spec, kwargs, job_id=job_context.job.id)

    run.__name__ = run.__qualname__ = spec.name
    return app.task(name=PREFIX + spec.name, pass_context=True, retry=spec.retry, queue=spec.queue)(run)


def build_app(ctx: Context, *, schedule_jobs: bool = True, checks_stalled: bool = True) -> App:
    """The App of this database with every task; ``schedule_jobs``: with the periodic schedule, ``checks_stalled``:
    with the periodic check for jobs of dead workers (a worker has both, unless told otherwise)."""
    app = App(connector=PsycopgConnector(conninfo=conninfo(ctx.settings.effective_database_url),
                                         min_size=1, max_size=4))
    tasks = {name: _register(app, ctx, spec) for name, spec in SPECS.items()}
    settings = ctx.settings

    async def retry_stalled(job_context: Any, timestamp: int) -> dict[str, Any]:
        """Jobs left running by a worker that stopped answering (killed, its machine gone) are queued again
        (one waiting already under the same queueing lock: the dead one is marked failed instead)."""
        manager = app.job_manager
        stalled = list(await manager.get_stalled_jobs(seconds_since_heartbeat=settings.worker_stalled_seconds))
        retried, dropped = [], []
        for job in stalled:
            try:
                await manager.retry_job(job)
                retried.append(job.id)
            except exceptions.UniqueViolation:
                await manager.finish_job(job=job, status=pjobs.Status.FAILED, delete_job=False)
                dropped.append(job.id)
            except exceptions.ConnectorException as exc:  # another worker retried it first
                log.info("stalled job %s not retried here: %s", job.id, exc)
        if retried or dropped:
            why = (f"the worker running it stopped (no heartbeat for {settings.worker_stalled_seconds:g} s): "
                   "queued again")
            await asyncio.to_thread(runs.note_stalled, ctx, [*retried, *dropped], why)
            log.warning("stalled jobs retried: %s; dropped (another one queued): %s", retried, dropped)
        return {"retried": retried, "dropped": dropped}

    stall_task = app.task(name=PREFIX + "retry_stalled", pass_context=True, queueing_lock="retry-stalled")(retry_stalled)
    async def prune_queue(job_context: Any, timestamp: int) -> None:
        """Finished jobs leave procrastinate's table after a week (``job_runs`` keeps arcollect's record)."""
        await app.job_manager.delete_old_jobs(nb_hours=QUEUE_KEEP_HOURS, include_failed=True,
                                              include_cancelled=True, include_aborted=True)

    prune_task = app.task(name=PREFIX + "prune_queue", pass_context=True, queueing_lock="prune-queue")(prune_queue)
    if checks_stalled:
        app.periodic(cron=settings.worker_stalled_check_cron, periodic_id="stalled")(stall_task)
        app.periodic(cron="17 3 * * *", periodic_id="prune")(prune_task)
    if schedule_jobs:
        for name, cron in schedule.periodic(settings):
            spec = SPECS[name]
            app.periodic(cron=cron, periodic_id=name, lock=spec.lock({}),
                         queueing_lock=spec.queueing_lock({}))(tasks[name])
    return app


def _deferrer(app: App, spec: Spec, kwargs: dict[str, Any]) -> Any:
    return app.configure_task(PREFIX + spec.name, lock=spec.lock(kwargs), queueing_lock=spec.queueing_lock(kwargs),
                              queue=spec.queue)


def defer_many(ctx: Context, spec: Spec, many: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Queue jobs of one task; one already waiting under the same queueing lock is not queued twice."""
    app = _running
    opened = app is None
    if app is None:
        app = build_app(ctx, schedule_jobs=False, checks_stalled=False)
        app.open()
    out = []
    try:
        for kwargs in many:
            try:
                job_id = _deferrer(app, spec, kwargs).defer(**kwargs)
            except exceptions.AlreadyEnqueued:
                out.append({"task": spec.name, "status": "already_queued", "id": None})
                continue
            out.append({"task": spec.name, "status": "queued", "id": str(job_id)})
    finally:
        if opened:
            app.close()
    return out


def defer(ctx: Context, spec: Spec, kwargs: dict[str, Any]) -> dict[str, Any]:
    return defer_many(ctx, spec, [kwargs])[0]


def run_worker(ctx: Context, *, name: str | None, concurrency: int, wait: bool, queues: Sequence[str] | None,
               schedule_jobs: bool) -> None:
    """Run a procrastinate worker until SIGINT/SIGTERM (or, without ``wait``, until the queue is empty)."""
    global _running
    settings = ctx.settings
    app = build_app(ctx, schedule_jobs=schedule_jobs and wait, checks_stalled=wait)

    async def main() -> None:
        global _running
        async with app.open_async():
            _running = app
            try:
                await app.run_worker_async(
                    name=name or runs.worker_name(), concurrency=concurrency, wait=wait, queues=queues,
                    update_heartbeat_interval=settings.worker_heartbeat_seconds,
                    stalled_worker_timeout=settings.worker_stalled_seconds,
                    shutdown_graceful_timeout=settings.shutdown_grace_seconds,
                    fetch_job_polling_interval=2.0)
            finally:
                _running = None

    asyncio.run(main())
