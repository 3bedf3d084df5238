"""Where a redirect lands: the cited content, a landing page, or a page not shown to be either.

Pure. A site that removes an article often redirects its URL to the section front
("/business/tech", "Tech News - CNN") with a 301 that HTTP calls a move. Following
it would put a section front into a campaign's document, so a redirect is judged
by what it lands on:

* **same content** (rule ``moved-same-*``): the new page has the cited or the
  remembered title (or a near one), the remembered text fingerprint, or the new URL
  is the old one respelled (https, ``www.``, a trailing slash, the same slug).
  A permanent move stays ``redirected``/``permanent_redirect``: ``fix --redirects``
  may follow it.
* **landing page** (rule ``landing-*``): a deep link sent to a shallower page of
  the same site whose title matches none of the known titles, or to a search or
  category page, or to one page that several cited URLs of the host are sent to
  (:class:`~citecheck.landings.SharedTargets`): ``broken``/``soft_404``.
* otherwise a permanent move is ``redirected``/``redirect_unverified``: reported,
  never written into a document; a temporary one stays ``ok``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from urllib.parse import parse_qsl, urlsplit

from .classify import Classification
from .models import CheckResult, FetchOutcome, PageInfo, Reason, Status
from .urlshapes import is_deep_link, same_site

#: Similarity (1 - hamming/64 of the simhashes) above which a text is the same text.
SAME_TEXT_SIMILARITY = 0.85
#: Share of title words two titles must have in common to be near.
NEAR_TITLE_OVERLAP = 0.6
LANDING_DETAIL = "redirected to a landing page"
#: How a detail names a same-content rule (a temporary move has no reason to say so).
_VERIFIED_RULE = "(rule moved-same-"

_TITLE_SPLIT = re.compile(r"\s+[-|–—:·•»]\s+")
_WORD = re.compile(r"\w+")
#: First segments of short paths that list content rather than hold it (/tag/privacy).
_LANDING_SEGMENTS = frozenset(
    {"search", "category", "categories", "tag", "tags", "topic", "topics", "section", "sections"}
)
#: Words a cited or remembered title needs to tell a page from another: link texts
#: such as "here", "source" or "CNN" prove nothing either way.
TELLING_TITLE_WORDS = 3
_SEARCH_PARAMS = frozenset({"q", "s", "query", "search", "keywords", "term"})
_SLUG = re.compile(r"[a-z0-9]+(?:[-_][a-z0-9]+){2,}|\d{5,}", re.IGNORECASE)


@dataclass(frozen=True)
class KnownContent:
    """What citecheck knows the cited page to be: the titles it is cited with and
    was seen with, and the text fingerprint it was first seen with."""

    titles: tuple[str, ...] = ()
    fingerprint: str | None = None


def judge_move(
    outcome: FetchOutcome,
    page: PageInfo,
    generic: Classification,
    known: Callable[[], KnownContent],
) -> Classification:
    """Refine a successful verdict on a redirected fetch (others are returned as they
    are). ``known`` is only called for a redirect, so the store is asked only then."""
    if not outcome.hops or not generic.status.is_success:
        return generic
    if _strip(outcome.final_url) == _strip(outcome.url):
        return generic
    content = known()
    same = same_content(outcome.url, outcome.final_url, page, content)
    if same is not None:
        return _moved(outcome, generic, f"the new page is the cited one: {same}", verified=True)
    landing = landing_sign(outcome.url, outcome.final_url, page, content)
    if landing is not None:
        return landing_verdict(outcome.final_url, landing)
    return _moved(outcome, generic, "", verified=False)


def same_content(cited: str, final: str, page: PageInfo, known: KnownContent) -> str | None:
    """How the page at ``final`` is shown to be the cited content, or None."""
    title = page.title or page.headline
    for known_title in known.titles:
        if title and near_titles(title, known_title):
            return f"its title {title!r} matches {known_title!r} (rule moved-same-title)"
    if known.fingerprint and page.text_fingerprint:
        similarity = _similarity(known.fingerprint, page.text_fingerprint)
        if similarity is not None and similarity >= SAME_TEXT_SIMILARITY:
            return "its text is the text first seen there (rule moved-same-text)"
    respelled = _respelled(cited, final)
    if respelled is not None:
        return f"{respelled} (rule moved-same-url)"
    return None


def landing_sign(cited: str, final: str, page: PageInfo, known: KnownContent) -> str | None:
    """Why ``final`` is a landing page of ``cited``'s site rather than its content."""
    if not is_deep_link(cited) or not same_site(cited, final):
        return None
    cited_parts, final_parts = urlsplit(cited), urlsplit(final)
    final_segments = _segments(final_parts.path)
    if any(key.lower() in _SEARCH_PARAMS for key, _ in parse_qsl(final_parts.query)):
        return "a search page (rule landing-search)"
    if len(final_segments) >= len(_segments(cited_parts.path)):
        return None
    if len(final_segments) <= 2 and final_segments[0].lower() in _LANDING_SEGMENTS:
        return f"a {final_segments[0].lower()} page (rule landing-category)"
    title = page.title or page.headline
    telling = [t for t in known.titles if len(_WORD.findall(t)) >= TELLING_TITLE_WORDS]
    if telling and title:
        return f"a shallower page titled {title!r}, not the cited title (rule landing-shallower)"
    return None


def landing_verdict(final_url: str, sign: str) -> Classification:
    return Classification(
        Status.BROKEN, Reason.SOFT_404, f"{LANDING_DETAIL}: {final_url} is {sign}"
    )


def near_titles(a: str, b: str) -> bool:
    """Same title, give or take the site's name and punctuation: the same main
    (longest) part of two words or more, or most of three words or more shared. A
    site's name alone ("CNN" against "Tech News - CNN") is not a match."""
    parts_a, parts_b = _title_parts(a), _title_parts(b)
    if not parts_a or not parts_b:
        return False
    if parts_a[0] == parts_b[0] and len(parts_a[0]) >= 2:
        return True
    words_a, words_b = frozenset().union(*parts_a), frozenset().union(*parts_b)
    smaller = min(len(words_a), len(words_b))
    return smaller >= 3 and len(words_a & words_b) / smaller >= NEAR_TITLE_OVERLAP


def is_landing_candidate(result: CheckResult) -> bool:
    """A redirected success from a deep link to a shallower page of the same site whose
    content was not verified: a landing page if other cited URLs land there too."""
    if not result.status.is_success or not result.redirects or not result.final_url:
        return False
    if result.reason is Reason.PERMANENT_REDIRECT or _VERIFIED_RULE in (result.detail or ""):
        return False  # shown to be the same content
    cited, final = result.url, result.final_url
    if not is_deep_link(cited) or not same_site(cited, final) or _strip(cited) == _strip(final):
        return False
    return len(_segments(urlsplit(final).path)) < len(_segments(urlsplit(cited).path))


def as_landing(result: CheckResult, others: int) -> CheckResult:
    """``result`` judged again once ``others`` more cited URLs were seen sent to its target."""
    return replace(
        result,
        status=Status.BROKEN,
        reason=Reason.SOFT_404,
        detail=f"{LANDING_DETAIL}: {result.final_url}, where {others} other cited "
        f"URL{'s' if others != 1 else ''} of the site {'are' if others != 1 else 'is'} "
        "sent too (rule landing-shared-target)",
        title=None,
        text_fingerprint=None,
    )


def is_landing(result: CheckResult) -> bool:
    """Already judged a landing page (by its title or its path) after a redirect."""
    return (
        result.reason is Reason.SOFT_404
        and bool(result.redirects)
        and (result.detail or "").startswith(LANDING_DETAIL)
    )


def _moved(
    outcome: FetchOutcome, generic: Classification, why: str, *, verified: bool
) -> Classification:
    if generic.status is not Status.REDIRECTED:
        detail = f"{generic.detail}; {why}" if why else generic.detail
        return replace(generic, detail=detail)
    if verified:
        return replace(generic, detail=f"{generic.detail}; {why}")
    return Classification(
        Status.REDIRECTED,
        Reason.REDIRECT_UNVERIFIED,
        f"{generic.detail}; the new page is not shown to be the cited content (no known "
        "title or text matches), so fix leaves it (rule moved-unverified)",
    )


def _respelled(cited: str, final: str) -> str | None:
    a, b = urlsplit(cited), urlsplit(final)
    host_a = (a.hostname or "").lower().removeprefix("www.")
    host_b = (b.hostname or "").lower().removeprefix("www.")
    path_a = _normal_path(a.path)
    path_b = _normal_path(b.path)
    if host_a == host_b and path_a == path_b and a.query == b.query:
        return "the same address respelled (scheme, www. or a trailing slash)"
    slug_a, slug_b = _last_segment(path_a), _last_segment(path_b)
    if slug_a and slug_a == slug_b and _SLUG.fullmatch(slug_a) and same_site(cited, final):
        return f"the same article slug {slug_a!r} under a new path"
    return None


def _normal_path(path: str) -> str:
    path = re.sub(r"/(?:index|default)\.(?:html?|php|aspx?)$", "/", path or "/")
    return path.rstrip("/").lower() or "/"


def _last_segment(path: str) -> str:
    last = path.rsplit("/", 1)[-1]
    return re.sub(r"\.(?:html?|php|aspx?)$", "", last)


def _segments(path: str) -> list[str]:
    return [segment for segment in path.split("/") if segment]


def _title_parts(title: str) -> list[frozenset[str]]:
    """The word sets of a title's parts ("Tech News - CNN" → {tech, news}, {cnn}),
    longest part first; empty parts dropped."""
    parts = [
        frozenset(word.casefold() for word in _WORD.findall(part))
        for part in _TITLE_SPLIT.split(title.strip())
    ]
    return sorted((p for p in parts if p), key=len, reverse=True)


def _similarity(fp_a: str, fp_b: str) -> float | None:
    try:
        return 1 - (int(fp_a, 16) ^ int(fp_b, 16)).bit_count() / 64
    except ValueError:
        return None


def _strip(url: str) -> str:
    return url.split("#", 1)[0]
