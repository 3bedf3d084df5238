"""Giving title-only citations the URL of a source whose title matches."""

from __future__ import annotations

import dataclasses
import difflib
import re
import unicodedata
from collections.abc import Iterable, Mapping

from ..models import Citation
from ..urls import InvalidURLError, normalize_url

#: difflib ratio above which two normalised titles are the same title.
MIN_TITLE_RATIO = 0.9
#: A title contained in another only counts when it has this many words: "The
#: report" is inside too many titles to mean anything.
MIN_CONTAINED_WORDS = 4

_NOT_WORD = re.compile(r"[\W_]+")


def normalise_title(title: str) -> str:
    """Casefolded, NFKC, quotes and punctuation removed, spaces collapsed."""
    text = unicodedata.normalize("NFKC", title).casefold()
    return " ".join(_NOT_WORD.sub(" ", text).split())


def _url_key(url: str) -> str:
    try:
        return normalize_url(url)
    except InvalidURLError:
        return url.strip()


def _similar(wanted: str, known: str) -> bool:
    shorter, longer = sorted((wanted, known), key=len)
    if len(shorter.split()) >= MIN_CONTAINED_WORDS and f" {shorter} " in f" {longer} ":
        return True
    # 2*min/(a+b) bounds the ratio: skip the quadratic comparison when it cannot pass.
    if 2 * len(shorter) < MIN_TITLE_RATIO * (len(shorter) + len(longer)):
        return False
    matcher = difflib.SequenceMatcher(None, wanted, known, autojunk=False)
    return matcher.quick_ratio() >= MIN_TITLE_RATIO and matcher.ratio() >= MIN_TITLE_RATIO


def _match(wanted: str, known: list[tuple[str, str]]) -> str | None:
    """The one URL whose title matches; None when none does or several URLs do."""
    candidates: dict[str, str] = {}
    for title, url in known:
        if title == wanted:
            candidates.setdefault(_url_key(url), url)
    if not candidates:
        for title, url in known:
            if _similar(wanted, title):
                candidates.setdefault(_url_key(url), url)
    if len(candidates) != 1:
        return None
    return next(iter(candidates.values()))


def match_titles(
    unresolved: Iterable[Citation], known: Mapping[str, str]
) -> tuple[list[Citation], list[Citation]]:
    """Resolve title-only citations against ``known`` (title → URL).

    A match is an equal title after normalisation, a difflib ratio of at least
    0.9, or one title containing the other (the shorter of at least four words).
    Two different URLs matching is ambiguous: the citation stays unresolved, since
    a wrong URL would be worse than none. Returns (matched, still unresolved).
    """
    titles = [(normalise_title(title), url) for title, url in known.items() if title and url]
    titles = [(title, url) for title, url in titles if title]
    matched: list[Citation] = []
    still: list[Citation] = []
    for citation in unresolved:
        wanted = normalise_title(citation.title) if citation.title else ""
        url = _match(wanted, titles) if wanted else None
        if url is None:
            still.append(citation)
        else:
            matched.append(dataclasses.replace(citation, url=url))
    return matched, still
