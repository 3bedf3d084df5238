"""Where a host's lane gap goes: citecheck's side of each answer and next request.

    python bench/bench_peer.py --only citecheck --server-log /tmp/server.csv \\
        --citecheck "python bench/lane_gap_trace.py --out /tmp/client.csv"
    python bench/lane_gap_trace.py --join /tmp/server.csv /tmp/client.csv

Run as citecheck (``python bench/lane_gap_trace.py --out FILE ARGS...`` is
``citecheck ARGS...``), it times, with ``time.monotonic()`` (the fake web's clock),
for every request: when the loop callback that wrote it began (``step``), when it was
written (``write``), when the answer's first and last bytes reached the client
(``head_in``, ``last_in``: the stream fed), when the task read the head
(``head_read``) and when the body was closed and the lane given back (``closed``),
with a count of the loop's callbacks and their busy time at each. ``--join`` pairs
each answer with the request that next took its lane at the server, as bench_peer's
``lane_gap_ms`` does, and splits each gap into:

* ``net_in``: the server's answer ends → its last bytes fed to the client's stream;
* ``to_close``: those bytes fed → the task has read the body and closed it (its
  wake-up queued behind other callbacks, and the reading);
* ``to_step``: closed → the callback that writes the next request begins;
* ``setup``: that callback's start → the write (the next link's own work);
* ``net_out``: written → the server has read the request.

The split's parts can be negative where the next request was written in the
callback that closed the answer (``to_step`` then counts from the close back to the
callback's start). Tracing costs a little time per callback; compare runs traced alike.
"""

from __future__ import annotations

import argparse
import asyncio
import atexit
import csv
import runpy
import sys
import time
from asyncio import events

_now = time.monotonic


class _Loop:
    step_started = 0.0
    callbacks = 0
    busy = 0.0


def _install(out: str) -> None:
    from citecheck.fetch import http11

    rows: list[tuple] = []
    long_callbacks: list[tuple[float, str, float]] = []
    by_connection: dict[int, dict] = {}
    fed: dict[int, list[float]] = {}  # reader id -> [first feed since the send, last feed]

    original_run = events.Handle._run

    def run(self: events.Handle) -> None:
        started = _now()
        _Loop.step_started = started
        try:
            original_run(self)
        finally:
            took = _now() - started
            _Loop.callbacks += 1
            _Loop.busy += took
            if took > _LONG_CALLBACK_S:
                long_callbacks.append((took, _callback_name(self), started))

    events.Handle._run = run  # type: ignore[method-assign]

    original_feed = asyncio.StreamReader.feed_data

    def feed_data(self: asyncio.StreamReader, data: bytes) -> None:
        times = fed.get(id(self))
        if times is not None:
            at = _now()
            if times[0] == 0.0:
                times[0] = at
            times[1] = at
        original_feed(self, data)

    asyncio.StreamReader.feed_data = feed_data  # type: ignore[method-assign]

    original_send = http11.Connection.send

    async def send(self: http11.Connection, head: bytes, body: bytes, timeout: float | None):
        lines = head.split(b"\r\n")
        path = lines[0].split(b" ")[1].decode().split("?", 1)[0]
        host = next(
            (line[5:].strip().decode() for line in lines if line[:5].lower() == b"host:"), ""
        ).rsplit(":", 1)[0]
        fed[id(self._reader)] = [0.0, 0.0]
        by_connection[id(self)] = {
            "host": host,
            "path": path,
            "step": _Loop.step_started,
            "write": _now(),
            "write_callbacks": _Loop.callbacks,
            "write_busy": _Loop.busy,
        }
        return await original_send(self, head, body, timeout)

    http11.Connection.send = send  # type: ignore[method-assign]

    original_read_head = http11.Connection.read_head

    async def read_head(self: http11.Connection, timeout: float | None):
        head = await original_read_head(self, timeout)
        record = by_connection.get(id(self))
        if record is not None:
            record["head_read"] = _now()
            record["head_in"] = fed.get(id(self._reader), [0.0])[0]
        return head

    http11.Connection.read_head = read_head  # type: ignore[method-assign]

    original_close = http11.Body.close

    def close(self: http11.Body) -> None:
        connection = self._connection
        if connection is not None:
            record = by_connection.pop(id(connection), None)
            if record is not None:
                record["closed"] = _now()
                record["closed_callbacks"] = _Loop.callbacks
                record["closed_busy"] = _Loop.busy
                record["last_in"] = fed.get(id(connection._reader), [0.0, 0.0])[1]  # noqa: SLF001
                rows.append(tuple(record.get(name, "") for name in _FIELDS))
        original_close(self)

    http11.Body.close = close  # type: ignore[method-assign]

    def dump() -> None:
        with open(out, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(_FIELDS)
            writer.writerows(rows)
        by_name: dict[str, list[float]] = {}
        for took, name, _ in long_callbacks:
            by_name.setdefault(name, []).append(took)
        with open(out + ".long", "w", encoding="utf-8") as handle:
            for name, times in sorted(by_name.items(), key=lambda item: -sum(item[1])):
                handle.write(
                    f"{len(times):5} callbacks over {_LONG_CALLBACK_S * 1000:g} ms, "
                    f"{sum(times) * 1000:8.1f} ms in all, longest {max(times) * 1000:6.1f} ms: "
                    f"{name}\n"
                )
            for took, name, started in long_callbacks:
                handle.write(f"at {started:.3f}: {took * 1000:6.1f} ms {name}\n")

    atexit.register(dump)


#: Callbacks longer than this are named in FILE.long (what holds the loop).
_LONG_CALLBACK_S = 0.002


def _callback_name(handle: events.Handle) -> str:
    callback = handle._callback  # noqa: SLF001
    task = getattr(callback, "__self__", None)
    if isinstance(task, asyncio.Task):
        coro = task.get_coro()
        frame = getattr(coro, "cr_frame", None)
        while frame is not None and getattr(coro, "cr_await", None) is not None:
            coro = coro.cr_await
            frame = getattr(coro, "cr_frame", None) or frame
        where = frame.f_code.co_qualname if frame else "?"
        return f"task {task.get_coro().__qualname__} (now in {where})"
    return getattr(callback, "__qualname__", repr(callback))


_FIELDS = (
    "host",
    "path",
    "step",
    "write",
    "write_callbacks",
    "write_busy",
    "head_in",
    "head_read",
    "last_in",
    "closed",
    "closed_callbacks",
    "closed_busy",
)


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] if ordered else 0.0


def _join(server_csv: str, client_csv: str, per_host: int) -> None:
    with open(server_csv, encoding="utf-8") as handle:
        server = [
            (r["host"], r["path"], float(r["started"]), float(r["finished"] or "nan"))
            for r in csv.DictReader(handle)
        ]
    with open(client_csv, encoding="utf-8") as handle:
        client = list(csv.DictReader(handle))
    # The n-th request of (host, path) at the server is the n-th one the client wrote.
    client_by_key: dict[tuple[str, str], list[dict]] = {}
    for record in sorted(client, key=lambda r: float(r["write"])):
        client_by_key.setdefault((record["host"], record["path"]), []).append(record)
    seen: dict[tuple[str, str], int] = {}
    entries = []
    for host, path, started, finished in sorted(server, key=lambda e: e[2]):
        index = seen.get((host, path), 0)
        seen[(host, path)] = index + 1
        records = client_by_key.get((host, path), [])
        record = records[index] if index < len(records) else None
        entries.append((host, path, started, finished, index > 0, record))
    parts: dict[str, list[float]] = {
        name: [] for name in ("gap", "net_in", "to_close", "to_step", "setup", "net_out")
    }
    callbacks: list[float] = []
    busy: list[float] = []
    same_callback = 0
    by_host: dict[str, list] = {}
    for entry in entries:
        by_host.setdefault(entry[0], []).append(entry)
    for host_entries in by_host.values():
        events_ = [(e[2], 1, e) for e in host_entries]
        events_ += [(e[3], 0, e) for e in host_entries if e[3] == e[3]]
        events_.sort(key=lambda item: (item[0], item[1]))
        free: list = []
        unused = per_host
        for _at, is_start, entry in events_:
            if not is_start:
                free.append(entry)
                continue
            if unused:
                unused -= 1
                continue
            if not free:
                continue
            answer = free.pop(0)
            if entry[4]:  # a retry: it waited out a backoff
                continue
            a, b = answer[5], entry[5]
            if not a or not b or not a["closed"]:
                continue
            closed, step, write = float(a["closed"]), float(b["step"]), float(b["write"])
            parts["gap"].append(entry[2] - answer[3])
            parts["net_in"].append(float(a["last_in"]) - answer[3])
            parts["to_close"].append(closed - float(a["last_in"]))
            parts["to_step"].append(step - closed)
            parts["setup"].append(write - step)
            parts["net_out"].append(entry[2] - write)
            same_callback += step <= closed
            callbacks.append(int(b["write_callbacks"]) - int(a["closed_callbacks"]))
            busy.append(float(b["write_busy"]) - float(a["closed_busy"]))
    count = len(parts["gap"])
    print(f"pairs: {count}; next request written in the closing callback: {same_callback}")
    for name, values in parts.items():
        mean = 1000 * sum(values) / max(1, count)
        print(
            f"{name:9} mean {mean:6.3f} ms  p50 {1000 * _percentile(values, 0.5):6.3f}"
            f"  p95 {1000 * _percentile(values, 0.95):6.3f}"
        )
    print(
        f"callbacks run between the close and the write: mean {sum(callbacks) / max(1, count):.1f},"
        f" busy {1000 * sum(busy) / max(1, count):.3f} ms"
    )


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--join":
        parser = argparse.ArgumentParser()
        parser.add_argument("--join", nargs=2, metavar=("SERVER_CSV", "CLIENT_CSV"))
        parser.add_argument("--per-host", type=int, default=2)
        options = parser.parse_args()
        _join(*options.join, options.per_host)
        return
    if len(sys.argv) < 3 or sys.argv[1] != "--out":
        sys.exit(__doc__)
    out = sys.argv[2]
    sys.argv = ["citecheck", *sys.argv[3:]]
    _install(out)
    runpy.run_module("citecheck", run_name="__main__")


if __name__ == "__main__":
    main()
