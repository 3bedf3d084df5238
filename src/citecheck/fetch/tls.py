"""The TLS context of a check's https connections, made on the first of them.

The same context httpx's ``create_ssl_context(trust_env=False)`` makes (certifi's
authorities, Python's default client settings: certificate and host name checked),
without importing httpx for it; ``ssl`` and certifi are imported only here, when a
TLS connection is about to be made.
"""

from __future__ import annotations

import typing

if typing.TYPE_CHECKING:
    import ssl


def verified_context() -> ssl.SSLContext:
    """A new client context that checks certificates against certifi's authorities."""
    import ssl

    import certifi

    return ssl.create_default_context(cafile=certifi.where())


__all__ = ["verified_context"]
