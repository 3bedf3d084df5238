"""One archive run over a store: look-ups, captures, polls and verifications, each a
unit whose failure is recorded on it; within a time budget.

Failures never lose work and never mark anything: a look-up that fails leaves no
cache entry (the next run asks again); a capture that fails is recorded and left
for the next run; a 5xx or timeout on a capture request means "unknown" and is
settled by the next run's CDX look-up, never by resubmitting blindly.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import datetime
from typing import Any

from ..captures import CaptureRecord, Snapshot
from ..config import ArchiveSettings
from ..errors import (
    ArchiveError,
    ArchiveServerError,
    ArchiveUnavailableError,
    ArchiveUnreachableError,
    RateLimitedError,
    StoreError,
)
from ..incidents import IncidentLog
from ..store import ArchiveRow, Store
from .answers import capture_problem
from .elsewhere import Elsewhere, copy_url, stored_lookup_problem
from .policy import (
    CopyWanted,
    cdx_timestamp,
    choose_snapshot,
    replay_url,
    should_capture,
)
from .ratelimit import EndpointClosed, with_tries
from .summary import ArchiveProgress, ArchiveSummary
from .wayback import JobStatus, WaybackClient


class ArchiveJob:
    """The mutable state of one archive run (run.py drives it): its look-ups,
    captures, polls and verifications, and what it has counted."""

    def __init__(
        self,
        store: Store,
        client: WaybackClient,
        settings: ArchiveSettings,
        clock: Callable[[], datetime],
        monotonic: Callable[[], float],
        sleep: Callable[[float], Awaitable[None]],
        incidents: IncidentLog,
        on_progress: Callable[[ArchiveProgress], None] | None = None,
        elsewhere: Elsewhere | None = None,
    ) -> None:
        self.incidents = incidents
        self.elsewhere = elsewhere
        self.store = store
        self.on_progress = on_progress
        self.client = client
        self.settings = settings
        self.clock = clock
        self.monotonic = monotonic
        self.sleep = sleep
        self.counts: dict[str, int] = dict.fromkeys(ArchiveSummary().counts(), 0)
        self.save_queue: asyncio.Queue[tuple[int, str]] = asyncio.Queue()
        #: Queued links counted as having no copy, until a capture of theirs is verified.
        self.uncopied: set[int] = set()
        self.saves_queued = 0
        self.saving_closed = False
        self.lookups: set[asyncio.Task[None]] = set()
        self.polls: set[asyncio.Task[None]] = set()
        self.failure: BaseException | None = None

    def track(
        self,
        tasks: set[asyncio.Task[None]],
        work: Awaitable[None],
        on_done: Callable[[], None] | None = None,
    ) -> None:
        """Run ``work`` as a task in ``tasks``; its error, if any, stops the run."""
        task = asyncio.ensure_future(work)
        tasks.add(task)

        def done(finished: asyncio.Task[None]) -> None:
            tasks.discard(finished)
            if on_done is not None:
                on_done()
            if not finished.cancelled() and finished.exception() is not None:
                self.failure = self.failure or finished.exception()

        task.add_done_callback(done)

    def progress(self, waiting_s: float = 0.0) -> None:
        if self.on_progress is not None:
            self.on_progress(ArchiveProgress(dict(self.counts), waiting_s))

    def raise_failure(self) -> None:
        if self.failure is not None:
            raise self.failure

    def check_reachable(self) -> None:
        if self.client.no_answer_streak >= self.settings.unreachable_after:
            raise ArchiveUnreachableError(
                f"{self.client.no_answer_streak} requests in a row to "
                f"{self.settings.wayback_url} got no answer at all"
            )

    # -- look-ups --------------------------------------------------------------------

    async def lookup(self, row: ArchiveRow, wanted: CopyWanted) -> None:
        """Ask the CDX index for the copy ``wanted`` and record what it says.

        One look-up is one unit: a bug in it is logged (incidents.py) and the look-up
        left for the next run; only the store's errors and an unreachable archive stop
        the run.
        """
        try:
            await self._lookup(row, wanted)
        except (ArchiveUnreachableError, StoreError):
            raise
        except Exception as exc:  # the unit's last-resort guard, see incidents.py
            self.incidents.record(f"look up {row.state.url} in the archive", exc)
            self.counts["lookups_left"] += 1

    async def _lookup(self, row: ArchiveRow, wanted: CopyWanted) -> None:
        url = row.state.url
        anchor = cdx_timestamp(wanted.anchor)
        try:
            if wanted.mode == "before":
                found = await self._cdx_rows(url, "cdx-before", closest=anchor, to_ts=anchor)
                if choose_snapshot(found, wanted, row.content_type)[0] is None:
                    bound = wanted.not_after
                    found += await self._cdx_rows(
                        url,
                        "cdx-after",
                        closest=anchor,
                        from_ts=anchor,
                        to_ts=cdx_timestamp(bound) if bound is not None else None,
                    )
            else:
                found = await self._cdx_rows(url, "cdx-latest", closest=anchor)
        except (ArchiveError, EndpointClosed):
            self.counts["lookups_left"] += 1
            self.progress()
            self.check_reachable()
            return
        self.counts["looked_up"] += 1
        self.progress()
        chosen, judged = choose_snapshot(found, wanted, row.content_type)
        copies = note = None
        if self.elsewhere is not None and self.elsewhere.wanted(wanted, chosen):
            other = await self.elsewhere.look(url, wanted, row.content_type, judged)
            chosen, judged = other.chosen, judged + other.judged
            copies, note = other.copies, other.note
        self.store.record_lookup(
            row.link_id,
            looked_up_at=self.clock(),
            anchor=wanted.cache_anchor,
            found=judged,
            chosen=chosen,
            archive_url=copy_url(self.settings.wayback_url, chosen) if chosen else None,
            copies=copies,
            note=note,
        )
        self.counts["with_copy" if chosen else "without_copy"] += 1
        self.consider_capture(row, chosen.timestamp if chosen else None)

    async def _cdx_rows(self, url: str, found_by: str, **query: Any) -> list[Snapshot]:
        client = self.client
        rows = await with_tries(client.cdx_limiter, lambda: client.cdx(url, **query), self.settings)
        return [replace(row, found_by=found_by) for row in rows]

    def consider_capture(self, row: ArchiveRow, newest_good: str | None) -> None:
        if not self.settings.save or self.saving_closed:
            return
        if self.saves_queued >= self.settings.max_saves:
            return
        if should_capture(
            row.state.status,
            newest_good,
            row.last_capture,
            now=self.clock(),
            max_age=self.settings.capture_max_age,
        ):
            self.saves_queued += 1
            if newest_good is None:
                self.uncopied.add(row.link_id)
            self.save_queue.put_nowait((row.link_id, row.state.url))

    # -- captures ----------------------------------------------------------------------

    async def save_worker(self) -> None:
        """Capture the queued links one at a time, under the save rate limit."""
        while True:
            item = await self.save_queue.get()
            try:
                if not self.saving_closed:
                    await self.capture(*item)
            finally:
                self.save_queue.task_done()

    async def capture(self, link_id: int, url: str) -> None:
        """Ask for a capture of ``url``; one unit, guarded like a look-up, whose
        failure is recorded on the capture as ``failed``."""
        try:
            await self._capture(link_id, url)
        except (ArchiveUnreachableError, StoreError):
            raise
        except Exception as exc:  # the unit's last-resort guard, see incidents.py
            detail = self.incidents.record(f"capture {url}", exc)
            self._left(link_id, self.clock(), self._mode(), "failed", detail)

    def _mode(self) -> str:
        return "spn2" if self.settings.authenticated else "anonymous"

    async def _capture(self, link_id: int, url: str) -> None:
        client = self.client
        mode = self._mode()
        save = client.save_spn2 if mode == "spn2" else client.save_anonymous
        requested_at = self.clock()
        self.progress(waiting_s=client.save_limiter.delay_s())
        try:
            answer: JobStatus = await with_tries(
                client.save_limiter, lambda: save(url), self.settings
            )
        except EndpointClosed as exc:
            self.saving_closed = True
            self._left(link_id, requested_at, mode, "rate_limited", str(exc))
            return
        except RateLimitedError as exc:
            self._left(
                link_id,
                requested_at,
                mode,
                "rate_limited",
                f"{exc} ({self.settings.max_tries} tries); left for the next run",
            )
            return
        except ArchiveUnavailableError as exc:
            self.check_reachable()
            if exc.submitted:
                self._unknown(link_id, requested_at, mode, str(exc))
            return
        except ArchiveServerError as exc:
            self._unknown(link_id, requested_at, mode, str(exc))
            return
        except ArchiveError as exc:
            self._left(link_id, requested_at, mode, "failed", str(exc))
            return
        self.counts["saves_requested"] += 1
        self.progress()
        if answer.state == "error":
            self.saving_closed = self.saving_closed or answer.quota
            self._left(link_id, requested_at, mode, "failed", answer.detail)
            return
        if answer.state == "pending":
            assert answer.detail is not None  # the job id
            capture_id = self.store.add_capture(
                link_id, requested_at=requested_at, mode=mode, state="pending", job_id=answer.detail
            )
            record = CaptureRecord(
                id=capture_id,
                link_id=link_id,
                url=url,
                requested_at=requested_at,
                mode=mode,
                state="pending",
                job_id=answer.detail,
            )
            self.start_poll(record)
            return
        capture_id = self.store.add_capture(
            link_id,
            requested_at=requested_at,
            mode=mode,
            state="unverified",
            timestamp=answer.timestamp,
        )
        assert answer.timestamp is not None
        await self.verify(capture_id, link_id, url, answer.timestamp)

    def _left(
        self,
        link_id: int,
        requested_at: datetime,
        mode: str,
        state: str,
        detail: str | None,
    ) -> None:
        """Record a capture that did not happen; the next run tries again."""
        self.store.add_capture(
            link_id, requested_at=requested_at, mode=mode, state=state, detail=detail
        )
        self.counts["saves_left"] += 1

    def _unknown(self, link_id: int, requested_at: datetime, mode: str, detail: str) -> None:
        """A capture that may or may not have happened: the next run's look-up decides."""
        self.counts["saves_requested"] += 1
        self._left(link_id, requested_at, mode, "unknown", detail)
        self.store.forget_lookup(link_id)

    def start_poll(self, record: CaptureRecord) -> None:
        self.track(self.polls, self.poll(record))

    async def poll(self, record: CaptureRecord) -> None:
        """Poll an SPN2 job until it ends or this run's budget for it is spent; one
        unit, whose failure is recorded on the capture as ``failed``."""
        try:
            await self._poll(record)
        except (ArchiveUnreachableError, StoreError):
            raise
        except Exception as exc:  # the unit's last-resort guard, see incidents.py
            detail = self.incidents.record(f"poll the capture of {record.url}", exc)
            self.store.update_capture(record.id, state="failed", now=self.clock(), detail=detail)
            self.counts["saves_left"] += 1

    def usable(self, row: ArchiveRow) -> ArchiveRow:
        """``row`` without a stored look-up or capture that an older citecheck stored
        unvalidated: each is quarantined (the look-up forgotten, the capture marked
        failed) with a note, never re-raised."""
        lookup, capture = row.lookup, row.last_capture
        if lookup is not None:
            problem = stored_lookup_problem(row.state.url, lookup, self.settings)
            if problem is not None:
                self.incidents.note(f"quarantined the look-up of {row.state.url}: {problem}")
                self.store.forget_lookup(row.link_id)
                row = replace(row, lookup=None)
        if capture is not None and self.quarantined(capture):
            row = replace(row, last_capture=replace(capture, state="failed"))
        return row

    def quarantined(self, capture: CaptureRecord) -> bool:
        """Mark ``capture`` failed, with a note, if what is stored of it is unusable."""
        problem = capture_problem(capture.job_id, capture.timestamp)
        if problem is None:
            return False
        note = f"quarantined: {problem}"
        self.incidents.note(f"{note} (capture {capture.id} of {capture.url})")
        self.store.update_capture(capture.id, state="failed", now=self.clock(), detail=note)
        return True

    async def _poll(self, record: CaptureRecord) -> None:
        assert record.job_id is not None
        deadline = self.monotonic() + self.settings.poll_budget_s
        client = self.client
        while True:
            await self.sleep(self.settings.poll_interval_s)
            try:
                status: JobStatus = await with_tries(
                    client.status_limiter,
                    lambda: client.job_status(record.job_id),
                    self.settings,
                )
            except (ArchiveError, EndpointClosed):
                self.check_reachable()
                status = JobStatus(state="pending")
            if status.state == "success":
                assert status.timestamp is not None
                await self.verify(record.id, record.link_id, record.url, status.timestamp)
                return
            if status.state == "error":
                self.store.update_capture(
                    record.id, state="failed", now=self.clock(), detail=status.detail
                )
                self.counts["saves_left"] += 1
                return
            if self.monotonic() + self.settings.poll_interval_s > deadline:
                self.counts["saves_pending"] += 1
                return

    async def verify(self, capture_id: int, link_id: int, url: str, timestamp: str) -> None:
        """A capture counts once the CDX index lists it with status 200 (and a media
        type that is not an error page's)."""
        client = self.client
        try:
            found = await with_tries(
                client.cdx_limiter,
                lambda: client.cdx(
                    url, from_ts=timestamp, to_ts=timestamp, only_ok=False, limit=10
                ),
                self.settings,
            )
        except (ArchiveError, EndpointClosed) as exc:
            self.check_reachable()
            self._unverified(capture_id, link_id, timestamp, f"could not verify: {exc}")
            return
        entries = [replace(s, found_by="save") for s in found if s.timestamp == timestamp]
        wanted = CopyWanted(mode="latest", anchor=self.clock())
        chosen, judged = choose_snapshot(entries, wanted, None)
        now = self.clock()
        if chosen is None:
            why = judged[0][1] if judged else "the CDX index does not list it (yet)"
            self.store.record_snapshots(link_id, judged, now=now)
            self._unverified(capture_id, link_id, timestamp, why)
            return
        self.store.update_capture(capture_id, state="verified", now=now, timestamp=timestamp)
        self.store.record_lookup(
            link_id,
            looked_up_at=now,
            anchor=None,
            found=judged,
            chosen=chosen,
            archive_url=replay_url(self.settings.wayback_url, chosen.timestamp, chosen.original),
        )
        self.counts["saves_verified"] += 1
        if link_id in self.uncopied:
            self.uncopied.discard(link_id)
            self.counts["without_copy"] -= 1
            self.counts["with_copy"] += 1
        self.progress()

    def _unverified(self, capture_id: int, link_id: int, timestamp: str, why: str) -> None:
        self.store.update_capture(
            capture_id, state="unverified", now=self.clock(), timestamp=timestamp, detail=why
        )
        self.store.forget_lookup(link_id)
        self.counts["saves_left"] += 1
