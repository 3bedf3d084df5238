"""A response's body as a fetch reads it: never more than a cap of decoded bytes,
small unread bodies drained so that their connection is kept, and the fields by
lower-case name."""

from __future__ import annotations

import asyncio
import contextlib
import typing
import zlib
from collections.abc import AsyncIterable, Mapping

from .errors import lower_layer_errors
from .inflate import Inflater

if typing.TYPE_CHECKING:
    import httpx

#: Unread bodies up to this size are read to the end to keep their connection alive.
_DISCARDED_BODY_BYTES = 64 * 1024
_DISCARD_TIMEOUT_S = 0.5


def lower_headers(headers: httpx.Headers) -> dict[str, str]:
    """Fields by lower-case name, repeated ones joined, decoded as httpx decodes
    them (``multi_items``, which asks for the encoding once per field)."""
    return _joined(headers.raw, headers.encoding)


def lower_fields(fields: list[tuple[bytes, bytes]]) -> dict[str, str]:
    """:func:`lower_headers` of the ``httpx.Headers`` of ``fields`` (as received),
    without building them: the same encoding (ASCII, else UTF-8 if every name and
    value is UTF-8, else ISO-8859-1, as ``httpx.Headers.encoding`` chooses)."""
    if all(name.isascii() and value.isascii() for name, value in fields):
        return _joined(fields, "ascii")
    try:
        for name, value in fields:
            name.decode("utf-8")
            value.decode("utf-8")
    except UnicodeDecodeError:
        return _joined(fields, "iso-8859-1")
    return _joined(fields, "utf-8")


def _joined(fields: list[tuple[bytes, bytes]], encoding: str) -> dict[str, str]:
    joined: dict[str, str] = {}
    for name, raw_value in fields:
        key = name.decode(encoding).lower()
        value = raw_value.decode(encoding)
        joined[key] = f"{joined[key]}, {value}" if key in joined else value
    return joined


def raw_body(response: httpx.Response) -> AsyncIterable[bytes]:
    """The body as received. The stream itself: ``aiter_raw`` adds a re-chunker, a
    byte count and an error context per chunk, none of which a fetch uses (a
    stream that cannot be read asynchronously goes through it, to fail as it says).
    Either way, closing the response ends the exchange."""
    import httpx  # an httpx response: httpx is loaded

    stream = response.stream
    return stream if isinstance(stream, httpx.AsyncByteStream) else response.aiter_raw()


async def discard_small_body(body: AsyncIterable[bytes], headers: Mapping[str, str]) -> None:
    """Read and drop a small body (a redirect's, a 503's) so that the connection can
    be used again: closing a response with its body unread closes the connection."""
    length = headers.get("content-length", "")
    if not (length.isdigit() and int(length) <= _DISCARDED_BODY_BYTES):
        return
    # Briefly, and whatever goes wrong: the answer is already known.
    with contextlib.suppress(TimeoutError, *lower_layer_errors()):
        async with asyncio.timeout(_DISCARD_TIMEOUT_S):
            async for _ in body:
                pass


async def read_capped(
    raw: AsyncIterable[bytes], inflater: Inflater, cap: int, body: bytearray
) -> tuple[bytes, bool, str | None]:
    """Up to ``cap`` decoded bytes of the body received as ``raw``, gathered in
    ``body`` as they come (what was read survives a deadline that ends the read);
    returns them, whether there was more, and why the rest could not be read."""
    async for chunk in raw:
        try:
            decoded = inflater.feed(chunk, cap - len(body) + 1)
        except zlib.error as exc:
            return bytes(body), True, f"the body could not be decompressed: {exc}"
        body += decoded
        if len(body) > cap:
            del body[cap:]
            return bytes(body), True, None
    return bytes(body), False, None


__all__ = ["discard_small_body", "lower_fields", "lower_headers", "raw_body", "read_capped"]
