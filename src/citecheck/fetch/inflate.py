"""Content-Encoding decoded by hand, never producing more than asked for.

httpx would inflate a gzip body without bound, so a small "gzip bomb" could fill
memory; here ``zlib``'s ``max_length`` bounds every step.
"""

from __future__ import annotations

import zlib


class Inflater:
    """Decodes a Content-Encoding without ever producing more than asked for."""

    def __init__(self, encoding: str) -> None:
        self._identity = encoding in ("", "identity")
        self._deflate = encoding == "deflate"
        # 32 + MAX_WBITS: accept both gzip and zlib headers.
        self._zlib = None if self._identity else zlib.decompressobj(32 + zlib.MAX_WBITS)
        self._started = False

    def feed(self, data: bytes, max_length: int) -> bytes:
        """At most ``max_length`` (>= 1) decoded bytes of ``data``; raises zlib.error."""
        if self._zlib is None:
            return data[:max_length]
        if self._deflate and not self._started:
            self._started = True
            try:
                return self._inflate(data, max_length)
            except zlib.error:
                # Some servers send raw deflate without the zlib header.
                self._zlib = zlib.decompressobj(-zlib.MAX_WBITS)
        return self._inflate(data, max_length)

    def _inflate(self, data: bytes, max_length: int) -> bytes:
        assert self._zlib is not None
        out = self._zlib.decompress(data, max_length)
        while len(out) < max_length and self._zlib.unconsumed_tail:
            out += self._zlib.decompress(self._zlib.unconsumed_tail, max_length - len(out))
        return out


def inflater_for(content_encoding: str | None) -> Inflater | None:
    encoding = (content_encoding or "").strip().lower()
    if encoding in ("", "identity", "gzip", "x-gzip", "deflate"):
        return Inflater("gzip" if encoding == "x-gzip" else encoding)
    return None
