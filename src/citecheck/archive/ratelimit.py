"""The rate limits the archive's endpoints share across one run."""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Awaitable, Callable

from ..config import RateLimit


class RateLimiter:
    """Spaces requests at least ``limit.interval_s`` apart, and honours a hold-off.

    Slots are reserved in call order, so concurrent callers start evenly spaced and
    the request itself does not hold the limiter: look-ups run concurrently, but
    never start faster than the limit. ``clock`` (monotonic seconds) and ``sleep``
    are injectable so tests move time instead of waiting.
    """

    def __init__(
        self,
        limit: RateLimit,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.limit = limit
        self._clock = clock
        self._sleep = sleep
        self._next_slot = -math.inf
        self._blocked_until = -math.inf

    async def wait(self) -> None:
        """Return when the next request may be sent."""
        while True:
            now = self._clock()
            slot = max(now, self._next_slot, self._blocked_until)
            self._next_slot = slot + self.limit.interval_s
            if slot > now:
                await self._sleep(slot - now)
            if self._clock() >= self._blocked_until:
                return

    def hold_off(self, seconds: float) -> None:
        """Send nothing for ``seconds`` (the archive said 429)."""
        self._blocked_until = max(self._blocked_until, self._clock() + seconds)
