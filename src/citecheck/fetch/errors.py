"""The fetch layer's own exception tree, named and shaped after httpx's.

Why not httpx's classes: a check's fetches go straight to citecheck's pools
(exchange.py) and never use httpx's objects, yet raising httpx's exceptions meant
importing httpx (and with it ssl, email, http.cookiejar, urllib.request...) before
the first request: the largest single item of a check's start (issue 11,
BENCHMARKS.md "Eleventh step"). The pools (http11.py, connections.py, pools.py)
raise these; transport.py, the adapter for httpx's clients, turns them into httpx's
class of the same name at that boundary (:func:`citecheck.fetch.transport.to_httpx`),
so an httpx client still sees only httpx's exceptions; reasons.py maps both kinds to
a Reason in one place.

    FetchError
     ├── InvalidURL
     └── TransportError
          ├── TimeoutException
          │    ├── ConnectTimeout
          │    ├── ReadTimeout
          │    ├── WriteTimeout
          │    └── PoolTimeout
          ├── NetworkError
          │    ├── ConnectError
          │    │    └── PolicyConnectError (carries its Reason)
          │    ├── ReadError
          │    └── WriteError
          ├── ProtocolError
          │    ├── LocalProtocolError
          │    └── RemoteProtocolError
          └── UnsupportedProtocol
"""

from __future__ import annotations

import sys
import typing

if typing.TYPE_CHECKING:
    from ..models import Reason


class FetchError(Exception):
    """Any failure of the fetch layer below the client."""


class InvalidURL(FetchError):  # noqa: N818 - httpx's name
    """A URL the client cannot send a request to."""


class TransportError(FetchError):
    """A request that failed on its way or on the way back."""


class TimeoutException(TransportError):  # noqa: N818 - httpx's name
    pass


class ConnectTimeout(TimeoutException):
    pass


class ReadTimeout(TimeoutException):
    pass


class WriteTimeout(TimeoutException):
    pass


class PoolTimeout(TimeoutException):
    pass


class NetworkError(TransportError):
    pass


class ConnectError(NetworkError):
    pass


class ReadError(NetworkError):
    pass


class WriteError(NetworkError):
    pass


class ProtocolError(TransportError):
    pass


class LocalProtocolError(ProtocolError):
    pass


class RemoteProtocolError(ProtocolError):
    pass


class UnsupportedProtocol(TransportError):
    pass


class PolicyConnectError(ConnectError):
    """A connection the backend refused to make, or a name it could not resolve."""

    def __init__(self, message: str, reason: Reason) -> None:
        super().__init__(message)
        self.reason = reason


def lower_layer_errors() -> tuple[type[Exception], ...]:
    """The failures of a request a fetch turns into an outcome (reasons.reason_for): the
    fetch layer's, and httpx's when httpx is loaded. Use as ``except
    lower_layer_errors() as exc:`` (worked out only when something was raised)."""
    httpx = sys.modules.get("httpx")
    if httpx is None:
        return (TransportError, InvalidURL)
    return (TransportError, InvalidURL, httpx.TransportError, httpx.InvalidURL)


__all__ = [
    "ConnectError",
    "ConnectTimeout",
    "FetchError",
    "InvalidURL",
    "LocalProtocolError",
    "NetworkError",
    "PolicyConnectError",
    "PoolTimeout",
    "ProtocolError",
    "ReadError",
    "ReadTimeout",
    "RemoteProtocolError",
    "TimeoutException",
    "TransportError",
    "UnsupportedProtocol",
    "WriteError",
    "WriteTimeout",
    "lower_layer_errors",
]
