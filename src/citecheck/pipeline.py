"""The job, as library calls: sources → check → record → archive → report.

Every CLI command is one call here, so the job can be scripted without the CLI::

    from citecheck.pipeline import check_links_in_store, load_sources
    with Store.open("archive.db") as store:
        load_sources(store, Path("sources.csv"), now=utc_now())
        summary = check_links_in_store(store, Settings())
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from . import judges
from .check import Checker, CheckRequest, Clock, check_links, utc_now
from .config import (
    DEFAULT_RUN_ARCHIVE_MINUTES,
    ArchiveSettings,
    Schedule,
    Settings,
)
from .errors import NetworkOfflineError
from .fetch import Fetcher
from .incidents import IncidentLog, error_log_path
from .interrupt import Interruption, run_stoppable
from .landings import SharedTargets
from .models import (
    CHANGE_KINDS,
    CheckResult,
    LinkState,
)
from .recorder import CheckRecorder, LinksInFlight
from .schedule import is_due
from .sources import (
    iter_sources,
    validate_sources,
)
from .store import LinkRead, Store, SyncSummary

if TYPE_CHECKING:
    from .archive import ArchiveProgress
    from .moves import KnownContent
    from .pages import PageQuestion
    from .summaries import CheckSummary, RunSummary

# archive/, archiving.py, extract/, extracting.py, fix/ and the reports are imported
# where they are used: a check needs none of them, and importing them was a third of
# a check's start-up (issue 11).
_FIX_ENTRY_POINTS = frozenset(
    {
        "fix_decisions",
        "plan_document_fix",
        "refuse_unfixable",
        "undo_document_fix",
        "write_document_fix",
    }
)
#: The archive stage's entry points (archiving.py) and the extract stage's
#: (extracting.py), the job's too; and the summaries a check and the job return,
#: whose home is summaries.py (a check imports it at its end).
_STAGE_ENTRY_POINTS = {
    "archive_as_worker": "archiving",
    "archive_links_in_store": "archiving",
    "DocumentCitations": "extracting",
    "extract_to_sources": "extracting",
    "CheckSummary": "summaries",
    "RunSummary": "summaries",
}


def __getattr__(name: str) -> object:
    """The fix, archive and extract entry points and the summaries, re-exported
    here and imported on first use."""
    if name in _FIX_ENTRY_POINTS:
        from . import fix

        return getattr(fix, name)
    if name in _STAGE_ENTRY_POINTS:
        stage = importlib.import_module(f".{_STAGE_ENTRY_POINTS[name]}", __package__)
        return getattr(stage, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def check_sources(sources: Path) -> int:
    """Read ``sources`` through once, storing nothing: InputError if it is rejected.
    Returns the number of citation rows. Streamed, so any size costs one row of memory."""
    return validate_sources(sources)


def load_sources(store: Store, sources: Path, *, now: datetime) -> SyncSummary:
    """Make the store's citations those of ``sources`` (streamed). Its summary counts
    them and the links they cite (the active links, as ``status_counts`` sums them
    at that moment: a check's progress line needs no second count)."""
    return store.sync_citations(iter_sources(sources), now=now)


#: Seconds a recorded check may wait for its commit, however slowly results come.
_COMMIT_EVERY_S = 1.0


@contextlib.contextmanager
def every(seconds: float, action: Callable[[], None]) -> Iterator[None]:
    """Call ``action`` every ``seconds`` in the running event loop while the block runs
    (so in the store's own thread)."""
    loop = asyncio.get_running_loop()
    handle: asyncio.TimerHandle | None = None

    def tick() -> None:
        nonlocal handle
        action()
        handle = loop.call_later(seconds, tick)

    handle = loop.call_later(seconds, tick)
    try:
        yield
    finally:
        handle.cancel()


async def _check_all(
    store: Store,
    run_id: int,
    settings: Settings,
    clock: Clock,
    requests: Iterable[CheckRequest],
    in_flight: LinksInFlight,
    changes: dict[str, list[str]],
    on_result: Callable[[CheckResult, LinkState], None] | None,
    landings: SharedTargets[LinkState | None],
) -> int:
    checked = 0
    incidents = IncidentLog(error_log_path(store.path))
    # Checks are judged as they come and written a batch per transaction (as a
    # worker writes them): at most BATCH_CHECKS, or _COMMIT_EVERY_S, wait unwritten.
    # What they are judged against was read with the links (in_flight).
    recorder = CheckRecorder(
        store, run_id, settings, incidents, on_recorded=lambda _: None,
        read_baseline=in_flight.baseline, link_id_of=in_flight.link_id,
    )  # fmt: skip

    def record(result: CheckResult, previous: LinkState | None) -> None:
        nonlocal checked
        state = recorder.add(previous, result, None)
        in_flight.forget(result.url)
        kind = judges.change_of(previous, state)
        if kind is not None:
            changes[kind].append(state.url)
        checked += 1
        if on_result is not None:
            on_result(result, state)

    async with Fetcher(settings) as fetcher:
        checker = Checker(
            fetcher,
            settings,
            clock=clock,
            incidents=incidents,
            known_content=lambda r: known_content_of(store, r, in_flight.read(r.url)),
            page_question=lambda url: page_question_of(store, in_flight, url),
        )
        try:
            with every(_COMMIT_EVERY_S, recorder.flush):
                try:
                    async for request, result in check_links(requests, checker, settings):
                        for ready, previous in landings.add(result, request.previous):
                            record(ready, previous)
                finally:
                    # Redirects waiting for a second sender to their target are what
                    # they seemed: recorded even when the run stops early.
                    for held, previous in landings.flush():
                        record(held, previous)
        finally:
            recorder.flush()
    return checked


def page_question_of(store: Store, in_flight: LinksInFlight, url: str) -> PageQuestion | None:
    """store.page_question, asked only of links whose citations name a page or a
    claim (known from the read of the link: no query for the others)."""
    return store.page_question(url) if in_flight.cites_pages(url) else None


def known_content_of(store: Store, request: CheckRequest, read: LinkRead | None) -> KnownContent:
    """What the cited page is known to be: its cited titles, the title it was last
    seen with, and the text it was first seen with; asked only after a redirect.
    ``read`` is what was read with the link: its baseline, and whether any citation
    gives it a title (if not, the store is not asked for them)."""
    titles = store.cited_titles(request.url) if read is None or read.cites_titles else []
    if request.previous is not None and request.previous.title:
        titles.append(request.previous.title)
    baseline = None if read is None else read.baseline
    if baseline is not None and baseline.title:
        titles.append(baseline.title)
    return judges.KnownContent(
        titles=tuple(dict.fromkeys(titles)),
        fingerprint=baseline.text_fingerprint if baseline is not None else None,
    )


def _requests(
    reads: Iterable[LinkRead],
    in_flight: LinksInFlight,
    landings: SharedTargets,
    due_at: datetime | None,
    schedule: Schedule,
) -> Iterator[CheckRequest]:
    """The checks of ``reads``' links (with ``due_at``, of those the schedule says are
    due then); every link's last landing is remembered, due or not."""
    for read in reads:
        landings.remember(read.state)
        if due_at is None or is_due(read.state, schedule, due_at):
            yield in_flight.request(read)


def check_links_in_store(
    store: Store,
    settings: Settings,
    *,
    clock: Clock = utc_now,
    command: str = "check",
    due_only: bool = False,
    on_result: Callable[[CheckResult, LinkState], None] | None = None,
) -> CheckSummary:
    """Check the cited links (all of them, or with ``due_only`` those the schedule
    says are due) and record each result as it comes.

    Holds the store's writer lock for the whole run (a second run refuses with
    DatabaseBusyError). If the network turns out to be down, the checks already
    recorded stand (each was believed only after the network was seen working),
    the run is recorded as offline, and the summary says so: nothing is marked
    broken because of a dead network. SIGINT or SIGTERM stops the run at the next
    result: what was recorded stays, the run is recorded as interrupted, and the
    summary names the signal (interrupt.py).
    """
    with store.writer_lock():
        return _check(store, settings, clock, command, due_only, on_result)


def _check(
    store: Store,
    settings: Settings,
    clock: Clock,
    command: str,
    due_only: bool,
    on_result: Callable[[CheckResult, LinkState], None] | None,
) -> CheckSummary:
    started = time.monotonic()
    now = clock()
    before = store.last_run()
    first_run = before is None or before.last_complete_at is None
    run_id = store.begin_run(command, now=now)
    landings: SharedTargets[LinkState | None] = SharedTargets()
    in_flight = LinksInFlight()
    due_at = now if due_only else None
    requests = _requests(store.active_link_reads(), in_flight, landings, due_at, settings.schedule)
    changes: dict[str, list[str]] = {kind: [] for kind in CHANGE_KINDS}
    outcome = "failed"
    offline_detail = None
    interruption = Interruption()
    checked = 0

    def counted(result: CheckResult, state: LinkState) -> None:
        nonlocal checked
        checked += 1
        if on_result is not None:
            on_result(result, state)

    try:
        run_stoppable(
            _check_all(
                store, run_id, settings, clock, requests, in_flight, changes, counted, landings
            ),
            interruption,
        )
        outcome = "finished" if interruption.signum is None else "interrupted"
    except NetworkOfflineError as exc:
        outcome, offline_detail = "offline", str(exc)
    finally:
        counts = store.status_counts()
        store.record_changes(run_id, changes)
        store.finish_run(run_id, now=clock(), outcome=outcome, summary=counts)
    from .summaries import CheckSummary  # at the end: not a check's start (issue 11)

    return CheckSummary(
        run_id=run_id,
        checked=checked,
        counts=counts,
        elapsed_s=time.monotonic() - started,
        offline=outcome == "offline",
        offline_detail=offline_detail,
        due_only=due_only,
        changes=changes,
        first_run=first_run,
        interrupted_by=interruption.signum,
    )


def run_job(
    store: Store,
    sources: Path,
    settings: Settings,
    archive_settings: ArchiveSettings,
    *,
    clock: Clock = utc_now,
    due_only: bool = True,
    on_result: Callable[[CheckResult, LinkState], None] | None = None,
    on_archive_progress: Callable[[ArchiveProgress], None] | None = None,
) -> RunSummary:
    """The scheduled job, under one writer lock: load ``sources``, check the links
    that are due, archive, write the reports of ``settings.report_outputs``.

    The archive step gets ``DEFAULT_RUN_ARCHIVE_MINUTES`` unless
    ``archive_settings`` sets a time budget, and is skipped when the network is down
    or the check was interrupted. The reports are written in every case, so that
    they say how the run ended.
    """
    if archive_settings.time_budget_s is None:
        archive_settings = replace(archive_settings, time_budget_s=DEFAULT_RUN_ARCHIVE_MINUTES * 60)
    from .archiving import archive_step
    from .summaries import RunSummary

    with store.writer_lock():
        load_sources(store, sources, now=clock())
        checked = _check(store, settings, clock, "run", due_only, on_result)
        archived = None
        if not checked.offline and checked.interrupted_by is None:
            archived = archive_step(
                store, settings, archive_settings, clock, "run-archive", None, on_archive_progress
            )
        written = write_reports(store, settings, now=clock())
    return RunSummary(checked, archived, written)


def write_reports(store: Store, settings: Settings, *, now: datetime) -> list[Path]:
    """Write the reports of ``settings.report_outputs`` (each atomically); their paths."""
    from .outputs import open_output
    from .report import write_report
    from .report.build import build_report

    built = build_report(store, now=now, schedule=settings.schedule)
    written = []
    for output in settings.report_outputs:
        with open_output(output.path) as out:
            write_report(built, output.format, out)
        written.append(output.path)
    return written
