"""The fast paths of issue 11 answer exactly as the plain code they replaced: each is
checked against that plain code (restated here) on generated inputs."""

import codecs
import dataclasses
import hashlib
import random
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import judged_pages
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from citecheck import classify, markers, sites, titles, urlshapes
from citecheck.config import ConfirmationPolicy
from citecheck.decoding import decode
from citecheck.drift import detect_drift, drift_from_json, drift_to_json
from citecheck.judgement import judge
from citecheck.models import CheckResult, FetchOutcome, PageInfo, PageSnapshot, Reason, Status
from citecheck.verdict import next_state

WORDY = st.text(alphabet=st.sampled_from(list("ab _-.é\u0301\u200b1٠\n日İſK")), max_size=120)


def _plain_fingerprint(text: str) -> str | None:
    """The simhash as first written: blake2b per shingle, a vote per bit."""
    words = re.findall(r"\w+", text[: titles.MAX_TEXT_CHARS].casefold())
    if len(words) < titles.MIN_FINGERPRINT_WORDS:
        return None
    shingles = [" ".join(words[i : i + 3]) for i in range(len(words) - 2)]
    hashes = [
        int.from_bytes(hashlib.blake2b(s.encode("utf-8"), digest_size=8).digest(), "big")
        for s in shingles
    ]
    bits = "".join(
        "1" if sum(h >> (63 - bit) & 1 for h in hashes) > len(hashes) / 2 else "0"
        for bit in range(64)
    )
    return f"{int(bits, 2):016x}"


@settings(max_examples=400, deadline=None)
@given(st.one_of(WORDY, st.text(max_size=300)))
def test_fingerprint_is_the_plain_simhash(text):
    assert titles.fingerprint(text) == _plain_fingerprint(text)


def test_fingerprint_of_a_long_text_is_the_plain_simhash():
    text = " ".join(f"word{n % 97} straße 日本{n % 13}" for n in range(20_000))
    assert titles.fingerprint(text) == _plain_fingerprint(text)


@settings(max_examples=1000, deadline=None)
@given(st.one_of(WORDY, st.text(max_size=100)))
def test_enough_words_counts_words_as_the_word_pattern_does(text):
    enough = len(titles._WORD.findall(text)) >= titles.MIN_FINGERPRINT_WORDS
    assert (titles._ENOUGH_WORDS.match(text) is not None) is enough


NOT_FOUND_BITS = ["404", "1404", "4045", "not found", "NOT FOUND", "can’t be found",
                  "page doesn't exist", "no longer exists", "page you re looking for",
                  "NICHT MEHR VERFÜGBAR", "n'existe pas", "NÃO ENCONTRADA", "НЕ НАЙДЕН",
                  "BULUNAMADI", "見つかりません", "ſ", "K", "İ", " ", "page", "٤٠٤"]  # fmt: skip


@settings(max_examples=2000, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(NOT_FOUND_BITS), st.text(max_size=4)), max_size=6))
def test_not_found_matches_where_one_of_its_phrases_does(parts):
    text = "".join(parts)
    plain = any(re.search(p, text, re.IGNORECASE) for p in classify._NOT_FOUND_PHRASES)
    assert (classify._NOT_FOUND.search(text) is not None) is plain


MARKER_BITS = st.sampled_from([b"cf-chl", b"ddos-guard", b"sedoparking.com", b"cashparking",
                               b"x" * 900, b"<p>", b"px-captch", b"window.park = "])  # fmt: skip


@settings(max_examples=500, deadline=None)
@given(st.lists(st.one_of(MARKER_BITS, st.binary(max_size=8)), max_size=8))
def test_first_marker_is_the_first_in_order_that_the_body_holds(parts):
    body = b"".join(parts).lower()
    for found_in, pattern in (
        (classify._CHALLENGE_MARKERS, classify._ANY_CHALLENGE_MARKER),
        (sites.PARKING_MARKERS, sites._ANY_PARKING_MARKER),
    ):
        plain = next((m for m in found_in if m in body), None)
        assert markers.first_marker(body, found_in, pattern) == plain


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=64))
def test_utf8_is_decoded_as_the_incremental_decoder_does(body):
    decoder = codecs.getincrementaldecoder("utf-8")("citecheck-whatwg")
    assert decode(body, "utf-8") == decoder.decode(body, final=True)


HOST_URL_BITS = st.sampled_from(["http://", "https://", "HTTP://", "http:", "a", "Z", "0", ".", "-",
                            "_", "@", ":", ":80", "[", "]", "[::1]", "[fe80::1%25EN0]", "%41",
                            "é", "\t", "\n", " ", "/", "?", "#", "www.Example.org"])  # fmt: skip


def _plain_host_of(url: str) -> str | type[ValueError]:
    try:
        return urlsplit(url).hostname or ""
    except ValueError:
        return ValueError


def _host_of_or_error(url: str) -> str | type[ValueError]:
    try:
        return urlshapes.host_of(url)
    except ValueError:
        return ValueError


@settings(max_examples=1000, deadline=None)
@given(st.one_of(st.lists(HOST_URL_BITS, max_size=8).map("".join), st.text(max_size=20)))
def test_host_of_is_urlsplits_hostname(url):
    urlshapes.host_of.cache_clear()
    assert _host_of_or_error(url) == _plain_host_of(url)
    assert _host_of_or_error(url) == _plain_host_of(url)  # remembered, or raising again


# --- issue 11, ninth step: the per-link path of a check ---------------------------------


def _plain_consent_host(url: str) -> str | None:
    """consent_wall's first question as first written: the consent host the URL's
    host is (split with urlsplit), or None."""
    host = (urlsplit(url).hostname or "").lower()
    if host not in sites._CONSENT_HOSTS and not host.startswith(sites._CONSENT_HOST_PREFIXES):
        return None
    return next((h for h in sites._CONSENT_HOSTS if sites._host_matches(host, h)), None)


CONSENT_URL_BITS = st.sampled_from(
    ["consent.", "CONSENT.", "ConSent.", "youtube.com", "google.", "de", "co.uk", "guce.",
     "yahoo.com", "myprivacy.", "MyPrivacy.", "cmp.", "dpgmedia.", "nl", "oath.com",
     "con\tsent.", "gu\nce.", "\r", "K", "İ", "ſ", "user@", ":8080", "/", "?", "#", ".", "x"]
)  # fmt: skip


@settings(max_examples=2000, deadline=None)
@given(st.sampled_from(["https://", "http://", "", " https://"]),
       st.lists(st.one_of(CONSENT_URL_BITS, st.text(max_size=3)), max_size=7))  # fmt: skip
def test_consent_wall_finds_a_wall_where_the_split_host_is_one(scheme, parts):
    url = scheme + "".join(parts)
    outcome = FetchOutcome("https://www.youtube.com/watch?v=x", url, 200)
    try:
        plain = _plain_consent_host(url)
    except ValueError:  # urlsplit refuses the URL (a bad port, say): so must consent_wall
        with pytest.raises(ValueError):
            sites.consent_wall(outcome)
        return
    wall = sites.consent_wall(outcome)
    assert (wall is not None) is (plain is not None)


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 2**32))
def test_classify_skips_the_refusal_rules_only_where_the_probe_rule_found_none(seed):
    """check.py passes ``unrefused`` when needs_sibling_probe said True: the verdict is
    the one classify gives without it, whatever the page and its sibling."""
    rng = random.Random(seed)
    out, other = judged_pages.outcome(rng), judged_pages.outcome(rng)
    page = titles.page_info(out.body, out.headers, truncated=out.body_truncated)
    sibling = (other, titles.page_info(other.body, other.headers))
    if classify.needs_sibling_probe(out, page):
        for probe in (sibling, None):
            assert classify.classify(out, page, sibling=probe, unrefused=True) == (
                classify.classify(out, page, sibling=probe)
            )


def _plain_judge(previous, result, baseline, policy):
    """judgement.judge as first written: the state, then replace() for what it renews."""
    state = next_state(previous, result, policy)
    if not (result.status.is_success and result.http_status != 304):
        return state, None
    validators = {"etag": result.etag, "last_modified": result.last_modified}
    if result.title is None and result.text_fingerprint is None:
        return dataclasses.replace(state, **validators), None
    if baseline is None:
        snapshot = PageSnapshot(result.title, result.text_fingerprint, result.checked_at)
        return dataclasses.replace(state, **validators, drift=None), snapshot
    page = PageInfo(title=result.title, text_fingerprint=result.text_fingerprint)
    before = drift_from_json(dict(previous.drift)) if previous and previous.drift else None
    drift = detect_drift(baseline, page, now=result.checked_at, previous=before)
    return dataclasses.replace(state, **validators, drift=drift_to_json(drift)), None


T0 = datetime(2026, 12, 1, tzinfo=UTC)
MOMENTS = st.integers(0, 5).map(lambda days: T0 + timedelta(days=days))
MAYBE_TEXT = st.sampled_from([None, "", "Rivers report", "Page not found"])
FINGERPRINTS = st.sampled_from([None, "0f0f0f0f0f0f0f0f", "0f0f0f0f0f0f0f0e", "f0f0f0f0f0f0f0f0"])
CHECKS = st.builds(
    CheckResult,
    url=st.just("https://example.org/a"),
    checked_at=MOMENTS,
    status=st.sampled_from([s for s in Status if s is not Status.UNCHECKED]),
    reason=st.sampled_from([None, Reason.NOT_FOUND, Reason.TIMEOUT]),
    http_status=st.sampled_from([None, 200, 304, 404, 500]),
    title=MAYBE_TEXT,
    etag=st.sampled_from([None, '"v2"']),
    last_modified=st.sampled_from([None, "Tue, 01 Dec 2026 00:00:00 GMT"]),
    text_fingerprint=FINGERPRINTS,
)


BASELINES = st.builds(PageSnapshot, MAYBE_TEXT, FINGERPRINTS, MOMENTS)


@settings(max_examples=1000, deadline=None)
@given(st.one_of(st.none(), CHECKS), CHECKS, st.one_of(st.none(), BASELINES))
def test_judge_builds_the_state_that_replace_built(before, result, baseline):
    policy = ConfirmationPolicy()
    previous = None
    for check in (before,) if before is not None else ():
        previous, _ = _plain_judge(None, check, baseline, policy)
    assert judge(previous, result, baseline, policy) == _plain_judge(
        previous, result, baseline, policy
    )


def _plain_platform_of(url: str):
    host = sites.host_of(url)
    if not host or sites.registrable_domain(host) not in sites._PLATFORM_DOMAINS:
        return None
    platform = sites._PLATFORM_DOMAINS[sites.registrable_domain(host)]
    return platform if platform.paths.match(urlsplit(url).path or "/") else None


PLATFORM_BITS = st.sampled_from(["YouTube.com", "youtu.be", "www.", "m.", "fb.watch", "FB.com",
                                 "vimeo.com", "tiktok.com", "facebook.com.", "/watch?v=x", "/123",
                                 "/@c/video/1", ".evil.org", "\t", "[", "K", "é"])  # fmt: skip


@settings(max_examples=2000, deadline=None)
@given(st.sampled_from(["https://", "http://user@", ""]),
       st.lists(st.one_of(PLATFORM_BITS, st.text(max_size=3)), max_size=6))  # fmt: skip
def test_platform_of_finds_the_platform_the_split_host_names(scheme, parts):
    url = scheme + "".join(parts)
    try:
        plain = _plain_platform_of(url)
    except ValueError:
        with pytest.raises(ValueError):
            sites.platform_of(url)
        return
    assert sites.platform_of(url) is plain


def _plain_parked_verdict(outcome, page):
    """sites.parked_verdict as first written: both URLs split first."""
    final_host = sites.host_of(outcome.final_url).lower()
    cited_host = sites.host_of(outcome.url).lower()
    moved_site = sites.registrable_domain(final_host) != sites.registrable_domain(cited_host)
    if moved_site and sites.registrable_domain(final_host) in sites.PARKING_HOSTS:
        return sites._parked(
            f"redirected to the domain seller {final_host}", "parking-sale-redirect"
        )
    head = outcome.body[: sites._PARKING_SCAN_BYTES]
    text = (page.text_sample or "").lower()
    little_text = len(text) <= sites._PARKING_MAX_TEXT
    ww_redirect = bool(outcome.hops) and sites._WW_HOST.match(final_host) is not None
    if not head or not (little_text or ww_redirect):
        return None
    marker = markers.first_marker(head.lower(), sites.PARKING_MARKERS, sites._ANY_PARKING_MARKER)
    phrase = sites.PARKING_PHRASES.search(text) or sites.PARKING_PHRASES.search(
        (page.title or "").lower()
    )
    if ww_redirect and (marker or phrase):
        sign = marker.decode() if marker else phrase.group() if phrase else ""
        return sites._parked(
            f"redirected to the parking host {final_host} ({sign!r})", "parking-ww"
        )
    if not little_text:
        return None
    if marker is not None:
        return sites._parked(
            f"the page loads a parking service ({marker.decode()!r})", "parking-script"
        )
    if phrase is not None:
        return sites._parked(f"the page says {phrase.group()!r} and little else", "parking-phrase")
    return None


@settings(max_examples=400, deadline=None)
@given(st.integers(0, 2**32), st.sampled_from(["", "x", "\t", "[", "é", "/"]))
def test_parked_verdict_splits_no_url_only_where_it_need_not(seed, odd):
    """An answer at the cited URL itself, with no hop, is judged without splitting
    it, as when both URLs were split."""
    rng = random.Random(seed)
    out = judged_pages.outcome(rng)
    if rng.random() < 0.5:
        out = dataclasses.replace(out, url=out.url + odd, final_url=out.url + odd, hops=())
    page = titles.page_info(out.body, out.headers, truncated=out.body_truncated)
    try:
        plain = _plain_parked_verdict(out, page)
    except ValueError:
        with pytest.raises(ValueError):
            sites.parked_verdict(out, page)
        return
    assert sites.parked_verdict(out, page) == plain


@settings(max_examples=500, deadline=None)
@given(st.lists(st.tuples(st.sampled_from([0, 1, 2]), st.sampled_from([0, 3, 8, 64])), max_size=8))
def test_lowered_head_is_the_head_lowered_whatever_was_asked_before(asks):
    bodies = [b"AbC<Title>Sedo", b"", b"X" * 70]
    for which, size in asks:
        body = bodies[which]
        assert markers.lowered_head(body, size) == body[:size].lower()


@pytest.mark.parametrize("fingerprint", ["0f0f0f0f0f0f0f0f", "not hex", "", None])
@pytest.mark.parametrize("drifted", [False, True])
def test_judge_of_the_page_as_first_seen_is_the_plain_one(fingerprint, drifted):
    """An unchanged page (the baseline's title and fingerprint) is not compared; the
    state, and a fingerprint that cannot be read, are as the plain judge has them."""
    policy = ConfirmationPolicy()
    result = CheckResult(
        "https://example.org/a", T0, Status.OK, http_status=200, title="Rivers report",
        text_fingerprint=fingerprint,
    )  # fmt: skip
    baseline = PageSnapshot("Rivers report", fingerprint, T0 - timedelta(days=9))
    drift = {"kind": "title", "before_title": "x", "after_title": "y", "similarity": None,
             "since": (T0 - timedelta(days=2)).isoformat()}  # fmt: skip
    previous = dataclasses.replace(
        next_state(None, result, policy), drift=drift if drifted else None
    )
    try:
        plain = _plain_judge(previous, result, baseline, policy)
    except ValueError:
        with pytest.raises(ValueError):
            judge(previous, result, baseline, policy)
        return
    assert judge(previous, result, baseline, policy) == plain
    assert plain[0].drift is None
