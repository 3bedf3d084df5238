"""``run --worker``: many processes, on one machine or several, sharing one database.

A worker does not take the writer lock a normal run holds for its whole length
(workers coexist; they take it only for the moment the sources load). Instead it
claims the hosts it checks, one lease per host (store/leases.py):

1. It lists the hosts that have links due at its start (``now``).
2. It goes through them, claiming each it can (skipping, in one query a pass, those
   others hold). For a host it holds, it reads its due links' states again, as they
   stand now (100 a query, store/batches.py), and checks the links that are still
   due and were not checked since the worker started (another worker, or a killed
   one before it died, may have checked them: those are not due any more).
3. Its checks are recorded a batch per transaction (recorder.py); when the last
   of a host's checks is committed, it releases the host. While it works it renews
   its leases (and its run's lease on itself) every third of the lease's length.
4. Hosts another worker holds stay on its list; it comes back to them after a
   pause, until every host on its list is done by someone. A killed worker's
   leases expire and are taken over.

So one host is checked by one worker at a time and the per-host limit holds across
machines, and no link is checked twice within its due interval. All the links of
the hosts being checked go through one event loop and one HTTP client, as in a
normal run (check.py's lanes).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from . import judges
from .check import Checker, CheckRequest, Clock, check_links
from .config import DEFAULT_RUN_ARCHIVE_MINUTES, ArchiveSettings, Settings
from .errors import NetworkOfflineError
from .fetch import Fetcher
from .incidents import IncidentLog, error_log_path
from .interrupt import Interruption, run_stoppable
from .landings import SharedTargets
from .models import CHANGE_KINDS, CheckResult, LinkState
from .pipeline import (
    archive_as_worker,
    every,
    known_content_of,
    load_sources,
    page_question_of,
    write_reports,
)
from .recorder import FLUSH_EVERY_S, CheckRecorder, LinksInFlight
from .schedule import is_due
from .store import Store
from .store.leases import run_lease_key
from .summaries import CheckSummary, RunSummary
from .urls import host_key

if TYPE_CHECKING:
    from .archive import ArchiveProgress

#: How long a host's lease lasts unless renewed (``--lease-seconds``).
DEFAULT_LEASE_S = 120.0
#: Links read ahead per request slot: a small window, so that hosts are claimed
#: as the worker has room for them, not all at its start.
_WINDOW_PER_SLOT = 4
#: A host's due links read in one query (store.read_links) at most.
_READ_AHEAD = 100
#: Seconds a worker waits for the writer lock to load the sources: the other workers
#: load theirs one after another (a million citations take minutes), and a normal
#: run may hold it.
_LOAD_LOCK_WAIT_S = 900.0
#: The longest pause before a worker looks again at hosts other workers hold.
_MAX_POLL_S = 1.0


def worker_name() -> str:
    """``<pid>@<machine>``: who holds a lease, unique among live workers."""
    return f"{os.getpid()}@{socket.gethostname()}"


@dataclass
class _HostFeed:
    """The links to check, fed round robin from the hosts this worker holds.

    ``pending`` maps each host still to do to its due URLs (as listed at the start).
    Iterating makes one pass over ``pending``, holding at most ``max_hosts`` hosts
    being fed at once (enough to keep every request slot busy, few enough that one
    worker does not take every host while others are idle): a host claimed is fed
    and leaves ``pending``; a host another worker holds stays for the next pass.
    """

    store: Store
    settings: Settings
    clock: Clock
    started: datetime
    holder: str
    run_id: int
    lease: timedelta
    pending: dict[str, list[str]]
    landings: SharedTargets[LinkState | None]
    max_hosts: int
    held: set[str] = field(default_factory=set)
    fed: dict[str, int] = field(default_factory=dict)  # host → links fed, not recorded
    feeding: set[str] = field(default_factory=set)
    #: what was read with the links fed and not yet judged (baselines, cited pages)
    in_flight: LinksInFlight = field(default_factory=LinksInFlight)
    checked: int = 0  # results judged (written by the end)

    def __iter__(self) -> Iterator[CheckRequest]:
        # The hosts others hold now are left for the next pass without a claim each.
        listed = list(self.pending)
        held = self.store.hosts_held_by_others(listed, holder=self.holder, now=self.clock())
        unclaimed = iter([host for host in listed if host not in held])
        sources: dict[str, Iterator[CheckRequest]] = {}
        while True:
            while len(sources) < self.max_hosts:
                host = self._claim_next(unclaimed)
                if host is None:
                    break
                sources[host] = self._requests(host, self.pending.pop(host))
            if not sources:
                return
            for host in list(sources):
                request = next(sources[host], None)
                if request is not None:
                    yield request
                    continue
                del sources[host]
                self.feeding.discard(host)
                if self.fed[host] == 0:
                    self.release(host)

    def _claim_next(self, hosts: Iterator[str]) -> str | None:
        for host in hosts:
            if self.store.claim_host(
                host, holder=self.holder, run_id=self.run_id, now=self.clock(), lease=self.lease
            ):
                self.held.add(host)
                self.feeding.add(host)
                self.fed[host] = 0
                return host
        return None

    def _requests(self, host: str, urls: list[str]) -> Iterator[CheckRequest]:
        """The links of ``host`` still due, their states read now (under the lease),
        :data:`_READ_AHEAD` at a time in one query (store/batches.py)."""
        for start in range(0, len(urls), _READ_AHEAD):
            chunk = urls[start : start + _READ_AHEAD]
            reads = self.store.read_links(chunk)
            for url in chunk:
                read = reads.get(url)
                if read is None or not self._still_due(read.state):
                    continue
                self.landings.remember(read.state)
                self.fed[host] += 1
                yield self.in_flight.request(read)

    def _still_due(self, state: LinkState) -> bool:
        if state.checked_at is not None and state.checked_at >= self.started:
            return False  # checked since this worker started, by another worker
        return is_due(state, self.settings.schedule, self.started)

    def recorded(self, urls: list[str]) -> None:
        """``urls`` are written (committed): a host all of whose links are fed and
        written is released."""
        done = set()
        for url in urls:
            host = host_key(url) if url.startswith("http") else ""
            if host not in self.fed:
                continue
            self.fed[host] -= 1
            if self.fed[host] == 0 and host not in self.feeding:
                done.add(host)
        for host in done:
            self.release(host)

    def release(self, host: str) -> None:
        self.fed.pop(host, None)
        self.held.discard(host)
        self.store.release_host(host, holder=self.holder)

    def release_all(self) -> None:
        for host in list(self.held):
            self.release(host)


def due_hosts(store: Store, settings: Settings, now: datetime) -> dict[str, list[str]]:
    """The URLs due at ``now``, by host (the lease key: check.py's lane key)."""
    hosts: dict[str, list[str]] = {}
    for state in store.active_links():
        if is_due(state, settings.schedule, now):
            host = host_key(state.url) if state.url.startswith("http") else ""
            hosts.setdefault(host, []).append(state.url)
    return hosts


@contextlib.contextmanager
def _renewing(feed: _HostFeed, incidents: IncidentLog) -> Iterator[None]:
    """Renew the feed's leases every third of a lease while the block runs."""

    def renew() -> None:
        held = [run_lease_key(feed.run_id), *sorted(feed.held)]  # the run's own lease too
        lost = feed.store.renew_hosts(held, holder=feed.holder, now=feed.clock(), lease=feed.lease)
        for host in lost:  # paused past its lease: another worker may have the host now
            incidents.note(f"the lease on {host} expired before it was renewed")

    with every(feed.lease.total_seconds() / 3, renew):
        yield


async def _work(
    feed: _HostFeed,
    changes: dict[str, list[str]],
    on_result: Callable[[CheckResult, LinkState], None] | None,
) -> None:
    store, settings = feed.store, feed.settings
    incidents = IncidentLog(error_log_path(store.path))
    in_flight = feed.in_flight
    recorder = CheckRecorder(
        store,
        feed.run_id,
        settings,
        incidents,
        feed.recorded,
        read_baseline=in_flight.baseline,
        link_id_of=in_flight.link_id,
    )

    def record(result: CheckResult, previous: LinkState | None) -> None:
        state = recorder.add(previous, result, None)
        in_flight.forget(result.url)
        kind = judges.change_of(previous, state)
        if kind is not None:
            changes[kind].append(state.url)
        feed.checked += 1
        if on_result is not None:
            on_result(result, state)

    window = settings.concurrency * _WINDOW_PER_SLOT
    poll_s = min(_MAX_POLL_S, feed.lease.total_seconds() / 4)
    async with Fetcher(settings) as fetcher:
        checker = Checker(
            fetcher,
            settings,
            clock=feed.clock,
            incidents=incidents,
            known_content=lambda r: known_content_of(store, r, in_flight.read(r.url)),
            page_question=lambda url: page_question_of(store, in_flight, url),
        )
        try:
            while feed.pending:
                with _renewing(feed, incidents), every(FLUSH_EVERY_S, recorder.flush):
                    try:
                        checks = check_links(feed, checker, settings, window=window)
                        async for request, result in checks:
                            for ready, previous in feed.landings.add(result, request.previous):
                                record(ready, previous)
                    finally:
                        for held, previous in feed.landings.flush():
                            record(held, previous)
                        recorder.flush()
                if feed.pending:  # held by other workers: wait for them, or for their leases
                    await asyncio.sleep(poll_s)
        finally:
            try:
                recorder.flush()
            finally:
                feed.release_all()


@dataclass(frozen=True)
class WorkerOutcome:
    """What one worker's run did (summaries.CheckSummary is built from it)."""

    run_id: int
    checked: int
    outcome: str
    offline_detail: str | None
    changes: dict[str, list[str]]
    interrupted_by: int | None
    elapsed_s: float


def work_due_hosts(
    store: Store,
    settings: Settings,
    *,
    clock: Clock,
    lease_s: float = DEFAULT_LEASE_S,
    command: str = "run",
    on_result: Callable[[CheckResult, LinkState], None] | None = None,
) -> WorkerOutcome:
    """Check the links due now, host by host under leases, beside other workers.

    Records a run (marked as a worker's) like a check; the checks are committed a
    batch at a time (recorder.py), the last batch before the worker ends. SIGINT or
    SIGTERM stops the worker at the next result, its checks written and its leases
    released; a network found down ends it as ``offline``.
    """
    if lease_s <= 0:
        raise ValueError("a lease must last more than 0 seconds")
    started_clock = time.monotonic()
    now = clock()
    lease = timedelta(seconds=lease_s)
    run_id = store.begin_run(command, now=now, worker=True, lease=lease)
    feed = _HostFeed(
        store=store,
        settings=settings,
        clock=clock,
        started=now,
        holder=worker_name(),
        run_id=run_id,
        lease=lease,
        pending=due_hosts(store, settings, now),
        landings=SharedTargets(),
        # the hosts the request slots can serve at once, and one more (a host whose
        # links are all fed no longer counts, so slots stay busy as hosts finish)
        max_hosts=-(-settings.concurrency // settings.per_host) + 1,
    )
    changes: dict[str, list[str]] = {kind: [] for kind in CHANGE_KINDS}
    interruption = Interruption()
    outcome, offline_detail = "failed", None
    try:
        run_stoppable(_work(feed, changes, on_result), interruption)
        outcome = "finished" if interruption.signum is None else "interrupted"
    except NetworkOfflineError as exc:
        outcome, offline_detail = "offline", str(exc)
    finally:
        counts = store.status_counts()
        store.record_changes(run_id, changes)
        store.finish_run(run_id, now=clock(), outcome=outcome, summary=counts)
    return WorkerOutcome(
        run_id=run_id,
        checked=feed.checked,
        outcome=outcome,
        offline_detail=offline_detail,
        changes=changes,
        interrupted_by=interruption.signum,
        elapsed_s=time.monotonic() - started_clock,
    )


def run_worker_job(
    store: Store,
    sources: Path,
    settings: Settings,
    *,
    clock: Clock,
    lease_s: float = DEFAULT_LEASE_S,
    on_result: Callable[[CheckResult, LinkState], None] | None = None,
    archive_settings: ArchiveSettings | None = None,
    on_archive_progress: Callable[[ArchiveProgress], None] | None = None,
) -> RunSummary:
    """``run --worker``: load ``sources`` (under the writer lock, waited for as long
    as workers starting together take to load one after another, then released),
    check the due links as a worker, archive as a worker (with ``archive_settings``:
    links claimed one by one, the archive's rate limits shared, archive/shared.py;
    skipped when the network is down or the check was interrupted), write the
    reports of ``settings.report_outputs``."""
    with store.writer_lock(wait_s=max(lease_s, _LOAD_LOCK_WAIT_S)):
        load_sources(store, sources, now=clock())
    before = store.last_run()
    worked = work_due_hosts(store, settings, clock=clock, lease_s=lease_s, on_result=on_result)
    check = CheckSummary(
        run_id=worked.run_id,
        checked=worked.checked,
        counts=store.status_counts(),
        elapsed_s=worked.elapsed_s,
        offline=worked.outcome == "offline",
        offline_detail=worked.offline_detail,
        due_only=True,
        changes=worked.changes,
        first_run=before is None or before.last_complete_at is None,
        interrupted_by=worked.interrupted_by,
    )
    archived = None
    if archive_settings is not None and not check.offline and check.interrupted_by is None:
        from .archive.shared import ArchiveWorker

        if archive_settings.time_budget_s is None:
            budget_s = DEFAULT_RUN_ARCHIVE_MINUTES * 60
            archive_settings = replace(archive_settings, time_budget_s=budget_s)
        archived = archive_as_worker(
            store,
            settings,
            archive_settings,
            clock=clock,
            worker=ArchiveWorker(holder=worker_name(), lease_s=lease_s),
            on_progress=on_archive_progress,
        )
    return RunSummary(check, archived, write_reports(store, settings, now=clock()))
