"""The job, as library calls: sources → check → record → archive → report.

Every CLI command is one call here, so the job can be scripted without the CLI::

    from citecheck.pipeline import check_links_in_store, load_sources
    with Store.open("archive.db") as store:
        load_sources(store, Path("sources.csv"), now=utc_now())
        summary = check_links_in_store(store, Settings())
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from .archive import ArchiveSummary, ArchiveUnreachableError, WaybackClient, archive_links
from .check import Checker, CheckRequest, Clock, check_links
from .config import ArchiveSettings, Settings
from .errors import NetworkOfflineError
from .fetch import Fetcher
from .models import CheckResult, LinkState, Status
from .report import LinkReport, Report
from .sources import iter_sources
from .store import Store
from .verdict import next_state

if TYPE_CHECKING:
    import httpx

#: Seconds one Wayback request may take: SPN2 and the CDX index are often slow.
DEFAULT_ARCHIVE_TIMEOUT_S = 60.0


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class CheckSummary:
    """What one check run did. ``counts`` are all cited links by status after the run."""

    run_id: int
    checked: int
    counts: dict[str, int]
    elapsed_s: float
    offline: bool = False
    offline_detail: str | None = None
    newly: dict[str, list[str]] = field(default_factory=dict)

    @property
    def broken(self) -> int:
        return self.counts.get(Status.BROKEN.value, 0)

    @property
    def exit_code(self) -> int:
        """0 no broken link; 1 broken links present; 3 the network looks offline."""
        if self.offline:
            return 3
        return 1 if self.broken else 0


def load_sources(store: Store, sources: Path, *, now: datetime) -> int:
    """Make the store's citations those of ``sources`` (streamed). Returns their number."""
    counted = 0

    def counting() -> Iterator:
        nonlocal counted
        for citation in iter_sources(sources):
            counted += 1
            yield citation

    store.sync_citations(counting(), now=now)
    return counted


def _requests(states: Iterator[LinkState]) -> Iterator[CheckRequest]:
    for state in states:
        yield CheckRequest(url=state.url, previous=state)


async def _check_all(
    store: Store,
    run_id: int,
    settings: Settings,
    clock: Clock,
    on_result: Callable[[CheckResult, LinkState], None] | None,
) -> int:
    checked = 0
    async with Fetcher(settings) as fetcher:
        checker = Checker(fetcher, settings, clock=clock)
        async for result in check_links(_requests(store.active_links()), checker, settings):
            previous = store.link_state(result.url)
            state = next_state(previous, result, settings.confirmation)
            store.record_check(run_id, result, state)
            checked += 1
            if on_result is not None:
                on_result(result, state)
    return checked


def check_links_in_store(
    store: Store,
    settings: Settings,
    *,
    clock: Clock = utc_now,
    command: str = "check",
    on_result: Callable[[CheckResult, LinkState], None] | None = None,
) -> CheckSummary:
    """Check every cited link once and record each result as it comes.

    Holds the store's writer lock for the whole run (a second run refuses with
    DatabaseBusyError). If the network turns out to be down, the checks already
    recorded stand (each was believed only after the network was seen working),
    the run is recorded as offline, and the summary says so: nothing is marked
    broken because of a dead network.
    """
    started = time.monotonic()
    with store.writer_lock():
        run_id = store.begin_run(command, now=clock())
        outcome = "failed"
        offline_detail = None
        checked = 0
        try:
            checked = asyncio.run(_check_all(store, run_id, settings, clock, on_result))
            outcome = "finished"
        except NetworkOfflineError as exc:
            outcome, offline_detail = "offline", str(exc)
        except (KeyboardInterrupt, asyncio.CancelledError):
            outcome = "interrupted"
            raise
        finally:
            counts = store.status_counts()
            store.finish_run(run_id, now=clock(), outcome=outcome, summary=counts)
    return CheckSummary(
        run_id=run_id,
        checked=checked,
        counts=counts,
        elapsed_s=time.monotonic() - started,
        offline=outcome == "offline",
        offline_detail=offline_detail,
    )


async def _archive_all(
    store: Store,
    settings: Settings,
    archive_settings: ArchiveSettings,
    clock: Clock,
    transport: httpx.AsyncBaseTransport | None,
) -> ArchiveSummary:
    async with Fetcher(settings, transport=transport) as fetcher:
        client = WaybackClient(
            fetcher.client,
            archive_settings,
            timeout_s=max(settings.timeout_s, DEFAULT_ARCHIVE_TIMEOUT_S),
        )
        return await archive_links(store, client, archive_settings, clock=clock)


def archive_links_in_store(
    store: Store,
    settings: Settings,
    archive_settings: ArchiveSettings,
    *,
    clock: Clock = utc_now,
    command: str = "archive",
    transport: httpx.AsyncBaseTransport | None = None,
) -> ArchiveSummary:
    """Find every cited link's archived copy and capture live pages that need one.

    Holds the writer lock and records the run like a check. If the archive cannot be
    reached at all, the run is recorded as ``offline`` and the summary says so
    (exit code 3); nothing was marked because of it.
    """
    started = time.monotonic()
    with store.writer_lock():
        run_id = store.begin_run(command, now=clock())
        outcome = "failed"
        summary = ArchiveSummary()
        try:
            summary = asyncio.run(_archive_all(store, settings, archive_settings, clock, transport))
            outcome = "finished"
        except ArchiveUnreachableError as exc:
            outcome = "offline"
            summary = ArchiveSummary(unreachable=True, unreachable_detail=str(exc))
        except (KeyboardInterrupt, asyncio.CancelledError):
            outcome = "interrupted"
            raise
        finally:
            store.finish_run(run_id, now=clock(), outcome=outcome, summary=summary.counts())
    return replace(summary, elapsed_s=time.monotonic() - started)


def build_report(store: Store, *, now: datetime) -> Report:
    """The report over every cited link, streamed from the store, with each link's
    archived copy (for a broken link, the one to swap in; for a live one, its newest)."""

    def links() -> Iterator[LinkReport]:
        for link_id, state, citations, history in store.iter_report_rows():
            copy = store.archive_copy(link_id)
            yield LinkReport(
                state=state,
                citations=citations,
                history=history,
                archive_url=copy[0] if copy else None,
                archive_timestamp=copy[1] if copy else None,
            )

    return Report(generated_at=now, summary=store.status_counts(), links=links)
