"""Matching runs (``cash_match_runs``): one row per ``cash match`` with how many lines it has to decide and has
decided, so the web page shows a progress bar that survives reloads. At most one run at a time — the database
decides (a partial unique index on the running row); a run that stopped reporting progress (its process died)
is taken as failed when the next one starts. Each function owns a short transaction of its own."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from arcollect import audit
from arcollect.cashapp.models import CashMatchRun
from arcollect.context import Context
from arcollect.db import violates
from arcollect.errors import Conflict, NotFound

RUNNING_INDEX = next(i for i in CashMatchRun.__table__.indexes if i.name == "uq_cash_match_runs_running")


def view(run: CashMatchRun) -> dict[str, Any]:
    share = 1.0 if run.status == "done" else (run.done / run.total if run.total else 0.0)
    return {"id": str(run.id), "status": run.status, "phase": run.phase, "as_of": run.as_of.isoformat(),
            "total": run.total, "done": run.done, "percent": round(100 * min(1.0, share)), "result": run.result or {},
            "error": run.error, "started_by": run.started_by, "started_at": run.started_at.isoformat(),
            "finished_at": run.finished_at.isoformat() if run.finished_at else None}


def _busy(run: CashMatchRun) -> Conflict:
    return Conflict(f"a matching run is already in progress (run {run.id}, started by {run.started_by} at "
                    f"{run.started_at:%H:%M} UTC, {run.done} of {run.total} lines): wait for it to finish")


def start(ctx: Context, *, as_of: dt.date, stale_minutes: int) -> dict[str, Any]:
    """A new running run, or Conflict naming the one in progress. A run silent for ``stale_minutes`` is failed."""
    now = ctx.clock.now()
    with ctx.unit_of_work() as session:
        current = session.scalar(select(CashMatchRun).where(CashMatchRun.status == "running").with_for_update())
        if current is not None:
            if now - current.updated_at < dt.timedelta(minutes=stale_minutes):
                raise _busy(current)
            current.status, current.phase, current.finished_at = "failed", "finished", now
            current.error = f"no progress for {stale_minutes} minutes: the process running it stopped"
            audit.record(session, at=now, actor=ctx.actor, action="fail", entity="cash_match_run",
                         entity_key=str(current.id), changes={"error": current.error})
            session.flush()
        run = CashMatchRun(status="running", phase="reading", as_of=as_of, total=0, done=0, result={},
                           started_by=ctx.actor, started_at=now, updated_at=now)
        session.add(run)
        try:
            session.flush()
        except IntegrityError as exc:  # another run started at the same moment
            if not violates(exc, RUNNING_INDEX):
                raise
            session.rollback()
            other = session.scalar(select(CashMatchRun).where(CashMatchRun.status == "running"))
            raise (_busy(other) if other is not None else Conflict("a matching run is already in progress")) from None
        audit.record(session, at=now, actor=ctx.actor, action="start", entity="cash_match_run",
                     entity_key=str(run.id), changes={"as_of": as_of.isoformat()})
        return view(run)


def report(ctx: Context, run_id: int, *, phase: str, done: int, total: int,
           so_far: dict[str, int] | None = None) -> None:
    """Progress of a running run (a plain update: nothing to audit); ``so_far``: the counts until now (applied,
    proposed, unidentified, errors), kept as the running run's result."""
    values: dict[str, Any] = {"phase": phase, "done": done, "total": total, "updated_at": ctx.clock.now()}
    if so_far:
        values["result"] = dict(so_far)
    with ctx.unit_of_work() as session:
        session.execute(update(CashMatchRun).where(CashMatchRun.id == run_id, CashMatchRun.status == "running")
                        .values(**values))


def finish(ctx: Context, run_id: int, *, result: dict[str, Any] | None = None, error: str | None = None) -> dict[str, Any]:
    """The run done with its result (the counts of ``match``), or failed with the error."""
    now = ctx.clock.now()
    with ctx.unit_of_work() as session:
        run = session.get(CashMatchRun, run_id)
        if run is None:
            raise NotFound(f"matching run {run_id} not found")
        run.status, run.phase, run.finished_at, run.updated_at = ("failed" if error else "done"), "finished", now, now
        if result is not None:
            run.result = result
            run.done = run.total = result.get("lines", run.total)
        run.error = error
        audit.record(session, at=now, actor=ctx.actor, action="fail" if error else "finish", entity="cash_match_run",
                     entity_key=str(run.id), changes={"error": error} if error else {
                         k: result.get(k) for k in ("lines", "applied", "proposed", "unidentified")} if result else {})
        return view(run)


def get(ctx: Context, *, run_id: str) -> dict[str, Any]:
    try:
        pk = int(run_id)
    except (TypeError, ValueError):
        raise NotFound(f"matching run {run_id!r} not found") from None
    with ctx.sessions() as session:
        run = session.get(CashMatchRun, pk) if 0 < pk < 2**63 else None
        if run is None:
            raise NotFound(f"matching run {run_id} not found")
        return view(run)


def current(ctx: Context) -> dict[str, Any] | None:
    """The run in progress, if any."""
    with ctx.sessions() as session:
        run = session.scalar(select(CashMatchRun).where(CashMatchRun.status == "running"))
        return view(run) if run is not None else None
