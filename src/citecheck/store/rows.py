"""Rows ⇄ values shared by the query modules: times as text, links by position.

Rows are read by position, not by name: reports build a million values from them,
and a named row costs more than the tuple a driver returns.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from ..frozen import builder
from ..models import LinkState, Reason, Status
from ..urls import InvalidURLError, normalize_url

STATUS_BY_VALUE = {status.value: status for status in Status}
REASON_BY_VALUE = {reason.value: reason for reason in Reason}
LINK_COLUMNS = (
    "id, url, status, reason, http_status, final_url, title, page_count, checked_at, "
    "first_failure_at, consecutive_failures, last_ok_at, ever_ok, etag, last_modified, drift"
)
LINK_WIDTH = len(LINK_COLUMNS.split(","))
_link_state = builder(LinkState)


def link_key(url: str) -> tuple[str, bool]:
    """The links.url key of a cited URL, and whether the URL is valid."""
    try:
        return normalize_url(url), True
    except InvalidURLError:
        return url.strip(), False


def time_text(moment: datetime) -> str:
    """ISO-8601 in UTC: as text, these sort in time order."""
    if moment.tzinfo is UTC:  # the clock's and the store's own times: nothing to convert
        return moment.isoformat()
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"times must be timezone-aware, not {moment!r}")
    return moment.astimezone(UTC).isoformat()


def optional_time_text(moment: datetime | None) -> str | None:
    return None if moment is None else time_text(moment)


def parse_time(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def enum_value(member: Reason | None) -> str | None:
    return None if member is None else member.value


def link_state_of(row: tuple) -> LinkState:
    """A row of LINK_COLUMNS as a LinkState, built positionally: a check run reads every
    link, and keyword arguments cost a third more (LINK_COLUMNS follows LinkState's
    field order after the id, which tests/test_store_batches.py asserts), in one step
    (frozen.py)."""
    return _link_state(
        row[1],
        STATUS_BY_VALUE[row[2]],
        None if row[3] is None else REASON_BY_VALUE[row[3]],
        row[4],
        row[5],
        row[6],
        row[7],
        None if row[8] is None else datetime.fromisoformat(row[8]),
        None if row[9] is None else datetime.fromisoformat(row[9]),
        row[10],
        None if row[11] is None else datetime.fromisoformat(row[11]),
        bool(row[12]),
        row[13],
        row[14],
        json.loads(row[15]) if row[15] else None,
    )
