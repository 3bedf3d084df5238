"""CPU per request of the HTTP layers citecheck could stand on, against the fake web.

    python bench/bench_transport.py [--requests 4000] [--hosts 20] [--per-host 2]

The same GETs (small HTML pages, keep-alive, ``per-host`` at once to each of
``hosts`` loopback addresses, no latency) through:

- ``httpx default``: ``httpx.AsyncClient()`` as it comes (httpcore's one pool, anyio);
- ``httpx + citecheck pools``: the client over citecheck's transport (connections.py:
  a pool per origin, asyncio streams), as ``Fetcher`` builds it;
- ``citecheck Fetcher.fetch``: the whole fetch (lanes, deadline, redirects, capped
  body), without titles or the database;
- ``aiohttp`` (if installed): ``aiohttp.ClientSession``, the C-accelerated peer.

CPU is the main thread's own (``time.thread_time``): the fake web runs in another
thread of this process and is not counted. Take the best of a few runs on a busy
machine.
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

import httpx  # noqa: E402
from servers import FakeWeb  # noqa: E402

from citecheck.config import Settings  # noqa: E402
from citecheck.fetch import Fetcher  # noqa: E402
from citecheck.fetch.transport import policy_transport  # noqa: E402


def _start(hosts: int) -> tuple[FakeWeb, list[str]]:
    addresses = [f"127.0.1.{n + 1}" for n in range(hosts)]
    web = FakeWeb(latency_s=0.0, log_limit=100)
    web.host = addresses  # type: ignore[assignment]
    with socket.socket() as probe:
        probe.bind((addresses[0], 0))
        web.port = probe.getsockname()[1]
    return web.start(), addresses


async def _drive(urls: list[str], per_host: int, hosts: int, get: Callable[[str], Awaitable]):
    lanes = asyncio.Semaphore(per_host * hosts)  # urls are interleaved by host

    async def one(url: str) -> None:
        async with lanes:
            await get(url)

    await asyncio.gather(*(one(url) for url in urls))


async def _httpx(client: httpx.AsyncClient, url: str) -> None:
    async with client.stream("GET", url) as response:
        async for _ in response.aiter_raw():
            pass


async def measure(name: str, urls: list[str], options: argparse.Namespace) -> float | None:
    settings = Settings(per_host=options.per_host, resolve=())
    if name == "httpx default":
        async with httpx.AsyncClient() as client:
            run = _drive(urls, options.per_host, options.hosts, lambda u: _httpx(client, u))
            return await _timed(run)
    if name == "httpx + citecheck pools":
        async with httpx.AsyncClient(transport=policy_transport(settings)) as client:
            run = _drive(urls, options.per_host, options.hosts, lambda u: _httpx(client, u))
            return await _timed(run)
    if name == "citecheck Fetcher.fetch":
        async with Fetcher(settings) as fetcher:
            run = _drive(urls, options.per_host, options.hosts, fetcher.fetch)
            return await _timed(run)
    try:
        import aiohttp
    except ImportError:
        return None

    async def get(session: aiohttp.ClientSession, url: str) -> None:
        async with session.get(url) as response:
            await response.read()

    connector = aiohttp.TCPConnector(limit=0, limit_per_host=options.per_host)
    async with aiohttp.ClientSession(connector=connector) as session:
        run = _drive(urls, options.per_host, options.hosts, lambda u: get(session, u))
        return await _timed(run)


async def _timed(run: Awaitable) -> float:
    started = time.thread_time()
    await run
    return time.thread_time() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=4000)
    parser.add_argument("--hosts", type=int, default=20)
    parser.add_argument("--per-host", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3)
    options = parser.parse_args()
    web, addresses = _start(options.hosts)
    try:
        urls = [
            f"http://{addresses[n % options.hosts]}:{web.port}/page/p{n}"
            for n in range(options.requests)
        ]
        for name in (
            "httpx default",
            "httpx + citecheck pools",
            "citecheck Fetcher.fetch",
            "aiohttp",
        ):
            runs = [asyncio.run(measure(name, urls, options)) for _ in range(options.repeat)]
            if runs[0] is None:
                print(f"{name:26} not installed")
                continue
            best = min(r for r in runs if r is not None)
            print(
                f"{name:26} {1000 * best / options.requests:6.3f} ms CPU per request "
                f"(best of {options.repeat}: {best:.2f} s for {options.requests})",
                flush=True,
            )
    finally:
        web.stop()


if __name__ == "__main__":
    main()
