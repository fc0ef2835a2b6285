"""What every command shares: the context built from --db/settings, date options, error output."""

from __future__ import annotations

import datetime as dt
import sys

import typer
from rich.console import Console

from arcollect.clock import Clock
from arcollect.context import Context, build_context
from arcollect.errors import ArcollectError
from arcollect.settings import load_settings

# Piped output keeps whole table rows (no terminal to fit); a terminal gets its own width.
console = Console(width=None if sys.stdout.isatty() else 200)
err_console = Console(stderr=True, width=None if sys.stderr.isatty() else 200)


class State:
    db: str | None = None
    ctx: Context | None = None
    clock: Clock | None = None  # None: the system clock (tests set a fixed one)


state = State()


def context() -> Context:
    if state.ctx is None:
        settings = load_settings(database_url=state.db)
        state.ctx = build_context(settings, actor=_actor(), clock=state.clock)
    return state.ctx


def _actor() -> str:
    import getpass

    try:
        return f"cli:{getpass.getuser()}"
    except Exception:  # no login name in some containers
        return "cli"


def parse_date(value: str | None, option: str) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a date (YYYY-MM-DD)", param_hint=option) from None


def fail(exc: ArcollectError) -> None:
    """Print an error the way every command does and exit with its status."""
    err_console.print(f"[red]error:[/red] {exc}", markup=True, highlight=False, soft_wrap=True)
    raise typer.Exit(exc.exit_code)


def echo(text: str) -> None:
    sys.stdout.write(text if text.endswith("\n") else text + "\n")


def check_format(value: str, choices: tuple[str, ...] = ("table", "json")) -> str:
    """A --format option's value, or the usage error naming the choices."""
    if value not in choices:
        raise typer.BadParameter(f"{value!r} is not one of {', '.join(choices)}", param_hint="--format")
    return value
