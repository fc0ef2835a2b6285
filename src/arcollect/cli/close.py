"""Month-end close commands (CONTRACT §10): close period | reopen | list | snapshot."""

from __future__ import annotations

import json
from typing import Any, Optional

import typer

from arcollect.cli.common import console, context, echo, fail
from arcollect.errors import ArcollectError
from arcollect.periods import service as periods

close_app = typer.Typer(help="Month-end close: close a month, reopen it (admins), list the periods.",
                        no_args_is_help=True)


def _figures_line(view: dict[str, Any]) -> str:
    return "; ".join(f"{f['currency']} AR {f['ar_total']}, past due {f['past_due']}, unapplied cash "
                     f"{f['unapplied_cash']}, unidentified {f['unidentified_cash']}" for f in view["figures"]) or "no balances"


@close_app.command("period")
def close_period(
    month: str = typer.Argument(..., metavar="MONTH", help="YYYY-MM, e.g. 2026-03"),
    login: Optional[str] = typer.Option(None, "--as", help="close on behalf of this user (a manager or an admin)"),
    as_json: bool = typer.Option(False, "--json", help="Print the closed period as JSON"),
) -> None:
    """Close a month that is over (months close in order): its aging and key figures are kept as of its last
    day, and nothing dated in it can be created or changed afterwards."""
    try:
        view = periods.close_period_as_user(context(), month=month, login=login)
    except ArcollectError as exc:
        fail(exc)
        return
    if as_json:
        echo(json.dumps(view))
        return
    echo(f"{view['month']} closed as of {view['as_of']}: {_figures_line(view)}")


@close_app.command("reopen")
def close_reopen(
    month: str = typer.Argument(..., metavar="MONTH", help="YYYY-MM: the latest closed month"),
    reason: str = typer.Option(..., "--reason", help="why the month is reopened (kept in the audit log)"),
    login: Optional[str] = typer.Option(None, "--as", help="the admin who reopens it (required: only an admin may)"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Reopen the latest closed month (an admin, named with --as; audited)."""
    try:
        view = periods.reopen_period_as_user(context(), month=month, reason=reason, login=login)
    except ArcollectError as exc:
        fail(exc)
        return
    echo(json.dumps(view) if as_json else f"{view['month']} reopened by {view['reopened_by']}: {view['reopen_reason']}")


@close_app.command("list")
def close_list(as_json: bool = typer.Option(False, "--json")) -> None:
    """Every close (newest first, reopened ones too) and what is closed."""
    try:
        result = periods.list_periods(context())
    except ArcollectError as exc:
        fail(exc)
        return
    if as_json:
        echo(json.dumps(result))
        return
    from rich.table import Table

    echo(f"closed through {result['closed_through']}" if result["closed_through"] else "no month is closed")
    table = Table("month", "status", "closed", "by", "reopened", "by", "reason", "figures")
    for p in result["periods"]:
        table.add_row(p["month"], p["status"], p["closed_at"][:16], p["closed_by"], (p["reopened_at"] or "")[:16],
                      p["reopened_by"] or "", p["reopen_reason"] or "", _figures_line(p))
    console.print(table)


@close_app.command("snapshot")
def close_snapshot(month: str = typer.Argument(..., metavar="MONTH"),
                   by: str = typer.Option("customer", "--by", help="customer | collector | currency | total")) -> None:
    """The aging kept when the month was closed, as `aging --format json` prints it, with its key figures."""
    try:
        echo(json.dumps(periods.snapshot(context(), month=month, by=by)))
    except ArcollectError as exc:
        fail(exc)
