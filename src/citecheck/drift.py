"""Has a live page stopped saying what it said when it was cited?

A link can stay ``ok`` while the page behind it is rewritten, replaced by a
different article or turned into a landing page; the citation may then no longer
support the claim. This module compares what a page is now with what it was when
citecheck first saw it, and flags it as *drifted*. The link's status stays what it
was: drift is for a human to read, not a failure.

Pure: a baseline and a :class:`~citecheck.models.PageInfo` in, a :class:`Drift` or
None out. Only ``title`` and ``text_fingerprint`` are read, so
``PageInfo(title=result.title, text_fingerprint=result.text_fingerprint)`` built
from a :class:`~citecheck.models.CheckResult` will do. A 304 Not Modified has no
body: do not call :func:`detect_drift` for it; the page has not changed.

The rules, both conservative (a false "drifted" teaches maintainers to ignore the
section):

- title: the titles, normalised (case folded, white space collapsed, and what
  follows the last spaced `` | ``, `` - ``, `` – ``, `` — ``, `` · `` or `` :: ``
  dropped as the site's name, so that a rebranded site does not make every page
  drift), differ by a ``difflib`` ratio below :data:`TITLE_DRIFT_RATIO`;
- text: the 64-bit simhashes of the main text agree on fewer than
  :data:`TEXT_DRIFT_SIMILARITY` of their bits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .models import PageInfo, PageSnapshot

#: Normalised titles this similar (``difflib.SequenceMatcher.ratio``) are the same
#: title: "… (updated)" or a corrected typo is not drift, "Page not found" is.
TITLE_DRIFT_RATIO = 0.8
#: Main-text fingerprints agreeing on fewer than this share of bits have drifted.
#: titles.py leaves date lines, ads, "related" rails, share bars and comments out of
#: the main text, so a page whose boilerplate alone changed keeps its fingerprint
#: (similarity 1.0). Measured with tests/test_drift.py's generator on 1,000 pages of
#: 240-word articles in four site templates, every piece of boilerplate replaced: at
#: 0.75 none drifts with the article untouched, with a correction appended or with
#: one sentence rewritten; 9% drift with one paragraph (an eighth) rewritten; a
#: quarter, half or all of the text rewritten is caught 57%, 95.5% and 99.9% of the
#: time. At 120 words 4% of one-sentence edits drift and 97.5% of half rewrites are
#: caught; at 480 words 0.1% and 95%. A higher threshold buys half rewrites with
#: small edits: at 0.77, 98.7% at 240 words, but 11% of one-sentence edits at 120.
#: Similarities move in steps of 1/64; texts that share nothing agree on about half
#: of the bits.
TEXT_DRIFT_SIMILARITY = 0.75
#: A separator before a site name at the end of a title (spaced, so "COVID-19" is kept).
_SITE_SEPARATOR = re.compile(r"\s(?:\||-|–|—|·|::)\s")

DRIFT_KINDS = ("title", "text", "title+text")


@dataclass(frozen=True)
class Drift:
    """How a page differs from its baseline, and since when.

    ``similarity`` is the text fingerprints' similarity (None when either page had
    no fingerprint); ``since`` is when the drift was first detected.
    """

    kind: str  # one of DRIFT_KINDS
    before_title: str | None
    after_title: str | None
    similarity: float | None
    since: datetime


def snapshot_of(page: PageInfo, *, now: datetime) -> PageSnapshot:
    """The baseline to keep for a page first seen live at ``now``."""
    return PageSnapshot(title=page.title, text_fingerprint=page.text_fingerprint, seen_at=now)


def detect_drift(
    baseline: PageSnapshot | None,
    current: PageInfo,
    *,
    now: datetime,
    previous: Drift | None = None,
) -> Drift | None:
    """How ``current`` has drifted from ``baseline``, or None when it has not.

    None without a baseline (the caller keeps :func:`snapshot_of` the page as its
    baseline). ``previous`` is the drift reported for this link before, if any: a
    drift that persists keeps the date it was first detected, so reports can tell a
    newly drifted page (``previous is None``) from an old one. A title or text
    missing on either side proves nothing and is not compared.
    """
    if baseline is None:
        return None
    title_changed = _titles_differ(baseline.title, current.title)
    text_similarity = None
    if baseline.text_fingerprint and current.text_fingerprint:
        from .titles import similarity  # with lxml: not before a check's first request

        text_similarity = similarity(baseline.text_fingerprint, current.text_fingerprint)
    text_changed = text_similarity is not None and text_similarity < TEXT_DRIFT_SIMILARITY
    if not title_changed and not text_changed:
        return None
    kind = "title+text" if title_changed and text_changed else "title" if title_changed else "text"
    return Drift(
        kind=kind,
        before_title=baseline.title,
        after_title=current.title,
        similarity=text_similarity,
        since=previous.since if previous is not None else now,
    )


def drift_to_json(drift: Drift | None) -> dict[str, Any] | None:
    """The value of the report's ``drift`` field (None: not drifted)."""
    if drift is None:
        return None
    return {
        "kind": drift.kind,
        "before_title": drift.before_title,
        "after_title": drift.after_title,
        "similarity": drift.similarity,
        "since": drift.since.isoformat(),
    }


def drift_from_json(data: dict[str, Any] | None) -> Drift | None:
    """The inverse of :func:`drift_to_json`, for a drift kept as JSON in the store."""
    if data is None:
        return None
    kind = data["kind"]
    if kind not in DRIFT_KINDS:
        raise ValueError(f"unknown drift kind {kind!r} (expected one of {', '.join(DRIFT_KINDS)})")
    return Drift(
        kind=kind,
        before_title=data.get("before_title"),
        after_title=data.get("after_title"),
        similarity=data.get("similarity"),
        since=datetime.fromisoformat(data["since"]),
    )


def normalise_title(title: str) -> str:
    """The title as drift compares it: case folded, spaces collapsed, site name dropped."""
    text = " ".join(title.casefold().split())
    separators = list(_SITE_SEPARATOR.finditer(text))
    if not separators:
        return text
    return text[: separators[-1].start()].strip() or text


def _titles_differ(before: str | None, after: str | None) -> bool:
    if not before or not after:
        return False
    a, b = normalise_title(before), normalise_title(after)
    if a == b:
        return False
    import difflib  # only when titles differ: not at start-up

    return difflib.SequenceMatcher(None, a, b, autojunk=False).ratio() < TITLE_DRIFT_RATIO
