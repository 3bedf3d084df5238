"""The rate limits the archive's endpoints share across one run, and the retries
after a 429 that honour them."""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Awaitable, Callable
from typing import Any

from ..config import ArchiveSettings, RateLimit
from ..errors import RateLimitedError


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

    def delay_s(self) -> float:
        """Seconds the next caller of :meth:`wait` would wait (0: none)."""
        return max(0.0, max(self._next_slot, self._blocked_until) - self._clock())

    def hold_off(self, seconds: float) -> None:
        """Send nothing for ``seconds`` (the archive said 429)."""
        self._blocked_until = max(self._blocked_until, self._clock() + seconds)


class EndpointClosed(Exception):
    """An endpoint said to stop for longer than a run should wait."""


async def with_tries(
    limiter: RateLimiter, call: Callable[[], Awaitable[Any]], settings: ArchiveSettings
) -> Any:
    """``call()``, tried again after each 429 (honouring Retry-After, or waiting
    the default), at most ``max_tries`` times in all; then RateLimitedError. A
    Retry-After longer than ``max_retry_after_s`` closes the endpoint for the run
    (EndpointClosed)."""
    attempt = 1
    while True:
        try:
            return await call()
        except RateLimitedError as exc:
            wait_s = (
                exc.retry_after if exc.retry_after is not None else settings.default_retry_after_s
            )
            if wait_s > settings.max_retry_after_s:
                raise EndpointClosed(str(exc)) from exc
            limiter.hold_off(wait_s)
            if attempt >= settings.max_tries:
                raise
            attempt += 1
