"""`arcollect predict` (and `predict train`) and `arcollect report forecast` (CONTRACT §10)."""

from __future__ import annotations

import json
from typing import Optional

import typer
from rich.table import Table

from arcollect.cli.common import check_format, console, context, echo, fail, parse_date
from arcollect.errors import ArcollectError



def _risk():  # noqa: ANN202 - the model libraries load only for the commands that use them
    from arcollect.risk import service

    return service


predict_app = typer.Typer(help="Expected payment date and p_late of every open invoice (trains a model if none is stored).",
                          invoke_without_command=True, no_args_is_help=False)


@predict_app.callback()
def predict(
    typer_ctx: typer.Context,
    as_of: Optional[str] = typer.Option(None, "--as-of", help="Date (default: today)"),
    customer: Optional[str] = typer.Option(None, "--customer", help="One customer's invoices"),
    fmt: str = typer.Option("table", "--format", help="table | json"),
) -> None:
    """Predict every invoice open on the date: `arcollect predict --as-of DATE`; `arcollect predict train` learns."""
    if typer_ctx.invoked_subcommand is not None:
        return
    fmt = check_format(fmt)
    date = parse_date(as_of, "--as-of")
    try:
        ctx = context()
        rows = _risk().predict(ctx, as_of=date or ctx.clock.today(), customer_id=customer)
    except ArcollectError as exc:
        fail(exc)
        return
    if fmt == "json":
        echo(json.dumps(rows, indent=2))
        return
    table = Table("invoice", "customer", "due", "open", "expected", "p_late", "why")
    for r in rows:
        why = "; ".join(f"{f['label']} {f['days']:+.1f} d" for f in r["factors"][:2])
        table.add_row(r["invoice_id"], r["customer_id"], r["due_date"], f"{r['open_amount']} {r['currency']}",
                      r["expected_date"], f"{r['p_late']:.2f}", why)
    console.print(table)
    echo(f"{len(rows)} open invoices")


@predict_app.command("train")
def train(
    as_of: Optional[str] = typer.Option(None, "--as-of", help="Learn from what was settled before this date (default: today)"),
    as_json: bool = typer.Option(False, "--json", help="Print the stored model's version and metrics as JSON"),
) -> None:
    """Train the payment-prediction model on the ledger's own history and store it as a new version."""
    date = parse_date(as_of, "--as-of")
    try:
        result = _risk().train(context(), as_of=date)
    except ArcollectError as exc:
        fail(exc)
        return
    if as_json:
        echo(json.dumps(result, indent=2))
        return
    v = result["metrics"]
    m, due = v.get("model", {}), v.get("due_date", {})
    echo(f"model v{result['version']} trained as of {result['as_of']} on {v['trained_rows']} examples "
         f"in {v['seconds']} s; held out from {v['cut']}: n={v['n']} MAE {m.get('mae')} d "
         f"(due date {due.get('mae')} d), within ±3 d {m.get('within_3')} %, ±7 d {m.get('within_7')} %")


def forecast_command(
    as_of: Optional[str] = typer.Option(None, "--as-of", help="Date (default: today)"),
    weeks: int = typer.Option(13, "--weeks", min=1, max=104, help="Weeks ahead"),
    as_json: bool = typer.Option(False, "--json", help="Print the CONTRACT §10 JSON"),
) -> None:
    """Cash forecast: expected inflows per week with a low/high band, per currency."""
    date = parse_date(as_of, "--as-of")
    try:
        ctx = context()
        data = _risk().forecast(ctx, as_of=date or ctx.clock.today(), weeks=weeks)
    except ArcollectError as exc:
        fail(exc)
        return
    if as_json:
        echo(json.dumps(data, indent=2))
        return
    table = Table("week", "currency", "expected", "low", "high", "promised", title=f"Cash forecast as of {data['as_of']}")
    for w in data["weeks"]:
        table.add_row(f"{w['start']} – {w['end']}", w["currency"], w["expected"], w["low"], w["high"], w["promised"])
    console.print(table)
    for c in data["currencies"]:
        echo(f"{c['currency']}: open {c['open']}, expected in {weeks} weeks {c['expected']}, beyond {c['beyond']} "
             f"(of which doubtful {c.get('doubtful', '0')}), disputed apart {c['disputed']}, unapplied cash {c['unapplied']}")
    rep = data.get("reporting")
    if rep is not None:
        from arcollect.cli.reports import reporting_note

        echo(reporting_note(rep))
        if rep.get("summary"):
            t = rep["summary"]
            weekly = ", ".join(f"{w['start']} {w['expected']}" for w in rep["weeks"])
            echo(f"{rep['currency']}: open {t['open']}, expected in {weeks} weeks {t['expected']}, beyond {t['beyond']} "
                 f"(of which doubtful {t.get('doubtful', '0')}), disputed apart {t['disputed']}; per week: {weekly}")


