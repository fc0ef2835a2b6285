"""Worker processes for tests/security/test_duplicates.py: each opens its own engine on the shared test
database, waits at a barrier with the others, then makes the same request at once. Imported by spawned
processes, so it keeps to what a fresh interpreter can import."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, Callable

import arcollect.models  # noqa: F401  (every table on the metadata, as the app has it)
from arcollect.clock import FixedClock
from arcollect.context import build_context
from arcollect.errors import ArcollectError
from arcollect.settings import Settings

NOW = dt.datetime(2026, 11, 23, 9, 30, tzinfo=dt.timezone.utc)


def _outcome(call: Callable[[], Any]) -> tuple[str, str]:
    try:
        result = call()
    except ArcollectError as exc:
        return type(exc).__name__, str(exc)
    except Exception as exc:  # noqa: BLE001 - a crash is an outcome the test reports
        return "crash", f"{type(exc).__name__}: {exc}"
    return "ok", str(result.get("id", "")) if isinstance(result, dict) else "ok"


def _each_round(url: str, home: Path, login: str, barrier: Any, results: Any, rounds: list[Any],
                call: Callable[[Any, Any], Any]) -> None:
    ctx = build_context(Settings(home=home, database_url=url), clock=FixedClock(NOW), actor=login,
                        migrate_schema=False)
    try:
        for n, arg in enumerate(rounds):
            barrier.wait()
            results.put((n, login, *_outcome(lambda: call(ctx, arg))))
    finally:
        ctx.dispose()


def open_disputes(url: str, home: Path, login: str, barrier: Any, results: Any, rounds: list[list[str]]) -> None:
    """Each round: open a dispute on the round's invoices (whole)."""
    from arcollect.disputes import service as dispute_service

    _each_round(url, home, login, barrier, results, rounds, lambda ctx, invoices: dispute_service.open_dispute(
        ctx, invoices=[(i, None) for i in invoices], reason="pricing", note=f"by {login}"))


def propose_escalations(url: str, home: Path, login: str, barrier: Any, results: Any,
                        rounds: list[tuple[str, str]]) -> None:
    """Each round: propose the round's (customer, action) escalation."""
    from arcollect.escalations import service as escalation_service

    _each_round(url, home, login, barrier, results, rounds, lambda ctx, job: escalation_service.propose(
        ctx, customer_id=job[0], action=job[1], note=f"by {login}"))


def run_escalations(url: str, home: Path, login: str, barrier: Any, results: Any, rounds: list[str]) -> None:
    """Each round: the daily escalation run (the rules propose), or a person's manual proposal when the
    round's entry names a customer."""
    from arcollect.escalations import service as escalation_service

    def call(ctx: Any, what: str) -> Any:
        if what == "run":
            return {"id": ",".join(escalation_service.run(ctx)["proposed"])}
        return escalation_service.propose(ctx, customer_id=what, action="credit_hold")

    _each_round(url, home, login, barrier, results, rounds, call)
