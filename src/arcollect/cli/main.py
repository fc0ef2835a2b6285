"""The `arcollect` command: global options and the command tree.

Every command is in CATALOG with its one-line help and is imported only when it runs (cli/lazy.py), so
`arcollect --help` and each command start without importing the other feature packages. A new command
goes into CATALOG (tests/core/test_cli_lazy.py checks the help given there is the command's own); one
registered on ``app`` directly with ``app.command``/``app.add_typer`` works too, but is imported on
every start."""

from __future__ import annotations

from typing import Optional

import typer

from arcollect import __version__
from arcollect.cli.common import state
from arcollect.cli.lazy import Entry, LazyGroup

CATALOG = (
    Entry("init", "arcollect.cli.ledger:init", "Create or upgrade the database schema (idempotent)."),
    Entry("import", "arcollect.cli.ledger:import_",
          "Import customers, contacts, invoices, credit notes or payments (atomic, idempotent)."),
    Entry("aging", "arcollect.cli.ledger:aging",
          "Aged receivables as of a date, by customer, collector, currency or in total."),
    Entry("demo", "arcollect.cli.ledger:demo", "Load a realistic demo portfolio into an empty ledger."),
    Entry("serve", "arcollect.cli.users:serve",
          "Serve the web app and the REST API (/api/v1, OpenAPI at /api/v1/openapi.json)."),
    Entry("worklist", "arcollect.cli.workbench:worklist",
          "Run the playbook for the date (idempotent) and print the prioritized worklist."),
    Entry("letter", "arcollect.cli.outreach:letter",
          "Write a statement of account, final notice or demand letter as PDF."),
    Entry("backup", "arcollect.cli.ops:backup",
          "Back the whole database up into a new file (SQLite: a database file; PostgreSQL: a pg_dump archive)."),
    Entry("restore", "arcollect.cli.ops:restore",
          "Restore a backup into an empty database (or over one holding data with --force); upgrades its schema."),
    Entry("doctor", "arcollect.cli.ops:doctor",
          "Recompute the ledger truths from the rows and report any drift (exit 3 when something drifted)."),
    Entry("customer", "arcollect.cli.ledger:customer_app", "Customer accounts."),
    Entry("user", "arcollect.cli.users:user_app", "Users and roles."),
    Entry("token", "arcollect.cli.users:token_app", "API tokens (Authorization: Bearer TOKEN)."),
    Entry("portfolio", "arcollect.cli.users:portfolio_app", "Which collector and team own which customers."),
    Entry("promise", "arcollect.cli.workbench:promise_app", "Promises to pay."),
    Entry("call", "arcollect.cli.workbench:call_app", "Calls."),
    Entry("playbook", "arcollect.cli.workbench:playbook_app", "The collections playbook."),
    Entry("action", "arcollect.cli.workbench:action_app", "Worklist actions."),
    Entry("dunning", "arcollect.cli.outreach:dunning_app", "Dunning emails."),
    Entry("outbox", "arcollect.cli.outreach:outbox_app", "The outbox of dunning messages."),
    Entry("mail", "arcollect.cli.outreach:mail_app", "The collections mailbox."),
    Entry("dispute", "arcollect.cli.disputes:dispute_app", "Dispute cases."),
    Entry("escalation", "arcollect.cli.escalations:escalation_app",
          "Escalations (proposals, the manager's decisions) and the escalation policy."),
    Entry("plan", "arcollect.cli.escalations:plan_app", "Instalment plans."),
    Entry("cash", "arcollect.cli.cash:cash_app",
          "Cash application: bank files in, remittances matched, payments applied."),
    Entry("close", "arcollect.cli.close:close_app",
          "Month-end close: close a month, reopen it (admins), list the periods."),
    Entry("report", "arcollect.cli.reports:report_app",
          "Reports: metrics (DSO, CEI, …), the AR roll-forward, recurring causes, the portfolio report."),
    Entry("predict", "arcollect.cli.risk:predict_app",
          "Expected payment date and p_late of every open invoice (trains a model if none is stored)."),
    Entry("assistant", "arcollect.cli.assistant:assistant_app",
          "The assistant: customer replies read offline, actions proposed for approval."),
    Entry("worker", "arcollect.cli.jobs:worker",
          "Run a background worker (PostgreSQL: jobs from the queue; SQLite: the schedule in this process)."),
    Entry("jobs", "arcollect.cli.jobs:jobs_app",
          "Background jobs: list them and their failures, queue one, render statements."),
)


class ArcollectGroup(LazyGroup):
    catalog = CATALOG


app = typer.Typer(name="arcollect", help="arcollect — accounts-receivable collections.", cls=ArcollectGroup,
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


def main() -> None:
    app()


if __name__ == "__main__":
    main()
