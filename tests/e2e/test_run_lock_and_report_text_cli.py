"""Issue 10: the run lock covers the whole `run` (two real processes), and text from
the web or a document never pings anyone when report.md is posted on GitHub."""

from __future__ import annotations

import csv
import time
from pathlib import Path

import pytest
from clirunner import CLI
from servers import FakeWayback, FakeWeb

pytestmark = pytest.mark.e2e


def _wait_for(condition, timeout_s: float = 30) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_a_second_run_is_refused_while_the_first_is_archiving(
    cli: CLI, web: FakeWeb, wayback: FakeWayback
) -> None:
    """The first run's check is over and its archive step is waiting on the Wayback:
    the database's lock is still held, so a second run exits 2 without a run."""
    wayback.cdx_latency_s = 10
    cli.write_sources([web.url("/page/a", host="news.test")])
    first = cli.popen("run", "--no-save")
    try:
        _wait_for(lambda: wayback.count() > 0)
        second = cli("run", "--no-save")
        assert second.returncode == 2, second.stderr
        assert "in use by citecheck process" in second.stderr
        check = cli("check")
        assert check.returncode == 2, check.stderr
    finally:
        assert first.wait(timeout=60) == 0, first.stderr.read() if first.stderr else ""
    third = cli("run", "--no-save")
    assert third.returncode == 0, third.stderr


def _lock_held(cli: CLI, lock: Path) -> bool:
    """The run lock is held: its file names a holder (SQLite), or the server shows a
    citecheck advisory lock taken (PostgreSQL)."""
    if cli.db_url is None:
        return lock.exists() and lock.read_text().strip() != ""
    try:
        [(held,)] = cli.sql("SELECT COUNT(*) FROM pg_locks WHERE locktype = 'advisory' AND granted")
    except Exception:  # the database is still being created
        return False
    return held > 0


def test_a_second_run_is_refused_while_the_first_loads_its_sources(cli: CLI, web: FakeWeb) -> None:
    """Loading a big sources.csv takes a while before any check: the lock is held."""
    path = cli.cwd / "sources.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["url", "title", "cited_in", "context", "accessed"])
        for n in range(60_000):
            writer.writerow([f"https://h{n % 10}.test/page/{n}", "", f"doc.md:{n}", "", ""])
    lock = cli.cwd / "archive.db.lock"
    first = cli.popen("run", "--no-save", "--timeout", "1")
    try:
        _wait_for(lambda: _lock_held(cli, lock))
        assert web.count() == 0  # still loading sources.csv, nothing checked yet
        second = cli("run", "--no-save")
        assert second.returncode == 2, second.stderr
        assert "in use by citecheck process" in second.stderr
    finally:
        first.kill()
        first.wait(timeout=30)


def test_mentions_and_issue_references_in_titles_and_claims_do_not_ping(
    cli: CLI, web: FakeWeb
) -> None:
    ok = web.url("/page/@everyone see #1", host="news.test")
    gone = web.url("/status/404", host="news.test")
    path = cli.cwd / "sources.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["url", "title", "cited_in", "context"])
        writer.writerow([ok, "", "doc.md:1", ""])
        writer.writerow([gone, "@org/team fixed GH-12", "doc.md:2", "cc @maintainers, see #34"])
    for _ in range(3):  # a 404 is confirmed broken after repeated checks
        cli("check")
    result = cli("report", "--format", "md")
    assert result.returncode == 0, result.stderr
    report = result.stdout
    for text in ("@everyone", "@org", "@maintainers", "#1", "#34", "GH-12"):
        assert text not in report.replace("\\", ""), text
    assert "@\u200beveryone see \\#\u200b1" in report
    assert "cc @\u200bmaintainers, see \\#\u200b34" in report


@pytest.mark.parametrize(
    "secret",
    [
        "root:x:0:0:root:/root:/bin/bash\n",  # /etc/passwd
        "ghp_16C7e42F292c6912E7710c838347Ae178B4a\n",  # a token file: one word
        "API_KEY=abc123, OTHER=xyz\n",  # a .env with a comma
    ],
)
def test_a_csv_error_never_quotes_a_file_that_is_not_a_csv(cli: CLI, secret: str) -> None:
    target = cli.cwd / "secret.txt"
    target.write_text(secret)
    (cli.cwd / "sources.csv").symlink_to(target)
    for args in (("check",), ("run", "--no-save")):
        result = cli(*args)
        assert result.returncode == 2, result.stderr
        assert "sources.csv: no 'url' column" in result.stderr
        assert "is it a CSV file?" in result.stderr
        for word in secret.replace(",", " ").replace(":", " ").split():
            if len(word) >= 4:
                assert word not in result.stderr, word


def test_a_csv_error_names_the_columns_of_a_real_header(cli: CLI) -> None:
    (cli.cwd / "sources.csv").write_text("link,title\nhttps://a.test/,x\n")
    result = cli("check")
    assert result.returncode == 2
    assert "no 'url' column in the header (found: link, title)" in result.stderr
