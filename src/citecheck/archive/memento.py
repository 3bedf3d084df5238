"""What other Memento archives (RFC 7089) say, validated before anything of it is used.

A TimeMap lists a page's mementos (captures) with their datetimes, in link format
(RFC 6690, ``application/link-format``) or in the JSON that MemGator and Time
Travel answer; a TimeGate answers the memento closest to an ``Accept-Datetime``
with a redirect and a ``Link`` header. Like the Wayback answers (answers.py), all of
it is outside input: a TimeMap may be an HTML error page, list a memento on another
host or a ``javascript:`` URL, spell its dates in any way, or be megabytes long. Each
such entry is refused here, so that nothing hostile reaches ``fix``, which writes
the memento URL into a published text.

Pure: plain values in and out, no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from email.utils import format_datetime
from urllib.parse import urlsplit

from ..captures import Snapshot
from ..errors import ArchiveError, InvalidURLError
from ..urls import normalize_url
from .answers import is_timestamp, parse_json, same_page
from .archives import archive_hosts
from .policy import MAX_ARCHIVED_URL_LENGTH, cdx_timestamp

__all__ = [
    "MAX_TIMEMAP_ENTRIES",
    "accept_datetime",
    "archive_hosts",
    "memento_problem",
    "nearest",
    "on_hosts",
    "parse_link_format",
    "parse_memento_datetime",
    "parse_timemap",
    "stored_memento_problem",
]

#: Link-format entries read from one TimeMap at most (the client also caps its bytes).
MAX_TIMEMAP_ENTRIES = 200_000
#: Distinct pages a TimeMap's mementos may name (each is compared with the cited URL
#: once); past it, mementos naming yet another page are refused.
MAX_PAGES_NAMED = 64
#: Mementos before 1994 are not web pages anyone cites (the web archives start in 1996).
_EARLIEST_YEAR = 1991

_TOKEN = r"[A-Za-z0-9!#$&+.^_`|~-]++\*?"
# Possessive quantifiers throughout: a hostile TimeMap (a quote never closed, a URI
# never ended) fails in one pass instead of backtracking over megabytes.
_QUOTED = r'"(?:[^"\\]|\\.)*+"'
_LINK_VALUE = re.compile(
    rf"\s*+<([^<>]*+)>((?:\s*+;\s*+{_TOKEN}(?:\s*+=\s*+(?:{_QUOTED}|[^;,\"\s]*+))?)*+)\s*+(,|$)"
)
_PARAM = re.compile(rf";\s*+({_TOKEN})(?:\s*+=\s*+({_QUOTED}|[^;,\"\s]*+))?")
_RFC1123 = re.compile(
    r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), ([0-9]{2}) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct"
    r"|Nov|Dec) ([0-9]{4}) ([0-9]{2}):([0-9]{2}):([0-9]{2}) GMT",
    re.ASCII,
)
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_ISO = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})Z", re.ASCII)
_DIGITS14 = re.compile(r"([0-9]{4})([0-9]{2})([0-9]{2})([0-9]{2})([0-9]{2})([0-9]{2})", re.ASCII)
#: ``/20190302101500/https://page`` (or ``…id_/``) in a Wayback-style memento URL.
_EMBEDDED = re.compile(r"/[0-9]{14}(?:[a-z]{2}_)?/(https?:/+.*)$", re.ASCII | re.IGNORECASE)
_UNSAFE = re.compile(r"[\x00-\x20\x7f-\x9f\"<>\\^`{|}]")


def accept_datetime(moment: datetime) -> str:
    """The ``Accept-Datetime`` header value (RFC 1123, GMT) of an aware datetime."""
    return format_datetime(moment.astimezone(UTC), usegmt=True)


def parse_memento_datetime(value: object) -> datetime | None:
    """A memento's datetime (RFC 1123 as RFC 7089 spells it, ISO 8601 with ``Z`` as
    the JSON TimeMaps do, or a 14-digit timestamp), or None for anything else."""
    if not isinstance(value, str) or len(value) > 64:
        return None
    text = value.strip()
    fields: tuple[int, ...]
    if match := _RFC1123.fullmatch(text):
        day, month, year, hour, minute, second = match.groups()
        fields = (int(year), _MONTHS.index(month) + 1, int(day), int(hour), int(minute))
        fields += (int(second),)
    elif match := _ISO.fullmatch(text) or _DIGITS14.fullmatch(text):
        fields = tuple(int(part) for part in match.groups())
    else:
        return None
    if fields[0] < _EARLIEST_YEAR:
        return None
    try:
        return datetime(*fields, tzinfo=UTC)  # type: ignore[misc]
    except ValueError:
        return None


def parse_link_format(text: str) -> list[tuple[str, dict[str, str]]]:
    """An ``application/link-format`` document as (URI, parameters) pairs.

    Parameter names are lower-cased and quoted values unquoted. Raises ArchiveError
    when the text is not link format (an HTML page, say) or has too many entries.
    """
    links: list[tuple[str, dict[str, str]]] = []
    position, end = 0, len(text.rstrip())
    while position < end:
        match = _LINK_VALUE.match(text, position)
        if match is None or match.end() == position:
            raise ArchiveError(f"the TimeMap is not in link format near {text[position:][:60]!r}")
        if len(links) >= MAX_TIMEMAP_ENTRIES:
            raise ArchiveError(f"the TimeMap lists more than {MAX_TIMEMAP_ENTRIES} entries")
        params: dict[str, str] = {}
        for name, raw in _PARAM.findall(match.group(2)):
            value = raw[1:-1].replace('\\"', '"') if raw.startswith('"') else raw
            params.setdefault(name.lower(), value)
        links.append((match.group(1).strip(), params))
        position = match.end()
    return links


def on_hosts(url: str, hosts: Sequence[str]) -> bool:
    """Whether ``url`` is on one of ``hosts`` (``www.`` aside; a host given with a port
    matches that port only)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return False
    if not parts.hostname:
        return False
    bare = parts.hostname.removeprefix("www.")
    default = 443 if parts.scheme == "https" else 80
    for allowed in hosts:
        name, _, allowed_port = allowed.lower().partition(":")
        if name.removeprefix("www.") != bare:
            continue
        if not allowed_port or int(allowed_port) == (port or default):
            return True
    return False


def _quick_problem(memento_url: object, hosts: Sequence[str]) -> str | None:
    """The checks of :func:`memento_problem` that need no URL normalisation."""
    if not isinstance(memento_url, str) or not memento_url:
        return "the archive named no memento URL"
    shown = memento_url[:80] + ("..." if len(memento_url) > 80 else "")
    if len(memento_url) > MAX_ARCHIVED_URL_LENGTH:
        return f"the memento URL is longer than {MAX_ARCHIVED_URL_LENGTH} characters"
    if _UNSAFE.search(memento_url):
        return f"the memento URL {shown!r} holds spaces, quotes or control characters"
    if not memento_url.lower().startswith(("http://", "https://")):
        return f"the memento URL {shown!r} is not http(s)"
    if not on_hosts(memento_url, hosts):
        return f"the memento URL {shown!r} is not on the archive's hosts ({', '.join(hosts)})"
    return None


def _embedded_page(memento_url: str) -> str | None:
    """The page a Wayback-style memento URL names (``…/20190302101500/https://page``)."""
    embedded = _EMBEDDED.search(memento_url)
    if embedded is None:
        return None
    return re.sub(r"^(https?:)/+", r"\1//", embedded.group(1), flags=re.IGNORECASE)


def memento_problem(memento_url: object, url: str, hosts: Sequence[str]) -> str | None:
    """Why ``memento_url`` must not be taken as an archive's copy of ``url``, or None.

    It must be an http(s) URL no longer than a cited URL may be, with nothing a
    document would need to escape, on one of the archive's ``hosts``; one that names
    the page it is a copy of (``…/20190302101500/https://page``) must name ``url``.
    """
    problem = _quick_problem(memento_url, hosts)
    if problem is not None:
        return problem
    assert isinstance(memento_url, str)
    shown = memento_url[:80] + ("..." if len(memento_url) > 80 else "")
    try:
        parts = urlsplit(normalize_url(memento_url))
    except (InvalidURLError, ValueError):
        return f"the memento URL {shown!r} is not a valid URL"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"the memento URL {shown!r} is not http(s)"
    embedded = _embedded_page(memento_url)
    if embedded is not None and not same_page(embedded, url):
        return f"the memento URL {shown!r} is a copy of another page"
    return None


def _from_links(body: bytes, archive: str, url: str) -> list[tuple[object, object]]:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ArchiveError(f"{archive}'s TimeMap is not UTF-8 text: {body[:60]!r}") from exc
    return [
        (uri, params.get("datetime"))
        for uri, params in parse_link_format(text)
        if "memento" in params.get("rel", "").split()
    ]


def _from_json(body: bytes, archive: str) -> list[tuple[object, object]]:
    answer = parse_json(body, what=f"{archive}'s TimeMap")
    mementos = answer.get("mementos") if isinstance(answer, dict) else None
    listed = mementos.get("list") if isinstance(mementos, dict) else None
    if not isinstance(listed, list):
        raise ArchiveError(f"{archive}'s JSON TimeMap has no mementos.list")
    return [
        (entry.get("uri"), entry.get("datetime")) for entry in listed if isinstance(entry, dict)
    ]


def parse_timemap(
    body: bytes,
    *,
    archive: str,
    url: str,
    hosts: Sequence[str],
    json_format: bool = False,
) -> tuple[list[Snapshot], int]:
    """The mementos of ``url`` a TimeMap lists (status unknown until verified), and how
    many entries were refused (another host, another page, a malformed date).

    An empty body is "no mementos"; one that is not a TimeMap at all raises
    ArchiveError; so does one whose every memento is refused: that is not "none".
    Each entry gets the cheap checks of :func:`memento_problem` (a TimeMap may list
    tens of thousands); the few kept as candidates get all of them
    (:func:`memento_problem`) before they are used.
    """
    if not body.strip():
        return [], 0
    listed = _from_json(body, archive) if json_format else _from_links(body, archive, url)
    original = normalize_url(url)
    pages: dict[str, bool] = {}  # the pages mementos name -> whether it is this one
    found = []
    for memento_url, when in listed:
        moment = parse_memento_datetime(when)
        if moment is None or _quick_problem(memento_url, hosts) is not None:
            continue
        assert isinstance(memento_url, str)
        embedded = _embedded_page(memento_url)
        if embedded is not None:
            if embedded not in pages and len(pages) < MAX_PAGES_NAMED:
                pages[embedded] = same_page(embedded, url)
            if not pages.get(embedded, False):
                continue
        found.append(
            Snapshot(
                timestamp=cdx_timestamp(moment),
                original=original,
                archive=archive,
                memento_url=memento_url,
                found_by="timemap",
            )
        )
    refused = len(listed) - len(found)
    if listed and not found:
        raise ArchiveError(f"{archive}'s TimeMap lists {len(listed)} mementos, none well formed")
    return found, refused


def nearest(mementos: Iterable[Snapshot], anchor: datetime, per_side: int) -> list[Snapshot]:
    """The ``per_side`` mementos closest before ``anchor`` (at it included) and after
    it: the only ones the choice rule could pick, so the only ones kept."""
    mark = cdx_timestamp(anchor)
    unique = {memento.timestamp: memento for memento in mementos}
    ordered = sorted(unique.values(), key=lambda memento: memento.timestamp)
    before = [memento for memento in ordered if memento.timestamp <= mark]
    after = [memento for memento in ordered if memento.timestamp > mark]
    return before[-per_side:] + after[:per_side]


def stored_memento_problem(
    url: str, timestamp: str | None, memento_url: str | None, hosts: Sequence[str]
) -> str | None:
    """Why a stored look-up's memento of another archive must not be used, or None."""
    if not is_timestamp(timestamp):
        return f"the stored capture time {timestamp!r:.40} is not a timestamp"
    return memento_problem(memento_url, url, hosts)
