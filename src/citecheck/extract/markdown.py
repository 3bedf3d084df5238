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

from markdown_it import MarkdownIt

from ._chunks import extract_in_chunks
from ._claims import Extraction, Found, build_extraction
from ._entities import bare_urls
from ._spans import EXTRACTED_SCHEMES, LineIndex, blank_ranges, line_index
from ._verbatim import verbatim_elements

_LONE_CR = re.compile(r"\r(?!\n)")
_FENCE = re.compile(r" {0,3}(`{3,}|~{3,})")
_CODE_BLOCKS = frozenset({"fence", "code_block"})
_BACKTICKS = re.compile(r"`+")
_BLANK_LINE = re.compile(r"\n[ \t]*\r?\n")
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
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
_LINK_TITLE = re.compile(r"[ \t]*\r?\n?[ \t]*(\"[^\"]*\"|'[^']*'|\([^()]*\))")
_NESTED_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_EMPHASIS = str.maketrans({"*": " ", "`": " "})
#: Only the block structure is used (code blocks, paragraph starts): inline parsing,
#: most of markdown-it's time on a link-heavy document, is switched off.
_BLOCK_PARSER = MarkdownIt("commonmark").disable("inline")
#: How far back the opening ``[`` of a link text is looked for.
_MAX_LINK_TEXT_CHARS = 1000


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


def _link_text_start(scan: str, close_bracket: int) -> int | None:
    depth = 0
    floor = max(0, close_bracket - _MAX_LINK_TEXT_CHARS)
    for position in range(close_bracket - 1, floor - 1, -1):
        char = scan[position]
        if position > 0 and scan[position - 1] == "\\":
            continue
        if char == "]":
            depth += 1
        elif char == "[":
            if depth == 0:
                return position
            depth -= 1
    return None


def _destination(scan: str, start: int) -> tuple[int, int, int, str | None] | None:
    """The link destination after ``](``: (url start, url end, end of the link, title)."""
    position = start
    while position < len(scan) and scan[position] in " \t":
        position += 1
    if position < len(scan) and scan[position] == "<":
        close = scan.find(">", position + 1)
        if close == -1 or "\n" in scan[position:close]:
            return None
        url_start, url_end, position = position + 1, close, close + 1
    else:
        url_start = position
        depth = 0
        while position < len(scan):
            char = scan[position]
            if char == "\\" and position + 1 < len(scan):
                position += 2
                continue
            if char.isspace():
                break
            if char == "(":
                depth += 1
            elif char == ")":
                if depth == 0:
                    break
                depth -= 1
            position += 1
        url_end = position
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
    for bracket in re.finditer(r"\]\(", brackets):
        text_start = _link_text_start(brackets, bracket.start())
        parsed = _destination(scan, bracket.end())
        if text_start is None or parsed is None:
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
    scan = blank_ranges(scan, [match.span() for match in _COMMENT.finditer(scan)])
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
