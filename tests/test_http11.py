"""fetch/http11.py: HTTP/1.1 framing and connection reuse, against a raw loopback
server that writes exactly the bytes each test gives it (the shapes real servers
send: chunked with extensions and trailers, interim 103s, folded fields, bare LF
line ends, bodies ended by the close) and counts the connections it accepted."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import httpx
import pytest

from citecheck.config import Settings
from citecheck.fetch.http11 import MAX_HEAD_BYTES
from citecheck.fetch.transport import policy_transport

#: request head -> bytes to send (None: close; a tuple: parts sent apart, as packets)
Answer = Callable[[bytes], bytes | tuple[bytes, ...] | None]


class RawServer:
    def __init__(self, answer: Answer, *, close_after: bool = False) -> None:
        self.answer = answer
        self.close_after = close_after
        self.connections = 0
        self.requests: list[bytes] = []
        self.writers: list[asyncio.StreamWriter] = []

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self.writers.append(writer)
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, ConnectionError):
                    return
                self.requests.append(head)
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":", 1)[1])
                if length:
                    self.requests.append(await reader.readexactly(length))
                data = self.answer(head)
                if data is None:
                    return
                for part in (data,) if isinstance(data, bytes) else data:
                    writer.write(part)
                    await writer.drain()
                    if not isinstance(data, bytes):
                        await asyncio.sleep(0.02)
                if self.close_after:
                    return
        finally:
            writer.close()


@pytest.fixture
async def serve() -> AsyncIterator[Callable[..., asyncio.Future]]:
    servers: list[asyncio.Server] = []

    async def start(answer: Answer, **kw: bool) -> tuple[RawServer, str]:
        raw = RawServer(answer, **kw)
        server = await asyncio.start_server(raw._serve, "127.0.0.1", 0)
        servers.append(server)
        port = server.sockets[0].getsockname()[1]
        return raw, f"http://127.0.0.1:{port}"

    yield start  # type: ignore[misc]
    for server in servers:
        server.close()


def _client() -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=policy_transport(Settings()), timeout=5.0)


def _fixed(data: bytes) -> Answer:
    return lambda head: data


async def test_a_content_length_body_is_read_and_the_connection_reused(serve) -> None:
    raw, base = await serve(_fixed(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"))
    async with _client() as client:
        for _ in range(3):
            response = await client.get(base + "/a")
            assert (response.status_code, response.content) == (200, b"hello")
            assert response.reason_phrase == "OK"
            assert response.http_version == "HTTP/1.1"
    assert raw.connections == 1
    assert raw.requests[0].startswith(b"GET /a HTTP/1.1\r\n")
    assert b"\r\nHost: 127.0.0.1:" in raw.requests[0]


async def test_a_chunked_body_with_extensions_and_trailers(serve) -> None:
    data = (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"4;name=value\r\nWiki\r\n6\r\npedia \r\nE\r\nin \r\n\r\nchunks.\r\n"
        b"0\r\nExpires: never\r\n\r\n"
    )
    raw, base = await serve(_fixed(data))
    async with _client() as client:
        for _ in range(2):
            response = await client.get(base)
            assert response.content == b"Wikipedia in \r\n\r\nchunks."
    assert raw.connections == 1


async def test_a_body_ended_by_the_close_is_read_whole_and_not_reused(serve) -> None:
    raw, base = await serve(_fixed(b"HTTP/1.1 200 OK\r\n\r\nto the end"), close_after=True)
    async with _client() as client:
        assert (await client.get(base)).content == b"to the end"
        assert (await client.get(base)).content == b"to the end"
    assert raw.connections == 2


async def test_interim_answers_are_skipped(serve) -> None:
    data = (
        b"HTTP/1.1 100 Continue\r\n\r\n"
        b"HTTP/1.1 103 Early Hints\r\nLink: </s.css>; rel=preload\r\n\r\n"
        b"HTTP/1.1 404 Not Found\r\nContent-Length: 2\r\n\r\nno"
    )
    _, base = await serve(_fixed(data))
    async with _client() as client:
        response = await client.get(base)
    assert (response.status_code, response.content) == (404, b"no")
    assert "link" not in response.headers


async def test_folded_fields_bare_lf_and_repeated_fields(serve) -> None:
    data = (
        b"HTTP/1.0 301 Moved\nLocation: /elsewhere\nX-Long: one\n\t two\n"
        b"Set-Cookie: a=1\nSet-Cookie: b=2\nContent-Length: 0\n\n"
    )
    raw, base = await serve(_fixed(data))
    async with _client() as client:
        for _ in range(2):
            response = await client.get(base)
            assert response.status_code == 301
            assert response.headers["location"] == "/elsewhere"
            assert response.headers["x-long"] == "one two"
            assert response.headers.get_list("set-cookie") == ["a=1", "b=2"]
    assert raw.connections == 2  # an HTTP/1.0 answer: the connection is not kept


@pytest.mark.parametrize(
    "parts",
    [
        # Received at once: the fields are taken in one read.
        (b"HTTP/1.1 200 OK\r\nA: 1\nB:  2 \r\nC: 3\r\r\n\nok",),
        (b"HTTP/1.1 200 OK\nA: 1\r\nB:  2 \nC: 3\r\r\n\r\nok",),
        # Received in pieces: line by line, as they come.
        (b"HTTP/1.1 200 OK\r\nA: 1\r\n", b"B:  2 \r\nC: 3\r\r\n", b"\r\nok"),
        (b"HTTP/1.1 200 OK\r\nA: 1\r\nB:  2 \r", b"\nC: 3\r\r\n\r", b"\nok"),
        (b"HTTP/1.1 200 OK\r\n", b"A: 1\r\nB:  2 \r\nC: 3\r\r\n\r\nok"),
    ],
)
async def test_a_head_reads_the_same_however_it_arrives(serve, parts: tuple[bytes, ...]) -> None:
    length = b"Content-Length: 2\r\n"
    first, *rest = parts
    status, _, fields = first.partition(b"\n")
    answer = (status + b"\n" + length + fields, *rest)
    _, base = await serve(_fixed(answer))  # type: ignore[arg-type]
    async with _client() as client:
        for _ in range(2):
            response = await client.get(base)
            assert (response.status_code, response.content) == (200, b"ok")
            assert response.headers.multi_items() == [
                ("content-length", "2"),
                ("a", "1"),
                ("b", "2"),
                ("c", "3\r"),
            ]


async def test_a_head_too_big_for_one_read_is_read_line_by_line(serve) -> None:
    fields = b"".join(b"X-F%d: %s\r\n" % (n, b"v" * 1000) for n in range(60))
    _, base = await serve(_fixed(b"HTTP/1.1 200 OK\r\n" + fields + b"Content-Length: 2\r\n\r\nok"))
    async with _client() as client:
        response = await client.get(base)
    assert response.content == b"ok"
    assert response.headers["x-f59"] == "v" * 1000


async def test_no_body_for_204_and_304_and_the_connection_is_kept(serve) -> None:
    answers = iter(
        [
            b"HTTP/1.1 204 No Content\r\nContent-Length: 10\r\n\r\n",
            b"HTTP/1.1 304 Not Modified\r\nETag: x\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
        ]
    )
    raw, base = await serve(lambda head: next(answers))
    async with _client() as client:
        assert (await client.get(base)).content == b""
        assert (await client.get(base)).content == b""
        assert (await client.get(base)).content == b"ok"
    assert raw.connections == 1


async def test_connection_close_is_honoured(serve) -> None:
    raw, base = await serve(
        _fixed(b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok")
    )
    async with _client() as client:
        await client.get(base)
        await client.get(base)
    assert raw.connections == 2


async def test_an_idle_connection_the_server_dropped_is_replaced(serve) -> None:
    raw, base = await serve(_fixed(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"))
    async with _client() as client:
        await client.get(base)
        raw.writers[0].close()  # the server's keep-alive timeout
        await asyncio.sleep(0.05)
        assert (await client.get(base)).content == b"ok"
    assert raw.connections == 2


async def test_a_connection_dropped_as_the_request_is_sent_is_retried_once(serve) -> None:
    answers = iter([b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", None])

    def answer(head: bytes) -> bytes | None:
        return next(answers, b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nnew")

    raw, base = await serve(answer)
    async with _client() as client:
        await client.get(base)
        # The kept connection is closed by the server on the next request, unanswered.
        assert (await client.get(base)).content == b"new"
    assert raw.connections == 2


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", "end of the body"),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok", "one number"),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "chunk size"),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0x2\r\nok\r\n", "chunk size"),
        (b"SSH-2.0-OpenSSH_9.6\r\n\r\n", "status line"),
        (b"HTTP/1.1 200 OK\r\nBad Field: x\r\n\r\n", "header field"),
        (b"HTTP/1.1 200 OK\r\nX: " + b"a" * MAX_HEAD_BYTES + b"\r\n\r\n", "too long"),
        (b"", "without sending a response"),
        (b"HTTP/1.1 200 OK\r\nConte", "within a response head"),
    ],
)
async def test_malformed_answers_are_protocol_errors(serve, data: bytes, message: str) -> None:
    _, base = await serve(_fixed(data), close_after=True)
    async with _client() as client:
        with pytest.raises(httpx.RemoteProtocolError, match=message):
            response = await client.get(base)
            await response.aread()


async def test_a_request_body_is_sent_with_its_length(serve) -> None:
    raw, base = await serve(_fixed(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"))
    async with _client() as client:
        await client.post(base + "/save", data={"url": "https://example.org/"})
    assert raw.requests[0].startswith(b"POST /save HTTP/1.1\r\n")
    body = b"url=https%3A%2F%2Fexample.org%2F"
    assert b"Content-Length: %d\r\n" % len(body) in raw.requests[0]
    assert raw.requests[1] == body


async def test_a_slow_answer_is_a_read_timeout(serve) -> None:
    _, base = await serve(lambda head: b"")  # answers nothing and keeps the connection
    async with httpx.AsyncClient(transport=policy_transport(Settings()), timeout=0.2) as client:
        with pytest.raises(httpx.ReadTimeout):
            await client.get(base)


async def test_a_body_left_unread_closes_its_connection(serve) -> None:
    raw, base = await serve(
        _fixed(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n" + b"x" * 100000)
    )
    async with _client() as client:
        async with client.stream("GET", base) as response:
            async for _ in response.aiter_raw():
                break
        assert (await client.get(base)).content == b"x" * 100000
    assert raw.connections == 2
