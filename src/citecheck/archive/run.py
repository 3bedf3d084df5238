"""One archive run over a store (:func:`archive_links`): which links are looked up,
in what order, within the time budget; the work on each link is job.py's."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from ..config import ArchiveSettings
from ..incidents import IncidentLog
from ..store import Store
from .elsewhere import Elsewhere
from .job import ArchiveJob
from .policy import archivable, copy_wanted, lookup_due
from .summary import ArchiveProgress, ArchiveSummary
from .wayback import WaybackClient


async def archive_links(
    store: Store,
    client: WaybackClient,
    settings: ArchiveSettings,
    *,
    clock: Callable[[], datetime],
    monotonic: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    incidents: IncidentLog | None = None,
    on_progress: Callable[[ArchiveProgress], None] | None = None,
    elsewhere: Elsewhere | None = None,
    claim: Callable[[int, str], bool] | None = None,
) -> ArchiveSummary:
    """Find (or refresh) every cited link's copy, and capture live pages that need it.

    SPN2 jobs left pending by an earlier run are polled first. Look-ups run
    concurrently (at most ``cdx_concurrency`` in flight) under the CDX rate limit;
    captures run one at a time under the save rate limit, alongside the look-ups.
    Raises ArchiveUnreachableError when the archive stops answering at all. With a
    ``settings.time_budget_s``, no look-up starts and no capture is asked for once it
    is spent: what is left is counted and waits for the next run, so a nightly job
    over thousands of new links is not held for hours by the archive's rate limits.
    ``on_progress`` is told the counts after each look-up and capture, and before a
    capture waits for the save rate limit. ``claim(link_id, url)``, when given, says
    whether to work on a link (False: another worker does, archive/shared.py).
    """
    started = monotonic()
    incidents = incidents if incidents is not None else IncidentLog(None)
    job = ArchiveJob(
        store, client, settings, clock, monotonic, sleep, incidents, on_progress, elsewhere
    )

    def over_budget() -> bool:
        budget = settings.time_budget_s
        if budget is None or monotonic() - started < budget:
            return False
        if not job.saving_closed:  # the captures still queued wait for the next run
            job.saving_closed = True
            job.counts["saves_left"] += job.save_queue.qsize()
        return True

    for record in store.pending_captures():
        if not job.quarantined(record) and (claim is None or claim(record.link_id, record.url)):
            job.start_poll(record)
    saver = asyncio.ensure_future(job.save_worker())
    slots = asyncio.Semaphore(settings.cdx_concurrency)
    try:
        for stored in store.iter_archive_rows():
            job.raise_failure()
            if not archivable(stored.state.url):
                continue
            row = job.usable(stored)
            wanted = copy_wanted(row.state, row.accessed, now=clock())
            if wanted is None or (claim is not None and not claim(row.link_id, row.state.url)):
                continue
            job.counts["links"] += 1
            if over_budget():
                # Out of time for this run: the look-up and any capture wait for the next.
                job.counts["lookups_left"] += 1
                continue
            if not lookup_due(wanted, row.lookup, now=clock(), max_age=settings.capture_max_age):
                assert row.lookup is not None
                job.counts["cached"] += 1
                job.counts["with_copy" if row.lookup.timestamp else "without_copy"] += 1
                job.consider_capture(row, row.lookup.timestamp)
                continue
            await slots.acquire()
            job.track(job.lookups, job.lookup(row, wanted), on_done=slots.release)
        await _gather(job.lookups)
        job.raise_failure()
        over_budget()
        await _until_done(job.save_queue, saver)
        await _gather(job.polls)
        job.raise_failure()
    finally:
        saver.cancel()
        tasks = (saver, *job.lookups, *job.polls)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    return ArchiveSummary(
        **job.counts,
        elapsed_s=monotonic() - started,
        from_other_archives=elsewhere.chosen if elsewhere else 0,
        archives_skipped=elsewhere.summary() if elsewhere else (),
    )


async def _gather(tasks: set[asyncio.Task[None]]) -> None:
    """Wait for every task in ``tasks``, including any started meanwhile."""
    while tasks:
        await asyncio.wait(list(tasks))


async def _until_done(queue: asyncio.Queue[Any], worker: asyncio.Task[None]) -> None:
    """Wait for ``queue`` to drain, re-raising the worker's error if it died."""
    drained = asyncio.ensure_future(queue.join())
    try:
        await asyncio.wait({drained, worker}, return_when=asyncio.FIRST_COMPLETED)
        if worker.done():
            worker.result()
    finally:
        drained.cancel()
