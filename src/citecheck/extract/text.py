"""Plain text: every URL written with its scheme, the claim on its line."""

from __future__ import annotations

from ._chunks import extract_in_chunks, line_starts
from ._claims import Extraction, Found, build_extraction
from ._spans import find_url_spans, line_index


def extract_text(text: str, document: str) -> Extraction:
    """The citations of a plain-text document; a claim never reaches past its line.

    A long document is read a piece at a time (``_chunks``), cut at line starts.
    """
    return extract_in_chunks(text, line_starts(text), lambda piece: _extract_piece(piece, document))


def _extract_piece(text: str, document: str) -> Extraction:
    found = [
        Found(span.start, span.end, span.url, span.start, span.end) for span in find_url_spans(text)
    ]
    return build_extraction(text, text, found, line_index(text).starts, document)
