"""http11.py over real sockets, the way networks cut and hold bytes: a body that
comes faster than it is read (reading from the socket pauses, so the server is held
back and memory stays bounded), a head split into many tiny packets, a connection
that ends within a head or a body (closed or reset), and bytes that come while
nobody reads."""

from __future__ import annotations

import asyncio
import socket
import struct
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from citecheck.fetch import errors
from citecheck.fetch.connections import AsyncioBackend
from citecheck.fetch.http11 import Body, Origin, OriginPool, Timeouts

_TIMEOUTS = Timeouts(connect=5.0, read=5.0, write=5.0, pool=5.0)
_REQUEST = b"GET / HTTP/1.1\r\nHost: test\r\n\r\n"

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


@pytest.fixture
async def serve() -> AsyncIterator[Callable[[Handler], Awaitable[tuple[Origin, list[int]]]]]:
    servers: list[asyncio.Server] = []

    async def start(handler: Handler) -> tuple[Origin, list[int]]:
        accepted: list[int] = []

        async def on_connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
            accepted.append(1)
            writer.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            try:
                await handler(reader, writer)
            except (ConnectionError, asyncio.IncompleteReadError):
                pass
            finally:
                writer.close()

        server = await asyncio.start_server(on_connection, "127.0.0.1", 0)
        servers.append(server)
        return Origin("http", "127.0.0.1", server.sockets[0].getsockname()[1]), accepted

    yield start
    for server in servers:
        server.close()


def _pool() -> OriginPool:
    return OriginPool(
        backend=AsyncioBackend(),
        ssl_context=lambda: pytest.fail("no TLS here"),
        max_connections=4,
        max_keepalive=4,
        keepalive_expiry=5.0,
    )


def _reset(writer: asyncio.StreamWriter) -> None:
    """Close with a reset (RST), not a FIN: SO_LINGER on, zero seconds."""
    sock = writer.get_extra_info("socket")
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


async def _read_all(body: Body) -> bytes:
    try:
        return b"".join([chunk async for chunk in body])
    finally:
        body.close()


async def test_a_body_faster_than_its_reader_holds_the_server_back(serve) -> None:
    size = 8 * 1024 * 1024
    sent: list[int] = []

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % size)
        block = bytes(range(256)) * 256  # 64 KiB
        for _ in range(size // len(block)):
            writer.write(block)
            await writer.drain()
            sent.append(len(block))

    origin, _ = await serve(handler)
    async with asyncio.timeout(30):
        head, body = await _pool().exchange(origin, _REQUEST, timeouts=_TIMEOUTS)
        assert head.status == 200
        chunks = aiter(body)
        received = len(await anext(chunks))
        await asyncio.sleep(0.3)  # nobody reads: the client stops reading the socket
        assert sum(sent) < size // 2  # so the sockets' buffers fill and the server waits
        async for chunk in chunks:
            assert len(chunk) <= 64 * 1024  # read in capped chunks
            received += len(chunk)
        body.close()
    assert received == size


async def test_a_head_in_many_tiny_packets_reads_as_one(serve) -> None:
    answer = (
        b"HTTP/1.1 301 Moved Permanently\r\nLocation: /there\r\n"
        b"X-Folded: one\r\n two\r\nContent-Length: 3\r\n\r\nbye"
    )

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            await reader.readuntil(b"\r\n\r\n")
            for index in range(len(answer)):
                writer.write(answer[index : index + 1])
                await writer.drain()
                await asyncio.sleep(0.001)

    origin, accepted = await serve(handler)
    pool = _pool()
    for _ in range(2):
        head, body = await pool.exchange(origin, _REQUEST, timeouts=_TIMEOUTS)
        assert (head.status, head.reason) == (301, b"Moved Permanently")
        assert head.headers == [
            (b"Location", b"/there"),
            (b"X-Folded", b"one two"),
            (b"Content-Length", b"3"),
        ]
        assert await _read_all(body) == b"bye"
    assert len(accepted) == 1  # kept for the second


@pytest.mark.parametrize(
    ("sent", "reset", "error", "message"),
    [
        (b"HTTP/1.1 200 OK\r\nContent-Le", False, errors.RemoteProtocolError, "within a response"),
        (b"HTTP/1.1 200 OK\r\nContent-Le", True, errors.ReadError, None),
        (b"HTTP/1.1 200", False, errors.RemoteProtocolError, "within a response head"),
    ],
)
async def test_a_connection_lost_within_the_head(serve, sent, reset, error, message) -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(sent)
        await writer.drain()
        await asyncio.sleep(0.05)
        if reset:
            _reset(writer)

    origin, _ = await serve(handler)
    with pytest.raises(error, match=message):
        await _pool().exchange(origin, _REQUEST, timeouts=_TIMEOUTS)


@pytest.mark.parametrize(
    ("framing", "reset", "error"),
    [
        (b"Content-Length: 100000", False, errors.RemoteProtocolError),
        (b"Content-Length: 100000", True, errors.ReadError),
        (b"Transfer-Encoding: chunked", False, errors.RemoteProtocolError),
        (b"Transfer-Encoding: chunked", True, errors.ReadError),
    ],
)
async def test_a_connection_lost_within_the_body(serve, framing, reset, error) -> None:
    part = b"186a0\r\n" + b"z" * 5000 if b"chunked" in framing else b"z" * 5000

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\n" + framing + b"\r\n\r\n" + part)
        await writer.drain()
        await asyncio.sleep(0.05)
        if reset:
            _reset(writer)

    origin, _ = await serve(handler)
    head, body = await _pool().exchange(origin, _REQUEST, timeouts=_TIMEOUTS)
    assert head.status == 200
    received = bytearray()
    with pytest.raises(error):
        try:
            async for chunk in body:
                received += chunk
        finally:
            body.close()
    assert received == b"z" * 5000 or reset  # a reset may come before what was sent


async def test_bytes_sent_unasked_to_an_idle_connection_retire_it(serve) -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            await reader.readuntil(b"\r\n\r\n")
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
            await writer.drain()
            await asyncio.sleep(0.02)
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nstale")

    origin, accepted = await serve(handler)
    pool = _pool()
    for _ in range(2):
        _, body = await pool.exchange(origin, _REQUEST, timeouts=_TIMEOUTS)
        assert await _read_all(body) == b"ok"
        await asyncio.sleep(0.1)  # the stray answer comes while nobody reads
    assert len(accepted) == 2  # never read as the answer to the next request


async def test_an_answer_received_before_it_is_read_is_read_whole(serve) -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            await reader.readuntil(b"\r\n\r\n")
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 70000\r\n\r\n" + b"w" * 70000)
            await writer.drain()

    origin, accepted = await serve(handler)
    pool = _pool()
    for _ in range(2):
        head, body = await pool.exchange(origin, _REQUEST, timeouts=_TIMEOUTS)
        await asyncio.sleep(0.1)  # all of it arrives meanwhile
        assert await _read_all(body) == b"w" * 70000
    assert len(accepted) == 1
