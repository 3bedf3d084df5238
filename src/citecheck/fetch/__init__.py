"""The HTTP client (``client.py``, what one fetch has seen and its deadline in
``progress.py``, the GET it sends in ``request.py`` and ``exchange.py``, the body it
reads in ``body.py``); where it may connect (``policy.py``, over ``addresses.py``;
TLS in ``tls.py``) and the small pools per origin (``pools.py``, over
``connections.py``) that speak HTTP/1.1 (``http11.py``, its messages in
``framing.py``); the fetch layer's exceptions (``errors.py``) and their mapping to a
Reason (``reasons.py``); httpx's transport interface over the same pools, for
httpx's clients (``transport.py``); what is tried again and after how long
(``retries.py``); the bounded decoding of compressed bodies (``inflate.py``)."""

from __future__ import annotations

from .client import RETRYABLE_STATUSES, Budget, Fetcher

__all__ = ["RETRYABLE_STATUSES", "Budget", "Fetcher"]
