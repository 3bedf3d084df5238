"""The choice rule, pure: which copy a link wants, which snapshot is acceptable and
offered, whether a cached look-up still stands, whether to ask for a new capture.

Plain functions over plain values (tested in tests/test_archive_policy.py); time
is always a parameter. The rule that matters most: a broken link is only ever
offered a capture that answered 200 and was taken *before* the page died.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from datetime import time as day_time

from ..captures import ArchiveLookup, CaptureRecord, Snapshot
from ..errors import InvalidURLError
from ..models import (
    HTML_TYPES,
    PDF_TYPES,
    LinkState,
    Status,
)
from ..urls import normalize_url


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


#: Cited URLs longer than this are not looked up: the archive keys no URL so long.
MAX_ARCHIVED_URL_LENGTH = 8192


def archivable(url: str) -> bool:
    """Whether the archive can be asked about ``url``: a valid http(s) URL of at most
    :data:`MAX_ARCHIVED_URL_LENGTH` characters (an invalid or 70 KB cited URL has no
    copy, and asking about it would fail every night)."""
    if len(url) > MAX_ARCHIVED_URL_LENGTH:
        return False
    try:
        return normalize_url(url).startswith(("http://", "https://"))
    except InvalidURLError:
        return False
