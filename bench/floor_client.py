"""The least a Python checker on asyncio can spend on bench_peer.py's links.

    python bench/bench_peer.py --only citecheck --citecheck "python bench/floor_client.py"

bench_peer.py runs this in citecheck's place, with citecheck's arguments (``check
--per-host N ...``), in a directory holding its sources.csv. It makes the requests a
check makes and nothing else: a GET per link on asyncio's streams, keep-alive, at most
``--per-host`` at once to a host and 128 in all, the head's status and Content-Length
read and the body read; a 3xx's Location followed (one hop), a 5xx asked again once
after 0.1 s. No title, no judgement, no store, no deadline, no report. Its CPU is a
floor under any checker written on the same interpreter and event loop: what the
interpreter's start, asyncio's loop, the sockets and a minimal HTTP/1.1 exchange cost
with the fake web's answers arriving one by one over six seconds.
"""

from __future__ import annotations

import asyncio
import csv
import sys
from collections import defaultdict

#: citecheck's default for requests in flight in all (config.DEFAULT_CONCURRENCY); not
#: imported from it, so that the floor loads nothing of citecheck's.
_GLOBAL_LIMIT = 128
_LOCATION = b"\r\nlocation:"


class BareGet:
    """The least a GET over asyncio's streams can cost: a fixed request, one read of
    the head, the body by its Content-Length, the connection kept (no checks at all).
    bench_transport.py times it alone as its floor."""

    def __init__(self) -> None:
        self._idle: dict[tuple[str, int], list] = {}

    async def get(self, url: str) -> tuple[int, bytes | None]:
        """The answer's status and its Location, if it has one."""
        origin, _, path = url.removeprefix("http://").partition("/")
        host, _, port = origin.partition(":")
        key = (host, int(port or 80))
        idle = self._idle.setdefault(key, [])
        reader, writer = idle.pop() if idle else await asyncio.open_connection(*key)
        writer.write(f"GET /{path} HTTP/1.1\r\nHost: {origin}\r\n\r\n".encode())
        head = await reader.readuntil(b"\r\n\r\n")
        lowered = head.lower()
        length = int(lowered.split(b"content-length:", 1)[1].split(b"\r\n", 1)[0])
        await reader.readexactly(length)
        idle.append((reader, writer))
        at = lowered.find(_LOCATION)
        if at < 0:
            return int(head[9:12]), None
        start = at + len(_LOCATION)
        return int(head[9:12]), head[start : head.index(b"\r\n", start)].strip()

    def close(self) -> None:
        for connections in self._idle.values():
            for _, writer in connections:
                writer.close()


class _Checker:
    """A check's requests with its limits: per host, in all, a retry, one hop."""

    def __init__(self, per_host: int) -> None:
        self._lanes: defaultdict[str, asyncio.Semaphore] = defaultdict(
            lambda: asyncio.Semaphore(per_host)
        )
        self._slots = asyncio.Semaphore(_GLOBAL_LIMIT)
        self._client = BareGet()

    async def _get(self, url: str) -> tuple[int, bytes | None]:
        async with self._lanes[url.split("/", 3)[2]], self._slots:
            return await self._client.get(url)

    async def check(self, url: str) -> int:
        status, location = await self._get(url)
        if status >= 500:
            await asyncio.sleep(0.1)
            status, location = await self._get(url)
        if 300 <= status < 400 and location:
            status, _ = await self._get(location.decode("latin-1"))
        return status


async def _main(per_host: int) -> None:
    with open("sources.csv", newline="", encoding="utf-8") as handle:
        urls = [row["url"] for row in csv.DictReader(handle)]
    checker = _Checker(per_host)
    await asyncio.gather(*(checker.check(url) for url in urls))


if __name__ == "__main__":
    args = sys.argv[1:]
    per_host = int(args[args.index("--per-host") + 1]) if "--per-host" in args else 2
    asyncio.run(_main(per_host))
