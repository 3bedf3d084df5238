"""Markdown (and plain text, robust style): where a URL sits, what goes beside it.

In robust style the reader's link is kept and `` ([archived](NEW))`` is added after
it. A reference definition has no room for a second URL, so there the archived
copy replaces the URL (whose original stays readable inside the
``web.archive.org/web/<date>/<original>`` address).
"""

from __future__ import annotations

import re

from ..extract import find_decoded_url_spans
from .rules import LeftLink
from .sites import Site

_MD_REFERENCE_PREFIX = re.compile(r"^ {0,3}\[(?:[^\]\\\n]|\\.)+\]:[ \t]*<?$")
_MD_INLINE_PREFIX = re.compile(r"\]\([ \t]*<?$")
_MD_INLINE_TAIL = re.compile(r"(?:[ \t]*\r?\n?[ \t]*(?:\"[^\"]*\"|'[^']*'|\([^()]*\)))?[ \t]*\)")
_MD_ARCHIVED = " ([archived]("


def locate_markdown(text: str, start: int, url: str, line: int, column: int) -> Site | None:
    end = _source_end(text, start, url)
    if end is None:
        return None
    raw = text[start:end]
    line_start = text.rfind("\n", 0, start) + 1
    before = text[line_start:start]
    if _MD_REFERENCE_PREFIX.match(before):
        return Site("md-reference", start, end, url, raw, line, column, None)
    if _MD_INLINE_PREFIX.search(before):
        tail_start = end + 1 if before.endswith("<") and text[end : end + 1] == ">" else end
        tail = _MD_INLINE_TAIL.match(text, tail_start)
        insert_at = tail.end() if tail else None
        return Site("md-inline", start, end, url, raw, line, column, insert_at)
    if before.endswith("<") and text[end : end + 1] == ">":
        return Site("md-autolink", start, end, url, raw, line, column, end + 1)
    return Site("bare", start, end, url, raw, line, column, end)


def _source_end(text: str, start: int, url: str) -> int | None:
    """Where the URL extracted as ``url`` ends in the source: it may be written with
    character references (``&amp;``), which extraction decoded."""
    end = start + len(url)
    if text[start:end] == url:
        return end
    line_end = text.find("\n", start)
    stop = len(text) if line_end == -1 else line_end
    span = next(find_decoded_url_spans(text, start, stop), None)
    if span is None or span.start != start or span.url != url:
        return None
    return span.end


def robust_markdown(text: str, site: Site, new_url: str) -> str | LeftLink:
    """The text from the URL to ``site.insert_at`` with the archived copy added."""
    assert site.insert_at is not None
    if text.startswith(_MD_ARCHIVED, site.insert_at):
        return LeftLink(site.url, site.line, "already has an archived copy beside it")
    link = balanced_parentheses(new_url)
    return text[site.start : site.insert_at] + f"{_MD_ARCHIVED}{link}))"


def balanced_parentheses(url: str) -> str:
    """``url`` safe as a Markdown link destination: unbalanced parentheses escaped."""
    if url.count("(") == url.count(")"):
        return url
    return url.replace("(", "%28").replace(")", "%29")
