"""PDF: the URLs of link annotations (``/Annots`` → ``/A`` → ``/URI``).

pypdf reads the file lazily, page by page. ``line`` and ``page`` are the 1-based
page number; a URL linked several times on one page (a link wrapped over two
lines is two annotations) is one citation of that page.

A PDF is untrusted input parsed by a third-party library: any exception pypdf
raises while reading it (its ``LimitReachedError`` on a decompression bomb, but
also the ``RecursionError`` or ``AttributeError`` a malformed file can provoke)
becomes an InputError naming the file, so one bad PDF is one clear message.
"""

from __future__ import annotations

import logging
from pathlib import Path

from pypdf import PdfReader
from pypdf.errors import LimitReachedError
from pypdf.generic import PdfObject

from ..errors import InputError
from ..models import Citation
from ._claims import Extraction
from ._limits import MAX_PDF_BYTES
from ._spans import EXTRACTED_SCHEMES

# pypdf logs every repair it makes to a malformed file (and some of its messages
# fail to format); without a handler of its own, Python's last-resort handler
# prints them on stderr under citecheck's error. The error we raise says enough.
logging.getLogger("pypdf").addHandler(logging.NullHandler())


def extract_pdf(path: Path, document: str) -> Extraction:
    """The citations of a PDF: one per linked URL per page."""
    _check_size(path)
    try:
        reader = PdfReader(path)
        if reader.is_encrypted and not reader.decrypt(""):
            raise InputError(f"{path}: the PDF is encrypted with a password")
        citations = []
        for number, page in enumerate(reader.pages, start=1):
            seen: set[str] = set()
            for url in _page_uris(page.get("/Annots")):
                if url not in seen:
                    seen.add(url)
                    citations.append(
                        Citation(url=url, document=document, line=number, page=str(number))
                    )
    except InputError:
        raise
    except OSError as exc:
        raise InputError(f"{path}: cannot read the document: {exc.strerror or exc}") from exc
    except LimitReachedError as exc:
        raise InputError(
            f"{path}: not read: a stream of the PDF expands past pypdf's size limit ({exc})"
        ) from exc
    except MemoryError:
        raise
    except Exception as exc:  # noqa: BLE001 - any pypdf failure is a bad input, see above
        raise InputError(f"{path}: not a readable PDF: {_describe(exc)}") from exc
    return Extraction(citations=citations)


def _check_size(path: Path) -> None:
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise InputError(f"{path}: cannot read the document: {exc.strerror or exc}") from exc
    if size > MAX_PDF_BYTES:
        raise InputError(f"{path}: larger than {MAX_PDF_BYTES // 2**20} MiB, not read")


def _describe(exc: Exception) -> str:
    """The exception's message, cut short (a malformed object can make it huge)."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 200 else text[:199] + "…"


def _page_uris(annotations: PdfObject | None) -> list[str]:
    """The URIs of a page's link annotations, in the page's order."""
    if annotations is None:
        return []
    resolved = annotations.get_object()
    if not isinstance(resolved, list):
        return []
    uris = []
    for reference in resolved:
        annotation = reference.get_object()
        if not hasattr(annotation, "get") or annotation.get("/Subtype") != "/Link":
            continue
        action = annotation.get("/A")
        action = action.get_object() if action is not None else None
        if not hasattr(action, "get") or action.get("/S") != "/URI":
            continue
        uri = action.get("/URI")
        if uri is None:
            continue
        text = _as_text(uri.get_object()).strip()
        head, colon, _ = text.partition(":")
        if colon and f"{head.lower()}:" in EXTRACTED_SCHEMES:
            uris.append(text)
    return uris


def _as_text(value: object) -> str:
    """A /URI is an ASCII string by the spec; some writers store it as bytes."""
    if isinstance(value, bytes):
        return value.decode("latin-1")
    return str(value)
