"""The citecheck process ends with os._exit once a command returned (cli/leave.py):
its output, exit status and exit handlers are what Python's own exit gives."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest
from click.testing import CliRunner

from citecheck.cli import cli
from citecheck.cli.leave import exit_status


@pytest.mark.parametrize(
    ("code", "status"), [(None, 0), (0, 0), (1, 1), (3, 3), (True, 1), (256 + 4, 4), (-1, 255)]
)
def test_exit_status_is_pythons(code: object, status: int) -> None:
    assert exit_status(code) == status


def test_a_message_is_written_and_means_1(capsys: pytest.CaptureFixture[str]) -> None:
    assert exit_status("no good") == 1
    assert capsys.readouterr().err == "no good\n"


def _run(script: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_process_flushes_its_output_and_runs_exit_handlers() -> None:
    done = _run(
        """
        import atexit, sys
        atexit.register(lambda: print("exit handler ran", file=sys.stderr))
        from citecheck.cli import cli
        cli(["--version"])
        print("not reached")
        """
    )
    assert done.returncode == 0
    assert done.stdout.startswith("citecheck, version ")
    assert "not reached" not in done.stdout
    assert done.stderr == "exit handler ran\n"


def test_the_process_keeps_a_commands_exit_code(tmp_path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "citecheck", "report", "--format", "json", "--db", "none.db"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert "none.db" in done.stderr
    assert "Traceback" not in done.stderr


def test_click_test_runner_is_not_ended() -> None:
    result = CliRunner().invoke(cli, ["--version"])
    assert result.exit_code == 0
    assert result.output.startswith("citecheck, version ")
