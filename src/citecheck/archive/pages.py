"""The cited pages of each link's chosen archived copy, checked as a live PDF's are.

A link whose citations cite pages, and whose chosen copy is a Wayback snapshot, has
that copy fetched raw (the ``id_`` replay URL: the archived bytes as captured, not
the replay page the archive wraps around a PDF for a reader) through the checker's
fetch and its size cap, and read in a worker thread a page at a time within the
reader's page and time caps (pages/). Its findings are stored beside the live ones,
for the reports and for ``fix`` (``#page=`` on the archived URL is where the cited
page is in this copy); they never change the link's status. A PDF never seen live
(it was dead when first cited) has its cited pages remembered from this copy.

Each link is one unit: a copy that cannot be fetched, is not a PDF or cannot be read
is a finding on its citations, and the run goes on. A copy is read once; again only
when another copy is chosen, another page is cited, or it could not be fetched.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from urllib.parse import urlsplit

from ..config import ArchiveSettings
from ..errors import StoreError
from ..fetch import RETRYABLE_STATUSES, Fetcher
from ..incidents import IncidentLog
from ..models import HTML_TYPES, PDF_TYPES, WAYBACK, FetchOutcome
from ..pages import answer_pages, is_pdf
from ..pages.models import (
    PAGES_UNREAD,
    ArchivedPageFinding,
    CitedClaim,
    PageAnswer,
    PageFinding,
    PageQuestion,
)
from ..pages.numbering import cited_range
from ..store import ArchiveRow, Store
from .ratelimit import RateLimiter

#: Archived PDFs read at once: each takes seconds of a core.
_PAGE_READERS = 2


async def check_archived_pages(
    store: Store,
    fetcher: Fetcher,
    settings: ArchiveSettings,
    *,
    clock: Callable[[], datetime],
    incidents: IncidentLog,
    over_budget: Callable[[], bool] = lambda: False,
) -> int:
    """Check the cited pages of every chosen Wayback copy not read yet; how many
    copies were asked for. Stops starting new ones once ``over_budget()``."""
    limiter = RateLimiter(settings.cdx_rate)
    readers = asyncio.Semaphore(_PAGE_READERS)
    asked = 0
    for row in store.iter_archive_rows():
        question = _question(store, row)
        if question is None:
            continue
        if over_budget():
            break
        asked += 1
        try:
            await _check_copy(store, fetcher, limiter, readers, row, question, clock)
        except StoreError:
            raise
        except Exception as exc:  # the unit's last-resort guard, see incidents.py
            incidents.record(f"check the cited pages of the archived copy of {row.state.url}", exc)
    return asked


def raw_capture_url(archive_url: str, timestamp: str) -> str | None:
    """The ``id_`` form of a Wayback replay URL: the capture's own bytes."""
    marker = f"/web/{timestamp}/"
    if marker not in archive_url:
        return None
    return archive_url.replace(marker, f"/web/{timestamp}id_/", 1)


def _question(store: Store, row: ArchiveRow) -> PageQuestion | None:
    """The page citations to check in ``row``'s chosen copy; None when there are none,
    the copy is not a Wayback snapshot of a PDF, or it was read already."""
    lookup = row.lookup
    if lookup is None or not lookup.timestamp or not lookup.archive_url:
        return None
    if lookup.archive not in (None, WAYBACK):
        return None
    if not _pdf_copy(row, store.archived_copy_type(row.link_id, lookup.timestamp)):
        return None
    question = store.page_question(row.state.url)
    if question is None:
        return None
    cited = tuple(c for c in question.citations if cited_range(c.page) is not None)
    if not cited:
        return None
    timestamps, pages = store.archived_pages_read(row.link_id)
    if timestamps == {lookup.timestamp} and {c.page for c in cited} <= pages:
        return None
    return replace(question, citations=cited)


async def _check_copy(
    store: Store,
    fetcher: Fetcher,
    limiter: RateLimiter,
    readers: asyncio.Semaphore,
    row: ArchiveRow,
    question: PageQuestion,
    clock: Callable[[], datetime],
) -> None:
    assert row.lookup is not None and row.lookup.timestamp and row.lookup.archive_url
    archive_url, timestamp = row.lookup.archive_url, row.lookup.timestamp
    raw = raw_capture_url(archive_url, timestamp)
    if raw is None:
        return
    await limiter.wait()
    outcome = await fetcher.fetch(raw)
    unfetched = _unfetched(outcome)
    if unfetched is not None:
        why, again = unfetched
        findings = _unread(question.citations, why, clock())
        store.record_archived_pages(
            row.link_id,
            [ArchivedPageFinding(archive_url, None if again else timestamp, f) for f in findings],
        )
        return
    answer = await _read(readers, outcome, question, clock())
    # Pages are remembered from a copy only when the PDF was not seen live.
    taken = answer.baselines if not row.state.status.is_success else ()
    labels = {baseline.label for baseline in taken}
    store.record_archived_pages(
        row.link_id,
        [
            ArchivedPageFinding(archive_url, timestamp, finding, _cites_any(finding, labels))
            for finding in answer.findings
        ],
        taken,
    )


def _unfetched(outcome: FetchOutcome) -> tuple[str, bool] | None:
    """Why the copy cannot be read, and whether to ask again next run; None: read it."""
    if outcome.status_code is None:
        return f"the archived copy could not be fetched ({outcome.error_detail})", True
    status = outcome.status_code
    if status in RETRYABLE_STATUSES or status >= 500:
        return f"the archive answered {status} for the archived copy", True
    if status != 200:
        return f"the archive answered {status} for the archived copy", False
    if not is_pdf(outcome.body, outcome.headers):
        shown = outcome.content_type or "no media type"
        return f"the archived copy is not a PDF ({shown})", False
    return None


async def _read(
    readers: asyncio.Semaphore, outcome: FetchOutcome, question: PageQuestion, now: datetime
) -> PageAnswer:
    stop = threading.Event()
    async with readers:
        try:
            answer = await asyncio.to_thread(
                answer_pages,
                outcome.body,
                outcome.headers,
                truncated=outcome.body_truncated,
                question=question,
                now=now,
                stop=stop,
            )
        except asyncio.CancelledError:
            stop.set()  # the run is stopping: the thread ends at its next page
            raise
    assert answer is not None  # a PDF always has an answer
    return answer


def _unread(citations: tuple[CitedClaim, ...], why: str, now: datetime) -> list[PageFinding]:
    return [
        PageFinding(page=c.page, claim=c.claim, finding=PAGES_UNREAD, detail=why, checked_at=now)
        for c in dict.fromkeys(citations)
    ]


def _pdf_copy(row: ArchiveRow, copy_type: str | None) -> bool:
    """Whether the chosen copy is a PDF: by the index's media type, or, when that
    says nothing (a revisit record, none), by what the link served live or its path."""
    kind = (copy_type or "").split(";", 1)[0].strip().lower()
    if kind in PDF_TYPES:
        return True
    if kind in HTML_TYPES:
        return False
    path = urlsplit(row.state.url).path.lower()
    return row.content_type in PDF_TYPES or path.endswith(".pdf")


def _cites_any(finding: PageFinding, labels: set[str]) -> bool:
    span = cited_range(finding.page)
    return span is not None and any(str(n) in labels for n in range(span[0], span[1] + 1))
