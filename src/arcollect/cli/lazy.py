"""Commands imported only when they run: the top-level group knows every command's name and one-line help
(CATALOG in main.py) and imports a command's module when that command is invoked, so `arcollect --help`
imports no feature package and each command pays only for its own.

A catalog entry is ``(name, "module:attribute", help)``: the attribute is a command function or a
``typer.Typer`` sub-app. The help is what `arcollect --help` lists before anything is imported;
tests/core/test_cli_lazy.py checks it is the loaded command's own help, word for word."""

from __future__ import annotations

import importlib
from difflib import get_close_matches
from typing import Any, NamedTuple

import typer
from typer.core import TyperCommand, TyperGroup


class Entry(NamedTuple):
    name: str
    target: str  # "arcollect.cli.ledger:aging"
    help: str


def load(entry: Entry) -> Any:
    """The click command (or group) an entry names, built by Typer exactly as app.command/add_typer would."""
    module_name, _, attribute = entry.target.partition(":")
    obj = getattr(importlib.import_module(module_name), attribute)
    if isinstance(obj, typer.Typer):
        command = typer.main.get_group(obj)
    else:
        single = typer.Typer(add_completion=False)
        single.command(entry.name)(obj)
        command = typer.main.get_command(single)
    command.name = entry.name
    return command


class LazyGroup(TyperGroup):
    """A TyperGroup whose catalog commands are imported on first use. Commands registered the ordinary way
    (``app.command``/``app.add_typer``) keep working and are listed after the catalog."""

    catalog: tuple[Entry, ...] = ()

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        self._entries = {e.name: e for e in self.catalog}
        self._listing = False  # formatting --help: unloaded commands show as their catalog help

    def list_commands(self, ctx: Any) -> list[str]:
        names = [e.name for e in self.catalog]
        return names + [n for n in self.commands if n not in self._entries]

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        command = self.commands.get(cmd_name)
        entry = self._entries.get(cmd_name)
        if command is not None or entry is None:
            return command
        if self._listing:
            return TyperCommand(name=entry.name, help=entry.help)
        command = self.commands[cmd_name] = load(entry)
        return command

    def format_help(self, ctx: Any, formatter: Any) -> None:
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        try:
            return self._click_resolve_command(ctx, args)
        except typer.core._click.exceptions.UsageError as exc:  # the typo hint over every name, loaded or not
            matches = get_close_matches(args[0], self.list_commands(ctx)) if args and self.suggest_commands else []
            if matches:
                exc.message = f"{exc.message.rstrip('.')}. Did you mean {', '.join(repr(m) for m in matches)}?"
            raise
