"""Documents → citations: every cited URL with the place that cites it.

``extract_file`` picks the reader by file suffix; each reader returns an
:class:`Extraction` whose citations carry document, 1-based line and column (in
characters of the decoded text, a leading BOM not counted), the page cited and a
short context. :func:`find_url_spans` gives the exact character spans for
rewriting.
"""

from __future__ import annotations

import codecs
from pathlib import Path

from ..errors import InputError
from ._claims import MAX_CONTEXT_CHARS, Extraction
from ._entities import find_decoded_url_spans
from ._limits import MAX_DOCUMENT_BYTES
from ._spans import UrlSpan, find_url_spans
from .docx import extract_docx
from .html import extract_html
from .markdown import extract_markdown
from .matching import match_titles, normalise_title
from .pdf import extract_pdf
from .text import extract_text

__all__ = [
    "MAX_CONTEXT_CHARS",
    "MAX_DOCUMENT_BYTES",
    "Extraction",
    "UrlSpan",
    "extract_docx",
    "extract_file",
    "extract_html",
    "extract_markdown",
    "extract_pdf",
    "extract_text",
    "find_decoded_url_spans",
    "find_url_spans",
    "match_titles",
    "normalise_title",
    "read_document",
]

_READERS = {
    ".md": extract_markdown,
    ".markdown": extract_markdown,
    ".html": extract_html,
    ".htm": extract_html,
}
#: Binary formats, read from the file itself.
_FILE_READERS = {
    ".docx": extract_docx,
    ".pdf": extract_pdf,
}


def read_document(path: Path) -> str:
    """The text of a UTF-8 document, or a UTF-16 one with its byte-order mark (as
    Windows Notepad saves "Unicode"); the BOM is dropped. InputError otherwise."""
    try:
        with path.open("rb") as stream:
            data = stream.read(MAX_DOCUMENT_BYTES + 1)
    except OSError as exc:
        raise InputError(f"{path}: cannot read the document: {exc.strerror or exc}") from exc
    if len(data) > MAX_DOCUMENT_BYTES:
        raise InputError(f"{path}: larger than {MAX_DOCUMENT_BYTES // 2**20} MiB, not read")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _utf16(path, data)
    if b"\x00" in data:
        raise InputError(f"{path}: looks like a binary file (it contains NUL bytes)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise InputError(
            f"{path}: line {line}: not UTF-8 text (byte 0x{data[exc.start]:02x}); save it as UTF-8"
        ) from exc


def _utf16(path: Path, data: bytes) -> str:
    try:
        return data.decode("utf-16")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{path}: not valid UTF-16 text (byte {exc.start}); save it as UTF-8"
        ) from exc


def extract_file(path: Path, *, document: str | None = None) -> Extraction:
    """The citations of one document, read by its suffix.

    .md/.markdown are Markdown, .html/.htm are HTML, .docx is Word, .pdf is PDF
    (its link annotations), anything else is plain text. ``document`` is how
    citations name the file (default: the path as given).
    """
    name = str(path) if document is None else document
    file_reader = _FILE_READERS.get(path.suffix.lower())
    if file_reader is not None:
        return file_reader(path, name)
    reader = _READERS.get(path.suffix.lower(), extract_text)
    return reader(read_document(path), name)
