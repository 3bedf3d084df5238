"""``citecheck run --worker``: several worker processes sharing one database."""

from __future__ import annotations

import collections
import time

from clirunner import CLI
from servers import FakeWeb

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
    runs = cli.sql("select outcome, worker, links_checked from runs order by id")
    assert [(outcome, worker) for outcome, worker, _ in runs] == [("finished", 1)] * 2
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
    outcomes = [row[0] for row in cli.sql("select outcome from runs order by id")]
    assert outcomes == ["interrupted", "finished"]
    assert cli.report()["summary"]["ok"] == 48
