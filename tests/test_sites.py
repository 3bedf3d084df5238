import json

import pytest

from citecheck.classify import Classification
from citecheck.models import FetchOutcome, Hop, PageInfo, Reason, Status
from citecheck.moves import KnownContent
from citecheck.sites import (
    PLATFORM_RULES,
    PLAYER_SCAN_BYTES,
    consent_verdict,
    consent_wall,
    parked_verdict,
    platform_of,
    platform_verdict,
    site_verdict,
)

HTML = {"content-type": "text/html; charset=utf-8"}
WATCH = "https://www.youtube.com/watch?v=u30vRl70tgM"
OK = Classification(Status.OK, None, "200 OK")


def _player(status: str, reason: str = "", subreason: str = "") -> dict:
    playability: dict = {"status": status}
    if reason:
        playability["reason"] = reason
        screen: dict = {"reason": {"simpleText": reason}}
        if subreason:
            screen["subreason"] = {"runs": [{"text": subreason}]}
        playability["errorScreen"] = {"playerErrorMessageRenderer": screen}
    return {"responseContext": {}, "playabilityStatus": playability}


def _watch_page(player: dict, extra: str = "") -> bytes:
    return (
        f"<html><head><title>x - YouTube</title></head><body><script>var "
        f"ytInitialPlayerResponse = {json.dumps(player)};</script>{extra}</body></html>"
    ).encode()


def _outcome(url: str, body: bytes, *, final_url: str | None = None, hops=()) -> FetchOutcome:
    return FetchOutcome(
        url=url, final_url=final_url or url, status_code=200, headers=HTML, body=body, hops=hops
    )


@pytest.mark.parametrize(
    ("status", "reason", "subreason", "expected", "rule"),
    [
        ("OK", "", "", (Status.OK, None), "youtube-playable"),
        ("LIVE_STREAM_OFFLINE", "This live event will begin in 3 hours.", "",
         (Status.OK, None), "youtube-live-offline"),
        ("ERROR", "Video unavailable", "This video has been removed by the uploader",
         (Status.BROKEN, Reason.CONTENT_REMOVED), "youtube-removed-by-uploader"),
        ("ERROR", "This video is no longer available because the YouTube account associated "
         "with this video has been terminated.", "",
         (Status.BROKEN, Reason.ACCOUNT_TERMINATED), "youtube-terminated"),
        ("ERROR", "Video unavailable", "This video is no longer available due to a copyright "
         "claim by Example Records", (Status.BROKEN, Reason.COPYRIGHT_CLAIM), "youtube-copyright"),
        ("ERROR", "This video has been removed for violating YouTube's Terms of Service", "",
         (Status.BROKEN, Reason.CONTENT_REMOVED), "youtube-removed-rules"),
        ("ERROR", "Video unavailable", "", (Status.BROKEN, Reason.CONTENT_REMOVED),
         "youtube-unavailable"),
        ("LOGIN_REQUIRED", "Private video", "Sign in if you've been granted access",
         (Status.BLOCKED, Reason.PRIVATE_CONTENT), "youtube-private"),
        ("LOGIN_REQUIRED", "Sign in to confirm your age", "",
         (Status.BLOCKED, Reason.AGE_RESTRICTED), "youtube-age"),
        ("LOGIN_REQUIRED", "Sign in to confirm you’re not a bot", "",
         (Status.BLOCKED, Reason.BOT_PROTECTION), "youtube-bot-check"),
        ("LOGIN_REQUIRED", "Sign in", "", (Status.BLOCKED, Reason.LOGIN_REQUIRED),
         "youtube-sign-in"),
        ("UNPLAYABLE", "Join this channel to get access to members-only content", "",
         (Status.BLOCKED, Reason.CONTENT_RESTRICTED), "youtube-members-only"),
        ("UNPLAYABLE", "Video unavailable", "The uploader has not made this video available in "
         "your country", (Status.BLOCKED, Reason.CONTENT_RESTRICTED), "youtube-region"),
        ("UNPLAYABLE", "Video unavailable", "Playback on other websites has been disabled by "
         "the video owner", (Status.OK, None), "youtube-embedding-off"),
        ("UNPLAYABLE", "Something new", "", (Status.BLOCKED, Reason.CONTENT_RESTRICTED),
         "youtube-unplayable"),
        ("SOMETHING_NEW", "", "", (Status.BLOCKED, Reason.CONTENT_RESTRICTED),
         "youtube-unplayable"),
    ],
)  # fmt: skip
def test_youtube_player_states(status, reason, subreason, expected, rule) -> None:
    verdict = platform_verdict(_outcome(WATCH, _watch_page(_player(status, reason, subreason))))
    assert verdict is not None
    assert (verdict.status, verdict.reason) == expected
    assert f"rule {rule})" in verdict.detail


@pytest.mark.parametrize(
    "url",
    [
        WATCH,
        "https://m.youtube.com/watch?v=u30vRl70tgM",
        "https://www.youtube.com/shorts/u30vRl70tgM",
        "https://www.youtube.com/live/u30vRl70tgM",
        "https://www.youtube.com/embed/u30vRl70tgM",
        "https://www.youtube-nocookie.com/embed/u30vRl70tgM",
    ],
)
def test_every_youtube_item_page_is_read(url: str) -> None:
    platform = platform_of(url)
    assert platform is not None and platform.name == "YouTube"


@pytest.mark.parametrize(
    "url",
    [
        "https://www.youtube.com/",
        "https://www.youtube.com/@campaign/videos",
        "https://www.youtube.com/results?search_query=reclaim",
        "https://news.example.org/watch?v=u30vRl70tgM",
        "https://notyoutube.com/watch?v=u30vRl70tgM",
    ],
)
def test_other_pages_are_no_platform_item(url: str) -> None:
    assert platform_of(url) is None


def test_embed_pages_carry_the_state_as_a_json_string() -> None:
    player = json.dumps(json.dumps(_player("ERROR", "Video unavailable")))
    body = f'<script>ytcfg.set({{"PLAYER_VARS":{{"embedded_player_response":{player}}}}});'
    verdict = platform_verdict(_outcome("https://www.youtube.com/embed/x", body.encode()))
    assert verdict is not None and verdict.status is Status.BROKEN


def test_comments_saying_unavailable_do_not_make_a_live_video_broken() -> None:
    comments = {"comments": [{"text": '"playabilityStatus":{"status":"ERROR"} Video unavailable'}]}
    body = _watch_page(
        _player("OK"),
        f"<script>var ytInitialData = {json.dumps(comments)};</script>"
        "<p>This video is unavailable! removed by the uploader?</p>",
    )
    verdict = platform_verdict(_outcome("https://www.youtube.com/live/abc", body))
    assert verdict is not None and (verdict.status, verdict.reason) == (Status.OK, None)


@pytest.mark.parametrize(
    "body",
    [
        b"<html><title>YouTube</title><p>Video unavailable</p></html>",  # no player state
        b"<script>var ytInitialPlayerResponse = {broken json;</script>",
        b'<script>var ytInitialPlayerResponse = {"playabilityStatus":{"status":7}};</script>',
        b"x" * PLAYER_SCAN_BYTES + _watch_page(_player("ERROR", "Video unavailable")),
    ],
)
def test_no_dependable_state_leaves_the_generic_verdict(body: bytes) -> None:
    assert platform_verdict(_outcome(WATCH, body)) is None


def test_a_page_quoting_a_player_state_off_the_platform_is_not_judged() -> None:
    body = _watch_page(_player("ERROR", "Video unavailable"))
    outcome = _outcome("https://news.example.org/2021/youtube-removals", body)
    assert site_verdict(outcome, PageInfo(title="x"), OK, KnownContent) == OK


def test_vimeo_password_tiktok_and_facebook() -> None:
    vimeo = b'<form action="/1/password" method="post" id="pw_form"><input></form>'
    assert platform_verdict(_outcome("https://vimeo.com/123456789", vimeo)).reason is (
        Reason.PRIVATE_CONTENT
    )

    def tiktok(code: int) -> bytes:
        scope = {"__DEFAULT_SCOPE__": {"webapp.video-detail": {"statusCode": code}}}
        return (
            b'<script id="__UNIVERSAL_DATA_FOR_REHYDRATION__" type="application/json">'
            + json.dumps(scope).encode()
            + b"</script>"
        )

    url = "https://www.tiktok.com/@campaign/video/7100000000000000001"
    assert platform_verdict(_outcome(url, tiktok(0))).status is Status.OK
    assert platform_verdict(_outcome(url, tiktok(10216))).reason is Reason.PRIVATE_CONTENT
    # Other codes are read differently by different tools: never "broken".
    assert platform_verdict(_outcome(url, tiktok(10204))).status is Status.BLOCKED
    facebook = b"<h2>This content isn't available right now</h2><p>When this happens...</p>"
    verdict = platform_verdict(_outcome("https://www.facebook.com/ngo/posts/1", facebook))
    assert (verdict.status, verdict.reason) == (Status.BLOCKED, Reason.PRIVATE_CONTENT)
    post = b"<h1>Our campaign</h1><p>Someone wrote: this content isn't available right now</p>"
    assert platform_verdict(_outcome("https://www.facebook.com/ngo/posts/2", post)) is None


def test_every_rule_names_itself_and_its_signal() -> None:
    names = [rule.name for rule in PLATFORM_RULES]
    assert len(names) == len(set(names))
    assert all(rule.signal and rule.detail for rule in PLATFORM_RULES)


# -- consent walls -----------------------------------------------------------------------


def test_youtube_consent_wall_gives_the_cookie_for_the_site_that_sent_there() -> None:
    wall_url = "https://consent.youtube.com/m?continue=https%3A%2F%2Fwww.youtube.com%2Fwatch"
    outcome = _outcome(
        "https://youtu.be/u30vRl70tgM",
        b"<title>Before you continue to YouTube</title>",
        final_url=wall_url,
        hops=(
            Hop("https://youtu.be/u30vRl70tgM", 303, WATCH),
            Hop(WATCH, 302, wall_url),
        ),
    )
    wall = consent_wall(outcome)
    assert wall is not None and wall.host == "consent.youtube.com"
    assert [(c.name, c.value, c.domain) for c in wall.cookies] == [("SOCS", "CAI", ".youtube.com")]


@pytest.mark.parametrize(
    ("final_url", "has_cookie"),
    [
        ("https://consent.google.com/ml?continue=https://news.google.com/x", True),
        ("https://consent.google.de/ml?continue=https://www.google.de/maps", True),
        ("https://consent.google.co.uk/ml?continue=x", True),
        ("https://guce.yahoo.com/consent?sessionId=3", False),
        ("https://myprivacy.dpgmedia.nl/consent?siteKey=x", False),
    ],
)
def test_consent_hosts(final_url: str, has_cookie: bool) -> None:
    wall = consent_wall(_outcome("https://example.org/a", b"", final_url=final_url))
    assert wall is not None and bool(wall.cookies) is has_cookie


@pytest.mark.parametrize(
    "final_url",
    ["https://consent.google.evil.example/x", "https://www.youtube.com/watch?v=x",
     "https://news.example.org/consent"],
)  # fmt: skip
def test_not_consent_walls(final_url: str) -> None:
    assert consent_wall(_outcome("https://example.org/a", b"", final_url=final_url)) is None


def test_a_wall_that_stays_is_blocked_and_says_so() -> None:
    wall = consent_wall(_outcome("https://x.org/", b"", final_url="https://consent.youtube.com/m"))
    verdict = consent_verdict(wall, retried=True)
    assert (verdict.status, verdict.reason) == (Status.BLOCKED, Reason.CONSENT_WALL)
    assert "stayed after retrying" in verdict.detail and "rule consent-wall" in verdict.detail


# -- parked domains ----------------------------------------------------------------------

LANDER = (
    b'<html><head><title>iborderctrl.no</title><script>window.park = "eyJ1";</script>'
    b"</head><body><h1>iborderctrl.no</h1><p>This domain may be for sale!</p></body></html>"
)


def test_lapsed_domain_redirected_to_a_ww1_lander_is_parked() -> None:
    outcome = _outcome(
        "https://iborderctrl.no/",
        LANDER,
        final_url="http://ww1.iborderctrl.no/",
        hops=(Hop("https://iborderctrl.no/", 302, "http://ww1.iborderctrl.no/"),),
    )
    page = PageInfo(
        title="iborderctrl.no", text_sample="iborderctrl.no This domain may be for sale!"
    )
    verdict = parked_verdict(outcome, page)
    assert (verdict.status, verdict.reason) == (Status.BROKEN, Reason.PARKED_DOMAIN)
    assert "rule parking-ww" in verdict.detail


def test_parking_script_or_phrase_on_a_page_with_little_text() -> None:
    sedo = b'<script src="https://img.sedoparking.com/jspartner/caf.js"></script>'
    page = PageInfo(title="lapsed.org", text_sample="lapsed.org Related searches")
    assert parked_verdict(_outcome("https://lapsed.org/r", sedo), page).reason is (
        Reason.PARKED_DOMAIN
    )
    phrase = PageInfo(title="x.org", text_sample="The domain x.org may be for sale. Inquire.")
    assert parked_verdict(_outcome("https://x.org/", b"<p>...</p>"), phrase) is not None


def test_redirect_to_a_domain_seller_is_parked() -> None:
    outcome = _outcome(
        "https://old-ngo.org/about",
        b"<title>old-ngo.org is for sale</title>",
        final_url="https://dan.com/buy-domain/old-ngo.org",
        hops=(Hop("https://old-ngo.org/about", 301, "https://dan.com/buy-domain/old-ngo.org"),),
    )
    assert parked_verdict(outcome, PageInfo()).reason is Reason.PARKED_DOMAIN


@pytest.mark.parametrize(
    ("body", "page"),
    [
        # an article about parking quoting the phrase and a marker, with text of its own
        (b"<p>sedoparking.com</p>", PageInfo(title="How parking scams work",
         text_sample="Campaigners keep evidence online. " * 60 + "This domain may be for sale")),
        # a page selling something else
        (b"<p>bike</p>", PageInfo(title="Cargo bike for sale",
         text_sample="Our cargo bike is for sale: buy this bike!")),
        # a short page that mentions domains
        (b"<p>domains</p>", PageInfo(title="Our domains",
         text_sample="We registered three domains for the campaign.")),
        # a hosting company's placeholder: not a parking service
        (b"<p>cpanel</p>", PageInfo(title="Welcome",
         text_sample="If you are the owner of this domain, log in to manage your site.")),
        (b"", PageInfo()),
    ],
)  # fmt: skip
def test_parking_false_positives(body: bytes, page: PageInfo) -> None:
    assert parked_verdict(_outcome("https://example.org/page", body), page) is None


def test_site_verdict_only_looks_at_2xx() -> None:
    removed = _watch_page(_player("ERROR", "Video unavailable"))
    outcome = FetchOutcome(url=WATCH, final_url=WATCH, status_code=404, headers=HTML, body=removed)
    generic = Classification(Status.BROKEN, Reason.NOT_FOUND, "404 Not Found")
    assert site_verdict(outcome, PageInfo(), generic, KnownContent) is generic


def test_known_content_is_not_asked_for_without_a_redirect() -> None:
    def never() -> KnownContent:
        raise AssertionError("the store must not be asked")

    outcome = _outcome("https://news.example.org/a/b", b"<p>hello</p>")
    assert site_verdict(outcome, PageInfo(title="A"), OK, never) == OK
