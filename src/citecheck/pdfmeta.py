"""What a PDF says of itself: its title (document information, else the XMP packet)
and its page count, whatever can be read of a file that may be cut off or broken,
with pypdf's complaints about malformed files silenced.
"""

from __future__ import annotations

import html
import io
import logging
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pypdf

_XMP_TITLE_WINDOW = 4096
_XMP_TITLE = re.compile(rb"<dc:title\b.*?<rdf:li\b[^>]*>(.*?)</rdf:li>", re.DOTALL | re.IGNORECASE)


def pdf_metadata(
    body: bytes, *, truncated: bool, clean_title: Callable[[str | None], str | None]
) -> tuple[str | None, int | None]:
    """Title and page count from the PDF's own metadata, whatever can be read; the
    title as ``clean_title`` makes it (None when nothing is left of it).

    A PDF cut off at the fetch cap has lost its cross-reference table (it is at the
    end), so pypdf cannot open it; the XMP packet, which writers leave uncompressed
    and often near the start, may still name the title.
    """
    from pypdf import PdfReader  # here, not at the top: a third of a check's start-up

    with _PYPDF_SILENCER.reading():
        try:
            reader = PdfReader(io.BytesIO(body), strict=False)
        except Exception:  # pypdf raises many types on broken files; all mean "unreadable"
            return _xmp_title(body, clean_title), None
        title = _pdf_title(reader, clean_title) or _xmp_title(body, clean_title)
        try:
            page_count: int | None = len(reader.pages)
        except Exception:
            page_count = None
    if truncated and page_count == 0:
        page_count = None
    return title, page_count


def _pdf_title(
    reader: pypdf.PdfReader, clean_title: Callable[[str | None], str | None]
) -> str | None:
    try:
        if reader.is_encrypted:
            reader.decrypt("")  # most "encrypted" PDFs only restrict printing or copying
        metadata = reader.metadata
        raw = metadata.title if metadata is not None else None
    except Exception:
        return None
    return clean_title(str(raw)) if raw is not None else None


def _xmp_title(body: bytes, clean_title: Callable[[str | None], str | None]) -> str | None:
    start = body.find(b"<dc:title")
    if start < 0:
        return None
    match = _XMP_TITLE.match(body, start, start + _XMP_TITLE_WINDOW)
    if match is None:
        return None
    return clean_title(html.unescape(match.group(1).decode("utf-8", "replace")))


class _PypdfSilencer:
    """Silences pypdf's log messages about malformed files while PDFs are read: a
    link checker meets many, and each is already reflected in the values returned.

    pypdf logs on per-module loggers it creates as it goes, so the level is raised
    on their parent, ``pypdf``; a count of readers under a lock restores the level
    when the last concurrent reader is done.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._readers = 0
        self._saved_level = logging.NOTSET

    @contextmanager
    def reading(self) -> Iterator[None]:
        logger = logging.getLogger("pypdf")
        with self._lock:
            if self._readers == 0:
                self._saved_level = logger.level
                logger.setLevel(logging.CRITICAL + 1)
            self._readers += 1
        try:
            yield
        finally:
            with self._lock:
                self._readers -= 1
                if self._readers == 0:
                    logger.setLevel(self._saved_level)


_PYPDF_SILENCER = _PypdfSilencer()
#: The one silencer, for the other modules that read PDFs with pypdf.
PYPDF_SILENCER = _PYPDF_SILENCER
