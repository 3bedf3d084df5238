"""The connection layer: lean streams over asyncio, and the backend that opens them.

:class:`AsyncioBackend` connects with asyncio's own transports and a protocol of
citecheck's (wire.py, which says why not asyncio's streams) instead of httpcore's
anyio backend: per read and write anyio opens a cancel scope, and its answer to
httpcore's "is this idle connection still readable?" built a dict of all the
stream's attributes each time; on loopback both cost more than the I/O itself.
Failures are raised as httpx's own exceptions (httpcore is not used at all).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
import typing

import httpx

from .wire import Wire

#: A socket option as ``socket.setsockopt`` takes it: (level, name, value).
SocketOption = tuple[int, int, int] | tuple[int, int, bytes | bytearray]


class AsyncioStream:
    """A network stream over one connection's :class:`~citecheck.fetch.wire.Wire`,
    with httpx's error types (what a response's ``network_stream`` gives)."""

    __slots__ = ("_wire", "_socket")

    def __init__(self, wire: Wire) -> None:
        self._wire = wire
        self._socket = wire.transport.get_extra_info("socket")

    @property
    def wire(self) -> Wire:
        return self._wire

    def abort(self) -> None:
        """Close at once, without waiting for the peer (a connection given up)."""
        self._wire.transport.abort()

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        try:
            async with asyncio.timeout(timeout):
                return await self._wire.read(max_bytes)
        except TimeoutError as exc:
            raise httpx.ReadTimeout(str(exc)) from exc
        except (OSError, RuntimeError) as exc:
            raise httpx.ReadError(str(exc) or type(exc).__name__) from exc

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        if not buffer:
            return
        try:
            self._wire.transport.write(buffer)
            async with asyncio.timeout(timeout):
                await self._wire.drain()
        except TimeoutError as exc:
            raise httpx.WriteTimeout(str(exc)) from exc
        except (OSError, RuntimeError) as exc:
            raise httpx.WriteError(str(exc) or type(exc).__name__) from exc

    async def aclose(self) -> None:
        with contextlib.suppress(OSError, RuntimeError, ssl.SSLError):
            await self._wire.close()

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> AsyncioStream:
        try:
            async with asyncio.timeout(timeout):
                await self._wire.start_tls(ssl_context, server_hostname=server_hostname)
        except TimeoutError as exc:
            await self.aclose()
            raise httpx.ConnectTimeout(str(exc)) from exc
        except (OSError, ssl.SSLError, RuntimeError) as exc:
            await self.aclose()
            raise httpx.ConnectError(str(exc) or type(exc).__name__) from exc
        return self

    def get_extra_info(self, info: str) -> typing.Any:
        transport = self._wire.transport
        if info == "socket":
            return self._socket
        if info == "ssl_object":
            return transport.get_extra_info("ssl_object")
        if info == "client_addr":
            return transport.get_extra_info("sockname")
        if info == "server_addr":
            return transport.get_extra_info("peername")
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
    """TCP connections on asyncio's transports (httpcore's own backend goes through
    anyio, whose cancel scopes and attribute look-ups cost more than the I/O on
    loopback)."""

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: typing.Iterable[SocketOption] | None = None,
    ) -> AsyncioStream:
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(timeout):
                _, wire = await loop.create_connection(
                    lambda: Wire(loop),
                    host,
                    port,
                    local_addr=(local_address, 0) if local_address else None,
                )
        except TimeoutError as exc:
            raise httpx.ConnectTimeout(str(exc)) from exc
        except OSError as exc:
            raise httpx.ConnectError(str(exc) or type(exc).__name__) from exc
        sock = wire.transport.get_extra_info("socket")
        for option in socket_options or ():
            sock.setsockopt(*option)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return AsyncioStream(wire)


__all__ = ["AsyncioBackend", "AsyncioStream", "Backend", "SocketOption"]
