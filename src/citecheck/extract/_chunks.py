"""A long document read a piece at a time, so memory follows the piece, not the file.

Each format's reader builds several copies of the text it reads (code blanked,
tags blanked) and a record per link found. For a document citing 200,000 URLs
those copies, not the citations, set the peak, so a long document is cut into
pieces of about :data:`CHUNK_CHARS` at places where nothing a reader looks at
can straddle the cut (a line that starts a new block of prose), each piece is
read on its own, and the citations' lines are shifted back to the document's.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Iterator

from ._claims import Extraction

#: Size of a piece, in characters: big enough that cuts are rare, small enough
#: that a piece's copies are a few megabytes.
CHUNK_CHARS = 1_000_000


def extract_in_chunks(
    text: str,
    cuts: Iterable[int],
    read_piece: Callable[[str], Extraction],
) -> Extraction:
    """Read ``text`` piece by piece with ``read_piece``; ``cuts`` are the offsets
    (line starts, ascending) where the text may be cut."""
    chunk_chars = CHUNK_CHARS
    if len(text) <= chunk_chars:
        return read_piece(text)
    citations = []
    unresolved = []
    start = 0
    lines_before = 0
    for end in [*_choose(cuts, chunk_chars), len(text)]:
        if end <= start:
            continue
        piece = read_piece(text[start:end])
        citations.extend(_shifted(piece.citations, lines_before))
        unresolved.extend(_shifted(piece.unresolved, lines_before))
        lines_before += text.count("\n", start, end)
        start = end
    return Extraction(citations=citations, unresolved=unresolved)


def line_starts(text: str) -> Iterator[int]:
    """Every line start but the first: where plain text may be cut."""
    position = text.find("\n")
    while position != -1:
        yield position + 1
        position = text.find("\n", position + 1)


def _choose(cuts: Iterable[int], chunk_chars: int) -> Iterable[int]:
    last = 0
    for cut in cuts:
        if cut - last >= chunk_chars:
            yield cut
            last = cut


def _shifted(citations: list, lines: int) -> list:
    if not lines:
        return citations
    return [
        dataclasses.replace(citation, line=citation.line + lines)
        if citation.line is not None
        else citation
        for citation in citations
    ]
