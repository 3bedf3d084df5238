"""Whether a connection-level failure can be believed: was the network seen working after it?

The check stage (check.py) asks this before it calls a link with no HTTP answer
broken or failing, so a dead network never turns into a night of false alarms.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .fetch import Fetcher


class NetworkMonitor:
    """Decides whether a connection-level failure can be believed.

    A failure is believed when the network was seen working after it happened:
    an HTTP response from any host, or a successful reachability probe. Probes are
    single-flight: concurrent failures share one probe.
    """

    def __init__(self, fetcher: Fetcher) -> None:
        self._fetcher = fetcher
        self._last_response = float("-inf")
        self._last_probe_ok = float("-inf")
        self._probe: asyncio.Task[bool] | None = None
        self._probe_started = float("-inf")
        self.offline = False

    def saw_response(self) -> None:
        self._last_response = time.monotonic()

    async def seen_working_since(self, since: float) -> bool:
        """True if the network answered at any moment after ``since`` (monotonic)."""
        while True:
            if max(self._last_response, self._last_probe_ok) >= since:
                return True
            if self._probe is None or self._probe_started < since:
                self._probe_started = time.monotonic()
                self._probe = asyncio.ensure_future(self._run_probe())
            probe, started = self._probe, self._probe_started
            up = await asyncio.shield(probe)
            if started >= since:
                if not up:
                    self.offline = True
                return up

    async def _run_probe(self) -> bool:
        up = await self._fetcher.is_network_up()
        if up:
            self._last_probe_ok = time.monotonic()
        return up
