"""network.py: a connection failure is believed only once the network was seen working after it."""

from __future__ import annotations

import asyncio
import time

from citecheck.network import NetworkMonitor


class _FakeFetcher:
    def __init__(self, up: bool) -> None:
        self.up = up
        self.probes = 0

    async def is_network_up(self) -> bool:
        self.probes += 1
        await asyncio.sleep(0.01)
        return self.up


async def test_monitor_probes_once_for_concurrent_failures() -> None:
    fetcher = _FakeFetcher(up=False)
    monitor = NetworkMonitor(fetcher)  # type: ignore[arg-type]
    since = time.monotonic()
    answers = await asyncio.gather(*(monitor.seen_working_since(since) for _ in range(10)))
    assert answers == [False] * 10
    assert fetcher.probes == 1
    assert monitor.offline


async def test_monitor_believes_a_failure_once_another_host_answered_after_it() -> None:
    fetcher = _FakeFetcher(up=False)
    monitor = NetworkMonitor(fetcher)  # type: ignore[arg-type]
    since = time.monotonic()
    monitor.saw_response()
    assert await monitor.seen_working_since(since)
    assert fetcher.probes == 0


async def test_monitor_does_not_trust_a_probe_older_than_the_failure() -> None:
    fetcher = _FakeFetcher(up=True)
    monitor = NetworkMonitor(fetcher)  # type: ignore[arg-type]
    assert await monitor.seen_working_since(time.monotonic())
    fetcher.up = False
    await asyncio.sleep(0.01)
    assert not await monitor.seen_working_since(time.monotonic())
    assert fetcher.probes == 2
