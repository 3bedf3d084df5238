"""Tests for citecheck.urls: the key of a link."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from urllib.parse import urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from citecheck.urls import (
    InvalidURLError,
    _normalize,
    host_key,
    hostname,
    normalize_url,
    scheme_of,
)


@pytest.mark.parametrize(
    "url",
    [
        "https://example.org/a b",
        "https://example.org/a\tb",
        "https://example.org/\x00a",
        "https://example.org/a\x1fb",  # strip() would take it off the end
        "https://example.org/a\u00a0b",  # no-break space
        "https://example.org/a\u2003b",  # em space
        "https://example.org/a\u2028b",  # line separator
        "https://exa mple.org/",
    ],
)
def test_white_space_or_control_characters_are_no_url(url: str) -> None:
    with pytest.raises(InvalidURLError, match="white space or control characters"):
        normalize_url(url)


@pytest.mark.parametrize(
    ("url", "key"),
    [
        ("  HTTPS://Example.ORG:443/%7Euser?q=%7e#top  ", "https://example.org/~user?q=~"),
        ("http://example.org", "http://example.org/"),
        ("https://example.org/\x7f", "https://example.org/\x7f"),  # DEL is not a control < 0x20
    ],
)
def test_keys(url: str, key: str) -> None:
    assert normalize_url(url) == key


_HOSTS = [
    "example.org",
    "EXAMPLE.org",
    "a-b.c_d.org",
    "-a.org",
    "a-.org",
    "a..org",
    "a.org.",
    "xn--bcher-kva.de",
    "xn--zz.org",
    "127.0.0.1",
    "[::1]",
    "b\u00fccher.de",
    "x" * 64 + ".org",
    "user@example.org",
    "user:pw@example.org",
    "123",
    "_.org",
]
_PORTS = ["", ":80", ":443", ":8080", ":0", ":080", ":65535", ":65536", ":99999", ":", ":x"]
_PATHS = [
    "",
    "/",
    "/a/b",
    "/%7Euser",
    "/%41%2f",
    "/a b",
    "/a:b@c",
    "//x",
    "/\u00e9",
    "/a#f",
    "/[x]",
    "/a\\b",
    "/~!$&'()*+,;=",
    "/p?",
    "/p?q=1&r=%7e",
    "/p?q?r",
    "/p?#",
    "/a\x7f",
]


def _key_or_error(normalise: Callable[[str], str], url: str) -> str | type[InvalidURLError]:
    try:
        return normalise(url)
    except InvalidURLError:
        return InvalidURLError


def test_the_short_way_gives_the_long_ways_key() -> None:
    """normalize_url returns a URL already in normal form as it is (issue 11): the
    same key, or the same error, as working it out in full, for every combination."""
    for parts in itertools.product(["http", "https", "HTTP"], _HOSTS, _PORTS, _PATHS):
        url = "{}://{}{}{}".format(*parts)
        assert _key_or_error(normalize_url, url) == _key_or_error(_normalize, url), url


@given(
    host=st.text(alphabet="aZ09-_.xn", min_size=1, max_size=12),
    rest=st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=12),
    padding=st.sampled_from(["", " ", "\n"]),
)
def test_the_short_way_agrees_on_any_text(host: str, rest: str, padding: str) -> None:
    for url in (f"http://{host}/{rest}", f"https://{host}:8080/{rest}", f"http://{host}{rest}"):
        url = padding + url + padding
        assert _key_or_error(normalize_url, url) == _key_or_error(_normalize, url), url


# -- the fast paths of issue 11, held equal to the plain code they stand for ------------


def _plain_hostname(url: str) -> str | None:
    try:
        return urlsplit(url).hostname or ""
    except ValueError:
        return None


def _plain_host_key(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""


def _plain_scheme_of(url: str) -> str:
    scheme, colon, _ = url.strip().partition(":")
    return scheme.lower() if colon and re.fullmatch(r"[A-Za-z][A-Za-z0-9+.-]*", scheme) else ""


_AUTHORITY_BITS = ["http://", "https://", "HTTP://", "http:", "http:/", "ftp://", " http://",
                   "\thttp://", "a", "Z", "0", "9", ".", "-", "_", "xn--", "@", "u:p@", ":",
                   ":80", ":8080", ":x", "[", "]", "[::1]", "[fe80::1%25EN0]", "%41", "é",
                   "\u2100", "\t", "\n", "\r", " ", "\x00", "/", "?", "#", "\\", ";"]  # fmt: skip
URLISH = st.one_of(
    st.lists(st.sampled_from(_AUTHORITY_BITS), max_size=8).map("".join),
    st.builds(
        "{}{}{}".format,
        st.sampled_from(["http://", "https://", "HTTPS://", "http://u@", " https://"]),
        st.text(alphabet=st.sampled_from(list("aZ09.-_:[]@%é\t/?#")), max_size=14),
        st.text(max_size=10),
    ),
    st.text(max_size=30),
)


def test_hostname_is_urlsplits_on_every_combination() -> None:
    for parts in itertools.product(["http", "https", "HTTP"], _HOSTS, _PORTS, _PATHS):
        url = "{}://{}{}{}".format(*parts)
        assert hostname(url) == _plain_hostname(url), url
        assert host_key(url) == _plain_host_key(url), url
        assert scheme_of(url) == _plain_scheme_of(url), url


@settings(max_examples=1500, deadline=None)
@given(URLISH)
def test_hostname_host_key_and_scheme_of_are_the_plain_ones(url: str) -> None:
    assert hostname(url) == _plain_hostname(url)
    assert host_key(url) == _plain_host_key(url)
    assert scheme_of(url) == _plain_scheme_of(url)


@pytest.mark.parametrize(
    ("url", "host"),
    [
        ("http://127.0.1.17:41234/p/1", "127.0.1.17"),
        ("https://www.example.org", "www.example.org"),
        ("https://Example.ORG./a", "example.org."),
        ("http://[FE80::1%25EN0]:8080/", "fe80::1%25en0"),  # urlsplit keeps a zone's case
        ("http://user:pw@example.org:x/", "example.org"),  # hostname never reads the port
        ("http://ex\tample.org/", "example.org"),  # urlsplit drops tabs anywhere
        ("http://[::1/", ""),  # "Invalid IPv6 URL": no host to be polite to
        ("mailto:someone@example.org", ""),
    ],
)
def test_host_key(url: str, host: str) -> None:
    assert host_key(url) == host == _plain_host_key(url)


def test_hostname_of_a_url_urlsplit_refuses_is_none() -> None:
    assert hostname("http://[::1/") is None
    assert hostname("http://]/") is None
