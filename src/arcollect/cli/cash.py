"""Cash application commands (CONTRACT §9): cash import | match | lines | apply | unapply | exclude | move | writeoff."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from arcollect.cashapp import service as cash
from arcollect.cli.common import check_format, context, echo, err_console, fail, parse_date, print_rows
from arcollect.errors import ArcollectError, InvalidInput

cash_app = typer.Typer(help="Cash application: bank files in, remittances matched, payments applied.",
                       no_args_is_help=True)


def _mapping(value: str | None) -> str | None:
    """--map: a CSV column mapping, given inline or as the name of a file holding it."""
    if value is None:
        return None
    path = Path(value)
    if path.is_file():
        try:
            return path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise InvalidInput(f"{path}: cannot read the mapping: {exc}") from None
    return value


@cash_app.command("import")
def cash_import(
    file: Path = typer.Argument(..., help="BAI2, camt.052/053/054 (also zipped), MT940/MT942 or CSV"),
    fmt: str = typer.Option("auto", "--format", help="auto | bai2 | camt | mt940 | csv"),
    mapping: Optional[str] = typer.Option(None, "--map", help="CSV column mapping (inline, or a file holding it)"),
    as_json: bool = typer.Option(False, "--json", help="Print the machine-readable summary"),
) -> None:
    """Import a bank statement or notification (atomic, idempotent: lines seen before are duplicates)."""
    if fmt not in cash.FORMATS:
        raise typer.BadParameter(f"{fmt!r} is not one of {', '.join(cash.FORMATS)}", param_hint="--format")
    try:
        result = cash.import_file(context(), path=file, fmt=fmt, mapping=_mapping(mapping))
    except ArcollectError as exc:
        fail(exc)
        return
    if as_json:
        echo(json.dumps(result))
        return
    for s in result["statements"]:
        stated = s["balance_check"] != "n/a"  # n/a: the file states no balance (the JSON then says 0.00)
        echo(f"{s['account']} {s['currency']}: {s['lines']} lines, credits {s['credits']}, debits {s['debits']}, "
             f"opening {s['opening'] if stated else 'not stated'}, closing {s['closing'] if stated else 'not stated'}, "
             f"balance check {s['balance_check']}")
    echo(f"{result['created']} new lines, {result['duplicates']} duplicates")


@cash_app.command("match")
def cash_match(
    as_of: Optional[str] = typer.Option(None, "--as-of", help="Open items as of this date (default: today)"),
    as_json: bool = typer.Option(False, "--json", help="Print the machine-readable summary"),
) -> None:
    """Match every credit line not yet applied: certain ones are applied, the others wait with proposals."""
    day = parse_date(as_of, "--as-of")
    try:
        ctx = context()
        show_bar = not as_json and err_console.is_terminal  # a progress bar on a terminal, never in --json
        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      console=err_console, disable=not show_bar, transient=True, redirect_stderr=False,
                      redirect_stdout=False) as bar:
            task = bar.add_task("reading lines", total=None)

            def tell(phase: str, done: int, total: int) -> None:
                bar.update(task, description=f"{phase} lines", completed=done, total=total or None,
                           refresh=done in (0, total))  # drawn at once at each phase's start and end

            result = cash.match_tracked(ctx, as_of=day, progress=tell)
    except ArcollectError as exc:
        fail(exc)
        return
    if as_json:
        echo(json.dumps(result))
    else:
        echo(f"{result['lines']} lines: {result['applied']} applied, {result['proposed']} waiting for review, "
             f"{result['unidentified']} unidentified")
        if result.get("skipped_closed"):
            n = result["skipped_closed"]
            echo(f"{n} line{'' if n == 1 else 's'} in closed months skipped (reopen the month to match them)")
    for problem in result["errors"]:
        err_console.print(problem, highlight=False, soft_wrap=True, markup=False)


@cash_app.command("lines")
def cash_lines(
    status: Optional[str] = typer.Option(None, "--status", help="unmatched | proposed | applied | excluded"),
    fmt: str = typer.Option("table", "--format", help="table | json"),
) -> None:
    """Bank lines, newest first."""
    check_format(fmt)
    try:
        rows = cash.lines(context(), status=status)
    except ArcollectError as exc:
        fail(exc)
        return
    print_rows(fmt, rows, ("id", "date", "amount", "currency", "payer", "reference", "status", "customer", "invoices"),
               lambda r: (r["id"], r["date"], r["amount"], r["currency"], r["payer"], r["reference"], r["status"],
                          r["customer_id"] or "", ", ".join(a["invoice_id"] for a in r["applications"])))


@cash_app.command("apply")
def cash_apply(
    line_id: str = typer.Argument(..., metavar="LINE_ID"),
    invoices: str = typer.Option("", "--invoices", help="I1[:AMOUNT],I2 — an amount each, or what is left, in order"),
    customer: Optional[str] = typer.Option(None, "--customer", help="The customer the cash belongs to "
                                                                    "(default: the invoices' customer)"),
) -> None:
    """Apply a bank line by hand; the rest stays unapplied on the customer. Teaches the payer's account and name."""
    try:
        line = cash.apply(context(), line_id=line_id, invoices=cash.parse_invoices(invoices), customer_id=customer)
    except ArcollectError as exc:
        fail(exc)
        return
    parts = ", ".join(f"{a['invoice_id']} {a['amount']}" for a in line["applications"]) or "nothing applied"
    echo(f"line {line['id']} applied to {line['customer_id']}: {parts}")


@cash_app.command("unapply")
def cash_unapply(line_id: str = typer.Argument(..., metavar="LINE_ID"),
                 reason: str = typer.Option("unapplied", "--reason", help="Why (kept in the audit log)")) -> None:
    """Reverse what a bank line applied (reversal rows; nothing erased); the line is unmatched again."""
    try:
        line = cash.unapply(context(), line_id=line_id, reason=reason)
    except ArcollectError as exc:
        fail(exc)
        return
    echo(f"line {line['id']}: {line['status']}")


@cash_app.command("exclude")
def cash_exclude(line_id: str = typer.Argument(..., metavar="LINE_ID"),
                 reason: str = typer.Option(..., "--reason", help="Why the line needs no matching")) -> None:
    """Exclude a bank line from matching (an own transfer, a bank error)."""
    try:
        line = cash.exclude(context(), line_id=line_id, reason=reason)
    except ArcollectError as exc:
        fail(exc)
        return
    echo(f"line {line['id']}: {line['status']}")


@cash_app.command("move")
def cash_move(
    line_id: str = typer.Argument(..., metavar="LINE_ID"),
    customer: Optional[str] = typer.Option(None, "--customer", help="The customer the cash belongs to "
                                                                    "(default: the invoices' customer)"),
    invoices: str = typer.Option("", "--invoices", help="I1[:AMOUNT],I2 — an amount each, or what is left, in order"),
    reason: str = typer.Option(..., "--reason", help="Why it moves (kept in the audit log and the reversals)"),
    as_json: bool = typer.Option(False, "--json", help="Print the line as `cash lines --format json` does"),
) -> None:
    """Move misapplied cash to another customer or invoice: what the line applied is reversed (nothing erased)
    and applied again, in one transaction."""
    try:
        line = cash.move(context(), line_id=line_id, customer_id=customer, invoices=cash.parse_invoices(invoices),
                         reason=reason)
    except ArcollectError as exc:
        fail(exc)
        return
    if as_json:
        echo(json.dumps(line))
        return
    parts = ", ".join(f"{a['invoice_id']} {a['amount']}" for a in line["applications"]) or "on account"
    echo(f"line {line['id']} moved to {line['customer_id']}: {parts}")


@cash_app.command("writeoff")
def cash_writeoff(
    line_id: str = typer.Argument(..., metavar="LINE_ID"),
    invoice: str = typer.Option(..., "--invoice", help="The invoice the line short-paid"),
    amount: str = typer.Option(..., "--amount", help="The residual to write off"),
    reason: str = typer.Option(..., "--reason", help=" | ".join(cash.WRITEOFF_REASONS)),
    note: Optional[str] = typer.Option(None, "--note", help="A word for the approver"),
    as_json: bool = typer.Option(False, "--json", help="Print the outcome as JSON"),
) -> None:
    """Write off the residual a line left on an invoice it short-paid: at once within the auto limit
    (ARCOLLECT_CASH_WRITEOFF_AUTO_LIMIT), else a write-off escalation for an approver of the matrix."""
    try:
        done = cash.write_off(context(), line_id=line_id, invoice_id=invoice, amount=amount, reason=reason, note=note)
    except ArcollectError as exc:
        fail(exc)
        return
    if as_json:
        echo(json.dumps(done))
    elif done["status"] == "written_off":
        echo(f"written off {invoice} {done['invoices'][0]['amount']} {done['currency']} ({done['reason']})")
    else:
        echo(f"write-off escalation {done['escalation_id']} proposed: {invoice} {done['invoices'][0]['amount']} "
             f"{done['currency']} waits for a {' or '.join(done['approvers']) or 'approver'}")
