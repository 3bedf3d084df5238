"""fetch/exchange.py: a fetch over citecheck's own transport goes straight to its
pools (no httpx request or response); over any other transport through httpx's
interface. Both ways must give the same outcome for every behaviour of the web: the
same fetches against the fake web on 127.0.0.1, once each way, compared field for
field (``elapsed_ms`` aside, and the server's Date field, which is the clock's)."""

from __future__ import annotations

import asyncio
import dataclasses
import gzip
import socket
import ssl
import time
import zlib
from collections.abc import Callable
from typing import Any

import httpx
import pytest
import respx
import trustme
from servers import FakeWeb, Reply, Request

from citecheck.config import Settings
from citecheck.fetch import Fetcher, tls
from citecheck.fetch.transport import direct_pools, policy_transport
from citecheck.models import FetchOutcome, Reason

HOSTS = ("www.parity.test", "other.parity.test")
_PAGE = b"<!doctype html><title>Parity</title><p>" + b"words " * 400 + b"</p>"
_ETAG = '"v1-conditional"'
_LAST_MODIFIED = "Mon, 15 Jan 2024 12:00:00 GMT"


class _ThroughHttpx(httpx.AsyncBaseTransport):
    """citecheck's transport behind a plain httpx transport: a fetch then builds
    httpx's request and reads httpx's response, as it does over any mock."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.requests = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests += 1
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


async def _no_sleep(seconds: float) -> None:
    return None


def _raw(data: bytes) -> Callable[[Request, Reply], Any]:
    async def handler(request: Request, reply: Reply) -> None:
        await reply.raw(data)

    return handler


async def _chunked(request: Request, reply: Reply) -> None:
    await reply.start(200, {"Content-Type": "text/html"}, content_length=None)
    for start in range(0, len(_PAGE), 700):
        await reply.write(_PAGE[start : start + 700])


async def _gzip_chunked(request: Request, reply: Reply) -> None:
    data = gzip.compress(_PAGE)
    await reply.start(
        200, {"Content-Type": "text/html", "Content-Encoding": "gzip"}, content_length=None
    )
    for start in range(0, len(data), 100):
        await reply.write(data[start : start + 100])


async def _set_cookie(request: Request, reply: Reply) -> None:
    headers = {"Location": "/parity/needs-cookie", "Set-Cookie": "sid=42; Path=/"}
    await reply.send(302, b"", headers)


async def _echo(request: Request, reply: Reply) -> None:
    """The request's fields as received, in order (the Date-free part of a request)."""
    lines = [f"{request.method} {request.target}"]
    lines += [f"{name}: {value}" for name, value in request.headers.items()]
    await reply.send(200, "\n".join(lines), content_type="text/plain")


def _routes(web: FakeWeb) -> None:
    """This test's own behaviours, beside the fake web's built-in ones."""
    deflate = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    raw_deflate = deflate.compress(_PAGE) + deflate.flush()
    pages = {
        "/parity/gzip": (gzip.compress(_PAGE), {"Content-Encoding": "gzip"}),
        "/parity/deflate": (zlib.compress(_PAGE), {"Content-Encoding": "deflate"}),
        "/parity/raw-deflate": (raw_deflate, {"Content-Encoding": "deflate"}),
        "/parity/bad-gzip": (b"\x1f\x8b\x08\x00not gzip at all", {"Content-Encoding": "gzip"}),
        "/parity/brotli": (b"\x0b\x02\x80hello\x03", {"Content-Encoding": "br"}),
        "/parity/pdf-type": (b"%PDF-1.4 not much of a PDF", {"Content-Type": "application/pdf"}),
        "/parity/503-later": (b"busy", {"Retry-After": "3600"}),
    }
    for path, (body, headers) in pages.items():
        status = 503 if path.endswith("503-later") else 200
        web.page(path, status=status, body=body, headers=headers)
    web.route("/parity/chunked", _chunked)
    web.route("/parity/gzip-chunked", _gzip_chunked)
    web.route("/parity/set-cookie", _set_cookie)
    web.route("/parity/needs-cookie", _echo)
    web.route("/parity/echo", _echo)
    web.route(
        "/parity/closed",
        _raw(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nX-Dup: a\r\nX-Dup: b\r\n\r\n" + _PAGE),
    )
    web.route(
        "/parity/http10",
        _raw(b"HTTP/1.0 200 OK\r\nContent-Length: 9\r\nX-Old: yes\r\n\r\n<b>old</b>"),
    )
    web.route(
        "/parity/latin1-fields",
        _raw(b"HTTP/1.1 200 OK\r\nX-Name: caf\xe9\r\nContent-Length: 2\r\n\r\nok"),
    )
    web.route(
        "/parity/utf8-fields",
        _raw("HTTP/1.1 200 OK\r\nX-Name: café\r\nContent-Length: 2\r\n\r\nok".encode()),
    )
    web.route(
        "/parity/folded",
        _raw(
            b"HTTP/1.1 200 OK\nX-Long: one\n\t two\nSet-Cookie: a=1\nSet-Cookie: b=2\n"
            b"Content-Type: text/html\nContent-Length: 2\n\nok"
        ),
    )
    web.route(
        "/parity/short-body",
        _raw(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly this"),
    )


def _refused_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


#: (name, URL (``{base}``, ``{other}``: the fake web's two named hosts; ``{port}``),
#: Settings overrides, fetch() keywords)
CASES: list[tuple[str, str, dict[str, Any], dict[str, Any]]] = [
    ("ok", "{base}/ok", {}, {}),
    ("echo of the request", "{base}/parity/echo?q=1&r=%C3%A9", {}, {}),
    ("not found", "{base}/nothing-here", {}, {}),
    ("no content", "{base}/status/204", {}, {}),
    ("challenge", "{base}/challenge", {}, {}),
    ("charset", "{base}/charset/header", {}, {}),
    ("redirect chain", "{base}/chain/3", {}, {}),
    ("redirect to another host", "{base}/redirect/301?to={other}/page/moved", {}, {}),
    ("redirect loop", "{base}/loop/a", {}, {}),
    ("too many redirects", "{base}/chain/9", {"max_redirects": 3}, {}),
    ("redirect to ftp", "{base}/redirect/302?to=ftp://example.org/", {}, {}),
    ("redirect to nonsense", "{base}/redirect/302?to=http://[", {}, {}),
    ("chunked", "{base}/parity/chunked", {}, {}),
    ("gzip", "{base}/parity/gzip", {}, {}),
    ("gzip, chunked", "{base}/parity/gzip-chunked", {}, {}),
    ("deflate", "{base}/parity/deflate", {}, {}),
    ("raw deflate", "{base}/parity/raw-deflate", {}, {}),
    ("gzip over the cap", "{base}/parity/gzip", {"max_body_bytes": 500}, {}),
    ("broken gzip", "{base}/parity/bad-gzip", {}, {}),
    ("unknown coding", "{base}/parity/brotli", {}, {}),
    ("body ended by the close", "{base}/parity/closed", {}, {}),
    ("HTTP/1.0", "{base}/parity/http10", {}, {}),
    ("latin-1 fields", "{base}/parity/latin1-fields", {}, {}),
    ("UTF-8 fields", "{base}/parity/utf8-fields", {}, {}),
    ("folded and repeated fields", "{base}/parity/folded", {}, {}),
    ("body shorter than its length", "{base}/parity/short-body", {}, {}),
    ("truncated body", "{base}/huge?bytes=200000", {"max_body_bytes": 1000}, {}),
    ("pdf", "{base}/pdf?title=Parity&pages=2", {}, {}),
    ("pdf over the cap", "{base}/parity/pdf-type", {"max_pdf_bytes": 10}, {}),
    ("not modified (etag)", "{base}/conditional", {}, {"etag": _ETAG}),
    ("not modified (date)", "{base}/conditional", {}, {"last_modified": _LAST_MODIFIED}),
    ("validators", "{base}/conditional", {}, {}),
    ("a validator that cannot be sent", "{base}/conditional", {}, {"etag": '"caf\u00e9"'}),
    ("a validator with a line break", "{base}/conditional", {}, {"last_modified": "a\r\nb: c"}),
    ("500 then 200", "{base}/flaky/parity?fail=1&code=500", {}, {}),
    ("500 every time", "{base}/status/500", {}, {}),
    ("503 every time", "{base}/status/503", {}, {}),
    ("503 for an hour", "{base}/parity/503-later", {}, {}),
    ("429 with Retry-After", "{base}/retry-after?seconds=0&key=parity", {}, {}),
    ("set-cookie", "{base}/parity/set-cookie", {}, {}),
    (
        "preset cookie",
        "{base}/parity/needs-cookie",
        {},
        {"cookies": [("SOCS", "CAI", ".parity.test")]},
    ),
    ("reset", "{base}/reset", {}, {}),
    ("garbage", "{base}/garbage", {}, {}),
    ("refused connection", "http://127.0.0.1:{refused}/ok", {}, {}),
    ("name that does not exist", "http://nothing.invalid/ok", {}, {}),
    ("private address refused", "{base}/ok", {"exclude_private": True}, {}),
    ("invalid URL", "http://999.0.0.1/", {}, {}),
    ("slow headers", "{base}/slow-headers?delay=3", {"timeout_s": 0.5}, {}),
    ("slow body", "{base}/slow-body?delay=3", {"timeout_s": 0.5}, {}),
]


def _comparable(outcome: FetchOutcome) -> FetchOutcome:
    headers = dict(outcome.headers)
    if "date" in headers:
        headers["date"] = "(the clock)"
    return dataclasses.replace(outcome, elapsed_ms=0, headers=headers)


@pytest.fixture(scope="module")
def web() -> Any:
    with FakeWeb() as fake_web:
        _routes(fake_web)
        yield fake_web


async def _fetch_both(
    web: FakeWeb, url: str, overrides: dict[str, Any], keywords: dict[str, Any]
) -> tuple[FetchOutcome, FetchOutcome]:
    values: dict[str, Any] = {
        "resolve": web.resolve_for(*HOSTS),
        "timeout_s": 5.0,
        "backoff_s": 0.01,
        "max_attempts": 3,
        **overrides,
    }
    settings = Settings(**values)
    outcomes = []
    for through_httpx in (False, True):
        web.clear_log()  # the stateful routes (flaky, retry-after) start afresh
        transport = _ThroughHttpx(policy_transport(settings)) if through_httpx else None
        async with Fetcher(settings, transport=transport, sleep=_no_sleep) as fetcher:
            direct = direct_pools(fetcher.client._transport)  # noqa: SLF001
            assert (direct is None) == through_httpx
            outcomes.append(await fetcher.fetch(url, **keywords))
        if transport is not None and outcomes[-1].status_code is not None:
            assert transport.requests >= outcomes[-1].attempts
    return outcomes[0], outcomes[1]


@pytest.mark.parametrize(("name", "url", "overrides", "keywords"), CASES, ids=[c[0] for c in CASES])
async def test_both_ways_give_the_same_outcome(
    web: FakeWeb, name: str, url: str, overrides: dict[str, Any], keywords: dict[str, Any]
) -> None:
    full_url = url.format(
        base=f"http://{HOSTS[0]}:{web.port}",
        other=f"http://{HOSTS[1]}:{web.port}",
        refused=_refused_port(),
    )
    direct, through_httpx = await _fetch_both(web, full_url, overrides, keywords)
    assert _comparable(direct) == _comparable(through_httpx)


async def test_the_cases_cover_what_they_name(web: FakeWeb) -> None:
    """The comparison above is not vacuous: the cases reach the behaviours named."""
    base = f"http://{HOSTS[0]}:{web.port}"
    direct, _ = await _fetch_both(web, base + "/parity/set-cookie", {}, {})
    assert direct.status_code == 200 and b"cookie: sid=42" in direct.body
    direct, _ = await _fetch_both(
        web, base + "/parity/needs-cookie", {}, {"cookies": [("SOCS", "CAI", ".parity.test")]}
    )
    assert b"cookie: SOCS=CAI" in direct.body
    direct, _ = await _fetch_both(web, base + "/parity/echo", {}, {"etag": _ETAG})
    lines = direct.body.decode().splitlines()
    assert lines[:2] == ["GET /parity/echo", f"host: {HOSTS[0]}:{web.port}"]
    assert "accept-encoding: gzip, deflate" in lines
    assert lines[-1] == f"if-none-match: {_ETAG}"
    direct, _ = await _fetch_both(web, base + "/parity/gzip", {}, {})
    assert direct.body == _PAGE
    direct, _ = await _fetch_both(web, base + "/parity/folded", {}, {})
    assert direct.headers["x-long"] == "one two"
    assert direct.headers["set-cookie"] == "a=1, b=2"
    direct, _ = await _fetch_both(web, base + "/parity/latin1-fields", {}, {})
    assert direct.headers["x-name"] == "café"
    direct, _ = await _fetch_both(web, base + "/flaky/parity?fail=1&code=500", {}, {})
    assert (direct.status_code, direct.attempts) == (200, 2)
    direct, _ = await _fetch_both(web, base + "/slow-body?delay=3", {"timeout_s": 0.5}, {})
    assert (direct.status_code, direct.body_truncated, direct.body) == (200, True, b"")
    direct, _ = await _fetch_both(web, f"http://127.0.0.1:{_refused_port()}/", {}, {})
    assert direct.error is Reason.CONNECTION_ERROR
    direct, _ = await _fetch_both(web, base + "/ok", {"exclude_private": True}, {})
    assert direct.error is Reason.PRIVATE_ADDRESS


async def test_a_fetch_keeps_its_connection_for_the_next_request(web: FakeWeb) -> None:
    settings = Settings(resolve=web.resolve_for(*HOSTS))
    async with Fetcher(settings) as fetcher:
        pools = direct_pools(fetcher.client._transport)  # noqa: SLF001
        assert pools is not None
        for path in ("/ok", "/parity/chunked", "/redirect/301?to=/ok", "/page/a"):
            outcome = await fetcher.fetch(f"http://{HOSTS[0]}:{web.port}{path}")
            assert outcome.status_code == 200
        (pool,) = pools._pools.values()  # noqa: SLF001
        assert len(pool._open) == 1  # noqa: SLF001


async def test_a_mocked_transport_is_never_bypassed() -> None:
    """respx patches citecheck's transport: a fetch then goes through it."""
    async with Fetcher(Settings()) as fetcher:
        transport = fetcher.client._transport  # noqa: SLF001
        assert direct_pools(transport) is not None
        with respx.mock:
            assert direct_pools(transport) is None
            respx.get("http://mocked.test/").respond(200, text="<title>Mocked</title>")
            outcome = await fetcher.fetch("http://mocked.test/")
        assert (outcome.status_code, outcome.body) == (200, b"<title>Mocked</title>")
        assert direct_pools(transport) is not None


async def test_a_mocked_transport_is_never_bypassed_before_the_client_exists() -> None:
    """A Fetcher builds its httpx client only when asked; respx patching the
    transport still catches every fetch, the first one included."""
    async with Fetcher(Settings()) as fetcher:
        assert fetcher._client is None  # noqa: SLF001
        with respx.mock:
            respx.get("http://mocked.test/").respond(200, text="<title>Mocked</title>")
            outcome = await fetcher.fetch("http://mocked.test/")
        assert (outcome.status_code, outcome.body) == (200, b"<title>Mocked</title>")
        # it went through the client's transport, built for it over the same pools
        assert fetcher._client is not None  # noqa: SLF001
        assert direct_pools(fetcher.client._transport) is fetcher._pools  # noqa: SLF001


async def test_the_client_shares_the_fetches_pools(web: FakeWeb) -> None:
    """The httpx client built later (the archive's) uses the connections the
    fetches opened, and its failures are httpx's."""
    settings = Settings(resolve=web.resolve_for(*HOSTS))
    async with Fetcher(settings) as fetcher:
        outcome = await fetcher.fetch(f"http://{HOSTS[0]}:{web.port}/ok")
        assert outcome.status_code == 200
        assert fetcher._client is None  # noqa: SLF001
        response = await fetcher.client.get(f"http://{HOSTS[0]}:{web.port}/ok")
        assert response.status_code == 200
        (pool,) = fetcher._pools._pools.values()  # noqa: SLF001
        assert len(pool._open) == 1  # noqa: SLF001
        with pytest.raises(httpx.ConnectError):
            await fetcher.client.get(f"http://127.0.0.1:{_refused_port()}/")


async def test_tls_both_ways_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    """Over TLS, the certificate is checked for the URL's name, which goes as SNI:
    a certificate for the name is accepted, the same server under a name it does
    not hold is a TLS error, and an unknown authority too, the same both ways."""
    authority = trustme.CA()
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert(HOSTS[0]).configure_cert(server_context)
    trusting = ssl.create_default_context()
    authority.configure_trust(trusting)
    with FakeWeb(ssl_context=server_context) as web:
        _routes(web)
        for trusted in (True, False):
            if trusted:
                monkeypatch.setattr(tls, "verified_context", lambda: trusting)
            else:
                monkeypatch.undo()
            for host in HOSTS:
                url = f"https://{host}:{web.port}/parity/echo"
                direct, through_httpx = await _fetch_both(web, url, {}, {})
                assert _comparable(direct) == _comparable(through_httpx)
                if trusted and host == HOSTS[0]:
                    assert direct.status_code == 200
                    assert f"host: {host}:{web.port}" in direct.body.decode()
                else:
                    assert direct.error is Reason.TLS_ERROR, direct


# -- when the requests are out (check.py warms up its judges then) --------------------------


def _written_by_now(web: FakeWeb, expected: int) -> tuple[int, int]:
    """The requests the server has, and how many it answered, once ``expected`` came
    (waiting up to 0.2 s for the server's thread to read what was written). The event
    loop is held meanwhile: a request not yet written when this is called never comes."""
    deadline = time.monotonic() + 0.2
    while len(web.requests) < expected and time.monotonic() < deadline:
        time.sleep(0.005)
    requests = web.requests
    return len(requests), sum(r.finished_at is not None for r in requests)


async def _fetch_watched(
    web: FakeWeb, urls: list[str], expected: int, **overrides: Any
) -> tuple[list[FetchOutcome], list[tuple[int, int]]]:
    """Fetch ``urls`` together with a callback set, then one of them again (later
    requests must not call it again); the outcomes, and what the server had each
    time it was called (:func:`_written_by_now` of ``expected`` requests)."""
    settings = Settings(resolve=web.resolve_for(*HOSTS), **overrides)
    seen: list[tuple[int, int]] = []
    async with Fetcher(settings) as fetcher:
        fetcher.when_requests_out(lambda: seen.append(_written_by_now(web, expected)))
        outcomes = await asyncio.gather(*(fetcher.fetch(url) for url in urls))
        await fetcher.fetch(urls[-1])
    return outcomes, seen


async def test_the_callback_comes_once_every_begun_request_is_written() -> None:
    """Three fetches to two hosts begun together: the callback comes once, after
    all three requests reached the server and before any was answered; later
    requests do not call it again."""
    with FakeWeb(latency_s=0.4) as slow_web:
        base, other = (f"http://{host}:{slow_web.port}" for host in HOSTS)
        urls = [f"{base}/page/1", f"{base}/page/2", f"{other}/page/1"]
        outcomes, seen = await _fetch_watched(slow_web, urls, 3, per_host=2)
    assert [o.status_code for o in outcomes] == [200, 200, 200]
    assert seen == [(3, 0)]


async def test_a_request_that_fails_before_it_is_written_does_not_hold_the_callback() -> None:
    """A connection refused counts as out: the callback comes once the other
    request is written, long before its answer."""
    with FakeWeb(latency_s=0.4) as slow_web:
        urls = [f"http://127.0.0.1:{_refused_port()}/", f"http://{HOSTS[0]}:{slow_web.port}/page/1"]
        (refused, page), seen = await _fetch_watched(slow_web, urls, 1, max_attempts=1)
    assert refused.error is Reason.CONNECTION_ERROR and page.status_code == 200
    assert seen == [(1, 0)]


async def test_a_forgotten_callback_is_not_called(web: FakeWeb) -> None:
    settings = Settings(resolve=web.resolve_for(*HOSTS))
    called: list[bool] = []
    async with Fetcher(settings) as fetcher:
        fetcher.when_requests_out(lambda: called.append(True))
        fetcher.when_requests_out(None)
        outcome = await fetcher.fetch(f"http://{HOSTS[0]}:{web.port}/ok")
        await asyncio.sleep(0)
    assert outcome.status_code == 200 and called == []
