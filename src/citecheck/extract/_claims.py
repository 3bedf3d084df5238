"""What surrounds a cited URL: its page marker, the claim it supports, and the
citations that name a title but no URL.

Every function here reads a *prose* string: the document's text with the parts
that are not prose (code, tags) blanked out character for character, so offsets
in it are offsets in the document.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from ..models import Citation
from ._spans import LineIndex, line_index

#: Longest claim kept in ``Citation.context``, in characters (ellipsis included).
MAX_CONTEXT_CHARS = 200
#: How far before a URL the claim is looked for: enough for a long sentence, and
#: it keeps a document with thousands of URLs in one paragraph linear.
_WINDOW_CHARS = 2000
#: Longest title a title-only citation may have.
_MAX_TITLE_CHARS = 300

#: Runs of blanks are possessive (``*+``): a prose string is mostly blanks where tags
#: were, and a plain ``[ \t]*,?[ \t]*`` tries every split of such a run (cubic time).
_MARKER = r"(?:pp?\.|pgs?\.|pages?\b)[ \t]*+\d+(?:[ \t]*+[-–—][ \t]*+\d+)?(?!\w)"
_MARKER_FORMS = rf"(?:\[[ \t]*+{_MARKER}[ \t]*+\]|\([ \t]*+{_MARKER}[ \t]*+\)|{_MARKER})"
_MARKER_AT = re.compile(_MARKER_FORMS, re.IGNORECASE)
_BLANKS = re.compile(r"[ \t]*+")
_PAGE_NUMBERS = re.compile(r"(\d+)(?:[ \t]*+[-–—][ \t]*+(\d+))?")
_QUOTED_PAGE = re.compile(rf"(?P<quote>[”\"»’'])[ \t]*+,?[ \t]*+{_MARKER_FORMS}", re.IGNORECASE)
_QUOTES = frozenset("”\"’'»")
#: Closing quote → its opening quote.
_OPENING_QUOTE = {"”": "“", '"': '"', "»": "«", "’": "‘", "'": "'"}
#: Closing quotes that are never apostrophes: a title may lack its opening quote.
_UNAMBIGUOUS_CLOSERS = frozenset('”"»')

_SENTENCE_END = re.compile(r"[.!?…][”\"’')\]]*\s+(?=[\"“‘'(\[«]?[A-Z0-9À-Þ])")
_ABBREVIATIONS = frozenset(
    {"e.g", "i.e", "etc", "cf", "vs", "al", "dr", "mr", "mrs", "ms", "st", "no", "p", "pp"}
)
_TRAILING_CONNECTORS = re.compile(
    r"(?:[\s,;:(\[{–—-]|\b(?:and|or|also|see|via|in|at)\b|&)+$", re.IGNORECASE
)
_LEADING_NOISE = re.compile(r"^[\s\-–—*•>#:;,.)\]]+")
_LOOKS_LIKE_URL = re.compile(r"(?:https?|ftp|mailto):\S*$", re.IGNORECASE)
_WORD = re.compile(r"[^\W\d_]{2,}")
#: Words that point at a source without saying anything ("See also the"): a claim
#: made only of them is completed with the rest of the link's sentence.
_POINTER_WORDS = frozenset(
    (
        "see", "also", "the", "a", "an", "at", "in", "on", "of", "this", "that", "these",
        "here", "more", "further", "for", "details", "read", "our", "and", "or", "via",
        "cf", "compare", "link", "links", "below", "above", "source", "sources",
    )
)  # fmt: skip
#: How far after a link its sentence is read, when the text before it is a pointer.
_AFTER_CHARS = 300
_SENTENCE_STOP = re.compile(r"[.!?…](?=[”\"’')\]]*(?:\s|$))")


@dataclass(frozen=True)
class Extraction:
    """The citations of one document.

    ``citations`` are the cited URLs in document order; ``unresolved`` are the
    citations that name a title (and usually a page) but no URL.
    """

    citations: list[Citation] = field(default_factory=list)
    unresolved: list[Citation] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Found:
    """A URL a format's scanner found, before page and context are attached.

    ``region_*`` cover the whole construct (``[text](url)``, ``<a>…</a>``) and
    ``label`` is how it reads inside a sentence (the link text, "" for a bare URL).
    """

    start: int
    end: int
    url: str
    region_start: int
    region_end: int
    label: str = ""
    title: str | None = None


class BlankRuns:
    """Where the run of spaces and tabs at an offset ends, each run measured once.

    A prose string is blank wherever the document had tags, so the run after a
    link can reach the end of the text; asked at every link of such a run, a plain
    match would measure it again each time (quadratic in the text's length).
    """

    def __init__(self, prose: str) -> None:
        self._prose = prose
        self._start = self._end = -1

    def end(self, offset: int) -> int:
        if not self._start <= offset <= self._end:
            self._start, self._end = offset, _BLANKS.match(self._prose, offset).end()
        return self._end


def page_after(prose: str, offset: int, blanks: BlankRuns | None = None) -> tuple[str | None, int]:
    """The page marker right at ``offset`` ("67", "118-122") and where it ends: after
    an optional closing quote, blanks, an optional comma and blanks."""
    runs = blanks or BlankRuns(prose)
    position = offset + 1 if prose[offset : offset + 1] in _QUOTES else offset
    position = runs.end(position)
    if prose.startswith(",", position):
        position = runs.end(position + 1)
    match = _MARKER_AT.match(prose, position)
    if match is None:
        return None, offset
    return _page_numbers(match.group(0)), match.end()


def _page_numbers(marker: str) -> str:
    digits = re.sub(r"^\D*", "", marker)
    numbers = _PAGE_NUMBERS.match(digits)
    assert numbers is not None  # the marker patterns always contain digits
    first, last = numbers.groups()
    return f"{first}-{last}" if last else first


def _sentence_start(text: str) -> int:
    """Where the last sentence of ``text`` starts (abbreviations do not end one)."""
    start = 0
    for match in _SENTENCE_END.finditer(text):
        before = text[: match.start()].rsplit(None, 1)
        word = before[-1].lower().lstrip("([\"“‘'") if before else ""
        if word in _ABBREVIATIONS or (len(word) == 1 and word.isalpha()):
            continue
        start = match.end()
    return start


def claim(segment: str) -> str | None:
    """The claim in the prose before a citation: its last sentence, cleaned and cut.

    A last sentence of one or two words ("See:") is not a claim, so the sentence
    before it is kept too.
    """
    text = " ".join(segment.split())
    text = _TRAILING_CONNECTORS.sub("", text)
    start = _sentence_start(text)
    if start and len(_WORD.findall(text[start:])) < 3:
        start = _sentence_start(text[:start].rstrip())
    text = _LEADING_NOISE.sub("", text[start:])
    text = _TRAILING_CONNECTORS.sub("", text)
    if not _WORD.search(text):
        return None
    return _shorten(text)


def _shorten(text: str) -> str:
    if len(text) <= MAX_CONTEXT_CHARS:
        return text
    cut = text[: MAX_CONTEXT_CHARS - 1]
    if " " in cut:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,;:") + "…"


def _segment_before(prose: str, found: Sequence[Found], index: int, block_start: int) -> str:
    """The prose between the claim's start and citation ``index``.

    Earlier links read as their label; an earlier bare URL ends the segment unless
    only connectors ("and", ",") separate it from this one, as in "…: URL1 and URL2".
    Only the citations inside the window are visited (no copy of the list), so a
    document's cost stays linear in its number of citations.
    """
    window_start = max(block_start, found[index].region_start - _WINDOW_CHARS)
    cursor = found[index].region_start
    pieces: list[str] = []
    for earlier in range(index - 1, -1, -1):
        previous = found[earlier]
        if previous.region_end <= window_start:
            break
        tail = prose[previous.region_end : cursor]
        if previous.label:
            pieces.extend((tail, previous.label))
        elif _WORD.search(_TRAILING_CONNECTORS.sub("", tail)):
            pieces.append(tail)
            return "".join(reversed(pieces))
        cursor = previous.region_start
    if cursor > window_start:
        pieces.append(prose[window_start:cursor])
    return "".join(reversed(pieces))


def build_extraction(
    text: str, prose: str, found: Sequence[Found], block_starts: Sequence[int], document: str
) -> Extraction:
    """Attach pages and claims to what a scanner found, and add title-only citations.

    ``block_starts`` (sorted offsets) bound the claim: line starts for plain text,
    paragraph starts for Markdown and HTML.
    """
    index = line_index(text)
    ordered = sorted(found, key=lambda item: item.start)
    pages: list[str | None] = []
    with_pages: list[Found] = []
    blanks = BlankRuns(prose)
    for item in ordered:
        page, marker_end = page_after(prose, item.region_end, blanks)
        pages.append(page)
        with_pages.append(
            Found(
                item.start,
                item.end,
                item.url,
                item.region_start,
                marker_end,
                item.label,
                item.title,
            )
        )
    citations = []
    for position, item in enumerate(with_pages):
        block_start = _block_start(block_starts, item.region_start)
        before = _segment_before(prose, with_pages, position, block_start)
        context = claim(before)
        if _is_pointer(context):
            link = item.label or "…"  # a bare URL reads as an elision
            around = claim(before + link + _rest_of_sentence(prose, with_pages, position))
            context = context if _is_pointer(around) else around
        if context is None and item.label and not _LOOKS_LIKE_URL.match(item.label):
            context = claim(item.label)
        line, column = index.position(item.start)
        citations.append(
            Citation(
                url=item.url,
                document=document,
                line=line,
                column=column,
                title=item.title,
                context=context,
                page=pages[position],
            )
        )
    unresolved = _title_citations(prose, with_pages, block_starts, document, index)
    return Extraction(citations=citations, unresolved=unresolved)


def _is_pointer(context: str | None) -> bool:
    """Whether a claim says nothing but "see (also) the …": pointing words and fewer
    than two others."""
    words = [word.lower() for word in _WORD.findall(context or "")]
    content = [word for word in words if word not in _POINTER_WORDS]
    return len(content) < len(words) and len(content) < 2


def _rest_of_sentence(prose: str, found: Sequence[Found], index: int) -> str:
    """The prose after citation ``index`` up to the end of its sentence, its line
    (a paragraph break) or the next citation, whichever comes first."""
    start = found[index].region_end
    end = min(len(prose), start + _AFTER_CHARS)
    if index + 1 < len(found):
        end = min(end, found[index + 1].region_start)
    text = prose[start:end]
    paragraph = text.find("\n\n")
    if paragraph != -1:
        text = text[:paragraph]
    stop = _SENTENCE_STOP.search(text)
    return text[: stop.end()] if stop else text


def _block_start(block_starts: Sequence[int], offset: int) -> int:
    position = bisect.bisect_right(block_starts, offset)
    return block_starts[position - 1] if position else 0


def _title_citations(
    prose: str,
    found: Sequence[Found],
    block_starts: Sequence[int],
    document: str,
    index: LineIndex,
) -> list[Citation]:
    """Citations like ``…: The rise of X” [p.88]``: a quoted title, a page, no URL."""
    regions = [(item.region_start, item.region_end) for item in found]
    region_starts = [start for start, _ in regions]
    unresolved = []
    for match in _QUOTED_PAGE.finditer(prose):
        if _overlaps(regions, region_starts, match.start(), match.end()):
            continue
        block_start = _block_start(block_starts, match.start())
        search_start = max(block_start, match.start() - _MAX_TITLE_CHARS)
        title_start = _title_start(prose, search_start, match.start(), match.group("quote"))
        if title_start is None:
            continue
        title = " ".join(prose[title_start : match.start()].split()).strip(" ,;:")
        window_start = max(block_start, title_start - _WINDOW_CHARS)
        sentence_start = window_start + _sentence_start(prose[window_start:title_start])
        if not _WORD.search(title) or _overlaps(
            regions, region_starts, sentence_start, match.end()
        ):
            continue
        page, _ = page_after(prose, match.start() + 1)
        line, column = index.position(title_start)
        unresolved.append(
            Citation(
                url=None,
                document=document,
                line=line,
                column=column,
                title=title,
                context=claim(prose[sentence_start:title_start]),
                page=page,
            )
        )
    return unresolved


def _title_start(prose: str, block_start: int, quote_at: int, closer: str) -> int | None:
    opener = _OPENING_QUOTE[closer]
    before = prose[block_start:quote_at]
    if opener in ("'", '"'):
        opened = max(before.rfind(" " + opener), before.rfind("(" + opener))
        opened = opened + 1 if opened != -1 else (0 if before.startswith(opener) else -1)
    else:
        opened = before.rfind(opener)
    if opened != -1:
        return block_start + opened + 1
    if closer not in _UNAMBIGUOUS_CLOSERS:
        return None
    colon = before.rfind(":")
    start = colon + 1 if colon != -1 else _sentence_start(before)
    return block_start + len(before) - len(before[start:].lstrip())


def _overlaps(
    regions: Sequence[tuple[int, int]], region_starts: Sequence[int], start: int, end: int
) -> bool:
    """Whether [start, end) meets a region; regions are sorted and disjoint, so only
    the last one starting before ``end`` can."""
    position = bisect.bisect_left(region_starts, end)
    return position > 0 and regions[position - 1][1] > start
