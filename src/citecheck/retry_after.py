"""The one reader of ``Retry-After`` (RFC 9110 §10.2.3), for sites and the archive alike.

A server may send delta-seconds (``120``) or an HTTP-date (``Fri, 31 Dec 2027
23:59:59 GMT``). Anything else is garbage and reads as None ("no advice"), never
as an exception: ``str.isdigit()`` is true for ``²`` and ``٣``, which ``float()``
refuses, so only ASCII digits count. A date in the past is 0 s; every answer is
clamped to :data:`MAX_RETRY_AFTER_S`, so a hostile ``99999999999999999999`` is a
number the caller can compare and add, not an overflow.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

__all__ = ["MAX_RETRY_AFTER_S", "retry_after_s"]

#: The longest wait a Retry-After can ask for, as far as citecheck reads it: a day.
#: Every caller waits far less (and treats a longer request as "not now").
MAX_RETRY_AFTER_S = 86_400.0
#: Longer values are not a date nor a number anyone means.
_MAX_LENGTH = 64
_DELTA_SECONDS = re.compile(r"[0-9]+", re.ASCII)


def retry_after_s(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from ``now`` (delta-seconds or an HTTP-date), or None.

    ``now`` (aware) is the moment the answer arrived; by default the real clock.
    """
    if value is None:
        return None
    text = value.strip()
    if not text or len(text) > _MAX_LENGTH:
        return None
    if _DELTA_SECONDS.fullmatch(text):
        return min(float(int(text)), MAX_RETRY_AFTER_S)
    if not text.isascii():
        return None
    import email.utils  # only for a date (4 ms of a check's start otherwise, issue 11)

    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    moment = now if now is not None else datetime.now(UTC)
    try:
        wait = (when - moment).total_seconds()
    except OverflowError:
        return None
    return min(max(0.0, wait), MAX_RETRY_AFTER_S)
