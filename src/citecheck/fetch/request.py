"""The GET a fetch sends, built with no more work than its URL needs.

Why not ``httpx.Request(method, url)`` as it comes: it parses the URL again
(``httpx.URL``: a generator per character to look for control characters, regular
expressions, percent-encoding each part), copies the headers twice and works out a
body it does not have: together about a fifth of a fetch's CPU (issue 11,
BENCHMARKS.md). A fetch's URL is already normalised (urls.py), so most URLs are in a
shape whose parse is known in advance: :func:`request_url` builds those directly and
gives every other URL to httpx. The result is the same ``httpx.URL`` either way
(tests/test_fetch_request.py compares the two on many URLs, and
:func:`_fast_parse_works` checks it at import, falling back to httpx's parse for
good if this httpx spells its URLs differently).

A fetch over citecheck's own transport does not even build the ``httpx.Request``:
:meth:`RequestMaker.target` and :meth:`RequestMaker.head` give the origin, the
request target and the bytes of the head that transport.py would have made of it
(framing.request_head, with the same checks), from the same parse. For a URL of the
usual shape that parse needs no httpx at all (:func:`_simple_parts`), nor does
:func:`host_refusal`, httpx's verdict on the host (IDNA 2008, by the ``idna``
package httpx itself uses): a check over such URLs never imports httpx (issue 11).
Any other URL (an IPv6 literal, a character httpx would escape) goes through
httpx's own parse, imported then.
"""

from __future__ import annotations

import functools
import ipaddress
import re
import sys
import typing
from collections.abc import Mapping, Sequence

from . import errors
from .framing import asks_to_close
from .http11 import Origin, Timeouts

if typing.TYPE_CHECKING:
    import httpx

#: Parsed URLs remembered: a fetch parses its URL to vet it and again to send it.
_REMEMBERED_URLS = 1024
#: Hosts whose request headers are kept ready.
_REMEMBERED_HOSTS = 256

#: Characters that httpx leaves as they are in each part: RFC 3986's unreserved
#: characters and the WHATWG "safe" sets httpx quotes with (httpx/_urlparse.py), never
#: "%" (a percent-escape is checked on its own) nor white space or control characters.
_PATH_CHARS = r"A-Za-z0-9._~\-!$&'()*+,;=:@/\[\]\\^|"
_QUERY_CHARS = _PATH_CHARS + "?`{}"
_ESCAPE = "%[0-9A-Fa-f]{2}"
#: An absolute http(s) URL that needs no work from httpx's parse: a lower-case ASCII
#: host name (no user info, no IP literal in brackets), an optional port, a path
#: starting with "/", an optional query, no fragment.
_SIMPLE_URL = re.compile(
    rf"(?P<scheme>https?)://(?P<host>[a-z0-9._~-]+)(?::(?P<port>[0-9]{{1,5}}))?"
    rf"(?P<path>/(?:[{_PATH_CHARS}]|{_ESCAPE})*)"
    rf"(?:\?(?P<query>(?:[{_QUERY_CHARS}]|{_ESCAPE})*))?"
)
_IPV4_STYLE = re.compile(r"[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+")
_DEFAULT_PORTS = {"http": 80, "https": 443}
#: httpx refuses longer URLs.
_MAX_URL_LENGTH = 65_536


@functools.lru_cache(maxsize=256)
def _is_ipv4(host: str) -> bool:
    try:
        ipaddress.IPv4Address(host)
    except ValueError:
        return False
    return True


class _Parts(typing.NamedTuple):
    scheme: str
    host: str
    port: int | None
    path: str
    query: str | None


def _simple_parts(url: str) -> _Parts | None:
    """The parts of ``url`` as ``httpx.URL(url)`` keeps them, for a URL of the
    simple shape whose parse httpx would accept; None for any other."""
    match = _SIMPLE_URL.fullmatch(url) if len(url) <= _MAX_URL_LENGTH else None
    if match is None:
        return None
    scheme, host, port_text, path, query = match.group("scheme", "host", "port", "path", "query")
    if _IPV4_STYLE.fullmatch(host) and not _is_ipv4(host):
        return None  # httpx refuses it: let it say why
    if "." in path:
        segments = path.split("/")
        if "." in segments or ".." in segments:
            return None  # httpx drops dot segments
    port = None if port_text is None else int(port_text)
    if port == _DEFAULT_PORTS[scheme]:
        port = None
    return _Parts(scheme, host, port, path, query)


def _fast_parse(url: str) -> httpx.URL | None:
    """``httpx.URL(url)`` for a URL of the simple shape, None for any other."""
    parts = _simple_parts(url)
    if parts is None:
        return None
    import httpx

    parsed = _parse_result()(
        parts.scheme, "", parts.host, parts.port, parts.path, parts.query, None
    )
    result = httpx.URL.__new__(httpx.URL)
    result._uri_reference = parsed  # noqa: SLF001 - what httpx.URL(url) itself sets
    return result


def _parse_result() -> typing.Any:
    return getattr(getattr(sys.modules["httpx"], "_urlparse", None), "ParseResult", None)


@functools.cache
def _fast_parse_works() -> bool:
    """Whether this httpx keeps a URL as the fast parse builds it (checked once,
    when httpx's parse is first asked for)."""
    import httpx

    if _parse_result() is None:
        return False
    samples = (
        "http://example.org/",
        "https://www.example.org:8443/a/b.html?q=1&r=%C3%A9",
        "http://127.0.0.1:80/x;y=z",
    )
    try:
        for sample in samples:
            fast = _fast_parse(sample)
            slow = httpx.URL(sample)
            if fast is None or fast != slow or fast._uri_reference != slow._uri_reference:  # noqa: SLF001
                return False
            if (fast.raw_path, fast.raw_host, fast.port, fast.netloc) != (
                slow.raw_path,
                slow.raw_host,
                slow.port,
                slow.netloc,
            ):
                return False
    except Exception:  # noqa: BLE001 - any surprise: use httpx's own parse
        return False
    return True


@functools.lru_cache(maxsize=_REMEMBERED_URLS)
def request_url(url: str) -> httpx.URL:
    """httpx's parse of ``url`` (immutable): built directly for the usual shape of
    a normalised URL, by ``httpx.URL`` for any other. Raises as httpx.URL does."""
    import httpx

    if _fast_parse_works():
        fast = _fast_parse(url)
        if fast is not None:
            return fast
    return httpx.URL(url)


def host_refusal(url: str) -> str | None:
    """Why httpx would refuse the host of ``url`` (its parse, then its ``.host``,
    which decodes an ``xn--`` host by IDNA 2008), or None. Without httpx for a URL
    of the simple shape: its host is then lower-case ASCII, which httpx takes as it
    is, unless it starts with ``xn--``."""
    parts = _simple_parts(url)
    if parts is not None:
        if not parts.host.startswith("xn--"):
            return None
        import idna  # what httpx decodes with

        try:
            idna.decode(parts.host)
        except (UnicodeError, ValueError) as exc:  # idna.IDNAError is a UnicodeError
            return str(exc)
        return None
    import httpx

    try:
        request_url(url).host  # noqa: B018 - decoding the host is the check
    except (httpx.InvalidURL, UnicodeError, ValueError) as exc:
        return str(exc)
    return None


_ACCEPT = "text/html,application/xhtml+xml,application/pdf;q=0.9,*/*;q=0.8"
_ACCEPT_LANGUAGE = "en;q=0.9, *;q=0.5"
_ACCEPT_ENCODING = "gzip, deflate"


def client_headers(user_agent: str) -> dict[str, str]:
    """The headers of the Fetcher's client, sent with every GET."""
    return {
        "User-Agent": user_agent,
        "Accept": _ACCEPT,
        "Accept-Language": _ACCEPT_LANGUAGE,
        "Accept-Encoding": _ACCEPT_ENCODING,
    }


def conditional_headers(etag: str | None, last_modified: str | None) -> dict[str, str]:
    """The fields that make a GET conditional on a page's stored validators."""
    conditional: dict[str, str] = {}
    if etag and _sendable(etag):
        conditional["If-None-Match"] = etag
    if last_modified and _sendable(last_modified):
        conditional["If-Modified-Since"] = last_modified
    return conditional


def _sendable(validator: str) -> bool:
    """Whether a stored validator (a page's ETag or Last-Modified) can be sent back
    as it was received: visible ASCII and spaces only. A server may send others
    (UTF-8 or Latin-1 bytes, which the store keeps decoded); such a link is then
    fetched unconditionally, as if it had none, rather than failing every night."""
    return validator.isascii() and validator.isprintable()


def request_fields(headers: Mapping[str, str]) -> list[tuple[bytes, bytes]]:
    """The fields of every GET after its Host: those of an ``httpx.AsyncClient``
    made with ``headers`` (``client.headers.raw``: httpx's own Connection field,
    then ``headers``, which replace httpx's other defaults), without making it
    (tests/test_fetch_request.py holds the two equal)."""
    fields = [(b"Connection", b"keep-alive")]
    fields += [(name.encode("ascii"), value.encode("ascii")) for name, value in headers.items()]
    return fields


class Target(typing.NamedTuple):
    """Where a GET goes: its origin (the pool's key) and request target, and the
    value of its Host field."""

    origin: Origin
    path: bytes
    netloc: bytes


@functools.lru_cache(maxsize=_REMEMBERED_URLS)
def _target(url: str) -> Target:
    parts = _simple_parts(url)
    if parts is not None:  # as httpx's parse would give it, without httpx
        scheme, host, port = parts.scheme, parts.host, parts.port
        path = parts.path if parts.query is None else f"{parts.path}?{parts.query}"
        netloc = host if port is None else f"{host}:{port}"
        origin = Origin(scheme, host, port or _DEFAULT_PORTS[scheme])
        return Target(origin, path.encode("ascii"), netloc.encode("ascii"))
    parsed = request_url(url)
    scheme = parsed.scheme
    port = parsed.port or _DEFAULT_PORTS.get(scheme, 0)
    origin = Origin(scheme, parsed.raw_host.decode("ascii"), port)
    return Target(origin, parsed.raw_path, parsed.netloc)


def _refused_by_httpx(exc: Exception) -> bool:
    """Whether ``exc`` is httpx's refusal of a URL (httpx is loaded if it parsed)."""
    httpx = sys.modules.get("httpx")
    return httpx is not None and isinstance(exc, httpx.InvalidURL)


@functools.cache
def _no_body() -> httpx.ByteStream:
    """The empty body of every GET (one for all: it holds nothing)."""
    import httpx

    return httpx.ByteStream(b"")


class RequestMaker:
    """Builds a fetch's GETs: the client's headers after ``Host``, as httpx's own
    ``Request`` puts them, and the client's timeouts; as an ``httpx.Request``
    (:meth:`make`) or as the bytes of its head (:meth:`target`, :meth:`head`).
    ``fields`` are the client's headers as ``httpx.Headers.raw`` gives them."""

    def __init__(
        self, fields: Sequence[tuple[bytes, bytes]], timeouts: Mapping[str, float | None]
    ) -> None:
        self._headers = list(fields)
        self._extensions = {"timeout": dict(timeouts)}
        # A request copies the headers it is given: the same ones serve every
        # request to a host.
        self._by_host: dict[bytes, httpx.Headers] = {}
        self._fields = b"".join(name + b": " + value + b"\r\n" for name, value in self._headers)
        self._fields_by_host: dict[bytes, bytes] = {}
        #: Whether the client's headers say Connection: close (then no head keeps
        #: its connection).
        self.closes = asks_to_close(self._headers)
        self.timeouts = Timeouts(*(timeouts.get(kind) for kind in Timeouts._fields))

    def target(self, url: str) -> Target:
        """Where the GET for ``url`` goes; raises :class:`~.errors.InvalidURL` as
        :meth:`make` does."""
        try:
            return _target(url)
        except (UnicodeError, ValueError) as exc:
            raise errors.InvalidURL(f"cannot request this URL: {exc}") from exc
        except Exception as exc:
            if not _refused_by_httpx(exc):
                raise
            raise errors.InvalidURL(str(exc)) from exc

    def _fields_to(self, netloc: bytes) -> bytes:
        fields = self._fields_by_host.get(netloc)
        if fields is None:
            fields = b"Host: " + netloc + b"\r\n" + self._fields
            # The fields are joined by len(headers) + 1 line ends: any more were in
            # a name or a value.
            if (
                fields.count(b"\n") > len(self._headers) + 1
                or fields.count(b"\r") > len(self._headers) + 1
            ):
                raise errors.LocalProtocolError("a request header holds a line break")
            if len(self._fields_by_host) >= _REMEMBERED_HOSTS:
                self._fields_by_host.clear()
            self._fields_by_host[netloc] = fields
        return fields

    def head(self, target: Target, extra_headers: Mapping[str, str]) -> bytes:
        """The bytes of the head of the GET to ``target`` with ``extra_headers``
        after the client's: those framing.request_head makes of :meth:`make`'s
        request, and refused for the same reasons."""
        fields = self._fields_to(target.netloc)
        if extra_headers:
            extra = b"".join(
                name.encode("ascii") + b": " + value.encode("ascii") + b"\r\n"
                for name, value in extra_headers.items()
            )
            if extra.count(b"\n") > len(extra_headers) or extra.count(b"\r") > len(extra_headers):
                raise errors.LocalProtocolError("a request header holds a line break")
            fields += extra
        path = target.path
        if b"\r" in path or b"\n" in path or b" " in path:
            raise errors.LocalProtocolError("the request target holds white space")
        return b"GET " + path + b" HTTP/1.1\r\n" + fields + b"\r\n"

    def _headers_to(self, netloc: bytes) -> httpx.Headers:
        import httpx

        headers = self._by_host.get(netloc)
        if headers is None:
            if len(self._by_host) >= _REMEMBERED_HOSTS:
                self._by_host.clear()
            headers = self._by_host[netloc] = httpx.Headers([(b"Host", netloc), *self._headers])
        return headers

    def make(self, url: str, extra_headers: Mapping[str, str]) -> httpx.Request:
        """The GET for ``url`` with ``extra_headers`` after the client's, as an
        ``httpx.Request`` (for an httpx transport or a cookie jar: httpx is imported
        then); raises :class:`~.errors.InvalidURL` for a URL httpx refuses."""
        import httpx

        try:
            parsed = request_url(url)
        except (UnicodeError, ValueError) as exc:
            raise errors.InvalidURL(f"cannot request this URL: {exc}") from exc
        except httpx.InvalidURL as exc:
            raise errors.InvalidURL(str(exc)) from exc
        headers = self._headers_to(parsed.netloc)
        if extra_headers:
            headers = httpx.Headers([*headers.raw, *extra_headers.items()])
        request = httpx.Request(
            "GET", parsed, headers=headers, stream=_no_body(), extensions=self._extensions
        )
        # What request.read() sets, as httpx.Request does for a body given as bytes
        # (read() itself costs a quarter of building the request).
        request._content = b""  # noqa: SLF001

        return request


__all__ = [
    "RequestMaker",
    "Target",
    "client_headers",
    "conditional_headers",
    "host_refusal",
    "request_fields",
    "request_url",
]
