"""check.check_links stopped at any point (a stop signal cancels the run's task, a
consumer closes the stream): every check in flight is cancelled and every lane,
reservation and global slot comes back."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from citecheck.check import CheckRequest, check_links
from citecheck.config import Settings
from citecheck.errors import NetworkOfflineError
from citecheck.fetch import Fetcher
from citecheck.fetch.progress import Deadline
from citecheck.models import CheckResult, Status

NOW = datetime(2026, 11, 1, 3, 0, tzinfo=UTC)


class _FetchingChecker:
    """Each check makes one request the way Fetcher does (its lane and a global
    slot, taken by plain calls when free, waited for otherwise), holds them a few
    turns of the loop, and gives them back; ``offline_at`` makes that link raise
    NetworkOfflineError after its request."""

    def __init__(self, settings: Settings, offline_at: int | None = None) -> None:
        self.fetcher = Fetcher(settings)
        self.offline_at = offline_at
        self.started = 0

    async def check(self, request: CheckRequest, *, reservation=None) -> CheckResult:
        fetcher = self.fetcher
        host = request.url.split("/")[2]
        self.started += 1
        async with asyncio.timeout(30) as timeout:
            lane = fetcher.lanes.try_acquire(host, reservation)
            if not (lane and fetcher._global_slots.try_take()):
                await fetcher._take_slot(host, Deadline(timeout), reservation, lane)
            try:
                for _ in range(1 + int(request.url.rsplit("/", 1)[1]) % 3):
                    await asyncio.sleep(0)
            finally:
                fetcher._global_slots.release()
                fetcher.lanes.release(host)
        if request.url.endswith(f"/{self.offline_at}"):
            raise NetworkOfflineError("no host answers")
        return CheckResult(url=request.url, checked_at=NOW, status=Status.OK)


def _requests(n: int) -> list[CheckRequest]:
    return [CheckRequest(f"https://h{k % 3}.example/{k}") for k in range(n)]


def _all_given_back(checker: _FetchingChecker, settings: Settings) -> None:
    fetcher = checker.fetcher
    assert fetcher.lanes._lanes == {}  # no lane, reservation or waiter left on any host
    assert fetcher._global_slots.free == settings.concurrency
    assert fetcher._global_slots.waiting == 0
    assert fetcher.lanes.on_room is None


@pytest.mark.parametrize("turns", [0, 1, 2, 3, 5, 8, 13, 21, 34])
async def test_a_run_cancelled_at_any_turn_gives_every_lane_and_slot_back(turns: int) -> None:
    settings = Settings(concurrency=4, per_host=2)
    checker = _FetchingChecker(settings)
    got: list[str] = []

    async def consume() -> None:
        async for request, _ in check_links(_requests(60), checker, settings, window=7):
            got.append(request.url)

    task = asyncio.ensure_future(consume())
    for _ in range(turns):
        await asyncio.sleep(0)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    assert task.cancelled()
    _all_given_back(checker, settings)
    assert len(got) < 60


@pytest.mark.parametrize("after", [0, 1, 5, 20])
async def test_a_stream_closed_after_some_results_gives_everything_back(after: int) -> None:
    settings = Settings(concurrency=3, per_host=1)
    checker = _FetchingChecker(settings)
    stream = check_links(_requests(40), checker, settings, window=6)
    for _ in range(after + 1):
        await anext(stream)
    await stream.aclose()
    _all_given_back(checker, settings)


async def test_every_link_is_yielded_once_and_everything_comes_back() -> None:
    settings = Settings(concurrency=4, per_host=2)
    checker = _FetchingChecker(settings)
    urls = [r.url async for r, _ in check_links(_requests(200), checker, settings, window=10)]
    assert sorted(urls) == sorted(r.url for r in _requests(200))
    _all_given_back(checker, settings)


async def test_network_offline_stops_the_run_and_gives_everything_back() -> None:
    settings = Settings(concurrency=4, per_host=2)
    checker = _FetchingChecker(settings, offline_at=17)
    got = 0
    with pytest.raises(NetworkOfflineError):
        async for _ in check_links(_requests(100), checker, settings, window=10):
            got += 1
    assert got < 100
    _all_given_back(checker, settings)
