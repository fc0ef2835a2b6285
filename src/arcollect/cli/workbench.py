"""Workbench commands (CONTRACT §5): worklist, promise, call, playbook, action."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer
from rich.table import Table

from arcollect.promises import service as promises
from arcollect.promises.models import CALL_OUTCOMES
from arcollect.cli.common import check_format, console, context, echo, err_console, fail, parse_date, read_text
from arcollect.context import Context
from arcollect.errors import ArcollectError
from arcollect.playbook import service as playbooks
from arcollect.risk import service as risk
from arcollect.worklist import service as worklists

promise_app = typer.Typer(help="Promises to pay.", no_args_is_help=True)
call_app = typer.Typer(help="Calls.", no_args_is_help=True)
playbook_app = typer.Typer(help="The collections playbook.", no_args_is_help=True)
action_app = typer.Typer(help="Worklist actions.", no_args_is_help=True)


def _dump(data: object) -> None:
    echo(json.dumps(data, default=str, indent=2))


def _retrain(ctx: Context) -> None:
    with ctx.unit_of_work() as session:
        done = risk.retrain_if_due(session, ctx.clock.now(), every_days=ctx.settings.predict_retrain_days,
                                   actor=ctx.actor)
    if done["trained"]:
        m = done["metrics"].get("model", {})
        err_console.print(f"Prediction model version {done['version']} trained ({done['reason']}): "
                          f"MAE {m.get('mae')} days, {m.get('within_3')} % within ±3 days.")


def worklist(
    as_of: Optional[str] = typer.Option(None, "--as-of", help="Date (default: today)"),
    collector: Optional[str] = typer.Option(None, "--collector", help="One collector's worklist"),
    fmt: str = typer.Option("table", "--format", help="table | json"),
    limit: Optional[int] = typer.Option(None, "--limit", min=1, help="Only the first N accounts"),
    full: bool = typer.Option(False, "--full", help="Evaluate every account (default: only those whose inputs "
                              "changed or whose next step may come today)"),
) -> None:
    """Run the playbook for the date (idempotent) and print the prioritized worklist.

    The daily run (today, everyone's) first retrains the payment-prediction model when it is older than
    ARCOLLECT_PREDICT_RETRAIN_DAYS (or none is stored) and there is enough history."""
    fmt = check_format(fmt)
    date = parse_date(as_of, "--as-of")
    try:
        ctx = context()
        date = date or ctx.clock.today()
        if collector is None and date == ctx.clock.today():
            _retrain(ctx)
        done = worklists.run(ctx, as_of=date, collector=collector, full=full)
        err_console.print(f"{done['evaluated']:,} accounts evaluated, {done['skipped']:,} unchanged (skipped)")
        data = worklists.worklist(ctx, as_of=date, collector=collector, ensure=False, limit=limit)
    except ArcollectError as exc:
        fail(exc)
        return
    if fmt == "json":
        items = [{"customer_id": i["customer_id"], "collector": i["collector"], "priority": i["priority"],
                  "reasons": i["reasons"], "parts": i["parts"], "callback": i["callback"],
                  "actions": [{k: a[k] for k in ("id", "kind", "step", "invoices", "due", "needs_approval")}
                              for a in i["actions"]]} for i in data["items"]]
        _dump({"as_of": data["as_of"], "items": items})
        return
    table = Table("#", "customer", "collector", "priority", "actions", "why", title=f"Worklist {data['as_of']}")
    for n, i in enumerate(data["items"], 1):
        acts = ", ".join(f"{a['kind']}:{a['step']}" + (" (approval)" if a["needs_approval"] else "") for a in i["actions"])
        table.add_row(str(n), f"{i['customer_id']} {i['name']}", i["collector"] or "", f"{i['priority']:.1f}",
                      acts + (f" callback {i['callback']}" if i["callback"] else ""), "; ".join(i["reasons"][:2]))
    console.print(table)
    echo(f"{data['total']} accounts to work")


@promise_app.command("add")
def promise_add(
    customer: str = typer.Option(..., "--customer", help="Customer id"),
    amount: str = typer.Option(..., "--amount", help="Amount promised, e.g. 1250.00"),
    date: str = typer.Option(..., "--date", help="Promised payment date YYYY-MM-DD"),
    invoices: Optional[str] = typer.Option(None, "--invoices", help="I1,I2 (default: the account)"),
    channel: str = typer.Option("call", "--channel", help="call | email | portal | letter | other"),
    contact: Optional[str] = typer.Option(None, "--contact", help="Email of the contact who promised"),
    note: Optional[str] = typer.Option(None, "--note"),
) -> None:
    """Record a promise to pay; prints the new promise's id."""
    when = parse_date(date, "--date")
    try:
        promise = worklists.add_promise(context(), customer_id=customer, amount=amount, promised_date=when,
                                        invoices=(invoices or "").split(","), channel=channel, contact=contact,
                                        note=note)
    except ArcollectError as exc:
        fail(exc)
        return
    echo(promise["id"])


@promise_app.command("list")
def promise_list(
    customer: Optional[str] = typer.Option(None, "--customer"),
    as_of: Optional[str] = typer.Option(None, "--as-of", help="Status as of this date (default: today)"),
    status: Optional[str] = typer.Option(None, "--status", help="open | kept | partially_kept | broken | cancelled"),
    fmt: str = typer.Option("table", "--format", help="table | json"),
) -> None:
    """Promises with their status as of a date (kept/broken from the payments applied)."""
    fmt = check_format(fmt)
    date = parse_date(as_of, "--as-of")
    try:
        ctx = context()
        rows = promises.list_promises(ctx, as_of=date or ctx.clock.today(), customer_id=customer, status=status)
    except ArcollectError as exc:
        fail(exc)
        return
    if fmt == "json":
        _dump([{k: r[k] for k in ("id", "customer_id", "amount", "currency", "date", "invoices", "status", "paid")}
               for r in rows])
        return
    table = Table("id", "customer", "amount", "date", "invoices", "status", "paid")
    for r in rows:
        table.add_row(r["id"], r["customer_id"], f"{r['amount']} {r['currency']}", r["date"], ", ".join(r["invoices"]),
                      r["status"], r["paid"])
    console.print(table)


@promise_app.command("cancel")
def promise_cancel(promise_id: str = typer.Argument(..., metavar="ID"),
                   note: Optional[str] = typer.Option(None, "--note")) -> None:
    """Cancel an open promise."""
    try:
        promises.cancel_promise(context(), promise_id=promise_id, note=note)
    except ArcollectError as exc:
        fail(exc)
        return
    echo(f"promise {promise_id} cancelled")


@promise_app.command("rates")
def promise_rates(by: str = typer.Option("collector", "--by", help="collector | customer"),
                  as_of: Optional[str] = typer.Option(None, "--as-of")) -> None:
    """Kept rate (kept ÷ resolved promises) per collector or customer."""
    date = parse_date(as_of, "--as-of")
    try:
        ctx = context()
        rows = promises.kept_rates(ctx, as_of=date or ctx.clock.today(), by=by)
    except ArcollectError as exc:
        fail(exc)
        return
    table = Table(by, "kept rate", "promises", "kept", "partially kept", "broken", "open", "cancelled")
    for r in rows:
        table.add_row(r[by], r["kept_rate"] or "–", str(r["promises"]), str(r["kept"]), str(r["partially_kept"]),
                      str(r["broken"]), str(r["open"]), str(r["cancelled"]))
    console.print(table)


@call_app.command("log")
def call_log(
    customer: str = typer.Option(..., "--customer"),
    outcome: str = typer.Option(..., "--outcome", help=" | ".join(CALL_OUTCOMES)),
    note: Optional[str] = typer.Option(None, "--note"),
    follow_up: Optional[str] = typer.Option(None, "--follow-up", help="Call back on this date"),
    contact: Optional[str] = typer.Option(None, "--contact", help="Email of the contact spoken to"),
    invoices: Optional[str] = typer.Option(None, "--invoices", help="I1,I2 discussed (dispute: opens a dispute on them)"),
    reason: Optional[str] = typer.Option(None, "--reason", help="Dispute reason code (outcome dispute; default other)"),
) -> None:
    """Log a call with its outcome; completes the account's open call tasks."""
    if outcome not in CALL_OUTCOMES:
        raise typer.BadParameter(f"{outcome!r} is not one of {', '.join(CALL_OUTCOMES)}", param_hint="--outcome")
    when = parse_date(follow_up, "--follow-up")
    try:
        activity = worklists.log_call(context(), customer_id=customer, outcome=outcome, note=note, follow_up=when,
                                      contact=contact, invoices=(invoices or "").split(",") if invoices else (),
                                      dispute_reason=reason)
    except ArcollectError as exc:
        fail(exc)
        return
    echo(f"call logged ({activity['id']})" + (f", follow up {when.isoformat()}" if when else "")
         + (f", dispute {activity['dispute']['id']} opened" if activity.get("dispute") else ""))


@playbook_app.command("validate")
def playbook_validate(file: Path = typer.Argument(..., help="YAML file (- for standard input)")) -> None:
    """Check a playbook; every problem is printed with its line and field."""
    try:
        pb = playbooks.validate(read_text(file), source=str(file))
    except ArcollectError as exc:
        fail(exc)
        return
    echo(f"{file}: valid — {pb.name}: {len(pb.segments)} segments, {sum(len(s.steps) for s in pb.segments)} steps")


@playbook_app.command("load")
def playbook_load(file: Path = typer.Argument(..., help="YAML file (- for standard input)")) -> None:
    """Validate and store as the next version (the one in force from now on)."""
    try:
        result = playbooks.load(context(), text=read_text(file), source=str(file))
    except ArcollectError as exc:
        fail(exc)
        return
    echo(f"playbook version {result['version']} in force" + ("" if result["changed"] else " (unchanged)"))


@playbook_app.command("show")
def playbook_show(version: Optional[int] = typer.Option(None, "--version", help="A stored version (0: built-in)"),
                  summary: bool = typer.Option(False, "--summary", help="Segments and steps instead of the YAML")) -> None:
    """Print the playbook in force (or a stored version)."""
    try:
        number, text = playbooks.source_of(context(), version=version)
    except ArcollectError as exc:
        fail(exc)
        return
    if not summary:
        echo(f"# version {number}\n{text}")
        return
    for seg in playbooks.summary(playbooks.validate(text)):
        echo(f"{seg['name']}: {seg['description'] or ''} when {seg['when'] or 'always'}")
        for st in seg["steps"]:
            echo(f"  {st['id']:<20} {st['channel']:<10} from day {st['from_day']}"
                 + (f" to {st['to_day']}" if "to_day" in st else "") + (f" every {st['every']}" if "every" in st else ""))


@playbook_app.command("versions")
def playbook_versions() -> None:
    """Every stored version, newest first."""
    try:
        rows = playbooks.versions(context())
    except ArcollectError as exc:
        fail(exc)
        return
    table = Table("version", "name", "loaded", "by")
    for r in rows:
        table.add_row(str(r["version"]), r["name"], r["loaded_at"].isoformat(timespec="minutes"), r["loaded_by"])
    console.print(table)


@playbook_app.command("diff")
def playbook_diff(file: Path = typer.Argument(...),
                  against: Optional[int] = typer.Option(None, "--against", help="Version (default: in force)")) -> None:
    """Unified diff from the playbook in force to FILE."""
    try:
        echo(playbooks.diff(context(), text=read_text(file), against=against) or "no differences")
    except ArcollectError as exc:
        fail(exc)


@playbook_app.command("preview")
def playbook_preview(file: Path = typer.Argument(...), as_of: Optional[str] = typer.Option(None, "--as-of"),
                     collector: Optional[str] = typer.Option(None, "--collector")) -> None:
    """What FILE would do on a date (nothing is stored)."""
    date = parse_date(as_of, "--as-of")
    try:
        ctx = context()
        _dump(worklists.preview(ctx, text=read_text(file), as_of=date or ctx.clock.today(), collector=collector))
    except ArcollectError as exc:
        fail(exc)


def _close(action_id: str, status: str, note: str | None) -> None:
    try:
        worklists.close_action(context(), action_id=action_id, status=status, note=note)
    except ArcollectError as exc:
        fail(exc)
        return
    echo(f"action {action_id} {status}")


@action_app.command("done")
def action_done(action_id: str = typer.Argument(..., metavar="ID"), note: Optional[str] = typer.Option(None, "--note")) -> None:
    """Mark an email/letter/review/escalation action done (calls: `call log`)."""
    _close(action_id, "done", note)


@action_app.command("skip")
def action_skip(action_id: str = typer.Argument(..., metavar="ID"), note: Optional[str] = typer.Option(None, "--note")) -> None:
    """Skip an action (the reason goes on the timeline)."""
    _close(action_id, "skipped", note)


@action_app.command("snooze")
def action_snooze(customer: str = typer.Option(..., "--customer"), until: str = typer.Option(..., "--until"),
                  note: Optional[str] = typer.Option(None, "--note")) -> None:
    """Put an account's open actions aside until a date."""
    when = parse_date(until, "--until")
    try:
        result = worklists.snooze(context(), customer_id=customer, until=when, note=note)
    except ArcollectError as exc:
        fail(exc)
        return
    echo(f"{result['actions']} actions of {customer} snoozed until {result['until']}")
