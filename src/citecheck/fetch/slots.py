"""A count of free slots, taken per request: the global request slots (client.py)
and a pool's connections (http11.py).

What ``asyncio.Semaphore`` does, first come first served, with a way to take a free
slot without a coroutine: :meth:`Slots.try_take` is a plain call, and only a request
that has to wait awaits :meth:`Slots.take`. A semaphore's ``locked()`` walks its
waiters with a generator and its ``acquire()`` is a coroutine even when a slot is
free; every request took two slots that way (issue 11, BENCHMARKS.md).

A released slot goes straight to the first waiter, so a request that arrives
meanwhile cannot take it first. A waiter cancelled (a stop, a deadline, a timeout)
leaves the queue; one cancelled just after a slot was handed to it passes the slot
on, so no cancellation ever loses a slot or holds one.
"""

from __future__ import annotations

import asyncio
from collections import deque


class Slots:
    """``count`` slots; each :meth:`try_take` or :meth:`take` is ended by one
    :meth:`release`."""

    __slots__ = ("_free", "_waiters")

    def __init__(self, count: int) -> None:
        if count < 0:
            raise ValueError("a count of slots cannot be negative")
        self._free = count
        self._waiters: deque[asyncio.Future[None]] = deque()

    @property
    def free(self) -> int:
        """Slots neither taken nor handed to a waiter."""
        return self._free

    @property
    def waiting(self) -> int:
        """Waiters in the queue (a cancelled one may be counted until it leaves)."""
        return len(self._waiters)

    def try_take(self) -> bool:
        """Take a slot if one is free and nobody waits for it; False (and nothing
        taken) otherwise."""
        if self._free > 0 and not self._waiters:
            self._free -= 1
            return True
        return False

    async def take(self) -> None:
        """Take a slot, waiting in turn for one to be released."""
        if self.try_take():
            return
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            await waiter
        except BaseException:
            if waiter.done() and not waiter.cancelled():
                self.release()  # handed over just as we were cancelled: pass it on
            elif waiter in self._waiters:  # else a release() already dropped it
                self._waiters.remove(waiter)
            raise

    def release(self) -> None:
        """Give a slot back: to the first waiter still waiting, else to the count."""
        waiters = self._waiters
        while waiters:
            waiter = waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return
        self._free += 1


__all__ = ["Slots"]
