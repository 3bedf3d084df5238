"""Which answers and failures a fetch tries again, and how long it waits first.

Why few and short: an in-run retry only catches a blip (a gateway restarting, a
dropped connection). A 5xx or a connection error makes a link ``failing``, never
``broken``, in one night (verdict.py), so what protects the verdict is the next
night's try, not a longer wait within this one; and a retry's wait is time at the end
of a run (BENCHMARKS.md: the second retry of 500s added 3–4 s to a 2,000-link run).
"""

from __future__ import annotations

from collections.abc import Mapping

from ..config import Settings
from ..models import Reason
from ..retry_after import retry_after_s

#: Statuses that mean "try again later", not "this link is dead".
RETRYABLE_STATUSES = frozenset({408, 429, 500, 502, 503, 504, 520, 521, 522, 523, 524})
#: Retried once whatever ``max_attempts`` says, after a short pause
#: (``retry_500_after_s``, not the backoff): a 500 is the server's own error, mostly a
#: bug that answers the same a second later, or one request's failure that the next
#: request does not meet however soon it comes; unlike the gateway and "unavailable"
#: statuses, which keep every try and the backoff.
RETRIED_ONCE_STATUSES = frozenset({500})
#: Failures without an answer that are tried again.
RETRYABLE_REASONS = frozenset({Reason.TIMEOUT, Reason.CONNECTION_ERROR, Reason.DNS_TEMPORARY})


def retry_delay(
    status: int, headers: Mapping[str, str], attempt: int, settings: Settings
) -> float | None:
    """Seconds to wait before retrying this answer (try number ``attempt``), or None
    to keep it as final. ``headers`` have lower-case names.

    A Retry-After longer than ``max_retry_after_s`` is not waited for: the answer (a
    429 or 503) is reported as it is. A 500 is retried once at most, after
    ``retry_500_after_s`` unless it says Retry-After.
    """
    if status not in RETRYABLE_STATUSES:
        return None
    if status in RETRIED_ONCE_STATUSES and attempt > 1:
        return None
    retry_after = retry_after_s(headers.get("retry-after"))
    if retry_after is None:
        if status in RETRIED_ONCE_STATUSES:
            return settings.retry_500_after_s * _jitter()
        return backoff_s(attempt, settings)
    return retry_after if retry_after <= settings.max_retry_after_s else None


def backoff_s(attempt: int, settings: Settings) -> float:
    """Exponential backoff with jitter, so retries to one host do not move in step."""
    return settings.backoff_s * 2 ** (attempt - 1) * _jitter()


def _jitter() -> float:
    """A factor from 1.0 to 1.5. ``random`` is imported at the first retry, not at a
    check's start: its import seeds a generator from os.urandom and loads three C
    modules, and most checks retry late or never (issue 11)."""
    import random

    return random.uniform(1.0, 1.5)


__all__ = ["RETRYABLE_REASONS", "RETRYABLE_STATUSES", "backoff_s", "retry_delay"]
