"""Report commands: `arcollect report metrics | rollforward | causes --period P`, `report portfolio`,
`report send-portfolio` (CONTRACT §10)."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import typer
from rich.table import Table

from pathlib import Path
from typing import Optional

from arcollect.cli.common import check_format, console, context, echo, fail, parse_date, write_bytes
from arcollect.errors import ArcollectError
from arcollect.money import format_money
from arcollect.reports import service

report_app = typer.Typer(help="Reports: metrics (DSO, CEI, …), the AR roll-forward, recurring causes, the portfolio report.",
                         no_args_is_help=True)

PERIOD_HELP = "2026-Q1, 2026-03, 2026 or 2026-01-01..2026-03-31"


def _m(row: dict[str, Any], name: str) -> str:
    return format_money(Decimal(row[name]), row["currency"])


def _r(value: float | None, suffix: str = "") -> str:
    return "—" if value is None else f"{value:.1f}{suffix}"


def reporting_note(rep: dict[str, Any]) -> str:
    """What the reporting-currency figure used (or why there is none), in one line."""
    used = "; ".join(f"{c}→{rep['currency']} {r['rate']} of {r['date']}"
                     + (f" (inverse of {r['inverted_from']})" if "inverted_from" in r else "")
                     for c, r in rep["rates"].items())
    head = f"In {rep['currency']} as of {rep['as_of']}" + (f", rates {used}" if used else "") + f" ({rep['source']})"
    if rep.get("missing"):
        return (f"{head}: no {rep['currency']} figure — no rate for " + ", ".join(rep["missing"])
                + f" on or before {rep['as_of']}")
    return head


def _run(fn: Any, **kwargs: Any) -> dict[str, Any]:
    try:
        return fn(context(), **kwargs)
    except ArcollectError as exc:
        fail(exc)
        raise  # unreachable: fail exits


@report_app.command("metrics")
def metrics(period: str = typer.Option(..., "--period", help=PERIOD_HELP),
            by: str = typer.Option("total", "--by", help="total, collector, team, segment or customer"),
            as_json: bool = typer.Option(False, "--json", help="Print the CONTRACT §10 JSON")) -> None:
    """DSO, countback DSO, best-possible DSO, ADD, CEI and the collection figures of a period, per currency."""
    doc = _run(service.metrics, period=period, by=by)
    if as_json:
        echo(json.dumps(doc, indent=2))
        return
    table = Table("Key", "Cur", "AR start", "AR end", "Current", "Credit sales", "DSO", "Countback", "BPDSO", "ADD",
                  "CEI", "Collected", "% current", "Days to pay", "Days late", "Kept %", "Unapplied cash",
                  title=f"Metrics {doc['period']} ({doc['start']} – {doc['end']}, {doc['days']} days)")
    for r in doc["rows"]:
        table.add_row(r["key"], r["currency"], _m(r, "ar_start"), _m(r, "ar_end"), _m(r, "current_end"),
                      _m(r, "credit_sales"), _r(r["dso"]), _r(r["countback_dso"]), _r(r["bpdso"]), _r(r["add"]),
                      _r(r["cei"], " %"), _m(r, "collected"), _r(r["pct_current"], " %"), _r(r["avg_days_to_pay"]),
                      _r(r["avg_days_late"]), _r(r["promise_kept_rate"], " %"), _m(r, "unapplied_cash"))
    console.print(table)
    rep = doc.get("reporting")
    if rep is not None:
        echo(reporting_note(rep))
        if rep["rows"]:
            fx_table = Table("Key", "AR start", "AR end", "Current", "Credit sales", "Collected", "DSO", "BPDSO", "CEI",
                             title=f"Metrics {doc['period']} in {rep['currency']}")
            for r in rep["rows"]:
                fx_table.add_row(r["key"], _m(r, "ar_start"), _m(r, "ar_end"), _m(r, "current_end"),
                                 _m(r, "credit_sales"), _m(r, "collected"), _r(r["dso"]), _r(r["bpdso"]),
                                 _r(r["cei"], " %"))
            console.print(fx_table)


@report_app.command("rollforward")
def rollforward(period: str = typer.Option(..., "--period", help=PERIOD_HELP),
                by: str = typer.Option("total", "--by", help="total or collector (also team, segment, customer)"),
                as_json: bool = typer.Option(False, "--json", help="Print the CONTRACT §10 JSON")) -> None:
    """Opening + invoiced − credited − collected − written off ± adjustments = closing, per currency."""
    doc = _run(service.rollforward, period=period, by=by)
    if as_json:
        echo(json.dumps(doc, indent=2))
        return
    table = Table("Key", "Cur", "Opening", "Invoiced", "Credited", "Collected", "Written off", "Adjustments",
                  "Closing", "Ties", title=f"AR roll-forward {doc['period']} ({doc['start']} – {doc['end']})")
    rows = doc["rows"] + ([] if doc["by"] == "total" else doc["totals"])
    for r in rows:
        table.add_row(r["key"], r["currency"], *(_m(r, n) for n in ("opening", "invoiced", "credited", "collected",
                                                                     "written_off", "adjustments", "closing")),
                      "yes" if r["ties"] else "NO")
    console.print(table)
    rep = doc.get("reporting")
    if rep is not None:
        echo(reporting_note(rep))
        t = rep["total"]
        if t is not None:
            echo(f"Roll-forward in {rep['currency']}: " + ", ".join(
                f"{n.replace('_', ' ')} {_m(t, n)}" for n in ("opening", "invoiced", "credited", "collected",
                                                            "written_off", "adjustments", "rounding", "closing")))


@report_app.command("causes")
def causes(period: str = typer.Option(..., "--period", help=PERIOD_HELP),
           as_json: bool = typer.Option(False, "--json", help="Print the report as JSON")) -> None:
    """Recurring causes: disputes by reason and root cause, invoices in error, recommendations."""
    doc = _run(service.causes, period=period)
    if as_json:
        echo(json.dumps(doc, indent=2))
        return
    echo(f"Recurring causes {doc['period']} ({doc['start']} – {doc['end']}): {doc['disputes']} disputes opened")
    for title, name in (("By reason", "reason"), ("By root cause", "root_cause")):
        table = Table(title[3:].capitalize(), "Cur", "Disputes", "Amount", "Share", "Resolved", "Cycle days",
                      title=title)
        for r in doc[f"by_{name}"]:
            table.add_row(r.get("label", r[name]), r["currency"], str(r["disputes"]), _m(r, "amount"),
                          _r(r["share"], " %"), str(r["resolved"]), _r(r["cycle_days"]))
        console.print(table)
    if doc["error_invoices"]:
        table = Table("Customer", "Name", "PO", "Billing", "Address", "Invoices", title="Invoices with errors")
        for r in doc["error_invoices"]:
            table.add_row(r["customer_id"], r["name"], str(r["po"]), str(r["billing"]), str(r["address"]),
                          str(r["count"]))
        console.print(table)
    for rec in doc["recommendations"]:
        echo(f"• {rec['text']}")


@report_app.command("portfolio")
def portfolio(
    as_of: Optional[str] = typer.Option(None, "--as-of", help="YYYY-MM-DD (default: today)"),
    collector: Optional[str] = typer.Option(None, "--collector", help="one collector's portfolio (default: the team)"),
    fmt: str = typer.Option("pdf", "--format", help="pdf | xlsx | json"),
    output: Optional[Path] = typer.Option(None, "--output", "-o",
                                          help="file to write (default: portfolio-WHO-DATE.pdf|xlsx; json prints)"),
) -> None:
    """The portfolio report: aging and its trend, top risks, promises due next week, escalations awaiting a
    decision — for one collector or the whole team."""
    check_format(fmt, service.FORMATS)
    ctx = context()
    date = parse_date(as_of, "--as-of") or ctx.clock.today()
    try:
        data, _, name = service.portfolio_file(ctx, as_of=date, fmt=fmt, collector=collector)
    except ArcollectError as exc:
        fail(exc)
        return
    if fmt == "json" and output is None:
        echo(data.decode("utf-8"))
        return
    write_bytes(output or Path(name), data)


@report_app.command("send-portfolio")
def send_portfolio(as_of: Optional[str] = typer.Option(None, "--as-of", help="YYYY-MM-DD (default: today)")) -> None:
    """Email every manager the PDF portfolio report of their team (run weekly from cron). Exit 1 when an email
    could not be sent."""
    ctx = context()
    result = service.send_weekly(ctx, as_of=parse_date(as_of, "--as-of"))
    for login in result["sent"]:
        echo(f"sent to {login}")
    for problem in result["failed"]:
        echo(f"not sent: {problem}")
    if result["failed"]:
        raise typer.Exit(1)


def _register_forecast() -> None:
    from arcollect.cli.risk import forecast_command

    report_app.command("forecast")(forecast_command)


_register_forecast()
