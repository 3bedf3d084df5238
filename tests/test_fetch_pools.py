"""The pools of a run (fetch/pools.py): one per origin, the least recently used
closed beyond ``max_pools`` once idle, a busy one kept until it is idle."""

from __future__ import annotations

from citecheck.fetch.http11 import Origin, Timeouts
from citecheck.fetch.pools import PoolPerOrigin

_TIMEOUTS = Timeouts(connect=1.0, read=None, write=None, pool=None)


class _FakePool:
    def __init__(self, made: list[_FakePool]) -> None:
        self.busy = False
        self.closed = False
        self.origins: list[Origin] = []
        made.append(self)

    def is_busy(self) -> bool:
        return self.busy

    async def exchange(self, origin: Origin, head: bytes, body: bytes = b"", **_: object):
        self.origins.append(origin)
        return origin, head

    async def aclose(self) -> None:
        self.closed = True


def _origin(n: int) -> Origin:
    return Origin("http", f"host{n}.test", 80)


def _pools(max_pools: int) -> tuple[PoolPerOrigin, list[_FakePool]]:
    made: list[_FakePool] = []
    return PoolPerOrigin(lambda: _FakePool(made), max_pools=max_pools), made  # type: ignore[arg-type, return-value]


async def test_one_pool_per_origin_reused() -> None:
    pools, made = _pools(4)
    for _ in range(3):
        await pools.exchange(_origin(1), b"GET / HTTP/1.1\r\n\r\n", timeouts=_TIMEOUTS)
    await pools.exchange(_origin(2), b"GET / HTTP/1.1\r\n\r\n", timeouts=_TIMEOUTS)
    assert len(made) == 2
    assert made[0].origins == [_origin(1)] * 3 and made[1].origins == [_origin(2)]


async def test_the_least_recently_used_idle_pools_are_closed_beyond_the_limit() -> None:
    pools, made = _pools(2)
    for n in (1, 2):
        await pools.exchange(_origin(n), b"", timeouts=_TIMEOUTS)
    await pools.exchange(_origin(1), b"", timeouts=_TIMEOUTS)  # 2 is now the oldest
    await pools.exchange(_origin(3), b"", timeouts=_TIMEOUTS)
    assert [pool.closed for pool in made] == [False, True, False]
    await pools.exchange(_origin(2), b"", timeouts=_TIMEOUTS)  # a new pool for it
    assert len(made) == 4 and made[0].closed  # 1 was the oldest then


async def test_a_busy_pool_stays_until_a_later_call_finds_it_idle() -> None:
    pools, made = _pools(1)
    await pools.exchange(_origin(1), b"", timeouts=_TIMEOUTS)
    made[0].busy = True
    await pools.exchange(_origin(2), b"", timeouts=_TIMEOUTS)
    assert not made[0].closed  # in flight: kept, over the limit for now
    made[0].busy = False
    await pools.exchange(_origin(3), b"", timeouts=_TIMEOUTS)
    assert made[0].closed and made[1].closed and not made[2].closed


async def test_closing_closes_every_pool() -> None:
    async with _pools(8)[0] as pools:
        for n in range(5):
            await pools.exchange(_origin(n), b"", timeouts=_TIMEOUTS)
        made = [pool for pool in pools._pools.values()]  # noqa: SLF001
    assert len(made) == 5 and all(pool.closed for pool in made)
