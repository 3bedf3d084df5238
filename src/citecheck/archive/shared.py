"""The archive step of ``run --worker``: limits and links shared by all workers.

The archive's rate limits are per account and address, not per process, so a
worker's clients take their request slots from the database
(:class:`SharedRateLimiter`, store/limits.py) instead of from a limiter of their
own: two workers together send no faster than one would alone.

Each link's look-up and capture is done by one worker: before working on a link a
worker claims it with a lease (``archive:<url>`` in the host leases, store/leases.py)
and skips it when another worker holds it, or when someone looked it up or asked
for its capture since this worker's archive step began (its row, read a page
ahead, may be older than that). The claims are held until the step ends (a
capture is queued after its look-up, and asked for later), renewed every third of
their lease; a killed worker stops renewing and its links are free again once its
leases expire.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import TracebackType

from ..config import RateLimit
from ..store import Store
from ..store.leases import run_lease_key
from .memento_client import MementoClient
from .ratelimit import RateLimiter
from .wayback import WaybackClient

#: The prefix of the keys of a worker's claims on links among the leases.
CLAIM_PREFIX = "archive:"


@dataclass(frozen=True)
class ArchiveWorker:
    """Who archives as a worker (``<pid>@<machine>``), and how long its claims last
    unless renewed."""

    holder: str
    lease_s: float


class SharedRateLimiter(RateLimiter):
    """A :class:`RateLimiter` whose slots and hold-off are kept in the database under
    ``name``, shared by every worker. ``clock`` is wall-clock UTC epoch seconds,
    the time machines share (injectable, so tests move it)."""

    def __init__(
        self,
        store: Store,
        name: str,
        limit: RateLimit,
        *,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        super().__init__(limit, clock=clock, sleep=sleep)
        self.store = store
        self.name = name

    async def wait(self) -> None:
        """Return when the next request may be sent, by every worker's reckoning."""
        while True:
            wait_s = self.store.reserve_slot(
                self.name, interval_s=self.limit.interval_s, now=self._clock()
            )
            if wait_s > 0:
                await self._sleep(wait_s)
            if self._clock() >= self.store.limit_state(self.name)[1]:
                return

    def delay_s(self) -> float:
        next_at, blocked_until = self.store.limit_state(self.name)
        return max(0.0, max(next_at, blocked_until) - self._clock())

    def hold_off(self, seconds: float) -> None:
        self.store.hold_off(self.name, until=self._clock() + seconds)


def share_limits(
    store: Store,
    wayback: WaybackClient,
    mementos: MementoClient | None,
    *,
    clock: Callable[[], float] = time.time,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> None:
    """Put the clients' endpoints under limits shared through ``store``."""

    def shared(name: str, limiter: RateLimiter) -> SharedRateLimiter:
        return SharedRateLimiter(store, name, limiter.limit, clock=clock, sleep=sleep)

    wayback.cdx_limiter = shared("wayback-cdx", wayback.cdx_limiter)
    wayback.save_limiter = shared("wayback-save", wayback.save_limiter)
    wayback.status_limiter = shared("wayback-status", wayback.status_limiter)
    if mementos is not None:
        mementos.limiters = {
            key: shared(f"memento:{key}", limiter) for key, limiter in mementos.limiters.items()
        }
        mementos.aggregator_limiter = shared("memento-aggregator", mementos.aggregator_limiter)


class LinkClaims:
    """One worker's claims on the links it archives (see the module's docstring).

    Use as an async context manager around the archive step: it renews the claims
    while the step runs and releases them all at its end.
    """

    def __init__(
        self,
        store: Store,
        *,
        holder: str,
        run_id: int | None,
        clock: Callable[[], datetime],
        lease_s: float,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.store = store
        self.holder = holder
        self.run_id = run_id
        self._clock = clock
        self._lease = timedelta(seconds=lease_s)
        self._sleep = sleep
        self._started = clock()
        self._renewer: asyncio.Task[None] | None = None
        self.skipped = 0

    def claim(self, link_id: int, url: str) -> bool:
        """Whether this worker is to work on the link: True once it holds its claim and
        nobody archived it since this worker began; False (skip it) otherwise."""
        key = CLAIM_PREFIX + url
        if not self.store.claim_host(
            key, holder=self.holder, run_id=self.run_id, now=self._clock(), lease=self._lease
        ):
            self.skipped += 1
            return False
        if self.store.archived_since(link_id, self._started):
            self.skipped += 1
            return False
        return True

    async def _keep_renewed(self) -> None:
        while True:
            await self._sleep(self._lease.total_seconds() / 3)
            self.store.renew_held(
                CLAIM_PREFIX, holder=self.holder, now=self._clock(), lease=self._lease
            )
            if self.run_id is not None:  # the run's lease on itself (store.begin_run)
                self.store.renew_hosts(
                    [run_lease_key(self.run_id)],
                    holder=self.holder,
                    now=self._clock(),
                    lease=self._lease,
                )

    async def __aenter__(self) -> LinkClaims:
        self._started = self._clock()
        self._renewer = asyncio.ensure_future(self._keep_renewed())
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._renewer is not None:
            self._renewer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._renewer
        self.store.release_held(CLAIM_PREFIX, holder=self.holder)
