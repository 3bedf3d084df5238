"""The HTTP client (``client.py``), its connection policy (``transport.py``, over
``addresses.py``), the mapping of lower-layer errors to a Reason (``reasons.py``) and
its bounded decoding of compressed bodies (``inflate.py``)."""

from __future__ import annotations

from .client import RETRYABLE_STATUSES, Fetcher

__all__ = ["RETRYABLE_STATUSES", "Fetcher"]
