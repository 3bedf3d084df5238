"""HTTP/1.1 messages as http11.py writes and reads them (RFC 9112): the bytes of a
request's head, and how a response's body is framed and whether its connection
can be kept after it. A fetch builds its request heads itself (request.py), with the
same checks as :func:`request_head`."""

from __future__ import annotations

import typing

from . import errors

if typing.TYPE_CHECKING:
    import httpx

_NO_BODY_STATUSES = frozenset({204, 304})


def request_head(request: httpx.Request, body_length: int | None) -> bytes:
    raw = request.headers.raw
    fields = b"\r\n".join([name + b": " + value for name, value in raw])
    # Joined by len(raw) - 1 line breaks: any more were in a name or a value.
    if raw and (fields.count(b"\n") >= len(raw) or fields.count(b"\r") >= len(raw)):
        raise errors.LocalProtocolError("a request header holds a line break")
    target = request.url.raw_path
    if b"\r" in target or b"\n" in target or b" " in target:
        raise errors.LocalProtocolError("the request target holds white space")
    head = request.method.encode("ascii") + b" " + target + b" HTTP/1.1\r\n"
    if fields:
        head += fields + b"\r\n"
    if body_length and not any(
        name.lower() in (b"content-length", b"transfer-encoding") for name, _ in raw
    ):
        head += b"Content-Length: " + str(body_length).encode() + b"\r\n"
    return head + b"\r\n"


async def request_body(request: httpx.Request) -> bytes:
    import httpx  # an httpx request: httpx is loaded

    try:
        return request.content  # a request made with its content has read it
    except httpx.RequestNotRead:
        return await request.aread()


class Head(typing.NamedTuple):
    status: int
    reason: bytes
    version: bytes
    headers: list[tuple[bytes, bytes]]


def asks_to_close(fields: list[tuple[bytes, bytes]]) -> bool:
    """Whether a request's header fields say ``Connection: close``."""
    return any(
        name.lower() == b"connection" and b"close" in value.lower() for name, value in fields
    )


def body_framing(head: Head, method: str, request_closes: bool) -> tuple[str, int, bool]:
    """How the body of the answer to a ``method`` request ends
    ("none"|"length"|"chunked"|"close"), its length, and whether the connection can be
    kept after it (one pass over the fields); ``request_closes``: the request said
    ``Connection: close``."""
    codings: list[bytes] = []
    lengths: set[bytes] = set()
    close = False
    for name, value in head.headers:
        lowered = name.lower()
        if lowered == b"transfer-encoding":
            codings.append(value)
        elif lowered == b"content-length":
            lengths.add(value.strip())
        elif lowered == b"connection" and b"close" in value.lower():
            close = True
    if method == "HEAD" or head.status in _NO_BODY_STATUSES or head.status < 200:
        framing, length = "none", 0
    elif codings:
        last = b",".join(codings).rsplit(b",", 1)[-1].strip().lower()
        framing, length = ("chunked", 0) if last == b"chunked" else ("close", 0)
    elif lengths:
        values = {part.strip() for value in lengths for part in value.split(b",")}
        if len(values) != 1 or not next(iter(values)).isdigit():
            raise errors.RemoteProtocolError("the Content-Length is not one number")
        framing, length = "length", int(next(iter(values)))
    else:
        framing, length = "close", 0
    keep = not (close or request_closes) and framing != "close" and head.version == b"HTTP/1.1"
    return framing, length, keep


__all__ = ["Head", "asks_to_close", "body_framing", "request_body", "request_head"]
