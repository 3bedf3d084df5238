"""CPU per request of the HTTP layers citecheck could stand on, against the fake web.

    python bench/bench_transport.py [--requests 4000] [--hosts 20] [--per-host 2]
        [--loop asyncio|uvloop]

The same GETs (small HTML pages, keep-alive, ``per-host`` at once to each of
``hosts`` loopback addresses, no latency) through:

- ``httpx default``: ``httpx.AsyncClient()`` as it comes (httpcore's one pool, anyio);
- ``httpx + citecheck pools``: the client over citecheck's transport (connections.py:
  a pool per origin, asyncio streams), as ``Fetcher`` builds it;
- ``citecheck Fetcher.fetch``: the whole fetch (lanes, deadline, redirects, capped
  body), without titles or the database;
- ``asyncio streams (floor)``: a bare GET on asyncio's streams, no checks at all:
  what the event loop and the sockets cost, which no HTTP layer can go below;
- ``aiohttp`` (if installed): ``aiohttp.ClientSession``, the C-accelerated peer.

``--loop uvloop`` runs the same on uvloop's event loop (if installed; BENCHMARKS.md,
"Eleventh step", says why citecheck does not). CPU is the main thread's own
(``time.thread_time``). The fake web runs in a child process, so that it neither
counts nor holds this process's GIL (in a thread of this process, every socket write
let it take the GIL, and the two threads' hand-overs showed in the figures and in
py-spy's). Take the best of a few runs on a busy machine.

    py-spy record -r 400 -f raw -o /tmp/p.txt -- \
        python bench/bench_transport.py --only Fetcher --repeat 1
    python bench/pyspy_top.py /tmp/p.txt --n 60
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import multiprocessing.connection
import socket
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

import httpx  # noqa: E402
from floor_client import BareGet  # noqa: E402
from servers import FakeWeb  # noqa: E402

from citecheck.config import Settings  # noqa: E402
from citecheck.fetch import Fetcher  # noqa: E402
from citecheck.fetch.transport import policy_transport  # noqa: E402


def _serve(addresses: list[str], port: int, pipe: multiprocessing.connection.Connection) -> None:
    """The fake web, in a child process, until told to stop."""
    web = FakeWeb(latency_s=0.0, log_limit=100)
    web.host = addresses  # type: ignore[assignment]
    web.port = port
    web.start()
    try:
        pipe.send("ready")
        pipe.recv()
    finally:
        web.stop()


def _start(
    hosts: int,
) -> tuple[multiprocessing.Process, multiprocessing.connection.Connection, list[str], int]:
    addresses = [f"127.0.1.{n + 1}" for n in range(hosts)]
    with socket.socket() as probe:
        probe.bind((addresses[0], 0))
        port = probe.getsockname()[1]
    ours, theirs = multiprocessing.Pipe()
    server = multiprocessing.Process(target=_serve, args=(addresses, port, theirs), daemon=True)
    server.start()
    if not ours.poll(30) or ours.recv() != "ready":
        raise RuntimeError("the fake web did not start")
    return server, ours, addresses, port


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
    if name == "asyncio streams (floor)":
        floor = BareGet()
        try:
            return await _timed(_drive(urls, options.per_host, options.hosts, floor.get))
        finally:
            floor.close()
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


def _run(work: Awaitable, loop: str) -> float | None:
    """``work`` on a new event loop: asyncio's own, or uvloop's (if installed)."""
    factory = None
    if loop == "uvloop":
        try:
            import uvloop
        except ImportError:
            sys.exit("uvloop is not installed: pip install uvloop")
        factory = uvloop.new_event_loop
    with asyncio.Runner(loop_factory=factory) as runner:
        return runner.run(work)  # type: ignore[arg-type]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=4000)
    parser.add_argument("--hosts", type=int, default=20)
    parser.add_argument("--per-host", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--only", help="run only the layers whose name holds this text")
    parser.add_argument(
        "--loop", choices=("asyncio", "uvloop"), default="asyncio", help="the event loop to run on"
    )
    options = parser.parse_args()
    server, pipe, addresses, port = _start(options.hosts)
    try:
        urls = [
            f"http://{addresses[n % options.hosts]}:{port}/page/p{n}"
            for n in range(options.requests)
        ]
        for name in (
            "asyncio streams (floor)",
            "httpx default",
            "httpx + citecheck pools",
            "citecheck Fetcher.fetch",
            "aiohttp",
        ):
            if options.only and options.only.lower() not in name.lower():
                continue
            runs = [_run(measure(name, urls, options), options.loop) for _ in range(options.repeat)]
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
        pipe.send("stop")
        server.join(30)


if __name__ == "__main__":
    main()
