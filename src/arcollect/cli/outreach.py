"""Outreach commands (CONTRACT §8): dunning run, outbox list|approve|send."""

from __future__ import annotations

import json
from typing import Optional

import typer
from rich.table import Table

from arcollect.cli.common import check_format, console, context, echo, fail, parse_date, print_rows
from arcollect.errors import ArcollectError
from arcollect.outreach import documents, mailbox, outbox

dunning_app = typer.Typer(help="Dunning emails.", no_args_is_help=True)
outbox_app = typer.Typer(help="The outbox of dunning messages.", no_args_is_help=True)
mail_app = typer.Typer(help="The collections mailbox.", no_args_is_help=True)


@mail_app.command("fetch")
def mail_fetch() -> None:
    """Read new mail from the IMAP folder: store, link to customers (or triage), mark bounces."""
    try:
        counts = mailbox.fetch_mail(context())
    except ArcollectError as exc:
        fail(exc)
        return
    echo(f"fetched {counts['fetched']}: linked {counts['linked']}, triage {counts['triage']}, "
         f"bounced addresses {counts['bounces']}, already stored {counts['duplicates']}, "
         f"remittance advices {counts['advices']} ({counts['advices_attached']} attached to a bank line), "
         f"assistant proposals {counts['proposals']} (waiting for approval)")


@dunning_app.command("run")
def dunning_run(
    as_of: Optional[str] = typer.Option(None, "--as-of", help="Date (default: today)"),
    dry_run: bool = typer.Option(False, "--dry-run", help="Store and send nothing; list what would go"),
    as_json: bool = typer.Option(False, "--json"),
    no_send: bool = typer.Option(False, "--no-send", help="Queue only; send later with `outbox send`"),
) -> None:
    """Evaluate the playbook for the date, queue its emails and send what is due and approved."""
    date = parse_date(as_of, "--as-of")
    try:
        ctx = context()
        result = outbox.dunning_run(ctx, as_of=date or ctx.clock.today(), dry_run=dry_run, send=not no_send)
    except ArcollectError as exc:
        fail(exc)
        return
    if as_json:
        echo(json.dumps(result, default=str, indent=2))
        return
    if dry_run:
        table = Table("customer", "step", "to", "language", "subject", "invoices", title=f"Would send ({result['as_of']})")
        for m in result["messages"]:
            table.add_row(m["customer_id"], m["step"] + (" (approval)" if m["needs_approval"] else ""),
                          ", ".join(m["to"]) or "(no address)", m["language"], m["subject"], ", ".join(m["invoices"]))
        console.print(table)
        echo(f"{len(result['messages'])} message(s) would be queued")
        return
    echo(f"{result['as_of']}: queued {result['queued']}, awaiting approval {result['awaiting_approval']}, "
         f"sent {result['sent']}, suppressed {result['suppressed']}, failed {result['failed']}")
    if result.get("error"):
        echo(f"  {result['error']} (the messages stay queued: run `arcollect outbox send` later)")
    for p in result["problems"]:
        echo(f"  {p}")


@outbox_app.command("list")
def outbox_list(status: Optional[str] = typer.Option(None, "--status", help="queued | awaiting_approval | sending | sent | suppressed | failed"),
                fmt: str = typer.Option("table", "--format", help="table | json")) -> None:
    """Messages in the outbox, newest first."""
    check_format(fmt)
    try:
        rows = outbox.list_outbox(context(), status=status)
    except ArcollectError as exc:
        fail(exc)
        return
    print_rows(fmt, rows, ("id", "customer", "step", "status", "to", "subject", "not before", "sent"), lambda r: (
        r["id"], r["customer_id"], r["step"], r["status"], ", ".join(r["to"]), r["subject"], r["not_before"][:16],
        (r["sent_at"] or "")[:16]))


@outbox_app.command("approve")
def outbox_approve(message_id: str = typer.Argument(..., metavar="ID")) -> None:
    """Approve a message whose step needs approval (it joins the queue)."""
    try:
        outbox.approve(context(), message_id=message_id)
    except ArcollectError as exc:
        fail(exc)
        return
    echo(f"message {message_id} approved")


@outbox_app.command("send")
def outbox_send(limit: Optional[int] = typer.Option(None, "--limit", min=1)) -> None:
    """Send the queued messages whose recipients' business hours have come."""
    try:
        counts = outbox.send_due(context(), limit=limit)
    except ArcollectError as exc:
        fail(exc)
        return
    echo(f"sent {counts['sent']}, suppressed {counts['suppressed']}, failed {counts['failed']}")
    if counts.get("error"):
        echo(f"  {counts['error']} (the messages stay queued)")


def letter(
    kind: str = typer.Argument(..., help="statement | final_notice | demand", metavar="KIND"),
    customer_id: str = typer.Argument(..., metavar="CUSTOMER_ID"),
    output: Optional[str] = typer.Option(None, "--output", "-o", help="PDF file (default: KIND-CUSTOMER-DATE.pdf)"),
    as_of: Optional[str] = typer.Option(None, "--as-of"),
) -> None:
    """Write a statement of account, final notice or demand letter as PDF."""
    from pathlib import Path

    date = parse_date(as_of, "--as-of")
    try:
        pdf, name = documents.letter(context(), customer_id=customer_id, kind=kind, as_of=date)
    except ArcollectError as exc:
        fail(exc)
        return
    target = Path(output or name)
    target.write_bytes(pdf)
    echo(f"{target} ({len(pdf):,} bytes)")
