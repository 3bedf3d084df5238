"""Other Memento archives over the checker's ``httpx.AsyncClient``: TimeMaps (link
format or JSON), TimeGates with ``Accept-Datetime``, an aggregator's TimeMap, and the
fetch that verifies a memento. Each archive has its own rate limit and timeout;
what they answer is validated in ``memento.py``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import datetime
from urllib.parse import urljoin, urlsplit

import httpx

from ..captures import Snapshot
from ..config import MementoArchive, MementoSettings
from ..errors import ArchiveError, ArchiveServerError, ArchiveUnavailableError, RateLimitedError
from ..fetch import RETRYABLE_STATUSES
from ..retry_after import retry_after_s
from .memento import (
    accept_datetime,
    memento_problem,
    on_hosts,
    parse_link_format,
    parse_memento_datetime,
    parse_timemap,
)
from .policy import cdx_timestamp
from .ratelimit import RateLimiter

#: Bytes of a TimeMap read at most: a cited page's TimeMap, not a home page's.
DEFAULT_TIMEMAP_MAX_BYTES = 8 * 1024 * 1024
#: Redirects followed when verifying a memento (replay often redirects to the
#: capture's exact timestamp); each must stay on the archive's hosts.
MAX_MEMENTO_REDIRECTS = 5
#: Words in a redirect's path that mean "sign in", not "here is the copy".
_LOGIN_WORDS = ("login", "signin", "sign-in", "sign_in", "auth", "account", "captcha")


class MementoClient:
    """The Memento archives of ``settings``, each under its own rate limit.

    Errors, as the Wayback client's: :class:`RateLimitedError` (429),
    :class:`ArchiveServerError` (5xx), :class:`ArchiveUnavailableError` (no answer
    or a timeout), :class:`ArchiveError` (anything else unusable). The caller skips
    the archive for the link on any of them.
    """

    def __init__(
        self,
        http: httpx.AsyncClient,
        settings: MementoSettings,
        *,
        max_body_bytes: int = DEFAULT_TIMEMAP_MAX_BYTES,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._http = http
        self.settings = settings
        self._max_body_bytes = max_body_bytes
        self.limiters = {
            archive.key: RateLimiter(archive.rate, clock=clock, sleep=sleep)
            for archive in settings.archives
        }
        self.aggregator_limiter = RateLimiter(settings.aggregator_rate, clock=clock, sleep=sleep)

    async def _get(
        self,
        url: str,
        *,
        name: str,
        timeout_s: float,
        headers: dict[str, str] | None = None,
        read_body: bool = True,
    ) -> tuple[int, httpx.Headers, bytes]:
        """One GET; the one place where its failures become citecheck's errors."""
        try:
            request = self._http.build_request("GET", url, headers=headers)
        except (httpx.InvalidURL, UnicodeError, ValueError) as exc:
            raise ArchiveError(f"cannot ask {name} for {url[:120]}: {exc}") from exc
        try:
            async with asyncio.timeout(timeout_s):
                response = await self._http.send(request, stream=True)
                try:
                    body = await self._read(response, name) if read_body else b""
                finally:
                    await response.aclose()
        except (TimeoutError, httpx.TimeoutException) as exc:
            raise ArchiveUnavailableError(
                f"{name} did not answer in {timeout_s:g} s", submitted=True
            ) from exc
        except httpx.TransportError as exc:
            raise ArchiveUnavailableError(
                f"could not reach {name}: {exc or type(exc).__name__}", submitted=False
            ) from exc
        status = response.status_code
        if status == 429:
            raise RateLimitedError(
                f"{name} answered 429", retry_after_s(response.headers.get("retry-after"))
            )
        if status >= 500 or status in RETRYABLE_STATUSES:
            raise ArchiveServerError(f"{name} answered {status}", status)
        return status, response.headers, body

    async def _read(self, response: httpx.Response, name: str) -> bytes:
        body = bytearray()
        async for chunk in response.aiter_bytes():
            body += chunk
            if len(body) > self._max_body_bytes:
                raise ArchiveError(f"{name} answered more than {self._max_body_bytes} bytes")
        return bytes(body)

    async def timemap(self, archive: MementoArchive, url: str) -> list[Snapshot]:
        """The mementos ``archive``'s TimeMap lists for ``url`` (a 404 is "none")."""
        assert archive.timemap_url is not None
        await self.limiters[archive.key].wait()
        status, _, body = await self._get(
            archive.timemap_url + url, name=archive.name, timeout_s=archive.timeout_s
        )
        if status in (404, 410):
            return []
        if status != 200:
            raise ArchiveError(f"{archive.name}'s TimeMap answered {status}")
        found, _ = parse_timemap(
            body,
            archive=archive.key,
            url=url,
            hosts=archive.hosts,
            json_format=archive.timemap_format == "json",
        )
        return found

    async def timegate(self, archive: MementoArchive, url: str, moment: datetime) -> list[Snapshot]:
        """The memento ``archive``'s TimeGate names closest to ``moment``, with the
        neighbours its ``Link`` header lists (a 404 is "none")."""
        assert archive.timegate_url is not None
        await self.limiters[archive.key].wait()
        status, headers, _ = await self._get(
            archive.timegate_url + url,
            name=archive.name,
            timeout_s=archive.timeout_s,
            headers={"Accept-Datetime": accept_datetime(moment)},
            read_body=False,
        )
        if status in (404, 410):
            return []
        if status not in (200, 302, 303, 307):
            raise ArchiveError(f"{archive.name}'s TimeGate answered {status}")
        listed: dict[str, object] = {}
        try:
            links = parse_link_format(headers.get("link", ""))
        except ArchiveError:
            links = []
        for uri, params in links:
            if "memento" in params.get("rel", "").split():
                listed[urljoin(archive.timegate_url, uri)] = params.get("datetime")
        location = headers.get("location")
        if location:
            target = urljoin(archive.timegate_url, location)
            listed.setdefault(target, headers.get("memento-datetime"))
        found = []
        for memento_url, when in listed.items():
            moment_of = parse_memento_datetime(when)
            if moment_of is None or memento_problem(memento_url, url, archive.hosts):
                continue
            found.append(
                Snapshot(
                    timestamp=cdx_timestamp(moment_of),
                    original=url,
                    archive=archive.key,
                    memento_url=memento_url,
                    found_by="timegate",
                )
            )
        if listed and not found:
            raise ArchiveError(f"{archive.name}'s TimeGate named no well-formed memento")
        return found

    async def aggregated(self, url: str) -> list[Snapshot]:
        """The mementos the aggregator lists for ``url``, each attributed to the asked
        archive whose hosts it is on (mementos of other archives are dropped)."""
        base = self.settings.aggregator_url
        assert base is not None
        await self.aggregator_limiter.wait()
        status, _, body = await self._get(
            f"{base}/timemap/link/{url}",
            name="the aggregator",
            timeout_s=self.settings.aggregator_timeout_s,
        )
        if status in (404, 410):
            return []
        if status != 200:
            raise ArchiveError(f"the aggregator's TimeMap answered {status}")
        hosts = tuple(host for archive in self.settings.asked for host in archive.hosts)
        found, _ = parse_timemap(body, archive="aggregator", url=url, hosts=hosts)
        attributed = []
        for memento in found:
            assert memento.memento_url is not None
            for archive in self.settings.asked:
                if on_hosts(memento.memento_url, archive.hosts):
                    attributed.append(replace(memento, archive=archive.key))
                    break
        return attributed

    async def verify(
        self, archive: MementoArchive, memento: Snapshot
    ) -> tuple[Snapshot, str | None]:
        """Fetch ``memento`` and say whether it is a copy: ``(memento with the status
        it answered, None)``, or ``(…, why not)``. Redirects are followed on the
        archive's hosts only; one to a login page, another host or an error is not
        a copy. The body is not read."""
        assert memento.memento_url is not None
        target = memento.memento_url
        for _ in range(MAX_MEMENTO_REDIRECTS + 1):
            await self.limiters[archive.key].wait()
            status, headers, _ = await self._get(
                target, name=archive.name, timeout_s=archive.timeout_s, read_body=False
            )
            if status not in (301, 302, 303, 307, 308):
                break
            location = headers.get("location")
            if not location:
                return replace(memento, status_code=status), f"redirects ({status}) nowhere"
            target = urljoin(target, location)
            path = urlsplit(target).path.lower()
            if not on_hosts(target, archive.hosts):
                return replace(memento, status_code=status), "redirects off the archive"
            if any(word in path for word in _LOGIN_WORDS):
                return replace(memento, status_code=status), "redirects to a login page"
        else:
            return memento, f"redirects more than {MAX_MEMENTO_REDIRECTS} times"
        checked = replace(
            memento, status_code=status, mimetype=_media_type(headers.get("content-type"))
        )
        if status != 200:
            return checked, f"the memento answers {status}, not 200"
        return checked, None


def _media_type(value: str | None) -> str | None:
    kind = (value or "").split(";", 1)[0].strip().lower()
    return kind if kind and len(kind) <= 100 and kind.isascii() and " " not in kind else None
