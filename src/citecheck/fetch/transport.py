"""citecheck's httpx transport, and where a check may connect: names resolved by
citecheck (honouring ``--resolve``) and the address policy (``--exclude-private``,
addresses.py), as the network backend of its pools. A refusal is raised as
:class:`PolicyConnectError` carrying its Reason, so the client never has to guess a
reason from a message.

The transport is httpx's own interface over citecheck's pools (pools.py,
http11.py), not httpx's ``AsyncHTTPTransport`` over httpcore: those pools raise
httpx's exceptions, so httpcore (and, where it is installed, trio, which httpcore
imports) is not loaded at all (issue 11, BENCHMARKS.md). Here an ``httpx.Request``
becomes the bytes of its head and the pools' answer an ``httpx.Response``: for
httpx's clients (the archive's, the network probe's). A fetch skips both and hands
its exchanges to the pools directly (:func:`direct_pools`, exchange.py).
"""

from __future__ import annotations

import asyncio
import functools
import ipaddress
import socket
import typing
from collections.abc import Mapping

import httpx

from ..config import Settings
from ..models import Reason
from .addresses import is_refused_address
from .connections import AsyncioBackend, AsyncioStream, Backend, SocketOption
from .framing import asks_to_close, request_body, request_head
from .http11 import SCHEMES, Origin, OriginPool, Timeouts
from .pools import PoolPerOrigin

#: Origins whose connections are kept, per global request slot (see policy_transport).
_POOLS_PER_SLOT = 4
_DEFAULT_PORTS = {b"http": 80, b"https": 443}
# getaddrinfo errors that mean "this name does not exist"; the rest are transient.
_NAME_DOES_NOT_EXIST = frozenset(
    code
    for code in (getattr(socket, "EAI_NONAME", None), getattr(socket, "EAI_NODATA", None))
    if code is not None
)


class PolicyConnectError(httpx.ConnectError):
    """A connection the backend refused to make, or a name it could not resolve."""

    def __init__(self, message: str, reason: Reason) -> None:
        super().__init__(message)
        self.reason = reason


def _is_ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    return True


class _PolicyBackend:
    """Resolves names itself (honouring ``resolve``) and applies the address policy.

    It connects to the resolved IP; the pool still uses the name for TLS SNI and
    certificate checks, and httpx for the Host header.
    """

    def __init__(
        self,
        *,
        resolve: Mapping[str, str],
        exclude_private: bool,
        inner: Backend | None = None,
    ) -> None:
        self._resolve_map = {name.lower().rstrip("."): ip for name, ip in resolve.items()}
        self._exclude_private = exclude_private
        self._inner = inner if inner is not None else AsyncioBackend()

    async def _addresses(self, host: str, port: int, timeout: float | None) -> list[str]:
        name = host.lower().rstrip(".")
        if name in self._resolve_map:
            return [self._resolve_map[name]]
        if _is_ip_literal(name):
            return [name]
        if name == "invalid" or name.endswith(".invalid"):
            # RFC 6761 §6.4: such names never exist; resolvers should say so at once.
            raise PolicyConnectError(f"the name {host} does not exist", Reason.DNS_ERROR)
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(timeout):
                infos = await loop.getaddrinfo(name, port, type=socket.SOCK_STREAM)
        except TimeoutError:
            raise PolicyConnectError(
                f"the resolver did not answer for {host} within {timeout} s",
                Reason.DNS_TEMPORARY,
            ) from None
        except socket.gaierror as exc:
            if exc.errno in _NAME_DOES_NOT_EXIST:
                raise PolicyConnectError(
                    f"the name {host} does not exist ({exc.strerror})", Reason.DNS_ERROR
                ) from exc
            raise PolicyConnectError(
                f"the resolver failed for {host} ({exc.strerror})", Reason.DNS_TEMPORARY
            ) from exc
        return list(dict.fromkeys(str(info[4][0]) for info in infos))

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: typing.Iterable[SocketOption] | None = None,
    ) -> AsyncioStream:
        addresses = await self._addresses(host, port, timeout)
        if self._exclude_private:
            allowed = [a for a in addresses if not is_refused_address(a)]
            if not allowed:
                raise PolicyConnectError(
                    f"{host} resolves to {', '.join(addresses)}, a private or reserved "
                    "address (refused by exclude_private)",
                    Reason.PRIVATE_ADDRESS,
                )
            addresses = allowed
        options = list(socket_options or ())
        last_error: httpx.ConnectError | httpx.ConnectTimeout | None = None
        for address in addresses:
            try:
                return await self._inner.connect_tcp(
                    address,
                    port,
                    timeout=timeout,
                    local_address=local_address,
                    socket_options=options,
                )
            except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
                last_error = exc
        assert last_error is not None  # addresses is never empty
        raise last_error


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
                raise httpx.UnsupportedProtocol(f"unsupported scheme {url.scheme!r}")
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
        except httpx.RequestError as exc:
            exc.request = request  # as httpx's own transport gives its errors
            raise
        return httpx.Response(
            answer.status,
            headers=answer.headers,
            stream=stream,
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


def policy_transport(settings: Settings) -> PolicyTransport:
    """The transport of a check: pools per origin over the policy backend."""
    # Loading the CAs takes 50 ms: done once, on the first https connection (fetch
    # runs over plain http never do).
    verified = functools.cache(lambda: httpx.create_ssl_context(trust_env=False))
    backend = _PolicyBackend(
        resolve=dict(settings.resolve), exclude_private=settings.exclude_private
    )

    def new_pool() -> OriginPool:
        return OriginPool(
            backend=backend,
            ssl_context=verified,
            max_connections=settings.concurrency,
            max_keepalive=settings.per_host,
            keepalive_expiry=5.0,
        )

    # Enough pools for every host a run has in flight at once (a pool closed while its
    # host still has links waiting costs it new connections).
    max_pools = settings.concurrency * _POOLS_PER_SLOT
    return PolicyTransport(PoolPerOrigin(new_pool, max_pools=max_pools))
