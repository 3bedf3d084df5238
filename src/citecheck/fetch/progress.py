"""What one fetch has seen so far, and its deadline (client.py)."""

from __future__ import annotations

import asyncio
import time
import typing
from dataclasses import dataclass, field

from ..frozen import builder
from ..lanes import Reservation
from ..models import FetchOutcome, Hop, Reason

if typing.TYPE_CHECKING:
    import httpx


@dataclass
class Progress:
    """What one fetch has seen so far; kept outside the deadline so it survives it."""

    url: str
    current_url: str
    hops: list[Hop] = field(default_factory=list)
    attempts: int = 0
    status_code: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: bytearray = field(default_factory=bytearray)
    reading_body: bool = False
    last_retryable: FetchOutcome | None = None
    reservation: Reservation | None = None
    started: float = field(default_factory=time.monotonic)
    #: The fetch's own cookies, from its first Set-Cookie (or preset) on.
    cookies: httpx.Cookies | None = None
    #: The host whose lane and global slot the first try holds until it starts.
    held_host: str | None = None

    def outcome(
        self,
        *,
        status_code: int | None = None,
        headers: typing.Mapping[str, str] | None = None,
        body: bytes = b"",
        body_truncated: bool = False,
        error: Reason | None = None,
        error_detail: str | None = None,
    ) -> FetchOutcome:
        """The outcome as of now (``elapsed_ms`` is counted from the fetch's start),
        built in one step (frozen.py: one a request)."""
        return _fetch_outcome(
            url=self.url,
            final_url=self.current_url,
            status_code=status_code,
            headers={} if headers is None else headers,
            hops=tuple(self.hops),
            body=body,
            body_truncated=body_truncated,
            error=error,
            error_detail=error_detail,
            elapsed_ms=int((time.monotonic() - self.started) * 1000),
            attempts=max(self.attempts, 1),
        )


_fetch_outcome = builder(FetchOutcome)


class Deadline:
    """The per-URL deadline, which can be paused while queued for a politeness slot."""

    __slots__ = ("_timeout", "_resume_in")

    def __init__(self, timeout: asyncio.Timeout) -> None:
        self._timeout = timeout
        self._resume_in: float | None = None

    def remaining_s(self) -> float:
        when = self._timeout.when()
        return float("inf") if when is None else when - asyncio.get_running_loop().time()

    def paused(self) -> Deadline:
        """``with deadline.paused():`` stops the deadline's clock for the block (a
        plain context manager: a generator's costs more than the pause itself)."""
        return self

    def __enter__(self) -> None:
        timeout = self._timeout
        if timeout.expired():
            self._resume_in = None
            return
        self._resume_in = self.remaining_s()
        timeout.reschedule(None)

    def __exit__(self, *exc_info: object) -> None:
        resume_in, self._resume_in = self._resume_in, None
        if resume_in is not None and not self._timeout.expired():
            self._timeout.reschedule(asyncio.get_running_loop().time() + resume_in)


__all__ = ["Deadline", "Progress"]
