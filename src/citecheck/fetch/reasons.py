"""The one place where lower-layer failures become a :class:`~citecheck.models.Reason`
and a sentence a person reads: the fetch layer's exceptions (errors.py) and httpx's
of the same names (a fetch through an httpx transport: a test's mock, respx), TLS
errors, the transport's own refusals, and the URLs httpx itself would refuse to send.

Neither httpx nor ssl is imported here: an exception of theirs can only exist once
they are loaded, so each is looked for only then (a check over plain http loads
neither, issue 11).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator

from ..models import Reason
from . import errors
from .errors import PolicyConnectError
from .request import host_refusal

_DISCONNECTED = "Server disconnected without sending a response"


def _is(exc: BaseException, name: str) -> bool:
    """Whether ``exc`` is of errors.py's class ``name`` or of httpx's of that name."""
    if isinstance(exc, getattr(errors, name)):
        return True
    httpx = sys.modules.get("httpx")
    return httpx is not None and isinstance(exc, getattr(httpx, name))


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
    ssl = sys.modules.get("ssl")
    if ssl is not None:
        for link in _exception_chain(exc):
            if isinstance(link, ssl.SSLError):
                return Reason.TLS_ERROR, f"the TLS handshake failed: {link}"
    message = next((str(link) for link in _exception_chain(exc) if str(link)), repr(exc))
    if _is(exc, "TimeoutException"):
        return Reason.TIMEOUT, f"the server did not answer in time ({type(exc).__name__})"
    if _is(exc, "RemoteProtocolError") and message.startswith(_DISCONNECTED):
        return Reason.CONNECTION_ERROR, "the server closed the connection without answering"
    if _is(exc, "UnsupportedProtocol"):
        return Reason.UNSUPPORTED_SCHEME, message
    if _is(exc, "ProtocolError"):
        return Reason.PROTOCOL_ERROR, f"the server sent a malformed HTTP response: {message}"
    if _is(exc, "InvalidURL"):
        return Reason.INVALID_URL, message
    return Reason.CONNECTION_ERROR, f"the connection failed: {message}"


#: httpx refuses URLs longer than this (and the CDX index has none so long).
MAX_URL_LENGTH = 65_536


def client_refusal(url: str) -> tuple[Reason, str] | None:
    """Why the HTTP client cannot send a request to ``url`` (a normalised http(s)
    URL), or None. The boundary where a URL enters httpx: it checks host names by
    IDNA 2008, stricter than the IDNA 2003 browsers still accept for names such as
    ``xn--ls8h.la`` (an emoji domain), and refuses URLs over 64 KiB. The same answers
    as httpx's (request.host_refusal; tests/test_fetch_reasons.py compares them)."""
    if len(url) > MAX_URL_LENGTH:
        return Reason.INVALID_URL, f"the URL is {len(url):,} characters long, too long to request"
    refused = host_refusal(url)
    if refused is not None:
        return Reason.UNSUPPORTED_HOST, f"the host name is refused by IDNA 2008 ({refused})"
    return None
