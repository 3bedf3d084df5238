"""The CLI's own promises: every command documented, with an example, in --help and in
the README; the contract's commands and options exist."""

from __future__ import annotations

import subprocess
import sys
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


#: Values a user might give any option: none may end in a traceback.
_ODD_VALUES = ("-", "", "/dev/null", "missing-folder/x", "0", "-1", "1e999", "nan", "x:y", "\t")


def _sweep(name: str) -> list[list[str]]:
    """One invocation per option of ``name`` and odd value (flags alone)."""
    command = cli.commands[name]
    arguments = {"extract": ["doc.md"], "fix": ["doc.md"], "history": ["https://a.example/"]}
    calls = []
    for param in command.params:
        if (
            not param.opts
            or param.opts[0].startswith("--help")
            or not param.opts[0].startswith("-")
        ):
            continue
        option = param.opts[0]
        if getattr(param, "is_flag", False):
            calls.append([name, option, *arguments.get(name, [])])
            continue
        for value in _ODD_VALUES:
            calls.append([name, option, value, *arguments.get(name, [])])
    return calls


@pytest.mark.parametrize("name", COMMANDS)
def test_no_option_value_ends_in_a_traceback(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every option of every command, given odd values, in a folder with no sources.csv
    and no database: a clear error or a result, never an uncaught exception."""
    monkeypatch.setenv("CITECHECK_WAYBACK_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("CITECHECK_PROBE_URLS", "http://127.0.0.1:9/")
    for call in _sweep(name):
        folder = tmp_path / str(abs(hash(tuple(call))))
        folder.mkdir()
        (folder / "doc.md").write_text("A claim: https://a.example/\n", encoding="utf-8")
        monkeypatch.chdir(folder)
        result = CliRunner().invoke(cli, call)
        unexpected = result.exception is not None and not isinstance(result.exception, SystemExit)
        assert not unexpected, (call, result.exception, result.output)
        assert "Traceback" not in result.output, call
        assert Path("/dev/null").is_char_device()


#: What ``--help`` and ``--version`` do not need (issue 11: a command's start imports
#: what the command needs): the jobs and what they pull in (asyncio, the HTTP client,
#: the store and SQLite), the values of the pipeline (models.py's dataclasses), the
#: config file's reader, the database address's parser and the error log.
_NOT_FOR_HELP = (
    "citecheck.pipeline",
    "citecheck.check",
    "citecheck.fetch",
    "citecheck.store",
    "citecheck.models",
    "citecheck.configfile",
    "citecheck.configkeys",
    "citecheck.dbaddress",
    "citecheck.incidents",
    "citecheck.summaries",
    "citecheck.archive",
    "citecheck.report",
    "asyncio",
    "sqlite3",
    "sqlite_utils",
    "httpx",
    "json",
    "csv",
)


@pytest.mark.parametrize(
    "args", [["--version"], ["--help"], ["check", "--help"], ["run", "--help"]]
)
def test_help_and_version_import_only_the_command_line(args: list[str]) -> None:
    code = (
        "import sys\n"
        "from citecheck.cli import cli\n"
        f"assert cli.main({args!r}, standalone_mode=False) == 0\n"
        f"print(*[name for name in {_NOT_FOR_HELP!r} if name in sys.modules], file=sys.stderr)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.strip()  # the help or the version was printed
    assert done.stderr.split() == []
