"""The fake web: a real HTTP/1.1 server on 127.0.0.1 that misbehaves on request.

It is written on raw asyncio streams (so it can drip, reset and send garbage) and
runs its own event loop in a daemon thread, so tests can drive in-process async code
and the real CLI in a subprocess against it alike. Keep-alive is supported
(Content-Length and chunked responses). Virtual hosts are chosen by the Host header:
reach ``news.test`` by mapping it to 127.0.0.1 with ``Settings.resolve`` (see
:meth:`FakeWeb.resolve_for`) or the CLI's resolve option.

Built-in routes, on every host except ``soft404.test`` and ``spa.test``:

======================================  ===============================================
``/``                                   200, the front page (``<title>Front page``)
``/ok``                                 200 HTML, ``<title>OK page</title>``
``/page/<name>``                        200 HTML titled ``<name>``
``/status/<code>``                      that status (200-999), small HTML body
``/redirect/<code>?to=<path-or-url>``   that status with ``Location: <to>`` (default /ok)
``/chain/<n>``                          n redirects (302, relative) then ``/ok``
``/loop/a``, ``/loop/b``                302 to each other
``/to-front``                           301 from a deep link to ``/``
``/to-login``                           302 to ``/login?next=/to-login``
``/login``                              200 sign-in form (``<title>Sign in``)
``/drip?bytes=N&interval=S``            headers at once (Content-Length N, default 100),
                                        then one byte every S seconds (default 1)
``/slow-headers?delay=S``               the OK page after S seconds (default 5)
``/slow-body?delay=S``                  headers, then the body after S seconds (default 5)
``/huge?bytes=N``                       an HTML body of N bytes (default 4 GiB), generated
                                        in blocks as it is sent, never held in memory
``/gzip-bomb``                          ``Content-Encoding: gzip``, ~1 MB that inflates to
                                        1 GiB (computed once, on first use)
``/flaky/<key>?fail=N&code=C``          the first N requests per key answer C (default 2,
                                        503), later ones 200
``/retry-after?seconds=S&key=K``        first request per key: 429 + ``Retry-After: S``
                                        (default 1); later ones 200
``/challenge``                          403, ``cf-mitigated: challenge``,
                                        ``server: cloudflare``, "Just a moment..."
``/charset/<case>``                     non-ASCII titles, see :data:`CHARSET_TITLES`:
                                        ``header`` (charset in Content-Type), ``meta``
                                        (only ``<meta charset>``), ``undeclared``
                                        (windows-1252, no declaration), ``conflict``
                                        (header says iso-8859-1, meta and bytes utf-8)
``/pdf?title=T&pages=N``                a real PDF (pypdf) with Title T and N pages
``/reset``                              closes the connection with a TCP reset
``/garbage``                            bytes that are not HTTP, then closes
``/conditional``                        ETag + Last-Modified; 304 when If-None-Match or
                                        If-Modified-Since matches
``/articles/about-404-errors``          200, a genuine article about 404 errors
anything else                           404 "Not Found"
======================================  ===============================================

Ready-made hosts for soft-404 tests:

- ``soft404.test``: every path answers 200 with the same "Page not found" page,
  except ``/articles/real-story``, a real article.
- ``spa.test``: every path answers 200 with the same app shell (``<title>App``, no
  not-found words): the false-positive guard.

Real sites' behaviours (issue 9: YouTube, consent walls, Vimeo, TikTok, Facebook,
parked domains, a news site's redirects) answer on the real host names listed in
``REAL_WEB_HOSTS``; see the block at the end of this module for each page's source.

Add behaviours with :meth:`FakeWeb.route` (a handler ``async def h(request, reply)``,
see :class:`Reply`) or static pages with :meth:`FakeWeb.page`. Measurements
(:attr:`FakeWeb.requests`, :meth:`FakeWeb.count`, :meth:`FakeWeb.max_concurrency`)
are thread-safe. The request log keeps the latest ``log_limit`` requests and can be
emptied with :meth:`FakeWeb.clear_log`, so memory stays bounded in long benchmarks.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import html
import io
import json
import socket
import ssl
import struct
import threading
import time
import zlib
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from http import HTTPStatus
from types import TracebackType
from urllib.parse import parse_qsl, quote, unquote, urlsplit

from pypdf import PdfWriter

__all__ = ["CHARSET_TITLES", "FakeWayback", "FakeWeb", "RecordedRequest", "Reply", "Request"]

#: The title each ``/charset/<case>`` page means (what a correct reader extracts).
CHARSET_TITLES: dict[str, str] = {
    "header": "Café – Überblick",
    "meta": "Ñandú: über die Straße",
    "undeclared": "“Smart” quotes – café",
    "conflict": "Zürich – naïve café",
}

_GIB = 1024**3
_BOMB_BLOCKS = 1024  # of 1 MiB: the bomb inflates to 1 GiB
_BLOCK = 64 * 1024
_MAX_HEADER_BYTES = 64 * 1024
_STOP_TIMEOUT_S = 2.0
_LAST_MODIFIED = datetime(2024, 1, 15, 12, 0, 0, tzinfo=UTC)
_ETAG = '"v1-conditional"'


@dataclass(frozen=True)
class Request:
    """A request as a handler sees it. ``host`` has no port; header names are lower-case."""

    method: str
    target: str
    path: str
    query: Mapping[str, str]
    headers: Mapping[str, str]
    host: str
    body: bytes = b""


@dataclass(frozen=True)
class RecordedRequest:
    """One request in the log; times are ``time.monotonic()`` seconds.

    ``finished_at`` is None while the request is still being answered.
    """

    host: str
    method: str
    path: str
    headers: Mapping[str, str]
    started_at: float
    finished_at: float | None


class _LogEntry:
    """A log slot, written when a request arrives so that a client that has its
    answer always finds its request counted; finished when the answer is sent."""

    __slots__ = ("request", "started_at", "finished_at")

    def __init__(self, request: Request, started_at: float) -> None:
        self.request = request
        self.started_at = started_at
        self.finished_at: float | None = None

    def snapshot(self) -> RecordedRequest:
        return RecordedRequest(
            host=self.request.host,
            method=self.request.method,
            path=self.request.path,
            headers=self.request.headers,
            started_at=self.started_at,
            finished_at=self.finished_at,
        )


Handler = Callable[[Request, "Reply"], Awaitable[None]]


class Reply:
    """How a handler answers. Use :meth:`send` for a whole response, or
    :meth:`start` + :meth:`write` (+ :meth:`end`) to stream one; :meth:`reset` and
    :meth:`raw` misbehave. A connection is kept alive unless the handler closes it."""

    def __init__(self, writer: asyncio.StreamWriter, method: str) -> None:
        self._writer = writer
        self._head_only = method == "HEAD"
        self._chunked = False
        self.started = False
        self.keep_alive = True

    async def send(
        self,
        status: int = 200,
        body: bytes | str = b"",
        headers: Mapping[str, str] | None = None,
        *,
        content_type: str = "text/html; charset=utf-8",
    ) -> None:
        data = body.encode() if isinstance(body, str) else body
        all_headers = {"Content-Type": content_type, **(headers or {})}
        if status in (204, 304):
            all_headers.pop("Content-Type", None)
            data = b""
        await self.start(status, all_headers, content_length=len(data))
        await self.write(data)

    async def start(
        self, status: int, headers: Mapping[str, str] | None = None, *, content_length: int | None
    ) -> None:
        """Send the status line and headers; ``content_length=None`` means chunked."""
        try:
            phrase = HTTPStatus(status).phrase
        except ValueError:
            phrase = "Unknown"
        lines = [f"HTTP/1.1 {status} {phrase}"]
        names = {name.lower() for name in (headers or {})}
        lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
        if "date" not in names:
            lines.append(f"Date: {format_datetime(datetime.now(UTC), usegmt=True)}")
        if status not in (204, 304) and not (100 <= status < 200):
            if content_length is None:
                self._chunked = True
                lines.append("Transfer-Encoding: chunked")
            else:
                lines.append(f"Content-Length: {content_length}")
        if not self.keep_alive:
            lines.append("Connection: close")
        self.started = True
        self._writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        await self._writer.drain()

    async def write(self, data: bytes) -> None:
        if self._head_only or not data:
            return
        if self._chunked:
            self._writer.write(b"%x\r\n%s\r\n" % (len(data), data))
        else:
            self._writer.write(data)
        await self._writer.drain()

    async def end(self) -> None:
        """Finish a chunked body (no-op otherwise)."""
        if self._chunked and not self._head_only:
            self._writer.write(b"0\r\n\r\n")
            await self._writer.drain()

    def reset(self) -> None:
        """Drop the connection with a TCP reset, answering nothing."""
        sock = self._writer.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self._writer.transport.abort()
        self.keep_alive = False
        self.started = True

    async def raw(self, data: bytes) -> None:
        """Send bytes as they are, then close the connection."""
        self.started = True
        self.keep_alive = False
        self._writer.write(data)
        await self._writer.drain()


def _html(title: str, body: str = "", *, lang: str = "en") -> bytes:
    return (
        f'<!DOCTYPE html>\n<html lang="{lang}"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title></head>\n<body>{body}</body></html>\n"
    ).encode()


def _page_start(title: str) -> bytes:
    """The opening of a page whose body goes on (and on)."""
    return f"<!DOCTYPE html>\n<html><head><title>{title}</title></head>\n<body>\n".encode()


def _number(query: Mapping[str, str], name: str, default: float) -> float:
    try:
        return float(query[name])
    except (KeyError, ValueError):
        return default


_bomb_lock = threading.Lock()
_bomb: bytes | None = None


def _gzip_bomb() -> bytes:
    """~1 MB of gzip that inflates to 1 GiB of HTML, built once in about half a second.

    Each 1 MiB block of spaces is compressed from a reset dictionary (a full flush),
    so its compressed form is the same every time and is simply repeated; only the
    CRC has to walk the whole gibibyte.
    """
    global _bomb
    with _bomb_lock:
        if _bomb is None:
            head = _page_start("Bomb")
            block = b" " * (1024 * 1024)
            compressor = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
            prefix = compressor.compress(head) + compressor.flush(zlib.Z_FULL_FLUSH)
            unit = compressor.compress(block) + compressor.flush(zlib.Z_FULL_FLUSH)
            crc = zlib.crc32(head)
            for _ in range(_BOMB_BLOCKS):
                crc = zlib.crc32(block, crc)
            size = len(head) + _BOMB_BLOCKS * len(block)
            _bomb = b"".join(
                (
                    b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff",  # gzip header, no name
                    prefix,
                    unit * _BOMB_BLOCKS,
                    compressor.flush(),
                    struct.pack("<II", crc, size & 0xFFFFFFFF),
                )
            )
        return _bomb


def _pdf(title: str, pages: int) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    writer.add_metadata({"/Title": title})
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


_SOFT_404_PAGE = _html(
    "Page not found | Daily Bugle",
    "<h1>Sorry, this page could not be found</h1><p>Try the search box or go to the "
    '<a href="/">front page</a>.</p>',
)
_APP_SHELL = _html("App", '<div id="root"></div><script src="/static/app.js"></script>')
_ABOUT_404 = _html(
    "What a 404 error means, and how to fix broken links",
    "<h1>What a 404 error means</h1><p>A 404 Not Found error says the server has no "
    "page at that address. Page not found errors often follow a site redesign; this "
    "article explains how archives help readers when links break.</p>",
)
_REAL_STORY = _html(
    "Council approves the new river bridge | Daily Bugle",
    "<h1>Council approves the new river bridge</h1><p>The city council voted on "
    "Tuesday to fund the bridge, which will open in 2027.</p>",
)


class FakeWeb:
    """The server. ``with FakeWeb() as web:`` or ``web = FakeWeb().start()``."""

    host: str = "127.0.0.1"

    def __init__(
        self,
        *,
        latency_s: float = 0.0,
        log_limit: int = 20_000,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.latency_s = latency_s
        self.port = 0
        self._ssl = ssl_context
        self._lock = threading.Lock()
        self._log: collections.deque[_LogEntry] = collections.deque(maxlen=log_limit)
        self._routes: dict[tuple[str | None, str], Handler] = {}
        self._in_flight: collections.Counter[str] = collections.Counter()
        self._in_flight_total = 0
        self._max_in_flight: dict[str, int] = {}
        self._max_in_flight_total = 0
        self._per_key: collections.Counter[str] = collections.Counter()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.Task[None]] = set()
        self._install_builtins()

    # -- lifecycle -------------------------------------------------------------------

    def start(self) -> FakeWeb:
        ready = threading.Event()
        failure: list[BaseException] = []
        loop = asyncio.new_event_loop()

        def run() -> None:
            asyncio.set_event_loop(loop)
            try:
                self._server = loop.run_until_complete(
                    asyncio.start_server(
                        self._serve_connection, self.host, self.port, ssl=self._ssl, backlog=1024
                    )
                )
                self.port = self._server.sockets[0].getsockname()[1]
            except BaseException as exc:  # reported to the starting thread
                failure.append(exc)
                ready.set()
                loop.close()
                return
            ready.set()
            try:
                loop.run_forever()
            finally:
                loop.close()

        self._loop = loop
        self._thread = threading.Thread(target=run, name="fake-web", daemon=True)
        self._thread.start()
        if not ready.wait(_STOP_TIMEOUT_S) or failure:
            raise RuntimeError(f"the fake web did not start: {failure}")
        return self

    def stop(self) -> None:
        """Stop serving and join the thread, within about two seconds."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None or not thread.is_alive():
            return
        future = asyncio.run_coroutine_threadsafe(self._shutdown(), loop)
        with contextlib.suppress(Exception):
            future.result(timeout=_STOP_TIMEOUT_S)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(_STOP_TIMEOUT_S)
        self._loop = self._thread = None

    async def _shutdown(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._connections):
            task.cancel()
        if self._connections:
            await asyncio.wait(self._connections, timeout=_STOP_TIMEOUT_S / 2)

    def __enter__(self) -> FakeWeb:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    # -- configuration ---------------------------------------------------------------

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        scheme = "https" if self._ssl is not None else "http"
        return f"{scheme}://{host}:{self.port}{path}"

    def resolve_for(self, *hosts: str) -> tuple[tuple[str, str], ...]:
        """``Settings.resolve`` pairs that send these names to this server."""
        return tuple((name, self.host) for name in hosts)

    def route(self, path: str, handler: Handler, *, host: str | None = None) -> None:
        """Add or replace a behaviour: ``path`` exactly, or a prefix if it ends with '*'.

        Routes for a ``host`` take precedence over routes for every host.
        """
        with self._lock:
            self._routes[(host.lower() if host else None, path)] = handler

    def page(
        self,
        path: str,
        *,
        status: int = 200,
        body: bytes | str = b"",
        headers: Mapping[str, str] | None = None,
        host: str | None = None,
    ) -> None:
        """A static page; call again to change it (a page dies, moves, comes back)."""
        fixed_headers = dict(headers or {})
        content_type = fixed_headers.pop("Content-Type", None) or fixed_headers.pop(
            "content-type", "text/html; charset=utf-8"
        )

        async def static(request: Request, reply: Reply) -> None:
            await reply.send(status, body, fixed_headers, content_type=content_type)

        self.route(path, static, host=host)

    # -- measurements ----------------------------------------------------------------

    @property
    def requests(self) -> list[RecordedRequest]:
        """A copy of the request log (the latest ``log_limit`` requests)."""
        with self._lock:
            return [entry.snapshot() for entry in self._log]

    def settle(self, timeout_s: float = 5.0) -> None:
        """Wait (up to ``timeout_s``) until no request is being answered: a client can
        read a whole answer before the server's thread has logged it as finished."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            with self._lock:
                if not self._in_flight_total:
                    return
            time.sleep(0.005)

    def clear_log(self) -> None:
        """Forget logged requests, concurrency peaks and per-key counters."""
        with self._lock:
            self._log.clear()
            self._max_in_flight.clear()
            self._max_in_flight_total = self._in_flight_total
            self._per_key.clear()

    def max_concurrency(self, host: str | None = None) -> int:
        """Most requests in flight at once, for one Host or in total."""
        with self._lock:
            if host is None:
                return self._max_in_flight_total
            return self._max_in_flight.get(host.lower(), 0)

    def count(self, path: str | None = None, host: str | None = None) -> int:
        """Logged requests, optionally only for one path (without query) and Host."""
        with self._lock:
            return sum(
                1
                for entry in self._log
                if (path is None or entry.request.path == path)
                and (host is None or entry.request.host == host.lower())
            )

    # -- serving ---------------------------------------------------------------------

    async def _serve_connection(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections.add(task)
        try:
            while True:
                request = await self._read_request(reader)
                if request is None:
                    break
                reply = Reply(writer, request.method)
                if request.headers.get("connection", "").lower() == "close":
                    reply.keep_alive = False
                await self._answer(request, reply)
                if not reply.keep_alive:
                    break
        except (ConnectionError, asyncio.IncompleteReadError, ssl.SSLError):
            pass
        except asyncio.CancelledError:
            pass
        finally:
            self._connections.discard(task)
            if not writer.transport.is_closing():
                writer.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(writer.wait_closed(), 0.5)

    async def _read_request(self, reader: asyncio.StreamReader) -> Request | None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except asyncio.IncompleteReadError:
            return None
        except asyncio.LimitOverrunError:
            return None
        if len(head) > _MAX_HEADER_BYTES:
            return None
        lines = head.decode("latin-1").split("\r\n")
        try:
            method, target, _version = lines[0].split(" ", 2)
        except ValueError:
            return None
        headers: dict[str, str] = {}
        for line in lines[1:]:
            if ":" in line:
                name, value = line.split(":", 1)
                key = name.strip().lower()
                headers[key] = (
                    f"{headers[key]}, {value.strip()}" if key in headers else value.strip()
                )
        length = int(headers.get("content-length", "0") or 0)
        body = await reader.readexactly(length) if length else b""
        parts = urlsplit(target)
        host = headers.get("host", self.host).rsplit(":", 1)[0].strip("[]").lower()
        if parts.hostname:  # absolute-form request target
            host = parts.hostname.lower()
        return Request(
            method=method.upper(),
            target=target,
            path=unquote(parts.path) or "/",
            query=dict(parse_qsl(parts.query, keep_blank_values=True)),
            headers=headers,
            host=host,
            body=body,
        )

    def _handler_for(self, host: str, path: str) -> Handler:
        with self._lock:
            for route_host in (host, None):
                exact = self._routes.get((route_host, path))
                if exact is not None:
                    return exact
                prefixes = [
                    (pattern, handler)
                    for (h, pattern), handler in self._routes.items()
                    if h == route_host and pattern.endswith("*") and path.startswith(pattern[:-1])
                ]
                if prefixes:
                    return max(prefixes, key=lambda item: len(item[0]))[1]
        return _not_found

    async def _answer(self, request: Request, reply: Reply) -> None:
        entry = _LogEntry(request, time.monotonic())
        with self._lock:
            self._log.append(entry)
            self._in_flight[request.host] += 1
            self._in_flight_total += 1
            self._max_in_flight[request.host] = max(
                self._max_in_flight.get(request.host, 0), self._in_flight[request.host]
            )
            self._max_in_flight_total = max(self._max_in_flight_total, self._in_flight_total)
        try:
            if self.latency_s > 0:
                await asyncio.sleep(self.latency_s)
            handler = self._handler_for(request.host, request.path)
            try:
                await handler(request, reply)
                await reply.end()
            except (ConnectionError, asyncio.CancelledError):
                reply.keep_alive = False
                raise
            except Exception as exc:  # a broken handler must not kill the server
                reply.keep_alive = False
                if not reply.started:
                    await reply.send(500, _html("Handler error", html.escape(repr(exc))))
        finally:
            with self._lock:
                self._in_flight[request.host] -= 1
                if not self._in_flight[request.host]:
                    del self._in_flight[request.host]
                self._in_flight_total -= 1
                entry.finished_at = time.monotonic()

    def _next_for_key(self, key: str) -> int:
        """How many earlier requests used ``key`` (then counts this one)."""
        with self._lock:
            seen = self._per_key[key]
            self._per_key[key] = seen + 1
            return seen

    # -- built-in routes -------------------------------------------------------------

    def _install_builtins(self) -> None:
        static = {
            "/": _html("Front page", "<h1>Welcome</h1>"),
            "/ok": _html("OK page", "<h1>OK</h1><p>This page is fine.</p>"),
            "/articles/about-404-errors": _ABOUT_404,
            "/login": _html(
                "Sign in",
                '<form method="post"><input name="user"><input type="password" '
                'name="password"><button>Sign in</button></form>',
            ),
        }
        for path, body in static.items():
            self.page(path, body=body)
        self.route("/page/*", _page)
        self.route("/status/*", _status)
        self.route("/redirect/*", _redirect)
        self.route("/chain/*", _chain)
        self.route("/loop/a", _redirect_to("/loop/b"))
        self.route("/loop/b", _redirect_to("/loop/a"))
        self.route("/to-front", _redirect_to("/", status=301))
        self.route("/to-login", _redirect_to("/login?next=" + quote("/to-login", safe="")))
        self.route("/drip", _drip)
        self.route("/slow-headers", _slow_headers)
        self.route("/slow-body", _slow_body)
        self.route("/huge", _huge)
        self.route("/gzip-bomb", _serve_gzip_bomb)
        self.route("/flaky/*", self._flaky)
        self.route("/retry-after", self._retry_after)
        self.route("/challenge", _challenge)
        self.route("/charset/*", _charset)
        self.route("/pdf", _serve_pdf)
        self.route("/reset", _reset)
        self.route("/garbage", _garbage)
        self.route("/conditional", _conditional)
        self.page("/*", body=_SOFT_404_PAGE, host="soft404.test")
        self.page("/articles/real-story", body=_REAL_STORY, host="soft404.test")
        self.page("/*", body=_APP_SHELL, host="spa.test")
        _install_real_web(self)  # issue 9: real-web behaviours, at the end of this module

    async def _flaky(self, request: Request, reply: Reply) -> None:
        key = "flaky:" + request.path.removeprefix("/flaky/")
        failures = int(_number(request.query, "fail", 2))
        code = int(_number(request.query, "code", 503))
        if self._next_for_key(key) < failures:
            await reply.send(code, _html(f"{code} {_phrase(code)}"))
        else:
            await reply.send(200, _html("Recovered", "<p>It works now.</p>"))

    async def _retry_after(self, request: Request, reply: Reply) -> None:
        key = "retry-after:" + request.query.get("key", "default")
        seconds = request.query.get("seconds", "1")
        if self._next_for_key(key) == 0:
            await reply.send(429, _html("Too Many Requests"), {"Retry-After": seconds})
        else:
            await reply.send(200, _html("After the wait"))


def _phrase(code: int) -> str:
    try:
        return HTTPStatus(code).phrase
    except ValueError:
        return "Unknown"


async def _not_found(request: Request, reply: Reply) -> None:
    await reply.send(404, _html("404 Not Found", "<h1>Not Found</h1>"))


async def _page(request: Request, reply: Reply) -> None:
    name = request.path.removeprefix("/page/")
    await reply.send(200, _html(name, f"<h1>{html.escape(name)}</h1><p>A page.</p>"))


async def _status(request: Request, reply: Reply) -> None:
    text = request.path.removeprefix("/status/")
    if not (text.isdigit() and 200 <= int(text) <= 999):
        await reply.send(400, _html("Bad status"))
        return
    code = int(text)
    await reply.send(code, _html(f"{code} {_phrase(code)}"))


async def _redirect(request: Request, reply: Reply) -> None:
    text = request.path.removeprefix("/redirect/")
    code = int(text) if text.isdigit() else 302
    await reply.send(code, b"", {"Location": request.query.get("to", "/ok")})


def _redirect_to(location: str, status: int = 302) -> Handler:
    async def handler(request: Request, reply: Reply) -> None:
        await reply.send(status, b"", {"Location": location})

    return handler


async def _chain(request: Request, reply: Reply) -> None:
    text = request.path.removeprefix("/chain/")
    remaining = int(text) if text.isdigit() else 0
    if remaining <= 0:
        await reply.send(200, _html("OK page", "<h1>OK</h1>"))
        return
    location = f"/chain/{remaining - 1}" if remaining > 1 else "/ok"
    await reply.send(302, b"", {"Location": location})


async def _drip(request: Request, reply: Reply) -> None:
    size = int(_number(request.query, "bytes", 100))
    interval = _number(request.query, "interval", 1.0)
    await reply.start(200, {"Content-Type": "text/html"}, content_length=size)
    for _ in range(size):
        await reply.write(b"x")
        await asyncio.sleep(interval)


async def _slow_headers(request: Request, reply: Reply) -> None:
    await asyncio.sleep(_number(request.query, "delay", 5.0))
    await reply.send(200, _html("OK page", "<h1>Slow</h1>"))


async def _slow_body(request: Request, reply: Reply) -> None:
    body = _html("Slow body", "<p>Finally.</p>")
    await reply.start(200, {"Content-Type": "text/html"}, content_length=len(body))
    await asyncio.sleep(_number(request.query, "delay", 5.0))
    await reply.write(body)


async def _huge(request: Request, reply: Reply) -> None:
    size = int(_number(request.query, "bytes", 4 * _GIB))
    head = _page_start("Huge")
    block = (b"<p>" + b"filler " * 9360 + b"</p>\n")[:_BLOCK]
    await reply.start(200, {"Content-Type": "text/html"}, content_length=size)
    sent = 0
    while sent < size:
        data = head if sent == 0 else block
        data = data[: size - sent]
        await reply.write(data)
        sent += len(data)


async def _serve_gzip_bomb(request: Request, reply: Reply) -> None:
    data = await asyncio.get_running_loop().run_in_executor(None, _gzip_bomb)
    headers = {"Content-Type": "text/html", "Content-Encoding": "gzip"}
    await reply.start(200, headers, content_length=len(data))
    for offset in range(0, len(data), _BLOCK):
        await reply.write(data[offset : offset + _BLOCK])


async def _challenge(request: Request, reply: Reply) -> None:
    body = _html(
        "Just a moment...",
        "<h1>Checking your browser before accessing the site.</h1>"
        "<noscript>Enable JavaScript and cookies to continue</noscript>",
    )
    headers = {"cf-mitigated": "challenge", "Server": "cloudflare", "cf-ray": "8a1b2c3d4e5f-AMS"}
    await reply.send(403, body, headers)


async def _charset(request: Request, reply: Reply) -> None:
    case = request.path.removeprefix("/charset/")
    title = CHARSET_TITLES.get(case)
    if title is None:
        await _not_found(request, reply)
        return
    if case == "header":
        body = f"<html><head><title>{title}</title></head><body>x</body></html>"
        await reply.send(200, body.encode("utf-8"), content_type="text/html; charset=utf-8")
    elif case == "meta":
        body = (
            '<html><head><meta charset="iso-8859-1">'
            f"<title>{title}</title></head><body>x</body></html>"
        )
        await reply.send(200, body.encode("iso-8859-1"), content_type="text/html")
    elif case == "undeclared":
        body = f"<html><head><title>{title}</title></head><body>x</body></html>"
        await reply.send(200, body.encode("windows-1252"), content_type="text/html")
    else:
        body = (
            f'<html><head><meta charset="utf-8"><title>{title}</title></head><body>x</body></html>'
        )
        await reply.send(200, body.encode("utf-8"), content_type="text/html; charset=iso-8859-1")


async def _serve_pdf(request: Request, reply: Reply) -> None:
    title = request.query.get("title", "A report")
    pages = max(1, int(_number(request.query, "pages", 1)))
    await reply.send(200, _pdf(title, pages), content_type="application/pdf")


async def _reset(request: Request, reply: Reply) -> None:
    reply.reset()


async def _garbage(request: Request, reply: Reply) -> None:
    await reply.raw(b"SSH-2.0-OpenSSH_9.6\r\n\x00\xff\xfe not http at all \x1b[0m\r\n\r\n")


async def _conditional(request: Request, reply: Reply) -> None:
    validators = {
        "ETag": _ETAG,
        "Last-Modified": format_datetime(_LAST_MODIFIED, usegmt=True),
    }
    if_none_match = request.headers.get("if-none-match")
    if if_none_match is not None:
        tags = {tag.strip() for tag in if_none_match.split(",")}
        if _ETAG in tags or "*" in tags:
            await reply.send(304, b"", validators)
            return
    elif "if-modified-since" in request.headers:
        try:
            since = parsedate_to_datetime(request.headers["if-modified-since"])
        except (TypeError, ValueError):
            since = None
        if since is not None and since >= _LAST_MODIFIED:
            await reply.send(304, b"", validators)
            return
    await reply.send(200, _html("Conditional page", "<p>Version 1.</p>"), validators)


# -- the fake Wayback Machine ---------------------------------------------------------------


@dataclass(frozen=True)
class FakeCapture:
    """One capture in the fake archive's index."""

    original: str
    timestamp: str
    status: int = 200
    mimetype: str = "text/html"


@dataclass
class _FakeJob:
    url: str
    polls_left: int
    timestamp: str | None = None


def _wayback_key(url: str) -> str:
    """How the fake index matches URLs: without scheme, like CDX's canonical form."""
    return url.split("://", 1)[-1].rstrip("/").lower()


def _ts_bound(value: str, fill: str) -> str:
    """A partial CDX timestamp padded to 14 digits (``from`` with 0s, ``to`` with 9s)."""
    return (value + fill * 14)[:14]


def _ts_datetime(value: str) -> datetime:
    return datetime.strptime(value, "%Y%m%d%H%M%S").replace(tzinfo=UTC)


class FakeWayback(FakeWeb):
    """A Wayback Machine on 127.0.0.1, for ``CITECHECK_WAYBACK_URL`` (see :meth:`base`).

    ==============================  ==============================================
    ``GET /cdx/search/cdx``         the index: ``url``, ``output=json``, ``fl``,
                                    ``filter=statuscode:200``, ``sort=closest`` +
                                    ``closest``, ``from``, ``to``, ``limit``;
                                    ``[]`` when nothing matches
    ``POST /save``                  SPN2: form ``url=``; ``{"url", "job_id"}``; needs
                                    ``Authorization: LOW key:secret`` when ``keys`` set
    ``GET /save/status/<job>``      ``pending`` for ``pending_polls`` polls, then
                                    ``success`` with the new capture's timestamp
    ``GET /save/<url>``             anonymous save: 200, the capture named in
                                    ``Content-Location`` and ``Link`` (or only one of
                                    them: ``anonymous_headers``)
    ``GET /web/<ts>/<url>``         replay: the capture's status and a small page
    ==============================  ==============================================

    Behaviours: :meth:`add_capture` fills the index; :meth:`fail_next` makes the next
    requests to an endpoint (``cdx``, ``save``, ``status``) answer a given status
    (a 429 with ``Retry-After``, a 523); ``ignore_status_filter`` serves non-200
    captures despite the filter (the client must still refuse them);
    ``capture_status`` is the status new captures get (a bot wall: 403);
    ``index_new_captures=False`` keeps new captures out of the index; ``cdx_latency_s``
    delays every CDX answer. New captures are timestamped from ``now`` (settable).
    """

    def __init__(self, *, cdx_latency_s: float = 0.0, log_limit: int = 20_000) -> None:
        self._captures: dict[str, list[FakeCapture]] = collections.defaultdict(list)
        self._jobs: dict[str, _FakeJob] = {}
        self._faults: dict[str, collections.deque[tuple[int, dict[str, str]]]] = (
            collections.defaultdict(collections.deque)
        )
        self.cdx_latency_s = cdx_latency_s
        self.keys: tuple[str, str] | None = None
        self.pending_polls = 0
        self.capture_status = 200
        self.index_new_captures = True
        self.ignore_status_filter = False
        self.anonymous_headers: tuple[str, ...] = ("content-location", "link")
        self.now: datetime | None = None
        self.saved: list[str] = []
        self._made = 0
        super().__init__(log_limit=log_limit)

    def _install_builtins(self) -> None:
        self.route("/cdx/search/cdx", self._cdx)
        self.route("/save", self._spn2)
        self.route("/save/status/*", self._status)
        self.route("/save/*", self._anonymous)
        self.route("/web/*", self._replay)

    @property
    def base(self) -> str:
        """The value for ``CITECHECK_WAYBACK_URL``."""
        return self.url("").rstrip("/")

    def add_capture(
        self, original: str, timestamp: str, *, status: int = 200, mimetype: str = "text/html"
    ) -> None:
        with self._lock:
            self._captures[_wayback_key(original)].append(
                FakeCapture(original, timestamp, status, mimetype)
            )

    def captures(self, original: str) -> list[FakeCapture]:
        with self._lock:
            return list(self._captures.get(_wayback_key(original), []))

    def fail_next(
        self,
        endpoint: str,
        status: int,
        *,
        times: int = 1,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        """The next ``times`` requests to ``endpoint`` answer ``status`` (an HTML page)."""
        with self._lock:
            for _ in range(times):
                self._faults[endpoint].append((status, dict(headers or {})))

    def finish_jobs(self) -> None:
        """Let every SPN2 job succeed at its next poll."""
        with self._lock:
            self.pending_polls = 0
            for job in self._jobs.values():
                job.polls_left = 0

    async def _fault(self, endpoint: str, reply: Reply) -> bool:
        with self._lock:
            queue = self._faults[endpoint]
            fault = queue.popleft() if queue else None
        if fault is None:
            return False
        status, headers = fault
        await reply.send(status, _html(f"{status} {_phrase(status)}"), headers)
        return True

    def _new_capture(self, original: str) -> FakeCapture:
        with self._lock:
            self._made += 1
            moment = (self.now or datetime.now(UTC)).astimezone(UTC)
            moment = moment.replace(microsecond=0) + timedelta(seconds=self._made)
            timestamp = moment.strftime("%Y%m%d%H%M%S")
            capture = FakeCapture(original, timestamp, self.capture_status)
            self.saved.append(original)
            if self.index_new_captures:
                self._captures[_wayback_key(original)].append(capture)
            return capture

    async def _cdx(self, request: Request, reply: Reply) -> None:
        if self.cdx_latency_s > 0:
            await asyncio.sleep(self.cdx_latency_s)
        if await self._fault("cdx", reply):
            return
        query = request.query
        rows = self.captures(query.get("url", ""))
        if query.get("filter") == "statuscode:200" and not self.ignore_status_filter:
            rows = [row for row in rows if row.status == 200]
        if "from" in query:
            rows = [row for row in rows if row.timestamp >= _ts_bound(query["from"], "0")]
        if "to" in query:
            rows = [row for row in rows if row.timestamp <= _ts_bound(query["to"], "9")]
        if query.get("sort") == "closest" and "closest" in query:
            target = _ts_datetime(_ts_bound(query["closest"], "0"))
            rows.sort(key=lambda row: abs((_ts_datetime(row.timestamp) - target).total_seconds()))
        else:
            rows.sort(key=lambda row: row.timestamp)
        rows = rows[: int(query.get("limit", "10000"))]
        fields = query.get("fl", "timestamp,original,statuscode,mimetype,digest").split(",")
        values = {
            "timestamp": lambda row: row.timestamp,
            "original": lambda row: row.original,
            "statuscode": lambda row: str(row.status),
            "mimetype": lambda row: row.mimetype,
            "digest": lambda row: f"D{row.timestamp}",
        }
        table = [fields] + [[values[name](row) for name in fields] for row in rows] if rows else []
        await reply.send(200, json.dumps(table), content_type="application/json")

    def _authorised(self, request: Request) -> bool:
        if self.keys is None:
            return True
        expected = f"LOW {self.keys[0]}:{self.keys[1]}"
        return request.headers.get("authorization") == expected

    async def _spn2(self, request: Request, reply: Reply) -> None:
        if request.method != "POST":
            await reply.send(405, _html("Method Not Allowed"))
            return
        if await self._fault("save", reply):
            return
        if not self._authorised(request):
            body = {"status": "error", "status_ext": "error:unauthorized", "message": "Bad keys"}
            await reply.send(401, json.dumps(body), content_type="application/json")
            return
        url = dict(parse_qsl(request.body.decode())).get("url", "")
        with self._lock:
            job_id = f"spn2-{len(self._jobs) + 1:06d}"
            self._jobs[job_id] = _FakeJob(url, self.pending_polls)
        await reply.send(
            200, json.dumps({"url": url, "job_id": job_id}), content_type="application/json"
        )

    async def _status(self, request: Request, reply: Reply) -> None:
        if await self._fault("status", reply):
            return
        job_id = request.path.removeprefix("/save/status/")
        with self._lock:
            job = self._jobs.get(job_id)
            pending = job is not None and job.polls_left > 0
            if job is not None and pending:
                job.polls_left -= 1
        if job is None:
            body = {"status": "error", "status_ext": "error:not-found", "message": "No such job"}
        elif pending:
            body = {"status": "pending", "job_id": job_id}
        else:
            if job.timestamp is None:
                job.timestamp = self._new_capture(job.url).timestamp
            body = {
                "status": "success",
                "job_id": job_id,
                "original_url": job.url,
                "timestamp": job.timestamp,
            }
        await reply.send(200, json.dumps(body), content_type="application/json")

    async def _anonymous(self, request: Request, reply: Reply) -> None:
        if await self._fault("save", reply):
            return
        original = request.target.split("/save/", 1)[1]
        capture = self._new_capture(original)
        replay = f"/web/{capture.timestamp}/{original}"
        headers: dict[str, str] = {}
        if "content-location" in self.anonymous_headers:
            headers["Content-Location"] = replay
        if "location" in self.anonymous_headers:
            headers["Location"] = replay
        if "link" in self.anonymous_headers:
            headers["Link"] = (
                f'<{original}>; rel="original", <{self.base}{replay}>; rel="memento"; '
                f'datetime="{format_datetime(_ts_datetime(capture.timestamp), usegmt=True)}"'
            )
        status = 302 if "location" in self.anonymous_headers else 200
        await reply.send(status, _html("Saved"), headers)

    async def _replay(self, request: Request, reply: Reply) -> None:
        timestamp, _, original = request.target.removeprefix("/web/").partition("/")
        match = next((c for c in self.captures(original) if c.timestamp == timestamp), None)
        if match is None:
            await reply.send(404, _html("Wayback Machine has not archived that URL."))
            return
        await reply.send(match.status, _html(f"Archived {original}"))


# --- issue 10: hostile answers --------------------------------------------------------------
#
# What an attacker (or an unlucky night) serves, each a route or a switch, so that the
# end-to-end tests in tests/e2e/test_hostile_cli.py can show every unit contains it:
#
# FakeWeb, after install_hostile_routes(web):
# ``/hostile/to-bad-idna``          302 to ``http://xn--/`` (not Punycode of anything)
# ``/hostile/charset/punycode``     ``<meta charset=punycode>`` (a codec, no web charset)
# ``/hostile/charset/undefined``    ``Content-Type: text/html; charset=undefined``
#                                   (Python's codec that raises on any input)
# ``/hostile/retry-after-b2``       503 with ``Retry-After: ²`` (byte 0xB2: isdigit()
#                                   is true for it, float() is not)
# ``/hostile/to-loopback?port=P``   302 to ``http://127.0.0.1:P/page/Internal``
#
# HostileWayback: a FakeWayback whose ``cdx_body`` (bytes), when set, is the answer to
# every CDX query, and whose ``job_id`` (str), when set, is the id SPN2 hands out.


async def _hostile_to_bad_idna(request: Request, reply: Reply) -> None:
    await reply.send(302, _html("Moved"), {"Location": "http://xn--/"})


async def _hostile_charset(request: Request, reply: Reply) -> None:
    body = "<html><head>{meta}<title>Café hostile</title></head><body>x</body></html>"
    if request.path.endswith("/punycode"):
        page = body.format(meta="<meta charset=punycode>").encode("utf-8")
        await reply.send(200, page, content_type="text/html")
    else:
        page = body.format(meta="").encode("utf-8")
        await reply.send(200, page, content_type="text/html; charset=undefined")


async def _hostile_retry_after(request: Request, reply: Reply) -> None:
    # Reply.start encodes headers as latin-1: "²" goes out as the single byte 0xB2.
    await reply.send(503, _html("Busy"), {"Retry-After": "\u00b2"})


async def _hostile_to_loopback(request: Request, reply: Reply) -> None:
    port = request.query.get("port", "80")
    await reply.send(302, _html("Moved"), {"Location": f"http://127.0.0.1:{port}/page/Internal"})


def install_hostile_routes(web: FakeWeb) -> None:
    """Add the hostile routes above to ``web`` (every host)."""
    web.route("/hostile/to-bad-idna", _hostile_to_bad_idna)
    web.route("/hostile/charset/*", _hostile_charset)
    web.route("/hostile/retry-after-b2", _hostile_retry_after)
    web.route("/hostile/to-loopback", _hostile_to_loopback)


class HostileWayback(FakeWayback):
    """The fake Wayback, answering what the test sets (see the block comment above)."""

    def __init__(self, **values: float) -> None:
        self.cdx_body: bytes | None = None
        self.job_id: str | None = None
        super().__init__(**values)

    async def _cdx(self, request: Request, reply: Reply) -> None:
        if self.cdx_body is None:
            await super()._cdx(request, reply)
            return
        await reply.send(200, self.cdx_body, content_type="application/json")

    async def _spn2(self, request: Request, reply: Reply) -> None:
        if self.job_id is None or request.method != "POST":
            await super()._spn2(request, reply)
            return
        await reply.send(
            200, json.dumps({"url": "x", "job_id": self.job_id}), content_type="application/json"
        )


# --- issue 9: real-web behaviours --------------------------------------------------------
#
# Pages written after what the real sites serve, on their real host names (reach them
# with --resolve / Settings.resolve, see REAL_WEB_HOSTS). Sources, per behaviour:
#
# - YouTube: the watch, shorts and live pages embed the player state as
#   `var ytInitialPlayerResponse = {...}` whose `playabilityStatus` holds `status`
#   (OK, ERROR, UNPLAYABLE, LOGIN_REQUIRED, ...), `reason` and an `errorScreen` with a
#   `subreason`; embed pages carry the same object as a JSON string in
#   ytcfg's `PLAYER_VARS.embedded_player_response`. The reason texts are YouTube's
#   own ("This video has been removed by the uploader", "This video is no longer
#   available because the YouTube account associated with this video has been
#   terminated.", "...due to a copyright claim by ...", "Private video", "Sign in to
#   confirm your age", "Join this channel to get access to members-only content...",
#   "Playback on other websites has been disabled by the video owner"), as yt-dlp's
#   YouTube extractor reads and reports them. youtu.be answers 303 to the watch page.
# - Consent: an EU visitor without a consent cookie gets 302 to
#   consent.youtube.com/m?continue=<url>&gl=..., a "Before you continue to YouTube"
#   form; with SOCS=CAI (the cookie yt-dlp sets, _initialize_consent) the page itself.
#   Video ids starting "eu" play that visitor; "eustubborn" keeps the wall up.
# - Vimeo: a password-protected video's page shows `<form id="pw_form">` (what yt-dlp's
#   Vimeo extractor looks for before asking for --video-password).
# - TikTok: video pages embed `<script id="__UNIVERSAL_DATA_FOR_REHYDRATION__">` whose
#   `__DEFAULT_SCOPE__["webapp.video-detail"]` has `statusCode` (0 ok; 10216 private,
#   per yt-dlp's TikTok extractor; other codes undocumented).
# - Facebook: content deleted or restricted by its owner: a page headed "This content
#   isn't available right now".
# - Parking: a lapsed domain 302s to `ww1.<domain>`, a Bodis-style lander
#   (`window.park = "..."`, "This domain may be for sale"); Sedo parks with scripts
#   from sedoparking.com; a domain sold through Dan.com redirects to
#   dan.com/buy-domain/<domain>. The seed cites iborderctrl.no, which does this.
# - News sites: CNN answers a removed article with 301 to its section front
#   (`/business/tech`, "Tech News - CNN"), and a re-filed one with 301 to the same
#   slug under a new path.

#: The real host names the issue-9 routes answer on.
REAL_WEB_HOSTS = (
    "www.youtube.com", "youtu.be", "consent.youtube.com", "vimeo.com", "www.tiktok.com",
    "www.facebook.com", "iborderctrl.no", "ww1.iborderctrl.no", "lapsed-campaign.org",
    "old-ngo.org", "dan.com", "moved-ngo.org", "parked-lander.com", "edition.cnn.com",
    "bikes.example",
)  # fmt: skip

_YT_REASONS: dict[str, tuple[str, str, str]] = {
    # video id prefix -> (status, reason, subreason)
    "removed": ("ERROR", "Video unavailable", "This video has been removed by the uploader"),
    "terminated": (
        "ERROR",
        "This video is no longer available because the YouTube account associated with "
        "this video has been terminated.",
        "",
    ),
    "copyright": (
        "ERROR",
        "Video unavailable",
        "This video is no longer available due to a copyright claim by Example Records",
    ),
    "private": ("LOGIN_REQUIRED", "Private video", "Sign in if you've been granted access"),
    "members": (
        "UNPLAYABLE",
        "Join this channel to get access to members-only content like this video, and "
        "other exclusive perks.",
        "",
    ),
    "agegate": ("LOGIN_REQUIRED", "Sign in to confirm your age",
                "This video may be inappropriate for some users."),
    "noembed": ("UNPLAYABLE", "Video unavailable",
                "Playback on other websites has been disabled by the video owner."),
}  # fmt: skip


def _yt_playability(video_id: str) -> dict:
    key = video_id.removeprefix("eu")
    found = next((v for k, v in _YT_REASONS.items() if key.startswith(k)), None)
    if found is None:
        return {"status": "OK", "playableInEmbed": True, "contextParams": "Q0FFU0FnZ0I="}
    status, reason, subreason = found
    error = {"reason": {"simpleText": reason}}
    if subreason:
        error["subreason"] = {"runs": [{"text": subreason}]}
    return {
        "status": status,
        "reason": reason,
        "errorScreen": {"playerErrorMessageRenderer": error},
        "contextParams": "Q0FFU0FnZ0I=",
    }


def _yt_page(video_id: str, *, embed: bool = False) -> bytes:
    playability = _yt_playability(video_id)
    playable = playability["status"] == "OK"
    title = f"Campaign video {video_id} - YouTube" if playable else " - YouTube"
    player = {
        "responseContext": {"serviceTrackingParams": [{"service": "GFEEDBACK"}]},
        "playabilityStatus": playability,
        "videoDetails": {"videoId": video_id, "title": f"Campaign video {video_id}",
                         "isLiveContent": video_id.startswith("live")} if playable else {},
    }  # fmt: skip
    # Comments and the rest of the page live in ytInitialData, never in the player
    # state: a live video's chat saying "Video unavailable" must not count.
    data = {"contents": {"comments": [{"text": "Video unavailable for me?? This video is "
                                                "no longer available in my app"}]}}  # fmt: skip
    if embed:
        embedded = json.dumps(json.dumps(player))
        script = f'ytcfg.set({{"PLAYER_VARS":{{"embedded_player_response":{embedded}}}}});'
    else:
        script = f"var ytInitialPlayerResponse = {json.dumps(player)};"
    return (
        f'<!DOCTYPE html><html lang="en"><head><title>{html.escape(title)}</title></head><body>'
        f"<script>{script}</script><script>var ytInitialData = {json.dumps(data)};</script>"
        "<div id='comments'>Video unavailable for me?? (a viewer)</div></body></html>"
    ).encode()


def _on_host(request: Request, host: str, target: str) -> str:
    """``http://host:<this server's port><target>``: the fake web serves every name."""
    port = request.headers.get("host", "").rpartition(":")[2]
    return f"http://{host}:{port}{target}"


def _to_host(host: str, target: str, status: int = 302) -> Handler:
    async def handler(request: Request, reply: Reply) -> None:
        await reply.send(status, b"", {"Location": _on_host(request, host, target)})

    return handler


def _has_consent(request: Request) -> bool:
    return "SOCS=CAI" in request.headers.get("cookie", "")


async def _youtube(request: Request, reply: Reply) -> None:
    path = request.path
    embed = path.startswith("/embed/")
    video_id = request.query.get("v", "") if path == "/watch" else path.rsplit("/", 1)[-1]
    if video_id.startswith("eu") and (
        video_id.startswith("eustubborn") or not _has_consent(request)
    ):
        here = _on_host(request, "www.youtube.com", request.target)
        location = _on_host(
            request, "consent.youtube.com", f"/m?continue={quote(here, safe='')}&gl=DE"
        )
        await reply.send(302, b"", {"Location": location})
        return
    await reply.send(200, _yt_page(video_id, embed=embed))


async def _youtu_be(request: Request, reply: Reply) -> None:
    video_id = request.path.strip("/")
    location = _on_host(request, "www.youtube.com", f"/watch?v={video_id}&feature=youtu.be")
    await reply.send(303, b"", {"Location": location})


_CONSENT_PAGE = _html(
    "Before you continue to YouTube",
    "<h1>Before you continue to YouTube</h1><p>We use cookies and data to deliver and "
    "maintain Google services.</p><form action='https://consent.youtube.com/save' "
    "method='POST'><button>Accept all</button><button>Reject all</button></form>",
)
_VIMEO_PASSWORD = _html(
    "Private Video on Vimeo",
    '<div class="exception_title">This video is private</div><form action="/123456789/password"'
    ' method="post" id="pw_form"><input type="password" name="password"></form>',
)


def _tiktok(status_code: int) -> bytes:
    scope = {"__DEFAULT_SCOPE__": {"webapp.video-detail": {
        "statusCode": status_code, "statusMsg": "" if status_code == 0 else "status_reviewing",
        "itemInfo": {"itemStruct": {"id": "7100000000000000001", "desc": "Reclaim your face"}}
        if status_code == 0 else {}}}}  # fmt: skip
    return (
        "<!DOCTYPE html><html><head><title>TikTok - Make Your Day</title></head><body>"
        '<script id="__UNIVERSAL_DATA_FOR_REHYDRATION__" type="application/json">'
        f"{json.dumps(scope)}</script></body></html>"
    ).encode()


_FACEBOOK_GONE = _html(
    "Facebook",
    "<h2>This content isn't available right now</h2><p>When this happens, it's usually "
    "because the owner only shared it with a small group of people, changed who can see "
    "it or it's been deleted.</p>",
)
_BODIS_LANDER = (
    b"<!DOCTYPE html><html><head><title>iborderctrl.no</title>"
    b'<script>window.park = "eyJ1dWlkIjoiZjE2ZSIsInBhZ2VfdGltZSI6MTcwMH0=";</script>'
    b'<script src="/bNjDRnvTB.js"></script></head><body><div id="target">'
    b"<h1>iborderctrl.no</h1><p>This domain may be for sale!</p></div></body></html>"
)
_SEDO_PARKING = (
    b"<!DOCTYPE html><html><head><title>lapsed-campaign.org</title>"
    b'<script src="https://img.sedoparking.com/jspartner/caf.js"></script></head>'
    b"<body><h1>lapsed-campaign.org</h1><p>Related searches</p></body></html>"
)
_LANDER_PAGE = _html(
    "moved-ngo.org",
    "<h1>moved-ngo.org</h1><p>The domain moved-ngo.org may be for sale. Click here to "
    "inquire about this domain.</p>",
)
_LONG = "<p>" + "Campaigners keep their evidence online for years. " * 60 + "</p>"
_ABOUT_PARKING = _html(
    "How domain parking scams work",
    "<h1>How domain parking scams work</h1>" + _LONG
    + "<p>The page said: &ldquo;This domain may be for sale&rdquo;. Buy this domain, it "
    "urged, pointing at sedoparking.com.</p>" + _LONG,
)  # fmt: skip
_ABOUT_UNAVAILABLE = _html(
    "Why YouTube says Video unavailable",
    "<h1>Why YouTube says “Video unavailable”</h1>" + _LONG
    + "<p>“Video unavailable. This video has been removed by the uploader” is what "
    'the player shows; "playabilityStatus":{"status":"ERROR"} is how.</p>' + _LONG,
)  # fmt: skip
_BIKE_FOR_SALE = _html(
    "Cargo bike for sale",
    "<h1>Cargo bike for sale</h1><p>Our campaign's cargo bike is for sale: this bike "
    "may be for sale until June. Buy this bike!</p>",
)
_CNN_TECH = _html("Tech News - CNN", "<h1>Tech</h1>" + _LONG)


def _install_real_web(web: FakeWeb) -> None:
    """The issue-9 routes (see the comment above)."""
    for path in ("/watch", "/shorts/*", "/embed/*", "/live/*"):
        web.route(path, _youtube, host="www.youtube.com")
    web.route("/*", _youtu_be, host="youtu.be")
    web.page("/m", body=_CONSENT_PAGE, host="consent.youtube.com")
    web.page("/123456789", body=_VIMEO_PASSWORD, host="vimeo.com")
    web.page("/22439234", body=_html("Reclaim Your Face on Vimeo", _LONG), host="vimeo.com")
    for suffix, code in (("1", 0), ("2", 10216), ("3", 10204)):
        web.page(f"/@campaign/video/710000000000000000{suffix}", body=_tiktok(code),
                 host="www.tiktok.com")  # fmt: skip
    web.page("/campaign/posts/1001", body=_FACEBOOK_GONE, host="www.facebook.com")
    web.route("/*", _to_host("ww1.iborderctrl.no", "/"), host="iborderctrl.no")
    web.page("/", body=_BODIS_LANDER, host="ww1.iborderctrl.no")
    web.page("/*", body=_SEDO_PARKING, host="lapsed-campaign.org")
    web.route("/*", _to_host("dan.com", "/buy-domain/old-ngo.org", 301), host="old-ngo.org")
    web.page("/buy-domain/old-ngo.org", body=_html("old-ngo.org is for sale"), host="dan.com")
    web.route("/*", _to_host("parked-lander.com", "/?domain=moved-ngo.org"),
              host="moved-ngo.org")  # fmt: skip
    web.page("/", body=_LANDER_PAGE, host="parked-lander.com")
    web.page("/articles/domain-parking-scams", body=_ABOUT_PARKING, host="news.test")
    web.page("/articles/video-unavailable", body=_ABOUT_UNAVAILABLE, host="news.test")
    web.page("/listing/cargo-bike", body=_BIKE_FOR_SALE, host="bikes.example")
    cnn = "edition.cnn.com"
    web.page("/business/tech", body=_CNN_TECH, host=cnn)
    for removed in (
        "2021/05/04/tech/pimeyes-facial-recognition",
        "2020/02/26/tech/clearview-ai-hack",
        "2021/06/01/tech/eu-ai-act-borders",
    ):
        web.route(f"/{removed}/index.html", _redirect_to("/business/tech", 301), host=cnn)
    web.route("/2019/01/15/politics/border-funding-vote/index.html",
              _redirect_to("/politics/border-funding-vote", 301), host=cnn)  # fmt: skip
    web.page("/politics/border-funding-vote", host=cnn,
             body=_html("House passes border funding bill - CNN Politics", _LONG))  # fmt: skip
    explained = "/world/live-news/border-database-explained"
    web.route("/2020/03/03/world/eu-border-database/index.html",
              _redirect_to(explained, 301), host=cnn)  # fmt: skip
    web.page(explained, host=cnn,
             body=_html("EU border database explained - CNN", _LONG))  # fmt: skip
    web.route("/2018/07/07/europe/old-story/index.html",
              _redirect_to("/europe/2018/other-story-entirely", 301), host=cnn)  # fmt: skip
    web.page("/europe/2018/other-story-entirely", host=cnn,
             body=_html("A different story - CNN", _LONG))  # fmt: skip


# --- issue 16: other Memento archives and an aggregator ----------------------------------
#
# Written after what pywb-based archives (Arquivo.pt, the UK Web Archive, the Library of
# Congress, Stanford) and archive.today serve, per RFC 7089 and the Arquivo.pt Memento
# API wiki (github.com/arquivo/pwa-technologies/wiki): a TimeMap in link format at
# /timemap/link/URL (404 when the archive holds nothing), the MemGator JSON shape at
# /timemap/json/URL, a TimeGate answering 302 to the memento closest to Accept-Datetime,
# and replay at /TIMESTAMP/URL answering the captured page's own status.


@dataclass
class FakeMemento:
    """One memento in a fake Memento archive."""

    original: str
    timestamp: str
    status: int = 200  # what replaying it answers
    to_login: bool = False  # replay redirects to a sign-in page instead


class FakeMementoArchive(FakeWeb):
    """A Memento archive on 127.0.0.1. ``behaviour``: ``ok``; ``slow`` (sleeps
    ``delay_s`` before every answer); ``garbage`` (an HTML page for a TimeMap);
    ``hostile`` (a TimeMap whose mementos are on other hosts, ``javascript:`` URLs
    or of other pages, with malformed datetimes)."""

    def __init__(self, behaviour: str = "ok", *, delay_s: float = 5.0) -> None:
        self._mementos: dict[str, list[FakeMemento]] = collections.defaultdict(list)
        self.behaviour = behaviour
        self.delay_s = delay_s
        super().__init__()

    def _install_builtins(self) -> None:
        self.route("/timemap/link/*", self._timemap_link)
        self.route("/timemap/json/*", self._timemap_json)
        self.route("/timegate/*", self._timegate)
        self.route("/account/login", self._login)
        self.route("/*", self._replay_memento)

    @property
    def base(self) -> str:
        return self.url("").rstrip("/")

    def add(self, original: str, timestamp: str, **kwargs: object) -> None:
        with self._lock:
            self._mementos[_wayback_key(original)].append(
                FakeMemento(original, timestamp, **kwargs)  # type: ignore[arg-type]
            )

    def mementos(self, original: str) -> list[FakeMemento]:
        with self._lock:
            return sorted(self._mementos.get(_wayback_key(original), []), key=lambda m: m.timestamp)

    def memento_url(self, memento: FakeMemento) -> str:
        return f"{self.base}/{memento.timestamp}/{memento.original}"

    def link_entries(self, original: str) -> list[str]:
        return [
            f'<{self.memento_url(m)}>; rel="memento"; '
            f'datetime="{format_datetime(_ts_datetime(m.timestamp), usegmt=True)}"'
            for m in self.mementos(original)
        ]

    async def _misbehave(self, reply: Reply, original: str) -> bool:
        if self.behaviour == "slow":
            await asyncio.sleep(self.delay_s)
        if self.behaviour == "garbage":
            await reply.send(200, _html("Service temporarily unavailable", "<p>try later</p>"))
            return True
        if self.behaviour == "hostile":
            entries = [
                f'<http://elsewhere.test/20190101000000/{original}>; rel="memento"; '
                'datetime="Tue, 01 Jan 2019 00:00:00 GMT"',
                '<javascript:alert(1)>; rel="memento"; datetime="Tue, 01 Jan 2019 00:00:00 GMT"',
                f'<{self.base}/20190101000000/http://other.test/>; rel="memento"; '
                'datetime="Tue, 01 Jan 2019 00:00:00 GMT"',
                f'<{self.base}/20190101000000/{original}>; rel="memento"; datetime="yesterday"',
            ]
            await reply.send(200, ",\n".join(entries), content_type="application/link-format")
            return True
        return False

    async def _timemap_link(self, request: Request, reply: Reply) -> None:
        original = request.target.removeprefix("/timemap/link/")
        if await self._misbehave(reply, original):
            return
        entries = self.link_entries(original)
        if not entries:
            await reply.send(404, _html("Not in the archive"))
            return
        head = [
            f'<{original}>; rel="original"',
            f'<{self.base}/timegate/{original}>; rel="timegate"',
        ]
        body = ",\n".join(head + entries) + "\n"
        await reply.send(200, body, content_type="application/link-format")

    async def _timemap_json(self, request: Request, reply: Reply) -> None:
        original = request.target.removeprefix("/timemap/json/")
        if await self._misbehave(reply, original):
            return
        listed = [
            {"datetime": _ts_datetime(m.timestamp).strftime("%Y-%m-%dT%H:%M:%SZ"),
             "uri": self.memento_url(m)}
            for m in self.mementos(original)
        ]  # fmt: skip
        if not listed:
            await reply.send(404, _html("Not in the archive"))
            return
        answer = {"original_uri": original, "mementos": {"list": listed}}
        await reply.send(200, json.dumps(answer), content_type="application/json")

    async def _timegate(self, request: Request, reply: Reply) -> None:
        original = request.target.removeprefix("/timegate/")
        if await self._misbehave(reply, original):
            return
        mementos = self.mementos(original)
        if not mementos:
            await reply.send(404, _html("Not in the archive"))
            return
        wanted = parsedate_to_datetime(request.headers.get("accept-datetime", "")).astimezone(UTC)
        closest = min(mementos, key=lambda m: abs(_ts_datetime(m.timestamp) - wanted))
        links = ", ".join(self.link_entries(original))
        await reply.send(
            302,
            b"",
            {"Location": self.memento_url(closest), "Link": links, "Vary": "accept-datetime"},
        )

    async def _login(self, request: Request, reply: Reply) -> None:
        await reply.send(200, _html("Sign in"))

    async def _replay_memento(self, request: Request, reply: Reply) -> None:
        timestamp, _, original = request.target.lstrip("/").partition("/")
        match = next((m for m in self.mementos(original) if m.timestamp == timestamp), None)
        if match is None:
            await reply.send(404, _html("Not in the archive"))
            return
        if match.to_login:
            await reply.send(302, b"", {"Location": "/account/login?next=replay"})
            return
        headers = {"Memento-Datetime": format_datetime(_ts_datetime(timestamp), usegmt=True)}
        await reply.send(match.status, _html(f"Archived {original}"), headers)


class FakeAggregator(FakeWeb):
    """A MemGator on 127.0.0.1: ``/timemap/link/URL`` lists the mementos of every
    archive in ``archives`` (404 when none holds the page)."""

    def __init__(self, archives: list[FakeMementoArchive]) -> None:
        self.archives = archives
        super().__init__()

    def _install_builtins(self) -> None:
        self.route("/timemap/link/*", self._timemap)

    @property
    def base(self) -> str:
        return self.url("").rstrip("/")

    async def _timemap(self, request: Request, reply: Reply) -> None:
        original = request.target.removeprefix("/timemap/link/")
        entries = [entry for archive in self.archives for entry in archive.link_entries(original)]
        if not entries:
            await reply.send(404, b"")
            return
        await reply.send(200, ",\n".join(entries), content_type="application/link-format")


# --- issue 15: page citations ------------------------------------------------------------
#
# Reports cited by page are PDFs served as application/pdf, whole, with a
# Content-Length, as a WordPress uploads folder serves them (edri.org's
# /wp-content/uploads/… answers 200 application/pdf without compression). The
# stand-in for EDRi's RISE report ("The rise and rise of biometric mass surveillance
# in the EU", 2021) is not the report: it has its shape (a cover and a contents page
# before page 1, so that printed page p is PDF page p + 2, and page labels saying
# so) and, on the pages the seed cites, passages about what the seed's claims say.
# Its pages are written by tests/pdfs.py with reportlab.

#: Where the seed cites the RISE report (on edri.org; the tests serve it from FakeWeb).
RISE_PATH = "/wp-content/uploads/2021/07/EDRI_RISE_REPORT.pdf"
#: Printed page → the passage on it, after what the seed's claims cite them for.
RISE_PASSAGES = {
    67: "The Dutch CATCH system holds a pseudo-criminal database with the facial images of"
    " 180,000 people falsely included, and the foreign nationals database holds 7 million"
    " people whose biometric data is used for facial recognition solely because they are"
    " foreign.",
    88: "Three Dutch cities have been turned into Living Labs where biometric monitoring in"
    " public space is combined with monitoring of social media interactions to build"
    " profiles used for decisions about residents.",
    92: "In the Stratumseind Living Lab in the Netherlands, smart devices spray the scent of"
    " oranges at people the algorithm predicts are aggressive; being followed by the smell"
    " is not all: the system can trigger the deployment of an emergency police vehicle"
    " responding to a predicted violent incident.",
    118: "In Poland, children as young as 12 must submit biometric fingerprints for identity"
    " documents, a permanent record held by the government.",
    119: "The Polish biometric records of children create a potential for mass surveillance.",
}
RISE_PAGES = 140
RISE_FRONT_MATTER = 2


def rise_report(*, inserted_before: int | None = None, removed: int | None = None) -> bytes:
    """The stand-in RISE report; a new edition with two pages inserted before printed
    page ``inserted_before``, or with the passage of printed page ``removed`` cut."""
    from pdfs import filler_page, make_pdf  # reportlab, only for the tests that serve PDFs

    pages = [
        "The rise and rise of biometric mass surveillance in the EU",
        "Contents",
    ]
    for printed in range(1, RISE_PAGES - RISE_FRONT_MATTER + 1):
        if printed == inserted_before:
            pages += [filler_page(10_000), filler_page(10_001)]
        passage = RISE_PASSAGES.get(printed)
        if passage is None or printed == removed:
            pages.append(filler_page(printed))
        else:
            pages.append(passage + "\n" + filler_page(printed, words=60))
    return make_pdf(pages, printed_from=1, front_matter=RISE_FRONT_MATTER, labels=True,
                    title="The rise and rise of biometric mass surveillance in the EU")  # fmt: skip


def serve_pdf(web: FakeWeb, path: str, pdf: bytes, *, host: str | None = None) -> None:
    """``pdf`` at ``path``, as a web server sends a report (call again for a new edition)."""
    web.page(path, body=pdf, headers={"Content-Type": "application/pdf"}, host=host)


# Archived copies of cited PDFs (issue 15, the archived copy's pages). The Wayback
# Machine serves a capture's own bytes, with its original media type, at
# ``/web/<ts>id_/<url>`` (the "id_" modifier, "unaltered versions": what
# edgi-govdata-archiving/web-monitoring-ui asks for, its issue #1069), while
# ``/web/<ts>/<url>`` of a PDF is the replay page a reader gets: HTML with the
# archive's toolbar around an iframe of ``/web/<ts>if_/<url>``.


def archive_pdf(wayback: FakeWayback, original: str, timestamp: str, pdf: bytes) -> None:
    """A capture of the PDF ``pdf`` at ``original``, listed in the index and replayed
    as the Wayback Machine replays one (raw at its ``id_`` URL)."""
    wayback.add_capture(original, timestamp, mimetype="application/pdf")

    async def raw(request: Request, reply: Reply) -> None:
        await reply.send(200, pdf, content_type="application/pdf")

    async def replay(request: Request, reply: Reply) -> None:
        frame = f'<div id="wm-toolbar">Wayback</div><iframe src="/web/{timestamp}if_/{original}">'
        await reply.send(200, _html("Wayback Machine", frame + "</iframe>"))

    wayback.route(f"/web/{timestamp}id_/{original}", raw)
    wayback.route(f"/web/{timestamp}/{original}", replay)
