"""HTML: ``<a href>`` links and bare URLs in text.

Anchors are found by scanning the source (comments, scripts and styles blanked
out) for ``<a …>`` start tags, so the span a later ``fix`` rewrites is exactly the
characters of the href value. A scan, not a parse tree: beautifulsoup4's tree of
a document citing 200,000 URLs took more than 800 MB, the scan takes the text's
size a few times over.
"""

from __future__ import annotations

import dataclasses
import html
import re
from collections.abc import Iterator

from ._chunks import extract_in_chunks
from ._claims import Extraction, Found, build_extraction
from ._entities import bare_urls
from ._scan import closed_elements, opening_tags, tag_spans
from ._spans import blank_ranges

#: Comments, scripts, styles, templates and CDATA: nothing in them is a citation.
_HIDDEN_OPENING = re.compile(r"<!--|<(script|style|template)\b|<!\[CDATA\[", re.IGNORECASE)
#: Code and form fields: no bare URL is read in them (an anchor still counts).
_VERBATIM_OPENING = re.compile(r"<(pre|code|textarea)\b", re.IGNORECASE)
_CLOSINGS = {
    name: re.compile(rf"</{name}\s*>", re.IGNORECASE)
    for name in ("script", "style", "template", "pre", "code", "textarea")
}
_COMMENT_CLOSING = re.compile(r"-->")
_CDATA_CLOSING = re.compile(r"\]\]>")
_TAG_NAME = re.compile(r"</?([A-Za-z][^\s/>]*)")
_ANCHOR_OPENING = re.compile(r"<a\b", re.IGNORECASE)
_HREF = re.compile(
    r"""(?<![\w-])href\s*=\s*(?:"(?P<double>[^"]*)"|'(?P<single>[^']*)'|(?P<bare>[^\s"'=<>`]+))""",
    re.IGNORECASE,
)
_TITLE_ATTRIBUTE = re.compile(
    r"""(?<![\w-])title\s*=\s*(?:"(?P<double>[^"]*)"|'(?P<single>[^']*)'|(?P<bare>[^\s"'=<>`]+))""",
    re.IGNORECASE,
)
_ANCHOR_END = re.compile(r"</a\s*>", re.IGNORECASE)
_ANCHOR_EDGE = re.compile(r"<a\b|</a\s*>", re.IGNORECASE)
_BLOCK_LINE = re.compile(
    r"^[ \t]*(?=<(?:p|li|div|h[1-6]|tr|table|ul|ol|dl|dt|dd|section|article|header|footer"
    r"|main|nav|aside|blockquote|figure|hr)\b)",
    re.IGNORECASE | re.MULTILINE,
)
_ABSOLUTE_HTTP = re.compile(r"https?://", re.IGNORECASE)
#: Elements that start a new block of prose: a claim never reaches across them.
_BLOCK_TAGS = frozenset(
    {
        "address", "article", "aside", "blockquote", "body", "br", "caption", "dd", "div",
        "dl", "dt", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5",
        "h6", "header", "hr", "li", "main", "nav", "ol", "p", "pre", "section", "table",
        "td", "th", "tr", "ul",
    }
)  # fmt: skip


def _closing(opening: re.Match[str]) -> re.Pattern[str]:
    if opening.group(1) is not None:
        return _CLOSINGS[opening.group(1).lower()]
    return _COMMENT_CLOSING if opening.group().startswith("<!--") else _CDATA_CLOSING


def _hidden(text: str) -> str:
    """``text`` with comments, scripts, styles, templates and CDATA blanked."""
    return blank_ranges(text, closed_elements(text, _HIDDEN_OPENING, _closing))


def _tags_blanked(text: str) -> str:
    return blank_ranges(text, tag_spans(text))


def _attribute(match: re.Match[str] | None) -> tuple[str, int] | None:
    """An attribute's raw value and where it starts in the tag."""
    if match is None:
        return None
    group = next(name for name in ("double", "single", "bare") if match.group(name) is not None)
    return match.group(group), match.start(group)


def _anchors(hidden: str, prose: str) -> Iterator[Found]:
    """Every ``<a href>`` to an absolute http(s) URL outside comments and scripts.

    The label is the anchor's text (tags blanked in ``prose``), entities still
    encoded like the rest of the prose; the title attribute is decoded.
    """
    closing: re.Match[str] | None = None
    closing_searched_from = len(hidden) + 1
    for tag_start, tag_end in opening_tags(hidden, _ANCHOR_OPENING):
        tag = hidden[tag_start:tag_end]
        href = _attribute(_HREF.search(tag))
        if href is None:
            continue
        raw, offset = href
        start = tag_start + offset + len(raw) - len(raw.lstrip())
        raw = raw.strip()
        url = html.unescape(raw)
        if not _ABSOLUTE_HTTP.match(url):
            continue
        # The next </a> holds for every anchor before it: one search, not one each.
        if closing_searched_from > tag_end or (closing and closing.start() < tag_end):
            closing = _ANCHOR_END.search(hidden, tag_end)
            closing_searched_from = tag_end
        label_end = closing.start() if closing else tag_end
        region_end = closing.end() if closing else tag_end
        title = _attribute(_TITLE_ATTRIBUTE.search(tag))
        yield Found(
            start,
            start + len(raw),
            url,
            tag_start,
            region_end,
            " ".join(prose[tag_end:label_end].split()),
            (html.unescape(title[0]).strip() or None) if title else None,
        )


def _block_starts(text: str, tags: list[tuple[int, int]]) -> list[int]:
    starts = [0]
    for span in tags:
        name = _TAG_NAME.match(text, span[0])
        if name and name.group(1).lower() in _BLOCK_TAGS:
            starts.extend(span)
    return starts


def _unescaped(extraction: Extraction) -> Extraction:
    def clean(citation):
        return dataclasses.replace(
            citation,
            context=html.unescape(citation.context) if citation.context else None,
            title=html.unescape(citation.title) if citation.title else None,
        )

    return Extraction(
        citations=[clean(citation) for citation in extraction.citations],
        unresolved=[clean(citation) for citation in extraction.unresolved],
    )


def extract_html(text: str, document: str) -> Extraction:
    """The citations of an HTML document: absolute http(s) anchors and bare URLs.

    ``url`` has entities decoded (``&amp;`` → ``&``) while line and column point at
    the first character of the raw attribute value. A long document is read a piece
    at a time (``_chunks``), cut before a line that starts with a block element,
    outside comments, scripts and anchors.
    """
    cuts = _cuts(_hidden(text))
    return extract_in_chunks(text, cuts, lambda piece: _extract_piece(piece, document))


def _cuts(hidden: str) -> Iterator[int]:
    edges = _ANCHOR_EDGE.finditer(hidden)
    edge = next(edges, None)
    in_anchor = False
    for line in _BLOCK_LINE.finditer(hidden):
        while edge is not None and edge.start() < line.start():
            in_anchor = not edge.group(0).startswith("</")
            edge = next(edges, None)
        if not in_anchor:
            yield line.start()


def _extract_piece(text: str, document: str) -> Extraction:
    hidden = _hidden(text)
    tags = list(tag_spans(hidden))
    prose = blank_ranges(hidden, tags)
    found = list(_anchors(hidden, prose))
    code = closed_elements(hidden, _VERBATIM_OPENING, lambda opening: _CLOSINGS[opening[1].lower()])
    searchable = blank_ranges(
        _tags_blanked(blank_ranges(hidden, code)),
        [(item.region_start, item.region_end) for item in found],
    )
    found.extend(bare_urls(searchable))
    block_starts = sorted(_block_starts(hidden, tags))
    return _unescaped(build_extraction(text, prose, found, block_starts, document))
