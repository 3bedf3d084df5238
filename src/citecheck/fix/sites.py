"""Where a cited URL sits in a decoded text document, as ``fix`` needs to know it.

The extractors give each URL's line and column; the format's locator (here for
plain text, in ``markdown.py`` and ``html.py`` for theirs) turns that into the exact
characters to replace and, for robust style, where the archived copy goes.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Site:
    """A cited URL located in the decoded text.

    ``raw`` is ``text[start:end]`` (for HTML it may differ from ``url`` by entities);
    ``insert_at`` is where robust style adds the archived copy (None: nowhere).
    """

    kind: str  # "bare", "md-inline", "md-autolink", "md-reference", "html-href", "html-text"
    start: int
    end: int
    url: str
    raw: str
    line: int
    column: int
    insert_at: int | None = None
    quote: str = ""
    page: str | None = None  # the cited page ("67", "118-122"), for ``#page=``


def locate_bare(text: str, start: int, url: str, line: int, column: int) -> Site | None:
    end = start + len(url)
    if text[start:end] != url:
        return None
    return Site("bare", start, end, url, url, line, column, end)


def char_line_starts(text: str) -> list[int]:
    starts = [0]
    position = text.find("\n")
    while position != -1:
        starts.append(position + 1)
        position = text.find("\n", position + 1)
    return starts
