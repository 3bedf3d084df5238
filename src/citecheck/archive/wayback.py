"""The Wayback Machine's APIs: CDX look-ups, Save Page Now (SPN2 with keys, the
anonymous ``GET /save/URL`` without) and SPN2 job status, each under its own rate
limit, through the checker's ``httpx.AsyncClient``. What they answer is validated in
``answers.py`` before anything is stored.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx

from ..captures import Snapshot
from ..config import DEFAULT_ARCHIVE_MAX_BODY_BYTES, ArchiveSettings
from ..errors import (
    ArchiveError,
    ArchiveServerError,
    ArchiveUnavailableError,
    RateLimitedError,
)
from ..fetch import RETRYABLE_STATUSES
from ..retry_after import retry_after_s
from .answers import is_job_id, is_timestamp, parse_cdx, parse_json, short_text
from .ratelimit import RateLimiter

_CDX_FIELDS = "timestamp,original,statuscode,mimetype,digest"
_TIMESTAMP = re.compile(r"/web/([0-9]{14})", re.ASCII)
_MEMENTO = re.compile(r'<[^>]*/web/([0-9]{14})[^>]*>\s*;[^,]*rel="[^"]*memento', re.ASCII)
#: SPN2 error codes that mean "you are over your quota": stop saving this run.
_QUOTA_ERRORS = frozenset(
    {"error:too-many-daily-captures", "error:user-session-limit", "error:too-many-requests"}
)


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
        try:
            request = self._http.build_request(
                method, url, params=params, data=data, headers=headers
            )
        except (httpx.InvalidURL, UnicodeError, ValueError) as exc:  # a URL httpx refuses
            raise ArchiveError(f"cannot ask the archive {method} {_shown(url)}: {exc}") from exc
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
                retry_after_s(response.headers.get("retry-after")),
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
        return parse_cdx(body, url)

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
        if status == 200 and is_job_id(job_id):
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
            if not is_timestamp(timestamp):
                return JobStatus(state="error", detail="SPN2 reported success with no timestamp")
            return JobStatus(state="success", timestamp=timestamp)
        if state == "pending":
            return JobStatus(state="pending")
        return _spn2_error(answer, f"SPN2 job {job_id} ended as {short_text(repr(state))}")

    async def save_anonymous(self, url: str) -> JobStatus:
        """``GET /save/URL``: ``success`` with the capture's timestamp from the headers."""
        await self.save_limiter.wait()
        status, headers, _ = await self._request("GET", f"{self._base}/save/{url}", read_body=False)
        timestamp = capture_timestamp(headers)
        if status < 400 and is_timestamp(timestamp):
            return JobStatus(state="success", timestamp=timestamp)
        return JobStatus(
            state="error", detail=f"Save Page Now answered {status} and named no capture"
        )


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
        value = parse_json(body, what="Save Page Now")
    except ArchiveError:
        return None
    return value if isinstance(value, dict) else None


def _spn2_error(answer: dict[str, Any] | None, fallback: str) -> JobStatus:
    if answer is None:
        return JobStatus(state="error", detail=fallback)
    code = short_text(answer.get("status_ext"))
    message = short_text(answer.get("message"), fallback) or fallback
    return JobStatus(
        state="error", detail=f"{code}: {message}" if code else message, quota=code in _QUOTA_ERRORS
    )


def _shown(url: str) -> str:
    return url if len(url) <= 120 else url[:117] + "..."
