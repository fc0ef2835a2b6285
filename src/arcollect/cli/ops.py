"""Operations commands: backup PATH, restore PATH [--force], doctor [--json] [--check NAME]."""

from __future__ import annotations

import json
from pathlib import Path
from typing import List, Optional

import typer

from arcollect.cli.common import console, context, echo, fail
from arcollect.errors import ArcollectError

DRIFT_EXIT = 3  # `arcollect doctor` found drift (1: an error, 2: a usage error)


def backup(path: Path = typer.Argument(..., metavar="PATH", help="The backup file to write (must not exist)")) -> None:
    """Back the whole database up into a new file (SQLite: a database file; PostgreSQL: a pg_dump archive)."""
    from arcollect.ops import service

    try:
        result = service.backup(context(migrate=False), path=path)
    except ArcollectError as exc:
        fail(exc)
        return
    echo(f"backup of the {result['backend']} database (schema {result['revision']}) written to {result['path']} "
         f"({result['bytes']:,} bytes)")


def restore(
    path: Path = typer.Argument(..., metavar="PATH", help="A file written by `arcollect backup`"),
    force: bool = typer.Option(False, "--force", help="Replace a database that holds data (everything in it is lost)"),
) -> None:
    """Restore a backup into an empty database (or over one holding data with --force); upgrades its schema."""
    from arcollect.ops import service

    try:
        result = service.restore(context(migrate=False), path=path, force=force)
    except ArcollectError as exc:
        fail(exc)
        return
    echo(f"restored {result['path']} into the {result['backend']} database (schema {result['revision']})")


def doctor(
    as_json: bool = typer.Option(False, "--json", help="Print the checks and findings as JSON"),
    only: Optional[List[str]] = typer.Option(None, "--check", help="Run only this check (repeatable)"),
) -> None:
    """Recompute the ledger truths from the rows and report any drift (exit 3 when something drifted)."""
    from arcollect.ops import service

    try:
        report = service.doctor(context(migrate=False), checks=only)
    except ArcollectError as exc:
        fail(exc)
        return
    if as_json:
        echo(json.dumps(report, indent=2))
    else:
        for c in report["checks"]:
            mark = "[green]ok[/green]   " if c["ok"] else f"[red]DRIFT[/red] {c['drift']}"
            console.print(f"{mark}  {c['name']}: {c['about']}", highlight=False)
            for f in c["findings"]:
                console.print(f"         {f['subject']}: {f['problem']}", highlight=False, markup=False)
            if c["drift"] > len(c["findings"]):
                console.print(f"         … and {c['drift'] - len(c['findings'])} more", highlight=False)
        echo("no drift: the ledger agrees with itself" if report["ok"] else "drift found: see above")
    if not report["ok"]:
        raise typer.Exit(DRIFT_EXIT)
