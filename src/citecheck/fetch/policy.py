"""Where a check may connect: names resolved by citecheck (honouring ``--resolve``)
and the address policy (``--exclude-private``, addresses.py), as the network backend
of its pools (pools.py, http11.py). A refusal is raised as
:class:`~citecheck.fetch.errors.PolicyConnectError` carrying its Reason, so the
client never has to guess a reason from a message.

Nothing here imports httpx: a fetch sends to these pools directly (exchange.py);
transport.py puts httpx's transport interface over the same pools for httpx's
clients (the archive's, the network probe's, a test's respx).
"""

from __future__ import annotations

import asyncio
import functools
import ipaddress
import socket
import typing
from collections.abc import Mapping

from ..config import Settings
from ..models import Reason
from . import tls
from .connections import AsyncioBackend, AsyncioStream, Backend, SocketOption
from .errors import ConnectError, ConnectTimeout, PolicyConnectError
from .http11 import OriginPool
from .pools import PoolPerOrigin

#: Origins whose connections are kept, per global request slot (see policy_pools).
_POOLS_PER_SLOT = 4
# getaddrinfo errors that mean "this name does not exist"; the rest are transient.
_NAME_DOES_NOT_EXIST = frozenset(
    code
    for code in (getattr(socket, "EAI_NONAME", None), getattr(socket, "EAI_NODATA", None))
    if code is not None
)


def _is_ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    return True


class _PolicyBackend:
    """Resolves names itself (honouring ``resolve``) and applies the address policy.

    It connects to the resolved IP; the pool still uses the name for TLS SNI and
    certificate checks, and httpx for the Host header.
    """

    def __init__(
        self,
        *,
        resolve: Mapping[str, str],
        exclude_private: bool,
        inner: Backend | None = None,
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
        socket_options: typing.Iterable[SocketOption] | None = None,
    ) -> AsyncioStream:
        addresses = await self._addresses(host, port, timeout)
        if self._exclude_private:
            # addresses.py's tables (34 networks) are built for --exclude-private only
            from .addresses import is_refused_address

            allowed = [a for a in addresses if not is_refused_address(a)]
            if not allowed:
                raise PolicyConnectError(
                    f"{host} resolves to {', '.join(addresses)}, a private or reserved "
                    "address (refused by exclude_private)",
                    Reason.PRIVATE_ADDRESS,
                )
            addresses = allowed
        options = list(socket_options or ())
        last_error: ConnectError | ConnectTimeout | None = None
        for address in addresses:
            try:
                return await self._inner.connect_tcp(
                    address,
                    port,
                    timeout=timeout,
                    local_address=local_address,
                    socket_options=options,
                )
            except (ConnectError, ConnectTimeout) as exc:
                last_error = exc
        assert last_error is not None  # addresses is never empty
        raise last_error


def policy_pools(settings: Settings) -> PoolPerOrigin:
    """The pools of a check: one per origin, over the policy backend."""
    # Loading the CAs takes 50 ms: done once, on the first https connection (fetch
    # runs over plain http never do). Looked up when called (tests replace it).
    verified = functools.cache(lambda: tls.verified_context())
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
    return PoolPerOrigin(new_pool, max_pools=max_pools)


__all__ = ["PolicyConnectError", "policy_pools"]
