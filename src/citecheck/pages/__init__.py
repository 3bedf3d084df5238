"""Page citations: does the cited page still say what the claim says?

The pipeline, in the folder listing's order::

    models.py     the values: cited claims, remembered pages, findings
    reader.py     a PDF read a page at a time into small digests (pypdf)
    numbering.py  printed page numbers ⇄ PDF pages (page labels, printed numbers)
    check.py      findings: page missing, passage moved or gone, claim support

:func:`answer_pages` is the one entry point the check stage calls, with a fetched
body and what the store remembers of it.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from datetime import datetime

from ..models import PDF_TYPES
from .models import PAGES_UNREAD, PageAnswer, PageFinding, PageQuestion


def answer_pages(
    body: bytes,
    headers: Mapping[str, str],
    *,
    truncated: bool,
    question: PageQuestion,
    now: datetime,
    stop: threading.Event | None = None,
) -> PageAnswer | None:
    """Check ``question``'s citations against a fetched body: a PDF's pages, or an
    HTML page's main text for the claims. None for any other body. ``stop`` set
    (from another thread) ends the reading of a PDF at the next page."""
    from ..support import claim_terms
    from ..titles import html_text
    from .check import check_pages, check_text_claims
    from .reader import UnreadablePdfError, read_pdf

    if is_pdf(body, headers):
        if truncated:
            why = "the PDF is larger than the fetch cap: its pages were not read"
            return _unread(question, why, now)
        terms = {term for cited in question.citations for term in claim_terms(cited.claim)}
        try:
            digest = read_pdf(body, terms, stop=stop)
        except UnreadablePdfError as exc:
            return _unread(question, f"the PDF's pages could not be read ({exc})", now)
        return check_pages(digest, question, now=now)
    content_type = headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if content_type in ("text/html", "application/xhtml+xml") or b"<html" in body[:1024].lower():
        return check_text_claims(html_text(body, headers), question, now=now)
    return None


def is_pdf(body: bytes, headers: Mapping[str, str]) -> bool:
    """Whether a fetched body is a PDF, by its media type or its first bytes."""
    content_type = headers.get("content-type", "").split(";", 1)[0].strip().lower()
    return content_type in PDF_TYPES or body.startswith(b"%PDF-")


def _unread(question: PageQuestion, why: str, now: datetime) -> PageAnswer:
    return PageAnswer(
        tuple(
            PageFinding(page=cited.page, claim=cited.claim, finding=PAGES_UNREAD, detail=why,
                        checked_at=now)
            for cited in dict.fromkeys(question.citations)
            if cited.page is not None
        )
    )  # fmt: skip
