"""The CLI's own promises: every command documented, with an example, in --help and in
the README; the contract's commands and options exist."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from citecheck.cli import cli

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
COMMANDS = sorted(cli.commands)


def test_the_contracts_commands_exist() -> None:
    assert {"extract", "check", "report", "history", "run", "archive", "fix"} <= set(COMMANDS)


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_has_help_with_an_example_and_a_readme_section(name: str) -> None:
    command = cli.commands[name]
    assert command.help and "Example:" in command.help
    result = CliRunner().invoke(cli, [name, "--help"])
    assert result.exit_code == 0
    assert f"### `citecheck {name}" in README


@pytest.mark.parametrize(
    "name, options",
    [
        ("extract", ["-o"]),
        ("check", ["--sources", "--db", "--concurrency", "--per-host", "--timeout"]),
        ("report", ["--db", "--format", "-o"]),
        ("history", ["--db"]),
        ("run", ["--sources", "--db"]),
        ("archive", ["--db", "--no-save", "--max-saves"]),
        ("fix", ["--db", "--write", "--redirects", "--style", "--undo"]),
    ],
)
def test_the_contracts_options_exist(name: str, options: list[str]) -> None:
    declared = {opt for param in cli.commands[name].params for opt in param.opts}
    assert set(options) <= declared


def test_a_missing_database_is_exit_2_with_a_message(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli, ["report", "--db", str(tmp_path / "none.db"), "--format", "md"]
    )
    assert result.exit_code == 2
    assert "no such database" in result.output
