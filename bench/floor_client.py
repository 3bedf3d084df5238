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
from urllib.parse import urlsplit

_GLOBAL_LIMIT = 128


class _Client:
    def __init__(self, per_host: int) -> None:
        self._lanes: defaultdict[str, asyncio.Semaphore] = defaultdict(
            lambda: asyncio.Semaphore(per_host)
        )
        self._slots = asyncio.Semaphore(_GLOBAL_LIMIT)
        self._idle: defaultdict[tuple[str, int], list] = defaultdict(list)

    async def get(self, url: str) -> tuple[int, str | None]:
        parts = urlsplit(url)
        origin = (parts.hostname or "", parts.port or 80)
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        async with self._lanes[origin[0]], self._slots:
            idle = self._idle[origin]
            reader, writer = idle.pop() if idle else await asyncio.open_connection(*origin)
            writer.write(f"GET {target} HTTP/1.1\r\nHost: {parts.netloc}\r\n\r\n".encode())
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            status = int(lines[0].split(" ", 2)[1])
            fields = dict(line.split(":", 1) for line in lines[1:] if ":" in line)
            fields = {name.strip().lower(): value.strip() for name, value in fields.items()}
            await reader.readexactly(int(fields.get("content-length", "0")))
            idle.append((reader, writer))
        return status, fields.get("location")

    async def check(self, url: str) -> int:
        status, location = await self.get(url)
        if status >= 500:
            await asyncio.sleep(0.1)
            status, location = await self.get(url)
        if 300 <= status < 400 and location:
            status, _ = await self.get(location)
        return status


async def _main(per_host: int) -> None:
    with open("sources.csv", newline="", encoding="utf-8") as handle:
        urls = [row["url"] for row in csv.DictReader(handle)]
    client = _Client(per_host)
    await asyncio.gather(*(client.check(url) for url in urls))


if __name__ == "__main__":
    args = sys.argv[1:]
    per_host = int(args[args.index("--per-host") + 1]) if "--per-host" in args else 2
    asyncio.run(_main(per_host))
