"""Escalation commands: escalation run | propose | list | show | approve | reject | cancel | history | export,
escalation policy validate | load | show, and plan list."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

from arcollect.disputes import service as disputes
from arcollect.escalations import service as esc
from arcollect.escalations import policy as E
from arcollect.cli.common import check_format, context, echo, fail, parse_date, print_rows, read_text, write_bytes
from arcollect.errors import ArcollectError

escalation_app = typer.Typer(help="Escalations (proposals, the manager's decisions) and the escalation policy.",
                             no_args_is_help=True)
policy_app = typer.Typer(help="The escalation policy: rules and the approval matrix (YAML).", no_args_is_help=True)
plan_app = typer.Typer(help="Instalment plans.", no_args_is_help=True)
escalation_app.add_typer(policy_app, name="policy")


@escalation_app.command("run")
def escalation_run(as_of: Optional[str] = typer.Option(None, "--as-of")) -> None:
    """Apply the policy's rules (new proposals) and follow approved settlements and plans."""
    try:
        result = esc.run(context(), as_of=parse_date(as_of, "--as-of"))
    except ArcollectError as exc:
        fail(exc)
        return
    echo(f"{len(result['proposed'])} proposed, {len(result['completed'])} completed, {len(result['broken'])} broken")


@escalation_app.command("propose")
def escalation_propose(
    customer: str = typer.Option(..., "--customer"),
    action: str = typer.Option(..., "--action", help=" | ".join(E.ACTIONS)),
    currency: Optional[str] = typer.Option(None, "--currency", help="default: the customer's"),
    invoices: Optional[str] = typer.Option(None, "--invoices", help="I1[:AMOUNT],I2 (default: every undisputed open one)"),
    settle_amount: Optional[str] = typer.Option(None, "--settle-amount", help="settlement: what the customer pays"),
    pay_by: Optional[str] = typer.Option(None, "--pay-by", help="settlement: YYYY-MM-DD"),
    instalments: Optional[str] = typer.Option(None, "--instalments", help="plan: DATE:AMOUNT,DATE:AMOUNT …"),
    count: Optional[int] = typer.Option(None, "--count", help="plan: that many equal instalments"),
    every: int = typer.Option(30, "--every", help="plan: days between instalments"),
    first: Optional[str] = typer.Option(None, "--first", help="plan: the first instalment's date"),
    note: Optional[str] = typer.Option(None, "--note"),
) -> None:
    """Propose an escalation for a manager's decision; prints its id."""
    try:
        schedule = []
        for part in (instalments or "").split(","):
            if part.strip():
                day, _, amount = part.strip().partition(":")
                schedule.append((parse_date(day, "--instalments"), amount))
        result = esc.propose(context(), customer_id=customer, action=action, currency=currency, note=note,
                             invoices=disputes.parse_invoice_args([invoices]) if invoices else (),
                             settle_amount=settle_amount, pay_by=parse_date(pay_by, "--pay-by"), instalments=schedule,
                             instalment_count=count, every_days=every, first_due=parse_date(first, "--first"))
    except ArcollectError as exc:
        fail(exc)
        return
    echo(result["id"])


@escalation_app.command("list")
def escalation_list(
    status: Optional[str] = typer.Option(None, "--status", help=" | ".join(E.STATUSES)),
    action: Optional[str] = typer.Option(None, "--action"),
    customer: Optional[str] = typer.Option(None, "--customer"),
    fmt: str = typer.Option("table", "--format", help="table | json"),
) -> None:
    """Escalations, the oldest proposals first."""
    check_format(fmt)
    try:
        rows = esc.list_escalations(context(), status=status, action=action, customer_id=customer)
    except ArcollectError as exc:
        fail(exc)
        return
    print_rows(fmt, rows, ("id", "customer", "action", "status", "amount", "approvers", "proposed", "why"), lambda r: (
        r["id"], r["customer_id"], r["action"], r["status"], f"{r['amount']} {r['currency']}", ", ".join(r["approvers"]),
        f"{r['proposed_on']} {r['proposed_by']}", "; ".join(r["reasons"])))


@escalation_app.command("show")
def escalation_show(escalation_id: str = typer.Argument(..., metavar="ID")) -> None:
    """An escalation with the account's case history (JSON)."""
    try:
        echo(json.dumps(esc.detail(context(), escalation_id=escalation_id), indent=2, default=str))
    except ArcollectError as exc:
        fail(exc)


def _decide(escalation_id: str, login: str, approve: bool, note: str | None) -> None:
    try:
        result = esc.decide_as_user(context(), login=login, escalation_id=escalation_id, approve=approve, note=note)
    except ArcollectError as exc:
        fail(exc)
        return
    echo(f"escalation {result['id']}: {result['status']}")


@escalation_app.command("approve")
def escalation_approve(escalation_id: str = typer.Argument(..., metavar="ID"),
                       login: str = typer.Option(..., "--as", help="the approver (a user; the matrix checks the role)"),
                       note: Optional[str] = typer.Option(None, "--note")) -> None:
    """Approve an escalation and carry its action out (refused unless the matrix allows the approver)."""
    _decide(escalation_id, login, True, note)


@escalation_app.command("reject")
def escalation_reject(escalation_id: str = typer.Argument(..., metavar="ID"),
                      login: str = typer.Option(..., "--as", help="the approver (a user; the matrix checks the role)"),
                      note: Optional[str] = typer.Option(None, "--note")) -> None:
    """Reject a proposed escalation."""
    _decide(escalation_id, login, False, note)


@escalation_app.command("cancel")
def escalation_cancel(escalation_id: str = typer.Argument(..., metavar="ID"),
                      note: Optional[str] = typer.Option(None, "--note")) -> None:
    """Withdraw a proposal, or stop following an approved settlement or plan."""
    try:
        result = esc.cancel(context(), escalation_id=escalation_id, note=note)
    except ArcollectError as exc:
        fail(exc)
        return
    echo(f"escalation {result['id']}: {result['status']}")


@escalation_app.command("history")
def escalation_history(customer: str = typer.Option(..., "--customer"),
                       output: Path = typer.Option(..., "--output", "-o", help="the PDF file to write")) -> None:
    """The account's case history as a PDF (header, aging, timeline, promises, disputes, escalations)."""
    from arcollect.outreach import case_report

    try:
        pdf = case_report.case_history_pdf(context(), customer_id=customer)
    except ArcollectError as exc:
        fail(exc)
        return
    write_bytes(output, pdf)


@escalation_app.command("export")
def escalation_export(escalation_id: str = typer.Argument(..., metavar="ID"),
                      output: Path = typer.Option(..., "--output", "-o", help="the .zip file to write")) -> None:
    """The agency package of an approved placement: items CSV + case history PDF (zip)."""
    from arcollect.outreach import case_report

    try:
        data, _ = case_report.agency_package(context(), escalation_id=escalation_id)
    except ArcollectError as exc:
        fail(exc)
        return
    write_bytes(output, data)


@policy_app.command("validate")
def policy_validate(file: Path = typer.Argument(..., help="YAML file, - for stdin")) -> None:
    """Check a policy; every problem with its line."""
    try:
        policy = esc.validate_policy(read_text(file), source=str(file))
    except ArcollectError as exc:
        fail(exc)
        return
    echo(f"{file}: valid — {policy.name}: {len(policy.rules)} rules, matrix for {len(policy.approvals)} actions")


@policy_app.command("load")
def policy_load(file: Path = typer.Argument(..., help="YAML file, - for stdin")) -> None:
    """Validate and put a policy in force (a new version)."""
    try:
        result = esc.load_policy(context(), text=read_text(file), source=str(file))
    except ArcollectError as exc:
        fail(exc)
        return
    echo(f"escalation policy version {result['version']} ({result['name']})"
         + ("" if result["changed"] else " — unchanged"))


@policy_app.command("show")
def policy_show() -> None:
    """Print the policy in force."""
    try:
        active = esc.active_policy(context())
    except ArcollectError as exc:
        fail(exc)
        return
    echo(f"# version {active.version}{' (built-in default)' if active.version == 0 else ''}\n{active.source}")


@plan_app.command("list")
def plan_list(customer: Optional[str] = typer.Option(None, "--customer"),
              fmt: str = typer.Option("table", "--format", help="table | json")) -> None:
    """Instalment plans with each instalment's status."""
    check_format(fmt)
    try:
        rows = esc.plans(context(), customer_id=customer)
    except ArcollectError as exc:
        fail(exc)
        return
    print_rows(fmt, rows, ("id", "customer", "status", "total", "paid", "instalments"), lambda r: (
        r["id"], r["customer_id"], r["status"], f"{r['total']} {r['currency']}", r["paid"],
        " · ".join(f"{i['due_on']} {i['amount']} {i['status']}" for i in r["instalments"])))
