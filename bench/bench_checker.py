"""CPU per link between the store and the recorder: the dispatcher, Checker and judge.

``check_links`` runs a real :class:`~citecheck.check.Checker` (its sibling probes on)
over N links shaped like bench_peer.py's (78% 200, 10% 404, 2% 500, 10% 301 to
another host), every URL distinct as in a real check (so no cache of a URL's parts
hides a split), with the fetch replaced by a canned answer; each result is judged
(judgement.judge) as the recorder would. What is timed is the per-link work outside
fetch/ and the store: dispatching, reading the page, classify and the site rules,
the result and the new state.

    python bench/bench_checker.py                     # 20,000 links, best of 3
    PYTHONPATH=/tmp/before/src python bench/bench_checker.py   # an older src

Under load, count instructions instead (deterministic):

    PYTHONHASHSEED=0 valgrind --tool=callgrind --callgrind-out-file=/dev/null \
        python bench/bench_checker.py --links 2000 --repeat 1
"""

from __future__ import annotations

import argparse
import asyncio
import time
from datetime import UTC, datetime

from citecheck.check import Checker, CheckRequest, check_links
from citecheck.config import ConfirmationPolicy, Settings
from citecheck.judgement import judge
from citecheck.lanes import Lanes
from citecheck.models import FetchOutcome, Hop

HEADERS = {"content-type": "text/html; charset=utf-8", "server": "citecheck-fake-web"}
NOW = datetime(2026, 12, 2, tzinfo=UTC)


def _page(title: str, path: str) -> bytes:
    """The body bench_peer.py's fake web sends."""
    return (
        f"<html><head><title>{title}</title></head><body><p>{title}: {path}</p></body></html>"
    ).encode()


class _CannedFetcher:
    """Answers as the fake web of bench_peer.py does, at once."""

    def __init__(self, per_host: int) -> None:
        self.lanes = Lanes(per_host)

    def when_requests_out(self, callback: object) -> None:
        """No requests go out: the dispatcher's warm-up is not called."""

    async def fetch(self, url: str, **_: object) -> FetchOutcome:
        path = "/" + url.split("/", 3)[3]
        kind = path[1]
        if kind == "p":
            return FetchOutcome(url, url, 200, HEADERS, body=_page("A page", path))
        if kind == "g":
            return FetchOutcome(url, url, 404, HEADERS, body=_page("Not Found", path))
        if kind == "e":
            return FetchOutcome(url, url, 500, HEADERS, body=_page("Internal Server Error", path))
        final = url.split("?to=", 1)[1]
        hops = (Hop(url, 301, final),)
        return FetchOutcome(url, final, 200, HEADERS, hops, body=_page("A page", final))


def _links(links: int, hosts: int) -> list[CheckRequest]:
    requests = []
    for n in range(links):
        base = f"http://127.0.1.{n % hosts}:8080"
        kind = (n // hosts) % 50
        if kind == 0:
            url = f"{base}/e/{n}"
        elif kind <= 5:
            url = f"{base}/g/{n}"
        elif kind <= 10:
            url = f"{base}/m/{n}?to=http://127.0.1.{(n + 1) % hosts}:8080/p/moved-{n}"
        else:
            url = f"{base}/p/{n}"
        requests.append(CheckRequest(url))
    return requests


async def _one_run(links: int, hosts: int) -> float:
    settings = Settings(per_host=2, resolve=())
    checker = Checker(_CannedFetcher(2), settings, clock=lambda: NOW)  # type: ignore[arg-type]
    requests = _links(links, hosts)
    policy = ConfirmationPolicy()
    started = time.process_time()
    async for _, result in check_links(requests, checker, settings):
        judge(None, result, None, policy)
    return time.process_time() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--links", type=int, default=20_000)
    parser.add_argument("--hosts", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    options = parser.parse_args()
    best = min(asyncio.run(_one_run(options.links, options.hosts)) for _ in range(options.repeat))
    print(
        f"dispatch, check glue, judging: {1e6 * best / options.links:.1f} µs CPU a link "
        f"(best of {options.repeat}: {best:.2f} s for {options.links})"
    )


if __name__ == "__main__":
    main()
