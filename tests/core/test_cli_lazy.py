"""The command line imports a command's code only when that command runs (issue #19 item 7): `--help`
lists every command with its own help without loading any feature package, and a typo still gets a hint."""

from __future__ import annotations

import json
import subprocess
import sys

from typer.testing import CliRunner

from arcollect.cli import main

HEAVY = ("sqlalchemy", "fastapi", "lightgbm", "numpy", "arcollect.ledger", "arcollect.disputes",
         "arcollect.assistant", "arcollect.risk", "arcollect.web", "arcollect.api")


def _modules_after(*args: str) -> set[str]:
    """The modules a fresh `arcollect ARGS` process has imported when it exits."""
    code = ("import atexit, json, sys\n"
            "atexit.register(lambda: sys.__stderr__.write('MODULES' + json.dumps(sorted(sys.modules))))\n"
            "from arcollect.cli.main import main\n"
            f"sys.argv = ['arcollect', *{list(args)!r}]\n"
            "main()\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return set(json.loads(done.stderr.rsplit("MODULES", 1)[1]))


def _loaded(modules: set[str], prefix: str) -> bool:
    return any(m == prefix or m.startswith(prefix + ".") for m in modules)


def test_help_imports_no_feature_package_nor_the_database_layer():
    modules = _modules_after("--help")
    assert [p for p in HEAVY if _loaded(modules, p)] == []


def test_a_command_imports_its_own_code_only():
    modules = _modules_after("close", "--help")
    assert _loaded(modules, "arcollect.periods")
    assert [p for p in ("lightgbm", "fastapi", "arcollect.assistant", "arcollect.cashapp", "arcollect.risk")
            if _loaded(modules, p)] == []


def test_help_lists_every_command_with_the_help_the_command_itself_gives():
    lazy = CliRunner().invoke(main.app, ["--help"], terminal_width=100)
    group = main.ArcollectGroup(name="arcollect")
    loaded = {e.name: group.get_command(None, e.name) for e in main.CATALOG}  # imports every command
    for entry in main.CATALOG:
        own = loaded[entry.name].short_help or loaded[entry.name].help or ""
        assert " ".join(own.split("\n\n")[0].split()) == entry.help, entry.name
    assert lazy.exit_code == 0
    listing = " ".join(lazy.stdout.replace("│", " ").split())  # the table's wrapped lines joined again
    for entry in main.CATALOG:
        assert f" {entry.name} {entry.help}" in listing, entry.name


def test_the_help_of_a_group_and_a_command_is_the_full_help():
    result = CliRunner().invoke(main.app, ["report", "--help"], terminal_width=100)
    assert result.exit_code == 0
    assert "forecast" in result.stdout and "rollforward" in result.stdout
    result = CliRunner().invoke(main.app, ["aging", "--help"], terminal_width=100)
    assert result.exit_code == 0 and "--as-of" in result.stdout


def test_a_mistyped_command_is_refused_with_a_hint_even_before_anything_is_loaded():
    result = CliRunner().invoke(main.app, ["agin"])
    assert result.exit_code == 2
    assert "No such command 'agin'" in result.output and "'aging'" in result.output
