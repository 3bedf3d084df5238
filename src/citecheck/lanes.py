"""Politeness lanes: at most ``per_host`` requests in flight to one host, counted per
request, and a host-wide pause when a server asks for one (Retry-After).

A lane is held only while a request is on the wire: from sending it to closing its
response. A link's backoff sleep before a retry, its redirect hop to another host,
its soft-404 sibling probe queued behind other requests: none of them holds the lane,
so one failing page never idles its host.

The dispatcher in check.py starts a link only when its host's lane has room, and
takes a :class:`Reservation` for it, which the link's first request turns into its
lane. Without it, links started in the same instant could all see room and pile up
in one host's queue while other hosts wait. A reservation that is never used (the
link made no request) is given back when the link ends.

Sends first: a lane given to the next request (a waiter woken, or a link the
dispatcher started in ``on_room``) sets :attr:`Lanes.sends_waiting`, and the task
that gave it back waits in :meth:`Lanes.sends_first` (``Fetcher.fetch``) before it
reads and judges its page, so that the host's next request goes out first:
otherwise the lane stood idle for the whole turnaround (issue 11, BENCHMARKS.md
"Eleventh step").
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable


class _Lane:
    __slots__ = ("in_flight", "reserved", "waiters", "paused_until", "wake_handle")

    def __init__(self) -> None:
        self.in_flight = 0
        self.reserved = 0
        self.waiters: deque[asyncio.Future[None]] = deque()
        self.paused_until = 0.0
        self.wake_handle: asyncio.TimerHandle | None = None


class Reservation:
    """A lane kept for a link that is about to make its first request to ``host``."""

    __slots__ = ("host", "_lanes", "_open")

    def __init__(self, lanes: Lanes, host: str) -> None:
        self.host = host
        self._lanes = lanes
        self._open = True

    def take(self, host: str) -> bool:
        """Use the reservation for a request to ``host``. False if it cannot be: it is
        used up, or the request goes elsewhere (the URL's host spelled differently
        once normalised), and then the lane is given back at once."""
        if not self._open:
            return False
        if host != self.host:
            self.cancel()
            return False
        self._open = False
        return True

    def is_for(self, host: str) -> bool:
        """Whether :meth:`take` would use it for a request to ``host``."""
        return self._open and host == self.host

    def cancel(self) -> None:
        """Give the lane back if the link never used it."""
        if self._open:
            self._open = False
            self._lanes._unreserve(self.host)


class Lanes:
    """The per-host lanes of one run. ``on_room(host)`` is called whenever a host's
    lane gains room, so that the dispatcher can start its next link; it returns
    whether it started one."""

    def __init__(
        self, per_host: int, *, on_room: Callable[[str], bool | None] | None = None
    ) -> None:
        self.per_host = per_host
        self.on_room = on_room
        self._lanes: dict[str, _Lane] = {}
        #: A lane was handed to a request that has not run since: whoever gave it
        #: back waits in :meth:`sends_first` (which clears this) before its own work.
        self.sends_waiting = False
        self._after_sends: list[asyncio.Future[None]] = []

    def has_room(self, host: str) -> bool:
        """True when a new link to ``host`` could send its request at once."""
        lane = self._lanes.get(host)
        if lane is None:
            return True
        taken = lane.in_flight + lane.reserved + len(lane.waiters)
        return taken < self.per_host and not self._paused(lane)

    def ready(self, host: str, reservation: Reservation | None = None) -> bool:
        """True when :meth:`acquire` would take a lane at once, without waiting (a
        False may still turn out not to wait). The fetch asks, to set no timer for
        a wait that cannot happen."""
        lane = self._lanes.get(host)
        kept = reservation is not None and reservation.is_for(host)
        return lane is None or self._free_now(lane, kept)

    def _free_now(self, lane: _Lane, kept: bool) -> bool:
        """A request could use ``lane`` at once: it is not paused, and a lane is
        ``kept`` for the request or there is room with nobody waiting."""
        if self._paused(lane):
            return False
        return kept or (lane.in_flight + lane.reserved < self.per_host and not lane.waiters)

    def in_flight(self, host: str) -> int:
        lane = self._lanes.get(host)
        return 0 if lane is None else lane.in_flight

    def reserve(self, host: str) -> Reservation:
        self._lane(host).reserved += 1
        return Reservation(self, host)

    def try_acquire(self, host: str, reservation: Reservation | None = None) -> bool:
        """Take a lane to ``host`` at once if :meth:`acquire` would not wait; False
        (nothing taken, a reservation for ``host`` still kept) otherwise. A plain
        call: the fetch tries it first, and awaits :meth:`acquire` only to wait."""
        if reservation is not None and not reservation.is_for(host):
            reservation.take(host)  # kept for another host: given back first
            reservation = None
        lane = self._lanes.get(host)
        if lane is None:
            self._lane(host).in_flight = 1
            return True
        if not self._free_now(lane, kept=reservation is not None):
            return False
        if reservation is not None:
            reservation.take(host)
            lane.reserved -= 1
        lane.in_flight += 1
        return True

    async def acquire(self, host: str, reservation: Reservation | None = None) -> None:
        """Wait for a lane to ``host`` (first come, first served)."""
        lane = self._lane(host)
        reserved = reservation is not None and reservation.take(host)
        if reserved:
            lane.reserved -= 1
        if (reserved or (lane.in_flight + lane.reserved < self.per_host and not lane.waiters)) and (
            not self._paused(lane)
        ):
            lane.in_flight += 1
            return
        waiter = asyncio.get_running_loop().create_future()
        if reserved:
            lane.waiters.appendleft(waiter)
        else:
            lane.waiters.append(waiter)
        try:
            await waiter
        except BaseException:
            if waiter.done() and not waiter.cancelled():
                lane.in_flight -= 1  # handed over just as we were cancelled
                self._hand_over(host, lane)
            else:
                lane.waiters.remove(waiter)
                self._forget_if_idle(host, lane)
            raise

    def release(self, host: str) -> None:
        lane = self._lanes[host]
        lane.in_flight -= 1
        self._hand_over(host, lane)

    async def sends_first(self) -> None:
        """Wait until the requests given a lane so far have had their turn of the
        loop (in which they send). All who wait in one turn go on together in the
        one after their sends: with a plain ``sleep(0)``, the next request of one
        host would wait behind the page reads of every lane given back before its."""
        self.sends_waiting = False
        loop = asyncio.get_running_loop()
        waiter = loop.create_future()
        if not self._after_sends:
            loop.call_soon(self._sent)  # queued behind the sends handed out so far
        self._after_sends.append(waiter)
        await waiter

    def _sent(self) -> None:
        waiters, self._after_sends = self._after_sends, []
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)

    def pause(self, host: str, seconds: float) -> None:
        """No new request to ``host`` for ``seconds`` (a Retry-After), whoever sends it."""
        if seconds <= 0:
            return
        lane = self._lane(host)
        loop = asyncio.get_running_loop()
        until = loop.time() + seconds
        if until <= lane.paused_until:
            return
        lane.paused_until = until
        if lane.wake_handle is not None:
            lane.wake_handle.cancel()
        lane.wake_handle = loop.call_at(until, self._wake, host)

    def _wake(self, host: str) -> None:
        lane = self._lanes.get(host)
        if lane is None:
            return
        lane.wake_handle = None
        self._hand_over(host, lane)

    def _hand_over(self, host: str, lane: _Lane) -> None:
        if self._paused(lane):
            return
        while lane.waiters and lane.in_flight + lane.reserved < self.per_host:
            waiter = lane.waiters.popleft()
            if not waiter.done():
                lane.in_flight += 1
                waiter.set_result(None)
                self.sends_waiting = True
        if lane.in_flight + lane.reserved + len(lane.waiters) < self.per_host:
            self._forget_if_idle(host, lane)
            if self.on_room is not None and self.on_room(host):
                self.sends_waiting = True

    def _unreserve(self, host: str) -> None:
        lane = self._lanes.get(host)
        if lane is None:
            return
        lane.reserved -= 1
        self._hand_over(host, lane)

    def _lane(self, host: str) -> _Lane:
        lane = self._lanes.get(host)
        if lane is None:
            lane = self._lanes[host] = _Lane()
        return lane

    @staticmethod
    def _paused(lane: _Lane) -> bool:
        return lane.paused_until > 0 and lane.paused_until > asyncio.get_running_loop().time()

    def _forget_if_idle(self, host: str, lane: _Lane) -> None:
        if (
            not lane.in_flight
            and not lane.reserved
            and not lane.waiters
            and lane.wake_handle is None
        ):
            del self._lanes[host]


__all__ = ["Lanes", "Reservation"]
