"""HTTP/1.1 for one origin, written for the one thing a check does: send a request,
read a response head, stream a body, keep the connection if the exchange allows it.

Why not httpcore's pool and h11: per request they cost about 0.8 ms of CPU (state
machines, event objects, a pool scan, tracing hooks), a fifth of a check's CPU
(py-spy, BENCHMARKS.md, issue 11); this does the same exchange for a fraction of
that. :meth:`OriginPool.exchange` takes what the wire needs (the origin, the bytes
of the request head, the timeouts) and gives the response head and a body reader;
transport.py puts httpx's request and response around it for httpx's clients, and a
fetch calls it directly (exchange.py). It raises the fetch layer's exceptions
(errors.py, named after httpx's, which transport.py turns into httpx's for its
clients), so errors are mapped in one place (reasons.py), and neither httpx nor
httpcore is imported (issue 11: with trio installed, httpcore
imports it, a fifth of a check's start-up).

What it implements of RFC 9112: the status line and header fields (obsolete line
folding joined, CRLF or bare LF line ends), 1xx interim responses skipped, a body
framed by Transfer-Encoding chunked, by Content-Length, or by the connection's close
(RFC 9112 §6.3), nothing for 204, 304 and HEAD. A connection is reused only after
its response was read to the end of a framed body, when neither side said
``Connection: close``; an idle one is dropped once older than ``keepalive_expiry``
or when the server has closed it. A GET whose reused connection turns out to be
closed before any byte of the answer is sent again once on a new connection (the
server dropped an idle connection; browsers do the same). The bytes of a request
head and the framing rules are in framing.py.
"""

from __future__ import annotations

import asyncio
import time
import typing
from collections.abc import AsyncIterator, Callable

from . import errors
from .connections import AsyncioStream, Backend
from .framing import Head, body_framing
from .slots import Slots

if typing.TYPE_CHECKING:
    import ssl

#: The most bytes a response head (status line and fields) may have: httpcore's limit.
MAX_HEAD_BYTES = 100 * 1024
#: Heads up to this size are read at once, not line by line (below the stream's
#: limit, so that no line in them is too long for a read of one line).
_HEAD_BLOCK_BYTES = 32 * 1024
#: The most bytes read from the socket at once while streaming a body.
_READ_SIZE = 64 * 1024
_IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS"})
#: The schemes an origin may have.
SCHEMES = frozenset({"http", "https"})
_HEX_DIGITS = frozenset(b"0123456789abcdefABCDEF")


class _Closed(Exception):
    """The server closed the connection (or reset it: ``reset``) before answering at all."""

    def __init__(self, reset: OSError | None = None) -> None:
        super().__init__()
        self.reset = reset


class Origin(typing.NamedTuple):
    """Where an exchange goes: the key of its pool (pools.py)."""

    scheme: str
    #: The host as sent (IDNA-encoded, an IPv6 address without brackets).
    host: str
    #: The port, the scheme's default when the URL has none.
    port: int


class Timeouts(typing.NamedTuple):
    """An exchange's timeouts in seconds (None: none; its caller bounds the wait)."""

    connect: float | None = None
    read: float | None = None
    write: float | None = None
    pool: float | None = None


class Connection:
    """One TCP (or TLS) connection to the origin, one exchange at a time."""

    __slots__ = ("stream", "_reader", "_writer", "idle_since")

    def __init__(self, stream: AsyncioStream) -> None:
        self.stream = stream
        self._reader = stream.reader
        self._writer = stream.writer
        self.idle_since = 0.0

    def is_usable(self, now: float, expiry: float) -> bool:
        """Idle, not expired, and not closed or written to by the server meanwhile."""
        return now - self.idle_since < expiry and self.stream.is_quiet()

    async def send(self, head: bytes, body: bytes, timeout: float | None) -> None:
        try:
            writer = self._writer
            writer.write(head + body if body else head)
            if not writer.transport.get_write_buffer_size():
                # All of it went to the socket at once (as a request mostly does):
                # drain() has nothing to wait for, so no timer is set to bound it.
                await writer.drain()
                return
            async with asyncio.timeout(timeout):
                await writer.drain()
        except TimeoutError as exc:
            raise errors.WriteTimeout("the request could not be sent in time") from exc
        except (OSError, RuntimeError) as exc:
            raise errors.WriteError(str(exc) or type(exc).__name__) from exc

    async def read_head(self, timeout: float | None) -> Head:
        """The next final response head (interim 1xx ones are skipped)."""
        try:
            if timeout is None:  # the caller bounds the wait (a fetch's deadline)
                return await self._final_head()
            async with asyncio.timeout(timeout):
                return await self._final_head()
        except TimeoutError as exc:
            raise errors.ReadTimeout("no response in time") from exc
        except (OSError, RuntimeError) as exc:
            raise errors.ReadError(str(exc) or type(exc).__name__) from exc

    async def _final_head(self) -> Head:
        while True:
            head = await self._read_one_head()
            if head.status >= 200:
                return head
            if head.status == 101:
                raise errors.RemoteProtocolError("the server switched protocols")

    async def _line(self, budget: int) -> bytes:
        try:
            line = await self._reader.readuntil(b"\n")
        except asyncio.IncompleteReadError as exc:
            if exc.partial:
                raise errors.RemoteProtocolError(
                    "the server closed the connection within a response head"
                ) from None
            raise _Closed from None
        except asyncio.LimitOverrunError:
            raise errors.RemoteProtocolError("a response head line is too long") from None
        if len(line) > budget:
            raise errors.RemoteProtocolError("the response head is too long")
        return line[:-2] if line.endswith(b"\r\n") else line[:-1]

    async def _buffered_lines(self) -> list[bytes] | None:
        """The rest of a head (its field lines, up to the empty line) when all of it
        is received already, as lines with their LF: one read instead of one per
        line (a real site sends ten to twenty fields). None when it is not all here."""
        buffer = self._reader._buffer  # noqa: SLF001
        if buffer[:1] == b"\n":
            end = 1
        elif buffer[:2] == b"\r\n":
            end = 2
        else:
            bare, crlf = buffer.find(b"\n\n"), buffer.find(b"\n\r\n")
            if bare < 0 and crlf < 0:
                return None
            end = bare + 2 if crlf < 0 or 0 <= bare < crlf else crlf + 3
        if end > _HEAD_BLOCK_BYTES:
            return None  # no line can be longer than the reader's limit
        block = await self._reader.readexactly(end)  # received: does not wait
        lines = block.split(b"\n")
        lines.pop()  # what follows the last LF: nothing
        return lines

    async def _read_one_head(self) -> Head:
        budget = MAX_HEAD_BYTES
        try:
            status_line = await self._line(budget)
        except ConnectionResetError as exc:
            raise _Closed(exc) from None
        budget -= len(status_line) + 2
        version, _, rest = status_line.partition(b" ")
        code, _, reason = rest.partition(b" ")
        if not version.startswith(b"HTTP/1.") or len(code) != 3 or not code.isdigit():
            raise errors.RemoteProtocolError(f"not an HTTP/1 status line: {status_line[:80]!r}")
        headers: list[tuple[bytes, bytes]] = []
        received = await self._buffered_lines()
        index = 0
        while True:
            if received is not None:  # as _line would have read it
                line = received[index]
                index += 1
                if len(line) >= budget:
                    raise errors.RemoteProtocolError("the response head is too long")
                if line.endswith(b"\r"):
                    line = line[:-1]
            else:
                try:
                    line = await self._line(budget)
                except _Closed:
                    raise errors.RemoteProtocolError(
                        "the server closed the connection within a response head"
                    ) from None
            budget -= len(line) + 2
            if not line:
                break
            if line[0] in b" \t":  # obsolete line folding (RFC 9112 §5.2)
                if not headers:
                    raise errors.RemoteProtocolError("a response head starts with a fold")
                name, value = headers[-1]
                headers[-1] = (name, value + b" " + line.strip(b" \t"))
                continue
            name, colon, value = line.partition(b":")
            if not colon or not name or name != name.strip() or b" " in name:
                raise errors.RemoteProtocolError(f"not a header field: {line[:80]!r}")
            headers.append((name, value.strip(b" \t")))
        return Head(int(code), reason, version, headers)

    def _buffered(self) -> int:
        """Bytes already received and not yet read: a read of at most these does
        not wait, so it needs no timer (nor does a read whose caller bounds it,
        ``timeout`` None)."""
        return len(self._reader._buffer)  # noqa: SLF001

    async def read_exactly(self, size: int, timeout: float | None) -> bytes:
        try:
            if timeout is None or self._buffered() >= size:
                return await self._reader.readexactly(size)
            async with asyncio.timeout(timeout):
                return await self._reader.readexactly(size)
        except asyncio.IncompleteReadError:
            raise errors.RemoteProtocolError(
                "the server closed the connection before the end of the body"
            ) from None
        except TimeoutError as exc:
            raise errors.ReadTimeout("the body did not come in time") from exc
        except (OSError, RuntimeError) as exc:
            raise errors.ReadError(str(exc) or type(exc).__name__) from exc

    async def read_some(self, size: int, timeout: float | None) -> bytes:
        try:
            if timeout is None or self._buffered():
                return await self._reader.read(size)
            async with asyncio.timeout(timeout):
                return await self._reader.read(size)
        except TimeoutError as exc:
            raise errors.ReadTimeout("the body did not come in time") from exc
        except (OSError, RuntimeError) as exc:
            raise errors.ReadError(str(exc) or type(exc).__name__) from exc

    async def read_line(self, timeout: float | None) -> bytes:
        try:
            if timeout is None:
                return await self._line(MAX_HEAD_BYTES)
            async with asyncio.timeout(timeout):
                return await self._line(MAX_HEAD_BYTES)
        except _Closed:
            raise errors.RemoteProtocolError(
                "the server closed the connection before the end of the body"
            ) from None
        except TimeoutError as exc:
            raise errors.ReadTimeout("the body did not come in time") from exc
        except (OSError, RuntimeError) as exc:
            raise errors.ReadError(str(exc) or type(exc).__name__) from exc

    async def aclose(self) -> None:
        await self.stream.aclose()


class Body:
    """A response body, iterated then closed (transport.py wraps it as an httpx
    stream). Closing after the whole framed body was read gives the connection
    back to its pool; closing it before closes the connection."""

    def __init__(
        self,
        pool: OriginPool,
        connection: Connection,
        framing: str,
        length: int,
        keep: bool,
        timeout: float | None,
    ) -> None:
        self._pool = pool
        self._connection: Connection | None = connection
        self._framing = framing
        self._left = length
        self._keep = keep
        self._timeout = timeout
        self._done = framing == "none" or (framing == "length" and length == 0)

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self._chunks()

    async def _chunks(self) -> AsyncIterator[bytes]:
        connection = self._connection
        if connection is None or self._done:
            return
        try:
            if self._framing == "length":
                while self._left:
                    data = await connection.read_some(min(self._left, _READ_SIZE), self._timeout)
                    if not data:
                        raise errors.RemoteProtocolError(
                            "the server closed the connection before the end of the body"
                        )
                    self._left -= len(data)
                    yield data
            elif self._framing == "chunked":
                async for data in self._chunked(connection):
                    yield data
            else:
                while data := await connection.read_some(_READ_SIZE, self._timeout):
                    yield data
            self._done = True
        except BaseException:
            self._keep = False
            raise

    async def _chunked(self, connection: Connection) -> AsyncIterator[bytes]:
        while True:
            line = await connection.read_line(self._timeout)
            size_text = line.split(b";", 1)[0].strip(b" \t")
            if not size_text or not set(size_text) <= _HEX_DIGITS:
                raise errors.RemoteProtocolError(f"not a chunk size: {line[:40]!r}")
            size = int(size_text, 16)
            if size == 0:
                while await connection.read_line(self._timeout):  # trailer fields
                    pass
                return
            while size:
                data = await connection.read_some(min(size, _READ_SIZE), self._timeout)
                if not data:
                    raise errors.RemoteProtocolError(
                        "the server closed the connection before the end of the body"
                    )
                size -= len(data)
                yield data
            if await connection.read_line(self._timeout):
                raise errors.RemoteProtocolError("a chunk is longer than its size")

    @property
    def network_stream(self) -> AsyncioStream | None:
        """The connection's stream, until the body is closed."""
        return None if self._connection is None else self._connection.stream

    def close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is None:
            return
        self._pool.finish(connection, reusable=self._done and self._keep)

    async def aclose(self) -> None:
        self.close()


class OriginPool:
    """The connections to one origin: at most ``max_connections`` at once, up to
    ``max_keepalive`` of them kept idle for ``keepalive_expiry`` seconds.
    ``ssl_context`` gives the context for https (asked for each TLS connection)."""

    def __init__(
        self,
        *,
        backend: Backend,
        ssl_context: Callable[[], ssl.SSLContext],
        max_connections: int,
        max_keepalive: int,
        keepalive_expiry: float,
    ) -> None:
        self._backend = backend
        self._ssl_context = ssl_context
        self._slots = Slots(max_connections)
        self._max_keepalive = max_keepalive
        self._expiry = keepalive_expiry
        self._idle: list[Connection] = []
        self._open: set[Connection] = set()

    def is_busy(self) -> bool:
        """True while any connection is in an exchange."""
        return len(self._open) > len(self._idle)

    async def exchange(
        self,
        origin: Origin,
        head: bytes,
        body: bytes = b"",
        *,
        timeouts: Timeouts,
        method: str = "GET",
        closes: bool = False,
        sni: str | None = None,
        on_sent: Callable[[], None] | None = None,
    ) -> tuple[Head, Body]:
        """Send ``head`` and ``body`` (``method``'s, the request head's bytes; its
        fields say Connection: close if ``closes``) and read the final response head;
        the body is read from the :class:`Body` given with it, which must be closed.
        ``on_sent`` is called once the request is written, before its answer is read."""
        if origin.scheme not in SCHEMES:
            raise errors.UnsupportedProtocol(f"unsupported scheme {origin.scheme!r}")
        if not self._slots.try_take():  # a free slot is taken at once: no wait to bound
            try:
                async with asyncio.timeout(timeouts.pool):
                    await self._slots.take()
            except TimeoutError as exc:
                raise errors.PoolTimeout("no connection was free in time") from exc
        # The slot is given back when the response's body is closed (finish()).
        try:
            connection = self._idle_connection()
            if connection is not None and method in _IDEMPOTENT:
                try:
                    return await self._exchange(
                        connection, head, body, timeouts, method, closes, on_sent
                    )
                except _Closed:
                    pass  # dropped while idle: once more, on a new connection
            elif connection is not None:
                self._idle.append(connection)
            connection = await self._connect(origin, timeouts.connect, sni)
            try:
                return await self._exchange(
                    connection, head, body, timeouts, method, closes, on_sent
                )
            except _Closed as closed:
                if closed.reset is not None:
                    raise errors.ReadError(str(closed.reset) or "connection reset") from None
                raise errors.RemoteProtocolError(
                    "the server closed the connection without sending a response"
                ) from None
        except BaseException:
            self._slots.release()
            raise

    def _idle_connection(self) -> Connection | None:
        now = time.monotonic()
        while self._idle:
            connection = self._idle.pop()
            if connection.is_usable(now, self._expiry):
                return connection
            self._drop(connection)
        return None

    async def _connect(self, origin: Origin, timeout: float | None, sni: str | None) -> Connection:
        host = origin.host
        stream = await self._backend.connect_tcp(host, origin.port, timeout=timeout)
        try:
            if origin.scheme == "https":
                context = self._ssl_context()
                context.set_alpn_protocols(["http/1.1"])
                stream = await stream.start_tls(
                    context, server_hostname=sni or host, timeout=timeout
                )
        except BaseException:
            await stream.aclose()
            raise
        if not isinstance(stream, AsyncioStream):
            await stream.aclose()
            raise errors.ConnectError("the network backend gave a stream of another kind")
        connection = Connection(stream)
        self._open.add(connection)
        return connection

    async def _exchange(
        self,
        connection: Connection,
        head: bytes,
        body: bytes,
        timeouts: Timeouts,
        method: str,
        closes: bool,
        on_sent: Callable[[], None] | None,
    ) -> tuple[Head, Body]:
        try:
            await connection.send(head, body, timeouts.write)
            if on_sent is not None:
                on_sent()
            answer = await connection.read_head(timeouts.read)
            framing, length, keep = body_framing(answer, method, closes)
        except BaseException:
            self._drop(connection)
            raise
        return answer, Body(self, connection, framing, length, keep, timeouts.read)

    def finish(self, connection: Connection, *, reusable: bool) -> None:
        """An exchange ended (its body closed): keep the connection if it is fit for
        another exchange and there is room, and free the exchange's slot."""
        self._slots.release()
        if not reusable or len(self._idle) >= self._max_keepalive:
            self._drop(connection)
            return
        connection.idle_since = time.monotonic()
        self._idle.append(connection)

    def _drop(self, connection: Connection) -> None:
        self._open.discard(connection)
        connection.stream.abort()

    async def aclose(self) -> None:
        connections, self._idle = list(self._open), []
        self._open.clear()
        for connection in connections:
            await connection.aclose()


__all__ = ["MAX_HEAD_BYTES", "SCHEMES", "Body", "Origin", "OriginPool", "Timeouts"]
