"""Other Memento archives end to end: the real CLI against the fake web, the fake
Wayback Machine and fake Memento archives (and a fake aggregator) on 127.0.0.1."""

from __future__ import annotations

import csv
import html
import json
from collections.abc import Iterator

import pytest
from clirunner import CLI
from servers import FakeAggregator, FakeMementoArchive, FakeWayback

pytestmark = pytest.mark.e2e

NOW = "2025-06-01T12:00:00+00:00"
FAST = 60000


@pytest.fixture
def archives(cli: CLI, wayback: FakeWayback) -> Iterator[dict[str, FakeMementoArchive]]:
    """Four fake archives: two that work, one that is slow, one that answers garbage."""
    cli.env.pop("CITECHECK_OTHER_ARCHIVES", None)
    servers = {
        "today": FakeMementoArchive(),
        "arquivo": FakeMementoArchive(),
        "slow": FakeMementoArchive("slow", delay_s=5.0),
        "garbage": FakeMementoArchive("garbage"),
        "hostile": FakeMementoArchive("hostile"),
    }
    for server in servers.values():
        server.start()
    try:
        yield servers
    finally:
        for server in servers.values():
            server.stop()


def _config(
    cli: CLI, archives: dict[str, FakeMementoArchive], *names: str, extra: str = ""
) -> None:
    lines = ["[archives]", "defaults = false", extra]
    spec = {
        "today": ("archive.today", "link"),
        "arquivo": ("Arquivo.pt", "json"),
        "slow": ("Slow archive", "link"),
        "garbage": ("Garbage archive", "link"),
        "hostile": ("Hostile archive", "link"),
    }
    for name in names:
        label, fmt = spec[name]
        base = archives[name].base
        lines += [
            f"[archives.{name}]",
            f'name = "{label}"',
            f'timemap = "{base}/timemap/{fmt}/"',
            f'timegate = "{base}/timegate/"',
            f'format = "{fmt}"',
            f"per_minute = {FAST}",
            "timeout = 1.0",
        ]
    (cli.cwd / "citecheck.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")


def _sources(cli: CLI, url: str, accessed: str) -> None:
    with open(cli.cwd / "sources.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["url", "title", "cited_in", "context", "accessed"])
        writer.writerow([url, "", "campaign.html:1", "", accessed])


def _link(cli: CLI, url: str) -> dict:
    result = cli("report", "--format", "json")
    assert result.returncode == 0, result.stderr
    links = {link["url"]: link for link in json.loads(result.stdout)["links"]}
    return links[url]


def _snapshots(cli: CLI) -> list[tuple]:
    return cli.sql(
        "SELECT archive, timestamp, memento_url, status_code, accepted, rejected_because"
        " FROM snapshots ORDER BY archive, timestamp"
    )


def test_a_link_with_no_wayback_copy_gets_another_archives_copy_escaped_everywhere(
    cli: CLI, wayback: FakeWayback, archives: dict[str, FakeMementoArchive]
) -> None:
    dead = cli.web.url("/status/404?a=1&b='x'", host="news.test")
    archives["today"].add(dead, "20190301000000")
    archives["today"].add(dead, "20190901000000")  # after the citation's date
    archives["arquivo"].add(dead, "20180101000000")
    _config(cli, archives, "today", "arquivo")
    _sources(cli, dead, "2019-06-01")
    assert cli("check", now=NOW).returncode == 1

    result = cli("archive", "--no-save", now=NOW)

    assert result.returncode == 0, result.stderr
    assert "1 from other archives than the Wayback Machine" in result.stdout
    memento = f"{archives['today'].base}/20190301000000/{dead}"
    link = _link(cli, dead)
    assert link["archive_url"] == memento
    assert link["archive_timestamp"] == "20190301000000"
    assert (link["archive_name"], link["archive_copies"]) == ("today", 2)
    # Every archive's answer is recorded: the chosen one verified, the others listed.
    rows = _snapshots(cli)
    assert ("today", "20190301000000", memento, 200, 1, None) in rows
    assert {row[0] for row in rows} == {"today", "arquivo"}
    # Reports carry the memento URL escaped for their format.
    assert cli("report", "--format", "html", "-o", "report.html").returncode == 0
    page = (cli.cwd / "report.html").read_text(encoding="utf-8")
    assert "a=1&amp;b=&#39;x&#39;" in page and "a=1&b='x'" not in page
    assert "copies in 2 archives" in page
    assert cli("report", "--format", "md", "-o", "report.md").returncode == 0
    markdown = (cli.cwd / "report.md").read_text(encoding="utf-8")
    assert "copies in 2 archives" in markdown and "20190301000000" in markdown
    # fix writes the chosen copy, with Robust Links markup.
    document = cli.cwd / "campaign.html"
    document.write_text(f'<p><a href="{dead.replace("&", "&amp;")}">source</a></p>\n')
    fixed = cli("fix", "--style", "robust", "--write", "campaign.html")
    assert fixed.returncode == 0, fixed.stderr
    text = document.read_text(encoding="utf-8")
    assert f'data-versionurl="{html.escape(memento, quote=True)}"' in text
    assert 'data-versiondate="2019-03-01"' in text


def test_a_closer_capture_elsewhere_wins_over_a_later_wayback_one(
    cli: CLI, wayback: FakeWayback, archives: dict[str, FakeMementoArchive]
) -> None:
    dead = cli.web.url("/status/410", host="news.test")
    wayback.add_capture(dead, "20200601000000")  # good, but a year after the citation
    archives["arquivo"].add(dead, "20190501000000")
    archives["arquivo"].add(dead, "20190520000000", status=404)  # an archived error page
    archives["arquivo"].add(dead, "20190530000000", to_login=True)  # now behind a login
    _config(cli, archives, "arquivo")
    _sources(cli, dead, "2019-06-01")
    assert cli("check", now=NOW).returncode == 1

    result = cli("archive", "--no-save", now=NOW)

    assert result.returncode == 0, result.stderr
    link = _link(cli, dead)
    assert link["archive_url"] == f"{archives['arquivo'].base}/20190501000000/{dead}"
    assert link["archive_copies"] == 2  # the Wayback Machine's later copy, and Arquivo.pt's
    why = {row[1]: row[5] for row in _snapshots(cli) if row[0] == "arquivo"}
    assert why["20190530000000"] == "redirects to a login page"
    assert why["20190520000000"] == "the memento answers 404, not 200"
    assert why["20190501000000"] is None


def test_an_archive_that_times_out_or_answers_garbage_is_skipped_and_said(
    cli: CLI, wayback: FakeWayback, archives: dict[str, FakeMementoArchive]
) -> None:
    dead = cli.web.url("/status/404", host="news.test")
    archives["arquivo"].add(dead, "20190101000000")
    _config(cli, archives, "slow", "garbage", "hostile", "arquivo")
    _sources(cli, dead, "2019-06-01")
    assert cli("check", now=NOW).returncode == 1

    result = cli("archive", "--no-save", now=NOW)

    assert result.returncode == 0, result.stderr
    assert "Slow archive was skipped for 1 look-up: Slow archive did not answer in 1 s" in (
        result.stderr
    )
    assert "Garbage archive was skipped" in result.stderr and "link format" in result.stderr
    assert "Hostile archive was skipped" in result.stderr and "none well formed" in result.stderr
    link = _link(cli, dead)
    assert link["archive_url"] == f"{archives['arquivo'].base}/20190101000000/{dead}"
    assert "elsewhere.test" not in json.dumps(_snapshots(cli))
    assert "javascript" not in json.dumps(_snapshots(cli))


def test_an_aggregator_is_asked_instead_of_each_archive(
    cli: CLI, wayback: FakeWayback, archives: dict[str, FakeMementoArchive]
) -> None:
    dead = cli.web.url("/status/404", host="news.test")
    archives["today"].add(dead, "20190301000000")
    archives["arquivo"].add(dead, "20190401000000")
    with FakeAggregator([archives["today"], archives["arquivo"]]) as aggregator:
        extra = f'aggregator = "{aggregator.base}"\naggregator_per_minute = {FAST}'
        _config(cli, archives, "today", "arquivo", extra=extra)
        _sources(cli, dead, "2019-06-01")
        assert cli("check", now=NOW).returncode == 1
        result = cli("archive", "--no-save", now=NOW)
        assert aggregator.count() == 1
    assert result.returncode == 0, result.stderr
    link = _link(cli, dead)
    assert link["archive_url"] == f"{archives['arquivo'].base}/20190401000000/{dead}"
    assert link["archive_name"] == "arquivo"
    assert archives["today"].count("/timemap/link/*") == 0


def test_a_bad_archives_table_is_a_clear_error(cli: CLI, archives: dict) -> None:
    (cli.cwd / "citecheck.toml").write_text('[archives.x]\ntimemap = "ftp://nope/"\n')
    _sources(cli, cli.web.url("/ok", host="news.test"), "")
    result = cli("archive", now=NOW)
    assert result.returncode == 2
    assert "'archives.x.timemap' must be an http:// or https:// URL" in result.stderr
    assert "Traceback" not in result.stderr
