"""Politeness lanes (lanes.py): held per request, measured at the fake web.

The fake web records when each request arrived and was answered, per Host; these
tests read that log, so what they prove is what a server would see.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from datetime import UTC, datetime

import pytest
from servers import FakeWeb, RecordedRequest, Reply, Request

from citecheck import check
from citecheck.check import Checker, CheckRequest, check_links
from citecheck.config import Settings
from citecheck.fetch import Fetcher
from citecheck.lanes import Lanes
from citecheck.models import LinkState, PageInfo, Reason, Status

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def _settings(web: FakeWeb, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "per_host": 1,
        "timeout_s": 10.0,
        "backoff_s": 1.0,
        "max_attempts": 2,
        "soft404_probe": False,
        "resolve": web.resolve_for("a.test", "b.test", "c.test"),
        "probe_urls": (web.url("/ok"),),
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


async def _check_all(settings: Settings, urls: list[str]) -> dict[str, Status]:
    async with Fetcher(settings) as fetcher:
        checker = Checker(fetcher, settings, clock=lambda: NOW)
        requests = [CheckRequest(url) for url in urls]
        return {
            r.url: result.status async for r, result in check_links(requests, checker, settings)
        }


def _log(web: FakeWeb, path: str) -> list[RecordedRequest]:
    web.settle()
    return sorted((r for r in web.requests if r.path == path), key=lambda r: r.started_at)


# -- measured at the fake web -------------------------------------------------------------


async def test_the_lane_is_free_during_a_retrys_backoff(fake_web: FakeWeb) -> None:
    """One lane to a.test: while the 503 waits a second before its retry, the
    host's next link is fetched, not held back until the retry is done."""
    settings = _settings(fake_web)
    flaky = fake_web.url("/flaky/backoff?fail=1&code=503", host="a.test")
    other = fake_web.url("/page/other", host="a.test")
    statuses = await _check_all(settings, [flaky, other])
    assert statuses == {flaky: Status.OK, other: Status.OK}
    first, retry = _log(fake_web, "/flaky/backoff")
    (page,) = _log(fake_web, "/page/other")
    assert first.finished_at is not None and page.finished_at is not None
    assert first.finished_at <= page.started_at and page.finished_at <= retry.started_at
    assert retry.started_at - first.finished_at >= 0.9  # the backoff was waited
    assert fake_web.max_concurrency("a.test") == 1


async def test_a_500_is_retried_after_a_short_pause_with_the_lane_free(
    fake_web: FakeWeb,
) -> None:
    """A 500's one retry waits ``retry_500_after_s`` (0.3-0.45 s here), not the
    1 s backoff, and the host's next link takes the lane meanwhile."""
    settings = _settings(fake_web, retry_500_after_s=0.3)
    fake_web.latency_s = 0.05
    flaky = fake_web.url("/flaky/pause?fail=1&code=500", host="a.test")
    other = fake_web.url("/page/other", host="a.test")
    statuses = await _check_all(settings, [flaky, other])
    assert statuses == {flaky: Status.OK, other: Status.OK}
    first, retry = _log(fake_web, "/flaky/pause")
    (page,) = _log(fake_web, "/page/other")
    assert first.finished_at is not None and page.finished_at is not None
    assert first.finished_at <= page.started_at and page.finished_at <= retry.started_at
    assert 0.3 <= retry.started_at - first.finished_at < 0.9
    assert fake_web.max_concurrency("a.test") == 1


async def test_the_lane_is_free_during_a_redirect_to_another_host(fake_web: FakeWeb) -> None:
    """A link of a.test redirected to a slow page on b.test does not hold a.test's
    lane while b.test answers: a.test's next link is fetched meanwhile."""
    settings = _settings(fake_web)
    target = fake_web.url("/slow-headers?delay=1", host="b.test")
    moved = fake_web.url(f"/redirect/301?to={target}", host="a.test")
    other = fake_web.url("/page/other", host="a.test")
    statuses = await _check_all(settings, [moved, other])
    assert statuses[other] == Status.OK
    (redirect,) = _log(fake_web, "/redirect/301")
    (hop,) = _log(fake_web, "/slow-headers")
    (page,) = _log(fake_web, "/page/other")
    assert hop.host == "b.test" and hop.finished_at is not None
    assert redirect.finished_at is not None and redirect.finished_at <= page.started_at
    assert page.started_at < hop.finished_at - 0.5  # not after the 1 s hop
    assert fake_web.max_concurrency("a.test") == 1


async def test_a_retry_after_pauses_its_host_not_the_run(fake_web: FakeWeb) -> None:
    """A 429 with Retry-After: 1 from a.test stops every request to a.test for that
    second (even with its lane free), while c.test goes on."""
    settings = _settings(fake_web)
    limited = fake_web.url("/retry-after?seconds=1&key=pause", host="a.test")
    same_host = fake_web.url("/page/same-host", host="a.test")
    other_host = fake_web.url("/page/other-host", host="c.test")
    fake_web.latency_s = 0.05
    statuses = await _check_all(settings, [limited, same_host, other_host])
    assert set(statuses.values()) == {Status.OK}
    refused, accepted = _log(fake_web, "/retry-after")
    (same,) = _log(fake_web, "/page/same-host")
    (other,) = _log(fake_web, "/page/other-host")
    assert refused.finished_at is not None
    assert same.started_at - refused.finished_at >= 0.9
    assert accepted.started_at - refused.finished_at >= 0.9
    assert other.started_at - refused.finished_at < 0.5


async def test_the_sibling_probe_stays_inside_the_deadline(fake_web: FakeWeb) -> None:
    """A page that takes 0.7 s to answer, under a 1 s deadline: its sibling probe
    (also 0.7 s) is cut at the deadline, and the link is judged on what was seen."""

    async def slow_page(request: Request, reply: Reply) -> None:
        await asyncio.sleep(0.7)
        await reply.send(200, b"<html><head><title>A story</title></head><body>Text</body></html>")

    fake_web.route("/slow/*", slow_page, host="a.test")
    settings = _settings(fake_web, timeout_s=1.0, soft404_probe=True)
    url = fake_web.url("/slow/story", host="a.test")
    async with Fetcher(settings) as fetcher:
        checker = Checker(fetcher, settings, clock=lambda: NOW)
        started = time.monotonic()
        result = await checker.check(CheckRequest(url))
        elapsed = time.monotonic() - started
    assert fake_web.count(host="a.test") == 2  # the page and its sibling
    assert elapsed < 1.0 + 0.25
    assert result.status == Status.OK


def _arrived(web: FakeWeb, path: str) -> int:
    """Requests for ``path`` the fake web has received, waiting (at most 5 s, only a
    bound) for one that was sent and is still on its way through the server."""
    deadline = time.monotonic() + 5.0
    while not (count := sum(r.path == path for r in web.requests)):
        if time.monotonic() > deadline:
            break
        time.sleep(0.005)
    return count


async def test_the_next_request_of_a_host_goes_out_before_the_page_is_judged(
    fake_web: FakeWeb, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One lane to a.test: the first link's answer gives the lane to the second
    link, whose request reaches the server before the first page is read and
    judged (the loop is held while the page is read: a request sent only after
    that would never arrive meanwhile)."""
    settings = _settings(fake_web)
    first = fake_web.url("/page/first", host="a.test")
    second = fake_web.url("/page/second", host="a.test")
    arrived_at_first_read: list[int] = []
    read = check.page_info

    def reading(body: bytes, headers: Mapping[str, str], *, truncated: bool = False) -> PageInfo:
        if not arrived_at_first_read:
            arrived_at_first_read.append(_arrived(fake_web, "/page/second"))
        return read(body, headers, truncated=truncated)

    monkeypatch.setattr(check, "page_info", reading)
    statuses = await _check_all(settings, [first, second])
    assert statuses == {first: Status.OK, second: Status.OK}
    assert arrived_at_first_read == [1]
    (answered,) = _log(fake_web, "/page/first")
    (sent,) = _log(fake_web, "/page/second")
    assert answered.finished_at is not None and answered.finished_at <= sent.started_at
    assert fake_web.max_concurrency("a.test") == 1


async def test_the_page_reader_is_imported_while_the_first_requests_wait(
    fake_web: FakeWeb, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The page reader (titles.py, lxml) is imported once, after the first links'
    requests have reached the server and before any answer is read (readers.py)."""
    settings = _settings(fake_web, per_host=2)
    fake_web.latency_s = 0.5
    urls = [fake_web.url(f"/page/{n}", host=host) for host in ("a.test", "b.test") for n in (1, 2)]
    seen: list[tuple[int, int]] = []

    def warm() -> None:
        arrived = _arrived(fake_web, "/page/1")
        answered = sum(r.finished_at is not None for r in fake_web.requests)
        seen.append((arrived, answered))

    monkeypatch.setattr(check, "warm_page_reader", warm)
    statuses = await _check_all(settings, urls)
    assert set(statuses.values()) == {Status.OK}
    ((arrived, answered),) = seen  # called once
    assert arrived >= 1 and answered == 0  # requests out, none answered yet


async def test_links_of_one_directory_share_its_sibling_probe(fake_web: FakeWeb) -> None:
    """Two links of /page/ on a.test, answered together: one sibling probe of
    /page/ reaches the server, not one per link."""
    settings = _settings(fake_web, per_host=2, soft404_probe=True)
    urls = [fake_web.url(f"/page/story-{n}", host="a.test") for n in (1, 2)]
    statuses = await _check_all(settings, urls)
    assert set(statuses.values()) == {Status.OK}
    fake_web.settle()
    assert fake_web.count(host="a.test") == 3  # the two pages and one probe


async def test_a_link_retried_last_time_goes_first_among_its_hosts(fake_web: FakeWeb) -> None:
    """A link whose last check ended on a 500 (or a timeout) is fetched before the
    other links of its host, whatever its place in the input: its retry's backoff
    then passes while they are fetched. Other links keep their order."""
    settings = _settings(fake_web)
    names = ("one", "two", "three", "four")
    urls = [fake_web.url(f"/page/{name}", host="a.test") for name in names]
    previous = {
        urls[1]: LinkState(urls[1], status=Status.OK, http_status=200),
        urls[2]: LinkState(urls[2], status=Status.FAILING, http_status=500),
        urls[3]: LinkState(urls[3], status=Status.FAILING, reason=Reason.TIMEOUT),
    }
    async with Fetcher(settings) as fetcher:
        checker = Checker(fetcher, settings, clock=lambda: NOW)
        requests = [CheckRequest(url, previous=previous.get(url)) for url in urls]
        async for _ in check_links(requests, checker, settings):
            pass
    fake_web.settle()
    order = [r.path for r in sorted(fake_web.requests, key=lambda r: r.started_at)]
    assert order == ["/page/four", "/page/three", "/page/one", "/page/two"]


# -- the lanes on their own ---------------------------------------------------------------


async def test_a_reservation_is_the_links_first_request_and_is_given_back_if_unused() -> None:
    rooms: list[str] = []
    lanes = Lanes(1, on_room=rooms.append)
    reservation = lanes.reserve("a.test")
    assert not lanes.has_room("a.test")
    await lanes.acquire("a.test", reservation)  # at once: the lane was kept for it
    lanes.release("a.test")
    assert rooms == ["a.test"] and lanes.has_room("a.test")
    unused = lanes.reserve("a.test")
    unused.cancel()
    assert lanes.has_room("a.test") and lanes._lanes == {}


async def test_waiters_are_served_in_order_and_a_cancelled_one_leaves_no_trace() -> None:
    lanes = Lanes(1)
    await lanes.acquire("a.test")
    order: list[int] = []

    async def wait(n: int) -> None:
        await lanes.acquire("a.test")
        order.append(n)
        lanes.release("a.test")

    first, second, third = (asyncio.ensure_future(wait(n)) for n in (1, 2, 3))
    await asyncio.sleep(0)
    second.cancel()
    lanes.release("a.test")
    await asyncio.gather(first, third)
    assert order == [1, 3]
    assert second.cancelled() and lanes._lanes == {}


async def test_a_pause_holds_new_requests_until_it_ends() -> None:
    lanes = Lanes(2)
    lanes.pause("a.test", 0.2)
    assert not lanes.has_room("a.test") and lanes.has_room("b.test")
    started = time.monotonic()
    await lanes.acquire("a.test")
    assert time.monotonic() - started >= 0.19
    lanes.release("a.test")
    assert lanes._lanes == {}


async def test_a_lane_handed_to_a_waiter_or_a_started_link_says_a_send_waits() -> None:
    """sends_waiting is what Fetcher.fetch yields on: set when a released lane goes
    to a waiting request or to a link on_room started, not when it goes to nobody."""
    started: list[str] = []
    lanes = Lanes(1, on_room=lambda host: bool(started.append(host)) or host == "b.test")
    await lanes.acquire("a.test")
    lanes.release("a.test")  # on_room started nothing
    assert started == ["a.test"] and not lanes.sends_waiting
    await lanes.acquire("b.test")
    lanes.release("b.test")  # on_room started a link
    assert lanes.sends_waiting
    lanes.sends_waiting = False
    await lanes.acquire("a.test")
    waiter = asyncio.ensure_future(lanes.acquire("a.test"))
    await asyncio.sleep(0)
    lanes.release("a.test")  # handed to the waiter
    assert lanes.sends_waiting
    await waiter
    lanes.release("a.test")


async def test_every_send_handed_out_in_a_turn_goes_before_any_page_is_read() -> None:
    """Two lanes given back in one turn of the loop, each to a new request: both
    requests run before either giver goes on (a sleep(0) each would have put the
    second send behind the first giver's page read)."""
    lanes = Lanes(1)
    order: list[str] = []

    async def send(name: str) -> None:
        order.append(f"send {name}")

    async def give_back(name: str) -> None:
        asyncio.ensure_future(send(name))  # as on_room starts the host's next link
        await lanes.sends_first()
        order.append(f"read {name}")

    await asyncio.gather(give_back("a"), give_back("b"))
    assert order == ["send a", "send b", "read a", "read b"]
    assert not lanes.sends_waiting and lanes._after_sends == []


async def test_ready_says_when_a_lane_is_taken_without_waiting() -> None:
    lanes = Lanes(1)
    assert lanes.ready("a.test")
    reservation = lanes.reserve("a.test")
    assert not lanes.ready("a.test") and lanes.ready("a.test", reservation)
    assert not lanes.ready("a.test", lanes.reserve("b.test"))  # kept for another host
    await lanes.acquire("a.test", reservation)
    assert not lanes.ready("a.test", reservation)  # used up
    lanes.release("a.test")
    lanes.pause("a.test", 5.0)
    fresh = lanes.reserve("a.test")
    assert not lanes.ready("a.test", fresh)  # a pause holds even a kept lane
    fresh.cancel()
