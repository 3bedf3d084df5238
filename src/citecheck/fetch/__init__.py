"""The HTTP client (``client.py``); its connection policy (``transport.py``, over
``addresses.py``) and the small pools per origin under httpx (``connections.py``);
the mapping of lower-layer errors to a Reason (``reasons.py``); what is tried again
and after how long (``retries.py``); the bounded decoding of compressed bodies
(``inflate.py``)."""

from __future__ import annotations

from .client import RETRYABLE_STATUSES, Budget, Fetcher

__all__ = ["RETRYABLE_STATUSES", "Budget", "Fetcher"]
