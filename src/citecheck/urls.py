"""URL validation and normalisation: the identity of a link.

Two citations of the same page must land on the same ``links`` row, so the key is
a normalised form: scheme and host lower-cased, the host IDNA-encoded, the default
port and the fragment dropped, an empty path written as ``/``, and percent-escapes
of unreserved characters decoded. Query strings are kept as they are: their order
and spelling can matter to the server.
"""

from __future__ import annotations

import functools
import re
import sys
from urllib.parse import SplitResult, urlsplit, urlunsplit

from .errors import InvalidURLError

CHECKABLE_SCHEMES = frozenset({"http", "https"})
_DEFAULT_PORTS = {"http": 80, "https": 443}
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
# \s is str.isspace's set (both are Py_UNICODE_ISSPACE); one search, not a loop per
# character in Python.
_SPACE_OR_CONTROL = re.compile(r"[\s\x00-\x1f]")
_PERCENT = re.compile(r"%([0-9A-Fa-f]{2})")
# Underscores are not valid in host names but real sites use them: accept, never judge.
_HOST_LABEL = re.compile(r"^(?!-)[a-z0-9_-]{1,63}(?<!-)$")


def _decode_unreserved(part: str) -> str:
    def repl(match: re.Match[str]) -> str:
        char = chr(int(match.group(1), 16))
        return char if char in _UNRESERVED else "%" + match.group(1).upper()

    return _PERCENT.sub(repl, part)


def _normalise_host(host: str) -> str:
    host = host.rstrip(".").lower()
    if not host:
        raise InvalidURLError("the URL has no host")
    if ":" in host or re.fullmatch(r"[0-9.]+", host):
        return host  # an IP address
    try:
        ascii_host = host.encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise InvalidURLError(f"the host {host!r} is not a valid domain name") from exc
    labels = ascii_host.split(".")
    if not all(_HOST_LABEL.match(label) and _is_valid_a_label(label) for label in labels):
        raise InvalidURLError(f"the host {host!r} is not a valid domain name")
    return ascii_host


def _is_valid_a_label(label: str) -> bool:
    """False for an ``xn--`` label that is not Punycode of anything (``xn--zz``,
    ``xn--``): no browser can open such a name either."""
    if not label.startswith("xn--"):
        return True
    try:
        label.encode("ascii").decode("idna")
    except UnicodeError:
        return False
    return True


_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*", re.ASCII)


def scheme_of(url: str) -> str:
    """The URL's scheme, lower-cased ('' when it has none). Never raises, unlike
    ``urlsplit`` (``A://[`` is "Invalid IPv6 URL" to it)."""
    if url.startswith("https://"):  # a key's scheme, without taking it apart
        return "https"
    if url.startswith("http://"):
        return "http"
    scheme, colon, _ = url.strip().partition(":")
    return scheme.lower() if colon and _SCHEME.fullmatch(scheme) else ""


#: URLs whose keys are remembered: a link's key is asked for several times in a row
#: (loading, checking, recording it), and working it out is 2-4% of a check's CPU.
_REMEMBERED_KEYS = 4096


#: The shape of a URL that is its own key, as most cited URLs are: a lower-case
#: http(s) scheme and host (no ``xn--`` label, checked apart), no user, a port other
#: than 80 or 443 if any, a path and an optional non-empty query of characters that
#: need no escaping, no ``%``, no fragment. Recognising it costs a tenth of taking
#: the URL apart (issue 11: loading 20,000 sources was mostly normalize_url).
_ALREADY_NORMAL = re.compile(
    r"https?://(?P<host>(?:(?!-)[a-z0-9_-]{1,63}(?<!-)\.)*(?!-)[a-z0-9_-]{1,63}(?<!-))"
    r"(?::(?P<port>[1-9][0-9]{0,4}))?"
    r"/[A-Za-z0-9._~!$&'()*+,;=:@/-]*"
    r"(?:\?[A-Za-z0-9._~!$&'()*+,;=:@/?-]+)?"
)


def _is_already_normal(url: str) -> bool:
    match = _ALREADY_NORMAL.fullmatch(url)
    if match is None or "xn--" in match["host"]:
        return False
    port = match["port"]
    return port is None or (port not in ("80", "443") and int(port) <= 65535)


@functools.lru_cache(maxsize=_REMEMBERED_KEYS)
def normalize_url(url: str) -> str:
    """The canonical key of an http(s) URL; raises InvalidURLError if it has none.

    URLs with other schemes (mailto:, ftp:) are returned stripped but otherwise as
    they are: they are recorded and reported as skipped, never fetched. (An answer
    is remembered for the latest URLs; an error is worked out again each time.)
    """
    if _is_already_normal(url):
        return url
    return _normalize(url)


def _normalize(url: str) -> str:
    """:func:`normalize_url` the long way, for any URL."""
    text = url.strip()
    if not text:
        raise InvalidURLError("the URL is empty")
    if _SPACE_OR_CONTROL.search(text):
        raise InvalidURLError(f"the URL {text!r} contains white space or control characters")
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as exc:
        raise InvalidURLError(f"{text!r} is not a valid URL: {exc}") from exc
    scheme = parts.scheme.lower()
    if scheme not in CHECKABLE_SCHEMES:
        if not scheme:
            raise InvalidURLError(f"{text!r} has no scheme (expected http:// or https://)")
        return text
    if not parts.hostname:
        raise InvalidURLError(f"{text!r} has no host")
    host = _normalise_host(parts.hostname)
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    netloc = host
    if parts.username or parts.password:
        userinfo = parts.username or ""
        if parts.password:
            userinfo += ":" + parts.password
        netloc = f"{userinfo}@{host}"
    if port is not None and port != _DEFAULT_PORTS[scheme]:
        netloc += f":{port}"
    path = _decode_unreserved(parts.path) or "/"
    query = _decode_unreserved(parts.query)
    return urlunsplit(SplitResult(scheme, netloc, path, query, ""))


#: An absolute http(s) URL whose host is plain lower-case ASCII (no user info, no
#: IP literal in brackets, no escapes), with an optional port, up to the end of its
#: authority: the shape of nearly every key. Of such a URL, ``urlsplit``'s hostname
#: is the host as written (tests/test_urls.py holds the two equal).
_PLAIN_AUTHORITY = re.compile(r"https?://([a-z0-9._-]+)(?::[0-9]*)?(?=[/?#]|\Z)")


def hostname(url: str) -> str | None:
    """``urlsplit(url).hostname or ""``, or None where ``urlsplit`` raises
    ValueError: read off the URL with one match for the usual shape (a fifth or
    less of ``urlsplit``'s time, and no tuples), split in full for any other."""
    match = _PLAIN_AUTHORITY.match(url)
    if match is not None:
        return match[1]
    try:
        return urlsplit(url).hostname or ""
    except ValueError:
        return None


@functools.lru_cache(maxsize=_REMEMBERED_KEYS)
def host_key(url: str) -> str:
    """The host that politeness limits apply to (lower-case, without port); "" when
    the URL has none, or is not a URL ``urlsplit`` can read (no host to be polite to).

    Remembered like :func:`normalize_url`: a link's host is asked for by the
    dispatcher and by every request's lane. (Not sized to the dispatcher's window: a
    least-recently-used cache would need twice the window, as the links checked stay
    in it, and :func:`hostname` makes a miss cheap.) Hosts are interned: every URL
    of a host shares one string, as the lanes' and the dispatcher's keys.
    """
    host = hostname(url)
    return sys.intern(host.lower()) if host else ""
