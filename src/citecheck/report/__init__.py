"""Reports: one :class:`Report` object, one module per output format.

A report is built from what the store holds (link states, citations, history) and
knows nothing of HTTP. Links are streamed: a report over 10,000 links with 100
checks each never holds more than one page of links (see store/) at a time.

A link's history is a list of :data:`~citecheck.models.HistoryEntry` tuples (the
rows SQLite returns), not of CheckResults: a report reads a million checks, and
building a dataclass for each took longer than reading and writing them all.
Formats that show none of it, or only the latest checks, ask for just that
(``Report.iter_links(latest=0)``), so the rest is not even read.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TextIO

from ..config import REPORT_FORMATS
from ..models import STATUS_ORDER, CheckResult, Citation, HistoryEntry, LastRun, LinkState
from ..pages.models import ArchivedPageFinding, PageFinding

#: Runs the health chart shows, the latest ones: three months of nightly runs.
TIMELINE_RUNS = 100


@dataclass(frozen=True)
class LinkReport:
    """Everything a report shows about one link.

    ``detail`` is the sentence that explains the latest verdict, from the latest
    check; it is carried on its own so that it is there when the history is not.
    ``check_count`` is how many checks the link has when ``history`` holds only the
    latest ones (None: ``history`` is all of them).
    """

    state: LinkState
    citations: list[Citation]
    history: Sequence[HistoryEntry]  # oldest first
    archive_url: str | None = None
    archive_timestamp: str | None = None
    extra: Mapping[str, object] = field(default_factory=dict)
    detail: str | None = None
    check_count: int | None = None
    #: The archive holding the copy and how many archives hold one; None when only
    #: the Wayback Machine was asked.
    archive_name: str | None = None
    archive_copies: int | None = None
    #: The page check of the citations' pages and claims (pages/), per (pages, claim).
    pages: Sequence[PageFinding] = ()
    #: The same, in the chosen archived copy (archive/pages.py).
    archived_pages: Sequence[ArchivedPageFinding] = ()

    @property
    def checks(self) -> int:
        """How many checks the link has."""
        return len(self.history) if self.check_count is None else self.check_count


def history_entry(check: CheckResult) -> HistoryEntry:
    """``check`` as a history entry, for reports built from values rather than a store."""
    return (
        check.checked_at.isoformat(),
        check.status.value,
        None if check.reason is None else check.reason.value,
        check.http_status,
    )


@dataclass(frozen=True)
class Report:
    """A report: when, how many of each status, and the links.

    ``links`` is a zero-argument callable returning a fresh iterator over the links
    in :data:`~citecheck.models.STATUS_ORDER` (broken first), then by URL; formats
    rely on that order to write their sections in one pass, so the report never
    holds all links in memory. ``links_latest``, when given, is the same stream
    with each history cut to its latest ``n`` checks (``n`` may be 0), the rest
    left unread.
    """

    generated_at: datetime
    summary: Mapping[str, int]
    links: Callable[[], Iterator[LinkReport]]
    #: Link health over runs, oldest first: (run finished at, counts by status).
    timeline: Sequence[tuple[datetime, Mapping[str, int]]] = ()
    links_latest: Callable[[int], Iterator[LinkReport]] | None = None
    #: What the latest check run changed: CHANGE_KINDS → URLs, and when it finished.
    changes: Mapping[str, Sequence[str]] = field(default_factory=dict)
    changes_at: datetime | None = None
    #: The live links whose page drifted from what was first seen (streamed).
    drifted: Callable[[], Iterator[LinkState]] = lambda: iter(())
    #: How the latest run ended (None: no run yet); see :func:`run_notice`.
    last_run: LastRun | None = None

    def iter_links(self, *, latest: int | None = None) -> Iterator[LinkReport]:
        """The links; with ``latest=n``, histories may hold only the latest ``n``
        checks (or all of them: a format slices what it shows)."""
        if latest is not None and self.links_latest is not None:
            return self.links_latest(latest)
        return self.links()


def ordered_summary(counts: Mapping[str, int]) -> dict[str, int]:
    """Counts for every status, in report order, zeros included."""
    return {status.value: int(counts.get(status.value, 0)) for status in STATUS_ORDER}


def run_notice(report: Report, when: Callable[[datetime | None], str]) -> str | None:
    """The sentence every format puts at its top when the latest run did not reach its
    end (or there was none yet), so that a stale report is never read as a fresh one.
    ``when`` writes a time the format's way. None when the latest run finished."""
    last = report.last_run
    if last is None:
        return "No run has checked these links yet: every status below is unchecked."
    if last.complete:
        return None
    at = when(last.finished_at or last.started_at)
    complete = (
        f"The last complete check was {when(last.last_complete_at)}."
        if last.last_complete_at
        else "No check has completed yet."
    )
    archive = last.command in ("archive", "run-archive")
    if last.outcome == "offline" and archive:
        what = "could not reach the Wayback Machine: archived copies were not refreshed"
    elif last.outcome == "offline":
        what = "found the network unreachable: links were not checked, none marked broken"
    elif last.outcome == "interrupted":
        what = "was interrupted before it finished: the links it did not reach keep their status"
    else:
        what = f"ended as {last.outcome}: the links it did not reach keep their status"
    return f"The last run ({at}) {what}. {complete}"


FORMATS = REPORT_FORMATS


def write_report(report: Report, fmt: str, out: TextIO) -> None:
    """Write ``report`` in format ``fmt`` (one of FORMATS) to ``out``."""
    if fmt == "json":
        from .json import write_json

        write_json(report, out)
    elif fmt == "md":
        from .markdown import write_markdown

        write_markdown(report, out)
    elif fmt == "html":
        from .html import write_html

        write_html(report, out)
    elif fmt == "csv":
        from .csv import write_csv

        write_csv(report, out)
    else:
        raise ValueError(f"unknown report format {fmt!r} (expected one of {', '.join(FORMATS)})")
