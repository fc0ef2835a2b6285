"""Writers that run in their own processes against one database, released together by a barrier, to show
that concurrent writes never move more money than there is (tests/security/test_money_races.py)."""

from __future__ import annotations

import datetime as dt
import multiprocessing
import traceback
from pathlib import Path
from typing import Any, Callable

from arcollect.clock import FixedClock
from arcollect.context import build_context
from arcollect.errors import ArcollectError
from arcollect.settings import Settings

NOW = dt.datetime(2026, 11, 23, 9, 30, tzinfo=dt.timezone.utc)


def _context(url: str, home: str) -> Any:
    return build_context(Settings(home=Path(home), database_url=url), clock=FixedClock(NOW), actor="racer",
                         migrate_schema=False)


def import_payments(url: str, home: str, path: str) -> dict[str, Any]:
    from arcollect.ledger import service as ledger

    ctx = _context(url, home)
    try:
        result = ledger.import_file(ctx, kind="payments", path=Path(path))
        return {"created": result.created, "unchanged": result.unchanged, "errors": result.errors}
    finally:
        ctx.dispose()


def apply_payment(url: str, home: str, payment_id: str, invoice_id: str, amount: str) -> dict[str, Any]:
    from arcollect.ledger import service as ledger

    ctx = _context(url, home)
    try:
        return {"application": ledger.apply_document(ctx, invoice_id=invoice_id, amount=amount, payment_id=payment_id)}
    finally:
        ctx.dispose()


def reverse(url: str, home: str, application_id: int) -> dict[str, Any]:
    from arcollect.ledger import service as ledger

    ctx = _context(url, home)
    try:
        return {"reversal": ledger.reverse_application(ctx, application_id=application_id, reason="race")}
    finally:
        ctx.dispose()


def write_off(url: str, home: str, invoice_id: str, amount: str) -> dict[str, Any]:
    from arcollect.ledger import service as ledger

    ctx = _context(url, home)
    try:
        return {"write_off": ledger.write_off(ctx, invoice_id=invoice_id, amount=amount, written_off_on=NOW.date(),
                                              reason="race")}
    finally:
        ctx.dispose()


def _run(barrier: Any, queue: Any, index: int, target: Callable[..., dict[str, Any]], args: tuple) -> None:
    try:
        barrier.wait(timeout=120)
        outcome = {"ok": True, **target(*args)}
    except ArcollectError as exc:  # a refusal the user would see (409, 422): fine
        outcome = {"ok": False, "refused": type(exc).__name__, "message": str(exc)}
    except BaseException as exc:  # anything else is a bug (a 500)
        outcome = {"ok": False, "crash": f"{type(exc).__name__}: {exc}", "trace": traceback.format_exc()}
    queue.put((index, outcome))


def race(calls: list[tuple[Callable[..., dict[str, Any]], tuple]]) -> list[dict[str, Any]]:
    """Run every (function, args) in its own process, all released at the same moment; their outcomes in order."""
    mp = multiprocessing.get_context("spawn")
    barrier, queue = mp.Barrier(len(calls)), mp.Queue()
    procs = [mp.Process(target=_run, args=(barrier, queue, i, fn, args)) for i, (fn, args) in enumerate(calls)]
    for p in procs:
        p.start()
    outcomes = dict(queue.get(timeout=300) for _ in procs)
    for p in procs:
        p.join(timeout=60)
    return [outcomes[i] for i in range(len(calls))]
