"""The connection layer: lean streams over asyncio, and the backend that opens them.

:class:`AsyncioBackend` connects with asyncio's own streams instead of httpcore's
anyio backend: per read and write anyio opens a cancel scope, and its answer to
httpcore's "is this idle connection still readable?" built a dict of all the
stream's attributes each time; on loopback both cost more than the I/O itself.
Failures are raised as the fetch layer's exceptions (errors.py; httpcore is not used
at all), and ssl is not imported for them: ``ssl.SSLError`` is an ``OSError``.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import typing

from . import errors

if typing.TYPE_CHECKING:
    import ssl

#: Bytes asyncio buffers per connection before it stops reading from the socket.
_READ_BUFFER = 64 * 1024

#: A socket option as ``socket.setsockopt`` takes it: (level, name, value).
SocketOption = tuple[int, int, int] | tuple[int, int, bytes | bytearray]


class AsyncioStream:
    """A network stream on asyncio's own streams, with the fetch layer's error types."""

    __slots__ = ("_reader", "_writer", "_socket")

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader = reader
        self._writer = writer
        self._socket = writer.get_extra_info("socket")

    @property
    def reader(self) -> asyncio.StreamReader:
        return self._reader

    @property
    def writer(self) -> asyncio.StreamWriter:
        return self._writer

    def is_quiet(self) -> bool:
        """Open, and nothing received since the last exchange: fit to be reused."""
        reader = self._reader
        return not (
            self._writer.is_closing()
            or reader.at_eof()
            or reader.exception() is not None
            or len(reader._buffer)  # noqa: SLF001  (bytes a server sent unasked)
        )

    def abort(self) -> None:
        """Close at once, without waiting for the peer (a connection given up)."""
        transport = self._writer.transport
        transport.abort()

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        try:
            async with asyncio.timeout(timeout):
                return await self._reader.read(max_bytes)
        except TimeoutError as exc:
            raise errors.ReadTimeout(str(exc)) from exc
        except (OSError, RuntimeError) as exc:
            raise errors.ReadError(str(exc) or type(exc).__name__) from exc

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        if not buffer:
            return
        try:
            self._writer.write(buffer)
            async with asyncio.timeout(timeout):
                await self._writer.drain()
        except TimeoutError as exc:
            raise errors.WriteTimeout(str(exc)) from exc
        except (OSError, RuntimeError) as exc:
            raise errors.WriteError(str(exc) or type(exc).__name__) from exc

    async def aclose(self) -> None:
        self._writer.close()
        with contextlib.suppress(OSError, RuntimeError):
            await self._writer.wait_closed()

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> AsyncioStream:
        try:
            async with asyncio.timeout(timeout):
                await self._writer.start_tls(ssl_context, server_hostname=server_hostname)
        except TimeoutError as exc:
            await self.aclose()
            raise errors.ConnectTimeout(str(exc)) from exc
        except (OSError, RuntimeError) as exc:
            await self.aclose()
            raise errors.ConnectError(str(exc) or type(exc).__name__) from exc
        return self

    def get_extra_info(self, info: str) -> typing.Any:
        if info == "socket":
            return self._socket
        if info == "ssl_object":
            return self._writer.get_extra_info("ssl_object")
        if info == "client_addr":
            return self._writer.get_extra_info("sockname")
        if info == "server_addr":
            return self._writer.get_extra_info("peername")
        return None


class Backend(typing.Protocol):
    """What a pool connects through: :class:`AsyncioBackend`, or transport.py's
    policy over it."""

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: typing.Iterable[SocketOption] | None = None,
    ) -> AsyncioStream: ...


class AsyncioBackend:
    """TCP connections on asyncio streams (httpcore's own backend goes through anyio,
    whose cancel scopes and attribute look-ups cost more than the I/O on loopback)."""

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: typing.Iterable[SocketOption] | None = None,
    ) -> AsyncioStream:
        try:
            async with asyncio.timeout(timeout):
                reader, writer = await asyncio.open_connection(
                    host,
                    port,
                    local_addr=(local_address, 0) if local_address else None,
                    limit=_READ_BUFFER,
                )
        except TimeoutError as exc:
            raise errors.ConnectTimeout(str(exc)) from exc
        except OSError as exc:
            raise errors.ConnectError(str(exc) or type(exc).__name__) from exc
        sock = writer.get_extra_info("socket")
        for option in socket_options or ():
            sock.setsockopt(*option)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return AsyncioStream(reader, writer)


__all__ = ["AsyncioBackend", "AsyncioStream", "Backend", "SocketOption"]
