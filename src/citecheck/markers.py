"""Searches of a page for known markers and phrases, and of its URL for host names,
fast on the judgement's hot path.

Pure. Each answers exactly as the plain search it stands for (a marker per ``in``, a
regex alternation); tests/test_judgement_fast_paths.py checks that on generated input.
"""

from __future__ import annotations

import functools
import re
from urllib.parse import SplitResult, urlsplit

#: Bodies up to this size are searched for markers with one regex first (first_marker).
ONE_SEARCH_BYTES = 1024


def first_marker(
    scanned: bytes, markers: tuple[bytes, ...], any_marker: re.Pattern[bytes]
) -> bytes | None:
    """The first of ``markers`` (in their order) that ``scanned`` holds, or None.

    ``any_marker`` matches any of them: on a small body one regex search tells that
    none is there faster than a search per marker; on a large one the searches per
    marker are the faster (the regex tries every position).
    """
    if len(scanned) <= ONE_SEARCH_BYTES and any_marker.search(scanned) is None:
        return None
    return next(filter(scanned.__contains__, markers), None)


def lowered_head(body: bytes, size: int) -> bytes:
    """``body[:size].lower()``, the lower-casing shared by the rules that search one
    page: the challenge rule (classify.py) and the parking rule (sites.py) scan the
    same answer, and lower-casing 256 KiB costs a tenth of a millisecond.

    The last body asked for is remembered (with it, so that its identity cannot be
    reused): a smaller head of it is cut from the larger one, never lower-cased twice.
    """
    last_body, last_size, last_head = _LAST_LOWERED[0]  # one tuple: safe among threads
    if last_body is body and last_size >= size:
        return last_head[:size]
    head = body[:size].lower()
    _LAST_LOWERED[0] = (body, size, head)
    return head


_LAST_LOWERED: list[tuple[bytes | None, int, bytes]] = [(None, 0, b"")]


def any_of(markers: tuple[bytes, ...]) -> re.Pattern[bytes]:
    """A regex that matches any of ``markers`` (for :func:`first_marker`)."""
    return re.compile(b"|".join(map(re.escape, markers)))


def by_first_character(phrases: tuple[str, ...]) -> str:
    """The alternation of ``phrases`` with those that share a first character grouped
    behind it (``n(?:ot found|icht gefunden|...)``).

    It matches the same texts (the flags apply to the grouped character as they did in
    each phrase), and the regex engine tries a dozen branches at each position of a
    text instead of 37: a quarter of the time.
    """
    groups: dict[str, list[str]] = {}
    for phrase in phrases:
        if not phrase[0].isalnum():
            raise ValueError(f"a phrase must start with a plain character: {phrase!r}")
        groups.setdefault(phrase[0], []).append(phrase[1:])
    return "|".join(f"{first}(?:{'|'.join(rests)})" for first, rests in groups.items())


@functools.lru_cache(maxsize=1024)  # a 2xx page's URL is split by several rules
def url_parts(url: str) -> SplitResult:
    """``urlsplit(url)``, remembered: the same final URL is split by the sibling
    probe's rule, its cache key and the refusal rules of one judgement."""
    return urlsplit(url)


#: Characters that urlsplit drops from a URL (tabs, line breaks) or refuses in some
#: places (brackets): a URL holding one is read otherwise than as written.
_SPLIT_ALTERS = re.compile(r"[\t\r\n\[\]]")


def may_hold(url: str, names: tuple[str, ...]) -> bool:
    """False only when the host of ``url`` (host_of) holds none of ``names``
    (lower-case), told without splitting the URL (a split per answer, where
    host_of's cache misses, cost more than all these rules): none of them is in the
    URL, in any case. A URL that urlsplit reads otherwise than as written (or
    refuses: a non-ASCII host name, a stray bracket) is split all the same, so that
    the rules answer, or raise, as they always did."""
    if not split_as_written(url):
        return True
    return any(map(url.lower().__contains__, names))


def split_as_written(url: str) -> bool:
    """True when urlsplit reads ``url`` as written: ASCII (a non-ASCII host name may
    be refused), no tab or line break (dropped first), no bracket (refused in places)."""
    return url.isascii() and _SPLIT_ALTERS.search(url) is None
