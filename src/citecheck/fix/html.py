"""HTML: where a URL sits (an ``href`` or the text), how it is escaped, what goes beside it.

In robust style the reader's link is kept: an ``<a>`` gets the Robust Links
attributes (``data-originalurl``, ``data-versionurl``, ``data-versiondate``), a URL
in the text gets `` (<a href="NEW">archived</a>)`` after it.
"""

from __future__ import annotations

import html
import re

from ..extract import find_decoded_url_spans
from .rules import LeftLink
from .sites import Site

_HTML_ANCHOR_TAG = re.compile(r"<a\b(?:\"[^\"]*\"|'[^']*'|[^'\">])*>", re.IGNORECASE)
_HTML_HREF_BEFORE = re.compile(r"""href\s*=\s*(["']?)\s*$""", re.IGNORECASE)
_HTML_BARE_VALUE = re.compile(r"[^\s\"'=<>`]+")
_HTML_ROBUST = re.compile(r"\sdata-versionurl\s*=", re.IGNORECASE)
_HTML_ARCHIVED = ' (<a href="'


def locate_html(text: str, start: int, url: str, line: int, column: int) -> Site | None:
    tag_start = text.rfind("<", 0, start)
    if tag_start > text.rfind(">", 0, start):
        tag = _HTML_ANCHOR_TAG.match(text, tag_start)
        href = _HTML_HREF_BEFORE.search(text, tag_start, start)
        if tag is None or href is None or tag.end() <= start:
            return None
        quote = href.group(1)
        if quote:
            close = text.find(quote, start, tag.end())
            raw = text[start:close].rstrip() if close != -1 else ""
        else:
            value = _HTML_BARE_VALUE.match(text, start)
            raw = value.group(0) if value else ""
        if not raw or html.unescape(raw) != url:
            return None
        insert_at = tag.end() - 1
        if text[insert_at - 1] == "/":
            insert_at -= 1
        return Site("html-href", start, start + len(raw), url, raw, line, column, insert_at, quote)
    line_end = text.find("\n", start)
    stop = len(text) if line_end == -1 else line_end
    span = next(find_decoded_url_spans(text, start, stop), None)
    if span is None or span.start != start or span.url != url:
        return None
    return Site("html-text", start, span.end, url, text[start : span.end], line, column, span.end)


def robust_html(text: str, site: Site, new_url: str, version_date: str | None) -> str | LeftLink:
    """The text from the URL to ``site.insert_at`` with the archived copy added."""
    assert site.insert_at is not None
    if site.kind == "html-href":
        tag_text = text[site.start : site.insert_at]
        if _HTML_ROBUST.search(text[text.rfind("<", 0, site.start) : site.insert_at]):
            return LeftLink(site.url, site.line, "already has Robust Links attributes")
        separator = "" if tag_text[-1:].isspace() else " "
        return tag_text + separator + _robust_attributes(site.url, new_url, version_date)
    if text.startswith(_HTML_ARCHIVED, site.insert_at):
        return LeftLink(site.url, site.line, "already has an archived copy beside it")
    link = html.escape(new_url, quote=True)
    return text[site.start : site.insert_at] + f'{_HTML_ARCHIVED}{link}">archived</a>)'


def written_html(site: Site, new_url: str) -> str:
    """``new_url`` as it must be written at ``site``: escaped the way the original was."""
    escape_ampersand = "&" not in site.url or site.raw != site.url
    value = new_url.replace("&", "&amp;") if escape_ampersand else new_url
    if site.kind == "html-text":
        return value.replace("<", "&lt;").replace(">", "&gt;")
    if site.quote == '"':
        return value.replace('"', "&quot;")
    if site.quote == "'":
        return value.replace("'", "&#39;")
    # An unquoted attribute value may not contain = (HTML's syntax rules).
    return value.replace("'", "&#39;").replace("=", "&#61;")


def _robust_attributes(original: str, version_url: str, version_date: str | None) -> str:
    """The Robust Links attributes (https://robustlinks.mementoweb.org/spec/)."""
    attributes = [
        f'data-originalurl="{html.escape(original, quote=True)}"',
        f'data-versionurl="{html.escape(version_url, quote=True)}"',
    ]
    if version_date:
        attributes.append(f'data-versiondate="{html.escape(version_date, quote=True)}"')
    return " ".join(attributes)
