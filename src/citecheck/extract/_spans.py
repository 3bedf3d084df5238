"""Where URLs are in a text: exact character spans, for reports and for ``fix``.

URLs are found with linkify-it-py, a maintained port of the linkify-it library
used by markdown-it. It already knows the hard cases a hand-written regex gets
wrong (trailing punctuation, balanced parentheses in Wikipedia-style paths, URLs
in angle brackets); on top of it we only restrict the schemes and trim the curly
closing quotes and brackets it keeps.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from linkify_it import LinkifyIt

#: Schemes citecheck records. Schemeless "example.com" and bare e-mail addresses
#: are too often plain prose to be trusted as citations.
EXTRACTED_SCHEMES = frozenset({"http:", "https:", "ftp:", "mailto:"})

#: "*" too: "**https://example.org**" is Markdown bold far more often than a URL
#: really ends in "*".
_TRAILING_PUNCTUATION = ".,;:!?*"
#: Closing character → the opening character that balances it (None: the same).
_CLOSERS = {
    ")": "(",
    "]": "[",
    "}": "{",
    "”": "“",
    "’": "‘",
    "»": "«",
    "'": None,
    '"': None,
}

#: Longest run of non-blank characters read for URLs. RFC 9110 asks servers to take
#: request lines of at least 8,000 octets and many refuse longer, so no working
#: citation is longer; linkify-it checks each scheme in a run up to the run's end,
#: so a longer run (a 200 KB "word" of URLs) would cost its length squared.
MAX_URL_CHARS = 8192
_NOT_LINE_BREAK = re.compile(r"[^\r\n]")
_OVERLONG_RUN = re.compile(rf"(?<!\S)\S{{{MAX_URL_CHARS + 1},}}")

_LINKIFY = LinkifyIt(options={"fuzzy_link": False, "fuzzy_email": False, "fuzzy_ip": False})


@dataclass(frozen=True)
class UrlSpan:
    """A URL at ``text[start:end]``: ``url`` is exactly that slice, except from
    ``find_decoded_url_spans``, where it is the slice with references decoded."""

    start: int
    end: int
    url: str


def _is_unbalanced(url: str, closer: str) -> bool:
    opener = _CLOSERS[closer]
    if opener is None:
        return url.count(closer) % 2 == 1
    return url.count(closer) > url.count(opener)


def _trim(url: str) -> str:
    """Drop trailing punctuation and closing quotes or brackets that nothing opened."""
    while url:
        last = url[-1]
        if last in _TRAILING_PUNCTUATION or (last in _CLOSERS and _is_unbalanced(url, last)):
            url = url[:-1]
        else:
            break
    return url


def _has_host_or_address(url: str) -> bool:
    scheme, _, rest = url.partition(":")
    if scheme.lower() == "mailto":
        return "@" in rest
    return len(rest.lstrip("/")) > 0


def find_url_spans(text: str, start: int = 0, end: int | None = None) -> Iterator[UrlSpan]:
    """Every http(s)/ftp/mailto URL written with its scheme in ``text[start:end]``.

    Offsets are into ``text``. A URL never spans lines, so the text is scanned line
    by line: this keeps linkify's work per call small on long documents. A run of
    more than :data:`MAX_URL_CHARS` non-blank characters is not read.
    """
    stop = len(text) if end is None else end
    line_start = start
    while line_start < stop:
        line_end = text.find("\n", line_start, stop)
        if line_end == -1:
            line_end = stop
        line = text[line_start:line_end]
        if len(line) > MAX_URL_CHARS:
            line = _OVERLONG_RUN.sub(lambda run: " " * len(run.group()), line)
        if ":" in line:
            for match in _LINKIFY.match(line) or ():
                if match.schema.lower() not in EXTRACTED_SCHEMES:
                    continue
                url = _trim(line[match.index : match.last_index])
                if url and _has_host_or_address(url):
                    begin = line_start + match.index
                    yield UrlSpan(begin, begin + len(url), url)
        line_start = line_end + 1


@dataclass(frozen=True)
class LineIndex:
    """Turns offsets into 1-based (line, column); lines end at ``\\n``."""

    starts: tuple[int, ...]

    def position(self, offset: int) -> tuple[int, int]:
        line = bisect.bisect_right(self.starts, offset)
        return line, offset - self.starts[line - 1] + 1


def line_index(text: str) -> LineIndex:
    starts = [0]
    position = text.find("\n")
    while position != -1:
        starts.append(position + 1)
        position = text.find("\n", position + 1)
    return LineIndex(tuple(starts))


def blank(text: str, start: int, end: int) -> str:
    """``text[start:end]`` with everything but line breaks turned into spaces.

    Blanking instead of deleting keeps every offset in the text valid.
    """
    piece = text[start:end]
    if "\n" not in piece and "\r" not in piece:
        return " " * len(piece)
    return _NOT_LINE_BREAK.sub(" ", piece)


def blank_ranges(text: str, ranges: Iterable[tuple[int, int]]) -> str:
    """``text`` with the given (possibly overlapping) ranges blanked."""
    pieces = []
    cursor = 0
    for start, end in sorted(ranges):
        start = max(start, cursor)
        if start >= end:
            continue
        pieces.append(text[cursor:start])
        pieces.append(blank(text, start, end))
        cursor = end
    pieces.append(text[cursor:])
    return "".join(pieces)
