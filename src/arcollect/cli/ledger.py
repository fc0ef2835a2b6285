"""Ledger commands: init, import, aging, customer show."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Optional

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from arcollect.cli.common import console, context, echo, err_console, fail, parse_date
from arcollect.errors import ArcollectError, InvalidInput
from arcollect.ledger import aging as A
from arcollect.ledger import service
from arcollect.ledger.aging_export import to_csv, write_xlsx
from arcollect.ledger.import_rows import KINDS
from arcollect.money import format_money, money_str

customer_app = typer.Typer(help="Customer accounts.", no_args_is_help=True)


def init() -> None:
    """Create or upgrade the database schema (idempotent)."""
    try:
        ctx = context()
        ctx.ensure_schema()
    except ArcollectError as exc:
        fail(exc)
    echo(f"database ready: {ctx.engine.url.render_as_string(hide_password=True)}")


def import_(
    kind: str = typer.Argument(..., help=f"One of: {', '.join(KINDS)}", metavar="KIND"),
    file: Path = typer.Argument(..., help="CSV (UTF-8, header row) or XLSX (first sheet)"),
    partial: bool = typer.Option(False, "--partial", help="Import the valid rows; write the others to FILE.rejected.csv"),
    as_json: bool = typer.Option(False, "--json", help="Print a machine-readable summary"),
    mapping: Optional[list[str]] = typer.Option(None, "--map", help="Rename columns: SRC=DST[,SRC=DST...] (repeatable)"),
    map_file: Optional[Path] = typer.Option(None, "--map-file", help="File of SRC=DST lines"),
    date_format: Optional[str] = typer.Option(None, "--date-format", help="strptime format of date cells, e.g. %m/%d/%Y"),
    ignore_unknown: bool = typer.Option(False, "--ignore-unknown", help="Ignore unknown columns instead of keeping them as custom fields"),
) -> None:
    """Import customers, contacts, invoices, credit notes or payments (atomic, idempotent)."""
    if kind not in KINDS:
        raise typer.BadParameter(f"{kind!r} is not one of {', '.join(KINDS)}", param_hint="KIND")
    try:
        ctx = context()
        show_bar = not as_json and err_console.is_terminal
        with Progress(TextColumn(f"importing {kind}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      console=err_console, disable=not show_bar, transient=True) as bar:
            task = bar.add_task("rows", total=None)
            result = service.import_file(ctx, kind=kind, path=file, mapping=mapping, mapping_file=map_file,
                                         date_format=date_format, partial=partial,
                                         keep_unknown=not ignore_unknown, progress=lambda n: bar.advance(task, n))
    except ArcollectError as exc:
        if as_json:
            problems = getattr(exc, "problems", []) or [str(exc)]
            echo(json.dumps({"created": 0, "updated": 0, "unchanged": 0, "rejected": 0, "errors": problems}))
        fail(exc)
        return
    for warning in result.warnings:
        err_console.print(f"warning: {warning}", highlight=False, soft_wrap=True)
    failed = bool(result.errors) and not partial
    if not failed:
        from arcollect.disputes import service as disputes

        for dispute in disputes.after_import(ctx, kind):
            err_console.print(f"dispute {dispute} closed: the ledger shows its money settled", highlight=False)
    if as_json:
        echo(json.dumps(result.summary()))
    else:
        verb = "nothing imported" if failed else f"{result.created} created, {result.updated} updated, {result.unchanged} unchanged"
        echo(f"{kind}: {verb}, {result.rejected} rejected")
        if result.rejected_file:
            echo(f"rejected rows written to {result.rejected_file}")
    for problem in result.errors:
        err_console.print(problem, highlight=False, soft_wrap=True, markup=False)
    if failed:
        raise typer.Exit(1)


def aging(
    as_of: Optional[str] = typer.Option(None, "--as-of", help="Date of the aging (default: today)"),
    by: str = typer.Option("customer", "--by", help="customer | collector | currency | total"),
    basis: str = typer.Option("due", "--basis", help="due | issue"),
    buckets: Optional[str] = typer.Option(None, "--buckets", help="Bucket bounds in days, e.g. 0,30,60,90"),
    fmt: str = typer.Option("table", "--format", help="table | json | csv | xlsx"),
    output: Optional[Path] = typer.Option(None, "--output", help="Write to this file (required for xlsx)"),
    collector: Optional[str] = typer.Option(None, "--collector", help="Only this collector's customers"),
    currency: Optional[str] = typer.Option(None, "--currency", help="Only this currency"),
) -> None:
    """Aged receivables as of a date, by customer, collector, currency or in total."""
    if fmt not in ("table", "json", "csv", "xlsx"):
        raise typer.BadParameter(f"{fmt!r} is not one of table, json, csv, xlsx", param_hint="--format")
    if fmt == "xlsx" and output is None:
        raise typer.BadParameter("xlsx needs --output FILE", param_hint="--format")
    date = parse_date(as_of, "--as-of")
    try:
        ctx = context()
        report = service.aging(ctx, as_of=date or ctx.clock.today(), by=by, basis=basis, buckets=buckets,
                               collector=collector, currency=currency.upper() if currency else None)
    except ArcollectError as exc:
        fail(exc)
        return
    if fmt == "xlsx":
        write_xlsx(report, output)
        echo(f"aging written to {output}")
        return
    if fmt == "table" and output is None:
        _print_table(report)
        return
    pieces = A.iter_json(report) if fmt == "json" else [to_csv(report)]  # table to a file: CSV
    if output:
        with output.open("w", encoding="utf-8") as handle:
            handle.writelines(pieces)
        echo(f"aging written to {output}")
    else:
        sys.stdout.writelines(pieces)


def _print_table(report: A.AgingReport) -> None:
    table = Table(title=f"Aging as of {report.as_of} by {report.by} ({report.basis} date)", show_lines=False)
    for col in ("key", "name", "cur"):
        table.add_column(col, no_wrap=col != "name", max_width=32 if col == "name" else None)
    for name in [*report.bucket_names, "total", "unapplied", "net", "disputed"]:
        table.add_column(name, justify="right", no_wrap=True)
    for row in report.rows:
        table.add_row(row.key, row.name, row.currency,
                      *(money_str(v, row.currency) for v in
                        [*row.buckets, row.total, row.unapplied_cash + row.unapplied_credits, row.net_balance,
                         row.disputed]))
    for total in report.totals:
        table.add_row("[b]TOTAL[/b]", "", total.currency,
                      *(f"[b]{money_str(v, total.currency)}[/b]" for v in
                        [*total.buckets, total.total, total.unapplied_cash + total.unapplied_credits, total.net_balance,
                         total.disputed]),
                      end_section=False)
    console.print(table)
    for currency, amount in sorted(report.unidentified_cash.items()):
        console.print(f"Unidentified cash (no customer): {format_money(amount, currency)}")


@customer_app.command("show")
def customer_show(
    customer_id: str = typer.Argument(..., metavar="ID"),
    as_of: Optional[str] = typer.Option(None, "--as-of"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """An account: header, open items with days past due, unapplied cash and credits."""
    date = parse_date(as_of, "--as-of")
    try:
        ctx = context()
        view = service.customer_overview(ctx, customer_id=customer_id, as_of=date or ctx.clock.today())
    except ArcollectError as exc:
        fail(exc)
        return
    c = view.customer
    if as_json:
        echo(json.dumps({
            "customer": {**c, "credit_limit": money_str(c["credit_limit"], c["currency"]) if c["credit_limit"] is not None else None,
                         "parent_id": view.parent_id, "children": view.children},
            "contacts": view.contacts, "as_of": view.as_of.isoformat(),
            "open_items": [{"invoice_id": i["invoice_id"], "issue_date": i["issue_date"].isoformat(),
                            "due_date": i["due_date"].isoformat(), "days_past_due": i["days_past_due"],
                            "amount": money_str(i["amount"], i["currency"]), "currency": i["currency"],
                            "open_amount": money_str(i["open_amount"], i["currency"]), "po_number": i["po_number"]}
                           for i in view.open_items],
            "unapplied_cash": {k: money_str(v, k) for k, v in view.unapplied_cash.items()},
            "unapplied_credits": {k: money_str(v, k) for k, v in view.unapplied_credits.items()},
            "open_balance": {k: money_str(v, k) for k, v in view.open_balance.items()}}, indent=2))
        return
    console.print(f"[b]{c['customer_id']}  {c['name']}[/b]", highlight=False)
    limit = format_money(c["credit_limit"], c["currency"]) if c["credit_limit"] is not None else "-"
    console.print(f"terms {c['payment_terms_days'] or '-'} days · credit limit {limit} · {c['country'] or '-'} · "
                  f"{c['timezone'] or '-'} · segment {c['segment'] or '-'} · collector {c['collector'] or '-'}",
                  highlight=False)
    if view.parent_id or view.children:
        console.print(f"parent {view.parent_id or '-'} · children {', '.join(view.children) or '-'}", highlight=False)
    for k in view.contacts:
        console.print(f"  {k['role']:<10} {k['name'] or '':<24} {k['email']}{'  (primary)' if k['primary'] else ''}",
                      highlight=False)
    table = Table(title=f"Open items as of {view.as_of}")
    for col, just in (("invoice", "left"), ("PO", "left"), ("issued", "left"), ("due", "left"),
                      ("days past due", "right"), ("amount", "right"), ("open", "right")):
        table.add_column(col, justify=just, no_wrap=True)
    for i in view.open_items:
        table.add_row(i["invoice_id"], i["po_number"] or "", str(i["issue_date"]), str(i["due_date"]),
                      str(i["days_past_due"]), money_str(i["amount"], i["currency"]),
                      money_str(i["open_amount"], i["currency"]) + " " + i["currency"])
    console.print(table)
    if not view.open_items:
        console.print("no open items")
    for cur, amount in view.open_balance.items():
        console.print(f"open balance {format_money(amount, cur)}", highlight=False)
    for cur, amount in view.unapplied_cash.items():
        console.print(f"unapplied cash {format_money(amount, cur)}", highlight=False)
    for cur, amount in view.unapplied_credits.items():
        console.print(f"unapplied credits {format_money(amount, cur)}", highlight=False)


def demo(
    customers: int = typer.Option(200, "--customers", min=1, help="How many customer accounts"),
    seed: int = typer.Option(42, "--seed", help="Same seed, same portfolio"),
    as_of: Optional[str] = typer.Option(None, "--as-of", help="The book ends on this date (default: today)"),
    if_empty: bool = typer.Option(False, "--if-empty", help="Do nothing when the ledger already has customers"),
    with_users: bool = typer.Option(False, "--with-users",
                                    help="Also create a demo admin and a demo collector (passwords printed once)"),
) -> None:
    """Load a realistic demo portfolio into an empty ledger."""
    date = parse_date(as_of, "--as-of")
    try:
        ctx = context()
        if if_empty and not service.is_empty(ctx):
            echo("the ledger already has data: demo not loaded")
            if with_users:
                _demo_users(ctx)
            return
        with Progress(TextColumn("generating demo"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      console=err_console, disable=not err_console.is_terminal, transient=True) as bar:
            task = bar.add_task("customers", total=customers)
            counts = service.load_demo(ctx, customers=customers, seed=seed, as_of=date,
                                       progress=lambda n: bar.advance(task, n))
    except ArcollectError as exc:
        fail(exc)
        return
    echo("demo loaded: " + ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in counts.items()))
    if with_users:
        _demo_users(ctx)


def _demo_users(ctx) -> None:  # noqa: ANN001
    from arcollect.auth import service as auth

    created = auth.ensure_demo_users(ctx)
    for login, role, password in created:
        echo(f"demo {role}: login {login}  password {password}   (shown once; reset with "
             f"`arcollect user password {login}`)")
    if not created:
        echo("demo users exist already (reset a password with `arcollect user password LOGIN`)")


__all__ = ["aging", "customer_app", "demo", "import_", "init", "InvalidInput"]


@customer_app.command("flag")
def customer_flag(
    customer_id: str = typer.Argument(..., metavar="ID"),
    risk: Optional[str] = typer.Option(None, "--risk", help="low | medium | high | none"),
    do_not_contact: Optional[bool] = typer.Option(None, "--do-not-contact/--contact-ok", help="No emails, calls or letters"),
    credit_hold: Optional[bool] = typer.Option(None, "--credit-hold/--no-credit-hold"),
) -> None:
    """Set an account's collections flags (risk class, do-not-contact, credit hold); audited."""
    changes: dict[str, object] = {}
    if risk is not None:
        changes["risk"] = "" if risk == "none" else risk
    if do_not_contact is not None:
        changes["do_not_contact"] = do_not_contact
    if credit_hold is not None:
        changes["credit_hold"] = credit_hold
    if not changes:
        raise typer.BadParameter("give at least one of --risk, --do-not-contact/--contact-ok, --credit-hold/--no-credit-hold")
    try:
        header = service.update_customer(context(), customer_id=customer_id, changes=changes)
    except ArcollectError as exc:
        fail(exc)
        return
    echo(f"{customer_id}: risk {header['risk'] or 'none'}, do not contact {'yes' if header['do_not_contact'] else 'no'},"
         f" credit hold {'yes' if header['credit_hold'] else 'no'}")
