"""The bytes of one connection: an asyncio protocol that keeps what the socket
received in one bounded buffer, for http11.py to read and parse in place, and writes
what is sent with the transport's flow control.

Why not asyncio's StreamReader and StreamWriter: they are a protocol too, with two
objects over it; every read went through several coroutines (``readuntil``,
``_wait_for_data``, ``readexactly``), every received packet through a weak reference
and ``feed_data``, every write through ``drain`` and ``_drain_helper``, all in Python
whatever the event loop (py-spy, issue 11, BENCHMARKS.md "Eleventh step"). Here a
read that finds its bytes received does not wait at all, and waits once when it must.

The reads keep StreamReader's rules, so that http11.py raises what it raised over
streams: an error the connection ended with is raised by the next read, even with
bytes still received; a line longer than ``limit`` is ``asyncio.LimitOverrunError``;
a line or an exact read cut by the end of the stream is
``asyncio.IncompleteReadError`` (with what came, ``partial``). Flow control as
StreamReader's: reading from the socket pauses once more than twice ``limit`` bytes
are received and unread, and resumes once a read leaves ``limit`` or fewer (or waits
for more), so a body that comes faster than it is read is never held whole.
"""

from __future__ import annotations

import asyncio
import collections
import typing

#: A line's most bytes, and half of the most bytes received and not yet read.
LIMIT = 64 * 1024


class Wire(asyncio.Protocol):
    """One connection's received bytes (``buffer``) and its transport."""

    def __init__(self, loop: asyncio.AbstractEventLoop, limit: int = LIMIT) -> None:
        #: Received and not yet read.
        self.buffer = bytearray()
        #: The peer ended its side (or the connection closed without an error).
        self.eof = False
        #: The error the connection ended with, raised by the next read or drain.
        self.error: BaseException | None = None
        #: The connection is closed (connection_lost was called).
        self.lost = False
        self.transport: asyncio.Transport = typing.cast(asyncio.Transport, None)
        self._loop = loop
        self._limit = limit
        self._waiter: asyncio.Future[None] | None = None
        self._reading_paused = False
        self._writing_paused = False
        self._drain_waiters: collections.deque[asyncio.Future[None]] = collections.deque()
        self._closed_waiter: asyncio.Future[None] | None = None
        self._over_ssl = False

    # -- the protocol's side: called by the transport --------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = typing.cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        buffer = self.buffer
        buffer += data
        self._wake()
        if not self._reading_paused and len(buffer) > 2 * self._limit:
            self.transport.pause_reading()
            self._reading_paused = True

    def eof_received(self) -> bool:
        self.eof = True
        self._wake()
        # Plain TCP stays open for writing (half closed) until closed; TLS cannot.
        return not self._over_ssl

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = True
        waiter, self._waiter = self._waiter, None
        if exc is None:
            self.eof = True
            if waiter is not None and not waiter.cancelled():
                waiter.set_result(None)
        else:
            self.error = exc
            if waiter is not None and not waiter.cancelled():
                waiter.set_exception(exc)
        if self._writing_paused:
            for drain in self._drain_waiters:
                if not drain.done():
                    if exc is None:
                        drain.set_result(None)
                    else:
                        drain.set_exception(exc)
        closed = self._closed_waiter
        if closed is not None and not closed.done():
            closed.set_result(None)

    def pause_writing(self) -> None:
        self._writing_paused = True

    def resume_writing(self) -> None:
        self._writing_paused = False
        for drain in self._drain_waiters:
            if not drain.done():
                drain.set_result(None)

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None:
            self._waiter = None
            if not waiter.cancelled():
                waiter.set_result(None)

    # -- the reader's side --------------------------------------------------------------

    def is_quiet(self) -> bool:
        """Open, and nothing received since the last read: fit for another exchange."""
        return not (
            self.eof or self.error is not None or self.buffer or self.transport.is_closing()
        )

    async def _wait(self) -> None:
        """Until more bytes are received, or the end (an error ends it raised)."""
        if self._waiter is not None:
            raise RuntimeError("two readers wait on one connection")
        if self._reading_paused:
            self._reading_paused = False
            self.transport.resume_reading()
        waiter = self._waiter = self._loop.create_future()
        try:
            await waiter
        finally:
            self._waiter = None

    def take(self, size: int) -> bytes:
        """The first ``size`` received bytes (at most), no longer buffered."""
        buffer = self.buffer
        if len(buffer) <= size:
            data = bytes(buffer)
            buffer.clear()
        else:
            data = bytes(buffer[:size])
            del buffer[:size]
        if self._reading_paused and len(buffer) <= self._limit:
            self._reading_paused = False
            self.transport.resume_reading()
        return data

    async def read(self, size: int) -> bytes:
        """Up to ``size`` bytes, as soon as any is received; b"" at the end."""
        if self.error is not None:
            raise self.error
        if not self.buffer and not self.eof:
            await self._wait()
        return self.take(size)

    async def read_exactly(self, size: int) -> bytes:
        if self.error is not None:
            raise self.error
        while len(self.buffer) < size:
            if self.eof:
                partial = self.take(len(self.buffer))
                raise asyncio.IncompleteReadError(partial, size)
            await self._wait()
        return self.take(size)

    async def read_line(self) -> bytes:
        """The bytes up to and with the next LF."""
        if self.error is not None:
            raise self.error
        buffer = self.buffer
        end = buffer.find(b"\n")
        while end < 0:
            if len(buffer) > self._limit:
                raise asyncio.LimitOverrunError(
                    "Separator is not found, and chunk exceed the limit", len(buffer)
                )
            if self.eof:
                raise asyncio.IncompleteReadError(self.take(len(buffer)), None)
            searched = len(buffer)
            await self._wait()
            end = buffer.find(b"\n", searched)
        if end > self._limit:
            raise asyncio.LimitOverrunError(
                "Separator is found, but chunk is longer than limit", end
            )
        return self.take(end + 1)

    # -- the writer's side ---------------------------------------------------------------

    def is_drained(self) -> bool:
        """True when :meth:`drain` would return at once, without an error."""
        return not (
            self._writing_paused
            or self.lost
            or self.error is not None
            or self.transport.is_closing()
        )

    async def drain(self) -> None:
        """Until the transport takes more bytes; raises if the connection ended."""
        if self.error is not None:
            raise self.error
        if self.transport.is_closing():
            # Let connection_lost run, so that a write into a closed socket fails.
            await asyncio.sleep(0)
        if self.lost:
            raise ConnectionResetError("Connection lost")
        if not self._writing_paused:
            return
        drain = self._loop.create_future()
        self._drain_waiters.append(drain)
        try:
            await drain
        finally:
            self._drain_waiters.remove(drain)

    async def start_tls(self, context: typing.Any, server_hostname: str | None) -> None:
        """TLS over the connection from now on (what was received before stays)."""
        await self.drain()
        transport = await self._loop.start_tls(
            self.transport, self, context, server_hostname=server_hostname
        )
        self.transport = typing.cast(asyncio.Transport, transport)
        self._over_ssl = True

    async def close(self) -> None:
        """Close, and wait until the transport has (its errors are not raised)."""
        self.transport.close()
        if self.lost:
            return
        if self._closed_waiter is None:
            self._closed_waiter = self._loop.create_future()
        await asyncio.shield(self._closed_waiter)


__all__ = ["LIMIT", "Wire"]
