"""Dispute commands (CONTRACT §8): dispute open | update | close | list | show | item | notify."""

from __future__ import annotations

import json
from typing import Optional

import typer

from arcollect.disputes import service as disputes
from arcollect.cli.common import check_format, context, echo, fail, parse_date, print_rows
from arcollect.errors import ArcollectError

dispute_app = typer.Typer(help="Dispute cases.", no_args_is_help=True)


@dispute_app.command("open")
def dispute_open(
    invoices: str = typer.Option(..., "--invoices", help="I1[:AMOUNT],I2 — whole invoices or a disputed amount"),
    reason: str = typer.Option(..., "--reason", help="pricing | quantity | quality | billing_error | po | contract | "
                                                     "duplicate | tax | not_received | service | other"),
    team: Optional[str] = typer.Option(None, "--team", help="sales | billing | contracts | support | ara "
                                                            "(default: by reason)"),
    priority: str = typer.Option("normal", "--priority", help="low | normal | high | urgent"),
    note: Optional[str] = typer.Option(None, "--note"),
) -> None:
    """Open a dispute on invoices of one customer; prints the new dispute's id."""
    try:
        result = disputes.open_dispute(context(), invoices=disputes.parse_invoice_args([invoices]), reason=reason,
                                       team=team, priority=priority, note=note)
    except ArcollectError as exc:
        fail(exc)
        return
    echo(result["id"])


@dispute_app.command("update")
def dispute_update(
    dispute_id: str = typer.Argument(..., metavar="ID"),
    status: Optional[str] = typer.Option(None, "--status", help="in_review | waiting_internal | waiting_customer | "
                                                                "resolved | closed"),
    resolution: Optional[str] = typer.Option(None, "--resolution", help="credit_note | rebill | rejected_valid"),
    root_cause: Optional[str] = typer.Option(None, "--root-cause"),
    team: Optional[str] = typer.Option(None, "--team"),
    priority: Optional[str] = typer.Option(None, "--priority"),
    comment: Optional[str] = typer.Option(None, "--comment"),
) -> None:
    """Move a dispute through the workflow, re-route it or comment on it."""
    try:
        result = disputes.update(context(), dispute_id=dispute_id, status=status, resolution=resolution,
                                 root_cause=root_cause, team=team, priority=priority, comment=comment)
    except ArcollectError as exc:
        fail(exc)
        return
    echo(f"dispute {result['id']}: {result['status']}")


@dispute_app.command("close")
def dispute_close(dispute_id: str = typer.Argument(..., metavar="ID"),
                  comment: Optional[str] = typer.Option(None, "--comment")) -> None:
    """Close a resolved dispute (refused until the ledger shows its money settled)."""
    dispute_update(dispute_id, status="closed", resolution=None, root_cause=None, team=None, priority=None,
                   comment=comment)


@dispute_app.command("list")
def dispute_list(
    status: Optional[str] = typer.Option(None, "--status"),
    team: Optional[str] = typer.Option(None, "--team"),
    customer: Optional[str] = typer.Option(None, "--customer"),
    fmt: str = typer.Option("table", "--format", help="table | json"),
) -> None:
    """Disputes, the nearest SLA first."""
    check_format(fmt)
    try:
        rows = disputes.list_disputes(context(), status=status, team=team, customer_id=customer)
    except ArcollectError as exc:
        fail(exc)
        return
    print_rows(fmt, rows, ("id", "customer", "reason", "team", "status", "amount", "invoices", "SLA"), lambda r: (
        r["id"], r["customer_id"], r["reason"], r["team"], r["status"], f"{r['amount']} {r['currency']}",
        ", ".join(r["invoices"]), r["sla_due"] + (" (breached)" if r["sla_breached"] else "")))


@dispute_app.command("show")
def dispute_show(dispute_id: str = typer.Argument(..., metavar="ID")) -> None:
    """A dispute with its invoices, action items and history (JSON)."""
    try:
        echo(json.dumps(disputes.detail(context(), dispute_id=dispute_id), indent=2))
    except ArcollectError as exc:
        fail(exc)


@dispute_app.command("item")
def dispute_item(dispute_id: str = typer.Argument(..., metavar="ID"),
                 title: str = typer.Option(..., "--title"),
                 team: Optional[str] = typer.Option(None, "--team", help="default: the dispute's team"),
                 assignee: Optional[str] = typer.Option(None, "--assignee"),
                 due: Optional[str] = typer.Option(None, "--due", help="YYYY-MM-DD (default: the SLA date)")) -> None:
    """Add an action item to a dispute; prints its id."""
    try:
        result = disputes.add_action_item(context(), dispute_id=dispute_id, title=title, team=team, assignee=assignee,
                                          due_on=parse_date(due, "--due"))
    except ArcollectError as exc:
        fail(exc)
        return
    echo(result["id"])


@dispute_app.command("notify")
def dispute_notify() -> None:
    """Email stakeholders their new and overdue action items and flag SLA breaches to collectors and
    managers (also done by `dunning run`)."""
    from arcollect.outreach import case_notices

    result = case_notices.notify(context())
    echo(f"{result['emails']} email(s): {result['new']} new item(s), {result['overdue']} overdue, "
         f"{result['sla_breaches']} SLA breach(es)")
    for problem in result["failed"]:
        echo(f"not sent: {problem}")
    if result["failed"]:
        raise typer.Exit(1)
