"""Tests for citecheck.fetch: respx unit tests, then loopback tests against FakeWeb."""

from __future__ import annotations

import asyncio
import gzip
import socket
import ssl
import time
import zlib
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest
import respx
import trustme
from servers import FakeWeb, Reply, Request

from citecheck.config import Settings
from citecheck.fetch import Fetcher
from citecheck.models import Hop, Reason


class FakeSleep:
    """Records backoff waits instead of waiting."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


@pytest.fixture
def fake_sleep() -> FakeSleep:
    return FakeSleep()


def _settings(**overrides: object) -> Settings:
    values: dict[str, object] = {"timeout_s": 10.0, "backoff_s": 1.0, "max_attempts": 3}
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


async def _fetch(url: str, settings: Settings | None = None, sleep: FakeSleep | None = None, **kw):
    kwargs = {"sleep": sleep} if sleep is not None else {}
    async with Fetcher(settings or _settings(), **kwargs) as fetcher:
        return await fetcher.fetch(url, **kw)


# -- requests and headers -------------------------------------------------------------


@respx.mock
async def test_preset_cookies_are_sent_from_the_first_request_through_redirects() -> None:
    respx.get("https://youtu.be/abc").respond(
        303, headers={"Location": "https://www.youtube.com/w"}
    )
    route = respx.get("https://www.youtube.com/w").respond(200, html="<title>W</title>")
    outcome = await _fetch("https://youtu.be/abc", cookies=[("SOCS", "CAI", ".youtube.com")])
    assert outcome.status_code == 200
    assert route.calls.last.request.headers["cookie"] == "SOCS=CAI"


@respx.mock
async def test_sends_a_browser_like_get_with_the_configured_user_agent() -> None:
    route = respx.get("https://example.org/a").respond(200, html="<title>A</title>")
    outcome = await _fetch("https://example.org/a", _settings(user_agent="citecheck-test/1"))
    request = route.calls.last.request
    assert request.method == "GET"
    assert request.headers["user-agent"] == "citecheck-test/1"
    assert request.headers["accept"].startswith("text/html,application/xhtml+xml")
    assert request.headers["accept-language"] == "en;q=0.9, *;q=0.5"
    assert request.headers["accept-encoding"] == "gzip, deflate"
    assert "if-none-match" not in request.headers
    assert outcome.status_code == 200
    assert outcome.body == b"<title>A</title>"
    assert outcome.error is None and outcome.attempts == 1


@respx.mock
async def test_headers_are_lower_case_and_repeated_ones_joined() -> None:
    respx.get("https://example.org/").respond(
        200,
        headers=[
            ("X-Thing", "one"),
            ("x-thing", "two"),
            ("Content-Type", "Text/HTML; charset=utf-8"),
        ],
    )
    outcome = await _fetch("https://example.org/")
    assert outcome.headers["x-thing"] == "one, two"
    assert outcome.headers["content-type"] == "Text/HTML; charset=utf-8"
    assert outcome.content_type == "text/html"
    assert all(name == name.lower() for name in outcome.headers)


@respx.mock(assert_all_mocked=True)
@pytest.mark.parametrize("url", ["", "   ", "http://", "http://exa mple.org/", "example.org/a"])
async def test_an_invalid_url_never_touches_the_network(url: str) -> None:
    outcome = await _fetch(url)
    assert outcome.error is Reason.INVALID_URL
    assert outcome.status_code is None
    assert outcome.error_detail
    assert not respx.calls


@respx.mock(assert_all_mocked=True)
@pytest.mark.parametrize("url", ["ftp://example.org/file.pdf", "mailto:someone@example.org"])
async def test_a_non_http_scheme_is_unsupported(url: str) -> None:
    outcome = await _fetch(url)
    assert outcome.error is Reason.UNSUPPORTED_SCHEME
    assert not respx.calls


# -- redirects ------------------------------------------------------------------------


@respx.mock
async def test_follows_redirects_itself_and_records_each_hop() -> None:
    respx.get("http://example.org/old").respond(
        301, headers={"Location": "https://example.org/mid"}
    )
    respx.get("https://example.org/mid").respond(302, headers={"Location": "/dir/new"})
    respx.get("https://example.org/dir/new").respond(307, headers={"Location": "final?x=1"})
    respx.get("https://example.org/dir/final?x=1").respond(200, html="<title>Final</title>")
    outcome = await _fetch("http://example.org/old")
    assert outcome.status_code == 200
    assert outcome.final_url == "https://example.org/dir/final?x=1"
    assert outcome.url == "http://example.org/old"
    assert outcome.hops == (
        Hop("http://example.org/old", 301, "https://example.org/mid"),
        Hop("https://example.org/mid", 302, "https://example.org/dir/new"),
        Hop("https://example.org/dir/new", 307, "https://example.org/dir/final?x=1"),
    )


@respx.mock
async def test_a_redirect_loop_is_reported() -> None:
    respx.get("https://example.org/a").respond(302, headers={"Location": "/b"})
    respx.get("https://example.org/b").respond(302, headers={"Location": "https://EXAMPLE.org/a"})
    outcome = await _fetch("https://example.org/a")
    assert outcome.error is Reason.REDIRECT_LOOP
    assert [hop.location for hop in outcome.hops] == [
        "https://example.org/b",
        "https://EXAMPLE.org/a",
    ]


@respx.mock
async def test_more_redirects_than_allowed_is_too_many() -> None:
    for n in range(1, 5):
        respx.get(f"https://example.org/{n}").respond(302, headers={"Location": f"/{n + 1}"})
    respx.get("https://example.org/5").respond(200)
    outcome = await _fetch("https://example.org/1", _settings(max_redirects=3))
    assert outcome.error is Reason.TOO_MANY_REDIRECTS
    assert len(outcome.hops) == 4
    assert not respx.routes[4].called  # the target past the limit is never requested


@respx.mock
async def test_exactly_max_redirects_are_followed() -> None:
    for n in range(1, 4):
        respx.get(f"https://example.org/{n}").respond(302, headers={"Location": f"/{n + 1}"})
    respx.get("https://example.org/4").respond(200)
    outcome = await _fetch("https://example.org/1", _settings(max_redirects=3))
    assert outcome.status_code == 200
    assert len(outcome.hops) == 3


@respx.mock
async def test_a_redirect_status_without_location_is_the_final_response() -> None:
    respx.get("https://example.org/a").respond(302, text="no location")
    outcome = await _fetch("https://example.org/a")
    assert outcome.status_code == 302
    assert outcome.hops == ()
    assert outcome.body == b"no location"


@respx.mock
async def test_a_redirect_to_another_scheme_is_unsupported() -> None:
    respx.get("https://example.org/a").respond(302, headers={"Location": "ftp://example.org/f"})
    outcome = await _fetch("https://example.org/a")
    assert outcome.error is Reason.UNSUPPORTED_SCHEME
    assert outcome.hops == (Hop("https://example.org/a", 302, "ftp://example.org/f"),)


@respx.mock
async def test_cookies_live_for_one_fetch_only() -> None:
    """A site that sets a cookie and redirects must not look like a loop, and one
    link's cookies must never reach another fetch."""

    def gate(request: httpx.Request) -> httpx.Response:
        if "seen=1" in request.headers.get("cookie", ""):
            return httpx.Response(200, text="content")
        return httpx.Response(302, headers={"Location": "/set", "Set-Cookie": "unused=1; Path=/"})

    respx.get("https://example.org/article").mock(side_effect=gate)
    respx.get("https://example.org/set").respond(
        302, headers={"Location": "/article?again", "Set-Cookie": "seen=1; Path=/"}
    )
    respx.get("https://example.org/article?again").mock(side_effect=gate)
    async with Fetcher(_settings()) as fetcher:
        first = await fetcher.fetch("https://example.org/article")
        second_request_count = len(respx.calls)
        await fetcher.fetch("https://example.org/article")
    assert first.status_code == 200 and len(first.hops) == 2
    fresh = respx.calls[second_request_count].request
    assert "cookie" not in fresh.headers


# -- retries --------------------------------------------------------------------------


@respx.mock
async def test_transient_statuses_are_retried_with_growing_backoff(fake_sleep: FakeSleep) -> None:
    route = respx.get("https://example.org/").mock(
        side_effect=[httpx.Response(503), httpx.Response(502), httpx.Response(200, text="ok")]
    )
    outcome = await _fetch("https://example.org/", _settings(backoff_s=2.0), fake_sleep)
    assert outcome.status_code == 200 and outcome.body == b"ok"
    assert outcome.attempts == 3
    assert route.call_count == 3
    first, second = fake_sleep.delays
    assert 2.0 <= first <= 3.0
    assert 4.0 <= second <= 6.0


@respx.mock
async def test_a_500_is_retried_once_only_after_a_short_pause(fake_sleep: FakeSleep) -> None:
    route = respx.get("https://example.org/").mock(
        side_effect=[httpx.Response(500), httpx.Response(500), httpx.Response(200)]
    )
    settings = _settings(max_attempts=3, retry_500_after_s=0.2)
    outcome = await _fetch("https://example.org/", settings, fake_sleep)
    assert outcome.status_code == 500 and outcome.attempts == 2
    assert route.call_count == 2
    (delay,) = fake_sleep.delays
    assert 0.2 <= delay <= 0.3  # not the backoff (1 s here)


@respx.mock
async def test_a_500_with_a_retry_after_waits_for_it_once(fake_sleep: FakeSleep) -> None:
    route = respx.get("https://example.org/").mock(
        side_effect=[httpx.Response(500, headers={"Retry-After": "3"}), httpx.Response(200)]
    )
    outcome = await _fetch("https://example.org/", sleep=fake_sleep)
    assert outcome.status_code == 200 and route.call_count == 2
    assert fake_sleep.delays == [3.0]


@respx.mock
async def test_the_last_answer_is_returned_when_attempts_run_out(fake_sleep: FakeSleep) -> None:
    route = respx.get("https://example.org/").respond(503, text="down for maintenance")
    outcome = await _fetch("https://example.org/", _settings(max_attempts=2), fake_sleep)
    assert outcome.status_code == 503
    assert outcome.body == b"down for maintenance"
    assert outcome.attempts == 2 and route.call_count == 2
    assert len(fake_sleep.delays) == 1


@respx.mock
@pytest.mark.parametrize("status", [400, 401, 403, 404, 410, 451])
async def test_client_errors_are_never_retried(status: int, fake_sleep: FakeSleep) -> None:
    route = respx.get("https://example.org/").respond(status)
    outcome = await _fetch("https://example.org/", sleep=fake_sleep)
    assert outcome.status_code == status
    assert outcome.attempts == 1 and route.call_count == 1
    assert fake_sleep.delays == []


@respx.mock
@pytest.mark.parametrize("status", [408, 429, 500, 504, 520, 524])
async def test_retryable_statuses(status: int, fake_sleep: FakeSleep) -> None:
    respx.get("https://example.org/").mock(
        side_effect=[httpx.Response(status), httpx.Response(200)]
    )
    outcome = await _fetch("https://example.org/", sleep=fake_sleep)
    assert outcome.status_code == 200 and outcome.attempts == 2


@respx.mock
async def test_retry_after_seconds_is_honoured(fake_sleep: FakeSleep) -> None:
    respx.get("https://example.org/").mock(
        side_effect=[httpx.Response(429, headers={"Retry-After": "7"}), httpx.Response(200)]
    )
    outcome = await _fetch("https://example.org/", sleep=fake_sleep)
    assert outcome.status_code == 200
    assert fake_sleep.delays == [7.0]


@respx.mock
async def test_retry_after_as_an_http_date_is_honoured(fake_sleep: FakeSleep) -> None:
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=5), usegmt=True)
    respx.get("https://example.org/").mock(
        side_effect=[httpx.Response(503, headers={"Retry-After": when}), httpx.Response(200)]
    )
    outcome = await _fetch("https://example.org/", sleep=fake_sleep)
    assert outcome.status_code == 200
    (delay,) = fake_sleep.delays
    assert 3.0 <= delay <= 5.0


@respx.mock
async def test_a_long_retry_after_is_returned_without_waiting(fake_sleep: FakeSleep) -> None:
    route = respx.get("https://example.org/").respond(
        429, headers={"Retry-After": "3600"}, text="slow down"
    )
    outcome = await _fetch("https://example.org/", sleep=fake_sleep)
    assert outcome.status_code == 429
    assert outcome.headers["retry-after"] == "3600"
    assert outcome.body == b"slow down"
    assert outcome.attempts == 1 and route.call_count == 1
    assert fake_sleep.delays == []


@respx.mock
async def test_connection_errors_are_retried(fake_sleep: FakeSleep) -> None:
    respx.get("https://example.org/").mock(
        side_effect=[httpx.ConnectError("refused"), httpx.ReadTimeout("slow"), httpx.Response(200)]
    )
    outcome = await _fetch("https://example.org/", sleep=fake_sleep)
    assert outcome.status_code == 200 and outcome.attempts == 3
    assert len(fake_sleep.delays) == 2


@respx.mock
@pytest.mark.parametrize(
    ("error", "reason", "attempts"),
    [
        (httpx.ConnectError("connection refused"), Reason.CONNECTION_ERROR, 3),
        (httpx.ConnectTimeout("connect timed out"), Reason.TIMEOUT, 3),
        (httpx.RemoteProtocolError("illegal status line"), Reason.PROTOCOL_ERROR, 1),
        (
            httpx.RemoteProtocolError("Server disconnected without sending a response."),
            Reason.CONNECTION_ERROR,
            3,
        ),
    ],
)
async def test_lower_layer_errors_map_to_reasons(
    error: Exception, reason: Reason, attempts: int, fake_sleep: FakeSleep
) -> None:
    respx.get("https://example.org/").mock(side_effect=error)
    outcome = await _fetch("https://example.org/", sleep=fake_sleep)
    assert outcome.error is reason
    assert outcome.status_code is None
    assert outcome.attempts == attempts
    assert outcome.error_detail


# -- conditional requests -------------------------------------------------------------


@respx.mock
async def test_validators_are_sent_on_the_first_request_only() -> None:
    first = respx.get("https://example.org/doc").respond(301, headers={"Location": "/v2"})
    second = respx.get("https://example.org/v2").respond(304, headers={"ETag": '"abc"'})
    outcome = await _fetch(
        "https://example.org/doc", etag='"abc"', last_modified="Mon, 15 Jan 2024 12:00:00 GMT"
    )
    sent = first.calls.last.request.headers
    assert sent["if-none-match"] == '"abc"'
    assert sent["if-modified-since"] == "Mon, 15 Jan 2024 12:00:00 GMT"
    assert "if-none-match" not in second.calls.last.request.headers
    assert outcome.status_code == 304
    assert outcome.body == b""


# -- bodies ---------------------------------------------------------------------------


@respx.mock
async def test_the_body_is_cut_at_the_cap() -> None:
    respx.get("https://example.org/").respond(200, content=b"a" * 5000)
    outcome = await _fetch("https://example.org/", _settings(max_body_bytes=1000))
    assert outcome.body == b"a" * 1000
    assert outcome.body_truncated is True


@respx.mock
async def test_a_body_exactly_at_the_cap_is_not_truncated() -> None:
    respx.get("https://example.org/").respond(200, content=b"a" * 1000)
    outcome = await _fetch("https://example.org/", _settings(max_body_bytes=1000))
    assert len(outcome.body) == 1000 and outcome.body_truncated is False


@respx.mock
async def test_pdfs_get_the_larger_cap() -> None:
    respx.get("https://example.org/r.pdf").respond(
        200, content=b"%PDF" + b"0" * 5000, headers={"Content-Type": "application/pdf"}
    )
    outcome = await _fetch(
        "https://example.org/r.pdf", _settings(max_body_bytes=100, max_pdf_bytes=3000)
    )
    assert len(outcome.body) == 3000 and outcome.body_truncated


@respx.mock
@pytest.mark.parametrize(
    "compress",
    [
        pytest.param(gzip.compress, id="gzip"),
        pytest.param(zlib.compress, id="deflate-zlib"),
        pytest.param(lambda data: zlib.compress(data, wbits=-zlib.MAX_WBITS), id="deflate-raw"),
    ],
)
async def test_compressed_bodies_are_decoded(compress) -> None:
    encoding = "gzip" if compress is gzip.compress else "deflate"
    text = b"<title>Compressed</title>" + b"word " * 1000
    respx.get("https://example.org/").respond(
        200, content=compress(text), headers={"Content-Encoding": encoding}
    )
    outcome = await _fetch("https://example.org/")
    assert outcome.body == text
    assert outcome.body_truncated is False


@respx.mock
async def test_decompression_stops_at_the_cap() -> None:
    """10 MB of zeros gzip to ~10 KB: only the cap may ever be inflated."""
    respx.get("https://example.org/").respond(
        200, content=gzip.compress(b"\0" * 10_000_000), headers={"Content-Encoding": "gzip"}
    )
    outcome = await _fetch("https://example.org/", _settings(max_body_bytes=4096))
    assert outcome.body == b"\0" * 4096
    assert outcome.body_truncated is True


@respx.mock
async def test_an_unknown_content_encoding_keeps_no_body_and_is_no_error() -> None:
    respx.get("https://example.org/").respond(
        200, content=b"\x8b\x00brotli?", headers={"Content-Encoding": "br"}
    )
    outcome = await _fetch("https://example.org/")
    assert outcome.status_code == 200
    assert outcome.body == b"" and outcome.error is None


async def test_a_corrupt_compressed_body_keeps_the_status(fake_web: FakeWeb) -> None:
    # On the fake web: respx itself would choke on the corrupt body.
    fake_web.page("/corrupt", body=b"not gzip at all", headers={"Content-Encoding": "gzip"})
    outcome = await _fetch(fake_web.url("/corrupt"))
    assert outcome.status_code == 200 and outcome.error is None
    assert outcome.body_truncated is True
    assert "decompress" in (outcome.error_detail or "")


# -- DNS errors (resolver replaced) ---------------------------------------------------


@pytest.mark.parametrize(
    ("code", "reason", "attempts"),
    [
        (socket.EAI_NONAME, Reason.DNS_ERROR, 1),
        (socket.EAI_AGAIN, Reason.DNS_TEMPORARY, 3),
        (socket.EAI_FAIL, Reason.DNS_TEMPORARY, 3),
    ],
)
async def test_resolver_failures(
    code: int, reason: Reason, attempts: int, fake_sleep: FakeSleep, monkeypatch
) -> None:
    asked: list[str] = []

    async def failing_getaddrinfo(host, port, **kwargs):
        asked.append(host)
        raise socket.gaierror(code, "resolver says no")

    monkeypatch.setattr(asyncio.get_running_loop(), "getaddrinfo", failing_getaddrinfo)
    outcome = await _fetch("https://news.example.com/story", sleep=fake_sleep)
    assert outcome.error is reason
    assert outcome.attempts == attempts
    assert asked and set(asked) == {"news.example.com"}
    assert "news.example.com" in (outcome.error_detail or "")


# -- against the fake web -------------------------------------------------------------


async def test_the_resolve_map_reaches_a_virtual_host(fake_web: FakeWeb) -> None:
    settings = _settings(resolve=fake_web.resolve_for("news.test"))
    outcome = await _fetch(fake_web.url("/page/Hello", host="news.test"), settings)
    assert outcome.status_code == 200
    assert b"<title>Hello</title>" in outcome.body
    assert fake_web.count("/page/Hello", host="news.test") == 1
    assert fake_web.requests[-1].headers["host"] == f"news.test:{fake_web.port}"


async def test_redirect_chain_on_the_fake_web(fake_web: FakeWeb) -> None:
    outcome = await _fetch(fake_web.url("/chain/3"))
    assert outcome.status_code == 200
    assert [hop.location for hop in outcome.hops] == [
        fake_web.url("/chain/2"),
        fake_web.url("/chain/1"),
        fake_web.url("/ok"),
    ]
    loop = await _fetch(fake_web.url("/loop/a"))
    assert loop.error is Reason.REDIRECT_LOOP


async def test_a_dripping_body_ends_at_the_deadline(fake_web: FakeWeb) -> None:
    started = time.monotonic()
    outcome = await _fetch(fake_web.url("/drip?bytes=100&interval=0.2"), _settings(timeout_s=1.5))
    assert time.monotonic() - started < 2.5
    assert outcome.status_code == 200 and outcome.error is None
    assert outcome.body_truncated is True
    assert 3 <= len(outcome.body) <= 10
    assert outcome.body == b"x" * len(outcome.body)


async def test_slow_headers_time_out_at_the_deadline(fake_web: FakeWeb) -> None:
    started = time.monotonic()
    outcome = await _fetch(fake_web.url("/slow-headers?delay=10"), _settings(timeout_s=1.5))
    assert time.monotonic() - started < 2.5
    assert outcome.error is Reason.TIMEOUT
    assert outcome.status_code is None
    assert 1400 <= outcome.elapsed_ms < 2500


async def test_a_slow_body_keeps_the_status(fake_web: FakeWeb) -> None:
    outcome = await _fetch(fake_web.url("/slow-body?delay=10"), _settings(timeout_s=1.0))
    assert outcome.status_code == 200 and outcome.error is None
    assert outcome.body == b"" and outcome.body_truncated is True


async def test_a_huge_body_is_read_only_to_the_cap(fake_web: FakeWeb) -> None:
    outcome = await _fetch(fake_web.url("/huge"), _settings(max_body_bytes=200_000))
    assert len(outcome.body) == 200_000 and outcome.body_truncated
    assert outcome.body.startswith(b"<!DOCTYPE html>")


async def test_a_gzip_bomb_never_inflates_past_the_cap(fake_web: FakeWeb) -> None:
    outcome = await _fetch(fake_web.url("/gzip-bomb"), _settings(max_body_bytes=100_000))
    assert outcome.status_code == 200
    assert len(outcome.body) == 100_000 and outcome.body_truncated
    assert b"<title>Bomb</title>" in outcome.body


async def test_a_reset_is_a_connection_error_after_retries(
    fake_web: FakeWeb, fake_sleep: FakeSleep
) -> None:
    outcome = await _fetch(fake_web.url("/reset"), sleep=fake_sleep)
    assert outcome.error is Reason.CONNECTION_ERROR
    assert outcome.attempts == 3
    assert fake_web.count("/reset") == 3


async def test_garbage_is_a_protocol_error(fake_web: FakeWeb, fake_sleep: FakeSleep) -> None:
    outcome = await _fetch(fake_web.url("/garbage"), sleep=fake_sleep)
    assert outcome.error is Reason.PROTOCOL_ERROR
    assert outcome.attempts == 1


async def test_flaky_and_retry_after_on_the_fake_web(
    fake_web: FakeWeb, fake_sleep: FakeSleep
) -> None:
    flaky = await _fetch(fake_web.url("/flaky/x?fail=2&code=503"), sleep=fake_sleep)
    assert flaky.status_code == 200 and flaky.attempts == 3
    waited = await _fetch(fake_web.url("/retry-after?seconds=4&key=k"), sleep=fake_sleep)
    assert waited.status_code == 200 and waited.attempts == 2
    assert fake_sleep.delays[-1] == 4.0


async def test_conditional_get_on_the_fake_web(fake_web: FakeWeb) -> None:
    fresh = await _fetch(fake_web.url("/conditional"))
    assert fresh.status_code == 200
    again = await _fetch(fake_web.url("/conditional"), etag=fresh.headers["etag"])
    assert again.status_code == 304
    by_date = await _fetch(
        fake_web.url("/conditional"), last_modified=fresh.headers["last-modified"]
    )
    assert by_date.status_code == 304


@pytest.mark.parametrize(
    ("etag", "last_modified"),
    [
        ('"caf\u00e9"', None),  # a UTF-8 or Latin-1 ETag, as the store keeps it decoded
        (None, "Mon, 15 Jan 2024 12:00:00 GMT\u00a0"),
        ('"a\r\nX-Injected: 1"', None),
        ('"v1"\x00', "Mon,\n 15 Jan 2024"),
    ],
)
async def test_a_stored_validator_that_cannot_be_sent_gives_a_plain_get(
    fake_web: FakeWeb, etag: str | None, last_modified: str | None
) -> None:
    """Whatever a server once sent as its ETag or Last-Modified, the next check of
    the link still fetches it (unconditionally), on both paths to the network."""
    outcome = await _fetch(fake_web.url("/conditional"), etag=etag, last_modified=last_modified)
    assert outcome.error is None and outcome.status_code == 200
    sent = [entry for entry in fake_web.requests if entry.path == "/conditional"][-1]
    assert "if-none-match" not in sent.headers and "if-modified-since" not in sent.headers


async def test_the_per_host_limit_holds_at_the_server(fake_web: FakeWeb) -> None:
    fake_web.latency_s = 0.1
    settings = _settings(per_host=2, concurrency=50, resolve=fake_web.resolve_for("a.test"))
    async with Fetcher(settings) as fetcher:
        outcomes = await asyncio.gather(
            *(fetcher.fetch(fake_web.url(f"/page/{n}", host="a.test")) for n in range(20))
        )
        assert fetcher.lanes._lanes == {}  # no per-host state is left behind
    assert all(outcome.status_code == 200 for outcome in outcomes)
    assert fake_web.max_concurrency("a.test") == 2


async def test_the_global_limit_holds_at_the_server(fake_web: FakeWeb) -> None:
    fake_web.latency_s = 0.1
    hosts = [f"h{n}.test" for n in range(4)]
    settings = _settings(per_host=2, concurrency=3, resolve=fake_web.resolve_for(*hosts))
    async with Fetcher(settings) as fetcher:
        outcomes = await asyncio.gather(
            *(fetcher.fetch(fake_web.url(f"/page/{n}", host=h)) for h in hosts for n in range(5))
        )
    assert all(outcome.status_code == 200 for outcome in outcomes)
    assert fake_web.max_concurrency() == 3


async def test_time_queued_for_a_host_does_not_count_against_the_deadline(
    fake_web: FakeWeb,
) -> None:
    fake_web.latency_s = 0.3
    settings = _settings(per_host=1, timeout_s=1.0)
    async with Fetcher(settings) as fetcher:
        outcomes = await asyncio.gather(*(fetcher.fetch(fake_web.url("/ok")) for _ in range(6)))
    assert [outcome.status_code for outcome in outcomes] == [200] * 6


async def test_an_invalid_tld_name_is_a_dns_error(fake_sleep: FakeSleep) -> None:
    outcome = await _fetch("http://no-such-host.invalid/page", sleep=fake_sleep)
    assert outcome.error is Reason.DNS_ERROR
    assert outcome.attempts == 1


async def test_exclude_private_refuses_loopback(fake_web: FakeWeb) -> None:
    outcome = await _fetch(fake_web.url("/ok"), _settings(exclude_private=True))
    assert outcome.error is Reason.PRIVATE_ADDRESS
    assert outcome.attempts == 1
    assert fake_web.count() == 0


async def test_exclude_private_refuses_a_name_resolving_to_cloud_metadata() -> None:
    settings = _settings(exclude_private=True, resolve=(("metadata.test", "169.254.169.254"),))
    started = time.monotonic()
    outcome = await _fetch("http://metadata.test/latest/meta-data/", settings)
    assert outcome.error is Reason.PRIVATE_ADDRESS
    assert "169.254.169.254" in (outcome.error_detail or "")
    assert time.monotonic() - started < 1.0  # refused before any connection attempt


async def test_loopback_is_allowed_without_exclude_private(fake_web: FakeWeb) -> None:
    outcome = await _fetch(fake_web.url("/ok"), _settings(exclude_private=False))
    assert outcome.status_code == 200


async def test_an_untrusted_certificate_is_a_tls_error(fake_sleep: FakeSleep) -> None:
    authority = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("secure.test").configure_cert(context)
    with FakeWeb(ssl_context=context) as web:
        settings = _settings(resolve=web.resolve_for("secure.test"))
        outcome = await _fetch(web.url("/ok", host="secure.test"), settings, fake_sleep)
    assert outcome.error is Reason.TLS_ERROR
    assert outcome.attempts == 1
    assert "certificate" in (outcome.error_detail or "").lower()


async def test_a_refused_connection_is_a_connection_error(fake_sleep: FakeSleep) -> None:
    port = _closed_port()
    outcome = await _fetch(f"http://127.0.0.1:{port}/", sleep=fake_sleep)
    assert outcome.error is Reason.CONNECTION_ERROR
    assert outcome.attempts == 3


async def test_network_is_up_when_any_probe_answers(fake_web: FakeWeb) -> None:
    closed = f"http://127.0.0.1:{_closed_port()}/"
    settings = _settings(probe_urls=(closed, fake_web.url("/status/500")))
    async with Fetcher(settings) as fetcher:
        assert await fetcher.is_network_up() is True


async def test_network_is_down_when_no_probe_answers() -> None:
    settings = _settings(probe_urls=(f"http://127.0.0.1:{_closed_port()}/",))
    async with Fetcher(settings) as fetcher:
        assert await fetcher.is_network_up() is False


def _closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def test_a_custom_route_sees_the_fetchers_headers(fake_web: FakeWeb) -> None:
    async def echo(request: Request, reply: Reply) -> None:
        await reply.send(200, request.headers.get("user-agent", ""), content_type="text/plain")

    fake_web.route("/echo", echo)
    outcome = await _fetch(fake_web.url("/echo"), _settings(user_agent="probe/2"))
    assert outcome.body == b"probe/2"
