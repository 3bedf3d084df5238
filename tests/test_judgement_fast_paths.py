"""The fast paths of issue 11 answer exactly as the plain code they replaced: each is
checked against that plain code (restated here) on generated inputs."""

import codecs
import hashlib
import re
from urllib.parse import urlsplit

from hypothesis import given, settings
from hypothesis import strategies as st

from citecheck import classify, markers, sites, titles
from citecheck.decoding import decode

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


URL_BITS = st.sampled_from(["http://", "https://", "HTTP://", "http:", "a", "Z", "0", ".", "-",
                            "_", "@", ":", ":80", "[", "]", "[::1]", "[fe80::1%25EN0]", "%41",
                            "é", "\t", "\n", " ", "/", "?", "#", "www.Example.org"])  # fmt: skip


def _plain_host_of(url: str) -> str | type[ValueError]:
    try:
        return urlsplit(url).hostname or ""
    except ValueError:
        return ValueError


def _host_of_or_error(url: str) -> str | type[ValueError]:
    try:
        return classify.host_of(url)
    except ValueError:
        return ValueError


@settings(max_examples=1000, deadline=None)
@given(st.one_of(st.lists(URL_BITS, max_size=8).map("".join), st.text(max_size=20)))
def test_host_of_is_urlsplits_hostname(url):
    classify.host_of.cache_clear()
    assert _host_of_or_error(url) == _plain_host_of(url)
    assert _host_of_or_error(url) == _plain_host_of(url)  # remembered, or raising again
