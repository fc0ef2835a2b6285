"""`arcollect --version` prints the installed version and exits 0, with or without other global options."""

from __future__ import annotations

from typer.testing import CliRunner

from arcollect import __version__
from arcollect.cli.main import app


def test_version_option_prints_the_version_and_exits_zero():
    for args in (["--version"], ["--db", "sqlite:///nowhere.db", "--version"]):
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 0, (args, result.output)
        assert result.stdout.strip() == __version__
