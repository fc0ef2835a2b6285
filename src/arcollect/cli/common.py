"""What every command shares: the context built from --db/settings, date options, error output."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Sequence

import typer
from rich.console import Console

from arcollect.errors import ArcollectError, InvalidInput

if TYPE_CHECKING:  # the database layer loads when a command first asks for its context, not at start
    from arcollect.clock import Clock
    from arcollect.context import Context

# Piped output keeps whole table rows (no terminal to fit); a terminal gets its own width.
console = Console(width=None if sys.stdout.isatty() else 200)
err_console = Console(stderr=True, width=None if sys.stderr.isatty() else 200)


class State:
    db: str | None = None
    ctx: Context | None = None
    clock: Clock | None = None  # None: the system clock (tests set a fixed one)


state = State()


def context(*, migrate: bool = True) -> Context:
    """The command's context; the schema is created or upgraded first unless ``migrate`` is False (backup,
    restore and doctor look at the database as it is)."""
    if state.ctx is None:
        from arcollect.context import build_context
        from arcollect.settings import load_settings

        settings = load_settings(database_url=state.db)
        state.ctx = build_context(settings, actor=_actor(), clock=state.clock, migrate_schema=migrate)
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
    from arcollect.bounds import FIRST_DAY, LAST_DAY

    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a date (YYYY-MM-DD)", param_hint=option) from None
    if not FIRST_DAY <= day <= LAST_DAY:
        raise typer.BadParameter(f"{value} is outside {FIRST_DAY} – {LAST_DAY}", param_hint=option)
    return day


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


def read_text(file: Path) -> str:
    """A UTF-8 text file named on the command line (``-``: standard input)."""
    try:
        return sys.stdin.read() if str(file) == "-" else file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"{file}: cannot read: {exc}") from None


def write_bytes(output: Path, data: bytes) -> None:
    """Write a document (PDF, zip) where the command was told to, then say so; a failure exits 1."""
    try:
        output.write_bytes(data)
    except OSError as exc:
        fail(InvalidInput(f"{output}: cannot write: {exc}"))
    echo(f"{output} ({len(data):,} bytes)")


def print_rows(fmt: str, rows: list[dict[str, Any]], columns: Sequence[str],
               cells: Callable[[dict[str, Any]], Sequence[str]]) -> None:
    """A listing as JSON (the rows as they are) or as a table (``cells`` gives a row's columns)."""
    if fmt == "json":
        echo(json.dumps(rows, indent=2))
        return
    from rich.table import Table

    table = Table(*columns)
    for r in rows:
        table.add_row(*cells(r))
    console.print(table)
