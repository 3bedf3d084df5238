import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from citecheck.classify import Classification, classify, needs_sibling_probe, sibling_url
from citecheck.models import FetchOutcome, Hop, PageInfo, Reason, Status

HTML = {"content-type": "text/html; charset=utf-8"}
DEEP = "https://news.example.org/2019/05/river-report.html"
TOKEN = "cc-3f9a1b7e"

ARTICLE = PageInfo(
    title="River report: nitrates fall",
    headline="Nitrates fall for a third year",
    text_sample="The committee published its annual report on river water quality...",
    text_fingerprint="0123456789abcdef",
)
NOT_FOUND_PAGE = PageInfo(
    title="Page not found | Example News",
    headline="Sorry, we can't find that page",
    text_sample="Sorry, we can't find that page. Try the search box above.",
    text_fingerprint="f0f0f0f0f0f0f0f0",
)
SPA_SHELL = PageInfo(title="Example App", text_sample="Loading…")


def _ok(url: str = DEEP, **fields) -> FetchOutcome:
    fields.setdefault("status_code", 200)
    fields.setdefault("headers", HTML)
    fields.setdefault("final_url", url)
    return FetchOutcome(url=url, **fields)


def _redirected(url: str, final_url: str, *codes: int, status_code: int = 200) -> FetchOutcome:
    """A fetch of ``url`` that went through redirects answering ``codes``."""
    hops = tuple(Hop(url=url, status_code=code, location=final_url) for code in codes)
    return _ok(url, final_url=final_url, hops=hops, status_code=status_code)


def _sibling(page: PageInfo, status_code: int = 200, final_url: str | None = None):
    url = sibling_url(DEEP, TOKEN)
    return _ok(url, status_code=status_code, final_url=final_url or url), page


def _status(code: int, body: bytes = b"", **fields) -> FetchOutcome:
    return _ok(status_code=code, body=body, **fields)


# --- no response -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (Reason.INVALID_URL, Status.BROKEN),
        (Reason.UNSUPPORTED_SCHEME, Status.SKIPPED),
        (Reason.PRIVATE_ADDRESS, Status.SKIPPED),
        (Reason.EXCLUDED, Status.SKIPPED),
        (Reason.DNS_ERROR, Status.BROKEN),
        (Reason.REDIRECT_LOOP, Status.BROKEN),
        (Reason.TIMEOUT, Status.FAILING),
        (Reason.DNS_TEMPORARY, Status.FAILING),
        (Reason.CONNECTION_ERROR, Status.FAILING),
        (Reason.TLS_ERROR, Status.FAILING),
        (Reason.PROTOCOL_ERROR, Status.FAILING),
        (Reason.TOO_MANY_REDIRECTS, Status.FAILING),
    ],
)
def test_errors_without_a_response(error, status):
    outcome = FetchOutcome(url=DEEP, final_url=DEEP, error=error, error_detail="details here")
    result = classify(outcome, PageInfo())
    assert result.status is status
    assert result.reason is error
    assert result.detail.endswith(": details here")


def test_dns_error_detail_is_a_sentence():
    outcome = FetchOutcome(url=DEEP, final_url=DEEP, error=Reason.DNS_ERROR)
    assert classify(outcome, PageInfo()).detail == "the host name does not exist"


def test_no_status_and_no_error_is_failing_not_broken():
    result = classify(FetchOutcome(url=DEEP, final_url=DEEP), PageInfo())
    assert result == Classification(
        Status.FAILING, Reason.PROTOCOL_ERROR, "no response and no error were recorded"
    )


# --- status codes ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "status", "reason", "detail"),
    [
        (404, Status.BROKEN, Reason.NOT_FOUND, "404 Not Found"),
        (410, Status.BROKEN, Reason.GONE, "410 Gone"),
        (401, Status.BLOCKED, Reason.UNAUTHORIZED, "401 Unauthorized: a login is required"),
        (403, Status.BLOCKED, Reason.FORBIDDEN, "403 Forbidden"),
        (429, Status.BLOCKED, Reason.RATE_LIMITED, None),
        (999, Status.BLOCKED, Reason.BOT_PROTECTION, None),
        (408, Status.FAILING, Reason.TIMEOUT, "408 Request Timeout"),
        (400, Status.FAILING, Reason.HTTP_ERROR, "400 Bad Request"),
        (405, Status.FAILING, Reason.HTTP_ERROR, "405 Method Not Allowed"),
        (406, Status.FAILING, Reason.HTTP_ERROR, "406 Not Acceptable"),
        (451, Status.FAILING, Reason.HTTP_ERROR, "451 Unavailable For Legal Reasons"),
        (499, Status.FAILING, Reason.HTTP_ERROR, "HTTP status 499"),
        (500, Status.FAILING, Reason.SERVER_ERROR, "500 Internal Server Error"),
        (502, Status.FAILING, Reason.SERVER_ERROR, "502 Bad Gateway"),
        (503, Status.FAILING, Reason.SERVER_ERROR, "503 Service Unavailable"),
        (100, Status.FAILING, Reason.HTTP_ERROR, "100 Continue"),
        (302, Status.FAILING, Reason.HTTP_ERROR, "302 Found without a usable Location"),
        (600, Status.FAILING, Reason.HTTP_ERROR, "HTTP status 600"),
        (304, Status.OK, None, None),
        (200, Status.OK, None, "200 OK"),
        (204, Status.OK, None, "204 No Content"),
    ],
)
def test_status_codes(code, status, reason, detail):
    result = classify(_status(code), PageInfo())
    assert (result.status, result.reason) == (status, reason)
    if detail is not None:
        assert result.detail == detail
    assert result.detail


def test_403_on_a_page_that_worked_before_is_bot_protection():
    before = classify(_status(403), PageInfo(), ever_ok=False)
    after = classify(_status(403), PageInfo(), ever_ok=True)
    assert (before.status, before.reason) == (Status.BLOCKED, Reason.FORBIDDEN)
    assert (after.status, after.reason) == (Status.BLOCKED, Reason.BOT_PROTECTION)
    assert "worked before" in after.detail


def test_ever_ok_does_not_soften_a_404():
    assert classify(_status(404), PageInfo(), ever_ok=True).status is Status.BROKEN


# --- bot challenges ----------------------------------------------------------------------------

CLOUDFLARE_CHALLENGE = (
    b"<!DOCTYPE html><html><head><title>Just a moment...</title></head><body>"
    b"<noscript>Enable JavaScript and cookies to continue</noscript>"
    b'<script src="/cdn-cgi/challenge-platform/h/b/orchestrate/chl_page/v1"></script>'
    b"<script>window._cf_chl_opt={cvId: '3'};</script></body></html>"
)


def test_challenge_header_on_a_200_is_blocked():
    outcome = _status(200, headers={**HTML, "cf-mitigated": "challenge"})
    result = classify(outcome, PageInfo(title="Example"))
    assert (result.status, result.reason) == (Status.BLOCKED, Reason.BOT_PROTECTION)
    assert "cf-mitigated" in result.detail


@pytest.mark.parametrize(
    "title",
    [
        "Just a moment...",
        "Just a moment…",
        "Attention Required! | Cloudflare",
        "DDoS-Guard",
        "Checking your browser before accessing example.org",
    ],
)
def test_challenge_titles_on_a_200_are_blocked(title):
    result = classify(_status(200), PageInfo(title=title))
    assert (result.status, result.reason) == (Status.BLOCKED, Reason.BOT_PROTECTION)


@pytest.mark.parametrize(
    "marker",
    [b"_Incapsula_Resource", b"px-captcha", b"geo.captcha-delivery.com", b"cf-chl-bypass"],
)
def test_challenge_marker_on_a_small_200_page_is_blocked(marker):
    body = b"<html><body><div id='" + marker + b"'></div></body></html>"
    result = classify(_status(200, body=body), PageInfo(text_sample="Please wait"))
    assert (result.status, result.reason) == (Status.BLOCKED, Reason.BOT_PROTECTION)


def test_article_about_cloudflare_challenges_is_ok():
    text = (
        "How Cloudflare's challenge-platform works: when you see 'Just a moment...' or "
        "'Checking your browser', a cf-chl token is being computed. " * 40
    )
    body = (
        f"<html><head><title>Inside Cloudflare's bot challenges</title></head><body><p>{text}</p>"
    )
    page = PageInfo(title="Inside Cloudflare's bot challenges", text_sample=text[:2000])
    result = classify(_status(200, body=body.encode() + b" " * 70_000), page)
    assert result.status is Status.OK


def test_short_article_mentioning_a_marker_with_plenty_of_text_is_ok():
    text = "Researchers describe how px-captcha widgets are served to suspected bots. " * 20
    result = classify(_status(200, body=text.encode()), PageInfo(title="Bots", text_sample=text))
    assert result.status is Status.OK


def test_challenge_on_503_is_blocked_not_failing():
    result = classify(_status(503, body=CLOUDFLARE_CHALLENGE), PageInfo(title="Just a moment..."))
    assert (result.status, result.reason) == (Status.BLOCKED, Reason.BOT_PROTECTION)
    assert result.detail.startswith("503 Service Unavailable")


def test_marker_in_a_large_403_is_bot_protection():
    body = b"<html>" + b" " * 100_000 + b"<script src='/cdn-cgi/challenge-platform/x'></script>"
    result = classify(_status(403, body=body), PageInfo())
    assert (result.status, result.reason) == (Status.BLOCKED, Reason.BOT_PROTECTION)


def test_akamai_access_denied_403():
    body = (
        b"<HTML><HEAD><TITLE>Access Denied</TITLE></HEAD><BODY>You don't have permission."
        b"<P>Reference&#32;&#35;18.5e6e1002.1700000000.1a2b3c4d<P>"
        b"https&#58;&#47;&#47;errors&#46;edgesuite&#46;net&#47;18&#46;5e6e1002</BODY></HTML>"
    )
    result = classify(_status(403, body=body), PageInfo(title="Access Denied"))
    assert (result.status, result.reason) == (Status.BLOCKED, Reason.BOT_PROTECTION)


def test_plain_access_denied_403_is_forbidden():
    result = classify(_status(403, body=b"<title>Access denied</title>"), PageInfo("Access denied"))
    assert (result.status, result.reason) == (Status.BLOCKED, Reason.FORBIDDEN)


def test_challenge_header_on_a_404_is_not_broken():
    outcome = _status(404, headers={**HTML, "cf-mitigated": "challenge"})
    assert classify(outcome, PageInfo()).status is Status.BLOCKED


# --- redirects ----------------------------------------------------------------------------------


def test_http_to_https_permanent_redirect_is_redirected():
    https = DEEP
    http = https.replace("https://", "http://")
    result = classify(_redirected(http, https, 301), ARTICLE)
    assert (result.status, result.reason) == (Status.REDIRECTED, Reason.PERMANENT_REDIRECT)
    assert result.detail == f"permanently redirected (301) to {https}"


def test_308_then_302_is_redirected():
    result = classify(_redirected(DEEP, DEEP + "?v=2", 308, 302), ARTICLE)
    assert result.status is Status.REDIRECTED


def test_temporary_redirects_only_are_ok():
    for code in (302, 303, 307):
        outcome = _redirected(DEEP, DEEP.replace("2019", "archive/2019"), code)
        result = classify(outcome, ARTICLE)
        assert (result.status, result.reason) == (Status.OK, None)
        assert result.detail == f"200 OK after redirecting to {outcome.final_url}"


def test_permanent_redirect_back_to_the_cited_url_is_ok():
    # e.g. a cookie-setting bounce that ends where it started
    result = classify(_redirected(DEEP, DEEP + "#section", 301), ARTICLE)
    assert result.status is Status.OK


@pytest.mark.parametrize(
    "front_page",
    [
        "https://news.example.org/",
        "https://www.example.org/",
        "https://example.org/index.html",
        "https://news.example.org/index.php",
        "https://news.example.org/en/",
        "https://news.example.org/pt-BR/",
        "https://news.example.org/?utm_source=old",
    ],
)
def test_deep_link_redirected_to_the_front_page_is_a_soft_404(front_page):
    result = classify(_redirected(DEEP, front_page, 302), ARTICLE)
    assert (result.status, result.reason) == (Status.BROKEN, Reason.SOFT_404)
    assert result.detail == (f"redirected from a deep link to the site's front page ({front_page})")


def test_front_page_on_another_site_is_not_judged_a_soft_404():
    result = classify(_redirected(DEEP, "https://other.example.net/", 301), ARTICLE)
    assert result.status is Status.REDIRECTED


def test_front_page_of_a_country_domain_is_the_same_site():
    cited = "https://www.example.co.uk/news/story"
    result = classify(_redirected(cited, "https://example.co.uk/", 301), ARTICLE)
    assert result.status is Status.BROKEN
    other = classify(_redirected(cited, "https://another.co.uk/", 301), ARTICLE)
    assert other.status is Status.REDIRECTED


def test_front_page_redirect_rules_ignore_non_deep_links():
    assert classify(
        _redirected("http://example.org/", "https://example.org/", 301), ARTICLE
    ).status is (Status.REDIRECTED)
    cited = "https://example.org/index.html"
    assert classify(_redirected(cited, "https://example.org/", 301), ARTICLE).status is (
        Status.REDIRECTED
    )


def test_a_query_makes_a_root_path_a_real_page():
    result = classify(_redirected(DEEP, "https://news.example.org/?p=1234", 301), ARTICLE)
    assert result.status is Status.REDIRECTED


@pytest.mark.parametrize(
    "sign_in",
    [
        "https://news.example.org/login",
        "https://news.example.org/account/login?x=1",
        "https://news.example.org/users/sign_in",
        "https://news.example.org/sign-in/",
        "https://sso.example.org/auth/realms/main/protocol/openid-connect",
        "https://id.example.com/start?returnUrl=%2F2019%2F05%2Friver-report.html",
        "https://id.example.com/gate?next=https%3A%2F%2Fnews.example.org%2F2019%2F05%2Friver-report.html",
    ],
)
def test_deep_link_redirected_to_a_sign_in_page_is_login_required(sign_in):
    result = classify(_redirected(DEEP, sign_in, 302), ARTICLE)
    assert (result.status, result.reason) == (Status.BLOCKED, Reason.LOGIN_REQUIRED)
    assert "sign-in page" in result.detail


def test_pages_that_look_like_sign_in_but_are_not():
    authors = classify(_redirected(DEEP, "https://news.example.org/authors/jane", 301), ARTICLE)
    unrelated_next = classify(
        _redirected(DEEP, "https://news.example.org/list?next=/page/2", 302), ARTICLE
    )
    assert authors.status is Status.REDIRECTED
    assert unrelated_next.status is Status.OK


def test_a_cited_login_page_that_answers_200_is_ok():
    assert classify(_ok("https://example.org/login"), PageInfo(title="Log in")).status is Status.OK


# --- soft 404 by sibling probe -------------------------------------------------------------------


def test_sibling_url_keeps_the_directory_and_the_extension():
    assert sibling_url(DEEP, TOKEN) == f"https://news.example.org/2019/05/{TOKEN}.html"
    assert sibling_url("https://x.org/a/b/", TOKEN) == f"https://x.org/a/b/{TOKEN}/"
    assert sibling_url("https://x.org/a/story?id=3#top", TOKEN) == f"https://x.org/a/{TOKEN}"
    assert sibling_url("https://x.org", TOKEN) == f"https://x.org/{TOKEN}/"
    assert sibling_url("http://u:p@x.org:8080/a.php", TOKEN) == f"http://u:p@x.org:8080/{TOKEN}.php"


@pytest.mark.parametrize("token", ["", "a/b", "a?b", "a#b"])
def test_sibling_url_refuses_a_token_that_is_not_a_segment(token):
    with pytest.raises(ValueError):
        sibling_url(DEEP, token)


def test_needs_sibling_probe_for_deep_html_pages_only():
    assert needs_sibling_probe(_ok(), ARTICLE)
    assert needs_sibling_probe(_redirected(DEEP, DEEP.replace("2019", "y2019"), 301), ARTICLE)
    assert not needs_sibling_probe(_ok("https://news.example.org/"), ARTICLE)
    assert not needs_sibling_probe(_status(404), ARTICLE)
    assert not needs_sibling_probe(_ok(headers={"content-type": "application/pdf"}), PageInfo())
    assert not needs_sibling_probe(_redirected(DEEP, "https://news.example.org/", 302), ARTICLE)
    assert not needs_sibling_probe(_redirected(DEEP, "https://x.org/login", 302), ARTICLE)
    assert not needs_sibling_probe(_ok(), PageInfo(title="Just a moment..."))
    assert not needs_sibling_probe(FetchOutcome(DEEP, DEEP, error=Reason.TIMEOUT), PageInfo())


def test_needs_sibling_probe_sniffs_an_untyped_html_page():
    assert needs_sibling_probe(_ok(headers={}), ARTICLE)
    assert not needs_sibling_probe(_ok(headers={}), PageInfo())


def test_soft_404_when_the_sibling_gets_the_same_not_found_page():
    result = classify(_ok(), NOT_FOUND_PAGE, sibling=_sibling(NOT_FOUND_PAGE))
    assert (result.status, result.reason) == (Status.BROKEN, Reason.SOFT_404)
    assert result.detail == (
        "the server answers an invented sibling path with the same "
        "'Page not found | Example News' page (same text)"
    )


def test_soft_404_by_title_when_the_pages_are_too_short_to_fingerprint():
    page = PageInfo(title="Page not found", text_sample="Sorry.")
    result = classify(_ok(), page, sibling=_sibling(PageInfo(title="Page NOT found")))
    assert (result.status, result.reason) == (Status.BROKEN, Reason.SOFT_404)
    assert result.detail.endswith("(same title)")


def test_site_wide_title_does_not_make_an_article_a_soft_404():
    # Every page of the site is titled "Example News"; the sibling gets a soft 404
    # page, and the real article happens to mention "404" in its opening.
    article = PageInfo(
        title="Example News",
        text_sample="Route 404 will no longer run after May, the council said...",
        text_fingerprint="0123456789abcdef",
    )
    missing = PageInfo(title="Example News", text_fingerprint="fedcba9876543210")
    assert classify(_ok(), article, sibling=_sibling(missing)).status is Status.OK


def test_soft_404_by_fingerprint_when_titles_echo_the_path():
    page = PageInfo(title="No page at /2019/05/river-report", text_fingerprint="ffff0000ffff0000")
    sibling_page = PageInfo(
        title=f"No page at /2019/05/{TOKEN}", text_fingerprint="ffff0000ffff0001"
    )
    result = classify(_ok(), page, sibling=_sibling(sibling_page))
    assert result.status is Status.OK  # no not-found words: not enough on its own
    page_404 = PageInfo(title="404 - /2019/05/river-report", text_fingerprint="ffff0000ffff0000")
    result = classify(_ok(), page_404, sibling=_sibling(sibling_page))
    assert (result.status, result.reason) == (Status.BROKEN, Reason.SOFT_404)
    assert "same text" in result.detail


def test_soft_404_when_both_are_redirected_to_the_same_error_page():
    error_page = "https://news.example.org/errors/missing"
    page = PageInfo(title="Oops", headline="This page does not exist")
    outcome = _redirected(DEEP, error_page, 302)
    result = classify(
        outcome, page, sibling=_sibling(PageInfo(title="Oops!"), final_url=error_page)
    )
    assert (result.status, result.reason) == (Status.BROKEN, Reason.SOFT_404)
    assert "redirected to the same URL" in result.detail


@pytest.mark.parametrize(
    "title",
    [
        "Seite nicht gefunden",
        "Page introuvable",
        "Página no encontrada",
        "Pagina non trovata",
        "Pagina niet gevonden",
        "Error 404",
        "This page is no longer available",
        "The page you requested cannot be found",
        "Page doesn't exist",
    ],
)
def test_not_found_signals_in_several_languages(title):
    page = PageInfo(title=title)
    assert classify(_ok(), page, sibling=_sibling(page)).status is Status.BROKEN


def test_not_found_signal_in_the_opening_text():
    page = PageInfo(
        title="Example News", text_sample="We looked everywhere but the page was not found."
    )
    assert classify(_ok(), page, sibling=_sibling(page)).status is Status.BROKEN


def test_spa_shell_that_answers_every_path_the_same_stays_ok():
    result = classify(_ok(), SPA_SHELL, sibling=_sibling(SPA_SHELL))
    assert (result.status, result.reason) == (Status.OK, None)
    assert "answers every path alike" in result.detail
    assert "could not be verified" in result.detail


def test_article_about_404_pages_stays_ok_because_its_sibling_is_a_real_404():
    article = PageInfo(
        title="How to design a good 404 page",
        headline="404: not found, but not lost",
        text_sample="Every site has a 404 page. Here is how to make yours useful...",
    )
    result = classify(_ok(), article, sibling=_sibling(NOT_FOUND_PAGE, status_code=404))
    assert (result.status, result.reason) == (Status.OK, None)
    assert result.detail == "200 OK"


def test_sibling_that_failed_or_was_gone_proves_nothing():
    for sibling in (
        _sibling(NOT_FOUND_PAGE, status_code=410),
        _sibling(NOT_FOUND_PAGE, status_code=500),
        (FetchOutcome(url=DEEP, final_url=DEEP, error=Reason.TIMEOUT), PageInfo()),
    ):
        assert classify(_ok(), NOT_FOUND_PAGE, sibling=sibling).status is Status.OK


def test_sibling_with_different_content_proves_nothing():
    search_page = PageInfo(title="Search results", text_fingerprint="0f0f0f0f0f0f0f0f")
    result = classify(_ok(), NOT_FOUND_PAGE, sibling=_sibling(search_page))
    assert result.status is Status.OK


def test_malformed_fingerprints_do_not_raise():
    page = PageInfo(title="Not found here", text_fingerprint="zz")
    other = PageInfo(title="Elsewhere", text_fingerprint="also-not-hex")
    assert classify(_ok(), page, sibling=_sibling(other)).status is Status.OK


def test_permanently_redirected_spa_keeps_the_caveat():
    outcome = _redirected(DEEP, DEEP.replace("2019", "y2019"), 301)
    result = classify(outcome, SPA_SHELL, sibling=_sibling(SPA_SHELL))
    assert result.status is Status.REDIRECTED
    assert "could not be verified" in result.detail


# --- properties ------------------------------------------------------------------------------

_URLS = st.sampled_from(
    [
        DEEP,
        "https://news.example.org/",
        "http://example.org/login?next=/a",
        "https://example.org/en/",
        "https://[::1]:8080/x.html",
        "https://127.0.0.1/a/b/",
        "not a url",
        "",
        "https://example.org/a?returnUrl=%E0%A4%A",
    ]
)
_OUTCOMES = st.builds(
    FetchOutcome,
    url=_URLS,
    final_url=_URLS,
    status_code=st.one_of(st.none(), st.integers(min_value=-1, max_value=1000)),
    headers=st.dictionaries(
        st.sampled_from(["content-type", "cf-mitigated", "location"]),
        st.sampled_from(["text/html", "challenge", "application/pdf", "", ";;", "/"]),
        max_size=3,
    ),
    hops=st.lists(
        st.builds(Hop, url=_URLS, status_code=st.integers(300, 399), location=_URLS), max_size=3
    ).map(tuple),
    body=st.one_of(st.binary(max_size=300), st.just(CLOUDFLARE_CHALLENGE)),
    body_truncated=st.booleans(),
    error=st.one_of(st.none(), st.sampled_from(Reason)),
    error_detail=st.one_of(st.none(), st.text(max_size=20)),
)
_TEXT = st.one_of(st.none(), st.text(max_size=60), st.sampled_from(["Just a moment...", "404"]))
_PAGES = st.builds(
    PageInfo,
    title=_TEXT,
    page_count=st.one_of(st.none(), st.integers(0, 5)),
    headline=_TEXT,
    text_sample=_TEXT,
    text_fingerprint=st.one_of(st.none(), st.sampled_from(["0" * 16, "f" * 16, "xyz", ""])),
)


@settings(max_examples=400, deadline=1000)
@given(
    outcome=_OUTCOMES,
    page=_PAGES,
    sibling=st.one_of(st.none(), st.tuples(_OUTCOMES, _PAGES)),
    ever_ok=st.booleans(),
)
def test_classify_is_total_and_every_non_ok_status_has_a_reason(outcome, page, sibling, ever_ok):
    result = classify(outcome, page, sibling=sibling, ever_ok=ever_ok)
    assert isinstance(result.status, Status)
    assert (result.reason is None) == (result.status is Status.OK)
    assert result.detail
    assert isinstance(needs_sibling_probe(outcome, page), bool)


@settings(max_examples=200, deadline=1000)
@given(outcome=_OUTCOMES, page=_PAGES, ever_ok=st.booleans())
def test_broken_only_on_a_definitive_answer(outcome, page, ever_ok):
    result = classify(outcome, page, ever_ok=ever_ok)
    if result.status is Status.BROKEN:
        assert result.reason in {
            Reason.INVALID_URL,
            Reason.DNS_ERROR,
            Reason.REDIRECT_LOOP,
            Reason.NOT_FOUND,
            Reason.GONE,
            Reason.SOFT_404,
        }
        if result.reason is Reason.SOFT_404:
            assert outcome.hops  # without a sibling, only the front-page redirect rule
