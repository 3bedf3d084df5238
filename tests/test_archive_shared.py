"""The archive step of ``run --worker`` (archive/shared.py): rate limits shared
through the database, and each link claimed by one worker."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from servers import FakeWayback

from citecheck.archive import WaybackClient, archive_links
from citecheck.archive.shared import LinkClaims, SharedRateLimiter, share_limits
from citecheck.config import ArchiveSettings, RateLimit
from citecheck.models import CheckResult, Citation, LinkState, Reason, Status
from citecheck.store import Store

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
EPOCH_NOW = NOW.timestamp()
FAST = RateLimit(60_000)


@pytest.fixture
def stores(store_backend: str) -> Iterator[tuple[Store, Store]]:
    """Two stores open on one database: two workers' connections."""
    with Store.open(store_backend) as first, Store.open(store_backend) as second:
        yield first, second


class _Sleeps:
    """A sleep that records how long it was asked for and returns at once."""

    def __init__(self) -> None:
        self.asked: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.asked.append(seconds)
        await asyncio.sleep(0)


async def test_two_workers_limiters_space_their_requests_as_one(stores) -> None:
    a, b = stores
    sleeps = _Sleeps()
    limit = RateLimit(30)  # one request every 2 s
    first, second = (
        SharedRateLimiter(store, "wayback-cdx", limit, clock=lambda: EPOCH_NOW, sleep=sleeps)
        for store in (a, b)
    )
    for limiter in (first, second, first, second):
        await limiter.wait()
    assert sleeps.asked == [2.0, 4.0, 6.0]
    assert first.delay_s() == second.delay_s() == 8.0


async def test_a_429_seen_by_one_worker_holds_off_the_other(stores) -> None:
    a, b = stores
    sleeps = _Sleeps()
    clock = [EPOCH_NOW]
    first, second = (
        SharedRateLimiter(
            store, "wayback-save", RateLimit(60), clock=lambda: clock[0], sleep=sleeps
        )
        for store in (a, b)
    )
    await first.wait()
    first.hold_off(30.0)
    assert second.delay_s() == 30.0

    async def moving_sleep(seconds: float) -> None:
        sleeps.asked.append(seconds)
        clock[0] += seconds

    second._sleep = moving_sleep
    await second.wait()
    assert sleeps.asked == [30.0] and clock[0] == EPOCH_NOW + 30.0


def test_a_link_is_claimed_by_one_worker_until_its_claims_end(stores) -> None:
    a, b = stores

    async def scenario() -> None:
        one = LinkClaims(a, holder="1@m1", run_id=None, clock=lambda: NOW, lease_s=60)
        two = LinkClaims(b, holder="2@m2", run_id=None, clock=lambda: NOW, lease_s=60)
        async with one, two:
            assert one.claim(1, "https://ngo.example/a")
            assert one.claim(1, "https://ngo.example/a")  # its own: still its own
            assert not two.claim(1, "https://ngo.example/a")
            assert two.claim(2, "https://ngo.example/b")
            assert (one.skipped, two.skipped) == (0, 1)
        assert a.host_lease("archive:https://ngo.example/a") is None  # released at the end

    asyncio.run(scenario())


def test_a_dead_workers_claims_expire(stores) -> None:
    a, b = stores
    clock = [NOW]
    one = LinkClaims(a, holder="1@m1", run_id=None, clock=lambda: clock[0], lease_s=60)
    two = LinkClaims(b, holder="2@m2", run_id=None, clock=lambda: clock[0], lease_s=60)
    assert one.claim(1, "https://ngo.example/a")  # and then it is killed: never released
    clock[0] = NOW + timedelta(seconds=59)
    assert not two.claim(1, "https://ngo.example/a")
    clock[0] = NOW + timedelta(seconds=60)
    assert two.claim(1, "https://ngo.example/a")


def test_renewed_claims_outlive_their_first_lease(stores) -> None:
    a, b = stores
    one = LinkClaims(a, holder="1@m1", run_id=None, clock=lambda: NOW, lease_s=60)
    assert one.claim(1, "https://ngo.example/a") and one.claim(2, "https://ngo.example/b")
    later = NOW + timedelta(seconds=40)
    assert a.renew_held("archive:", holder="1@m1", now=later, lease=timedelta(seconds=60)) == 2
    two = LinkClaims(
        b, holder="2@m2", run_id=None, clock=lambda: NOW + timedelta(seconds=90), lease_s=60
    )
    assert not two.claim(2, "https://ngo.example/b")


# -- two workers' archive steps against the fake Wayback -----------------------------


@pytest.fixture
def wayback() -> Iterator[FakeWayback]:
    with FakeWayback() as server:
        server.now = NOW
        yield server


def _dead_link(store: Store, url: str) -> None:
    died = datetime(2024, 4, 2, tzinfo=UTC)
    state = LinkState(
        url,
        Status.BROKEN,
        Reason.NOT_FOUND,
        404,
        checked_at=NOW,
        first_failure_at=died,
        consecutive_failures=3,
    )
    run = store.begin_run("check", now=NOW)
    store.record_check(run, CheckResult(url, NOW, state.status, state.reason, 404), state)
    store.finish_run(run, now=NOW, outcome="finished", summary={})


def test_two_workers_look_each_link_up_once_under_one_rate_limit(
    tmp_path: Path, wayback: FakeWayback
) -> None:
    urls = [f"https://ngo.example/dead/{n}" for n in range(6)]
    db = tmp_path / "archive.db"
    with Store.open(db) as seed:
        seed.sync_citations([Citation(url=url, accessed="2024-03-15") for url in urls], now=NOW)
        for url in urls:
            wayback.add_capture(url, "20240310000000")
            _dead_link(seed, url)
    settings = ArchiveSettings(
        wayback_url=wayback.base,
        cdx_rate=RateLimit(30),
        cdx_concurrency=1,  # a worker waits for its look-up: the other takes links meanwhile
        save_rate=FAST,
        status_rate=FAST,
    )
    sleeps = _Sleeps()

    async def worker(store: Store, holder: str):
        async with httpx.AsyncClient() as http:
            client = WaybackClient(http, settings)
            share_limits(store, client, None, clock=lambda: EPOCH_NOW, sleep=sleeps)
            claims = LinkClaims(store, holder=holder, run_id=None, clock=lambda: NOW, lease_s=60)
            async with claims:
                return await archive_links(
                    store, client, settings, clock=lambda: NOW, claim=claims.claim
                )

    async def both(a: Store, b: Store):
        return await asyncio.gather(worker(a, "1@m1"), worker(b, "2@m2"))

    with Store.open(db) as a, Store.open(db) as b:
        first, second = asyncio.run(both(a, b))
    cdx = [r for r in wayback.requests if r.path.startswith("/cdx/")]
    assert len(cdx) == len(urls)  # one look-up of each link, by one worker or the other
    assert first.links + second.links == len(urls)
    assert first.with_copy + second.with_copy == len(urls)
    assert first.links > 0 and second.links > 0
    # Every request took its own slot of the one limit, 2 s after the one before.
    assert sorted(sleeps.asked) == [2.0 * n for n in range(1, len(urls))]
