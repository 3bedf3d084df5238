"""The ready-made schedules in examples/: each tested as far as it can be here."""

from __future__ import annotations

import configparser
import os
import re
import shutil
import stat
import subprocess
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from citecheck.config import (
    DEFAULT_CAPTURE_MAX_AGE,
    DEFAULT_MAX_SAVES,
    DEFAULT_RUN_ARCHIVE_MINUTES,
    DEFAULT_WAYBACK_URL,
    Settings,
)
from citecheck.configfile import archive_overrides, load_config, resolve_settings
from citecheck.configkeys import CONFIG_KEYS

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
#: Seconds a step's shell script may run in these tests.
SCRIPT_TIMEOUT_S = 20


# -- GitHub Actions -------------------------------------------------------------------


@pytest.fixture(scope="module")
def workflow() -> dict[str, Any]:
    parsed = yaml.safe_load((EXAMPLES / "github-actions.yml").read_text(encoding="utf-8"))
    assert isinstance(parsed, dict)
    return parsed


def _steps(workflow: dict[str, Any]) -> list[dict[str, Any]]:
    (job,) = workflow["jobs"].values()
    return job["steps"]


def _step(workflow: dict[str, Any], name: str) -> dict[str, Any]:
    (step,) = [s for s in _steps(workflow) if s.get("name") == name]
    return step


def test_the_workflow_runs_nightly_and_by_hand(workflow: dict[str, Any]) -> None:
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` as true
    (schedule,) = triggers["schedule"]
    assert len(schedule["cron"].split()) == 5
    assert "workflow_dispatch" in triggers
    assert workflow["permissions"] == {"contents": "read", "issues": "write"}


def test_the_workflow_keeps_archive_db_in_the_cache(workflow: dict[str, Any]) -> None:
    steps = _steps(workflow)
    uses = [step.get("uses", "") for step in steps]
    restore = steps[uses.index("actions/cache/restore@v4")]
    save = steps[uses.index("actions/cache/save@v4")]
    check = _step(workflow, "Check the links")
    assert steps.index(restore) < steps.index(check) < steps.index(save)
    assert restore["with"]["path"] == save["with"]["path"] == "archive.db"
    assert save["with"]["key"].startswith(restore["with"]["restore-keys"])
    assert "always()" in save["if"]  # a run with broken links (exit 1) still saves
    assert any(u.startswith("actions/setup-python@") for u in uses)
    assert any("pip install" in step.get("run", "") for step in steps)


def test_the_workflow_runs_citecheck_run(workflow: dict[str, Any]) -> None:
    check = _step(workflow, "Check the links")
    assert re.search(r"^citecheck run$", check["run"], re.MULTILINE)
    assert check["id"] == "check"
    assert set(check["env"]) == {"IA_ACCESS_KEY", "IA_SECRET_KEY"}


def _stub(folder: Path, name: str, script: str) -> None:
    path = folder / name
    path.write_text("#!/bin/sh\n" + script, encoding="utf-8")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)


def _run_step(script: str, folder: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["bash", "-e", "-c", script],  # GitHub's default shell for run: bash -e
        cwd=folder,
        env={"PATH": f"{folder / 'bin'}{os.pathsep}{os.environ['PATH']}", **env},
        capture_output=True,
        text=True,
        timeout=SCRIPT_TIMEOUT_S,
    )


@pytest.mark.parametrize(
    ("exit_code", "step_fails"), [(0, False), (1, False), (2, True), (3, False), (4, True)]
)
def test_the_check_step_fails_the_job_only_when_citecheck_could_not_work(
    workflow: dict[str, Any], tmp_path: Path, exit_code: int, step_fails: bool
) -> None:
    (tmp_path / "bin").mkdir()
    _stub(tmp_path / "bin", "citecheck", f'echo "citecheck $*"\nexit {exit_code}\n')
    output = tmp_path / "github_output"
    result = _run_step(
        _step(workflow, "Check the links")["run"], tmp_path, {"GITHUB_OUTPUT": str(output)}
    )
    assert (result.returncode != 0) is step_fails, result
    assert "citecheck run" in result.stdout
    assert output.read_text() == f"exit_code={exit_code}\n"
    assert ("::warning::" in result.stdout) is (exit_code == 3)
    assert ("::error::citecheck failed" in result.stdout) is (exit_code == 4)


def test_only_exit_codes_0_and_1_touch_the_issue(workflow: dict[str, Any]) -> None:
    issue_steps = [s for s in _steps(workflow) if "gh issue" in s.get("run", "")]
    conditions = sorted(step["if"] for step in issue_steps)
    assert conditions == [
        "steps.check.outputs.exit_code == '0'",
        "steps.check.outputs.exit_code == '1'",
    ]


@pytest.mark.parametrize(("open_issue", "expected"), [("", "create"), ("7", "edit")])
def test_broken_links_open_or_update_one_issue(
    workflow: dict[str, Any], tmp_path: Path, open_issue: str, expected: str
) -> None:
    step = _step(workflow, "Open or update the broken-links issue")
    (tmp_path / "bin").mkdir()
    calls = tmp_path / "gh-calls"
    _stub(
        tmp_path / "bin",
        "gh",
        f'echo "$*" >> {calls}\nif [ "$1 $2" = "issue list" ]; then echo "{open_issue}"; fi\n',
    )
    (tmp_path / "report.md").write_text("# Broken links\n" + "x" * 70_000, encoding="utf-8")
    job_env = next(iter(workflow["jobs"].values()))["env"]
    result = _run_step(step["run"], tmp_path, {**job_env, "GH_TOKEN": "t", "GH_REPO": "o/r"})
    assert result.returncode == 0, result
    lines = calls.read_text().splitlines()
    assert lines[0].startswith("issue list --state open --label citecheck")
    if expected == "edit":
        assert lines[1:] == ["issue edit 7 --body-file issue.md"]
    else:
        assert lines[1].startswith("label create citecheck")
        assert lines[2] == (
            "issue create --title Broken citation links --label citecheck --body-file issue.md"
        )
    assert (tmp_path / "issue.md").stat().st_size == 60_000


# -- cron ---------------------------------------------------------------------------


def test_the_crontab_has_one_nightly_job() -> None:
    lines = (EXAMPLES / "crontab").read_text(encoding="utf-8").splitlines()
    entries = [line for line in lines if line.strip() and not line.lstrip().startswith("#")]
    jobs = [line for line in entries if not re.match(r"^[A-Z_]+=", line)]
    assert len(jobs) == 1
    minute, hour, day, month, weekday, command = jobs[0].split(maxsplit=5)
    assert 0 <= int(minute) <= 59 and 0 <= int(hour) <= 23
    assert (day, month, weekday) == ("*", "*", "*")
    assert re.search(r"^cd \S+ && \S*citecheck run\b", command)


# -- systemd ------------------------------------------------------------------------


def _unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    parser.read_string((EXAMPLES / name).read_text(encoding="utf-8"), source=name)
    return parser


def test_the_service_is_a_hardened_oneshot() -> None:
    unit = _unit("citecheck.service")
    assert unit.sections() == ["Unit", "Service"]
    service = unit["Service"]
    assert service["Type"] == "oneshot"
    assert service["ExecStart"].endswith("citecheck run")
    assert service["NoNewPrivileges"] == "yes"
    assert service["ProtectSystem"] == "strict"
    assert service["ReadWritePaths"] == service["WorkingDirectory"]
    assert unit["Unit"]["After"] == unit["Unit"]["Wants"] == "network-online.target"


def test_the_timer_starts_the_service_nightly_and_catches_up() -> None:
    unit = _unit("citecheck.timer")
    assert unit.sections() == ["Unit", "Timer", "Install"]
    timer = unit["Timer"]
    assert re.fullmatch(r"\*-\*-\* \d\d:\d\d:\d\d", timer["OnCalendar"])
    assert timer["RandomizedDelaySec"] == "1h"
    assert timer["Persistent"] == "true"
    assert timer["Unit"] == "citecheck.service"
    assert unit["Install"]["WantedBy"] == "timers.target"


def test_the_units_pass_systemd_analyze_verify_where_it_exists(tmp_path: Path) -> None:
    """Verified as installed: the paths point at a working folder with citecheck in
    it, since verify checks that ExecStart can run. Without systemd-analyze, the
    configparser tests above are what is checked."""
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        assert _unit("citecheck.service").has_section("Service")
        return
    work = tmp_path / "work"
    (work / ".venv" / "bin").mkdir(parents=True)
    _stub(work / ".venv" / "bin", "citecheck", "exit 0\n")
    for name in ("citecheck.service", "citecheck.timer"):
        text = (EXAMPLES / name).read_text(encoding="utf-8")
        (tmp_path / name).write_text(text.replace("/srv/campaign", str(work)), encoding="utf-8")
    result = subprocess.run(
        [analyze, "verify", "--man=no", "./citecheck.service", "./citecheck.timer"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout + result.stderr == ""


# -- citecheck.toml -----------------------------------------------------------------


def test_the_example_config_loads_and_names_every_key() -> None:
    file = load_config(EXAMPLES / "citecheck.toml", cwd=EXAMPLES)
    assert set(file.values) == set(CONFIG_KEYS)


def test_the_example_config_holds_the_defaults_where_it_says_so() -> None:
    file = load_config(EXAMPLES / "citecheck.toml", cwd=EXAMPLES)
    settings = resolve_settings(file, {})
    defaults = Settings()
    assert settings.exclude_private  # the one safety setting an unattended job should turn on
    assert replace(
        settings, user_agent=defaults.user_agent, report_outputs=(), exclude_private=False
    ) == replace(defaults, report_outputs=())
    assert [output.format for output in settings.report_outputs] == ["md", "html", "json"]
    assert archive_overrides(file, {}, env={}) == {
        "access_key": None,
        "secret_key": None,
        "wayback_url": DEFAULT_WAYBACK_URL,
        "save": True,
        "max_saves": DEFAULT_MAX_SAVES,
        "capture_max_age": timedelta(days=DEFAULT_CAPTURE_MAX_AGE.days),
        "time_budget_s": DEFAULT_RUN_ARCHIVE_MINUTES * 60,
    }
    assert file.sources == EXAMPLES / "sources.csv" and file.db == EXAMPLES / "archive.db"


# -- issue 14: the worker template unit --------------------------------------------


def test_the_worker_unit_runs_a_worker_its_timer_starts_it_and_citecheck_takes_its_options() -> (
    None
):
    import shlex

    from citecheck.cli import cli

    unit = _unit("citecheck-worker@.service")
    service = unit["Service"]
    assert service["Type"] == "oneshot"
    assert service["ProtectSystem"] == "strict"
    assert service["ReadWritePaths"] == service["WorkingDirectory"]
    assert service["SuccessExitStatus"] == "1"  # broken links are a worked run
    program, *args = shlex.split(service["ExecStart"].replace("%i", "1"))
    assert program.endswith("/citecheck") and args[:2] == ["run", "--worker"]
    run = cli.commands["run"]
    with run.make_context("run", list(args[1:])) as context:  # parsed as citecheck would
        assert context.params["worker"] is True
        assert context.params["lease_seconds"] == 120
    timer = _unit("citecheck-worker@.timer")
    assert timer["Timer"]["Unit"] == "citecheck-worker@%i.service"
    assert timer["Timer"]["Persistent"] == "true"
    assert timer["Install"]["WantedBy"] == "timers.target"
