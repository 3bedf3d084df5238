"""The fake web itself: it must behave exactly as its docstring promises."""

from __future__ import annotations

import io
import socket
import struct
import threading
import time
import zlib

import httpx
import pytest
from pypdf import PdfReader
from servers import CHARSET_TITLES, FakeWeb, Reply, Request


def _get(web: FakeWeb, path: str, host: str | None = None, **kwargs) -> httpx.Response:
    headers = {"Host": host} if host else {}
    return httpx.get(web.url(path), headers=headers, timeout=5.0, **kwargs)


def test_starts_on_an_ephemeral_loopback_port_and_stops_quickly() -> None:
    web = FakeWeb().start()
    assert web.port > 0
    assert web.url("/ok", host="news.test") == f"http://news.test:{web.port}/ok"
    assert web.resolve_for("a.test", "b.test") == (("a.test", "127.0.0.1"), ("b.test", "127.0.0.1"))
    assert _get(web, "/ok").status_code == 200
    started = time.monotonic()
    web.stop()
    assert time.monotonic() - started < 2.0
    with pytest.raises(httpx.ConnectError):
        httpx.get(web.url("/ok"), timeout=1.0)


def test_stop_is_bounded_while_a_client_is_being_dripped() -> None:
    web = FakeWeb().start()
    with socket.create_connection((web.host, web.port), timeout=2.0) as sock:
        sock.sendall(b"GET /drip?bytes=1000&interval=1 HTTP/1.1\r\nHost: x\r\n\r\n")
        assert sock.recv(1024).startswith(b"HTTP/1.1 200")
        started = time.monotonic()
        web.stop()
        assert time.monotonic() - started < 2.0


def test_keep_alive_serves_several_requests_on_one_connection(fake_web: FakeWeb) -> None:
    with socket.create_connection((fake_web.host, fake_web.port), timeout=2.0) as sock:
        sock.sendall(
            b"GET /ok HTTP/1.1\r\nHost: a.test\r\n\r\n"
            b"GET /page/two HTTP/1.1\r\nHost: a.test\r\n\r\n"
        )
        received = b""
        deadline = time.monotonic() + 5.0
        while received.count(b"</html>") < 2 and time.monotonic() < deadline:
            chunk = sock.recv(65536)
            if not chunk:
                break
            received += chunk
    assert received.count(b"HTTP/1.1 200 OK") == 2
    assert b"<title>two</title>" in received
    assert fake_web.count(host="a.test") == 2


def test_builtin_routes_answer_as_documented(fake_web: FakeWeb) -> None:
    assert "<title>OK page</title>" in _get(fake_web, "/ok").text
    assert _get(fake_web, "/status/503").status_code == 503
    assert _get(fake_web, "/status/999").status_code == 999
    redirect = _get(fake_web, "/redirect/308?to=/page/x")
    assert (redirect.status_code, redirect.headers["location"]) == (308, "/page/x")
    assert _get(fake_web, "/chain/2").headers["location"] == "/chain/1"
    assert _get(fake_web, "/chain/1").headers["location"] == "/ok"
    assert _get(fake_web, "/loop/a").headers["location"] == "/loop/b"
    assert _get(fake_web, "/to-front").status_code == 301
    assert _get(fake_web, "/to-login").headers["location"] == "/login?next=%2Fto-login"
    challenge = _get(fake_web, "/challenge")
    assert challenge.status_code == 403
    assert challenge.headers["cf-mitigated"] == "challenge"
    assert challenge.headers["server"] == "cloudflare"
    assert "Just a moment..." in challenge.text
    assert _get(fake_web, "/no/such/page").status_code == 404
    assert "404" in _get(fake_web, "/articles/about-404-errors").text
    assert _get(fake_web, "/articles/about-404-errors").status_code == 200


def test_flaky_and_retry_after_count_per_key(fake_web: FakeWeb) -> None:
    codes = [_get(fake_web, "/flaky/k1?fail=2&code=502").status_code for _ in range(3)]
    assert codes == [502, 502, 200]
    assert _get(fake_web, "/flaky/k2?fail=1").status_code == 503
    first = _get(fake_web, "/retry-after?seconds=3&key=a")
    assert (first.status_code, first.headers["retry-after"]) == (429, "3")
    assert _get(fake_web, "/retry-after?seconds=3&key=a").status_code == 200
    assert _get(fake_web, "/retry-after?seconds=3&key=b").status_code == 429


def test_soft404_and_spa_hosts(fake_web: FakeWeb) -> None:
    missing = _get(fake_web, "/articles/nope-12345", host="soft404.test")
    assert missing.status_code == 200 and "Page not found" in missing.text
    real = _get(fake_web, "/articles/real-story", host="soft404.test")
    assert "river bridge" in real.text
    shell_a = _get(fake_web, "/x/1", host="spa.test")
    shell_b = _get(fake_web, "/y/2", host="spa.test")
    assert shell_a.status_code == shell_b.status_code == 200
    assert shell_a.content == shell_b.content
    assert "<title>App</title>" in shell_a.text
    assert "not found" not in shell_a.text.lower()
    assert _get(fake_web, "/articles/nope", host="other.test").status_code == 404


def test_routes_and_pages_can_be_added_changed_and_scoped_to_a_host(fake_web: FakeWeb) -> None:
    fake_web.page("/story", body="<title>Alive</title>")
    assert _get(fake_web, "/story").text == "<title>Alive</title>"
    fake_web.page("/story", status=410, body="gone")
    assert _get(fake_web, "/story").status_code == 410
    fake_web.page("/story", body="news only", host="news.test")
    assert _get(fake_web, "/story", host="news.test").text == "news only"
    assert _get(fake_web, "/story", host="other.test").status_code == 410

    async def streamed(request: Request, reply: Reply) -> None:
        await reply.start(200, {"Content-Type": "text/plain"}, content_length=None)
        for part in (b"one ", b"two ", request.query.get("last", "").encode()):
            await reply.write(part)

    fake_web.route("/stream/*", streamed)
    response = _get(fake_web, "/stream/anything?last=three")
    assert response.headers["transfer-encoding"] == "chunked"
    assert response.text == "one two three"


def test_a_failing_handler_answers_500_and_the_server_lives_on(fake_web: FakeWeb) -> None:
    async def broken(request: Request, reply: Reply) -> None:
        raise ValueError("bug in a test handler")

    fake_web.route("/broken", broken)
    assert _get(fake_web, "/broken").status_code == 500
    assert _get(fake_web, "/ok").status_code == 200


def test_measurements_and_clear_log(fake_web: FakeWeb) -> None:
    fake_web.latency_s = 0.2
    threads = [threading.Thread(target=_get, args=(fake_web, "/ok", "c.test")) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(5.0)
    assert fake_web.max_concurrency("c.test") == 3
    assert fake_web.max_concurrency() == 3
    assert fake_web.count("/ok", host="c.test") == 3
    entry = fake_web.requests[0]
    assert (entry.host, entry.method, entry.path) == ("c.test", "GET", "/ok")
    assert entry.finished_at is not None
    assert entry.finished_at - entry.started_at >= 0.2
    fake_web.clear_log()
    assert fake_web.requests == [] and fake_web.count() == 0
    assert fake_web.max_concurrency("c.test") == 0


def test_the_request_log_is_bounded() -> None:
    with FakeWeb(log_limit=3) as web:
        for _ in range(5):
            _get(web, "/ok")
        assert web.count() == 3


def test_conditional_answers_304_to_matching_validators(fake_web: FakeWeb) -> None:
    fresh = _get(fake_web, "/conditional")
    etag, modified = fresh.headers["etag"], fresh.headers["last-modified"]
    assert _conditional_status(fake_web, {"If-None-Match": etag}) == 304
    assert _conditional_status(fake_web, {"If-None-Match": '"other"'}) == 200
    assert _conditional_status(fake_web, {"If-Modified-Since": modified}) == 304
    assert (
        _conditional_status(fake_web, {"If-Modified-Since": "Mon, 01 Jan 2001 00:00:00 GMT"}) == 200
    )


def _conditional_status(web: FakeWeb, headers: dict[str, str]) -> int:
    return httpx.get(web.url("/conditional"), headers=headers, timeout=5.0).status_code


def test_pdf_is_real(fake_web: FakeWeb) -> None:
    response = _get(fake_web, "/pdf?title=Annual%20Report&pages=3")
    assert response.headers["content-type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    assert reader.metadata.title == "Annual Report"
    assert len(reader.pages) == 3


def test_charset_pages_encode_their_titles_as_described(fake_web: FakeWeb) -> None:
    header = _get(fake_web, "/charset/header")
    assert "charset=utf-8" in header.headers["content-type"]
    assert CHARSET_TITLES["header"].encode("utf-8") in header.content
    meta = _get(fake_web, "/charset/meta")
    assert "charset" not in meta.headers["content-type"]
    assert CHARSET_TITLES["meta"].encode("iso-8859-1") in meta.content
    undeclared = _get(fake_web, "/charset/undeclared")
    assert b"charset" not in undeclared.content
    assert CHARSET_TITLES["undeclared"].encode("windows-1252") in undeclared.content
    conflict = _get(fake_web, "/charset/conflict")
    assert "iso-8859-1" in conflict.headers["content-type"]
    assert CHARSET_TITLES["conflict"].encode("utf-8") in conflict.content


def test_huge_and_gzip_bomb_are_streamed(fake_web: FakeWeb) -> None:
    with httpx.stream("GET", fake_web.url("/huge"), timeout=5.0) as huge:
        assert int(huge.headers["content-length"]) >= 2**32
        first = next(huge.iter_raw())
        assert first.startswith(b"<!DOCTYPE html>")
    with httpx.stream("GET", fake_web.url("/gzip-bomb"), timeout=30.0) as bomb:
        assert bomb.headers["content-encoding"] == "gzip"
        compressed = b"".join(bomb.iter_raw())
    assert len(compressed) < 2_000_000
    head = b"<!DOCTYPE html>\n<html><head><title>Bomb</title></head>\n<body>\n"
    assert struct.unpack("<I", compressed[-4:])[0] == 2**30 + len(head)  # gzip ISIZE
    start = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(compressed[:65536], 1000)
    assert start == head + b" " * (1000 - len(head))


def test_reset_and_garbage_misbehave(fake_web: FakeWeb) -> None:
    with pytest.raises((httpx.ReadError, httpx.RemoteProtocolError)):
        _get(fake_web, "/reset")
    with pytest.raises(httpx.RemoteProtocolError):
        _get(fake_web, "/garbage")
    assert _get(fake_web, "/ok").status_code == 200
