"""The pools of a run: one small pool per origin (http11.py), kept for the origins used
last.

Why not httpcore's single pool: on every request and every response close it scans
all its connections (``_assign_requests_to_connections``), asking each whether it
has expired, which for the anyio backend builds a dict of attribute getters per
connection per call. With 64 connections that was about a third of citecheck's CPU
(py-spy, BENCHMARKS.md). Politeness already keeps a host to ``per_host`` requests at
once, so a pool per origin holds a handful of connections and its scan is short.

:class:`PoolPerOrigin` hands each exchange to its origin's pool. Pools are kept for
the ``max_pools`` origins used last; an older pool is closed once it has no request
in flight, so idle keep-alive connections stay bounded however many hosts a run sees.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable

from .framing import Head
from .http11 import Body, Origin, OriginPool, Timeouts


class PoolPerOrigin:
    """Pools, one per origin (scheme, host, port), made by ``new_pool``."""

    def __init__(self, new_pool: Callable[[], OriginPool], *, max_pools: int) -> None:
        self._new_pool = new_pool
        self._max_pools = max_pools
        self._pools: OrderedDict[Origin, OriginPool] = OrderedDict()

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
        """:meth:`OriginPool.exchange` on ``origin``'s pool."""
        pool = self._pools.get(origin)
        if pool is None:
            pool = self._pools[origin] = self._new_pool()
            await self._close_unused()
        else:
            self._pools.move_to_end(origin)
        return await pool.exchange(
            origin,
            head,
            body,
            timeouts=timeouts,
            method=method,
            closes=closes,
            sni=sni,
            on_sent=on_sent,
        )

    async def _close_unused(self) -> None:
        """Close the least recently used pools beyond ``max_pools`` that have no
        request in flight (a busy one stays until a later call finds it idle)."""
        excess = len(self._pools) - self._max_pools
        if excess <= 0:
            return
        for key in list(self._pools)[:-1]:
            pool = self._pools[key]
            if pool.is_busy():
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


__all__ = ["PoolPerOrigin"]
