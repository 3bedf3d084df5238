"""What each row and section of the HTML report shows (html.py writes the page):
a link's badge, action, history strip, drift marker and next check, built from
its report entry as plain values the template prints.

History strips, a million marks, are made here rather than by a template loop:
each distinct mark is escaped once (a cache keyed by day, status, reason and HTTP
status) and a row's strip is one string, written as it would have been by the
template.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from markupsafe import Markup, escape

from ..models import CHANGE_KINDS, STATUS_ORDER, HistoryEntry, LinkState, Reason, Status
from . import LinkReport
from .pages import page_check_text

#: Badge text and glyph: a status is never told by colour alone.
LABELS = {
    Status.BROKEN: ("Broken", "✕"),
    Status.FAILING: ("Failing", "!"),
    Status.BLOCKED: ("Blocked", "⊘"),
    Status.REDIRECTED: ("Redirected", "↪"),
    Status.OK: ("OK", "✓"),
    Status.SKIPPED: ("Skipped", "–"),
    Status.UNCHECKED: ("Unchecked", "?"),
}
#: One-letter CSS classes of history marks: a history strip has 100 of them per link.
MARK_CLASS = {
    Status.OK: "o",
    Status.REDIRECTED: "r",
    Status.BROKEN: "b",
    Status.FAILING: "f",
    Status.BLOCKED: "k",
    Status.SKIPPED: "s",
    Status.UNCHECKED: "u",
}
# No white space or control characters: a browser strips those, so "java\tscript:"
# must not sneak through as text that only looks like it is not a link.
_WEB_URL = re.compile(r"(?i)https?://[^\x00-\x20\x7f]+")
_WAYBACK_TIMESTAMP = re.compile(r"(\d{4})(\d{2})(\d{2})(\d{2})?(\d{2})?\d*")
#: What changed, by drift kind (drift.DRIFT_KINDS): "the title changed".
_DRIFT_WHAT = {"title": "title", "text": "text", "title+text": "title and text"}
_CHANGE_TITLES = {
    "newly_broken": "Newly broken",
    "newly_failing": "Newly failing",
    "recovered": "Recovered",
    "newly_drifted": "Newly drifted",
}
DRIFT_ACTION = (
    "Check that the page still supports the claim; "
    "swap in the archived copy from before the change if not"
)


def is_web_url(url: str | None) -> bool:
    """True when ``url`` may become a link: http(s), nothing a browser would rewrite."""
    return url is not None and _WEB_URL.fullmatch(url) is not None


@dataclass(frozen=True)
class _Citation:
    where: str
    document: str | None
    page: str | None
    title: str | None
    context: str | None
    page_check: str | None = None


@dataclass(frozen=True)
class _Action:
    """What to do, and the URL to do it with (shown as a link only if http(s))."""

    text: str
    target: str | None = None

    @property
    def target_is_link(self) -> bool:
        return is_web_url(self.target)


@dataclass(frozen=True)
class _Drift:
    """How a page drifted, as text to show: what changed, the titles, since when.

    The text similarity is not shown: fingerprints of unrelated texts still agree on
    about half of their bits, so "50% similar" would suggest a page half intact.
    """

    what: str
    before_title: str | None
    after_title: str | None
    title_changed: bool
    since: str | None  # a date a person reads
    since_iso: str  # for <time datetime>, "" when ``since`` is not a time


@dataclass(frozen=True)
class Drifted:
    """One entry of the Drifted section."""

    title: str | None
    url: str
    url_is_link: bool
    drift: _Drift


@dataclass(frozen=True)
class _Changed:
    """One kind of change of the last run and its URLs (each: text, is it a link)."""

    kind: str
    title: str
    urls: tuple[tuple[str, bool], ...]


@dataclass(frozen=True)
class Row:
    """What the template shows for one link, computed once from a LinkReport."""

    status: str
    label: str
    glyph: str
    rank: int
    why: str
    url: str
    url_is_link: bool
    title_seen: str | None
    titles_cited: tuple[str, ...]
    citations: tuple[_Citation, ...]
    failing_since: datetime | None
    consecutive_failures: int
    shows_failure: bool
    last_ok_at: datetime | None
    check_count: int
    marks: Markup  # the history strip, oldest first
    archive_url: str | None
    archive_is_link: bool
    archive_when: str | None
    archive_held: str | None  # "in arquivo-pt; copies in 2 archives", when others were asked
    action: _Action
    drift: _Drift | None
    archive_after_drift: bool  # the archived copy may already show the changed page
    next_check: str | None  # "2024-06-08", "at the next run", or None (no schedule)
    next_check_iso: str


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC) if value.tzinfo is not None else value.replace(tzinfo=UTC)


def when_text(value: datetime | None) -> str:
    return _utc(value).strftime("%Y-%m-%d %H:%M UTC") if value is not None else "never"


def iso_text(value: datetime | None) -> str:
    return _utc(value).isoformat() if value is not None else ""


def _day(checked_at: str) -> str:
    """The UTC date of a check time (the store writes UTC: see _marks for the fast case)."""
    return _utc(datetime.fromisoformat(checked_at)).strftime("%Y-%m-%d")


@functools.lru_cache(maxsize=1 << 16)
def _mark(day: str, status: str, reason: str | None, http_status: int | None) -> str:
    """One history mark as HTML: its CSS class, and the label shown on hover and read
    aloud, escaped. An unknown status or reason fails here, as it always has."""
    label = f"{day} {Status(status).value}"
    if http_status is not None:
        label += f" {http_status}"
    if reason is not None:
        label += f" {Reason(reason).value}"
    return f"<b class={MARK_CLASS[status]}>{escape(label)}</b>"


def _marks(history: Sequence[HistoryEntry]) -> Markup:
    mark = _mark  # _day's fast case inlined: this runs a million times
    return Markup(
        "".join(
            [
                mark(
                    checked_at[:10] if checked_at.endswith("+00:00") else _day(checked_at),
                    status,
                    reason,
                    http_status,
                )
                for checked_at, status, reason, http_status in history
            ]
        )
    )


def _archive_when(timestamp: str | None) -> str | None:
    """A Wayback timestamp (``20240501123000``) as a date a person reads."""
    if timestamp is None:
        return None
    match = _WAYBACK_TIMESTAMP.fullmatch(timestamp)
    if match is None:
        return timestamp
    year, month, day, hour, minute = match.groups()
    date = f"{year}-{month}-{day}"
    return f"{date} {hour}:{minute} UTC" if hour and minute else date


def _action(link: LinkReport, drifted: bool) -> _Action:
    state = link.state
    if drifted and state.status is Status.OK:
        return _Action(DRIFT_ACTION)
    if drifted and state.status is Status.REDIRECTED:
        return _Action(
            "Check that the redirect target still supports the claim, then update to it",
            state.final_url,
        )
    if state.status is Status.BROKEN:
        if link.archive_url:
            return _Action("Swap in the archived copy", link.archive_url)
        return _Action("Find a replacement")
    if state.status is Status.REDIRECTED:
        return _Action("Update to the redirect target", state.final_url)
    if state.status is Status.BLOCKED:
        return _Action("Look by hand: the site refuses automated checks")
    if state.status is Status.FAILING:
        return _Action("Wait: re-checked on later runs")
    if state.status is Status.UNCHECKED:
        return _Action("Wait for the next run")
    return _Action("Nothing to do")


def _why(link: LinkReport) -> str:
    state = link.state
    parts = []
    if state.reason is not None:
        parts.append(state.reason.value)
    if state.http_status is not None:
        parts.append(f"HTTP {state.http_status}")
    if link.detail:
        parts.append(link.detail)
    return " · ".join(parts)


def _time_text(value: object) -> tuple[str | None, str]:
    """An ISO time from the report's extra fields as (its UTC date, its ISO form).

    A value that is not a time is shown as it is (escaped), with no ISO form.
    """
    if value is None or value == "":
        return None, ""
    try:
        when = _utc(datetime.fromisoformat(str(value)))
    except ValueError:
        return str(value), ""
    return when.strftime("%Y-%m-%d"), when.isoformat()


def _drift(data: object) -> _Drift | None:
    """``extra["drift"]`` or ``LinkState.drift`` (drift.py's JSON) as text to show."""
    if not isinstance(data, Mapping) or not data:
        return None
    before, after = data.get("before_title"), data.get("after_title")
    since, since_iso = _time_text(data.get("since"))
    return _Drift(
        what=_DRIFT_WHAT.get(str(data.get("kind")), "page"),
        before_title=None if before is None else str(before),
        after_title=None if after is None else str(after),
        title_changed=before != after,
        since=since,
        since_iso=since_iso,
    )


def _archive_held(link: LinkReport) -> str | None:
    if link.archive_copies is None:
        return None
    where = f"in {link.archive_name}; " if link.archive_name else ""
    return f"{where}copies in {link.archive_copies} archive{'s' * (link.archive_copies != 1)}"


def _archive_after_drift(link: LinkReport, drift: _Drift | None) -> bool:
    """True when the archived copy was taken on or after the day the page drifted."""
    if drift is None or not drift.since_iso or link.archive_url is None:
        return False
    match = _WAYBACK_TIMESTAMP.fullmatch(link.archive_timestamp or "")
    if match is None:
        return False
    year, month, day = match.groups()[:3]
    return f"{year}-{month}-{day}" >= (drift.since or "")


def _next_check(extra: Mapping[str, object]) -> tuple[str | None, str]:
    """The next check as (text to show, ISO form); no text when the report has no
    schedule (no ``next_due`` field). A link due whatever the time is due next run."""
    if "next_due" not in extra:
        return None, ""
    due = extra["next_due"]
    if due is None:
        return "at the next run", ""
    return _time_text(due)


def row_shown(link: LinkReport) -> Row:
    state = link.state
    drift = _drift(link.extra.get("drift"))
    next_check, next_check_iso = _next_check(link.extra)
    label, glyph = LABELS[state.status]
    citations = tuple(
        _Citation(
            where=c.cited_in or "sources.csv",
            document=c.document,
            page=c.page,
            title=c.title,
            context=c.context,
            page_check=page_check_text(link, c),
        )
        for c in link.citations
    )
    titles_cited = tuple(
        dict.fromkeys(c.title for c in link.citations if c.title and c.title != state.title)
    )
    return Row(
        status=state.status.value,
        label=label,
        glyph=glyph,
        rank=STATUS_ORDER.index(state.status),
        why=_why(link),
        url=state.url,
        url_is_link=is_web_url(state.url),
        title_seen=state.title,
        titles_cited=titles_cited,
        citations=citations,
        failing_since=state.first_failure_at,
        consecutive_failures=state.consecutive_failures,
        shows_failure=state.status.is_error or state.status is Status.BLOCKED,
        last_ok_at=state.last_ok_at,
        check_count=len(link.history),
        marks=_marks(link.history),
        archive_url=link.archive_url,
        archive_is_link=is_web_url(link.archive_url),
        archive_when=_archive_when(link.archive_timestamp),
        archive_held=_archive_held(link),
        action=_action(link, drift is not None),
        drift=drift,
        archive_after_drift=_archive_after_drift(link, drift),
        next_check=next_check,
        next_check_iso=next_check_iso,
    )


def changes_shown(changes: Mapping[str, Sequence[str]]) -> tuple[_Changed, ...]:
    """The kinds of change with URLs, in CHANGE_KINDS order."""
    return tuple(
        _Changed(
            kind=kind,
            title=_CHANGE_TITLES[kind],
            urls=tuple((url, is_web_url(url)) for url in changes[kind]),
        )
        for kind in CHANGE_KINDS
        if changes.get(kind)
    )


def drifted_shown(states: Iterator[LinkState]) -> Iterator[Drifted]:
    for state in states:
        drift = _drift(state.drift)
        if drift is not None:
            yield Drifted(
                title=state.title,
                url=state.url,
                url_is_link=is_web_url(state.url),
                drift=drift,
            )
