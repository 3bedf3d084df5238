"""citecheck's httpx transport: httpx's transport interface over citecheck's pools
(pools.py, http11.py; where they may connect is policy.py), for httpx's clients
only: the archive's, the network probe's, the cookie jar's requests and a test's
respx. A fetch hands its exchanges to the pools directly (exchange.py), and a check
that needs no httpx client never imports this module (nor httpx).

Not httpx's ``AsyncHTTPTransport`` over httpcore: httpcore (and, where it is
installed, trio, which httpcore imports) is not loaded at all (issue 11,
BENCHMARKS.md). Here an ``httpx.Request`` becomes the bytes of its head, the pools'
answer an ``httpx.Response``, and the fetch layer's exceptions (errors.py) httpx's
class of the same name (:func:`to_httpx`): an httpx client sees httpx's contract.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from http.cookiejar import CookieJar, DefaultCookiePolicy

import httpx

from ..config import Settings
from . import errors
from .errors import PolicyConnectError
from .framing import asks_to_close, request_body, request_head
from .http11 import SCHEMES, Body, Origin, Timeouts
from .policy import policy_pools
from .pools import PoolPerOrigin

_DEFAULT_PORTS = {b"http": 80, b"https": 443}


def _httpx_class(exc: errors.FetchError) -> type[Exception]:
    for kind in type(exc).__mro__:
        mapped = getattr(httpx, kind.__name__, None)
        if kind.__module__ == errors.__name__ and isinstance(mapped, type):
            return mapped
    return httpx.TransportError  # pragma: no cover - every class of errors.py has its twin


def to_httpx(exc: errors.FetchError, request: httpx.Request | None = None) -> Exception:
    """httpx's exception of the same name as ``exc`` (the nearest class errors.py
    shares with httpx: a PolicyConnectError is an ``httpx.ConnectError``), caused by
    it, so reasons.py still finds its Reason down the chain."""
    kind = _httpx_class(exc)
    if issubclass(kind, httpx.TransportError):
        mapped: Exception = kind(str(exc), request=request)
    else:
        mapped = kind(str(exc))
    mapped.__cause__ = exc
    return mapped


class _HttpxBody(httpx.AsyncByteStream):
    """A pool's body as an httpx stream, its failures httpx's."""

    def __init__(self, body: Body, request: httpx.Request) -> None:
        self._body = body
        self._request = request
        self.network_stream = body.network_stream

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._body:
                yield chunk
        except errors.FetchError as exc:
            raise to_httpx(exc, self._request) from exc

    async def aclose(self) -> None:
        await self._body.aclose()


def _timeouts(request: httpx.Request) -> Timeouts:
    given = request.extensions.get("timeout") or {}
    return Timeouts(given.get("connect"), given.get("read"), given.get("write"), given.get("pool"))


class PolicyTransport(httpx.AsyncBaseTransport):
    """httpx's transport interface over citecheck's pools: one small pool per origin
    (pools.py says why), speaking HTTP/1.1 themselves (http11.py says why)."""

    def __init__(self, pools: PoolPerOrigin) -> None:
        self.pools = pools

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        try:
            if url.scheme not in SCHEMES:
                raise errors.UnsupportedProtocol(f"unsupported scheme {url.scheme!r}")
            port = url.port or _DEFAULT_PORTS.get(url.raw_scheme, 0)
            origin = Origin(url.scheme, url.raw_host.decode("ascii"), port)
            body = await request_body(request)
            head = request_head(request, len(body))
            answer, stream = await self.pools.exchange(
                origin,
                head,
                body,
                timeouts=_timeouts(request),
                method=request.method,
                closes=asks_to_close(request.headers.raw),
                sni=request.extensions.get("sni_hostname"),
            )
        except errors.FetchError as exc:
            raise to_httpx(exc, request) from exc
        except httpx.RequestError as exc:
            exc.request = request  # as httpx's own transport gives its errors
            raise
        return httpx.Response(
            answer.status,
            headers=answer.headers,
            stream=_HttpxBody(stream, request),
            extensions={
                "http_version": answer.version,
                "reason_phrase": answer.reason,
                "network_stream": stream.network_stream,
            },
        )

    async def aclose(self) -> None:
        await self.pools.aclose()


#: The transport's own way to send, to tell it from a replacement (respx's, in tests).
_OWN_HANDLER = PolicyTransport.handle_async_request


def direct_pools(transport: httpx.AsyncBaseTransport) -> PoolPerOrigin | None:
    """The pools under ``transport`` when it is citecheck's own, as it comes, so that
    a fetch may skip httpx's request and response; None for any other transport (a
    test's mock, respx patching this one), which then gets httpx's request."""
    if type(transport) is PolicyTransport and PolicyTransport.handle_async_request is _OWN_HANDLER:
        return transport.pools
    return None


def is_replaced() -> bool:
    """Whether the transport's way to send was replaced (respx patches it): then no
    fetch may go to the pools directly, whether or not its client was built yet."""
    return PolicyTransport.handle_async_request is not _OWN_HANDLER


class _UnusedCookies(httpx.Cookies):
    """The client's cookie jar, which is never fed: see client.py's Fetcher."""

    def extract_cookies(self, response: httpx.Response) -> None:
        return


def httpx_client(
    transport: httpx.AsyncBaseTransport, headers: Mapping[str, str], settings: Settings
) -> httpx.AsyncClient:
    """The Fetcher's ``httpx.AsyncClient`` over ``transport``, with its ``headers``
    (for the archive's clients, the network probe and a test's transport)."""
    client = httpx.AsyncClient(
        transport=transport,
        follow_redirects=False,
        trust_env=False,
        # Cookies are kept per fetch (client.py), never across links.
        cookies=CookieJar(policy=DefaultCookiePolicy(allowed_domains=[])),
        timeout=httpx.Timeout(settings.timeout_s, connect=settings.connect_timeout_s),
        headers=headers,
    )
    # httpx parses every response into the client's jar; this one stores nothing
    # anyway (cookies live per fetch), so skip the parse: 4% of a check's CPU.
    client._cookies = _UnusedCookies()  # noqa: SLF001
    return client


def policy_transport(settings: Settings) -> PolicyTransport:
    """The transport of a check: pools per origin over the policy backend."""
    return PolicyTransport(policy_pools(settings))


__all__ = [
    "PolicyConnectError",
    "PolicyTransport",
    "direct_pools",
    "httpx_client",
    "is_replaced",
    "policy_transport",
    "to_httpx",
]
