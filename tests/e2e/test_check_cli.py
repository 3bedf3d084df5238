"""`citecheck check` end to end: the real CLI, real sockets, the fake web on 127.0.0.1."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from clirunner import CLI
from servers import CHARSET_TITLES, FakeWeb

pytestmark = pytest.mark.e2e

# path on the fake web (host news.test unless the path says otherwise) → (status, reason)
CASES: dict[str, tuple[str, str | None]] = {
    "/ok": ("ok", None),
    "/redirect/302?to=/page/elsewhere": ("ok", None),
    "/redirect/301?to=/page/moved": ("redirected", "redirect_unverified"),
    "/status/404": ("broken", "not_found"),
    "/status/410": ("broken", "gone"),
    "/status/503": ("failing", "server_error"),
    "/status/400": ("failing", "http_error"),
    "/status/401": ("blocked", "unauthorized"),
    "/status/403": ("blocked", "forbidden"),
    "/challenge": ("blocked", "bot_protection"),
    "/status/999": ("blocked", "bot_protection"),
    "/retry-after?seconds=3600&key=long": ("blocked", "rate_limited"),
    "/retry-after?seconds=1&key=short": ("ok", None),
    "/flaky/e2e?fail=1&code=502": ("ok", None),
    "/to-front": ("broken", "soft_404"),
    "/to-login": ("blocked", "login_required"),
    "/loop/a": ("broken", "redirect_loop"),
    "/articles/about-404-errors": ("ok", None),
    "soft404.test/news/2019/a-story-that-was-deleted": ("broken", "soft_404"),
    "soft404.test/articles/real-story": ("ok", None),
    "spa.test/campaigns/deep/link": ("ok", None),
    "/slow-headers?delay=30": ("failing", "timeout"),
    "/reset": ("failing", "connection_error"),
    "/garbage": ("failing", "protocol_error"),
    "/pdf?title=The%20RISE%20report&pages=7": ("ok", None),
    "/charset/header": ("ok", None),
    "/charset/undeclared": ("ok", None),
}
OTHER = {
    "http://no-such-campaign-site.invalid/report": ("broken", "dns_error"),
    "http://exa mple.com/page": ("broken", "invalid_url"),
    "mailto:press@example.org": ("skipped", "unsupported_scheme"),
}


def _url(web: FakeWeb, case: str) -> str:
    host, _, path = case.partition("/")
    return web.url("/" + path, host=host) if host else web.url(case, host="news.test")


@pytest.fixture(scope="module")
def checked(tmp_path_factory: pytest.TempPathFactory):
    """One `check` over every case; the tests below read its report."""
    import os

    with FakeWeb() as web:
        cwd = tmp_path_factory.mktemp("every-status")
        env = {k: v for k, v in os.environ.items() if not k.startswith("CITECHECK_")}
        env["CITECHECK_PROBE_URLS"] = web.url("/ok")
        cli = CLI(cwd=cwd, web=web, env=env)
        urls = {_url(web, case): expected for case, expected in CASES.items()}
        urls.update(OTHER)
        cli.write_sources(list(urls))
        started = time.monotonic()
        result = cli("check", "--timeout", "4")
        elapsed = time.monotonic() - started
        yield cli, urls, result, elapsed, cli.links()


def test_exit_code_is_1_when_links_are_broken(checked) -> None:
    _, _, result, _, _ = checked
    assert result.returncode == 1, result.stderr
    assert "broken" in result.stdout


def test_run_is_bounded_by_the_deadline(checked) -> None:
    *_, elapsed, _ = checked
    assert elapsed < 45  # slow-headers waits 30 s; the 4 s deadline cut it short


@pytest.mark.parametrize("case", [*CASES, *OTHER])
def test_every_status_and_reason(checked, case: str) -> None:
    cli, urls, _, _, links = checked
    url = case if case in OTHER else _url(cli.web, case)
    status, reason = urls[url]
    key = url if url in links else next(u for u in links if u.startswith(url.split("?")[0]))
    link = links[key]
    assert (link["status"], link["reason"]) == (status, reason), link


def test_titles_pdf_metadata_and_charsets(checked) -> None:
    cli, _, _, _, links = checked
    pdf = links[_url(cli.web, "/pdf?title=The%20RISE%20report&pages=7")]
    assert pdf["title"] == "The RISE report"
    assert pdf["page_count"] == 7
    assert links[_url(cli.web, "/charset/header")]["title"] == CHARSET_TITLES["header"]
    assert links[_url(cli.web, "/charset/undeclared")]["title"] == CHARSET_TITLES["undeclared"]
    assert links[_url(cli.web, "/ok")]["title"] == "OK page"


def test_redirected_link_reports_its_target(checked) -> None:
    cli, _, _, _, links = checked
    link = links[_url(cli.web, "/redirect/301?to=/page/moved")]
    assert link["final_url"] == cli.web.url("/page/moved", host="news.test")
    assert link["cited_in"] == [
        f"campaign.md:{list(CASES).index('/redirect/301?to=/page/moved') + 1}"
    ]


def test_report_json_contract(checked) -> None:
    cli, urls, *_ = checked
    report = cli.report()
    assert set(report) >= {"generated_at", "summary", "links"}
    assert sum(report["summary"].values()) == len(urls)
    fields = {
        "url", "status", "reason", "http_status", "final_url", "title", "checked_at",
        "first_failure_at", "consecutive_failures", "last_ok_at", "archive_url",
        "archive_timestamp", "cited_in", "history",
    }  # fmt: skip
    for link in report["links"]:
        assert fields <= set(link)
        assert [
            set(h) >= {"checked_at", "status", "reason", "http_status"} for h in link["history"]
        ]
        assert len(link["history"]) == 1
    order = [link["status"] for link in report["links"]]
    assert order.index("broken") < order.index("failing") < order.index("ok")


def test_markdown_report_puts_broken_first(checked) -> None:
    cli, *_ = checked
    result = cli("report", "--format", "md")
    assert result.returncode == 0, result.stderr
    text = result.stdout
    assert text.index("## Broken") < text.index("## Failing") < text.index("## Blocked")
    assert "campaign.md:" in text


def test_history_command(checked) -> None:
    cli, *_ = checked
    url = _url(cli.web, "/status/404")
    result = cli("history", url)
    assert result.returncode == 0, result.stderr
    assert "broken" in result.stdout and "404" in result.stdout


def test_confirmation_policy_across_days(cli: CLI, web: FakeWeb) -> None:
    """A 503 is failing for three runs over two days, broken once it spans three days,
    and a success resets it."""
    web.page("/flapping", status=503, body="down", host="news.test")
    url = web.url("/flapping", host="news.test")
    cli.write_sources([url])
    days = ["2026-11-01T03:00:00Z", "2026-11-02T03:00:00Z", "2026-11-03T03:00:00Z"]
    for day in days:
        result = cli("check", "--timeout", "3", now=day)
        assert result.returncode == 0, result.stderr
        assert cli.links()[url]["status"] == "failing"
    result = cli("check", "--timeout", "3", now="2026-11-04T03:00:00Z")
    assert result.returncode == 1
    link = cli.links()[url]
    assert (link["status"], link["reason"], link["consecutive_failures"]) == (
        "broken", "server_error", 4,
    )  # fmt: skip
    assert link["first_failure_at"].startswith("2026-11-01")
    web.page("/flapping", body="<title>Back</title>", host="news.test")
    result = cli("check", now="2026-11-05T03:00:00Z")
    assert result.returncode == 0, result.stderr
    link = cli.links()[url]
    assert (link["status"], link["consecutive_failures"], link["title"]) == ("ok", 0, "Back")
    # the history records what each check saw; the verdict is the link's status
    assert [h["status"] for h in link["history"]] == ["failing"] * 4 + ["ok"]


def test_politeness_limits_are_measured_at_the_server(cli: CLI, web: FakeWeb) -> None:
    web.latency_s = 0.2
    cli.write_sources([web.url(f"/page/p{n}", host="news.test") for n in range(12)])
    result = cli("check")
    assert result.returncode == 0, result.stderr
    assert web.max_concurrency("news.test") == 2
    web.clear_log()
    result = cli("check", "--per-host", "4")
    assert result.returncode == 0, result.stderr
    assert web.max_concurrency("news.test") == 4
    web.clear_log()
    cli.write_sources([web.url(f"/page/p{n}", host=f"h{n % 10}.test") for n in range(40)])
    result = cli("check", "--concurrency", "3")
    assert result.returncode == 0, result.stderr
    assert web.max_concurrency() == 3


def test_user_agent_names_citecheck(cli: CLI, web: FakeWeb) -> None:
    cli.write_sources([web.url("/ok", host="news.test")])
    cli("check")
    assert web.requests[-1].headers["user-agent"].startswith("citecheck/")
    cli("check", "--user-agent", "campaign-bot/2 (+mailto:tech@example.org)")
    assert web.requests[-1].headers["user-agent"] == "campaign-bot/2 (+mailto:tech@example.org)"
    assert {r.method for r in web.requests} == {"GET"}


def test_offline_marks_nothing_broken_and_exits_3(cli: CLI, web: FakeWeb) -> None:
    """Every host unreachable and the probe too: exit 3, nothing judged."""
    cli.write_sources([web.url("/ok", host="news.test")])
    assert cli("check").returncode == 0
    closed = web.url("/ok", host="gov.test").replace(str(web.port), "9")  # port 9: closed
    cli.env["CITECHECK_PROBE_URLS"] = closed
    cli.write_sources(
        [web.url("/ok", host="news.test").replace(str(web.port), "9"), "http://gone.invalid/x"]
    )
    result = cli("check", "--timeout", "3")
    assert result.returncode == 3, (result.stdout, result.stderr)
    assert "unreachable" in result.stderr
    report = cli.report()
    assert report["summary"]["broken"] == 0
    outcomes = [row[0] for row in cli.sql("select outcome from runs order by id")]
    assert outcomes == ["finished", "offline"]


def test_seed_urls_offline_exit_3_not_14_broken(cli: CLI, tmp_path: Path) -> None:
    """The project's real seed with no network (every name sent to a closed local
    port, so nothing leaves this machine): exit 3, never a red report."""
    seed_csv = Path(__file__).resolve().parents[2] / "sources.csv"
    (tmp_path / "sources.csv").write_bytes(seed_csv.read_bytes())
    hosts = sorted(
        {line.split("/")[2] for line in seed_csv.read_text().splitlines() if "://" in line}
    )
    cli.env["CITECHECK_PROBE_URLS"] = "https://web.archive.org/"
    args = ["check", "--timeout", "3"]
    for host in [*hosts, "web.archive.org"]:
        args += ["--resolve", f"{host}:127.0.0.1"]
    result = cli(*args, resolve=False)
    assert result.returncode == 3, (result.stdout, result.stderr)
    assert cli.report()["summary"]["broken"] == 0


def test_a_second_check_on_the_same_db_refuses(cli: CLI, web: FakeWeb) -> None:
    web.latency_s = 1.5  # long enough for the second check to start on a loaded machine
    cli.write_sources([web.url(f"/page/p{n}", host="news.test") for n in range(8)])
    first = cli.popen("check")
    try:
        deadline = time.monotonic() + 10
        while web.count() == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        second = cli("check")
        assert second.returncode == 2
        assert "in use by citecheck process" in second.stderr
    finally:
        first.wait(timeout=60)
    assert first.returncode == 0


def test_kill_9_mid_run_loses_only_checks_in_flight(cli: CLI, web: FakeWeb) -> None:
    web.latency_s = 0.3
    urls = [web.url(f"/page/p{n}", host=f"h{n % 4}.test") for n in range(40)]
    cli.write_sources(urls)
    proc = cli.popen("check", "--per-host", "1")
    deadline = time.monotonic() + 20
    recorded = 0
    while time.monotonic() < deadline and recorded < 8:
        time.sleep(0.1)
        try:
            recorded = cli.sql("select count(*) from checks")[0][0]
        except Exception:  # not created yet (sqlite3 or psycopg says so)
            recorded = 0
    proc.kill()
    proc.wait(timeout=10)
    assert recorded >= 8
    if cli.db_url is None:
        assert cli.sql("pragma integrity_check")[0][0] == "ok"
    assert cli.sql("select count(*) from checks")[0][0] >= recorded
    result = cli("check", "--per-host", "2")
    assert result.returncode == 0, result.stderr
    outcomes = [row[0] for row in cli.sql("select outcome from runs order by id")]
    assert outcomes == ["interrupted", "finished"]
    assert cli.report()["summary"]["ok"] == 40


@pytest.mark.parametrize(
    "content, message",
    [
        ("link,title\nhttps://a.test/,x\n", "no 'url' column"),
        ("url,title\nhttps://a.test/,x,extra,cells\n", "line 2"),
    ],
)
def test_bad_csv_is_a_clear_error(cli: CLI, content: str, message: str) -> None:
    (cli.cwd / "sources.csv").write_text(content)
    result = cli("check")
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.sqlite_only
def test_corrupt_database_is_refused_and_left_untouched(cli: CLI, web: FakeWeb) -> None:
    cli.write_sources([web.url("/ok", host="news.test")])
    garbage = b"this is not a database\n" * 100
    (cli.cwd / "archive.db").write_bytes(garbage)
    result = cli("check")
    assert result.returncode == 2
    assert "archive.db" in result.stderr
    assert (cli.cwd / "archive.db").read_bytes() == garbage
    assert sorted(p.name for p in cli.cwd.iterdir()) == ["archive.db", "sources.csv"]
