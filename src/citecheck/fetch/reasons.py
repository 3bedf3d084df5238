"""The one place where lower-layer failures become a :class:`~citecheck.models.Reason`
and a sentence a person reads: httpx's exceptions, TLS errors, the
transport's own refusals, and the URLs httpx itself would refuse to send.
"""

from __future__ import annotations

import ssl
from collections.abc import Iterator

import httpx

from ..models import Reason
from .request import request_url
from .transport import PolicyConnectError

_DISCONNECTED = "Server disconnected without sending a response"


def _exception_chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def reason_for(exc: BaseException) -> tuple[Reason, str]:
    """The one place where lower-layer errors become a Reason and a human sentence."""
    for link in _exception_chain(exc):
        if isinstance(link, PolicyConnectError):
            return link.reason, str(link)
    for link in _exception_chain(exc):
        if isinstance(link, ssl.SSLError):
            return Reason.TLS_ERROR, f"the TLS handshake failed: {link}"
    message = next((str(link) for link in _exception_chain(exc) if str(link)), repr(exc))
    if isinstance(exc, httpx.TimeoutException):
        return Reason.TIMEOUT, f"the server did not answer in time ({type(exc).__name__})"
    if isinstance(exc, httpx.RemoteProtocolError) and message.startswith(_DISCONNECTED):
        return Reason.CONNECTION_ERROR, "the server closed the connection without answering"
    if isinstance(exc, httpx.UnsupportedProtocol):
        return Reason.UNSUPPORTED_SCHEME, message
    if isinstance(exc, httpx.ProtocolError):
        return Reason.PROTOCOL_ERROR, f"the server sent a malformed HTTP response: {message}"
    if isinstance(exc, httpx.InvalidURL):
        return Reason.INVALID_URL, message
    return Reason.CONNECTION_ERROR, f"the connection failed: {message}"


#: httpx refuses URLs longer than this (and the CDX index has none so long).
MAX_URL_LENGTH = 65_536


def client_refusal(url: str) -> tuple[Reason, str] | None:
    """Why the HTTP client cannot send a request to ``url`` (a normalised http(s)
    URL), or None. The boundary where a URL enters httpx: it checks host names by
    IDNA 2008, stricter than the IDNA 2003 browsers still accept for names such as
    ``xn--ls8h.la`` (an emoji domain), and refuses URLs over 64 KiB."""
    if len(url) > MAX_URL_LENGTH:
        return Reason.INVALID_URL, f"the URL is {len(url):,} characters long, too long to request"
    try:
        request_url(url).host  # noqa: B018 - decoding the host is the check
    except (httpx.InvalidURL, UnicodeError, ValueError) as exc:
        return Reason.UNSUPPORTED_HOST, f"the host name is refused by IDNA 2008 ({exc})"
    return None
