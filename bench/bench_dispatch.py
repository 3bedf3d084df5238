"""CPU per link of check.py's dispatcher and a request's lane and global slot.

``check_links`` runs over N links with a stand-in checker whose every check makes
one request as ``Fetcher`` takes it (its host's lane and a global slot, the
per-URL deadline around them), holds them for two turns of the event loop and
gives them back: what is timed is the dispatcher (a task per link, the lanes'
hand-over, the window) and the slots, not HTTP, titles or the store.

    python bench/bench_dispatch.py                      # 20,000 links over 20 hosts
    python bench/bench_dispatch.py --links 2000 --repeat 9
    PYTHONPATH=/tmp/before/src python bench/bench_dispatch.py   # an older src
"""

from __future__ import annotations

import argparse
import asyncio
import time

from citecheck.check import CheckRequest, check_links
from citecheck.config import Settings
from citecheck.fetch import Fetcher
from citecheck.fetch.progress import Deadline


class _OneRequest:
    """A check that is one request's slots, taken the way the Fetcher takes them."""

    def __init__(self, fetcher: Fetcher) -> None:
        self.fetcher = fetcher
        self._plain_calls = hasattr(fetcher.lanes, "try_acquire")  # before 2026-12-02

    async def check(self, request: CheckRequest, *, reservation=None) -> None:
        fetcher = self.fetcher
        host = request.url.split("/")[2]
        async with asyncio.timeout(30) as timeout:
            deadline = Deadline(timeout)
            if self._plain_calls:
                lane = fetcher.lanes.try_acquire(host, reservation)
                if not (lane and fetcher._global_slots.try_take()):
                    await fetcher._take_slot(host, deadline, reservation, lane)
            else:
                await fetcher._take_slot(host, deadline, reservation)  # type: ignore[call-arg]
            try:
                await asyncio.sleep(0)
                await asyncio.sleep(0)
            finally:
                fetcher._global_slots.release()
                fetcher.lanes.release(host)


async def _one_run(links: int, hosts: int, per_host: int) -> float:
    settings = Settings(per_host=per_host, resolve=())
    checker = _OneRequest(Fetcher(settings))
    requests = [CheckRequest(f"http://h{n % hosts}.example/p{n}") for n in range(links)]
    started = time.thread_time()
    done = 0
    async for _ in check_links(requests, checker, settings):  # type: ignore[arg-type]
        done += 1
    spent = time.thread_time() - started
    assert done == links
    return spent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--links", type=int, default=20_000)
    parser.add_argument("--hosts", type=int, default=20)
    parser.add_argument("--per-host", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=5)
    options = parser.parse_args()
    runs = [
        asyncio.run(_one_run(options.links, options.hosts, options.per_host))
        for _ in range(options.repeat)
    ]
    best = min(runs)
    print(
        f"dispatcher and slots: {1e6 * best / options.links:.1f} µs CPU a link "
        f"(best of {options.repeat}: {best:.2f} s for {options.links})"
    )


if __name__ == "__main__":
    main()
