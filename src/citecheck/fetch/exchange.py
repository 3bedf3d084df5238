"""One request of a fetch and its answer: straight to citecheck's pools when the
client's transport is citecheck's own, through httpx's transport interface when it
is any other (a test's mock, respx).

Why a fetch skips httpx's request and response on its own transport: building an
``httpx.Request`` (its URL, its headers, copied twice), turning it back into bytes,
and wrapping the answer in an ``httpx.Response`` with ``httpx.Headers`` and closing
it cost more of a fetch's CPU than the HTTP/1.1 exchange itself (py-spy, issue 11,
BENCHMARKS.md "Ninth step"). Here the head's bytes are built from the parsed URL and
the client's headers (request.py, which checks them as framing.request_head does),
the pool gives the status line and fields as received (http11.py), and the fields
are decoded and joined as ``lower_headers`` would have done with httpx's
``Headers``. The only httpx objects left are the rare cookie jar's: a fetch that
sends or receives cookies builds the ``httpx.Request`` (and, for a Set-Cookie, the
``httpx.Response``) that the jar reads, and then only is httpx imported: a check
whose fetches set no cookies never loads httpx (issue 11). Failures are the fetch
layer's exceptions (errors.py) on the direct way, httpx's through an httpx
transport; reasons.py maps both in one place; tests/test_fetch_exchange.py checks
that both ways give the same outcomes against a real local server.

respx (tests) replaces citecheck's transport's way to send: then no fetch goes to
the pools directly, even one whose Fetcher never built its httpx client
(:func:`_own_transport_replaced`).
"""

from __future__ import annotations

import asyncio
import sys
import typing
from collections.abc import AsyncIterable, Callable, Mapping, Sequence

from . import errors
from .body import lower_fields, lower_headers, raw_body
from .framing import request_head
from .http11 import Body
from .pools import PoolPerOrigin
from .request import RequestMaker

if typing.TYPE_CHECKING:
    import httpx


def _own_transport_replaced() -> bool:
    """Whether citecheck's transport's way to send was replaced (respx patches it).
    Not loaded: then nothing has patched it (respx imports what it patches)."""
    transport = sys.modules.get("citecheck.fetch.transport")
    return transport is not None and transport.is_replaced()


class Answer:
    """A response as a fetch reads it: ``status``, ``headers`` (lower-case names,
    repeated fields joined), ``body`` (as received), then :meth:`aclose`. Either
    over the pool's :class:`~citecheck.fetch.http11.Body` or over httpx's
    ``response``; ``for_cookies`` is the ``httpx.Response`` a cookie jar reads (the
    response itself, or one made of the fields when they set cookies)."""

    __slots__ = ("status", "headers", "_body", "_response", "_for_cookies")

    def __init__(
        self,
        status: int,
        headers: dict[str, str],
        *,
        body: Body | None = None,
        response: httpx.Response | None = None,
        for_cookies: httpx.Response | None = None,
    ) -> None:
        self.status = status
        self.headers = headers
        self._body = body
        self._response = response
        self._for_cookies = for_cookies or response

    @property
    def body(self) -> AsyncIterable[bytes]:
        if self._body is not None:
            return self._body
        assert self._response is not None
        return raw_body(self._response)

    def extract_cookies(self, cookies: httpx.Cookies) -> None:
        """Keep the answer's Set-Cookie fields in ``cookies``."""
        if self._for_cookies is not None:
            cookies.extract_cookies(self._for_cookies)

    async def aclose(self) -> None:
        """End the exchange (the connection is kept if the body was read whole)."""
        if self._body is not None:
            self._body.close()
        elif self._response is not None:
            await self._response.aclose()


class Sender:
    """Sends a fetch's GETs with the client's header ``fields`` and ``timeouts``:
    to ``pools`` directly when they are citecheck's own (and not replaced by respx),
    else through the httpx transport that ``transport`` gives."""

    def __init__(
        self,
        fields: Sequence[tuple[bytes, bytes]],
        timeouts: Mapping[str, float | None],
        *,
        pools: PoolPerOrigin | None,
        transport: Callable[[], httpx.AsyncBaseTransport],
    ) -> None:
        self._pools = pools
        self._transport = transport
        self._requests = RequestMaker(fields, timeouts)
        self._when_out: Callable[[], None] | None = None
        self._unsent = 0

    def when_requests_out(self, callback: Callable[[], None] | None) -> None:
        """Call ``callback`` once, in a turn of the loop of its own, the first time
        every request begun from now on has been written to its connection (or has
        failed before it was); None forgets a callback not yet called. Requests sent
        through an httpx transport (respx in tests) are not seen: their writing is not."""
        self._when_out = callback

    def _watched(self) -> Callable[[], None]:
        """One more request to see written; what to call when it is (or failed)."""
        self._unsent += 1
        pending = True

        def written() -> None:
            nonlocal pending
            if not pending:
                return
            pending = False
            self._unsent -= 1
            if self._unsent == 0 and self._when_out is not None:
                callback, self._when_out = self._when_out, None
                asyncio.get_running_loop().call_soon(callback)

        return written

    async def send(
        self, url: str, extra_headers: Mapping[str, str], cookies: httpx.Cookies | None
    ) -> Answer:
        """The answer to a GET of ``url`` (``cookies``: the fetch's own jar, or None);
        raises the fetch layer's exceptions (or an httpx transport's), InvalidURL for
        a URL it cannot send."""
        pools = self._pools
        if pools is not None and _own_transport_replaced():
            pools = None
        requests = self._requests
        request: httpx.Request | None = None
        if pools is None or (cookies is not None and cookies.jar):
            request = requests.make(url, extra_headers)
            if cookies is not None and cookies.jar:
                cookies.set_cookie_header(request)
        if pools is None:
            assert request is not None
            return await self._through_httpx(request)
        target = requests.target(url)
        # The jar sets the Cookie field on httpx's request: its head is then made of it.
        head = requests.head(target, extra_headers) if request is None else request_head(request, 0)
        written = self._watched() if self._when_out is not None else None
        try:
            answer, body = await pools.exchange(
                target.origin,
                head,
                timeouts=requests.timeouts,
                closes=requests.closes,
                on_sent=written,
            )
        except (UnicodeError, ValueError) as exc:
            raise errors.InvalidURL(f"cannot request this URL: {exc}") from exc
        finally:
            if written is not None:
                written()
        headers = lower_fields(answer.headers)
        for_cookies = None
        if "set-cookie" in headers:  # the cookie jar reads httpx's request and response
            import httpx

            request = request or requests.make(url, extra_headers)
            for_cookies = httpx.Response(answer.status, headers=answer.headers, request=request)
        return Answer(answer.status, headers, body=body, for_cookies=for_cookies)

    async def _through_httpx(self, request: httpx.Request) -> Answer:
        try:
            response = await self._transport().handle_async_request(request)
        except (UnicodeError, ValueError) as exc:
            raise errors.InvalidURL(f"cannot request this URL: {exc}") from exc
        response.request = request
        return Answer(response.status_code, lower_headers(response.headers), response=response)


__all__ = ["Answer", "Sender"]
