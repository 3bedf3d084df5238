"""The archive stage as library calls: every cited link's archived copy found, live
pages captured, the cited pages of archived PDFs read; alone under the writer lock,
or as one of many workers (``run --worker``) with links claimed and limits shared.

archive/ is imported inside the calls: a check needs none of it (issue 11).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from typing import TYPE_CHECKING

from .check import Clock, utc_now
from .config import DEFAULT_ARCHIVE_TIMEOUT_S, ArchiveSettings, Settings
from .fetch import Fetcher
from .incidents import IncidentLog, error_log_path
from .interrupt import Interruption, run_stoppable
from .store import Store

if TYPE_CHECKING:
    import httpx

    from .archive import ArchiveProgress, ArchiveSummary
    from .archive.shared import ArchiveWorker, LinkClaims


async def _archive_all(
    store: Store,
    settings: Settings,
    archive_settings: ArchiveSettings,
    clock: Clock,
    transport: httpx.AsyncBaseTransport | None,
    on_progress: Callable[[ArchiveProgress], None] | None,
    claims: LinkClaims | None = None,
) -> ArchiveSummary:
    from .archive import (
        ArchiveUnreachableError,
        Elsewhere,
        MementoClient,
        WaybackClient,
        archive_links,
    )
    from .archive.pages import check_archived_pages

    started = time.monotonic()
    async with Fetcher(settings, transport=transport) as fetcher:
        client = WaybackClient(
            fetcher.client,
            archive_settings,
            timeout_s=max(settings.timeout_s, DEFAULT_ARCHIVE_TIMEOUT_S),
        )
        incidents = IncidentLog(error_log_path(store.path))
        elsewhere = mementos = None
        if archive_settings.memento.active:
            mementos = MementoClient(fetcher.client, archive_settings.memento)
            elsewhere = Elsewhere(mementos, archive_settings)
        if claims is not None:  # a worker's: limits and links shared (archive/shared.py)
            from .archive.shared import share_limits

            share_limits(store, client, mementos)
        async with claims if claims is not None else contextlib.nullcontext():
            summary = await archive_links(
                store,
                client,
                archive_settings,
                clock=clock,
                incidents=incidents,
                on_progress=on_progress,
                elsewhere=elsewhere,
                claim=claims.claim if claims is not None else None,
            )
        budget_s = archive_settings.time_budget_s
        await check_archived_pages(
            store,
            fetcher,
            archive_settings,
            clock=clock,
            incidents=incidents,
            over_budget=lambda: budget_s is not None and time.monotonic() - started > budget_s,
        )
    if client.answers == 0 and client.no_answer_streak > 0:
        # Fewer requests than the streak that proves a dead archive, none answered.
        raise ArchiveUnreachableError(
            f"{client.no_answer_streak} request{'s' if client.no_answer_streak != 1 else ''}"
            f" to {archive_settings.wayback_url} got no answer at all, and none did"
        )
    return summary


def archive_links_in_store(
    store: Store,
    settings: Settings,
    archive_settings: ArchiveSettings,
    *,
    clock: Clock = utc_now,
    command: str = "archive",
    transport: httpx.AsyncBaseTransport | None = None,
    on_progress: Callable[[ArchiveProgress], None] | None = None,
) -> ArchiveSummary:
    """Find every cited link's archived copy and capture live pages that need one.

    Holds the writer lock and records the run like a check. If the archive cannot be
    reached at all (no request of the run got an answer, or too many in a row did
    not), the run is recorded as ``offline`` and the summary says so (exit code 3);
    nothing was marked because of it. SIGINT or SIGTERM stops it as it does a check.
    """
    with store.writer_lock():
        return archive_step(
            store, settings, archive_settings, clock, command, transport, on_progress
        )


def archive_as_worker(
    store: Store,
    settings: Settings,
    archive_settings: ArchiveSettings,
    *,
    clock: Clock,
    worker: ArchiveWorker,
    on_progress: Callable[[ArchiveProgress], None] | None = None,
) -> ArchiveSummary:
    """The archive step of ``run --worker`` (workers.py): without the writer lock,
    beside other workers, each link claimed and the rate limits shared."""
    return archive_step(
        store, settings, archive_settings, clock, "run-archive", None, on_progress, worker
    )


def archive_step(
    store: Store,
    settings: Settings,
    archive_settings: ArchiveSettings,
    clock: Clock,
    command: str,
    transport: httpx.AsyncBaseTransport | None,
    on_progress: Callable[[ArchiveProgress], None] | None,
    worker: ArchiveWorker | None = None,
) -> ArchiveSummary:
    """One archive run recorded in ``runs`` as ``command``: ``offline`` when the archive
    could not be reached at all, ``interrupted`` on SIGINT or SIGTERM."""
    from .archive import ArchiveSummary, ArchiveUnreachableError

    started = time.monotonic()
    lease = None if worker is None else timedelta(seconds=worker.lease_s)
    run_id = store.begin_run(command, now=clock(), worker=worker is not None, lease=lease)
    claims = None
    if worker is not None:
        from .archive.shared import LinkClaims

        claims = LinkClaims(
            store, holder=worker.holder, run_id=run_id, clock=clock, lease_s=worker.lease_s
        )
    outcome = "failed"
    summary = ArchiveSummary()
    interruption = Interruption()
    try:
        work = _archive_all(
            store, settings, archive_settings, clock, transport, on_progress, claims
        )
        summary = run_stoppable(work, interruption) or summary
        outcome = "finished" if interruption.signum is None else "interrupted"
    except ArchiveUnreachableError as exc:
        outcome = "offline"
        summary = ArchiveSummary(unreachable=True, unreachable_detail=str(exc))
    finally:
        store.finish_run(run_id, now=clock(), outcome=outcome, summary=summary.counts())
    return replace(
        summary, elapsed_s=time.monotonic() - started, interrupted_by=interruption.signum
    )
