"""The job record (``job_runs``): a job's start (or its next attempt), its progress and its end, each in a
short transaction of its own; and the listing of recent jobs and failures."""

from __future__ import annotations

import os
import socket
from typing import Any

from sqlalchemy import select, text, update

from arcollect.context import Context
from arcollect.jobs.models import JobRun

ERROR_CHARS = 2000


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:128]


def start(ctx: Context, *, task: str, args: dict[str, Any], job_id: int | None = None) -> int:
    """A job begins (first attempt) or begins again (a retry of the same queued job: attempts + 1)."""
    now = ctx.clock.now()
    with ctx.unit_of_work() as session:
        run = None
        if job_id is not None:
            run = session.scalar(select(JobRun).where(JobRun.job_id == job_id).with_for_update())
        if run is None:
            run = JobRun(job_id=job_id, task=task, args=args, status="doing", attempts=1, worker=worker_name(),
                         started_at=now, done=0, total=0)
            session.add(run)
        else:
            run.status, run.worker, run.started_at, run.finished_at = "doing", worker_name(), now, None
            run.attempts += 1
        session.flush()
        return run.id


def progress(ctx: Context, run_pk: int, *, done: int, total: int) -> None:
    with ctx.unit_of_work() as session:
        session.execute(update(JobRun).where(JobRun.id == run_pk).values(done=done, total=total))


def finish(ctx: Context, run_pk: int, *, seconds: float, result: dict[str, Any] | None = None,
           error: str | None = None) -> None:
    with ctx.unit_of_work() as session:
        values: dict[str, Any] = {"status": "failed" if error else "succeeded", "finished_at": ctx.clock.now(),
                                  "seconds": round(seconds, 3)}
        if error:
            values["last_error"] = error[:ERROR_CHARS]
        else:
            values["result"] = result
        session.execute(update(JobRun).where(JobRun.id == run_pk).values(**values))


def note_stalled(ctx: Context, job_ids: list[int], why: str) -> None:
    """The jobs of a worker that stopped answering are queued again: say so on their record."""
    if not job_ids:
        return
    with ctx.unit_of_work() as session:
        session.execute(update(JobRun).where(JobRun.job_id.in_(job_ids), JobRun.status == "doing")
                        .values(status="failed", last_error=why[:ERROR_CHARS], finished_at=ctx.clock.now()))


def _view(r: JobRun) -> dict[str, Any]:
    return {"id": str(r.job_id if r.job_id is not None else f"local-{r.id}"), "task": r.task, "args": r.args or {},
            "status": {"doing": "running"}.get(r.status, r.status), "attempts": r.attempts, "worker": r.worker,
            "started_at": r.started_at.isoformat(), "finished_at": r.finished_at.isoformat() if r.finished_at else None,
            "seconds": r.seconds, "done": r.done, "total": r.total,
            "percent": 100 if r.status == "succeeded" else (round(100 * r.done / r.total) if r.total else None),
            "result": r.result, "last_error": r.last_error}


# procrastinate's statuses as the listing names them
_QUEUE_STATUS = {"todo": "queued", "doing": "running", "succeeded": "succeeded", "failed": "failed",
                 "cancelled": "cancelled", "aborted": "aborted", "aborting": "aborted"}
HIDDEN_TASKS = ("arcollect.retry_stalled", "arcollect.prune_queue")  # housekeeping, not listed


def listing(ctx: Context, *, limit: int = 50, status: str | None = None) -> list[dict[str, Any]]:
    """Recent jobs, newest first: task, arguments, status (queued, running, retrying, succeeded, failed), attempts,
    duration, progress and last error. On PostgreSQL the queue's own state (queued, retried) comes first."""
    rows: dict[str, dict[str, Any]] = {}
    with ctx.sessions() as session:
        queued: list[Any] = []
        if session.get_bind().dialect.name == "postgresql" and _has_queue(session):
            queued = list(session.execute(text(
                "SELECT id, task_name, args, status::text AS status, attempts, scheduled_at FROM procrastinate_jobs "
                "WHERE task_name <> ALL(:hidden) ORDER BY id DESC LIMIT :limit"),
                {"hidden": list(HIDDEN_TASKS), "limit": limit}).mappings())
        ids = [q["id"] for q in queued]
        known = {r.job_id: r for r in session.scalars(select(JobRun).where(JobRun.job_id.in_(ids)))} if ids else {}
        for q in queued:
            run = known.get(q["id"])
            view = _view(run) if run is not None else {
                "id": str(q["id"]), "task": q["task_name"].removeprefix("arcollect."),
                "args": {k: v for k, v in (q["args"] or {}).items()}, "attempts": 0, "worker": None,
                "started_at": None, "finished_at": None, "seconds": None, "done": 0, "total": 0, "percent": None,
                "result": None, "last_error": None}
            state = _QUEUE_STATUS.get(q["status"], q["status"])
            if state == "queued" and run is not None:
                state = "retrying"  # it ran (a worker stopped, or it failed) and waits for its next attempt
            view["status"] = state
            view["scheduled_at"] = q["scheduled_at"].isoformat() if q["scheduled_at"] else None
            rows[view["id"]] = view
        for r in session.scalars(select(JobRun).order_by(JobRun.started_at.desc(), JobRun.id.desc()).limit(limit)):
            view = _view(r)
            rows.setdefault(view["id"], view)
    out = sorted(rows.values(), key=lambda v: (v["started_at"] or "9999", v["id"]), reverse=True)
    if status is not None:
        out = [v for v in out if v["status"] == status]
    return out[:limit]


def _has_queue(session: Any) -> bool:
    return bool(session.execute(text("SELECT to_regclass('procrastinate_jobs') IS NOT NULL")).scalar())
