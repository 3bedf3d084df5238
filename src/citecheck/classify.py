"""Judge one fetch: a :class:`FetchOutcome` (and what titles.py read) → status.

Pure and total: plain values in, a :class:`Classification` out, never an exception.
The rules lean one way on purpose: a false "broken" costs a maintainer's trust,
a false "failing" costs one more check. So ``broken`` is kept for answers that say
so themselves (404, 410, a name that does not exist, a redirect loop) and for soft
404s proven twice over (a sibling probe *and* a not-found message); anything
ambiguous is ``failing`` (the confirmation policy decides later) or ``blocked``
(a human must look).

This module reads models only: no HTTP, no HTML parser.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from http import HTTPStatus
from urllib.parse import urlsplit, urlunsplit

from .markers import any_of, by_first_character, first_marker, lowered_head, url_parts
from .models import HTML_TYPES, FetchOutcome, PageInfo, Reason, Status
from .urlshapes import is_deep_link, is_front_page, is_sign_in, same_site

#: Similarity (1 - hamming/64 of the simhashes) above which two pages count as the same.
SAME_PAGE_SIMILARITY = 0.9
#: A 2xx page counts as a challenge interstitial on a marker only when it is this
#: small and shows this little text: an article *about* bot walls is neither.
_INTERSTITIAL_MAX_BYTES = 64 * 1024
_INTERSTITIAL_MAX_TEXT = 1_000
#: Bytes of the body searched for challenge markers.
_MARKER_SCAN_BYTES = 256 * 1024

_SKIPPED_ERRORS = frozenset(
    {Reason.UNSUPPORTED_SCHEME, Reason.UNSUPPORTED_HOST, Reason.PRIVATE_ADDRESS, Reason.EXCLUDED}
)
#: Errors that say nothing of the link, only that a human must look (never broken).
_LOOK_BY_HAND_ERRORS = frozenset({Reason.INTERNAL_ERROR})
#: Errors that are answers, not accidents: the URL cannot work as written.
_DEFINITIVE_ERRORS = frozenset({Reason.INVALID_URL, Reason.DNS_ERROR, Reason.REDIRECT_LOOP})
_ERROR_DETAILS = {
    Reason.INVALID_URL: "the URL is not valid",
    Reason.UNSUPPORTED_SCHEME: "the URL's scheme cannot be checked",
    Reason.UNSUPPORTED_HOST: "citecheck cannot fetch this host name; open it by hand",
    Reason.INTERNAL_ERROR: "citecheck failed on this link (a bug); look by hand",
    Reason.PRIVATE_ADDRESS: "the host resolves to a private address, which is excluded",
    Reason.EXCLUDED: "the URL is excluded from checking",
    Reason.DNS_ERROR: "the host name does not exist",
    Reason.DNS_TEMPORARY: "the host name could not be resolved right now",
    Reason.TIMEOUT: "the server did not answer in time",
    Reason.CONNECTION_ERROR: "the connection to the server failed",
    Reason.TLS_ERROR: "the secure (TLS) connection failed",
    Reason.PROTOCOL_ERROR: "the server sent a malformed HTTP response",
    Reason.REDIRECT_LOOP: "the redirects go round in a loop",
    Reason.TOO_MANY_REDIRECTS: "too many redirects",
}

#: Titles of challenge and block pages, compared after case-folding ("…" as "...").
_CHALLENGE_TITLES = frozenset(
    {
        "just a moment...",
        "attention required! | cloudflare",
        "ddos-guard",
        "please wait... | cloudflare",
        "access to this page has been denied",
        "access to this page has been denied.",
        "sucuri website firewall - access denied",
        "please verify you are a human",
        "one moment, please...",
    }
)
_CHALLENGE_TITLE_PREFIXES = ("checking your browser",)
#: Markers in the HTML of challenge pages (lower-case bytes).
_CHALLENGE_MARKERS = (
    b"cf-chl",
    b"challenge-platform",
    b"checking your browser",
    b"ddos-guard",
    b"_incapsula_resource",
    b"px-captcha",
    b"captcha-delivery.com",
    b"please verify you are a human",
    b"sucuri website firewall",
)
#: Akamai's block page is titled "Access Denied" and cites a reference number, written
#: with character references ("Reference&#32;&#35;18.5e6e...").
_AKAMAI_REFERENCES = (
    b"errors.edgesuite.net",
    b"errors&#46;edgesuite&#46;net",
    b"reference #",
    b"reference&#32;&#35;",
)

#: Words a "page not found" page says, in the languages citations are most often in:
#: regex alternatives, each starting with a plain character (markers.by_first_character).
_NOT_FOUND_PHRASES = (
    r"404(?!\d)(?<!\d404)",  # "404" standing alone: no digit after it or before it
    "not found", "cannot be found", "can['’]t be found", "could not be found",
    "couldn['’]t be found", "page (?:does not|doesn['’]t) exist",
    "no longer (?:available|exists)",
    "page you (?:requested|were looking for|are looking for|re looking for)",
    "nicht gefunden", "existiert nicht", "nicht mehr verfügbar", "introuvable", "n['’]existe pas",
    "no encontrad[ao]", "no existe", "non trovat[ao]", "non esiste", "niet gevonden",
    "bestaat niet", "não encontrad[ao]", "nie znaleziono", "nie istnieje", "не найден",
    "hittades inte", "ikke fundet", "ikke funnet", "ei löytynyt", "bulunamadı", "找不到",
    "不存在", "見つかりません",
)  # fmt: skip


_NOT_FOUND = re.compile(by_first_character(_NOT_FOUND_PHRASES), re.IGNORECASE)
#: Characters of the text sample searched for a not-found message: its opening.
_NOT_FOUND_TEXT_CHARS = 300


@dataclass(frozen=True)
class Classification:
    """A judgement of one fetch. ``detail`` names the rule that fired, for humans."""

    status: Status
    reason: Reason | None
    detail: str


def classify(
    outcome: FetchOutcome,
    page: PageInfo,
    *,
    sibling: tuple[FetchOutcome, PageInfo] | None = None,
    ever_ok: bool = False,
    accepted_status: frozenset[int] = frozenset(),
    unrefused: bool = False,
) -> Classification:
    """Judge one fetch of a cited URL.

    ``sibling`` is the fetch of :func:`sibling_url` (when :func:`needs_sibling_probe`
    said so) and what titles.py read from it; ``ever_ok`` says the link has worked
    before, which turns a bare 403 from "forbidden" into "bot protection".
    ``accepted_status`` are codes the user has declared fine for their links (a site
    known to answer 999 to every robot, say): they are ok, by configuration.
    ``unrefused`` says :func:`needs_sibling_probe` returned True for this very
    ``outcome`` and ``page``: it found no refusal, so none is looked for again.
    """
    if outcome.error is not None:
        return _classify_error(outcome.error, outcome.error_detail)
    code = outcome.status_code
    if code is None:
        return Classification(
            Status.FAILING, Reason.PROTOCOL_ERROR, "no response and no error were recorded"
        )
    if code in accepted_status and not 200 <= code < 300:
        return Classification(
            Status.OK, None, f"HTTP {code}, accepted by configuration (http.accepted_status)"
        )
    if 200 <= code < 300:
        return _classify_success(outcome, page, code, sibling, unrefused=unrefused)
    return _classify_failure(outcome, page, code, ever_ok=ever_ok)


def needs_sibling_probe(outcome: FetchOutcome, page: PageInfo) -> bool:
    """True when a 2xx HTML page at a deep path may be a soft 404.

    Some servers answer every path with 200 and a "not found" page. The only way to
    tell such a page from a real one that merely mentions "404" is to ask the same
    server for a path that cannot exist (:func:`sibling_url`) and compare answers.
    """
    if outcome.error is not None or outcome.status_code is None:
        return False
    if not 200 <= outcome.status_code < 300 or not _is_html(outcome, page):
        return False
    if url_parts(outcome.final_url).path in ("", "/"):
        return False
    # classify(outcome, page).status.is_success, without writing the verdict's words:
    # a 2xx answer that is not refused is ok or redirected.
    return _refusal(outcome, page, outcome.status_code) is None


def sibling_url(url: str, token: str) -> str:
    """A path beside ``url`` that no one links to: same directory, last segment
    replaced by ``token`` (keeping its extension), no query.

    ``/a/b/story.html`` → ``/a/b/<token>.html``; ``/a/b/`` → ``/a/b/<token>/``.
    The caller supplies a random ``token`` so that this function stays pure.
    """
    if not token or "/" in token or "?" in token or "#" in token:
        raise ValueError(f"the sibling token must be a plain path segment, not {token!r}")
    parts = urlsplit(url)
    path = parts.path or "/"
    if path.endswith("/"):
        new_path = f"{path}{token}/"
    else:
        directory, _, last = path.rpartition("/")
        extension = re.search(r"\.[A-Za-z0-9]{1,6}$", last)
        new_path = f"{directory}/{token}{extension.group() if extension else ''}"
    return urlunsplit((parts.scheme, parts.netloc, new_path, "", ""))


def _classify_error(error: Reason, error_detail: str | None) -> Classification:
    detail = _ERROR_DETAILS.get(error, error.value.replace("_", " "))
    if error_detail:
        detail = f"{detail}: {error_detail}"
    if error in _SKIPPED_ERRORS:
        return Classification(Status.SKIPPED, error, detail)
    if error in _DEFINITIVE_ERRORS:
        return Classification(Status.BROKEN, error, detail)
    if error in _LOOK_BY_HAND_ERRORS:
        return Classification(Status.BLOCKED, error, detail)
    return Classification(Status.FAILING, error, detail)


def _classify_success(
    outcome: FetchOutcome,
    page: PageInfo,
    code: int,
    sibling: tuple[FetchOutcome, PageInfo] | None,
    *,
    unrefused: bool,
) -> Classification:
    if not unrefused:
        refusal = _refusal(outcome, page, code)
        if refusal is not None:
            return refusal
    note = ""
    if sibling is not None:
        verdict = _sibling_verdict(outcome, page, sibling)
        if verdict is not None and verdict.status is Status.BROKEN:
            return verdict
        note = f"; {verdict.detail}" if verdict is not None else ""
    permanent = next((hop for hop in outcome.hops if hop.is_permanent), None)
    if permanent is not None and _strip_fragment(outcome.final_url) != _strip_fragment(outcome.url):
        return Classification(
            Status.REDIRECTED,
            Reason.PERMANENT_REDIRECT,
            f"permanently redirected ({permanent.status_code}) to {outcome.final_url}{note}",
        )
    if outcome.hops:
        return Classification(
            Status.OK,
            None,
            f"{_status_text(code)} after redirecting to {outcome.final_url}{note}",
        )
    return Classification(Status.OK, None, f"{_status_text(code)}{note}")


def _refusal(outcome: FetchOutcome, page: PageInfo, code: int) -> Classification | None:
    """The verdict on a 2xx answer that is not the cited page after all (a bot
    challenge, a deep link sent to the front page or a sign-in page), or None."""
    challenge = _challenge_sign(outcome, page, strong_only=True)
    if challenge:
        return Classification(
            Status.BLOCKED, Reason.BOT_PROTECTION, f"{_status_text(code)}, but {challenge}"
        )
    if outcome.hops and is_deep_link(outcome.url):
        if is_front_page(outcome.final_url) and same_site(outcome.url, outcome.final_url):
            return Classification(
                Status.BROKEN,
                Reason.SOFT_404,
                f"redirected from a deep link to the site's front page ({outcome.final_url})",
            )
        if is_sign_in(outcome.final_url, outcome.url):
            return Classification(
                Status.BLOCKED,
                Reason.LOGIN_REQUIRED,
                f"redirected from a deep link to a sign-in page ({outcome.final_url})",
            )
    return None


def _sibling_verdict(
    outcome: FetchOutcome, page: PageInfo, sibling: tuple[FetchOutcome, PageInfo]
) -> Classification | None:
    """Broken when the invented sibling gets the same page and the page says "not
    found"; an ok with a caveat when it gets the same page that says nothing."""
    sibling_outcome, sibling_page = sibling
    code = sibling_outcome.status_code
    if sibling_outcome.error is not None or code is None or not 200 <= code < 300:
        return None
    same = _same_page(outcome, page, sibling_outcome, sibling_page)
    if same is None:
        return None
    signal = _not_found_signal(page)
    if signal is None:
        return Classification(
            Status.OK,
            None,
            f"the server answers an invented sibling path with the same page ({same}), so it "
            "answers every path alike and the content could not be verified",
        )
    return Classification(
        Status.BROKEN,
        Reason.SOFT_404,
        f"the server answers an invented sibling path with the same {signal!r} page ({same})",
    )


def _same_page(
    outcome: FetchOutcome, page: PageInfo, sibling_outcome: FetchOutcome, sibling_page: PageInfo
) -> str | None:
    """How the sibling's answer matches the page's, or None when it does not.

    Text outranks titles: many sites give every page the same <title>, so when both
    texts have fingerprints, a real article and a not-found page differ by them.
    """
    if _strip_fragment(outcome.final_url) == _strip_fragment(sibling_outcome.final_url):
        return "redirected to the same URL"
    if page.text_fingerprint and sibling_page.text_fingerprint:
        similarity = _fingerprint_similarity(page.text_fingerprint, sibling_page.text_fingerprint)
        if similarity is not None:
            return "same text" if similarity >= SAME_PAGE_SIMILARITY else None
    if page.title and sibling_page.title and page.title.casefold() == sibling_page.title.casefold():
        return "same title"
    return None


def _fingerprint_similarity(fp_a: str, fp_b: str) -> float | None:
    """titles.similarity, restated so that this module stays free of the HTML parser."""
    try:
        return 1 - (int(fp_a, 16) ^ int(fp_b, 16)).bit_count() / 64
    except ValueError:
        return None


def _not_found_signal(page: PageInfo) -> str | None:
    """The title, headline or opening text that says the page is missing."""
    opening = (page.text_sample or "")[:_NOT_FOUND_TEXT_CHARS]
    for text in (page.title, page.headline, opening):
        if text and _NOT_FOUND.search(text):
            return text if len(text) <= 80 else text[:77] + "..."
    return None


def _classify_failure(
    outcome: FetchOutcome, page: PageInfo, code: int, *, ever_ok: bool
) -> Classification:
    text = _status_text(code)
    if code == 304:
        return Classification(Status.OK, None, f"{text}: unchanged since the last check")
    if code == 401:
        return Classification(Status.BLOCKED, Reason.UNAUTHORIZED, f"{text}: a login is required")
    if code == 429:
        return Classification(
            Status.BLOCKED, Reason.RATE_LIMITED, f"{text}: the server limits automated requests"
        )
    if code == 999:
        return Classification(
            Status.BLOCKED,
            Reason.BOT_PROTECTION,
            "999: a non-standard refusal of automated requests (LinkedIn and others)",
        )
    lenient = code == 403 or 500 <= code < 600
    challenge = _challenge_sign(outcome, page, strong_only=not lenient)
    if challenge:
        return Classification(Status.BLOCKED, Reason.BOT_PROTECTION, f"{text}: {challenge}")
    if code == 403:
        if ever_ok:
            return Classification(
                Status.BLOCKED,
                Reason.BOT_PROTECTION,
                f"{text} on a page that worked before: most likely a bot wall",
            )
        return Classification(Status.BLOCKED, Reason.FORBIDDEN, text)
    if code == 404:
        return Classification(Status.BROKEN, Reason.NOT_FOUND, text)
    if code == 410:
        return Classification(Status.BROKEN, Reason.GONE, text)
    if code == 408:
        return Classification(Status.FAILING, Reason.TIMEOUT, text)
    if 500 <= code < 600:
        return Classification(Status.FAILING, Reason.SERVER_ERROR, text)
    if 300 <= code < 400:
        text = f"{text} without a usable Location"
    return Classification(Status.FAILING, Reason.HTTP_ERROR, text)


@functools.lru_cache(maxsize=1024)  # said of every answer; few codes ever seen
def _status_text(code: int) -> str:
    try:
        return f"{code} {HTTPStatus(code).phrase}"
    except ValueError:
        return f"HTTP status {code}"


def _challenge_sign(outcome: FetchOutcome, page: PageInfo, *, strong_only: bool) -> str | None:
    """What marks the response as a bot challenge or block page, or None.

    Strong signs (the ``cf-mitigated`` header, a challenge page's exact title, a
    marker on a small page with little text) are trusted on any status; a marker
    anywhere in the body only where the status already refuses (403, 5xx).
    """
    if outcome.headers.get("cf-mitigated", "").strip().lower() == "challenge":
        return "Cloudflare presented a challenge (cf-mitigated: challenge)"
    title = (page.title or "").casefold().replace("…", "...")
    if title in _CHALLENGE_TITLES or title.startswith(_CHALLENGE_TITLE_PREFIXES):
        return f"the page is a bot challenge ({page.title!r})"
    scanned = lowered_head(outcome.body, _MARKER_SCAN_BYTES)
    marker = first_marker(scanned, _CHALLENGE_MARKERS, _ANY_CHALLENGE_MARKER)
    if marker is None and title == "access denied":
        marker = next(filter(scanned.__contains__, _AKAMAI_REFERENCES), None)
    if marker is None:
        return None
    interstitial = (
        not outcome.body_truncated
        and len(outcome.body) <= _INTERSTITIAL_MAX_BYTES
        and len(page.text_sample or "") <= _INTERSTITIAL_MAX_TEXT
    )
    if strong_only and not interstitial:
        return None
    return f"the page carries a bot-challenge marker ({marker.decode('ascii')!r})"


_ANY_CHALLENGE_MARKER = any_of(_CHALLENGE_MARKERS)


def _is_html(outcome: FetchOutcome, page: PageInfo) -> bool:
    content_type = outcome.content_type
    if content_type in HTML_TYPES:
        return True
    untyped = content_type is None or content_type == "application/octet-stream"
    return untyped and page.page_count is None and (page.title or page.text_sample) is not None


def _strip_fragment(url: str) -> str:
    return url.split("#", 1)[0]
