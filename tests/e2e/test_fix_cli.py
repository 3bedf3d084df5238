"""`citecheck fix` end to end: extract → check (a page dies) → archive → fix → undo."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
from datetime import UTC, datetime

import pytest
from clirunner import CLI
from servers import FakeWayback

pytestmark = pytest.mark.e2e

NOW = "2025-06-01T12:00:00+00:00"


def test_fix_swaps_a_dead_citation_for_its_capture_and_undo_restores_it(
    cli: CLI, wayback: FakeWayback
) -> None:
    wayback.now = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
    web = cli.web
    web.page("/reports/2021/rise.html", body="<title>The RISE report</title>", host="ngo.test")
    dying = web.url("/reports/2021/rise.html", host="ngo.test")
    alive = web.url("/ok", host="news.test")
    failing = web.url("/status/503", host="gov.test")
    doc = cli.cwd / "campaign.md"
    original = (
        "\ufeff# Our evidence\r\n"
        f"The state keeps a database of 7 million foreigners ({dying}) [p.67].\r\n"
        f"See also <{alive}> and the regulator: {failing}.\r\n"
        "```\r\n"
        f"{dying}\r\n"
        "```\r\n"
        f"Again: [the report]({dying}).\r\n"
    ).encode()
    doc.write_bytes(original)
    os.chmod(doc, 0o640)

    assert cli("extract", "campaign.md").returncode == 0
    assert cli("check", "--timeout", "3", now=NOW).returncode == 0
    web.page("/reports/2021/rise.html", status=404, body="gone", host="ngo.test")  # it dies
    wayback.add_capture(dying, "20210714093000")
    wayback.add_capture(dying, "20250601130000", status=404)
    assert cli("check", "--timeout", "3", now=NOW).returncode == 1
    assert cli("archive", "--no-save", now=NOW).returncode == 0

    dry = cli("fix", "campaign.md")
    assert dry.returncode == 0, dry.stderr
    capture = f"{wayback.base}/web/20210714093000/{dying}"
    assert f"+The state keeps a database of 7 million foreigners ({capture}) [p.67]." in dry.stdout
    assert "failing (server_error)" in dry.stderr
    assert doc.read_bytes() == original  # a dry run touches nothing

    wrote = cli("fix", "campaign.md", "--write")
    assert wrote.returncode == 0, wrote.stderr
    fixed = doc.read_bytes()
    assert fixed == original.replace(
        f"({dying}) [p.67]".encode(), f"({capture}) [p.67]".encode()
    ).replace(f"]({dying})".encode(), f"]({capture})".encode())
    assert fixed.count(dying.encode()) == 3  # the code block is left alone; the capture names it
    assert stat.S_IMODE(doc.stat().st_mode) == 0o640

    again = cli("extract", "campaign.md", "-o", "after.csv")
    assert again.returncode == 0
    assert capture in (cli.cwd / "after.csv").read_text()

    undone = cli("fix", "campaign.md", "--undo")
    assert undone.returncode == 0, undone.stderr
    assert doc.read_bytes() == original
    assert cli("fix", "campaign.md", "--undo").returncode == 2  # nothing left to undo


def test_fix_robust_style_keeps_the_link_and_adds_the_copy(cli: CLI, wayback: FakeWayback) -> None:
    dying = cli.web.url("/status/404", host="news.test")
    wayback.add_capture(dying, "20200101000000")
    doc = cli.cwd / "post.html"
    doc.write_text(f'<p><a href="{dying}">source</a></p>\n')
    cli("extract", "post.html")
    cli("check")
    cli("archive", "--no-save")
    result = cli("fix", "post.html", "--style", "robust")
    assert result.returncode == 0, result.stderr
    assert 'data-versionurl="' in result.stdout and 'data-originalurl="' in result.stdout
    assert doc.read_text() == f'<p><a href="{dying}">source</a></p>\n'


# --- issue 13: a kill between recording a fix and renaming the document into place ---

_KILLED_AT_THE_RENAME = """
import os, signal, sys
rename, when = os.replace, sys.argv.pop(1)
def replace(source, target):
    if when == "after":
        rename(source, target)
    os.kill(os.getpid(), signal.SIGKILL)
os.replace = replace
from citecheck.cli import cli
cli()
"""


def _store_with_a_dead_link(cwd, url: str, db_url: str | None = None) -> str:
    """archive.db with ``url`` broken and archived; returns the archived copy's URL."""
    from citecheck.captures import Snapshot
    from citecheck.models import CheckResult, Citation, LinkState, Reason, Status
    from citecheck.store import Store

    now = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
    copy = f"https://web.archive.org/web/20210714093000/{url}"
    with Store.open(db_url or cwd / "archive.db") as store:
        store.sync_citations([Citation(url=url, document="campaign.md", line=2)], now=now)
        run = store.begin_run("check", now=now)
        state = LinkState(url, Status.BROKEN, Reason.NOT_FOUND)
        store.record_check(run, CheckResult(url=url, checked_at=now, status=state.status), state)
        [row] = store.iter_archive_rows()
        capture = Snapshot("20210714093000", url, 200, "text/html")
        store.record_lookup(
            row.link_id, looked_up_at=now, anchor=now, found=[(capture, None)], chosen=capture,
            archive_url=copy,
        )  # fmt: skip
    return copy


def _fix_killed_at_the_rename(cli: CLI, when: str) -> None:
    killed = subprocess.run(
        [sys.executable, "-c", _KILLED_AT_THE_RENAME, when, "fix", "campaign.md", "--write"],
        cwd=cli.cwd, env=cli.env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert killed.returncode == -signal.SIGKILL, killed.stderr


@pytest.mark.parametrize("when", ["before", "after"])
def test_a_fix_killed_at_the_rename_can_always_be_undone_or_redone(cli: CLI, when: str) -> None:
    dead = "https://ngo.example/reports/rise.html"
    copy = _store_with_a_dead_link(cli.cwd, dead, cli.db_url)
    doc = cli.cwd / "campaign.md"
    original = f"# Evidence\nSee the report ({dead}).\n".encode()
    fixed = original.replace(dead.encode(), copy.encode())
    doc.write_bytes(original)

    _fix_killed_at_the_rename(cli, when)

    if when == "after":  # the document was renamed into place: --undo must restore it
        assert doc.read_bytes() == fixed
        undone = cli("fix", "campaign.md", "--undo")
        assert undone.returncode == 0, undone.stderr
        assert doc.read_bytes() == original
    else:  # it was not: the recorded fix is rolled back, nothing to undo, fix again
        assert doc.read_bytes() == original
        assert cli("fix", "campaign.md", "--undo").returncode == 2
        wrote = cli("fix", "campaign.md", "--write")
        assert wrote.returncode == 0, wrote.stderr
        assert doc.read_bytes() == fixed
        assert cli("fix", "campaign.md", "--undo").returncode == 0
        assert doc.read_bytes() == original
    assert cli("fix", "campaign.md", "--undo").returncode == 2  # nothing left to undo
