"""``citecheck run --worker``: several worker processes sharing one database."""

from __future__ import annotations

import collections
import time

from clirunner import CLI
from servers import RISE_PATH, FakeWayback, FakeWeb, rise_report, serve_pdf

HOSTS = [f"h{n}.test" for n in range(8)]


def _urls(web: FakeWeb, count: int) -> list[str]:
    return [web.url(f"/page/p{n}", host=HOSTS[n % len(HOSTS)]) for n in range(count)]


def _checks_per_link(cli: CLI) -> collections.Counter[str]:
    rows = cli.sql("select links.url from checks join links on links.id = checks.link_id")
    return collections.Counter(url for (url,) in rows)


def test_two_workers_check_every_link_once_and_keep_the_per_host_limit(
    cli: CLI, web: FakeWeb
) -> None:
    web.latency_s = 0.3
    urls = _urls(web, 96)
    cli.write_sources(urls)
    # 4 requests in flight at most, 2 a host: each worker feeds 4 hosts at a time, so
    # the second worker, started with the first, gets hosts of its own.
    workers = [
        cli.popen("run", "--worker", "--concurrency", "4", "--per-host", "2") for _ in range(2)
    ]
    for worker in workers:
        out, err = worker.communicate(timeout=90)
        assert worker.returncode == 0, err
        assert "Traceback" not in err
    assert _checks_per_link(cli) == {url: 1 for url in urls}
    cited = {f"/page/p{n}" for n in range(96)}  # not the soft-404 probes' random paths
    served = collections.Counter(r.path for r in web.requests if r.path in cited)
    assert served == dict.fromkeys(cited, 1)
    assert all(web.max_concurrency(host) <= 2 for host in HOSTS)
    assert max(web.max_concurrency(host) for host in HOSTS) == 2
    runs = cli.sql(
        "select outcome, worker, links_checked from runs where command = 'run' order by id"
    )
    assert [(outcome, worker) for outcome, worker, _ in runs] == [("finished", 1)] * 2
    archived = cli.sql("select outcome, worker from runs where command = 'run-archive'")
    assert archived == [("offline", 1)] * 2  # the conftest's archive answers nobody
    assert sum(checked for _, _, checked in runs) == 96
    assert all(checked > 0 for _, _, checked in runs)  # both worked
    assert cli.sql("select count(*) from host_leases") == [(0,)]
    assert cli.report()["summary"]["ok"] == 96


def test_a_killed_workers_hosts_are_finished_by_another_and_nothing_is_checked_twice(
    cli: CLI, web: FakeWeb
) -> None:
    web.latency_s = 0.2
    urls = _urls(web, 48)
    cli.write_sources(urls)
    first = cli.popen("run", "--worker", "--per-host", "1", "--lease-seconds", "2")
    deadline = time.monotonic() + 30
    recorded = 0
    while time.monotonic() < deadline and recorded < 10:
        time.sleep(0.1)
        try:
            recorded = cli.sql("select count(*) from checks")[0][0]
        except Exception:  # not created yet (sqlite3 or psycopg says so)
            recorded = 0
    first.kill()
    first.wait(timeout=10)
    assert 10 <= recorded < 48
    assert cli.sql("select count(*) from host_leases")[0][0] > 0  # left behind by kill -9
    second = cli("run", "--worker", "--per-host", "1", "--lease-seconds", "2")
    assert second.returncode == 0, second.stderr
    assert _checks_per_link(cli) == {url: 1 for url in urls}
    assert cli.sql("select count(*) from host_leases") == [(0,)]
    outcomes = [
        row[0] for row in cli.sql("select outcome from runs where command = 'run' order by id")
    ]
    assert outcomes == ["interrupted", "finished"]
    assert cli.report()["summary"]["ok"] == 48


def test_two_workers_archive_each_link_once_under_one_shared_rate_limit(
    cli: CLI, web: FakeWeb, wayback: FakeWayback
) -> None:
    urls = [web.url(f"/ok?n={n}", host=HOSTS[n % len(HOSTS)]) for n in range(10)]
    cli.write_sources(urls)
    cli.env["CITECHECK_WAYBACK_CDX_PER_MIN"] = "300"  # one look-up every 0.2 s, in all
    workers = [cli.popen("run", "--worker", "--lease-seconds", "30") for _ in range(2)]
    for worker in workers:
        out, err = worker.communicate(timeout=120)
        assert worker.returncode == 0, err
        assert "Traceback" not in err
    assert sorted(wayback.saved) == sorted(urls)  # each live page captured once, by one
    archived = cli.sql("select outcome, worker from runs where command = 'run-archive'")
    assert archived == [("finished", 1)] * 2
    assert cli.sql("select count(*) from host_leases") == [(0,)]  # claims released
    assert [link["archive_url"] is not None for link in cli.report()["links"]] == [True] * 10
    # The CDX limit held across both workers: the requests came one slot apart, never
    # two together (a limit per process would let the two send in pairs).
    cdx = sorted(r.started_at for r in wayback.requests if r.path == "/cdx/search/cdx")
    assert len(cdx) >= len(urls)
    gaps = [later - earlier for earlier, later in zip(cdx, cdx[1:], strict=False)]
    assert min(gaps) >= 0.1
    assert cdx[-1] - cdx[0] >= 0.2 * (len(cdx) - 1) - 0.1


def test_a_worker_checks_the_cited_pages_of_a_pdf_as_a_run_does(cli: CLI) -> None:
    """The links whose citations name a page or a claim are known from the read at
    claim time; their pages are checked (store.page_question), the others' are not
    asked about."""
    serve_pdf(cli.web, RISE_PATH, rise_report(), host="ngo.test")
    url = cli.web.url(RISE_PATH, host="ngo.test")
    plain = cli.web.url("/page/plain", host="ngo.test")
    lines = [f"The police database holds 180,000 faces: {url} [p.67]", f"See {url} [p.400]"]
    (cli.cwd / "campaign.md").write_text("\n\n".join([*lines, plain]) + "\n", encoding="utf-8")
    assert cli("extract", "campaign.md").returncode == 0
    worked = cli("run", "--worker", "--timeout", "10")
    assert worked.returncode == 0, worked.stderr
    link = cli.links()[url]
    checks = {c["page"]: c["page_check"] for c in link["citations"]}
    assert checks["67"]["finding"] is None and checks["67"]["pdf_page"] == 69
    assert checks["400"]["finding"] == "page_missing"
    assert cli.links()[plain]["status"] == "ok"
