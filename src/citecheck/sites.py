"""What real sites say that HTTP does not: platform states, consent walls, parked domains.

Pure: a :class:`FetchOutcome`, what titles.py read and the generic verdict in, a
verdict out. The knowledge is data, one rule per platform behaviour
(:data:`PLATFORM_RULES`), so adding a platform is adding a reader and its rules;
the README lists every rule and the signals that were tried and rejected.

Three things are judged here, each from the served page's own state and never
from side channels (oEmbed, thumbnails, search results):

* **Platform states.** A video platform answers ``200`` for a removed video and
  says so only in the player state it embeds in the page. Each platform has a
  reader that pulls that state out cheaply (only on that platform's hosts and
  pages, a bounded slice of the body, one JSON object decoded) and rules that map
  the state to a verdict. Free text (titles of other videos, comments) is never
  read: a live video whose comments say "unavailable" stays ``ok``.
* **Consent walls.** An EU visitor's first request is sent to a cookie-consent
  interstitial (``consent.youtube.com``). That page is never judged, titled or
  fingerprinted; :func:`consent_wall` says which cookie lets the real page through,
  the checker retries once with it, and a wall that stays is ``blocked``.
* **Parked domains.** A lapsed domain bought by a parking service answers ``200``
  with "This domain may be for sale". Only strong signs count: a parking
  platform's own script or host, a ``wwN.`` redirect onto a parking page, or the
  sale phrase on a page with almost no text of its own.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from .classify import Classification
from .markers import any_of, first_marker, lowered_head, may_hold, split_as_written
from .models import FetchOutcome, PageInfo, Reason, Status
from .moves import KnownContent, judge_move
from .urlshapes import host_of, registrable_domain

#: Bytes of a platform page searched for its player state. YouTube puts the player
#: response before the page's bulk; a watch page whose state lies beyond this is
#: judged by the generic rules.
PLAYER_SCAN_BYTES = 512 * 1024
#: Bytes of a page searched for parking markers, and the most text a parking page shows.
_PARKING_SCAN_BYTES = 64 * 1024
_PARKING_MAX_TEXT = 1_200
#: Characters of a platform message (all of a player state's strings) that rules read.
_MESSAGE_CHARS = 2_000


@dataclass(frozen=True, eq=False, repr=False)  # read by the rules only
class PlatformState:
    """What a platform's page says about the item: its state code and message."""

    platform: str
    state: str
    message: str = ""


@dataclass(frozen=True, eq=False, repr=False)  # a rule: never compared
class PlatformRule:
    """One platform behaviour: a state (and a message pattern) → a verdict.

    ``signal`` says in words what the rule looks for (the README's table);
    ``message`` is matched, case-insensitively, against the state's own message.
    """

    name: str
    platform: str
    states: frozenset[str]
    status: Status
    reason: Reason | None
    detail: str
    signal: str
    message: re.Pattern[str] | None = None

    def matches(self, found: PlatformState) -> bool:
        if found.platform != self.platform:
            return False
        if self.states and found.state not in self.states:
            return False
        return self.message is None or self.message.search(found.message) is not None


@dataclass(frozen=True, eq=False, repr=False)  # a rule: never compared
class Platform:
    """Where a platform's item pages are, and how to read their state."""

    name: str
    domains: frozenset[str]  # registrable domains
    paths: re.Pattern[str]  # item pages, matched at the start of the path
    read: Callable[[bytes], PlatformState | None]


@dataclass(frozen=True)
class ConsentCookie:
    name: str
    value: str
    domain: str  # with a leading dot: sent to every host of the site


@dataclass(frozen=True)
class ConsentWall:
    """A cookie-consent interstitial in front of the cited page."""

    host: str
    cookies: tuple[ConsentCookie, ...]  # empty: no cookie known to pass it


# -- readers ------------------------------------------------------------------------------

_YT_PLAYER_MARKERS = (b"ytInitialPlayerResponse", b"embedded_player_response")
_YT_PLAYABILITY = re.compile(rb'"playabilityStatus"\s*:\s*\{')
#: Embed pages carry the player response as a JSON string inside ytcfg.
_YT_EMBEDDED = re.compile(rb'"embedded_player_response"\s*:\s*"')
_DECODER = json.JSONDecoder()


def _json_at(text: str, start: int) -> object | None:
    try:
        value, _ = _DECODER.raw_decode(text, start)
    except ValueError:
        return None
    return value


def _strings(value: object, out: list[str]) -> None:
    """Every string inside a decoded JSON value, depth first (bounded by the caller)."""
    if isinstance(value, str):
        out.append(value)
    elif isinstance(value, dict):
        for item in value.values():
            _strings(item, out)
    elif isinstance(value, list):
        for item in value:
            _strings(item, out)


def _youtube_state(body: bytes) -> PlatformState | None:
    """``playabilityStatus`` of the page's player response: its status and the text
    of its reason, subreason and messages (never the page's other text)."""
    head = body[:PLAYER_SCAN_BYTES]
    if not any(marker in head for marker in _YT_PLAYER_MARKERS):
        return None
    found = _YT_PLAYABILITY.search(head)
    if found is not None:
        text = head[found.end() - 1 :].decode("utf-8", "replace")
        status = _json_at(text, 0)
    else:
        embedded = _YT_EMBEDDED.search(head)
        if embedded is None:
            return None
        inner = _json_at(head[embedded.end() - 1 :].decode("utf-8", "replace"), 0)
        response = _json_at(inner, 0) if isinstance(inner, str) else None
        status = response.get("playabilityStatus") if isinstance(response, dict) else None
    if not isinstance(status, dict) or not isinstance(status.get("status"), str):
        return None
    texts: list[str] = []
    _strings({k: v for k, v in status.items() if k != "status"}, texts)
    return PlatformState("YouTube", status["status"], " ".join(texts)[:_MESSAGE_CHARS])


_VIMEO_PASSWORD = re.compile(rb'<form[^>]+id="pw_form"')


def _vimeo_state(body: bytes) -> PlatformState | None:
    if _VIMEO_PASSWORD.search(body[:PLAYER_SCAN_BYTES]):
        return PlatformState("Vimeo", "PASSWORD")
    return None


_TIKTOK_DETAIL = re.compile(rb'"webapp\.video-detail"\s*:\s*\{')


def _tiktok_state(body: bytes) -> PlatformState | None:
    """``statusCode`` of ``webapp.video-detail`` in ``__UNIVERSAL_DATA_FOR_REHYDRATION__``."""
    head = body[:PLAYER_SCAN_BYTES]
    if b"__UNIVERSAL_DATA_FOR_REHYDRATION__" not in head:
        return None
    found = _TIKTOK_DETAIL.search(head)
    if found is None:
        return None
    detail = _json_at(head[found.end() - 1 :].decode("utf-8", "replace"), 0)
    if not isinstance(detail, dict) or not isinstance(detail.get("statusCode"), int):
        return None
    message = detail.get("statusMsg")
    return PlatformState(
        "TikTok", str(detail["statusCode"]), message if isinstance(message, str) else ""
    )


_FACEBOOK_UNAVAILABLE = re.compile(
    rb"<(?:h1|h2|title)[^>]*>\s*This (?:content|page) isn(?:'|&#039;|&#x27;|\xe2\x80\x99)t "
    rb"available(?: right now| at the moment)?\s*<",
    re.IGNORECASE,
)


def _facebook_state(body: bytes) -> PlatformState | None:
    """Facebook's "This content isn't available right now" in a heading or the title
    (said for deleted *and* privacy-restricted content alike)."""
    if _FACEBOOK_UNAVAILABLE.search(body[:PLAYER_SCAN_BYTES]):
        return PlatformState("Facebook", "UNAVAILABLE")
    return None


PLATFORMS: tuple[Platform, ...] = (
    Platform(
        "YouTube",
        frozenset({"youtube.com", "youtu.be", "youtube-nocookie.com"}),
        re.compile(r"/(?:watch|shorts/|embed/|live/|v/|[A-Za-z0-9_-]{11}$)"),
        _youtube_state,
    ),
    Platform(
        "Vimeo", frozenset({"vimeo.com"}), re.compile(r"/(?:video/)?\d+|/channels/"), _vimeo_state
    ),
    Platform("TikTok", frozenset({"tiktok.com"}), re.compile(r"/@[^/]+/video/\d+"), _tiktok_state),
    Platform("Facebook", frozenset({"facebook.com", "fb.com", "fb.watch"}), re.compile(r"/."),
             _facebook_state),
)  # fmt: skip


def _rule(
    name: str,
    platform: str,
    states: str,
    status: Status,
    reason: Reason | None,
    detail: str,
    signal: str,
    message: str | None = None,
) -> PlatformRule:
    return PlatformRule(
        name, platform, frozenset(states.split()), status, reason, detail, signal,
        re.compile(message, re.IGNORECASE) if message else None,
    )  # fmt: skip


_YT_GONE = "ERROR UNPLAYABLE"
#: First match wins: specific messages before the catch-alls of each platform.
PLATFORM_RULES: tuple[PlatformRule, ...] = (
    _rule("youtube-playable", "YouTube", "OK", Status.OK, None,
          "the player says the video plays", "playabilityStatus OK"),
    _rule("youtube-live-offline", "YouTube", "LIVE_STREAM_OFFLINE", Status.OK, None,
          "a scheduled or finished live stream: the page exists",
          "playabilityStatus LIVE_STREAM_OFFLINE"),
    _rule("youtube-content-warning", "YouTube", "CONTENT_CHECK_REQUIRED", Status.OK, None,
          "the video plays after a content warning", "playabilityStatus CONTENT_CHECK_REQUIRED"),
    _rule("youtube-terminated", "YouTube", _YT_GONE, Status.BROKEN, Reason.ACCOUNT_TERMINATED,
          "the video's YouTube account has been terminated",
          "ERROR/UNPLAYABLE, reason mentions a terminated account",
          r"account\b.*\bterminated"),
    _rule("youtube-copyright", "YouTube", _YT_GONE, Status.BROKEN, Reason.COPYRIGHT_CLAIM,
          "the video was taken down after a copyright claim",
          "ERROR/UNPLAYABLE, reason mentions a copyright claim", r"copyright"),
    _rule("youtube-removed-rules", "YouTube", _YT_GONE, Status.BROKEN, Reason.CONTENT_REMOVED,
          "YouTube removed the video for breaking its rules",
          "ERROR/UNPLAYABLE, reason: Terms of Service / Community Guidelines",
          r"terms of service|community guidelines|violating"),
    _rule("youtube-removed-by-uploader", "YouTube", _YT_GONE, Status.BROKEN,
          Reason.CONTENT_REMOVED, "the uploader removed the video",
          "ERROR/UNPLAYABLE, reason: removed by the uploader", r"removed by the uploader"),
    _rule("youtube-private", "YouTube", "LOGIN_REQUIRED ERROR UNPLAYABLE", Status.BLOCKED,
          Reason.PRIVATE_CONTENT, "the video is private", 'reason "This video is private"',
          r"\bprivate\b"),
    _rule("youtube-bot-check", "YouTube", "LOGIN_REQUIRED", Status.BLOCKED,
          Reason.BOT_PROTECTION, "YouTube asks to sign in to prove this is not a bot",
          'LOGIN_REQUIRED, "Sign in to confirm you\'re not a bot"', r"not a bot"),
    _rule("youtube-age", "YouTube", "LOGIN_REQUIRED AGE_VERIFICATION_REQUIRED AGE_CHECK_REQUIRED "
          "UNPLAYABLE", Status.BLOCKED, Reason.AGE_RESTRICTED,
          "the video is age-restricted: it plays only for signed-in adults",
          "LOGIN_REQUIRED/AGE_*, reason: confirm your age",
          r"confirm your age|age[- ]restricted|inappropriate for some users|age verification"),
    _rule("youtube-members-only", "YouTube", "LOGIN_REQUIRED UNPLAYABLE ERROR", Status.BLOCKED,
          Reason.CONTENT_RESTRICTED, "the video is for the channel's members only",
          "reason: members-only / join this channel", r"members[- ]only|join this channel"),
    _rule("youtube-region", "YouTube", "UNPLAYABLE", Status.BLOCKED, Reason.CONTENT_RESTRICTED,
          "the video is not available in the checker's country",
          "UNPLAYABLE, reason: not available in your country", r"in your country"),
    _rule("youtube-embedding-off", "YouTube", "UNPLAYABLE", Status.OK, None,
          "the video exists; only playing it on other websites is switched off",
          "UNPLAYABLE on an embed page, reason: playback on other websites disabled",
          r"other websites|embedding"),
    _rule("youtube-sign-in", "YouTube", "LOGIN_REQUIRED", Status.BLOCKED, Reason.LOGIN_REQUIRED,
          "the video plays only for signed-in viewers", "playabilityStatus LOGIN_REQUIRED"),
    _rule("youtube-unavailable", "YouTube", "ERROR", Status.BROKEN, Reason.CONTENT_REMOVED,
          "the player says the video is unavailable (removed, or no such video)",
          'playabilityStatus ERROR, any other reason ("Video unavailable")'),
    _rule("youtube-unplayable", "YouTube", "", Status.BLOCKED, Reason.CONTENT_RESTRICTED,
          "the player does not play the video for the checker (state not known to citecheck)",
          "any other playabilityStatus"),
    _rule("vimeo-password", "Vimeo", "PASSWORD", Status.BLOCKED, Reason.PRIVATE_CONTENT,
          "the video is password-protected", 'the password form (<form id="pw_form">)'),
    _rule("tiktok-playable", "TikTok", "0", Status.OK, None, "TikTok serves the video",
          "webapp.video-detail statusCode 0"),
    _rule("tiktok-private", "TikTok", "10216", Status.BLOCKED, Reason.PRIVATE_CONTENT,
          "TikTok says the video is private", "webapp.video-detail statusCode 10216"),
    _rule("tiktok-unavailable", "TikTok", "", Status.BLOCKED, Reason.CONTENT_RESTRICTED,
          "TikTok does not serve the video (its status code's meaning is not documented)",
          "webapp.video-detail, any other statusCode"),
    _rule("facebook-unavailable", "Facebook", "UNAVAILABLE", Status.BLOCKED,
          Reason.PRIVATE_CONTENT,
          "Facebook says the content isn't available: deleted or restricted by its owner",
          "heading \"This content isn't available right now\""),
)  # fmt: skip


def platform_of(url: str) -> Platform | None:
    """The platform whose item page ``url`` is, or None."""
    if not may_hold(url, _PLATFORM_DOMAIN_NAMES):
        return None  # no platform's domain in the URL: not split at all
    host = host_of(url)
    if not host or registrable_domain(host) not in _PLATFORM_DOMAINS:
        return None
    platform = _PLATFORM_DOMAINS[registrable_domain(host)]
    return platform if platform.paths.match(urlsplit(url).path or "/") else None


_PLATFORM_DOMAINS = {domain: p for p in PLATFORMS for domain in p.domains}
_PLATFORM_DOMAIN_NAMES = tuple(sorted(_PLATFORM_DOMAINS))


def platform_verdict(outcome: FetchOutcome) -> Classification | None:
    """The verdict of the first platform rule that matches the page's state, or None
    when the page is no platform's item page or carries no state."""
    platform = platform_of(outcome.final_url)
    if platform is None:
        return None
    found = platform.read(outcome.body)
    if found is None:
        return None
    rule = next((r for r in PLATFORM_RULES if r.matches(found)), None)
    if rule is None:
        return None
    shown = f": {found.message[:120]!r}" if found.message else ""
    return Classification(
        rule.status,
        rule.reason,
        f"{rule.detail} ({rule.platform} state {found.state}{shown}; rule {rule.name})",
    )


# -- consent walls ------------------------------------------------------------------------

#: Google's and YouTube's interstitial accepts SOCS=CAI ("accept all"), as yt-dlp
#: sets it (yt_dlp/extractor/youtube: _initialize_consent).
_GOOGLE_CONSENT = ("SOCS", "CAI")
#: Hosts of consent interstitials: a host, or a name every label of which but the
#: last (the country) must match ("consent.google." matches consent.google.de).
_CONSENT_HOSTS = ("consent.youtube.com", "consent.google.", "guce.yahoo.com",
                  "consent.yahoo.com", "guce.oath.com", "myprivacy.dpgmedia.",
                  "cmp.dpgmedia.")  # fmt: skip
_CONSENT_HOST_PREFIXES = tuple(h for h in _CONSENT_HOSTS if h.endswith("."))
_COOKIE_FOR = {"consent.youtube.com": _GOOGLE_CONSENT, "consent.google.": _GOOGLE_CONSENT}
#: What every consent host's name starts with.
_CONSENT_HOST_STARTS = tuple(sorted({h.split(".", 1)[0] + "." for h in _CONSENT_HOSTS}))


def consent_wall(outcome: FetchOutcome) -> ConsentWall | None:
    """The consent interstitial ``outcome`` ended on, or None.

    The cookie is set for the site that sent the visitor to the wall (the host
    before the last hop), so the retried request carries it from its first hop.
    """
    url = outcome.final_url
    if not may_hold(url, _CONSENT_HOST_STARTS):
        return None  # the URL does not even hold a consent host's name: not split at all
    host = host_of(url).lower()
    if host not in _CONSENT_HOSTS and not host.startswith(_CONSENT_HOST_PREFIXES):
        return None  # (every pattern matches only its host, or names that start with it)
    matched = next((h for h in _CONSENT_HOSTS if _host_matches(host, h)), None)
    if matched is None:
        return None
    cookie = _COOKIE_FOR.get(matched)
    if cookie is None:
        return ConsentWall(host, ())
    origins = [host_of(hop.url) for hop in outcome.hops]
    origins = [h for h in origins if h and not _host_matches(h.lower(), matched)]
    site = registrable_domain(origins[-1] if origins else host_of(outcome.url))
    return ConsentWall(host, (ConsentCookie(cookie[0], cookie[1], "." + site),))


def _host_matches(host: str, pattern: str) -> bool:
    if pattern.endswith("."):
        return host.startswith(pattern) and "." not in host[len(pattern) :].replace("co.", "", 1)
    return host == pattern


def consent_verdict(wall: ConsentWall, *, retried: bool) -> Classification:
    how = (
        "it stayed after retrying with the consent cookie it accepts"
        if retried
        else "no consent cookie is known to pass it"
    )
    return Classification(
        Status.BLOCKED,
        Reason.CONSENT_WALL,
        f"a cookie-consent wall ({wall.host}) stands in front of the page; {how} "
        "(rule consent-wall)",
    )


# -- the whole judgement -----------------------------------------------------------------

#: Reasons under which the page fetched is not the cited page: it is never titled
#: or fingerprinted, so it cannot become the link's title or drift baseline.
FOREIGN_PAGE_REASONS = frozenset(
    {Reason.CONSENT_WALL, Reason.PARKED_DOMAIN, Reason.SOFT_404, Reason.REDIRECT_UNVERIFIED}
)


def site_verdict(
    outcome: FetchOutcome,
    page: PageInfo,
    generic: Classification,
    known: Callable[[], KnownContent],
) -> Classification:
    """The verdict once what real sites do is taken into account.

    Only 2xx answers are looked at: a platform's own state first, then parking,
    then where a redirect landed (moves.py). Anything else keeps ``generic``.
    """
    code = outcome.status_code
    if outcome.error is not None or code is None or not 200 <= code < 300:
        return generic
    platform = platform_verdict(outcome)
    if platform is not None:
        return platform
    parked = parked_verdict(outcome, page)
    if parked is not None:
        return parked
    return judge_move(outcome, page, generic, known)


# -- parked domains -----------------------------------------------------------------------

#: Markers of the parking platforms' own pages and scripts (lower-case bytes). Each
#: names a parking or domain-sale service; a page citing one would be a page about
#: parking, which is why a marker also needs the page to show almost no text.
PARKING_MARKERS: tuple[bytes, ...] = (
    b"sedoparking.com", b"img.sedoparking.com", b"parkingcrew.net", b"bodis.com/",
    b"window.park = ", b"dan.com/buy-domain", b"afternic.com/forsale", b"above.com/marketplace",
    b"parking.reg.ru", b"parklogic.com", b"domainparking", b"park.above.com",
    b"hugedomains.com/domain_profile", b"godaddy.com/forsale", b"cashparking",
)  # fmt: skip
_ANY_PARKING_MARKER = any_of(PARKING_MARKERS)
#: What parking pages say (lower-case text).
PARKING_PHRASES = re.compile(
    r"this domain (?:name )?(?:may be|is) for sale|the domain (?:name )?\S+ (?:may be|is) for sale"
    r"|buy this domain|this domain (?:is|has been) parked|parked free,? courtesy of"
    r"|domain is available for purchase|inquire about this domain"
    r"|this web ?page is parked|diese domain (?:steht|kann) .{0,20}zum verkauf"
)
#: Hosts that sell domains: a cited domain redirected to one of them is parked.
PARKING_HOSTS = frozenset(
    {"sedo.com", "dan.com", "afternic.com", "hugedomains.com", "above.com", "bodis.com",
     "parkingcrew.net", "sedoparking.com", "undeveloped.com", "domainmarket.com", "atom.com"}
)  # fmt: skip
#: Parking services put the page on a numbered ``wwN.`` host of the lapsed domain.
_WW_HOST = re.compile(r"ww\d+\.")


def parked_verdict(outcome: FetchOutcome, page: PageInfo) -> Classification | None:
    """``broken``/``parked_domain`` when a parking service serves the page, else None."""
    final_host = ""  # needed after a redirect only: an answer at the cited URL is not split
    if outcome.hops or outcome.final_url != outcome.url or not split_as_written(outcome.url):
        final_host = host_of(outcome.final_url).lower()
        cited_host = host_of(outcome.url).lower()
        moved_site = registrable_domain(final_host) != registrable_domain(cited_host)
        if moved_site and registrable_domain(final_host) in PARKING_HOSTS:
            return _parked(f"redirected to the domain seller {final_host}", "parking-sale-redirect")
    text = (page.text_sample or "").lower()
    little_text = len(text) <= _PARKING_MAX_TEXT
    ww_redirect = bool(outcome.hops) and _WW_HOST.match(final_host) is not None
    if not outcome.body or not (little_text or ww_redirect):
        return None  # an article: not searched at all, so the rules cost it nothing
    lowered = lowered_head(outcome.body, _PARKING_SCAN_BYTES)  # (classify lowered it)
    marker = first_marker(lowered, PARKING_MARKERS, _ANY_PARKING_MARKER)
    phrase = PARKING_PHRASES.search(text) or PARKING_PHRASES.search((page.title or "").lower())
    if ww_redirect and (marker or phrase):
        sign = marker.decode() if marker else phrase.group() if phrase else ""
        return _parked(f"redirected to the parking host {final_host} ({sign!r})", "parking-ww")
    if not little_text:
        return None
    if marker is not None:
        return _parked(f"the page loads a parking service ({marker.decode()!r})", "parking-script")
    if phrase is not None:
        return _parked(f"the page says {phrase.group()!r} and little else", "parking-phrase")
    return None


def _parked(sign: str, rule: str) -> Classification:
    return Classification(
        Status.BROKEN,
        Reason.PARKED_DOMAIN,
        f"the domain is parked: {sign} (rule {rule})",
    )
