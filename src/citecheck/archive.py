"""Wayback: the right archived copy of every cited link, and new captures of live pages.

Two halves:

* **Pure policy** (plain functions over plain values, tested in
  tests/test_archive_policy.py): which copy a link wants (:func:`copy_wanted`),
  whether a snapshot is acceptable and which one to offer (:func:`choose_snapshot`),
  whether the cached look-up still stands (:func:`lookup_due`), whether to ask for a
  new capture (:func:`should_capture`). Time is always a parameter.
* **I/O**: :class:`WaybackClient` talks to the CDX API, Save Page Now (SPN2 with
  keys, the anonymous ``GET /save/URL`` without) and SPN2 job status, each endpoint
  under its own :class:`RateLimiter`; :func:`archive_links` runs the job over a
  store.

Why not waybackpy: its last release is from March 2022; it is synchronous
(``requests``), sets no timeouts, hard-codes its endpoints, has no SPN2,
authentication or job polling, misreads 429 pages, and its traffic cannot be mocked
with ``respx``. The APIs are small; they are called here directly through the same
``httpx.AsyncClient`` as the checker (:attr:`Fetcher.client`).

The rule that matters most: a broken link is only ever offered a capture that
answered 200 and was taken *before* the page died. The CDX ``filter=statuscode:200``
already drops 404 captures, but every row is checked again here (its status, its
date against the first failure, its media type against the page's), because the
offer is what an editor swaps into a published text.

Failures never lose work and never mark anything: a look-up that fails leaves no
cache entry (the next run asks again); a capture that fails is recorded and left
for the next run; a 5xx or timeout on a capture request means "unknown" and is
settled by the next run's CDX look-up, never by resubmitting blindly.
"""

from __future__ import annotations

import asyncio
import json
import math
import re
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from datetime import time as day_time
from typing import Any

import httpx

from .config import DEFAULT_ARCHIVE_MAX_BODY_BYTES, ArchiveSettings, RateLimit
from .errors import (
    ArchiveError,
    ArchiveServerError,
    ArchiveUnavailableError,
    ArchiveUnreachableError,
    RateLimitedError,
)
from .fetch import RETRYABLE_STATUSES
from .models import HTML_TYPES, PDF_TYPES, ArchiveLookup, CaptureRecord, LinkState, Snapshot, Status
from .store import ArchiveRow, Store

__all__ = [
    "ArchiveServerError",
    "ArchiveSummary",
    "ArchiveUnavailableError",
    "ArchiveUnreachableError",
    "CopyWanted",
    "JobStatus",
    "RateLimiter",
    "WaybackClient",
    "archive_links",
    "cdx_timestamp",
    "choose_snapshot",
    "copy_wanted",
    "judge_snapshot",
    "lookup_due",
    "parse_accessed",
    "replay_url",
    "should_capture",
]

_CDX_FIELDS = "timestamp,original,statuscode,mimetype,digest"
_TIMESTAMP = re.compile(r"/web/(\d{14})")
_MEMENTO = re.compile(r'<[^>]*/web/(\d{14})[^>]*>\s*;[^,]*rel="[^"]*memento')
#: SPN2 error codes that mean "you are over your quota": stop saving this run.
_QUOTA_ERRORS = frozenset(
    {"error:too-many-daily-captures", "error:user-session-limit", "error:too-many-requests"}
)


# -- pure policy -------------------------------------------------------------------------


def cdx_timestamp(moment: datetime) -> str:
    """The 14-digit CDX timestamp (UTC) of an aware datetime."""
    if moment.tzinfo is None:
        raise ValueError(f"times must be timezone-aware, not {moment!r}")
    return moment.astimezone(UTC).strftime("%Y%m%d%H%M%S")


def replay_url(wayback_url: str, timestamp: str, original: str) -> str:
    """``{base}/web/{timestamp}/{original}``: where a reader sees the copy."""
    return f"{wayback_url.rstrip('/')}/web/{timestamp}/{original}"


def parse_accessed(text: str) -> datetime | None:
    """A citation's accessed date as the last instant it stands for, or None.

    A date (``2024-03-15``) means the whole day: the page was alive at some time
    that day, so a capture made that evening is still "before". Date-times without
    a zone are taken as UTC. Anything else (``March 2024``) is not a date.
    """
    value = text.strip()
    if not value:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        pass
    else:
        return datetime.combine(day, day_time(23, 59, 59), tzinfo=UTC)
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


@dataclass(frozen=True)
class CopyWanted:
    """Which copy a link should be offered.

    ``mode`` "before": the closest good capture at or before ``anchor``, else the
    closest after it (but before ``not_after``). ``mode`` "latest": the newest good
    capture. ``not_after`` (the first failure) bounds every offer: a capture taken
    after the page died is never offered.
    """

    mode: str
    anchor: datetime
    not_after: datetime | None = None

    @property
    def cache_anchor(self) -> datetime | None:
        """What a cached look-up must have been chosen against to still stand."""
        return self.anchor if self.mode == "before" else None


def copy_wanted(state: LinkState, accessed: Iterable[str], *, now: datetime) -> CopyWanted | None:
    """The copy to find for a link, or None when it needs none (skipped, unchecked).

    A broken (or failing) link wants the closest copy before the latest citation's
    accessed date; with no date, before its last good check, else before its first
    failure. Never after the first failure. A live or blocked link wants its newest
    copy.
    """
    if state.status in (Status.SKIPPED, Status.UNCHECKED):
        return None
    if state.status in (Status.BROKEN, Status.FAILING):
        dates = [moment for moment in map(parse_accessed, accessed) if moment is not None]
        died = state.first_failure_at
        anchor = max(dates) if dates else state.last_ok_at or died or state.checked_at or now
        if died is not None and anchor > died:
            anchor = died
        return CopyWanted(mode="before", anchor=anchor, not_after=died)
    return CopyWanted(mode="latest", anchor=now)


def _media_family(mimetype: str | None) -> str | None:
    kind = (mimetype or "").split(";", 1)[0].strip().lower()
    if kind in HTML_TYPES:
        return "html"
    if kind in PDF_TYPES:
        return "pdf"
    return None


def judge_snapshot(snapshot: Snapshot, wanted: CopyWanted, original_type: str | None) -> str | None:
    """Why ``snapshot`` must not be offered, or None when it may be."""
    if snapshot.status_code != 200:
        shown = "no status" if snapshot.status_code is None else f"status {snapshot.status_code}"
        return f"the capture has {shown}, not 200"
    if wanted.not_after is not None and snapshot.captured_at >= wanted.not_after:
        return "captured after the page started failing"
    family = _media_family(original_type)
    if family is not None and _media_family(snapshot.mimetype) != family:
        return f"the capture is {snapshot.mimetype or 'of no type'}, the page is {family}"
    return None


def choose_snapshot(
    candidates: Iterable[Snapshot], wanted: CopyWanted, original_type: str | None
) -> tuple[Snapshot | None, list[tuple[Snapshot, str | None]]]:
    """The copy to offer, and every candidate with why it was rejected (None: acceptable).

    The chosen snapshot's ``found_by`` says which rule picked it: ``cdx-before``,
    ``cdx-after`` or ``cdx-latest`` (a capture verified after a save keeps ``save``).
    """
    judged = [
        (snapshot, judge_snapshot(snapshot, wanted, original_type)) for snapshot in candidates
    ]
    good = [snapshot for snapshot, rejected in judged if rejected is None]
    anchor = cdx_timestamp(wanted.anchor)
    chosen: Snapshot | None = None
    if wanted.mode == "latest":
        if good:
            chosen = max(good, key=lambda s: s.timestamp)
            if chosen.found_by != "save":
                chosen = replace(chosen, found_by="cdx-latest")
    else:
        before = [s for s in good if s.timestamp <= anchor]
        after = [s for s in good if s.timestamp > anchor]
        if before:
            chosen = replace(max(before, key=lambda s: s.timestamp), found_by="cdx-before")
        elif after:
            chosen = replace(min(after, key=lambda s: s.timestamp), found_by="cdx-after")
    return chosen, judged


def lookup_due(
    wanted: CopyWanted, cached: ArchiveLookup | None, *, now: datetime, max_age: timedelta
) -> bool:
    """Whether the CDX index must be asked again, or the cached answer still stands.

    A copy chosen before a fixed date cannot change, so it is kept for good (unless
    the date moves, e.g. the link broke or a citation's accessed date changed). A
    live link's newest copy is only refreshed once it is older than ``max_age``. A
    look-up that found nothing is repeated after ``max_age``.
    """
    if cached is None or cached.anchor != wanted.cache_anchor:
        return True
    if cached.timestamp is None:
        return now - cached.looked_up_at >= max_age
    if wanted.mode == "before":
        return False
    captured = Snapshot(timestamp=cached.timestamp, original="").captured_at
    return now - captured >= max_age


def should_capture(
    status: Status,
    newest_good: str | None,
    last_capture: CaptureRecord | None,
    *,
    now: datetime,
    max_age: timedelta,
) -> bool:
    """Whether to ask the archive for a new capture of a link.

    Only live links (``ok``, ``redirected``) with no good capture newer than
    ``max_age`` are captured: a capture of a broken, blocked or skipped page would
    preserve an error page or a bot wall, which is worse than no copy. A link whose
    SPN2 job is still pending is polled, not resubmitted.
    """
    if not status.is_success:
        return False
    if last_capture is not None and last_capture.state == "pending":
        return False
    if newest_good is None:
        return True
    return now - Snapshot(timestamp=newest_good, original="").captured_at >= max_age


# -- rate limiting ---------------------------------------------------------------------------


class RateLimiter:
    """Spaces requests at least ``limit.interval_s`` apart, and honours a hold-off.

    Slots are reserved in call order, so concurrent callers start evenly spaced and
    the request itself does not hold the limiter: look-ups run concurrently, but
    never start faster than the limit. ``clock`` (monotonic seconds) and ``sleep``
    are injectable so tests move time instead of waiting.
    """

    def __init__(
        self,
        limit: RateLimit,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.limit = limit
        self._clock = clock
        self._sleep = sleep
        self._next_slot = -math.inf
        self._blocked_until = -math.inf

    async def wait(self) -> None:
        """Return when the next request may be sent."""
        while True:
            now = self._clock()
            slot = max(now, self._next_slot, self._blocked_until)
            self._next_slot = slot + self.limit.interval_s
            if slot > now:
                await self._sleep(slot - now)
            if self._clock() >= self._blocked_until:
                return

    def hold_off(self, seconds: float) -> None:
        """Send nothing for ``seconds`` (the archive said 429)."""
        self._blocked_until = max(self._blocked_until, self._clock() + seconds)


# -- the client --------------------------------------------------------------------------------


@dataclass(frozen=True)
class JobStatus:
    """An SPN2 job's state: ``pending``, ``success`` (with ``timestamp``) or ``error``."""

    state: str
    timestamp: str | None = None
    detail: str | None = None
    quota: bool = False


class WaybackClient:
    """The Wayback APIs over a shared ``httpx.AsyncClient``, each under its rate limit.

    Every call goes to ``settings.wayback_url``. Errors: :class:`RateLimitedError`
    (429), :class:`ArchiveServerError` (5xx, 52x), :class:`ArchiveUnavailableError`
    (no answer), :class:`ArchiveError` (anything else unusable). ``on_answer`` and
    ``on_no_answer`` let the caller tell a dead archive from a busy one.
    """

    def __init__(
        self,
        http: httpx.AsyncClient,
        settings: ArchiveSettings,
        *,
        timeout_s: float = 60.0,
        max_body_bytes: int = DEFAULT_ARCHIVE_MAX_BODY_BYTES,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._http = http
        self.settings = settings
        self._base = settings.wayback_url.rstrip("/")
        self._timeout_s = timeout_s
        self._max_body_bytes = max_body_bytes
        self.cdx_limiter = RateLimiter(settings.cdx_rate, clock=clock, sleep=sleep)
        self.save_limiter = RateLimiter(settings.effective_save_rate, clock=clock, sleep=sleep)
        self.status_limiter = RateLimiter(settings.status_rate, clock=clock, sleep=sleep)
        self.answers = 0
        self.no_answer_streak = 0

    def _auth_headers(self) -> dict[str, str]:
        if not self.settings.authenticated:
            return {}
        return {"Authorization": f"LOW {self.settings.access_key}:{self.settings.secret_key}"}

    async def _request(
        self,
        method: str,
        url: str,
        *,
        params: dict[str, str] | None = None,
        data: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
        read_body: bool = True,
    ) -> tuple[int, httpx.Headers, bytes]:
        """One request; the one place where its failures become citecheck's errors."""
        request = self._http.build_request(method, url, params=params, data=data, headers=headers)
        try:
            async with asyncio.timeout(self._timeout_s):
                response = await self._http.send(request, stream=True)
                try:
                    body = await self._read(response) if read_body else b""
                finally:
                    await response.aclose()
        except (TimeoutError, httpx.TimeoutException) as exc:
            self.no_answer_streak += 1
            connect = isinstance(exc, httpx.ConnectTimeout | httpx.PoolTimeout)
            raise ArchiveUnavailableError(
                f"the archive did not answer {method} {_shown(url)} in time",
                submitted=not connect,
            ) from exc
        except httpx.TransportError as exc:
            self.no_answer_streak += 1
            raise ArchiveUnavailableError(
                f"could not reach the archive ({method} {_shown(url)}): "
                f"{exc or type(exc).__name__}",
                submitted=not isinstance(exc, httpx.ConnectError),
            ) from exc
        self.answers += 1
        self.no_answer_streak = 0
        status = response.status_code
        if status == 429:
            raise RateLimitedError(
                f"the archive answered 429 to {method} {_shown(url)}",
                _retry_after_s(response.headers.get("retry-after")),
            )
        if status >= 500 or status in RETRYABLE_STATUSES:
            raise ArchiveServerError(
                f"the archive answered {status} to {method} {_shown(url)}", status
            )
        return status, response.headers, body

    async def _read(self, response: httpx.Response) -> bytes:
        body = bytearray()
        async for chunk in response.aiter_bytes():
            body += chunk
            if len(body) > self._max_body_bytes:
                raise ArchiveError(
                    f"the archive's answer to {_shown(str(response.url))} is larger than "
                    f"{self._max_body_bytes} bytes"
                )
        return bytes(body)

    async def cdx(
        self,
        url: str,
        *,
        closest: str | None = None,
        from_ts: str | None = None,
        to_ts: str | None = None,
        only_ok: bool = True,
        limit: int | None = None,
    ) -> list[Snapshot]:
        """CDX rows for ``url``, closest to ``closest`` first (JSON output)."""
        params = {"url": url, "output": "json", "fl": _CDX_FIELDS}
        if only_ok:
            params["filter"] = "statuscode:200"
        if closest is not None:
            params.update(sort="closest", closest=closest)
        if from_ts is not None:
            params["from"] = from_ts
        if to_ts is not None:
            params["to"] = to_ts
        params["limit"] = str(limit if limit is not None else self.settings.cdx_limit)
        await self.cdx_limiter.wait()
        status, _, body = await self._request("GET", f"{self._base}/cdx/search/cdx", params=params)
        if status != 200:
            raise ArchiveError(f"the CDX index answered {status} for {url}")
        return parse_cdx(body)

    async def save_spn2(self, url: str) -> JobStatus:
        """Ask SPN2 to capture ``url``; ``pending`` with the job id in ``detail``."""
        await self.save_limiter.wait()
        status, _, body = await self._request(
            "POST",
            f"{self._base}/save",
            data={"url": url},
            headers={"Accept": "application/json", **self._auth_headers()},
        )
        answer = _json_object(body)
        job_id = answer.get("job_id") if answer else None
        if status == 200 and isinstance(job_id, str) and job_id:
            return JobStatus(state="pending", detail=job_id)
        return _spn2_error(answer, f"SPN2 answered {status} without a job id")

    async def job_status(self, job_id: str) -> JobStatus:
        """The state of an SPN2 job."""
        await self.status_limiter.wait()
        status, _, body = await self._request(
            "GET",
            f"{self._base}/save/status/{job_id}",
            headers={"Accept": "application/json", **self._auth_headers()},
        )
        answer = _json_object(body)
        if status != 200 or answer is None:
            raise ArchiveError(f"the SPN2 status of {job_id} is unreadable (status {status})")
        state = answer.get("status")
        if state == "success":
            timestamp = answer.get("timestamp")
            if not isinstance(timestamp, str) or not re.fullmatch(r"\d{14}", timestamp):
                return JobStatus(state="error", detail="SPN2 reported success with no timestamp")
            return JobStatus(state="success", timestamp=timestamp)
        if state == "pending":
            return JobStatus(state="pending")
        return _spn2_error(answer, f"SPN2 job {job_id} ended as {state!r}")

    async def save_anonymous(self, url: str) -> JobStatus:
        """``GET /save/URL``: ``success`` with the capture's timestamp from the headers."""
        await self.save_limiter.wait()
        status, headers, _ = await self._request("GET", f"{self._base}/save/{url}", read_body=False)
        timestamp = capture_timestamp(headers)
        if status < 400 and timestamp is not None:
            return JobStatus(state="success", timestamp=timestamp)
        return JobStatus(
            state="error", detail=f"Save Page Now answered {status} and named no capture"
        )


def parse_cdx(body: bytes) -> list[Snapshot]:
    """CDX JSON output (a header row, then rows; ``[]`` when empty) as Snapshots.

    Raises ArchiveError for anything else: an HTML error page is not "no captures".
    """
    try:
        rows = json.loads(body) if body.strip() else []
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ArchiveError(f"the CDX index did not answer JSON: {body[:80]!r}") from exc
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise ArchiveError("the CDX index answered JSON that is not a list of rows")
    if not rows:
        return []
    header = [str(name) for name in rows[0]]
    if "timestamp" not in header or "original" not in header:
        raise ArchiveError(f"the CDX header row has no timestamp or original: {header}")
    snapshots = []
    for row in rows[1:]:
        values = dict(zip(header, row, strict=False))
        timestamp = str(values.get("timestamp", ""))
        if not re.fullmatch(r"\d{14}", timestamp):
            continue
        code = str(values.get("statuscode", ""))
        snapshots.append(
            Snapshot(
                timestamp=timestamp,
                original=str(values["original"]),
                status_code=int(code) if code.isdigit() else None,
                mimetype=values.get("mimetype") or None,
                digest=values.get("digest") or None,
            )
        )
    return snapshots


def capture_timestamp(headers: httpx.Headers) -> str | None:
    """The new capture's timestamp, from ``Content-Location``, ``Location`` or ``Link``."""
    for name in ("content-location", "location"):
        match = _TIMESTAMP.search(headers.get(name, ""))
        if match:
            return match.group(1)
    mementos = _MEMENTO.findall(headers.get("link", ""))
    return max(mementos) if mementos else None


def _json_object(body: bytes) -> dict[str, Any] | None:
    try:
        value = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    return value if isinstance(value, dict) else None


def _spn2_error(answer: dict[str, Any] | None, fallback: str) -> JobStatus:
    if answer is None:
        return JobStatus(state="error", detail=fallback)
    code = str(answer.get("status_ext") or "")
    message = str(answer.get("message") or fallback)
    return JobStatus(
        state="error", detail=f"{code}: {message}" if code else message, quota=code in _QUOTA_ERRORS
    )


def _retry_after_s(value: str | None) -> float | None:
    if value is None:
        return None
    text = value.strip()
    return float(text) if text.isdigit() else None


def _shown(url: str) -> str:
    return url if len(url) <= 120 else url[:117] + "..."


# -- the job --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ArchiveSummary:
    """What one archive run did."""

    links: int = 0  # cited links considered
    looked_up: int = 0  # CDX look-ups made
    cached: int = 0  # links whose cached answer still stood
    with_copy: int = 0  # links that have a copy to offer after the run
    without_copy: int = 0  # links that want one and have none
    lookups_left: int = 0  # look-ups that failed or did not fit the time budget
    saves_requested: int = 0
    saves_verified: int = 0
    saves_pending: int = 0  # SPN2 jobs still running, polled again next run
    saves_left: int = 0  # failed, unknown or unverified captures, for the next run
    unreachable: bool = False
    unreachable_detail: str | None = None
    elapsed_s: float = 0.0

    @property
    def exit_code(self) -> int:
        """0 done (captures left for the next run included); 3 the archive is unreachable."""
        return 3 if self.unreachable else 0

    def counts(self) -> dict[str, int]:
        return {
            name: getattr(self, name)
            for name in (
                "links",
                "looked_up",
                "cached",
                "with_copy",
                "without_copy",
                "lookups_left",
                "saves_requested",
                "saves_verified",
                "saves_pending",
                "saves_left",
            )
        }


class _Closed(Exception):
    """An endpoint said to stop for longer than a run should wait."""


class _Job:
    """The mutable state of one archive run."""

    def __init__(
        self,
        store: Store,
        client: WaybackClient,
        settings: ArchiveSettings,
        clock: Callable[[], datetime],
        monotonic: Callable[[], float],
        sleep: Callable[[float], Awaitable[None]],
    ) -> None:
        self.store = store
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

    def raise_failure(self) -> None:
        if self.failure is not None:
            raise self.failure

    def check_reachable(self) -> None:
        if self.client.no_answer_streak >= self.settings.unreachable_after:
            raise ArchiveUnreachableError(
                f"{self.client.no_answer_streak} requests in a row to "
                f"{self.settings.wayback_url} got no answer at all"
            )

    async def with_tries(self, limiter: RateLimiter, call: Callable[[], Awaitable[Any]]) -> Any:
        """``call()``, tried again after each 429 (honouring Retry-After, or waiting
        the default), at most ``max_tries`` times in all; then RateLimitedError. A
        Retry-After longer than ``max_retry_after_s`` closes the endpoint for the run."""
        attempt = 1
        while True:
            try:
                return await call()
            except RateLimitedError as exc:
                wait_s = (
                    exc.retry_after
                    if exc.retry_after is not None
                    else self.settings.default_retry_after_s
                )
                if wait_s > self.settings.max_retry_after_s:
                    raise _Closed(str(exc)) from exc
                limiter.hold_off(wait_s)
                if attempt >= self.settings.max_tries:
                    raise
                attempt += 1

    # -- look-ups --------------------------------------------------------------------

    async def lookup(self, row: ArchiveRow, wanted: CopyWanted) -> None:
        """Ask the CDX index for the copy ``wanted`` and record what it says."""
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
        except (ArchiveError, _Closed):
            self.counts["lookups_left"] += 1
            self.check_reachable()
            return
        self.counts["looked_up"] += 1
        chosen, judged = choose_snapshot(found, wanted, row.content_type)
        self.store.record_lookup(
            row.link_id,
            looked_up_at=self.clock(),
            anchor=wanted.cache_anchor,
            found=judged,
            chosen=chosen,
            archive_url=replay_url(self.settings.wayback_url, chosen.timestamp, chosen.original)
            if chosen
            else None,
        )
        self.counts["with_copy" if chosen else "without_copy"] += 1
        self.consider_capture(row, chosen.timestamp if chosen else None)

    async def _cdx_rows(self, url: str, found_by: str, **query: Any) -> list[Snapshot]:
        client = self.client
        rows = await self.with_tries(client.cdx_limiter, lambda: client.cdx(url, **query))
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
        client = self.client
        mode = "spn2" if self.settings.authenticated else "anonymous"
        save = client.save_spn2 if mode == "spn2" else client.save_anonymous
        requested_at = self.clock()
        try:
            answer: JobStatus = await self.with_tries(client.save_limiter, lambda: save(url))
        except _Closed as exc:
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
        """Poll an SPN2 job until it ends or this run's budget for it is spent."""
        assert record.job_id is not None
        deadline = self.monotonic() + self.settings.poll_budget_s
        client = self.client
        while True:
            await self.sleep(self.settings.poll_interval_s)
            try:
                status: JobStatus = await self.with_tries(
                    client.status_limiter, lambda: client.job_status(record.job_id)
                )
            except (ArchiveError, _Closed):
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
            found = await self.with_tries(
                client.cdx_limiter,
                lambda: client.cdx(
                    url, from_ts=timestamp, to_ts=timestamp, only_ok=False, limit=10
                ),
            )
        except (ArchiveError, _Closed) as exc:
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

    def _unverified(self, capture_id: int, link_id: int, timestamp: str, why: str) -> None:
        self.store.update_capture(
            capture_id, state="unverified", now=self.clock(), timestamp=timestamp, detail=why
        )
        self.store.forget_lookup(link_id)
        self.counts["saves_left"] += 1


async def archive_links(
    store: Store,
    client: WaybackClient,
    settings: ArchiveSettings,
    *,
    clock: Callable[[], datetime],
    monotonic: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> ArchiveSummary:
    """Find (or refresh) every cited link's copy, and capture live pages that need it.

    SPN2 jobs left pending by an earlier run are polled first. Look-ups run
    concurrently (at most ``cdx_concurrency`` in flight) under the CDX rate limit;
    captures run one at a time under the save rate limit, alongside the look-ups.
    Raises ArchiveUnreachableError when the archive stops answering at all. With a
    ``settings.time_budget_s``, no look-up starts and no capture is asked for once it
    is spent: what is left is counted and waits for the next run, so a nightly job
    over thousands of new links is not held for hours by the archive's rate limits.
    """
    started = monotonic()
    job = _Job(store, client, settings, clock, monotonic, sleep)

    def over_budget() -> bool:
        budget = settings.time_budget_s
        if budget is None or monotonic() - started < budget:
            return False
        if not job.saving_closed:  # the captures still queued wait for the next run
            job.saving_closed = True
            job.counts["saves_left"] += job.save_queue.qsize()
        return True

    for record in store.pending_captures():
        job.start_poll(record)
    saver = asyncio.ensure_future(job.save_worker())
    slots = asyncio.Semaphore(settings.cdx_concurrency)
    try:
        for row in store.iter_archive_rows():
            job.raise_failure()
            wanted = copy_wanted(row.state, row.accessed, now=clock())
            if wanted is None:
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
    return ArchiveSummary(**job.counts, elapsed_s=monotonic() - started)


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
