"""Cash application runs in their own processes (spawned), for tests/cashapp/test_races.py."""

from __future__ import annotations

import datetime as dt
from typing import Any

from tests.security.race_workers import _context


def cash_match(url: str, home: str) -> dict[str, Any]:
    from arcollect.cashapp import service as cash
    from tests.cashapp.standin import standin_match

    ctx = _context(url, home)
    try:
        out = cash.match(ctx, as_of=dt.date(2026, 11, 23), matcher=standin_match)
        return {"applied": out["applied"], "errors": out["errors"]}
    finally:
        ctx.dispose()


def cash_apply(url: str, home: str, line_id: str, invoice_id: str) -> dict[str, Any]:
    from arcollect.cashapp import service as cash

    ctx = _context(url, home)
    try:
        return {"line": cash.apply(ctx, line_id=line_id, invoices=[(invoice_id, None)])["status"]}
    finally:
        ctx.dispose()
