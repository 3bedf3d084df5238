"""HTML character references decoded, with every decoded offset traced back to the source.

A browser decodes ``&lt;``, ``&#62;`` and ``&quot;`` before anyone reads the text, so
URLs are looked for in the decoded text: ``&lt;http://a.example/&gt;`` shows as
``<http://a.example/>`` and cites ``http://a.example/``, not ``…/&gt``. ``fix`` still
needs where the URL is written in the source, so each span found in the decoded text
is mapped back to the characters it came from.
"""

from __future__ import annotations

import bisect
import html
import re
from collections.abc import Iterator
from dataclasses import dataclass

from ._claims import Found
from ._spans import UrlSpan, find_url_spans

#: A character reference as the HTML Standard's tokenizer reads one in text: numeric,
#: or named (with or without its ";": html.unescape knows which legacy names may
#: drop it). The same pattern html.unescape uses, so each match decodes alone.
_CHARACTER_REFERENCE = re.compile(r"&(#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[^\t\n\f <&#;]{1,32};?)")


@dataclass(frozen=True)
class DecodedText:
    """``text`` decoded from a source; :meth:`source_span` maps offsets back."""

    text: str
    #: For each reference: where its decoding starts and ends in ``text`` and where the
    #: reference starts and ends in the source, in order.
    _decoded_starts: tuple[int, ...] = ()
    _decoded_ends: tuple[int, ...] = ()
    _source_starts: tuple[int, ...] = ()
    _source_ends: tuple[int, ...] = ()

    def source_span(self, start: int, end: int) -> tuple[int, int]:
        """The source span that ``text[start:end]`` was decoded from; a span that
        starts or ends inside a reference's decoding covers the whole reference."""
        return self._source_offset(start, opening=True), self._source_offset(end, opening=False)

    def _source_offset(self, offset: int, *, opening: bool) -> int:
        index = bisect.bisect_right(self._decoded_starts, offset if opening else offset - 1) - 1
        if index < 0:
            return offset
        if offset < self._decoded_ends[index] or (
            not opening and offset == self._decoded_ends[index]
        ):
            return self._source_starts[index] if opening else self._source_ends[index]
        return self._source_ends[index] + offset - self._decoded_ends[index]


def decode_references(source: str) -> DecodedText:
    """``source`` with its character references decoded as a browser decodes text."""
    if "&" not in source:
        return DecodedText(source)
    pieces: list[str] = []
    decoded_starts, decoded_ends, source_starts, source_ends = [], [], [], []
    cursor = 0
    length = 0
    for match in _CHARACTER_REFERENCE.finditer(source):
        decoded = html.unescape(match.group(0))
        if decoded == match.group(0):
            continue  # "&copy2" that names nothing, "&foo;": left as written
        plain = source[cursor : match.start()]
        pieces.extend((plain, decoded))
        length += len(plain)
        decoded_starts.append(length)
        length += len(decoded)
        decoded_ends.append(length)
        source_starts.append(match.start())
        source_ends.append(match.end())
        cursor = match.end()
    pieces.append(source[cursor:])
    return DecodedText(
        "".join(pieces),
        tuple(decoded_starts),
        tuple(decoded_ends),
        tuple(source_starts),
        tuple(source_ends),
    )


def find_decoded_url_spans(text: str, start: int = 0, end: int | None = None) -> Iterator[UrlSpan]:
    """Every URL in ``text[start:end]`` as a browser shows the text: character
    references decoded (``&lt;http://a.example/&gt;`` cites ``http://a.example/``).

    Offsets are the source's, around the characters the URL was decoded from;
    ``url`` is the decoded URL, so ``text[span.start:span.end]`` may differ from it.
    """
    stop = len(text) if end is None else end
    decoded = decode_references(text[start:stop])
    for span in find_url_spans(decoded.text):
        source_start, source_end = decoded.source_span(span.start, span.end)
        yield UrlSpan(start + source_start, start + source_end, span.url)


def bare_urls(searchable: str) -> Iterator[Found]:
    """URLs written in the text, looked for after character references are decoded,
    each at the span of the source it was decoded from."""
    for span in find_decoded_url_spans(searchable):
        yield Found(span.start, span.end, span.url, span.start, span.end)
