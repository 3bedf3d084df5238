"""Where a check may connect: names resolved by citecheck (honouring ``--resolve``) and
the address policy (``--exclude-private``, addresses.py), as an httpcore network
backend under httpx's own transport. A refusal is raised as :class:`PolicyConnectError`
carrying its Reason, so the client never has to guess a reason from a message.
"""

from __future__ import annotations

import asyncio
import functools
import ipaddress
import socket
import ssl
import typing
from collections.abc import Mapping

import httpcore
import httpx

from ..config import Settings
from ..models import Reason
from .addresses import is_refused_address
from .connections import AsyncioBackend, PoolPerOrigin
from .http11 import OriginPool

#: Origins whose connections are kept, per global request slot (see policy_transport).
_POOLS_PER_SLOT = 4
# getaddrinfo errors that mean "this name does not exist"; the rest are transient.
_NAME_DOES_NOT_EXIST = frozenset(
    code
    for code in (getattr(socket, "EAI_NONAME", None), getattr(socket, "EAI_NODATA", None))
    if code is not None
)


class PolicyConnectError(httpcore.ConnectError):
    """A connection the backend refused to make, or a name it could not resolve."""

    def __init__(self, message: str, reason: Reason) -> None:
        super().__init__(message)
        self.reason = reason


def _is_ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    return True


class _PolicyBackend(httpcore.AsyncNetworkBackend):
    """Resolves names itself (honouring ``resolve``) and applies the address policy.

    It connects to the resolved IP; httpcore still uses the name for TLS SNI and
    certificate checks, and httpx for the Host header.
    """

    def __init__(
        self,
        *,
        resolve: Mapping[str, str],
        exclude_private: bool,
        inner: httpcore.AsyncNetworkBackend | None = None,
    ) -> None:
        self._resolve_map = {name.lower().rstrip("."): ip for name, ip in resolve.items()}
        self._exclude_private = exclude_private
        self._inner = inner if inner is not None else AsyncioBackend()

    async def _addresses(self, host: str, port: int, timeout: float | None) -> list[str]:
        name = host.lower().rstrip(".")
        if name in self._resolve_map:
            return [self._resolve_map[name]]
        if _is_ip_literal(name):
            return [name]
        if name == "invalid" or name.endswith(".invalid"):
            # RFC 6761 §6.4: such names never exist; resolvers should say so at once.
            raise PolicyConnectError(f"the name {host} does not exist", Reason.DNS_ERROR)
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(timeout):
                infos = await loop.getaddrinfo(name, port, type=socket.SOCK_STREAM)
        except TimeoutError:
            raise PolicyConnectError(
                f"the resolver did not answer for {host} within {timeout} s",
                Reason.DNS_TEMPORARY,
            ) from None
        except socket.gaierror as exc:
            if exc.errno in _NAME_DOES_NOT_EXIST:
                raise PolicyConnectError(
                    f"the name {host} does not exist ({exc.strerror})", Reason.DNS_ERROR
                ) from exc
            raise PolicyConnectError(
                f"the resolver failed for {host} ({exc.strerror})", Reason.DNS_TEMPORARY
            ) from exc
        return list(dict.fromkeys(str(info[4][0]) for info in infos))

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        addresses = await self._addresses(host, port, timeout)
        if self._exclude_private:
            allowed = [a for a in addresses if not is_refused_address(a)]
            if not allowed:
                raise PolicyConnectError(
                    f"{host} resolves to {', '.join(addresses)}, a private or reserved "
                    "address (refused by exclude_private)",
                    Reason.PRIVATE_ADDRESS,
                )
            addresses = allowed
        options = list(socket_options or ())
        last_error: httpcore.ConnectError | httpcore.ConnectTimeout | None = None
        for address in addresses:
            try:
                return await self._inner.connect_tcp(
                    address,
                    port,
                    timeout=timeout,
                    local_address=local_address,
                    socket_options=options,
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last_error = exc
        assert last_error is not None  # addresses is never empty
        raise last_error

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise PolicyConnectError(
            "citecheck does not connect to unix sockets", Reason.UNSUPPORTED_SCHEME
        )

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


def policy_transport(settings: Settings) -> httpx.AsyncHTTPTransport:
    """httpx's own transport (for its exception mapping) over small pools, one per
    origin (connections.py says why), speaking HTTP/1.1 themselves (http11.py says
    why), using our backend."""
    # Loading the CAs takes 50 ms: done once, on the first https connection (fetch
    # runs over plain http never do). httpx's transport is given a context that trusts
    # nothing, for the pool of its own that is replaced below and never used.
    verified = functools.cache(lambda: httpx.create_ssl_context(trust_env=False))
    transport = httpx.AsyncHTTPTransport(
        verify=ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT), trust_env=False
    )
    backend = _PolicyBackend(
        resolve=dict(settings.resolve), exclude_private=settings.exclude_private
    )

    def new_pool() -> OriginPool:
        return OriginPool(
            backend=backend,
            ssl_context=verified,
            max_connections=settings.concurrency,
            max_keepalive=settings.per_host,
            keepalive_expiry=5.0,
        )

    # Enough pools for every host a run has in flight at once (a pool closed while its
    # host still has links waiting costs it new connections).
    max_pools = settings.concurrency * _POOLS_PER_SLOT
    transport._pool = PoolPerOrigin(new_pool, max_pools=max_pools)  # type: ignore[assignment]
    return transport
