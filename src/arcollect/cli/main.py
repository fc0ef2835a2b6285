"""The `arcollect` command: global options and the command tree."""

from __future__ import annotations

from typing import Optional

import typer

from arcollect import __version__
from arcollect.cli import assistant, cash, close, disputes, escalations, jobs, ledger, outreach, reports, risk, users, workbench
from arcollect.cli.common import state

app = typer.Typer(name="arcollect", help="arcollect — accounts-receivable collections.",
                  no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)


def _print_version(value: bool) -> None:
    """--version is eager: it answers before the command line is checked for a command."""
    if value:
        typer.echo(__version__)
        raise typer.Exit(0)


@app.callback()
def _global(
    db: Optional[str] = typer.Option(None, "--db", help="Database URL (default: $ARCOLLECT_DATABASE_URL, else the embedded SQLite file)"),
    version: bool = typer.Option(False, "--version", help="Print the version and exit", is_eager=True,
                                 callback=_print_version, expose_value=True),
) -> None:
    state.db = db
    state.ctx = None


app.command("init")(ledger.init)
app.command("import")(ledger.import_)
app.command("aging")(ledger.aging)
app.command("demo")(ledger.demo)
app.add_typer(ledger.customer_app, name="customer")
app.add_typer(users.user_app, name="user")
app.add_typer(users.token_app, name="token")
app.add_typer(users.portfolio_app, name="portfolio")
app.command("serve")(users.serve)
app.command("worklist")(workbench.worklist)
app.add_typer(workbench.promise_app, name="promise")
app.add_typer(workbench.call_app, name="call")
app.add_typer(workbench.playbook_app, name="playbook")
app.add_typer(workbench.action_app, name="action")
app.add_typer(outreach.dunning_app, name="dunning")
app.add_typer(outreach.outbox_app, name="outbox")
app.command("letter")(outreach.letter)
app.add_typer(outreach.mail_app, name="mail")
app.add_typer(disputes.dispute_app, name="dispute")
app.add_typer(escalations.escalation_app, name="escalation")
app.add_typer(escalations.plan_app, name="plan")
app.add_typer(cash.cash_app, name="cash")
app.add_typer(close.close_app, name="close")
app.add_typer(reports.report_app, name="report")
app.add_typer(risk.predict_app, name="predict")
reports.report_app.command("forecast")(risk.forecast_command)
app.add_typer(assistant.assistant_app, name="assistant")
app.command("worker")(jobs.worker)
app.add_typer(jobs.jobs_app, name="jobs")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
