"""The check stage: links in, one :class:`CheckResult` per link out.

This is where fetching, reading and judging meet: :func:`check_links` fetches each
link (fetch/), reads its title (titles.py), asks a random sibling path when the
soft-404 rule needs it, and classifies the outcome (classify.py). It knows nothing
of the database or of reports.

Two things make it trustworthy at scale:

* **No false alarms from a dead network.** A failure with no HTTP response at all
  (DNS, connect, TLS, timeout) is only believed once the network has been seen
  working *after* that failure: either another host answered since, or a
  reachability probe did. If neither, the run stops with
  :class:`~citecheck.errors.NetworkOfflineError` and nothing more is judged.
* **Politeness without head-of-line blocking.** Links wait in a bounded window,
  grouped by host; a link is started only when its host's lane (lanes.py) has room
  for a request, so one slow host never holds the other workers hostage, and
  memory is bounded by the window, not by the number of links. Lanes are held per
  request, not per link: while a link sleeps before a retry, follows a redirect to
  another host or probes a sibling, its host's next link runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from . import judges
from .config import Settings
from .errors import NetworkOfflineError
from .fetch import Budget, Fetcher
from .fetch.retries import RETRYABLE_REASONS, RETRYABLE_STATUSES
from .frozen import builder
from .incidents import IncidentLog
from .lanes import Reservation
from .models import CheckResult, FetchOutcome, LinkState, PageInfo, Reason, Status
from .network import NetworkMonitor
from .readers import answer_pages, page_info, warm_page_reader
from .schedule import is_excluded
from .siblings import SiblingProbes
from .urls import host_key

if TYPE_CHECKING:
    from .classify import Classification
    from .moves import KnownContent
    from .pages.models import PageAnswer, PageQuestion
    from .sites import ConsentWall


#: Links read ahead of the workers. Large enough to span many hosts when the input
#: is sorted by host; small enough that memory does not grow with the input.
DEFAULT_WINDOW = 10_000
#: Links in progress at once, per global request slot: a link sleeping before a
#: retry or waiting on another host holds no request slot, so more links than slots
#: may be in progress; this bounds them (and their memory) all the same.
_LINKS_PER_SLOT = 4
#: Links read from the input between two turns of the event loop while the window
#: fills: the first requests go out before a long input is read (10,000 links take
#: a quarter of a second to load).
_REFILL_BITE = 256
#: PDFs whose pages are read at once, each in a worker thread: reading is CPU-bound.
_PAGE_READERS = 2
_NO_LIMIT = contextlib.nullcontext()
#: What is read of a page that is not the cited page (frozen: one for all).
_NO_PAGE = PageInfo()


@dataclass(frozen=True)
class CheckRequest:
    """One link to check, with what the store remembers of it."""

    url: str
    previous: LinkState | None = None
    etag: str | None = None
    last_modified: str | None = None


Clock = Callable[[], datetime]
#: A link whose check ended: its request, the lane kept for it, its result or error.
_Finished = tuple[CheckRequest, Reservation | None, CheckResult | None, BaseException | None]


def utc_now() -> datetime:
    """The default :data:`Clock`: now, in UTC."""
    return datetime.now(UTC)


class Checker:
    """Checks one link: fetch, read, probe a sibling when needed, classify."""

    def __init__(
        self,
        fetcher: Fetcher,
        settings: Settings,
        *,
        clock: Clock,
        monitor: NetworkMonitor | None = None,
        token: Callable[[], str] = lambda: os.urandom(8).hex(),
        incidents: IncidentLog | None = None,
        known_content: Callable[[CheckRequest], KnownContent] | None = None,
        page_question: Callable[[str], PageQuestion | None] | None = None,
    ) -> None:
        self._fetcher = fetcher
        self._incidents = incidents if incidents is not None else IncidentLog(None)
        self._settings = settings
        self._clock = clock
        self.monitor = monitor or NetworkMonitor(fetcher)
        self._known_content = known_content or _remembered_title
        self._siblings = SiblingProbes(fetcher.fetch, token, page_info)
        self._page_question = page_question
        self._page_readers = asyncio.Semaphore(_PAGE_READERS)

    @property
    def fetcher(self) -> Fetcher:
        return self._fetcher

    async def check(
        self, request: CheckRequest, *, reservation: Reservation | None = None
    ) -> CheckResult:
        """Check one link. Raises NetworkOfflineError when its failure cannot be trusted.

        One deadline (``settings.timeout_s``) covers the link's fetch and its sibling
        probe; ``reservation`` is the lane the dispatcher kept for its first request.

        One link is one unit: a bug met while checking it (anything that escapes the
        classification done where input enters) becomes this link's ``internal_error``
        result, with the traceback in the error log (incidents.py), and the run goes on.
        """
        try:
            return await self._check(request, reservation)
        except NetworkOfflineError:
            raise
        except Exception as exc:  # the unit's last-resort guard, see incidents.py
            return internal_error_result(
                request.url, self._clock(), self._incidents.record(f"check {request.url}", exc)
            )

    async def _check(self, request: CheckRequest, reservation: Reservation | None) -> CheckResult:
        excluded = is_excluded(request.url, self._settings)
        if excluded is not None:
            return CheckResult(
                url=request.url,
                checked_at=self._clock(),
                status=Status.SKIPPED,
                reason=Reason.EXCLUDED,
                detail=excluded,
            )
        started = time.monotonic()
        budget = Budget(self._settings.timeout_s)
        outcome = await self._fetcher.fetch(
            request.url,
            etag=request.etag,
            last_modified=request.last_modified,
            reservation=reservation,
            budget=budget,
        )
        if outcome.status_code is not None:
            self.monitor.saw_response()
        elif (
            outcome.error is not None
            and outcome.error.is_connection_level
            and not await self.monitor.seen_working_since(started)
        ):
            raise NetworkOfflineError(
                f"no host answers and the reachability probe failed "
                f"(last error: {outcome.error_detail or outcome.error.value})"
            )
        wall = judges.consent_wall(outcome) if outcome.status_code is not None else None
        if wall is not None:
            outcome, walled = await self._past_consent_wall(request, outcome, wall, budget)
            if walled is not None:
                return _result(request, outcome, _NO_PAGE, walled, self._clock())
        page = page_info(outcome.body, outcome.headers, truncated=outcome.body_truncated)
        previous = request.previous
        settings = self._settings
        # needs_sibling_probe's True says the answer is a 2xx that no rule refuses:
        # classify need not look for a refusal again (``unrefused``).
        probed = settings.soft404_probe and judges.needs_sibling_probe(outcome, page)
        verdict = judges.classify(
            outcome,
            page,
            sibling=await self._siblings.answer(outcome.final_url, budget) if probed else None,
            ever_ok=previous.ever_ok if previous else False,
            accepted_status=settings.accepted_status,
            unrefused=probed,
        )
        verdict = judges.site_verdict(outcome, page, verdict, lambda: self._known_content(request))
        if verdict.reason in judges.FOREIGN_PAGE_REASONS:
            page = _NO_PAGE
        result = _result(request, outcome, page, verdict, self._clock())
        if verdict.status.is_success and outcome.body and self._page_question is not None:
            pages = await self._read_pages(request.url, outcome)
            if pages is not None:
                result = replace(result, pages=pages)
        return result

    async def _read_pages(self, url: str, outcome: FetchOutcome) -> PageAnswer | None:
        """The page check of a live body's cited pages and claims (pages/), read in a
        worker thread so that the other links go on meanwhile. None when there is
        nothing to check, or citecheck failed at it (the error log has why): evidence
        missing, never a link judged by it."""
        assert self._page_question is not None
        question = self._page_question(url)
        if question is None:
            return None
        from .pages import is_pdf

        stop = threading.Event()
        # PDFs take seconds each, so few at a time; an HTML page's claims take
        # milliseconds and never wait behind a PDF.
        limit = self._page_readers if is_pdf(outcome.body, outcome.headers) else _NO_LIMIT
        async with limit:
            try:
                return await asyncio.to_thread(
                    answer_pages,
                    outcome.body,
                    outcome.headers,
                    truncated=outcome.body_truncated,
                    question=question,
                    now=self._clock(),
                    stop=stop,
                )
            except asyncio.CancelledError:
                stop.set()  # the run is stopping: the thread ends at its next page
                raise
            except Exception as exc:  # a bug in the page check never changes the link
                self._incidents.record(f"check the cited pages of {url}", exc)
                return None

    async def _past_consent_wall(
        self, request: CheckRequest, outcome: FetchOutcome, wall: ConsentWall, budget: Budget
    ) -> tuple[FetchOutcome, Classification | None]:
        """Retry once with the consent cookie when the fetch ended on a consent wall
        (``wall``, sites.py knows them); the verdict when the wall is still there."""
        if not wall.cookies:
            return outcome, judges.consent_verdict(wall, retried=False)
        cookies = tuple((c.name, c.value, c.domain) for c in wall.cookies)
        retried = await self._fetcher.fetch(request.url, cookies=cookies, budget=budget)
        still = judges.consent_wall(retried) if retried.status_code is not None else None
        if still is not None:
            return retried, judges.consent_verdict(still, retried=True)
        return retried, None


def _retried_last_time(previous: LinkState) -> bool:
    """Whether a link's last check ended on an answer or a failure that a fetch
    tries again (a 500, a 503, a timeout): such a link goes first among its host's
    waiting links, so that its retry's backoff passes while the host's other links
    are fetched, not after the last of them (issue 11: the tail of a run)."""
    return previous.http_status in RETRYABLE_STATUSES or previous.reason in RETRYABLE_REASONS


def internal_error_result(url: str, checked_at: datetime, detail: str) -> CheckResult:
    """The result of a check that citecheck itself failed: ``blocked``, so that a
    human looks and the confirmation policy never turns a bug into ``broken``."""
    return CheckResult(
        url=url,
        checked_at=checked_at,
        status=Status.BLOCKED,
        reason=Reason.INTERNAL_ERROR,
        detail=detail,
    )


def _warm_up() -> None:
    """Import the judges (judges.py), then, in a turn of the loop of its own, the
    page reader (readers.py): the first answer needs them, no request does. Called
    once the first links' requests are all written (Fetcher.when_requests_out), so
    that no request waits behind these imports; a first answer that comes sooner
    imports what it needs itself. Two turns, so that an answer or a connection ready
    between them is served between them rather than after both."""
    judges.warm_judges()
    asyncio.get_running_loop().call_soon(warm_page_reader)


def _remembered_title(request: CheckRequest) -> KnownContent:
    title = request.previous.title if request.previous else None
    return judges.KnownContent(titles=(title,) if title else ())


def _result(
    request: CheckRequest,
    outcome: FetchOutcome,
    page: PageInfo,
    verdict: Classification,
    checked_at: datetime,
) -> CheckResult:
    not_modified = outcome.status_code == 304
    previous = request.previous
    title = page.title
    page_count = page.page_count
    if not_modified and previous is not None:
        title, page_count = previous.title, previous.page_count
    return _check_result(
        url=request.url,
        checked_at=checked_at,
        status=verdict.status,
        reason=verdict.reason,
        http_status=outcome.status_code,
        final_url=outcome.final_url if outcome.status_code is not None else None,
        redirects=outcome.hops,
        title=title,
        page_count=page_count,
        content_type=outcome.content_type,
        elapsed_ms=outcome.elapsed_ms,
        detail=verdict.detail,
        etag=outcome.headers.get("etag") or (request.etag if not_modified else None),
        last_modified=outcome.headers.get("last-modified")
        or (request.last_modified if not_modified else None),
        text_fingerprint=page.text_fingerprint,
        pages=None,
    )


#: A checked link's CheckResult, built in one step (frozen.py): one a link.
_check_result = builder(CheckResult)


async def check_links(
    requests: Iterable[CheckRequest],
    checker: Checker,
    settings: Settings,
    *,
    window: int = DEFAULT_WINDOW,
) -> AsyncIterator[tuple[CheckRequest, CheckResult]]:
    """Check every request, yielding ``(request, result)`` as each completes (not in
    input order).

    A link starts when its host's lane has room for a request; at most
    ``settings.per_host`` requests to a host and ``settings.concurrency`` in all are in
    flight (fetch.py holds them per request); hosts take turns. Raises
    NetworkOfflineError (after cancelling the checks in flight) when the network is
    found down.
    """
    lanes = checker.fetcher.lanes
    source = iter(requests)
    exhausted = False
    waiting: dict[str, deque[CheckRequest]] = {}
    waiting_count = 0
    ready: deque[str] = deque()  # hosts with waiting links and a free lane, round robin
    in_ready: set[str] = set()
    running: dict[asyncio.Task[None], Reservation | None] = {}  # with the lane kept
    unfetched_running = 0  # links that are not http(s): no lane, only the global bound
    # Links checked, not yet yielded, and a future while the loop waits for one (not
    # a queue fed by a done callback: that cost a turn of the event loop per link).
    finished: deque[_Finished] = deque()
    wake: asyncio.Future[None] | None = None
    most_in_progress = settings.concurrency * _LINKS_PER_SLOT
    loop = asyncio.get_running_loop()

    def has_room(host: str) -> bool:
        if host:
            return lanes.has_room(host)
        return unfetched_running < settings.concurrency

    def mark_ready(host: str) -> None:
        if host in waiting and host not in in_ready and has_room(host):
            ready.append(host)
            in_ready.add(host)

    def refill(most: int) -> None:
        nonlocal exhausted, waiting_count
        for _ in range(min(most, window - waiting_count)):
            request = next(source, None)
            if request is None:
                exhausted = True
                return
            host = host_key(request.url) if request.url.startswith("http") else ""
            queue = waiting.setdefault(host, deque())
            if request.previous is not None and _retried_last_time(request.previous):
                queue.appendleft(request)
            else:
                queue.append(request)
            waiting_count += 1
            mark_ready(host)

    def start_ready() -> bool:
        """Start links of the ready hosts; whether any was started."""
        nonlocal waiting_count, unfetched_running
        started = False
        while ready and len(running) + len(finished) < most_in_progress:
            host = ready.popleft()
            in_ready.discard(host)
            if not has_room(host):
                continue  # the lane filled since; on_room puts the host back
            queue = waiting[host]
            request = queue.popleft()
            waiting_count -= 1
            if not queue:
                del waiting[host]
            reservation = lanes.reserve(host) if host else None
            if not host:
                unfetched_running += 1
            running[loop.create_task(run(request, reservation))] = reservation
            started = True
            mark_ready(host)
        return started

    async def run(request: CheckRequest, reservation: Reservation | None) -> None:
        result: CheckResult | None = None
        error: BaseException | None = None
        try:
            result = await checker.check(request, reservation=reservation)
        except BaseException as exc:  # NetworkOfflineError: raised where it is yielded
            error = exc
            if not isinstance(exc, Exception):
                raise
        finally:
            finished.append((request, reservation, result, error))
            running.pop(asyncio.current_task(), None)  # type: ignore[call-overload]
            if wake is not None and not wake.done():
                wake.set_result(None)

    def on_room(host: str) -> bool:
        mark_ready(host)
        return start_ready()

    lanes.on_room = on_room
    checker.fetcher.when_requests_out(_warm_up)
    try:
        while True:
            if not exhausted:
                refill(_REFILL_BITE)
            start_ready()
            if not exhausted and waiting_count < window:
                # Read the rest of the window a bite at a time, letting the links
                # started meanwhile connect and send their first requests.
                await asyncio.sleep(0)
                continue
            if not finished:
                if not running:
                    return  # nothing waiting either: start_ready() would have started it
                wake = loop.create_future()
                try:
                    await wake  # set by the next link to finish
                finally:
                    wake = None
            request, reservation, result, error = finished.popleft()
            if reservation is not None:
                reservation.cancel()
            else:
                unfetched_running -= 1
                mark_ready("")
            if error is not None:
                raise error
            yield request, result  # type: ignore[misc]  # set whenever error is None
    finally:
        checker.fetcher.when_requests_out(None)
        lanes.on_room = None
        tasks = list(running)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        # Lanes kept for links stopped before their first request go back.
        for reservation in [*running.values(), *(done[1] for done in finished)]:
            if reservation is not None:
                reservation.cancel()


__all__ = [
    "CheckRequest",
    "Checker",
    "NetworkMonitor",
    "check_links",
    "internal_error_result",
]
