"""HTML: ``<a href>`` links and bare URLs in text.

beautifulsoup4 finds the anchors and where each starts (``sourceline`` and
``sourcepos``); the href value is then located in the source itself, so the
span a later ``fix`` rewrites is exactly the characters of the attribute value.
"""

from __future__ import annotations

import dataclasses
import html
import re
from collections.abc import Iterator

from bs4 import BeautifulSoup, Tag

from ._claims import Extraction, Found, build_extraction
from ._spans import LineIndex, blank, blank_ranges, find_url_spans, line_index

_HIDDEN = re.compile(
    r"<!--.*?-->|<(script|style|template)\b.*?</\1\s*>|<!\[CDATA\[.*?\]\]>",
    re.IGNORECASE | re.DOTALL,
)
_VERBATIM = re.compile(r"<(pre|code|textarea)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"</?[A-Za-z][^\s/>]*(?:\"[^\"]*\"|'[^']*'|[^'\">])*>|<[!?][^>]*>")
_TAG_NAME = re.compile(r"</?([A-Za-z][^\s/>]*)")
_ANCHOR_TAG = re.compile(r"<a\b(?:\"[^\"]*\"|'[^']*'|[^'\">])*>", re.IGNORECASE)
_HREF = re.compile(
    r"""(?<![\w-])href\s*=\s*(?:"(?P<double>[^"]*)"|'(?P<single>[^']*)'|(?P<bare>[^\s"'=<>`]+))""",
    re.IGNORECASE,
)
_ANCHOR_END = re.compile(r"</a\s*>", re.IGNORECASE)
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


def _blank_matches(text: str, pattern: re.Pattern[str]) -> str:
    return pattern.sub(lambda match: blank(text, *match.span()), text)


def _anchors(text: str, soup: BeautifulSoup, index: LineIndex) -> Iterator[Found]:
    for anchor in soup.find_all("a", href=True):
        if not isinstance(anchor, Tag) or anchor.sourceline is None or anchor.sourcepos is None:
            continue
        tag = _ANCHOR_TAG.match(text, index.starts[anchor.sourceline - 1] + anchor.sourcepos)
        href = _HREF.search(tag.group(0)) if tag else None
        if tag is None or href is None:
            continue
        group = next(name for name in ("double", "single", "bare") if href.group(name) is not None)
        raw = href.group(group)
        start = tag.start() + href.start(group) + len(raw) - len(raw.lstrip())
        raw = raw.strip()
        url = html.unescape(raw)
        if not _ABSOLUTE_HTTP.match(url):
            continue
        closing = _ANCHOR_END.search(text, tag.end())
        region_end = closing.end() if closing else tag.end()
        label = anchor.get_text(" ", strip=True)
        title = anchor.get("title")
        yield Found(
            start,
            start + len(raw),
            url,
            tag.start(),
            region_end,
            " ".join(label.split()),
            title.strip() or None if isinstance(title, str) else None,
        )


def _block_starts(text: str) -> list[int]:
    starts = [0]
    for match in _TAG.finditer(text):
        name = _TAG_NAME.match(match.group(0))
        if name and name.group(1).lower() in _BLOCK_TAGS:
            starts.extend(match.span())
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
    the first character of the raw attribute value.
    """
    index = line_index(text)
    hidden = _blank_matches(text, _HIDDEN)
    found = list(_anchors(text, BeautifulSoup(text, "html.parser"), index))
    prose = _blank_matches(hidden, _TAG)
    searchable = blank_ranges(
        _blank_matches(_blank_matches(hidden, _VERBATIM), _TAG),
        [(item.region_start, item.region_end) for item in found],
    )
    found.extend(
        Found(span.start, span.end, html.unescape(span.url), span.start, span.end)
        for span in find_url_spans(searchable)
    )
    return _unescaped(build_extraction(text, prose, found, sorted(_block_starts(hidden)), document))
