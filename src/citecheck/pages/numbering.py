"""Printed page numbers ⇄ PDF pages.

A report's "p. 67" is often its PDF's 69th page (covers and a roman-numbered front
matter come first). The PDF's own page labels say it where the PDF has them;
otherwise the numbers printed at the top or bottom of the pages do: the offset
most pages agree on is taken. With neither, the cited number is taken as the PDF
page, and the report says so.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from .models import BY_INDEX, BY_LABELS, BY_PRINTED
from .reader import PdfDigest

#: Pages of one cited range checked at most ("pp.1-900" is a typo, not a range).
MAX_RANGE_PAGES = 50
#: Pages whose printed number must agree on an offset before it is believed, and the
#: share of the pages with a printed number that must agree.
MIN_AGREEING_PAGES = 2
MIN_AGREEING_SHARE = 0.5

_LABEL_NUMBER = re.compile(r"\D(\d{1,5})$")
_CITED = re.compile(r"^\s*(\d{1,5})\s*(?:[-–—]\s*(\d{1,5}))?\s*$")


def cited_range(page: str | None) -> tuple[int, int] | None:
    """``"67"`` → (67, 67), ``"118-122"`` → (118, 122); None for anything else
    (a reversed range, one wider than :data:`MAX_RANGE_PAGES`, page 0)."""
    match = _CITED.match(page or "")
    if match is None:
        return None
    first = int(match.group(1))
    last = int(match.group(2)) if match.group(2) else first
    if first < 1 or last < first or last - first >= MAX_RANGE_PAGES:
        return None
    return first, last


@dataclass(frozen=True)
class Numbering:
    """How cited page numbers map to PDF pages in one file."""

    method: str
    offset: int = 0  # BY_PRINTED: PDF page minus printed number
    labels: tuple[str, ...] | None = None  # BY_LABELS: the label of each PDF page
    page_count: int = 0

    @property
    def detail(self) -> str:
        if self.method == BY_LABELS:
            return "page numbers from the PDF's page labels"
        if self.method == BY_PRINTED:
            return f"page numbers printed on the pages (PDF page = printed + {self.offset})"
        return "no page labels or printed page numbers: PDF page taken as cited"

    def pdf_page(self, number: int) -> int | None:
        """The PDF page (1-based) printed as ``number``; None when the file has none."""
        if self.method == BY_LABELS:
            assert self.labels is not None
            try:
                return self.labels.index(str(number)) + 1
            except ValueError:
                return self._prefixed(number)
        pdf_page = number + (self.offset if self.method == BY_PRINTED else 0)
        return pdf_page if 1 <= pdf_page <= self.page_count else None

    def _prefixed(self, number: int) -> int | None:
        """The one page labelled with a prefix and ``number`` ("A-67", "Annex 67")."""
        assert self.labels is not None
        found = [
            index
            for index, label in enumerate(self.labels, start=1)
            if (match := _LABEL_NUMBER.search(label)) and int(match.group(1)) == number
        ]
        return found[0] if len(found) == 1 else None

    def label(self, pdf_page: int) -> str:
        """How the page at ``pdf_page`` is cited."""
        if self.method == BY_LABELS:
            assert self.labels is not None
            return self.labels[pdf_page - 1]
        return str(pdf_page - (self.offset if self.method == BY_PRINTED else 0))


def numbering_of(digest: PdfDigest) -> Numbering:
    """The PDF's own labels, else the offset its printed numbers agree on, else none."""
    if digest.labels is not None and len(digest.labels) == digest.page_count:
        return Numbering(BY_LABELS, labels=tuple(digest.labels), page_count=digest.page_count)
    offsets: Counter[int] = Counter()
    numbered = 0
    for index, page in enumerate(digest.pages, start=1):
        if page.printed_numbers:
            numbered += 1
            for number in page.printed_numbers:
                offsets[index - number] += 1
    if offsets:
        offset, agreeing = offsets.most_common(1)[0]
        if agreeing >= MIN_AGREEING_PAGES and agreeing >= MIN_AGREEING_SHARE * numbered:
            return Numbering(BY_PRINTED, offset=offset, page_count=digest.page_count)
    return Numbering(BY_INDEX, page_count=digest.page_count)
