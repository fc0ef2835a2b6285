"""`arcollect report …`: the portfolio report (PDF, XLSX, JSON) and its weekly email to the managers."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from arcollect.cli.common import check_format, context, echo, fail, parse_date, write_bytes
from arcollect.errors import ArcollectError
from arcollect.reports import service as reports

report_app = typer.Typer(help="Reports: portfolio (PDF/XLSX/JSON).", no_args_is_help=True)


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
    check_format(fmt, reports.FORMATS)
    ctx = context()
    date = parse_date(as_of, "--as-of") or ctx.clock.today()
    try:
        data, _, name = reports.portfolio_file(ctx, as_of=date, fmt=fmt, collector=collector)
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
    result = reports.send_weekly(ctx, as_of=parse_date(as_of, "--as-of"))
    for login in result["sent"]:
        echo(f"sent to {login}")
    for problem in result["failed"]:
        echo(f"not sent: {problem}")
    if result["failed"]:
        raise typer.Exit(1)
