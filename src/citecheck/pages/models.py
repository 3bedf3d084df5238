"""What page citations are checked against and what the check finds: plain values
shared by the reader, the checker, the store and the reports."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

#: Findings on a page citation (``None``: the page is there and says what it said).
PAGE_MISSING = "page_missing"
PAGE_DRIFT = "page_drift"
PAGE_MOVED = "page_moved"
PAGES_UNREAD = "pages_unread"
FINDINGS = (PAGE_MISSING, PAGE_DRIFT, PAGE_MOVED, PAGES_UNREAD)

#: How printed page numbers were matched to PDF pages.
BY_LABELS = "labels"  # the PDF's own /PageLabels
BY_PRINTED = "printed"  # page numbers printed on the pages, an offset found from them
BY_INDEX = "index"  # neither: the cited number taken as the PDF page
NUMBERINGS = (BY_LABELS, BY_PRINTED, BY_INDEX)


@dataclass(frozen=True)
class CitedClaim:
    """One citation of a link as the page check needs it: the pages cited ("67",
    "118-122", None) and the claim (``Citation.context``)."""

    page: str | None
    claim: str | None


@dataclass(frozen=True)
class PageBaseline:
    """A cited page as first seen: where it was in the PDF, its text fingerprint
    (titles.py's simhash) and the terms that set it apart from the other pages."""

    label: str
    pdf_page: int  # 1-based
    fingerprint: str | None
    terms: tuple[str, ...]
    numbering: str
    seen_at: datetime


@dataclass(frozen=True)
class PageQuestion:
    """What to check in one PDF: its citations, and the pages remembered of it."""

    citations: tuple[CitedClaim, ...]
    baselines: dict[str, PageBaseline] = field(default_factory=dict)


@dataclass(frozen=True)
class PageFinding:
    """What the check found for one (pages, claim) pair of a link.

    ``finding`` is one of :data:`FINDINGS` or None; ``detail`` the sentence reports
    show. ``pdf_page`` is the PDF page (1-based) where the cited page is in the file
    as read; ``fix_page`` where it was when first seen (what an archived copy near
    the citation's date holds, and what ``fix`` writes as ``#page=``). ``support``
    is the claim's score on the cited pages (support.py), ``terms_found`` the
    claim's terms found there out of ``terms_total``; ``best_page`` names another
    page that supports the claim clearly better, with ``best_support``.
    """

    page: str | None
    claim: str | None
    finding: str | None = None
    detail: str | None = None
    pdf_page: int | None = None
    fix_page: int | None = None
    numbering: str | None = None
    page_count: int | None = None
    support: float | None = None
    terms_found: tuple[str, ...] = ()
    terms_total: int = 0
    best_page: str | None = None
    best_support: float | None = None
    checked_at: datetime | None = None


@dataclass(frozen=True)
class PageAnswer:
    """The page check of one PDF (or one HTML page's claims): a finding per
    citation and the baselines to remember (only pages not remembered before)."""

    findings: tuple[PageFinding, ...]
    baselines: tuple[PageBaseline, ...] = ()


@dataclass(frozen=True)
class ArchivedPageFinding:
    """The page check of one (pages, claim) in a link's chosen archived copy.

    ``archive_url`` is the copy's replay URL; ``archive_timestamp`` its Wayback
    timestamp, None when the copy could not be fetched (asked again next run).
    ``finding.pdf_page`` is where the cited page is in the archived PDF: what
    ``fix`` writes as ``#page=``. ``baseline_taken``: the PDF was never seen live,
    so the cited pages were remembered from this copy.
    """

    archive_url: str
    archive_timestamp: str | None
    finding: PageFinding
    baseline_taken: bool = False
