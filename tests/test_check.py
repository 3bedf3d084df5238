"""Tests for citecheck.check: the dispatcher, the network monitor, and one link's check
(respx for HTTP, a fake checker for scheduling, a fake fetcher for the monitor)."""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime

import httpx
import pytest
import respx

from citecheck.check import Checker, CheckRequest, check_links
from citecheck.config import Settings
from citecheck.errors import NetworkOfflineError
from citecheck.fetch import Fetcher
from citecheck.lanes import Lanes
from citecheck.models import CheckResult, LinkState, Reason, Status

NOW = datetime(2026, 11, 1, 3, 0, tzinfo=UTC)
SETTINGS = Settings(max_attempts=1, probe_urls=("https://probe.example/",))


def _clock() -> datetime:
    return NOW


class _LanesOnly:
    """The part of a Fetcher the dispatcher sees."""

    def __init__(self, settings: Settings) -> None:
        self.lanes = Lanes(settings.per_host)
        self.slots = asyncio.Semaphore(settings.concurrency)

    def when_requests_out(self, callback: Callable[[], None] | None) -> None:
        """Nothing is sent: the warm-up is never called (what it imports comes on
        demand)."""


class _CountingChecker:
    """Stands in for Checker: each check is one request that holds its host's lane and
    a global slot, as Fetcher does; records how many run at once, per host and in all."""

    def __init__(self, delay_s: float = 0.01, settings: Settings | None = None) -> None:
        self.delay_s = delay_s
        self.fetcher = _LanesOnly(settings or Settings())
        self.active: Counter[str] = Counter()
        self.peak: Counter[str] = Counter()
        self.total = 0
        self.peak_total = 0
        self.order: list[str] = []

    async def check(self, request: CheckRequest, *, reservation=None) -> CheckResult:
        host = request.url.split("/")[2]
        await self.fetcher.lanes.acquire(host, reservation)
        try:
            async with self.fetcher.slots:
                return await self._request(request, host)
        finally:
            self.fetcher.lanes.release(host)

    async def _request(self, request: CheckRequest, host: str) -> CheckResult:
        self.active[host] += 1
        self.total += 1
        self.peak[host] = max(self.peak[host], self.active[host])
        self.peak_total = max(self.peak_total, self.total)
        self.order.append(host)
        try:
            await asyncio.sleep(self.delay_s)
        finally:
            self.active[host] -= 1
            self.total -= 1
        return CheckResult(url=request.url, checked_at=NOW, status=Status.OK)


async def _drain(requests, checker, settings, **kwargs) -> list[tuple[CheckRequest, CheckResult]]:
    return [pair async for pair in check_links(requests, checker, settings, **kwargs)]


async def test_every_request_is_checked_once_and_paired_with_its_result() -> None:
    requests = [CheckRequest(f"https://h{n % 3}.example/{n}") for n in range(30)]
    pairs = await _drain(requests, _CountingChecker(), Settings())
    assert sorted(r.url for r, _ in pairs) == sorted(r.url for r in requests)
    assert all(request.url == result.url for request, result in pairs)


async def test_per_host_and_global_limits_hold() -> None:
    settings = Settings(concurrency=6, per_host=2)
    checker = _CountingChecker(settings=settings)
    requests = [CheckRequest(f"https://h{n % 5}.example/{n}") for n in range(100)]
    await _drain(requests, checker, settings)
    assert max(checker.peak.values()) == 2
    assert checker.peak_total == 6


async def test_links_grouped_by_host_do_not_block_other_hosts() -> None:
    """Input sorted by host (as a sources.csv often is): hosts still take turns, so
    the first host's queue does not hold the workers hostage."""
    settings = Settings(concurrency=10, per_host=2)
    checker = _CountingChecker(settings=settings)
    requests = [CheckRequest(f"https://h{n // 20}.example/{n}") for n in range(100)]
    await _drain(requests, checker, settings)
    assert checker.peak_total == 10
    assert set(checker.order[:10]) == {f"h{n}.example" for n in range(5)}


async def test_the_window_bounds_what_is_read_ahead() -> None:
    read = 0

    def requests():
        nonlocal read
        for n in range(50):
            read += 1
            yield CheckRequest(f"https://h{n % 2}.example/{n}")

    settings = Settings(concurrency=2, per_host=1)
    checker = _CountingChecker(settings=settings)
    stream = check_links(requests(), checker, settings, window=5)
    await anext(stream)
    assert read <= 5 + 2 + 1  # the window, what is running, and the one just read
    await stream.aclose()


async def test_the_first_links_start_before_a_long_input_is_read() -> None:
    """The window fills a bite at a time: the first checks are under way before the
    dispatcher has read the rest of a long input (issue 11: start-up)."""
    read = 0
    read_when_started: list[int] = []

    def requests():
        nonlocal read
        for n in range(3000):
            read += 1
            yield CheckRequest(f"https://h{n % 20}.example/{n}")

    class Noting(_CountingChecker):
        async def check(self, request: CheckRequest, *, reservation=None) -> CheckResult:
            read_when_started.append(read)
            return await super().check(request, reservation=reservation)

    settings = Settings(concurrency=8, per_host=2)
    pairs = await _drain(requests(), Noting(delay_s=0.001, settings=settings), settings)
    assert len(pairs) == 3000
    assert read_when_started[0] <= 300  # one bite, not the whole window of 3,000


async def test_an_error_cancels_the_checks_in_flight() -> None:
    class Failing(_CountingChecker):
        async def check(self, request: CheckRequest, *, reservation=None) -> CheckResult:
            if request.url.endswith("/3"):
                raise NetworkOfflineError("down")
            return await super().check(request, reservation=reservation)

    checker = Failing(delay_s=0.05)
    requests = [CheckRequest(f"https://h{n}.example/{n}") for n in range(10)]
    with pytest.raises(NetworkOfflineError):
        await _drain(requests, checker, Settings())
    assert checker.total == 0  # every other check was cancelled and awaited


@respx.mock
async def test_a_connection_failure_with_a_dead_network_raises_offline() -> None:
    respx.get("https://probe.example/").mock(side_effect=httpx.ConnectError("down"))
    respx.get("https://campaign.example/page").mock(side_effect=httpx.ConnectError("down"))
    async with Fetcher(SETTINGS) as fetcher:
        checker = Checker(fetcher, SETTINGS, clock=_clock)
        with pytest.raises(NetworkOfflineError):
            await checker.check(CheckRequest("https://campaign.example/page"))


@respx.mock
async def test_a_connection_failure_with_a_working_network_is_believed() -> None:
    respx.get("https://probe.example/").respond(204)
    respx.get("https://campaign.example/page").mock(side_effect=httpx.ConnectError("refused"))
    async with Fetcher(SETTINGS) as fetcher:
        checker = Checker(fetcher, SETTINGS, clock=_clock)
        result = await checker.check(CheckRequest("https://campaign.example/page"))
    assert (result.status, result.reason) == (Status.FAILING, Reason.CONNECTION_ERROR)


@respx.mock
async def test_soft_404_probe_asks_a_sibling_once_per_directory() -> None:
    not_found = "<title>Page not found</title><h1>Sorry, this page could not be found</h1>"
    respx.get(url__regex=r"https://soft\.example/news/.*").respond(200, html=not_found)
    settings = Settings(max_attempts=1)
    async with Fetcher(settings) as fetcher:
        checker = Checker(fetcher, settings, clock=_clock, token=lambda: "zz9probe")
        first = await checker.check(CheckRequest("https://soft.example/news/a-dead-story"))
        second = await checker.check(CheckRequest("https://soft.example/news/another"))
    assert (first.status, first.reason) == (Status.BROKEN, Reason.SOFT_404)
    assert (second.status, second.reason) == (Status.BROKEN, Reason.SOFT_404)
    probes = [c for c in respx.calls if "zz9probe" in str(c.request.url)]
    assert len(probes) == 1  # cached for the directory /news


@respx.mock
async def test_a_real_page_is_ok_when_its_sibling_is_a_real_404() -> None:
    respx.get("https://news.example/2024/story").respond(
        200, html="<title>What a 404 error means</title><p>Errors explained at length.</p>"
    )
    respx.get(url__regex=r"https://news\.example/2024/(?!story).*").respond(404)
    settings = Settings(max_attempts=1)
    async with Fetcher(settings) as fetcher:
        result = await Checker(fetcher, settings, clock=_clock).check(
            CheckRequest("https://news.example/2024/story")
        )
    assert (result.status, result.title) == (Status.OK, "What a 404 error means")


@respx.mock(assert_all_mocked=True)
async def test_excluded_links_are_skipped_without_a_request() -> None:
    settings = Settings(
        exclude_domains=("intranet.example",), exclude_patterns=(re.compile("/private/"),)
    )
    async with Fetcher(settings) as fetcher:
        checker = Checker(fetcher, settings, clock=_clock)
        by_domain = await checker.check(CheckRequest("https://www.intranet.example/x"))
        by_pattern = await checker.check(CheckRequest("https://example.org/private/y"))
    assert (by_domain.status, by_domain.reason) == (Status.SKIPPED, Reason.EXCLUDED)
    assert "intranet.example" in (by_domain.detail or "")
    assert (by_pattern.status, by_pattern.reason) == (Status.SKIPPED, Reason.EXCLUDED)
    assert not respx.calls


@respx.mock
async def test_a_304_keeps_the_stored_title_and_validators() -> None:
    route = respx.get("https://example.org/report.pdf").respond(304)
    previous = LinkState(
        url="https://example.org/report.pdf", status=Status.OK, title="RISE", page_count=120
    )
    settings = Settings(max_attempts=1)
    async with Fetcher(settings) as fetcher:
        result = await Checker(fetcher, settings, clock=_clock).check(
            CheckRequest(previous.url, previous=previous, etag='"v1"')
        )
    assert route.calls.last.request.headers["if-none-match"] == '"v1"'
    assert (result.status, result.title, result.page_count, result.etag) == (
        Status.OK, "RISE", 120, '"v1"',
    )  # fmt: skip


@respx.mock
async def test_accepted_status_codes_are_ok() -> None:
    respx.get("https://social.example/profile").respond(999)
    settings = Settings(max_attempts=1, accepted_status=frozenset({999}))
    async with Fetcher(settings) as fetcher:
        result = await Checker(fetcher, settings, clock=_clock).check(
            CheckRequest("https://social.example/profile")
        )
    assert result.status is Status.OK
    assert "accepted by configuration" in (result.detail or "")


# -- what real sites do (sites.py) ----------------------------------------------------------

_WALL = "https://consent.youtube.com/m?continue=https%3A%2F%2Fwww.youtube.com%2Fwatch%3Fv%3Dabc"
_PLAYER = (
    '<title>Campaign - YouTube</title><script>var ytInitialPlayerResponse = {"playabilityStatus"'
    ':{"status":"ERROR","reason":"Video unavailable"}};</script>'
)


@respx.mock
async def test_a_consent_wall_is_retried_once_with_its_cookie_then_the_video_judged() -> None:
    def watch(request: httpx.Request) -> httpx.Response:
        if "SOCS=CAI" in request.headers.get("cookie", ""):
            return httpx.Response(200, html=_PLAYER)
        return httpx.Response(302, headers={"Location": _WALL})

    route = respx.get("https://www.youtube.com/watch?v=abc").mock(side_effect=watch)
    respx.get(_WALL).respond(200, html="<title>Before you continue to YouTube</title>")
    settings = Settings(max_attempts=1, soft404_probe=False)
    async with Fetcher(settings) as fetcher:
        result = await Checker(fetcher, settings, clock=_clock).check(
            CheckRequest("https://www.youtube.com/watch?v=abc")
        )
    assert route.call_count == 2
    assert (result.status, result.reason) == (Status.BROKEN, Reason.CONTENT_REMOVED)
    assert "rule youtube-unavailable" in (result.detail or "")


@respx.mock
async def test_a_wall_with_no_known_cookie_is_blocked_untitled_and_not_retried() -> None:
    wall = "https://guce.yahoo.com/consent?sessionId=3"
    route = respx.get("https://news.yahoo.com/a/b").respond(302, headers={"Location": wall})
    respx.get(wall).respond(200, html="<title>Yahoo is part of the Yahoo family of brands</title>")
    settings = Settings(max_attempts=1)
    async with Fetcher(settings) as fetcher:
        result = await Checker(fetcher, settings, clock=_clock).check(
            CheckRequest("https://news.yahoo.com/a/b")
        )
    assert route.call_count == 1
    assert (result.status, result.reason) == (Status.BLOCKED, Reason.CONSENT_WALL)
    assert result.title is None and result.text_fingerprint is None


@respx.mock
async def test_the_remembered_title_tells_a_move_from_a_landing_page() -> None:
    respx.get("https://cnn.example/2021/05/04/tech/story/index.html").respond(
        301, headers={"Location": "https://cnn.example/business/tech"}
    )
    respx.get("https://cnn.example/business/tech").respond(200, html="<title>Tech - CNN</title>")
    previous = LinkState(
        url="https://cnn.example/2021/05/04/tech/story/index.html",
        status=Status.OK,
        title="PimEyes: anyone can search faces",
    )
    settings = Settings(max_attempts=1, soft404_probe=False)
    async with Fetcher(settings) as fetcher:
        result = await Checker(fetcher, settings, clock=_clock).check(
            CheckRequest(previous.url, previous=previous)
        )
    assert (result.status, result.reason) == (Status.BROKEN, Reason.SOFT_404)
    assert result.title is None  # the section front's title never becomes the link's
