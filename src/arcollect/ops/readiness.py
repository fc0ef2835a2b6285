"""Readiness: what /readyz reports — the database answers, its schema is at the newest migration, and the
background workers were seen recently. Each is a probe (context) -> Probe; WORKER_PROBES is where the job
system says how to see its workers (first probe that knows answers; none: "no workers configured")."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Callable

from sqlalchemy import inspect, text


@dataclass
class Probe:
    name: str
    ok: bool
    detail: str


def database(ctx: Any) -> Probe:
    try:
        with ctx.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # any driver error: not ready (the detail names the kind, never the URL)
        return Probe("database", False, f"not reachable ({type(exc).__name__})")
    return Probe("database", True, "ok")


def migrations(ctx: Any) -> Probe:
    from arcollect.ops.schema import migration_problem

    try:
        with ctx.engine.connect() as conn:
            problem = migration_problem(conn)
    except Exception as exc:
        return Probe("migrations", False, f"cannot be read ({type(exc).__name__})")
    return Probe("migrations", problem is None, problem or "at head")


def procrastinate_workers(ctx: Any) -> Probe | None:
    """procrastinate's own worker table (its workers write a heartbeat); None where it does not exist."""
    try:
        if not inspect(ctx.engine).has_table("procrastinate_workers"):
            return None
        window = ctx.settings.ready_worker_seconds
        since = ctx.clock.now() - dt.timedelta(seconds=window)
        with ctx.engine.connect() as conn:
            seen = conn.execute(text("SELECT count(*) FROM procrastinate_workers WHERE last_heartbeat >= :since"),
                                {"since": since}).scalar_one()
    except Exception as exc:
        return Probe("workers", False, f"cannot be read ({type(exc).__name__})")
    wanted = ctx.settings.ready_min_workers
    return Probe("workers", seen >= wanted, f"{seen} seen in the last {window:g} s"
                 + (f" (at least {wanted} wanted)" if wanted else ""))


WORKER_PROBES: list[Callable[[Any], Probe | None]] = [procrastinate_workers]


def workers(ctx: Any) -> Probe:
    for probe in WORKER_PROBES:
        found = probe(ctx)
        if found is not None:
            return found
    wanted = ctx.settings.ready_min_workers
    if wanted:
        return Probe("workers", False, f"no workers configured (at least {wanted} wanted)")
    return Probe("workers", True, "no workers configured")


PROBES: list[Callable[[Any], Probe]] = [database, migrations, workers]


def ready(ctx: Any) -> tuple[bool, list[Probe]]:
    probes = []
    for probe in PROBES:
        result = probe(ctx)
        probes.append(result)
        if result.name == "database" and not result.ok:
            break  # nothing else can be read
    return all(p.ok for p in probes), probes
