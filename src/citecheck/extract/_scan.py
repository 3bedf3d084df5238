"""Tags, comments and raw-text elements found in time linear in the text.

The obvious regular expressions for these (``<!--.*?-->``, ``<(pre|code)\\b.*?</\\1>``,
a tag as ``<name (quoted | [^>])* >``) are right on real pages and quadratic on
hostile ones: where a comment, element or tag is never closed, the engine scans to
the end of the text from *every* opening, so 8,000 unclosed ``<a `` (24 KB) took
37 s and a megabyte would take hours, holding up a whole night's run. These
functions give the same spans as those patterns on well-formed text and remember
what a failed scan learned, so no stretch of text is scanned twice for the same
thing.
"""

from __future__ import annotations

import bisect
import re
from array import array
from collections.abc import Callable, Iterator

_TAG_OPENING = re.compile(r"</?[A-Za-z]|<[!?]")
_QUOTE_OR_END = re.compile(r"[\"'>]")
_NAME_REST = re.compile(r"[^\s/>]*")
#: A tag's rest, to its ``>``: tried first within a short window, where the C engine
#: answers most tags at once; a tag it cannot finish there goes to the scan.
_TAG_REST = re.compile(r"(?:\"[^\"]*+\"|'[^']*+'|[^'\">]++)*+>")
_FAST_WINDOW = 512


def closed_elements(
    text: str, opening: re.Pattern[str], closing_for: Callable[[re.Match[str]], re.Pattern[str]]
) -> Iterator[tuple[int, int]]:
    """(start, end) of each ``opening`` … first ``closing_for(opening)`` after it.

    The same spans as ``opening.*?closing`` with DOTALL, left to right and not
    overlapping; an opening never closed is no span, and the search goes on after
    it. Each closing pattern's last answer is remembered: it holds for every later
    opening up to the closing it found (or to the end, when there was none).
    """
    last: dict[re.Pattern[str], tuple[int, re.Match[str] | None]] = {}
    position = 0
    while (match := opening.search(text, position)) is not None:
        closing = closing_for(match)
        searched_from, found = last.get(closing, (-1, None))
        if (
            searched_from < 0
            or searched_from > match.end()
            or (found is not None and found.start() < match.end())
        ):
            found = closing.search(text, match.end())
            last[closing] = (match.end(), found)
        if found is None:
            position = match.start() + 1
            continue
        yield match.start(), found.end()
        position = found.end()


class _TagEnds:
    """Where a tag that starts at a given place ends: its first ``>`` outside quotes.

    A scan that reaches the end of the text, or a quote never closed, finds no end;
    every stretch it walked outside quotes is marked, and a later scan that walks
    into a marked stretch stops there, since from that point on it would walk the
    same way to the same failure. The quotes and ``>`` are listed once, so a scan
    steps from one to the next without searching the text for them again.
    """

    def __init__(self, text: str) -> None:
        self._text = text
        self._stops: array[int] | None = None  # listed on the first scan
        self._dead = bytearray(len(text) + 1)

    def end(self, position: int) -> int | None:
        if self._dead[position]:
            return None
        quick = _TAG_REST.match(self._text, position, position + _FAST_WINDOW)
        if quick is not None:
            return quick.end()
        return self._scan(position)

    def _scan(self, position: int) -> int | None:
        if self._stops is None:
            self._stops = array("q", (m.start() for m in _QUOTE_OR_END.finditer(self._text)))
        text, stops, dead = self._text, self._stops, self._dead
        walked: list[tuple[int, int]] = []
        result: int | None = None
        while True:
            index = bisect.bisect_left(stops, position)
            stop = stops[index] if index < len(stops) else len(text)
            blocked = dead.find(1, position, stop + 1)
            if blocked != -1:
                walked.append((position, blocked))
                break
            walked.append((position, stop + 1))
            if stop == len(text):
                break
            char = text[stop]
            if char == ">":
                result = stop + 1
                break
            close = text.find(char, stop + 1)
            if close == -1:
                break
            position = close + 1
        if result is None:
            for start, end in walked:
                dead[start:end] = b"\x01" * (end - start)
        return result


def tag_spans(text: str) -> Iterator[tuple[int, int]]:
    """(start, end) of each tag: ``<name …>`` or ``</name …>`` with quoted values
    skipped, and ``<!…>`` or ``<?…>``; left to right, not overlapping.

    A quote inside the name itself (``<a"b>``) is part of the name, as the greedy
    pattern reads it.
    """
    ends = _TagEnds(text)
    no_end_from = len(text) + 1
    name_from, name_end = -1, -1
    position = 0
    while (match := _TAG_OPENING.search(text, position)) is not None:
        if match.group()[1] in "!?":
            end = -1 if match.end() >= no_end_from else text.find(">", match.end())
            if end == -1:
                no_end_from = min(no_end_from, match.end())
                position = match.start() + 1
                continue
            yield match.start(), end + 1
            position = end + 1
            continue
        if not name_from <= match.end() <= name_end:
            name_from = match.end()
            name_end = _NAME_REST.match(text, name_from).end()
        tag_end = ends.end(name_end)
        if tag_end is None:
            position = match.start() + 1
            continue
        yield match.start(), tag_end
        position = tag_end


def opening_tags(text: str, opening: re.Pattern[str]) -> Iterator[tuple[int, int]]:
    """(start, end) of each tag whose start ``opening`` matches (``<a\\b``, say),
    ending at its first ``>`` outside quotes; left to right, not overlapping."""
    ends = _TagEnds(text)
    position = 0
    while (match := opening.search(text, position)) is not None:
        end = ends.end(match.end())
        if end is None:
            position = match.start() + 1
            continue
        yield match.start(), end
        position = end


class NextOccurrence:
    """The next place a fixed string occurs at or after an offset, for offsets asked
    in increasing order: one answer serves every offset up to it, so a text where
    the string is rare, or absent, is searched once rather than once per offset."""

    def __init__(self, text: str, needle: str) -> None:
        self._text = text
        self._needle = needle
        self._from = len(text) + 1
        self._found = -1

    def at_or_after(self, offset: int) -> int:
        """The offset of the next occurrence, or -1."""
        if not (self._from <= offset and (self._found == -1 or self._found >= offset)):
            self._from, self._found = offset, self._text.find(self._needle, offset)
        return self._found
