"""The schedule on SQLite (one machine, no queue): ``arcollect worker`` runs the periodic jobs in its own process,
one at a time; a second worker on the same database is refused (a lock file beside it)."""

from __future__ import annotations

import datetime as dt
import fcntl
import time
from pathlib import Path

from sqlalchemy.engine import make_url

from arcollect.context import Context
from arcollect.errors import Conflict
from arcollect.jobs import schedule
from arcollect.jobs.tasks import SPECS

log_prefix = "arcollect worker"


def _lock_file(ctx: Context) -> Path:
    database = make_url(ctx.settings.effective_database_url).database or "memory"
    return Path(f"{database}.worker-lock") if database not in ("", ":memory:", "memory") else ctx.settings.home / "worker.lock"


def run_schedule(ctx: Context, *, wait: bool = True, now=time.time) -> None:  # noqa: ANN001
    """Run each periodic job when its cron line comes (not the ones missed while no worker ran); without
    ``wait`` return at once (there is no queue to drain on SQLite)."""
    from croniter import croniter

    from arcollect.jobs.service import execute

    path = _lock_file(ctx)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = path.open("w")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        raise Conflict(f"another arcollect worker runs on this database ({path} is locked): on SQLite one "
                       f"worker per database; use PostgreSQL for several") from None
    try:
        if not wait:
            return
        lines = schedule.periodic(ctx.settings)
        nexts = {name: croniter(cron, now()).get_next(float) for name, cron in lines}
        crons = dict(lines)
        while True:
            name = min(nexts, key=nexts.get)
            delay = nexts[name] - now()
            if delay > 0:
                time.sleep(min(delay, 60))
                continue
            stamp = int(nexts[name])
            nexts[name] = croniter(crons[name], stamp).get_next(float)
            try:
                execute(ctx, SPECS[name], {"timestamp": stamp})
            except Exception as exc:  # noqa: BLE001  (recorded on the job; the schedule goes on)
                print(f"{log_prefix}: {name} at {dt.datetime.fromtimestamp(stamp, dt.timezone.utc):%Y-%m-%d %H:%M} "
                      f"UTC failed: {type(exc).__name__}: {exc}", flush=True)
    finally:
        handle.close()
