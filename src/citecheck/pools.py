"""The connection layer under httpx: one small pool per origin, over lean streams.

Why not httpcore's single pool: on every request and every response close it scans
all its connections (``_assign_requests_to_connections``), asking each whether it
has expired, which for the anyio backend builds a dict of attribute getters per
connection per call. With 64 connections that was about a third of citecheck's CPU
(py-spy, BENCHMARKS.md). Politeness already keeps a host to ``per_host`` requests at
once, so a pool per origin holds a handful of connections and its scan is short.

:class:`PoolPerOrigin` stands where httpx's transport expects its httpcore pool, so
httpx still maps errors and builds responses. Pools are kept for the
``max_pools`` origins used last; an older pool is closed once it has no request in
flight, so idle keep-alive connections stay bounded however many hosts a run sees.

:class:`LeanStream` wraps a network stream and answers httpcore's "is this idle
connection still readable?" from the socket it looked up once, instead of asking
anyio for all of the stream's attributes each time.
"""

from __future__ import annotations

import ssl
import typing
from collections import OrderedDict
from collections.abc import Callable

import httpcore
from httpcore._async.interfaces import AsyncRequestInterface
from httpcore._utils import is_socket_readable


class LeanStream(httpcore.AsyncNetworkStream):
    """A network stream whose readability check costs one ``select`` call."""

    __slots__ = ("_inner", "_socket")

    def __init__(self, inner: httpcore.AsyncNetworkStream) -> None:
        self._inner = inner
        self._socket = inner.get_extra_info("socket")

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return await self._inner.read(max_bytes, timeout)

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        await self._inner.write(buffer, timeout)

    async def aclose(self) -> None:
        await self._inner.aclose()

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.AsyncNetworkStream:
        return LeanStream(await self._inner.start_tls(ssl_context, server_hostname, timeout))

    def get_extra_info(self, info: str) -> typing.Any:
        if info == "is_readable":
            return self._socket is not None and is_socket_readable(self._socket)
        if info == "socket":
            return self._socket
        return self._inner.get_extra_info(info)


class PoolPerOrigin(AsyncRequestInterface):
    """httpcore pools, one per (scheme, host, port), made by ``new_pool``."""

    def __init__(
        self, new_pool: Callable[[], httpcore.AsyncConnectionPool], *, max_pools: int
    ) -> None:
        self._new_pool = new_pool
        self._max_pools = max_pools
        self._pools: OrderedDict[tuple[bytes, bytes, int | None], httpcore.AsyncConnectionPool]
        self._pools = OrderedDict()

    async def handle_async_request(self, request: httpcore.Request) -> httpcore.Response:
        url = request.url
        key = (url.scheme, url.host, url.port)
        pool = self._pools.get(key)
        if pool is None:
            pool = self._pools[key] = self._new_pool()
            await self._close_unused()
        else:
            self._pools.move_to_end(key)
        return await pool.handle_async_request(request)

    async def _close_unused(self) -> None:
        """Close the least recently used pools beyond ``max_pools`` that have no
        request in flight (a busy one stays until a later call finds it idle)."""
        excess = len(self._pools) - self._max_pools
        if excess <= 0:
            return
        for key in list(self._pools)[:-1]:
            pool = self._pools[key]
            if any(not connection.is_idle() for connection in pool.connections):
                continue
            del self._pools[key]
            await pool.aclose()
            excess -= 1
            if excess == 0:
                return

    async def aclose(self) -> None:
        pools, self._pools = list(self._pools.values()), OrderedDict()
        for pool in pools:
            await pool.aclose()

    async def __aenter__(self) -> PoolPerOrigin:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()


__all__ = ["LeanStream", "PoolPerOrigin"]
