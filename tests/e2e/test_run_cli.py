"""`citecheck run` as cron runs it: due-based schedule over simulated weeks, one run at
a time, conditional requests, drift, the changes summary, citecheck.toml, excludes."""

from __future__ import annotations

import json
import signal
import time
from datetime import UTC, datetime, timedelta

import pytest
from clirunner import CLI
from servers import FakeWayback, FakeWeb

pytestmark = pytest.mark.e2e

DAY0 = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # a Monday, 02:00, as cron would


def _night(n: int) -> str:
    return (DAY0 + timedelta(days=n)).isoformat()


def _article(title: str, paragraphs: list[str]) -> str:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        f"<html><head><title>{title}</title></head><body><header>Menu</header>"
        f"<article><h1>{title}</h1>{body}</article><footer>Footer</footer></body></html>"
    )


STORY = [
    "The regional police have used a face recognition system at the border crossing "
    "since the spring, according to documents obtained by the campaign.",
    "The documents show that the system compared every traveller's face with a "
    "database of eight million images, most of them of people never charged.",
    "Lawyers for the campaign said the practice had no legal basis and asked the data "
    "protection authority to open an investigation before the summer.",
    "A spokesperson for the ministry declined to comment on the number of matches or on "
    "the suppliers of the software, citing security reasons.",
]
REWRITE = [
    "This page now hosts the ministry's annual report on cycling infrastructure, "
    "including new lanes, parking for bicycles and a survey of commuters.",
    "Cycling rose by a tenth in the capital while rail travel stayed flat, and the "
    "ministry expects to publish detailed regional figures in the autumn.",
    "Readers can download the full spreadsheet of counts from every station in the "
    "network and the methodology used by the statistics office this year.",
    "Comments on the plan can be sent to the consultation address until the end of "
    "the month, when the council will vote on next year's budget.",
]


def _checks_per_night(web: FakeWeb) -> int:
    count = sum(1 for r in web.requests if r.path.startswith("/page/p"))  # not the probes
    web.clear_log()
    return count


def test_due_based_schedule_over_simulated_weeks(
    cli: CLI, web: FakeWeb, wayback: FakeWayback
) -> None:
    """ok links come back weekly (spread over the week), failing ones daily until
    the confirmation policy concludes, broken ones monthly."""
    ok_links = [web.url(f"/page/p{n}", host=f"h{n % 10}.test") for n in range(70)]
    web.page("/flaky-forever", status=400, body="bad request", host="gov.test")
    failing = web.url("/flaky-forever", host="gov.test")
    cli.write_sources([*ok_links, failing])
    nightly = []
    statuses = []
    for night in range(15):
        result = cli("run", "--no-save", now=_night(night))
        assert result.returncode in (0, 1), result.stderr
        nightly.append(_checks_per_night(web))
        statuses.append(cli.links()[failing]["status"])
    assert nightly[0] == 70  # new links at once
    assert all(nightly[n] < 70 for n in range(1, 15))
    assert sum(nightly[1:8]) == 70  # each ok link once in the following week
    assert max(nightly[1:8]) <= 25  # spread, not all on night 7
    history = cli.links()[failing]["history"]
    assert statuses[:3] == ["failing"] * 3 and statuses[3] == "broken"
    checks_after_broken = [h for h in history if h["checked_at"] > _night(3)]
    # broken: rarely. Once on its own day of the month (that spreads the load), then
    # every 30 days: at most one more check in the 11 nights after it broke.
    assert len(checks_after_broken) <= 1
    report = cli.report()
    link = cli.links()[failing]
    last_check = datetime.fromisoformat(link["history"][-1]["checked_at"])
    next_check = datetime.fromisoformat(link["next_due"])
    assert last_check < next_check <= last_check + timedelta(days=30)
    assert next_check > DAY0 + timedelta(days=14)  # not due again in the simulated fortnight
    assert report["summary"]["ok"] == 70


def test_run_prints_one_line_when_nothing_changed_and_the_changes_when_something_did(
    cli: CLI, web: FakeWeb, wayback: FakeWayback
) -> None:
    web.page("/story", body=_article("Border cameras", STORY), host="news.test")
    story = web.url("/story", host="news.test")
    doomed = web.url("/page/doomed", host="ngo.test")
    cli.write_sources([story, doomed])
    first = cli("run", "--no-save", "--all", now=_night(0))
    assert first.returncode == 0, first.stderr
    quiet_night = cli("run", "--no-save", "--all", now=_night(1))
    assert quiet_night.returncode == 0
    assert quiet_night.stdout.count("\n") == 1
    assert "no change since the last run" in quiet_night.stdout
    assert cli("run", "--no-save", "--all", "--quiet", now=_night(2)).stdout == ""

    web.page("/page/doomed", status=410, body="gone", host="ngo.test")
    web.page("/story", body=_article("Cycling report 2026", REWRITE), host="news.test")
    loud = cli("run", "--no-save", "--all", now=_night(3))
    assert loud.returncode == 1
    assert "Newly broken (1):" in loud.stdout and doomed in loud.stdout
    assert "Newly drifted" in loud.stdout and story in loud.stdout
    link = cli.links()[story]
    assert link["status"] == "ok"  # a drifted page is still ok...
    assert link["drift"]["kind"] == "title+text"  # ...and says what changed
    assert link["drift"]["before_title"] == "Border cameras"
    md = (cli.cwd / "report.md").read_text()
    assert "Cycling report 2026" in md

    web.page("/page/doomed", body="<title>Back again</title>", host="ngo.test")
    back = cli("run", "--no-save", "--all", now=_night(4))
    assert back.returncode == 0
    assert "Recovered (1):" in back.stdout and doomed in back.stdout


def test_drift_ignores_a_changed_date_and_ad(cli: CLI, web: FakeWeb, wayback: FakeWayback) -> None:
    def page(date: str, ad: str) -> str:
        return (
            "<html><head><title>Border cameras</title></head><body>"
            f"<header>Menu</header><article><h1>Border cameras</h1><time>{date}</time>"
            + "".join(f"<p>{p}</p>" for p in STORY)
            + f'</article><aside class="ad">{ad}</aside><footer>Footer</footer></body></html>'
        )

    web.page("/story", body=page("2 March 2026", "Buy shoes"), host="news.test")
    story = web.url("/story", host="news.test")
    cli.write_sources([story])
    assert cli("run", "--no-save", now=_night(0)).returncode == 0
    web.page("/story", body=page("9 March 2026", "Cheap flights to Lisbon"), host="news.test")
    result = cli("run", "--no-save", "--all", now=_night(7))
    assert result.returncode == 0
    assert "no change since the last run" in result.stdout
    assert cli.links()[story]["drift"] is None


def test_conditional_requests_turn_an_unchanged_page_into_a_304(cli: CLI, web: FakeWeb) -> None:
    url = web.url("/conditional", host="news.test")
    cli.write_sources([url])
    assert cli("check", now=_night(0)).returncode == 0
    first = [r for r in web.requests if r.path == "/conditional"][-1]
    assert "if-none-match" not in first.headers
    title = cli.links()[url]["title"]
    assert cli("check", now=_night(8)).returncode == 0
    second = [r for r in web.requests if r.path == "/conditional"][-1]
    assert second.headers.get("if-none-match") == '"v1-conditional"'
    link = cli.links()[url]
    assert (link["status"], link["http_status"], link["title"]) == ("ok", 304, title)


def test_one_run_at_a_time_and_a_killed_runs_lock_is_taken_over(
    cli: CLI, web: FakeWeb, wayback: FakeWayback
) -> None:
    web.latency_s = 1.5  # long enough for the second run to start on a loaded machine
    cli.write_sources([web.url(f"/page/p{n}", host="news.test") for n in range(10)])
    first = cli.popen("run", "--no-save")
    try:
        deadline = time.monotonic() + 15
        while web.count() == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        second = cli("run", "--no-save")
        assert second.returncode == 2
        assert "in use by citecheck process" in second.stderr
        first.send_signal(signal.SIGKILL)
    finally:
        first.wait(timeout=30)
    web.latency_s = 0
    third = cli("run", "--no-save")
    assert third.returncode == 0, third.stderr
    outcomes = [row[0] for row in cli.sql("select outcome from runs order by id")]
    assert outcomes[0] == "interrupted" and outcomes[-1] == "finished", outcomes


def test_citecheck_toml_sets_options_and_the_command_line_wins(
    cli: CLI, web: FakeWeb, wayback: FakeWayback
) -> None:
    (cli.cwd / "citecheck.toml").write_text(
        '[http]\nper_host = 3\nuser_agent = "campaign-bot/1"\naccepted_status = [999]\n'
        '[exclude]\ndomains = ["video.test"]\n'
        '[reports]\noutputs = ["out/report.html", "out/report.csv"]\n'
    )
    (cli.cwd / "out").mkdir()
    web.latency_s = 0.2
    urls = [web.url(f"/page/p{n}", host="news.test") for n in range(9)]
    excluded = web.url("/ok", host="video.test")
    linkedin = web.url("/status/999", host="ngo.test")
    cli.write_sources([*urls, excluded, linkedin])
    result = cli("run", "--no-save")
    assert result.returncode == 0, result.stderr
    assert web.max_concurrency("news.test") == 3
    assert web.requests[-1].headers["user-agent"] == "campaign-bot/1"
    assert web.count(host="video.test") == 0
    links = cli.links()
    assert (links[excluded]["status"], links[excluded]["reason"]) == ("skipped", "excluded")
    assert links[linkedin]["status"] == "ok"
    assert (cli.cwd / "out/report.html").read_text().startswith("<!DOCTYPE html>")
    assert (cli.cwd / "out/report.csv").exists()
    web.clear_log()
    result = cli("run", "--no-save", "--all", "--per-host", "1", "--user-agent", "cli/2")
    assert result.returncode == 0
    assert web.max_concurrency("news.test") == 1
    assert web.requests[-1].headers["user-agent"] == "cli/2"


@pytest.mark.parametrize(
    "toml, message",
    [
        (
            "[http]\nconcurrancy = 4\n",
            "unknown key 'http.concurrancy' (did you mean 'concurrency'?)",
        ),
        ("concurrency = 4\n", "did you mean 'http.concurrency'?"),
        ("[http]\ntimeout = -1\n", "'http.timeout'"),
        ("[exclude]\npatterns = ['(']\n", "'exclude.patterns'"),
        ("[http\n", "not valid TOML"),
    ],
)
def test_a_bad_config_is_a_clear_error(cli: CLI, toml: str, message: str) -> None:
    (cli.cwd / "citecheck.toml").write_text(toml)
    cli.write_sources(["https://example.org/"])
    result = cli("run", "--no-save")
    assert result.returncode == 2
    assert message in result.stderr
    assert "citecheck.toml" in result.stderr
    assert "Traceback" not in result.stderr


def test_exclude_private_refuses_a_name_that_resolves_to_a_private_address(
    cli: CLI, web: FakeWeb
) -> None:
    sneaky = web.url("/ok", host="metadata.test")
    cli.write_sources([sneaky])
    result = cli(
        "check", "--exclude-private", "--resolve", "metadata.test:169.254.169.254", resolve=False
    )
    assert result.returncode == 0, result.stderr
    link = cli.links()[sneaky]
    assert (link["status"], link["reason"]) == ("skipped", "private_address")
    assert web.count() == 0


def test_run_writes_reports_atomically_and_json_has_next_due(
    cli: CLI, web: FakeWeb, wayback: FakeWayback
) -> None:
    cli.write_sources([web.url("/ok", host="news.test")])
    assert cli("run", "--no-save", now=_night(0)).returncode == 0
    report = json.loads((cli.cwd / "report.json").read_text())
    (link,) = report["links"]
    assert link["next_due"] > _night(0)
    assert not list(cli.cwd.glob(".report*.tmp"))
