"""A PDF read a page at a time: what each page says, kept small.

pypdf extracts one page's text at a time; of it only a digest is kept (its
fingerprint, its most frequent terms, which of the claims' terms it holds, the page
number printed on it), and pypdf's cache of the page's objects is dropped, so
memory holds the body the fetch already read, pypdf's copy of it and a few hundred
bytes per page, whatever the page count. Reading stops at
:data:`MAX_PAGES_READ` pages or when ``deadline_s`` runs out; the digest says so.
"""

from __future__ import annotations

import io
import re
import threading
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from ..pdfmeta import PYPDF_SILENCER
from ..support import terms_of
from ..titles import fingerprint

#: Pages read of one PDF at most: beyond it, citations are reported unread.
MAX_PAGES_READ = 2000
#: Characters of one page's text kept: a page of a report has a few thousand.
MAX_PAGE_CHARS = 100_000
#: Seconds spent reading one PDF's pages at most.
DEFAULT_READ_DEADLINE_S = 120.0
#: Most frequent terms kept per page (the distinctive ones are chosen among them).
TOP_TERMS_PER_PAGE = 40
#: Distinct terms counted for document frequencies: a bound for hostile files.
MAX_VOCABULARY = 200_000

_PRINTED_NUMBER = re.compile(
    r"^\W*(?:page|p\.|seite|pagina)?\s*(\d{1,4})(?:\s*(?:/|of|von|de)\s*\d{1,4})?\W*$",
    re.IGNORECASE,
)
#: Lines read at the top and at the bottom of a page for its printed number.
_EDGE_LINES = 3


@dataclass
class PageDigest:
    """One page, as much as the checks need."""

    fingerprint: str | None
    top_terms: Counter[str]
    claim_terms: frozenset[str]
    printed_numbers: tuple[int, ...]


@dataclass
class PdfDigest:
    """A whole PDF as digests of its pages.

    ``labels`` are the PDF's own page labels (None when it has no /PageLabels);
    ``document_frequency`` counts the pages each term is on; ``complete`` is False
    when reading stopped early (``stopped_because`` says why) or a page could not be
    read.
    """

    page_count: int
    labels: list[str] | None
    pages: list[PageDigest] = field(default_factory=list)
    document_frequency: Counter[str] = field(default_factory=Counter)
    complete: bool = True
    stopped_because: str | None = None


class UnreadablePdfError(Exception):
    """The body is not a PDF pypdf can open (cut off at the cap, broken, encrypted)."""


def read_pdf(
    body: bytes,
    interesting_terms: Iterable[str],
    *,
    deadline_s: float = DEFAULT_READ_DEADLINE_S,
    max_pages: int = MAX_PAGES_READ,
    stop: threading.Event | None = None,
) -> PdfDigest:
    """Digest every page of ``body`` (up to the caps, or until ``stop`` is set: the
    run was interrupted). Raises UnreadablePdfError."""
    from pypdf import PdfReader  # here, not at the top: slow to import

    wanted = frozenset(interesting_terms)
    started = time.monotonic()
    with PYPDF_SILENCER.reading():
        try:
            reader = PdfReader(io.BytesIO(body), strict=False)
            if reader.is_encrypted:
                reader.decrypt("")
            page_count = len(reader.pages)
            labels = list(reader.page_labels) if _has_page_labels(reader) else None
        except Exception as exc:  # pypdf raises many types on broken files
            raise UnreadablePdfError(f"pypdf cannot open it: {exc}") from exc
        digest = PdfDigest(page_count=page_count, labels=labels)
        for index in range(page_count):
            if index >= max_pages:
                digest.complete, digest.stopped_because = False, f"read {max_pages} pages"
                break
            if stop is not None and stop.is_set():
                digest.complete, digest.stopped_because = False, "the run was stopped"
                break
            if time.monotonic() - started > deadline_s:
                digest.complete = False
                digest.stopped_because = f"ran out of time ({deadline_s:.0f} s) at page {index + 1}"
                break
            try:
                text = reader.pages[index].extract_text()[:MAX_PAGE_CHARS]
            except Exception:  # one bad page is one page without text, not a lost PDF
                text = ""
                digest.complete = False
                digest.stopped_because = f"page {index + 1} could not be read"
            digest.pages.append(_digest_page(text, wanted, digest.document_frequency))
            _forget_resolved(reader)
    return digest


def _forget_resolved(reader: object) -> None:
    """Drop the objects pypdf resolved for the page just read: its cache would
    otherwise keep every page's images, so that memory grew with the page count
    (measured in bench/bench_pages.py: 154 MiB peak at 37 MiB, 113 MiB without it,
    no slower)."""
    resolved = getattr(reader, "resolved_objects", None)
    if isinstance(resolved, dict):
        resolved.clear()


def _has_page_labels(reader: object) -> bool:
    try:
        root = reader.trailer["/Root"]  # type: ignore[attr-defined]
        return "/PageLabels" in root
    except Exception:
        return False


def _digest_page(text: str, wanted: frozenset[str], frequency: Counter[str]) -> PageDigest:
    counts = Counter(terms_of(text))
    for term in counts:
        if term in frequency or len(frequency) < MAX_VOCABULARY:
            frequency[term] += 1
    return PageDigest(
        fingerprint=fingerprint(text),
        top_terms=Counter(dict(counts.most_common(TOP_TERMS_PER_PAGE))),
        claim_terms=frozenset(term for term in wanted if term in counts),
        printed_numbers=printed_numbers(text),
    )


def printed_numbers(text: str) -> tuple[int, ...]:
    """Numbers standing alone on a line at the top or bottom of a page's text:
    the candidates for its printed page number."""
    lines = [line for line in text.splitlines() if line.strip()]
    edges = lines[:_EDGE_LINES] + lines[-_EDGE_LINES:] if len(lines) > 2 * _EDGE_LINES else lines
    found = []
    for line in edges:
        match = _PRINTED_NUMBER.match(line.strip())
        if match:
            found.append(int(match.group(1)))
    return tuple(dict.fromkeys(found))
