"""`citecheck archive` and `citecheck run` end to end: the real CLI in a subprocess, the
fake web and the fake Wayback Machine on 127.0.0.1."""

from __future__ import annotations

import json
import socket
from datetime import UTC, datetime

import pytest
from clirunner import CLI
from servers import FakeWayback

pytestmark = pytest.mark.e2e

NOW = "2025-06-01T12:00:00+00:00"


def _closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def _runs(cli: CLI) -> list[tuple[str, str]]:
    return cli.sql("SELECT command, outcome FROM runs ORDER BY id")


def test_run_checks_then_archives_then_reports(cli: CLI, wayback: FakeWayback) -> None:
    wayback.now = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
    live = cli.web.url("/ok", host="news.test")
    dead = cli.web.url("/status/404", host="news.test")
    wayback.add_capture(dead, "20240101000000")
    wayback.add_capture(dead, "20250601130000", status=404)  # the archive saw it die
    cli.write_sources([live, dead, "mailto:press@example.org"])

    result = cli("run", "-v", now=NOW)  # -v: run prints the archive's line too

    assert result.returncode == 1, result.stderr  # a broken link: check's exit code
    assert "Archive: 2 of 2 links have a copy" in result.stdout
    links = {
        link["url"]: link for link in json.loads((cli.cwd / "report.json").read_text())["links"]
    }
    assert links[dead]["status"] == "broken"
    assert links[dead]["archive_url"] == f"{wayback.base}/web/20240101000000/{dead}"
    assert links[dead]["archive_timestamp"] == "20240101000000"
    (capture,) = wayback.captures(live)
    assert links[live]["archive_timestamp"] == capture.timestamp
    assert links[live]["archive_url"] == f"{wayback.base}/web/{capture.timestamp}/{live}"
    assert links["mailto:press@example.org"]["archive_url"] is None
    assert wayback.saved == [live]  # never the broken one, never the mailto
    assert "web/20240101000000" in (cli.cwd / "report.md").read_text()
    assert _runs(cli) == [("run", "finished"), ("run-archive", "finished")]
    # The archive step came after the check: every Wayback request follows the checks.
    first_wayback = min(r.started_at for r in wayback.requests)
    assert all(r.started_at < first_wayback for r in cli.web.requests)


def test_archive_no_save_only_looks_up(cli: CLI, wayback: FakeWayback) -> None:
    live = cli.web.url("/ok", host="news.test")
    cli.write_sources([live])
    assert cli("check").returncode == 0
    result = cli("archive", "--no-save")
    assert result.returncode == 0, result.stderr
    assert "Archive: 0 of 1 links have a copy (1 looked up" in result.stdout
    assert wayback.saved == []
    assert wayback.count("/cdx/search/cdx") == 1


def test_archive_gives_up_on_a_url_after_three_429s(cli: CLI, wayback: FakeWayback) -> None:
    live = cli.web.url("/ok", host="news.test")
    cli.write_sources([live])
    assert cli("check").returncode == 0
    wayback.fail_next("save", 429, times=10, headers={"Retry-After": "0"})
    result = cli("archive", "--max-saves", "5")
    assert result.returncode == 0, result.stderr  # left for the next run, not an error
    assert "1 left for the next run" in result.stdout
    assert wayback.count(f"/save/{live}") == 3


def test_archive_exit_3_when_the_archive_is_unreachable(cli: CLI, wayback: FakeWayback) -> None:
    urls = [cli.web.url(f"/page/p{n}", host="news.test") for n in range(6)]
    cli.write_sources(urls)
    assert cli("check").returncode == 0
    cli.env["CITECHECK_WAYBACK_URL"] = _closed_port_url()
    result = cli("archive")
    assert result.returncode == 3, result.stderr
    assert "Wayback Machine is unreachable" in result.stderr
    assert _runs(cli)[-1] == ("archive", "offline")
    assert all(link["archive_url"] is None for link in cli.report()["links"])


def test_archive_exit_2_without_a_database(cli: CLI, wayback: FakeWayback) -> None:
    result = cli("archive", "--db", "missing.db")
    assert result.returncode == 2
    assert "no such database" in result.stderr
    bad = cli("archive", "--max-saves", "-1")
    assert bad.returncode == 2
