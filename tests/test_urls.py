"""Tests for citecheck.urls: the key of a link."""

from __future__ import annotations

import pytest

from citecheck.urls import InvalidURLError, normalize_url


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
