"""The HTTP client: one GET per URL, politely, within a deadline, never trusting the server.

Why GET and never HEAD: many servers answer HEAD differently from GET (405, 404, a
200 for a page that is gone, a redirect to a different place), and the body is
needed anyway for titles and soft-404 rules. A streamed GET whose body is cut at a
cap costs little more than a HEAD.

Why decompression is done by hand (inflate.py, body.py): the raw bytes are inflated
with ``zlib``'s ``max_length``, so a small "gzip bomb" never produces more than the
cap of decoded bytes (``max_body_bytes``, or ``max_pdf_bytes`` for PDFs).

Lower-layer failures (errors.py) become a :class:`~citecheck.models.Reason` in one
place, reasons.py; DNS and the address policy live in the pools' network backend
(policy.py). The GET is built in request.py and sent in exchange.py.

The deadline (``Settings.timeout_s``) covers DNS, connect, headers, body, every
redirect and every retry, including backoff sleeps. Time spent queued behind other
URLs for a politeness slot is not counted: a host with many links must not make
the last of them time out in citecheck's own queue. When the deadline hits while a
final response's body is being read, the status and the bytes read so far are kept
(``body_truncated=True``, no error): the server did answer. When it hits before any
final response, the outcome is ``Reason.TIMEOUT``, unless an earlier try already got
a retryable answer (a 503, a 429), which is then returned as it was.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import typing
from collections.abc import AsyncIterable, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from types import TracebackType
from urllib.parse import urljoin

from ..config import DEFAULT_PDF_READERS, Settings
from ..errors import InvalidURLError
from ..lanes import Lanes, Reservation
from ..models import PDF_TYPES, FetchOutcome, Hop, Reason
from ..retry_after import retry_after_s
from ..urls import CHECKABLE_SCHEMES, host_key, normalize_url, scheme_of
from .body import discard_small_body, read_capped
from .errors import lower_layer_errors
from .exchange import Sender
from .inflate import inflater_for
from .policy import policy_pools
from .pools import PoolPerOrigin
from .progress import Deadline, Progress
from .reasons import client_refusal, reason_for
from .request import client_headers, conditional_headers, request_fields
from .retries import RETRYABLE_REASONS, RETRYABLE_STATUSES, backoff_s, retry_delay
from .slots import Slots

if typing.TYPE_CHECKING:
    import httpx

__all__ = ["Budget", "Fetcher", "RETRYABLE_STATUSES"]

_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})

#: What a wait for a slot is done in before a fetch's deadline has started.
_NOT_PAUSED = contextlib.nullcontext()


def _body_of(progress: Progress) -> bytearray:
    """A new body for ``progress``, filled as it is read: what was read is kept if
    the deadline ends the read (only once the reading starts, not while waiting)."""
    progress.body = bytearray()
    progress.reading_body = True
    return progress.body


def _shown(url: str) -> str:
    return url if len(url) <= 200 else url[:197] + "..."


@dataclass
class Budget:
    """Seconds left of one URL's deadline, shared by its fetch and its sibling probe
    (one deadline per URL, whatever it takes to judge it)."""

    remaining_s: float


class Fetcher:
    """Fetches URLs with citecheck's politeness, deadline, retry and size rules.

    Use as an async context manager. ``transport`` replaces the network (tests);
    ``sleep`` replaces the backoff wait (tests).

    Its fetches go to citecheck's pools (policy.py) without httpx. The one
    ``httpx.AsyncClient`` over the same pools is built only when asked for
    (:attr:`client`: the archive, the network probe) or when a fetch needs httpx's
    transport interface (``transport`` given, or respx in tests); a check that needs
    neither never imports httpx (issue 11).
    """

    def __init__(
        self,
        settings: Settings,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._settings = settings
        self._transport = transport
        self._sleep = sleep
        self._pools: PoolPerOrigin | None = None
        self._client: httpx.AsyncClient | None = None
        self._entered = False
        self._sender: Sender | None = None
        self._global_slots = Slots(settings.concurrency)
        self._pdf_readers = asyncio.Semaphore(DEFAULT_PDF_READERS)
        #: The per-host lanes; check.py's dispatcher watches them to start links.
        self.lanes = Lanes(settings.per_host)

    async def __aenter__(self) -> Fetcher:
        settings = self._settings
        given = self._transport
        if given is None:
            self._pools = own = policy_pools(settings)
        else:  # given, so httpx is loaded: its pools are used directly if it is ours
            from .transport import PolicyTransport

            own = given.pools if type(given) is PolicyTransport else None
        # Only the connect timeout is a fetch's own: the per-URL deadline, never
        # longer than the client's read, write and pool timeouts and started before
        # any of them, ends a fetch first; their timers would only cost CPU.
        timeouts = {
            "connect": settings.connect_timeout_s,
            **dict.fromkeys(("read", "write", "pool")),
        }
        self._sender = Sender(
            request_fields(client_headers(settings.user_agent)),
            timeouts,
            pools=own,
            transport=self._httpx_transport,
        )
        self._entered = True
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None = None,
        exc_value: BaseException | None = None,
        traceback: TracebackType | None = None,
    ) -> None:
        if not self._entered:
            return
        self._entered = False
        client, self._client = self._client, None
        pools, self._pools = self._pools, None
        if client is not None:  # closes its transport, and with it the pools
            await client.aclose()
        elif self._transport is not None:
            await self._transport.aclose()
        elif pools is not None:
            await pools.aclose()

    @property
    def _http(self) -> httpx.AsyncClient:
        if not self._entered:
            raise RuntimeError("use Fetcher as 'async with Fetcher(settings) as fetcher'")
        if self._client is None:
            from .transport import PolicyTransport, httpx_client

            transport = self._transport
            if transport is None:
                assert self._pools is not None
                transport = PolicyTransport(self._pools)
            self._client = httpx_client(
                transport, client_headers(self._settings.user_agent), self._settings
            )
        return self._client

    def _httpx_transport(self) -> httpx.AsyncBaseTransport:
        return self._http._transport  # noqa: SLF001

    def when_requests_out(self, callback: Callable[[], None] | None) -> None:
        """Call ``callback`` once, in a turn of the loop of its own, the first time no
        fetch's request is waiting to be written (exchange.py): the first links'
        requests are out and only their answers are awaited. None forgets it. A
        Fetcher not entered (a test's, whose fetches are its own) never calls it."""
        if self._sender is not None:
            self._sender.when_requests_out(callback)

    @property
    def client(self) -> httpx.AsyncClient:
        """The one ``httpx.AsyncClient``, for the Wayback client (archive/), which
        must share its transport, DNS policy and connection pool (built when first
        asked for)."""
        return self._http

    async def fetch(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        cookies: Sequence[tuple[str, str, str]] = (),
        reservation: Reservation | None = None,
        budget: Budget | None = None,
    ) -> FetchOutcome:
        """GET ``url``, following redirects; never raises for network problems.

        ``cookies`` are ``(name, value, domain)`` sent from the first request on (a
        consent cookie, see sites.py); the fetch's own cookies are kept as always.
        ``reservation`` is the lane the dispatcher kept for this link's first
        request. ``budget``, when given, is the deadline (instead of
        ``settings.timeout_s``) and is left holding what remains of it.
        """
        started = time.monotonic()
        try:
            target = normalize_url(url)
        except InvalidURLError as exc:
            return FetchOutcome(
                url=url, final_url=url, error=Reason.INVALID_URL, error_detail=str(exc)
            )
        if scheme_of(target) not in CHECKABLE_SCHEMES:
            return FetchOutcome(
                url=url,
                final_url=target,
                error=Reason.UNSUPPORTED_SCHEME,
                error_detail=f"only http and https links are checked, not {scheme_of(target)}:",
            )
        refusal = client_refusal(target)
        if refusal is not None:
            return FetchOutcome(
                url=url, final_url=target, error=refusal[0], error_detail=refusal[1]
            )
        conditional = conditional_headers(etag, last_modified)
        progress = Progress(url=url, current_url=target, reservation=reservation, started=started)
        timeout_s = self._settings.timeout_s if budget is None else budget.remaining_s
        if timeout_s <= 0:
            return self._on_deadline(progress)
        # The first request's lane and slot are taken before the deadline starts:
        # time queued for them does not count, and a wait here needs no pause of the
        # deadline's timer (two moves of it; 20,000 links queue for slots often).
        host = host_key(target)
        lane = self.lanes.try_acquire(host, reservation)
        if not (lane and self._global_slots.try_take()):
            await self._take_slot(host, None, reservation, lane)
        progress.held_host = host
        deadline: Deadline | None = None
        try:
            async with asyncio.timeout(timeout_s) as timeout:
                deadline = Deadline(timeout)
                outcome = await self._follow(progress, conditional, deadline, cookies)
        except TimeoutError:
            outcome = self._on_deadline(progress)
        finally:
            if progress.held_host is not None:  # never used: the fetch ended first
                self._global_slots.release()
                self.lanes.release(progress.held_host)
        if budget is not None:
            budget.remaining_s = max(0.0, deadline.remaining_s()) if deadline else 0.0
        if self.lanes.sends_waiting:  # a lane went on: its request first (lanes.py)
            await self.lanes.sends_first()
        return outcome

    def _on_deadline(self, progress: Progress) -> FetchOutcome:
        if progress.reading_body and progress.status_code is not None:
            return progress.outcome(
                status_code=progress.status_code,
                headers=progress.headers,
                body=bytes(progress.body),
                body_truncated=True,
            )
        if progress.last_retryable is not None:
            elapsed_ms = int((time.monotonic() - progress.started) * 1000)
            return replace(progress.last_retryable, elapsed_ms=elapsed_ms)
        return progress.outcome(
            error=Reason.TIMEOUT,
            error_detail=f"no answer within the {self._settings.timeout_s:g} s deadline",
        )

    async def _follow(
        self,
        progress: Progress,
        conditional: dict[str, str],
        deadline: Deadline,
        preset: Sequence[tuple[str, str, str]] = (),
    ) -> FetchOutcome:
        seen = {progress.current_url}
        if preset:
            import httpx  # the cookie jar is httpx's

            progress.cookies = httpx.Cookies()
            for name, value, domain in preset:
                progress.cookies.set(name, value, domain=domain)
        extra_headers = conditional
        while True:
            outcome = await self._with_retries(progress, extra_headers, deadline)
            location = outcome.headers.get("location")
            if outcome.status_code not in _REDIRECT_STATUSES or not location:
                return outcome
            try:
                absolute = urljoin(progress.current_url, location.strip())
            except ValueError as exc:  # "http://[" and other unparseable Locations
                return progress.outcome(
                    error=Reason.INVALID_URL,
                    error_detail=f"redirected to an invalid URL {_shown(location)!r}: {exc}",
                )
            progress.hops.append(Hop(progress.current_url, outcome.status_code, absolute))
            try:
                next_url = normalize_url(absolute)
            except InvalidURLError as exc:
                return progress.outcome(
                    error=Reason.INVALID_URL,
                    error_detail=f"redirected to an invalid URL: {exc}",
                )
            if scheme_of(next_url) not in CHECKABLE_SCHEMES:
                return progress.outcome(
                    error=Reason.UNSUPPORTED_SCHEME,
                    error_detail=f"redirected to a non-http(s) URL: {absolute}",
                )
            refusal = client_refusal(next_url)
            if refusal is not None:
                return progress.outcome(
                    error=refusal[0], error_detail=f"redirected to {_shown(absolute)}: {refusal[1]}"
                )
            if next_url in seen:
                return progress.outcome(
                    error=Reason.REDIRECT_LOOP,
                    error_detail=f"the redirects come back to {absolute}",
                )
            if len(progress.hops) > self._settings.max_redirects:
                return progress.outcome(
                    error=Reason.TOO_MANY_REDIRECTS,
                    error_detail=f"more than {self._settings.max_redirects} redirects",
                )
            seen.add(next_url)
            progress.current_url = next_url
            extra_headers = {}

    async def _with_retries(
        self,
        progress: Progress,
        extra_headers: dict[str, str],
        deadline: Deadline,
    ) -> FetchOutcome:
        progress.attempts = 0
        progress.last_retryable = None
        while True:
            progress.attempts += 1
            may_retry = progress.attempts < self._settings.max_attempts
            try:
                if progress.held_host is not None:  # the first try's, taken by fetch()
                    host, progress.held_host = progress.held_host, None
                else:
                    # Both taken by plain calls when free (nearly always: the dispatcher
                    # starts a link when its host's lane has room); awaited only to wait.
                    host = host_key(progress.current_url)
                    lane = self.lanes.try_acquire(host, progress.reservation)
                    if not (lane and self._global_slots.try_take()):
                        await self._take_slot(host, deadline, progress.reservation, lane)
                try:
                    outcome, delay = await self._exchange(
                        progress, extra_headers, may_retry, deadline
                    )
                finally:
                    self._global_slots.release()
                    self.lanes.release(host)
            except lower_layer_errors() as exc:
                reason, detail = reason_for(exc)
                outcome = progress.outcome(error=reason, error_detail=detail)
                if not may_retry or reason not in RETRYABLE_REASONS:
                    return outcome
                delay = backoff_s(progress.attempts, self._settings)
                if delay >= deadline.remaining_s():
                    # The deadline would cut the wait short: report what was seen.
                    return outcome
            else:
                if delay is None:
                    return outcome
                progress.last_retryable = outcome
            await self._sleep(delay)

    def _pause_host(self, url: str, headers: Mapping[str, str]) -> None:
        """A Retry-After pauses the whole host (every link to it), not only the link
        that got it; never for longer than ``max_retry_after_s``."""
        retry_after = retry_after_s(headers.get("retry-after"))
        if retry_after is not None:
            self.lanes.pause(host_key(url), min(retry_after, self._settings.max_retry_after_s))

    async def _take_slot(
        self,
        host: str,
        deadline: Deadline | None,
        reservation: Reservation | None,
        lane_held: bool,
    ) -> None:
        """Wait for the host's lane (unless ``lane_held``), then a global slot, for
        one request (in that order, so that requests queued for a busy host do not
        hold global slots other hosts could use); the caller releases both. Waiting
        for either does not count against the ``deadline`` (None: not started yet);
        a slot free at once is taken without pausing it (each pause moves its timer
        twice)."""
        if not lane_held and not self.lanes.try_acquire(host, reservation):
            with _NOT_PAUSED if deadline is None else deadline.paused():
                await self.lanes.acquire(host, reservation)
        try:
            if not self._global_slots.try_take():
                with _NOT_PAUSED if deadline is None else deadline.paused():
                    await self._global_slots.take()
        except BaseException:
            self.lanes.release(host)
            raise

    async def _exchange(
        self,
        progress: Progress,
        extra_headers: dict[str, str],
        may_retry: bool,
        deadline: Deadline,
    ) -> tuple[FetchOutcome, float | None]:
        """One request. Returns the outcome and, when it should be retried, the
        seconds to wait first (the server's Retry-After, or the backoff); None when
        the outcome is final."""
        progress.reading_body = False
        # Straight to the client's transport (or, when it is citecheck's own, to its
        # pools; exchange.py): what ``AsyncClient.send`` adds on top (auth, event
        # hooks, a parse of every redirect's Location, the client's cookie jar, a log
        # line) is nothing a fetch uses, and it was a sixth of a fetch's CPU.
        assert self._sender is not None, "use Fetcher as 'async with Fetcher(settings)'"
        answer = await self._sender.send(progress.current_url, extra_headers, progress.cookies)
        try:
            status = answer.status
            headers = answer.headers
            if "set-cookie" in headers:
                if progress.cookies is None:  # the jar's work is costly: none until needed
                    import httpx  # the cookie jar is httpx's

                    progress.cookies = httpx.Cookies()
                answer.extract_cookies(progress.cookies)
            progress.status_code, progress.headers = status, headers
            if status in RETRYABLE_STATUSES:
                self._pause_host(progress.current_url, headers)
            delay = (
                retry_delay(status, headers, progress.attempts, self._settings)
                if may_retry
                else None
            )
            if delay is not None and delay < deadline.remaining_s():
                await discard_small_body(answer.body, headers)
                return progress.outcome(status_code=status, headers=headers), delay
            if status in _REDIRECT_STATUSES and headers.get("location"):
                await discard_small_body(answer.body, headers)
                return progress.outcome(status_code=status, headers=headers), None
            body, truncated, detail = await self._read_body(answer.body, headers, progress)
            return progress.outcome(
                status_code=status,
                headers=headers,
                body=body,
                body_truncated=truncated,
                error_detail=detail,
            ), None
        finally:
            await answer.aclose()

    async def _read_body(
        self, raw: AsyncIterable[bytes], headers: Mapping[str, str], progress: Progress
    ) -> tuple[bytes, bool, str | None]:
        """Up to the cap of decoded bytes; the rest is never read (nor inflated)."""
        inflater = inflater_for(headers.get("content-encoding"))
        if inflater is None:
            return b"", False, None
        content_type = headers.get("content-type", "").split(";", 1)[0].strip().lower()
        if content_type not in PDF_TYPES:
            cap = self._settings.max_body_bytes
            return await read_capped(raw, inflater, cap, _body_of(progress))
        # PDFs are read whole (their metadata is often at the end), so few at a time.
        async with self._pdf_readers:
            cap = self._settings.max_pdf_bytes
            return await read_capped(raw, inflater, cap, _body_of(progress))

    async def is_network_up(self) -> bool:
        """True if any of ``settings.probe_urls`` gives any HTTP response at all."""
        probes = [asyncio.ensure_future(self._probe(url)) for url in self._settings.probe_urls]
        try:
            for finished in asyncio.as_completed(probes):
                if await finished:
                    return True
            return False
        finally:
            for probe in probes:
                probe.cancel()
            await asyncio.gather(*probes, return_exceptions=True)

    async def _probe(self, url: str) -> bool:
        http = self._http  # through httpx's client: httpx is loaded from here on
        import httpx

        try:
            async with asyncio.timeout(self._settings.connect_timeout_s):
                async with http.stream("GET", url):
                    return True
        except (TimeoutError, httpx.HTTPError, httpx.InvalidURL):
            return False
