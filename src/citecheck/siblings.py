"""Soft-404 sibling probes of one run: a random path next to a page, asked once per
(host, directory) and shared by every link of that directory.

An answer is remembered for the rest of the run (at most ``_CACHE_SIZE``
directories, each without its body: the verdict needs only the answer's status,
final URL and the page read from it), and a probe in flight is shared too: a
link whose directory is being probed waits for that answer rather than sending a
probe of its own. Without that, every link of a host that ended before its
directory's first probe had its own probe: 50 probes where 20 would do in the
2,000-link benchmark, each a request on its host's lane (issue 11, BENCHMARKS.md
"Eleventh step"). The wait counts against the waiting link's deadline (one
deadline per URL); a probe that failed (cut short by its own link's deadline,
perhaps) is neither remembered nor shared, and whoever waited for it probes on
their own.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping

from . import judges
from .fetch import Budget
from .models import FetchOutcome, PageInfo

#: Sibling-probe answers remembered per (host, directory) within a run.
_CACHE_SIZE = 2048

Probe = tuple[FetchOutcome, PageInfo]


class SiblingProbes:
    """``fetch(url, budget=...)`` is the fetcher's, ``token()`` names a random
    sibling, ``read_page(body, headers)`` reads what it answered."""

    def __init__(
        self,
        fetch: Callable[..., Awaitable[FetchOutcome]],
        token: Callable[[], str],
        read_page: Callable[[bytes, Mapping[str, str]], PageInfo],
    ) -> None:
        self._fetch = fetch
        self._token = token
        self._read_page = read_page
        self._answers: OrderedDict[tuple[str, str], Probe] = OrderedDict()
        #: Probes in flight: their answer once known, None if it is not to be shared.
        self._probing: dict[tuple[str, str], asyncio.Future[Probe | None]] = {}

    async def answer(self, final_url: str, budget: Budget) -> Probe:
        """What a random sibling of ``final_url`` answers, within ``budget``."""
        parts = judges.url_parts(final_url)  # (split by needs_sibling_probe just before)
        key = (parts.netloc.lower(), parts.path.rsplit("/", 1)[0])
        known = self._answers.get(key)
        if known is not None:
            self._answers.move_to_end(key)
            return known
        probing = self._probing.get(key)
        if probing is not None:
            shared = await _shared(probing, budget)
            if shared is not None:
                return shared
        return await self._probe(key, final_url, budget)

    async def _probe(self, key: tuple[str, str], final_url: str, budget: Budget) -> Probe:
        probing: asyncio.Future[Probe | None] | None = None
        if key not in self._probing:
            probing = self._probing[key] = asyncio.get_running_loop().create_future()
        shared: Probe | None = None
        try:
            outcome = await self._fetch(judges.sibling_url(final_url, self._token()), budget=budget)
            probe = (outcome, self._read_page(outcome.body, outcome.headers))
            if outcome.error is not None:
                return probe  # cut short by this link's deadline, perhaps: not for the others
            # Kept and shared without the body (up to the body cap each, for as many
            # as _CACHE_SIZE directories): bounded memory on the real web.
            shared = self._answers[key] = (dataclasses.replace(outcome, body=b""), probe[1])
            if len(self._answers) > _CACHE_SIZE:
                self._answers.popitem(last=False)
            return shared
        finally:
            if probing is not None:
                del self._probing[key]
                probing.set_result(shared)


async def _shared(probing: asyncio.Future[Probe | None], budget: Budget) -> Probe | None:
    """Another link's probe, waited for within this link's deadline (the wait is
    taken from ``budget``); None when it failed or this deadline ended first."""
    if budget.remaining_s <= 0:
        return None
    started = time.monotonic()
    done, _ = await asyncio.wait((probing,), timeout=budget.remaining_s)
    budget.remaining_s = max(0.0, budget.remaining_s - (time.monotonic() - started))
    return probing.result() if done else None


__all__ = ["SiblingProbes"]
