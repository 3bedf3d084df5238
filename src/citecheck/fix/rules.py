"""What ``fix`` may do with one cited URL: the decisions, and the rules that refuse one.

- ``swap`` (a broken link with a good capture) puts the archived copy in place of
  the URL; ``update`` (a redirected link) puts its final URL there, only when
  ``redirects=True``; ``leave`` and swaps without a capture are listed for a human.
- A URL that already points at an archive is never touched.
- A fragment (``#section``) of the cited URL is carried over to the new URL.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, NamedTuple
from urllib.parse import urlsplit

from ..urls import CHECKABLE_SCHEMES, InvalidURLError, normalize_url

Action = Literal["swap", "update", "leave"]
Style = Literal["replace", "robust"]


#: Hosts whose every URL is an archived copy.
ARCHIVE_HOSTS = frozenset(
    {
        "archive.today",
        "archive.ph",
        "archive.is",
        "archive.li",
        "archive.vn",
        "archive.fo",
        "archive.md",
        "webcitation.org",
        "www.webcitation.org",
        "perma.cc",
        "perma-archives.org",
    }
)
#: URL prefixes (normalised) of archived copies on hosts that also serve other pages.
ARCHIVE_PREFIXES: tuple[str, ...] = (
    "https://web.archive.org/web/",
    "http://web.archive.org/web/",
    "https://wayback.archive-it.org/",
    "https://webarchive.nationalarchives.gov.uk/",
)

_FIRST_PAGE = re.compile(r"\s*(\d+)")

#: Characters percent-encoded in a new URL so that it stays one URL in any format.
_UNSAFE_IN_URL = {" ": "%20", '"': "%22", "<": "%3C", ">": "%3E", "`": "%60"}


@dataclass(frozen=True)
class Decision:
    """What to do with one URL, built by the CLI from the store.

    ``url`` is normalised (:func:`citecheck.urls.normalize_url`); ``new_url`` is the
    archived copy for a swap, the final URL for an update; ``version_date`` is the
    ISO date of the capture (Robust Links ``data-versiondate``); ``why`` is what
    the summary says ("broken (not_found); archived 2021-07-14"). ``pdf_pages`` maps
    a cited page number to its PDF page in the archived copy (archive/pages.py), or
    else the one it was on when first seen (pages/), so that a swap to an archived
    PDF opens at the cited page (``#page=N``).
    """

    url: str
    action: Action
    new_url: str | None = None
    version_date: str | None = None
    why: str = ""
    pdf_pages: Mapping[str, int] = field(default_factory=dict)


class LeftLink(NamedTuple):
    """A cited URL left as it is for a human, and why."""

    url: str
    line: int
    why: str


def is_archive_url(url: str, archive_prefixes: Sequence[str] = ()) -> bool:
    """Whether ``url`` is an archived copy (Wayback, archive.today, perma.cc, …).

    ``archive_prefixes`` adds the configured Wayback base (``https://wb.example/web/``).
    """
    try:
        key = normalize_url(url)
    except InvalidURLError:
        return False
    if (urlsplit(key).hostname or "") in ARCHIVE_HOSTS:
        return True
    prefixes = list(ARCHIVE_PREFIXES)
    for prefix in archive_prefixes:
        try:
            prefixes.append(normalize_url(prefix))
        except InvalidURLError:
            continue
    return any(key.startswith(prefix) for prefix in prefixes)


def choose(
    url: str,
    line: int,
    decisions: Mapping[str, Decision],
    redirects: bool,
    archive_prefixes: Sequence[str],
) -> tuple[Decision, str] | LeftLink | None:
    """The decision to carry out and the URL to write, or why not."""
    try:
        key = normalize_url(url)
    except InvalidURLError as exc:
        return LeftLink(url, line, f"not a valid URL: {exc}")
    decision = decisions.get(key)
    if decision is None:
        return None
    if is_archive_url(key, archive_prefixes):
        if decision.action == "leave":
            return None
        return LeftLink(url, line, "already points at an archived copy")
    why = decision.why or decision.action
    if decision.action == "leave":
        return LeftLink(url, line, why)
    if decision.action == "update" and not redirects:
        return LeftLink(url, line, f"{why}; redirects are updated only when asked")
    if decision.action not in ("swap", "update"):
        return LeftLink(url, line, f"unknown action {decision.action!r}")
    if not decision.new_url:
        return LeftLink(url, line, f"{why}; no URL to put in its place")
    new_url = _with_fragment(_url_safe(decision.new_url.strip()), url)
    try:
        new_key = normalize_url(new_url)
    except InvalidURLError as exc:
        return LeftLink(url, line, f"the new URL is not valid: {exc}")
    if urlsplit(new_key).scheme not in CHECKABLE_SCHEMES:
        return LeftLink(url, line, f"the new URL {new_url!r} is not http(s)")
    if new_url == url:
        return None
    return decision, new_url


def with_page(new_url: str, page: str | None, decision: Decision) -> str:
    """``new_url`` opening at the cited page: ``#page=N`` with N the PDF page the cited
    page is on in the archived copy (when its pages were read), else the one it was on
    when first seen. Unchanged when the URL has a fragment already, the
    citation names no page, or the page was never seen (a guess would be wrong as
    often as right: reports number pages their own way)."""
    match = _FIRST_PAGE.match(page or "")
    if decision.action != "swap" or match is None or "#" in new_url:
        return new_url
    pdf_page = decision.pdf_pages.get(match.group(1))
    return f"{new_url}#page={pdf_page}" if pdf_page else new_url


def _url_safe(url: str) -> str:
    return "".join(_UNSAFE_IN_URL.get(char, char) for char in url)


def _with_fragment(new_url: str, cited: str) -> str:
    fragment = urlsplit(cited).fragment
    if fragment and "#" not in new_url:
        return f"{new_url}#{fragment}"
    return new_url


def same_url(text: str, url: str) -> bool:
    if text == url:
        return True
    try:
        return normalize_url(text) == normalize_url(url)
    except InvalidURLError:
        return False
