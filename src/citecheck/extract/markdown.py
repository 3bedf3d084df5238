"""Markdown: inline links, reference definitions, autolinks and bare URLs.

markdown-it-py gives the block structure (which lines are code, where paragraphs
start) but no positions for inline content, so links are found by scanning the
source with code blanked out: their spans are then exact.
"""

from __future__ import annotations

import bisect
import html
import re
from collections.abc import Iterator
from dataclasses import dataclass

from markdown_it import MarkdownIt

from ._chunks import extract_in_chunks
from ._claims import Extraction, Found, build_extraction
from ._entities import bare_urls
from ._scan import NextOccurrence, closed_elements
from ._spans import EXTRACTED_SCHEMES, LineIndex, blank_ranges, line_index
from ._verbatim import verbatim_elements

_LONE_CR = re.compile(r"\r(?!\n)")
_FENCE = re.compile(r" {0,3}(`{3,}|~{3,})")
_CODE_BLOCKS = frozenset({"fence", "code_block"})
_BACKTICKS = re.compile(r"`+")
_BLANK_LINE = re.compile(r"\n[ \t]*\r?\n")
_COMMENT_OPENING = re.compile(r"<!--")
_COMMENT_CLOSING = re.compile(r"-->")
_REFERENCE = re.compile(
    r"^ {0,3}\[(?:[^\]\\\n]|\\.)+\]:[ \t]*(?:<(?P<angled>[^>\n]*)>|(?P<plain>\S+))"
    r"(?:[ \t]+(?P<title>\"[^\"\n]*\"|'[^'\n]*'|\([^)\n]*\)))?[ \t]*\r?$",
    re.MULTILINE,
)
_AUTOLINK = re.compile(r"<(?P<url>(?:https?|ftp|mailto):[^\s<>]*)>", re.IGNORECASE)
#: CommonMark's autolinks and raw HTML tags: they bind more tightly than the brackets
#: of a link, so a "[", "]" or "](" inside one opens or closes nothing.
_TIGHTER_THAN_BRACKETS = re.compile(
    r"<[A-Za-z][A-Za-z0-9.+-]{1,31}:[^\s<>]*>"
    r"|<[A-Za-z][A-Za-z0-9-]*(?:\s+[A-Za-z_:][\w.:-]*(?:\s*=\s*(?:[^\s\"'=<>`]+|'[^']*'"
    r"|\"[^\"]*\"))?)*\s*/?>"
    r"|</[A-Za-z][A-Za-z0-9-]*\s*>"
)
#: HTML blocks whose lines are all verbatim (CommonMark's HTML block type 1).
_VERBATIM_BLOCK = re.compile(r"[ ]{0,3}<(?:pre|script|style|textarea)(?:[\s>]|$)", re.IGNORECASE)
_LINK_TITLE = re.compile(r"[ \t]*+\r?\n?[ \t]*+(\"[^\"]*\"|'[^']*'|\([^()]*\))")
_NESTED_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_EMPHASIS = str.maketrans({"*": " ", "`": " "})
#: Only the block structure is used (code blocks, paragraph starts): inline parsing,
#: most of markdown-it's time on a link-heavy document, is switched off.
_BLOCK_PARSER = MarkdownIt("commonmark").disable("inline")
#: How far back the opening ``[`` of a link text is looked for.
_MAX_LINK_TEXT_CHARS = 1000
_BRACKET = re.compile(r"[\[\]]")
_PAREN_OR_ESCAPE = re.compile(r"\\[\s\S]|[()]")
_WHITESPACE = re.compile(r"\s")


def _code_spans(text: str) -> Iterator[tuple[int, int]]:
    """Inline code: a backtick run closed by a run of the same length in the paragraph."""
    runs = list(_BACKTICKS.finditer(text))
    paragraph_ends = [match.start() for match in _BLANK_LINE.finditer(text)]
    position = 0
    while position < len(runs):
        opening = runs[position]
        width = len(opening.group(0))
        after = bisect.bisect_left(paragraph_ends, opening.end())
        limit = paragraph_ends[after] if after < len(paragraph_ends) else len(text)
        for later in range(position + 1, len(runs)):
            closing = runs[later]
            if closing.start() >= limit:
                break
            if len(closing.group(0)) == width:
                yield opening.start(), closing.end()
                position = later
                break
        position += 1


def _has_scheme(url: str) -> bool:
    head, colon, _ = url.partition(":")
    return bool(colon) and f"{head.lower()}:" in EXTRACTED_SCHEMES


def _link_text_starts(scan: str) -> dict[int, int]:
    """Each ``]`` → the ``[`` that opens it, when that is at most
    ``_MAX_LINK_TEXT_CHARS`` before it: brackets paired in one pass, nested ones
    inside, a bracket after a backslash ignored."""
    openings: list[int] = []
    starts = {}
    for match in _BRACKET.finditer(scan):
        position = match.start()
        if position > 0 and scan[position - 1] == "\\":
            continue
        if match.group() == "[":
            openings.append(position)
        elif openings:
            opening = openings.pop()
            if position - opening <= _MAX_LINK_TEXT_CHARS:
                starts[position] = opening
    return starts


@dataclass(frozen=True)
class _Angles:
    """Where the next ``>`` and line break are, for ``<…>`` destinations."""

    closing: NextOccurrence
    newline: NextOccurrence


class _Destinations:
    """Where a link destination after ``](`` ends, for every link of a text in one
    pass over its parentheses (a destination stops at whitespace or at the ``)``
    that closes the link; parentheses inside it must balance; ``\\`` escapes).

    Walking each destination char by char is quadratic on a text of many ``](`` and
    no spaces, where every walk runs to the end.
    """

    def __init__(self, scan: str) -> None:
        self._scan = scan
        self._positions: list[int] = []
        self._depths: list[int] = []
        self._closings: dict[int, list[int]] = {}
        depth = 0
        for match in _PAREN_OR_ESCAPE.finditer(scan):
            char = match.group()
            if char == "(":
                self._positions.append(match.start())
                self._depths.append(depth)
                depth += 1
            elif char == ")":
                self._positions.append(match.start())
                self._depths.append(depth)
                self._closings.setdefault(depth, []).append(match.start())
                depth -= 1
        self._final_depth = depth
        self._whitespace_from = len(scan) + 1
        self._whitespace = -1

    def end(self, start: int) -> int:
        """Where the destination that starts at ``start`` ends (exclusive)."""
        index = bisect.bisect_left(self._positions, start)
        depth = self._depths[index] if index < len(self._depths) else self._final_depth
        closings = self._closings.get(depth, [])
        closing = bisect.bisect_left(closings, start)
        end = closings[closing] if closing < len(closings) else len(self._scan)
        return min(end, self._next_whitespace(start))

    def _next_whitespace(self, start: int) -> int:
        if self._from_valid(start):
            return self._whitespace
        scan = self._scan
        position = start
        while (match := _WHITESPACE.search(scan, position)) is not None:
            before = match.start()
            while before > start and scan[before - 1] == "\\":
                before -= 1
            if (match.start() - before) % 2 == 0:
                break
            position = match.end()
        self._whitespace_from = start
        self._whitespace = match.start() if match is not None else len(scan)
        return self._whitespace

    def _from_valid(self, start: int) -> bool:
        return self._whitespace_from <= start <= self._whitespace


def _destination(
    scan: str, start: int, destinations: _Destinations, angles: _Angles
) -> tuple[int, int, int, str | None] | None:
    """The link destination after ``](``: (url start, url end, end of the link, title)."""
    position = start
    while position < len(scan) and scan[position] in " \t":
        position += 1
    if position < len(scan) and scan[position] == "<":
        close = angles.closing.at_or_after(position + 1)
        newline = angles.newline.at_or_after(position)
        if close == -1 or newline != -1 and newline < close:
            return None
        url_start, url_end, position = position + 1, close, close + 1
    else:
        url_start = position
        position = url_end = destinations.end(position)
    title = _LINK_TITLE.match(scan, position)
    title_text = None
    if title is not None and url_end > url_start:
        title_text = title.group(1)[1:-1]
        position = title.end()
    while position < len(scan) and scan[position] in " \t":
        position += 1
    if position >= len(scan) or scan[position] != ")":
        return None
    return url_start, url_end, position + 1, title_text


def _inline_links(scan: str) -> list[tuple[int, int, Found | None]]:
    """Every ``[text](destination)`` as (start, end, citation), outermost first.

    The citation is None for images and relative links: their span is still
    returned so that nothing inside them is read as a bare URL. Brackets inside an
    autolink or an HTML tag are not the link's (``[a<http://x/?q=](y)>`` is text and
    an autolink).
    """
    brackets = blank_ranges(scan, [match.span() for match in _TIGHTER_THAN_BRACKETS.finditer(scan)])
    links = []
    text_starts = _link_text_starts(brackets)
    destinations: _Destinations | None = None
    angles = _Angles(NextOccurrence(scan, ">"), NextOccurrence(scan, "\n"))
    for bracket in re.finditer(r"\]\(", brackets):
        text_start = text_starts.get(bracket.start())
        if text_start is None:
            continue
        destinations = destinations or _Destinations(scan)
        parsed = _destination(scan, bracket.end(), destinations, angles)
        if parsed is None:
            continue
        url_start, url_end, link_end, title = parsed
        url = scan[url_start:url_end]
        if text_start > 0 and scan[text_start - 1] == "!":
            links.append((text_start - 1, link_end, None))
        elif not _has_scheme(url):
            links.append((text_start, link_end, None))
        else:
            label = _NESTED_LINK.sub(r"\1", scan[text_start + 1 : bracket.start()])
            label = " ".join(label.translate(_EMPHASIS).split())
            citation = Found(
                url_start, url_end, html.unescape(url), text_start, link_end, label, title
            )
            links.append((text_start, link_end, citation))
    links.sort(key=lambda link: (link[0], -link[1]))
    outermost = []
    for link in links:
        if not outermost or link[0] >= outermost[-1][1]:
            outermost.append(link)
    return outermost


def extract_markdown(text: str, document: str) -> Extraction:
    """The citations of a Markdown document; code blocks, code spans and raw HTML
    code (``<pre>``, ``<code>``, ``<script>``, ``<style>``, ``<textarea>``) are skipped.

    A long document is read a piece at a time (``_chunks``), cut before a line that
    starts a new top-level block after a blank line, outside code and comments.
    """
    return extract_in_chunks(text, _cuts(text), lambda piece: _extract_piece(piece, document))


def _cuts(text: str) -> Iterator[int]:
    """Line starts where a piece may begin: after a blank line, not indented (an
    indented line would read as code), outside a fenced code block or a comment."""
    fence = ""
    in_comment = False
    previous_blank = False
    start = 0
    while start < len(text):
        end = text.find("\n", start)
        end = len(text) if end == -1 else end + 1
        line = text[start:end]
        stripped = line.strip()
        if previous_blank and not fence and not in_comment and line[:1] not in (" ", "\t"):
            yield start
        marker = _FENCE.match(line)
        if marker and (not fence or marker.group(1).startswith(fence)):
            fence = "" if fence else marker.group(1)
        if not fence:
            opened, closed = line.rfind("<!--"), line.rfind("-->")
            if opened > closed:
                in_comment = True
            elif closed != -1:
                in_comment = False
        previous_blank = not stripped
        start = end


def _extract_piece(text: str, document: str) -> Extraction:
    index = line_index(text)
    # markdown-it also breaks lines at a lone "\r"; hiding those keeps its line
    # numbers equal to ours, which break at "\n" only.
    tokens = _BLOCK_PARSER.parse(_LONE_CR.sub(" ", text))
    code_lines = [
        token.map
        for token in tokens
        if token.map
        and (
            token.type in _CODE_BLOCKS
            or (token.type == "html_block" and _VERBATIM_BLOCK.match(token.content))
        )
    ]
    block_starts = {index.starts[token.map[0]] for token in tokens if token.map}
    del tokens  # only their line maps were needed: free them before scanning
    scan = blank_ranges(text, [_line_range(index, text, lines) for lines in code_lines])
    scan = blank_ranges(scan, closed_elements(scan, _COMMENT_OPENING, lambda _: _COMMENT_CLOSING))
    scan = blank_ranges(scan, _code_spans(scan))
    # Raw HTML <code>, <pre>, <script>, <style> and <textarea> hold code, not citations.
    scan = blank_ranges(scan, verbatim_elements(scan, within_paragraph=True))

    links = _inline_links(scan)
    taken = [(start, end) for start, end, _ in links]
    found = [citation for _, _, citation in links if citation is not None]
    for match in _REFERENCE.finditer(scan):
        name = "angled" if match.group("angled") is not None else "plain"
        url = match.group(name)
        taken.append(match.span())
        block_starts.add(match.start())
        if _has_scheme(url):
            title = match.group("title")
            found.append(
                Found(
                    match.start(name),
                    match.end(name),
                    html.unescape(url),
                    match.start(),
                    match.end(),
                    "",
                    title[1:-1] if title else None,
                )
            )
    for match in _AUTOLINK.finditer(blank_ranges(scan, taken)):
        taken.append(match.span())
        found.append(
            Found(
                match.start("url"), match.end("url"), match.group("url"), match.start(), match.end()
            )
        )
    # Character references are decoded in text and link destinations, not in autolinks.
    found.extend(bare_urls(blank_ranges(scan, taken)))
    prose = scan.translate(_EMPHASIS)
    return build_extraction(text, prose, found, sorted(block_starts), document)


def _line_range(index: LineIndex, text: str, lines: list[int]) -> tuple[int, int]:
    first, last = lines
    end = index.starts[last] if last < len(index.starts) else len(text)
    return index.starts[first], end
