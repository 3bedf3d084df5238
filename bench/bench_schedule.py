"""Benchmark the scheduled job: a month of nightly `citecheck run` over N links.

Each simulated night runs the real CLI in a subprocess, as cron would, with the clock
fixed by ``CITECHECK_NOW`` to 02:00 UTC of that night, against the local fake web (one
FakeWeb per fake host, each bound to its own 127.0.0.x address) and a FakeWayback
(anonymous saves, rate limits raised so the archive step takes seconds). Everything
runs on loopback and stops by itself: every run has a timeout, and the month stops
early (saying so) when ``--max-minutes`` is spent.

    python bench/bench_schedule.py [--links 10000] [--nights 30] [--hosts 50]

The links are mostly live pages (with an ETag, so a re-check may cost a 304), plus a
mix that changes during the month:

- ``dies``: about 2%, answer 404 from a night chosen at random (2 .. nights);
- ``outage``: about 1%, answer 503 for two or three nights, then recover;
- ``challenge``: about 1%, a 403 bot wall (Cloudflare-style) every night;
- ``redirect``: about 0.5%, a 301 or 302 to another page on the same host.

Per night it records the requests the fake web received (those to cited URLs and
redirect targets, and separately the soft-404 sibling probes, which go to random
paths, and the reachability probes), the Wayback requests, the links the run says it
checked, its wall time, its peak RSS (``os.wait4`` on that one child), its exit code,
and archive.db's size (+ WAL) and check rows after it. After the last night it runs
once more with the same clock, when nothing is due, and times that. It prints one
line per night on standard error and a JSON summary on standard output.

The schedule promises that after night 1 (every link new, every link checked) a
nightly run asks about ``links / 7`` links (ok links weekly, each on its own day),
plus the failing ones daily: not ``links``.
"""

from __future__ import annotations

import argparse
import collections
import csv
import hashlib
import json
import os
import random
import re
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, closing
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from servers import FakeWayback, FakeWeb, Reply, Request  # noqa: E402

#: The first simulated night (runs start at 02:00 UTC).
FIRST_NIGHT = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)
#: Directories per host that cited pages live in. The soft-404 sibling probe is
#: remembered per (host, directory) within a run, so this sets how many probes a
#: night costs at most: real citations spread over many directories.
SECTIONS_PER_HOST = 20
#: Seconds one night's run may take before it is killed (and the month stopped).
RUN_TIMEOUT_S = 900.0
#: Requests a minute allowed against the fake Wayback (as tests/e2e/conftest.py).
FAST_WAYBACK_PER_MIN = "60000"
#: Share of links of each changing kind; the rest are live pages.
MIX = (("dies", 0.02), ("outage", 0.01), ("challenge", 0.01), ("redirect", 0.005))
#: The summary line `run` prints: links checked, and the check phase's own seconds.
_CHECKED = re.compile(r"Checked (\d+)(?: of \d+)? links.*? in ([0-9.]+)s")


@dataclass(frozen=True)
class _Plan:
    """How one cited path behaves over the month: ``kind``, and for ``dies`` the
    night it starts answering 404, for ``outage`` the nights [from_night, until_night)
    it answers 503."""

    kind: str
    from_night: int = 0
    until_night: int = 0
    redirect_status: int = 301


@dataclass(frozen=True)
class Night:
    """What one run did, as the fake web, the fake archive and archive.db saw it."""

    night: int
    now: str
    exit_code: int
    wall_s: float
    peak_rss_mib: float
    checked: int | None
    check_s: float | None  # the check phase alone, as `run` reports it
    requests: int  # all requests the fake web received
    cited_requests: int  # to cited URLs and redirect targets: the checks themselves
    sibling_probes: int  # soft-404 probes: random paths beside a cited URL
    reachability_probes: int
    answers: dict[str, int]  # fake-web status codes answered, as text
    wayback_requests: dict[str, int]  # by endpoint: cdx, save, status, replay
    db_bytes: int
    wal_bytes: int
    check_rows: int


class _Month:
    """The fake web's behaviour and request counts, shared by every host's thread."""

    def __init__(self, plans: dict[str, _Plan]) -> None:
        self.plans = plans
        self.night = 1
        self._lock = threading.Lock()
        self._counts: collections.Counter[str] = collections.Counter()

    def counts(self) -> collections.Counter[str]:
        with self._lock:
            return collections.Counter(self._counts)

    def _count(self, *keys: str) -> None:
        with self._lock:
            for key in keys:
                self._counts[key] += 1

    async def reachability(self, request: Request, reply: Reply) -> None:
        self._count("reachability", "status:200")
        await reply.send(200, _page_html("Reachability probe"))

    async def moved(self, request: Request, reply: Reply) -> None:
        """A redirect's target: a live page."""
        self._count("cited", "status:200")
        await reply.send(200, _page_html(f"Moved {request.path}"))

    async def cited(self, request: Request, reply: Reply) -> None:
        """A cited path answers as its plan says tonight; any other path is a
        sibling probe and gets the site's 404."""
        plan = self.plans.get(request.path)
        if plan is None:
            self._count("sibling", "status:404")
            await reply.send(404, _page_html("Not Found", "Not Found"))
            return
        status, body, headers = _answer(plan, request, self.night)
        self._count("cited", f"status:{status}")
        await reply.send(status, body, headers)


def _page_html(title: str, headline: str | None = None) -> bytes:
    text = " ".join(f"Paragraph about {title} number {n}." for n in range(12))
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{title}</title>'
        f"</head>\n<body><h1>{headline or title}</h1><p>{text}</p></body></html>\n"
    ).encode()


def _answer(plan: _Plan, request: Request, night: int) -> tuple[int, bytes, dict[str, str]]:
    if plan.kind == "dies" and night >= plan.from_night:
        return 404, _page_html("Not Found", "Not Found"), {}
    if plan.kind == "outage" and plan.from_night <= night < plan.until_night:
        return 503, _page_html("Service Unavailable"), {}
    if plan.kind == "challenge":
        body = _page_html("Just a moment...", "Checking your browser before accessing the site.")
        return 403, body, {"cf-mitigated": "challenge", "Server": "cloudflare"}
    if plan.kind == "redirect":
        return plan.redirect_status, b"", {"Location": "/moved" + request.path}
    etag = '"' + hashlib.blake2b(request.path.encode(), digest_size=6).hexdigest() + '"'
    if request.headers.get("if-none-match") == etag:
        return 304, b"", {"ETag": etag}
    return 200, _page_html(f"Cited page {request.path}"), {"ETag": etag}


def _plans(links: int, nights: int, seed: int) -> list[tuple[int, _Plan]]:
    """Each link's number and plan, drawn from MIX with a fixed seed."""
    rng = random.Random(seed)
    plans = []
    for number in range(links):
        draw = rng.random()
        kind = "ok"
        for name, share in MIX:
            if draw < share:
                kind = name
                break
            draw -= share
        if kind == "dies":
            plan = _Plan(kind, from_night=rng.randint(2, max(2, nights)))
        elif kind == "outage":
            start = rng.randint(1, max(1, nights - 3))
            plan = _Plan(kind, from_night=start, until_night=start + rng.randint(2, 3))
        elif kind == "redirect":
            plan = _Plan(kind, redirect_status=rng.choice((301, 302)))
        else:
            plan = _Plan(kind)
        plans.append((number, plan))
    return plans


def _path(number: int, hosts: int) -> str:
    return f"/cite/s{(number // hosts) % SECTIONS_PER_HOST}/article-{number}"


def _servers(stack: ExitStack, hosts: int, month: _Month) -> list[FakeWeb]:
    servers = []
    for index in range(hosts):
        web = FakeWeb(log_limit=100)
        web.host = f"127.0.0.{index + 2}"
        web.route("/cite/*", month.cited)
        web.route("/moved/*", month.moved)
        web.route("/reachability", month.reachability)
        servers.append(stack.enter_context(web))
    return servers


def _write_sources(path: Path, servers: list[FakeWeb], plans: list[tuple[int, _Plan]]) -> None:
    rows = [(number, servers[number % len(servers)]) for number, _ in plans]
    random.Random(7).shuffle(rows)  # citation order is not host order
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["url", "cited_in"])
        for line, (number, web) in enumerate(rows, 1):
            writer.writerow([web.url(_path(number, len(servers)), host=web.host), f"doc.md:{line}"])


def _env(probe_url: str, wayback: FakeWayback) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("CITECHECK_", "IA_"))
        and key.lower() not in ("http_proxy", "https_proxy", "all_proxy", "no_proxy")
    }
    env["CITECHECK_PROBE_URLS"] = probe_url
    env["CITECHECK_WAYBACK_URL"] = wayback.base
    for name in ("CDX", "SAVES", "STATUS"):
        env[f"CITECHECK_WAYBACK_{name}_PER_MIN"] = FAST_WAYBACK_PER_MIN
    return env


@dataclass(frozen=True)
class _Finished:
    exit_code: int
    wall_s: float
    peak_rss_mib: float
    output: str


def _run(args: list[str], cwd: Path, env: dict[str, str], timeout_s: float) -> _Finished:
    """Run one command and reap it with ``os.wait4``, for that child's own peak RSS
    (RUSAGE_CHILDREN is the peak over every child so far, not this one's)."""
    with tempfile.TemporaryFile() as output:
        started = time.perf_counter()
        proc = subprocess.Popen(args, cwd=cwd, env=env, stdout=output, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout_s
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() > deadline:
                proc.send_signal(signal.SIGKILL)
                pid, status, usage = os.wait4(proc.pid, 0)
                break
            time.sleep(0.02)
        wall_s = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        output.seek(0)
        text = output.read().decode("utf-8", "replace")
    return _Finished(proc.returncode, wall_s, usage.ru_maxrss / 1024, text)


def _wayback_counts(wayback: FakeWayback) -> dict[str, int]:
    counts: collections.Counter[str] = collections.Counter()
    for entry in wayback.requests:
        path = entry.path
        if path.startswith("/cdx/"):
            counts["cdx"] += 1
        elif path.startswith("/save/status/"):
            counts["status"] += 1
        elif path.startswith("/save"):
            counts["save"] += 1
        else:
            counts["replay"] += 1
    wayback.clear_log()
    return dict(counts)


def _read_only(db: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{db}?mode=ro", uri=True)


def _check_rows(db: Path) -> int:
    with closing(_read_only(db)) as conn:
        (rows,) = conn.execute("select count(*) from checks").fetchone()
    return rows


def _statuses(db: Path) -> dict[str, int]:
    with closing(_read_only(db)) as conn:
        return dict(conn.execute("select status, count(*) from links group by status"))


def _by_kind(db: Path, kind_of: dict[str, str], query: str) -> dict[str, dict[str, int]]:
    """Links by planned kind and status, from ``query``'s (url, status) rows."""
    table: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    with closing(_read_only(db)) as conn:
        for url, status in conn.execute(query):
            table[kind_of.get(url, "?")][status] += 1
    return {kind: dict(counts) for kind, counts in sorted(table.items())}


def _truth(db: Path, kind_of: dict[str, str]) -> dict[str, dict[str, dict[str, int]]]:
    """What each planned kind of link ended as, and which statuses its checks ever had
    (an outage that never became ``broken``, a death the schedule has not reached yet)."""
    return {
        "final_status": _by_kind(db, kind_of, "select url, status from links"),
        "links_with_a_check_of_status": _by_kind(
            db,
            kind_of,
            "select distinct links.url, checks.status from checks"
            " join links on links.id = checks.link_id",
        ),
    }


def _night(
    number: int,
    now: datetime,
    cwd: Path,
    env: dict[str, str],
    month: _Month,
    wayback: FakeWayback,
) -> Night:
    month.night = number
    wayback.now = now
    before = month.counts()
    finished = _run(
        [sys.executable, "-m", "citecheck", "run"],
        cwd,
        {**env, "CITECHECK_NOW": now.isoformat().replace("+00:00", "Z")},
        RUN_TIMEOUT_S,
    )
    after = month.counts()
    delta = after - before
    checked = _CHECKED.search(finished.output)
    db = cwd / "archive.db"
    wal = cwd / "archive.db-wal"
    if finished.exit_code not in (0, 1):
        print(finished.output[-3000:], file=sys.stderr)
    return Night(
        night=number,
        now=now.isoformat(),
        exit_code=finished.exit_code,
        wall_s=round(finished.wall_s, 2),
        peak_rss_mib=round(finished.peak_rss_mib, 1),
        checked=int(checked.group(1)) if checked else None,
        check_s=float(checked.group(2)) if checked else None,
        requests=delta["cited"] + delta["sibling"] + delta["reachability"],
        cited_requests=delta["cited"],
        sibling_probes=delta["sibling"],
        reachability_probes=delta["reachability"],
        answers={
            key.removeprefix("status:"): value
            for key, value in sorted(delta.items())
            if key.startswith("status:")
        },
        wayback_requests=_wayback_counts(wayback),
        db_bytes=db.stat().st_size if db.exists() else 0,
        wal_bytes=wal.stat().st_size if wal.exists() else 0,
        check_rows=_check_rows(db) if db.exists() else 0,
    )


def _nights(first: datetime, count: int) -> Iterator[tuple[int, datetime]]:
    for index in range(count):
        yield index + 1, first + timedelta(days=index)


def _mib(size: int) -> float:
    return round(size / 2**20, 2)


def _summary(
    args: argparse.Namespace,
    nights: list[Night],
    idle: Night | None,
    mix: dict[str, int],
    truth: dict[str, dict[str, dict[str, int]]],
    statuses: dict[str, int],
    stopped_early: str | None,
) -> dict:
    first, later = nights[0], nights[1:]

    def spread(values: list[float]) -> dict[str, float] | None:
        if not values:
            return None
        return {
            "mean": round(statistics.fmean(values), 1),
            "min": min(values),
            "max": max(values),
        }

    last = nights[-1]
    total_db = [n.db_bytes + n.wal_bytes for n in nights]
    new_rows = last.check_rows - first.check_rows
    growth = total_db[-1] - total_db[0]
    return {
        "links": args.links,
        "hosts": args.hosts,
        "nights_planned": args.nights,
        "nights_run": len(nights),
        "stopped_early": stopped_early,
        "mix": mix,
        "requests_per_night": {
            "first_night": {
                "all": first.requests,
                "excluding_sibling_probes": first.cited_requests,
                "sibling_probes": first.sibling_probes,
            },
            "nights_2_on_all": spread([n.requests for n in later]),
            "nights_2_on_excluding_sibling_probes": spread([n.cited_requests for n in later]),
            "nights_2_on_links_checked": spread([n.checked or 0 for n in later]),
            "links_over_7": round(args.links / 7, 1),
        },
        "month_total": {
            "requests": sum(n.requests for n in nights),
            "excluding_sibling_probes": sum(n.cited_requests for n in nights),
            "naive_every_link_every_night": len(nights) * args.links,
            "ratio_to_naive": round(
                sum(n.requests for n in nights) / (len(nights) * args.links), 3
            ),
        },
        "database": {
            "after_night_1_mib": _mib(total_db[0]),
            "after_last_night_mib": _mib(total_db[-1]),
            "growth_mib": _mib(growth),
            "growth_per_30_nights_mib": _mib(growth * 30 // max(1, len(nights) - 1)),
            "check_rows_after_night_1": first.check_rows,
            "check_rows_after_last_night": last.check_rows,
            "bytes_per_check_row_after_night_1": round(growth / new_rows) if new_rows else None,
            "largest_wal_mib": _mib(max(n.wal_bytes for n in nights)),
        },
        "wall_s": {
            "first_night": first.wall_s,
            "nights_2_on": spread([n.wall_s for n in later]),
            "nothing_due_run": idle.wall_s if idle else None,
            "check_phase_first_night": first.check_s,
            "check_phase_nights_2_on": spread([n.check_s or 0.0 for n in later]),
            "check_phase_nothing_due_run": idle.check_s if idle else None,
        },
        "nothing_due_run": asdict(idle) if idle else None,
        "peak_rss_mib": max(n.peak_rss_mib for n in nights + ([idle] if idle else [])),
        "exit_codes": dict(collections.Counter(str(n.exit_code) for n in nights)),
        "final_statuses": statuses,
        "by_planned_kind": truth,
        "nights": [asdict(n) for n in nights],
    }


def _night_line(night: Night) -> str:
    return (
        f"night {night.night:>2}: exit {night.exit_code}, checked {night.checked}, "
        f"{night.requests} requests ({night.sibling_probes} sibling probes), "
        f"wayback {night.wayback_requests}, {night.wall_s:.1f} s (check {night.check_s} s), "
        f"{night.peak_rss_mib:.0f} MiB, db {_mib(night.db_bytes + night.wal_bytes)} MiB, "
        f"{night.check_rows} check rows"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--links", type=int, default=10_000)
    parser.add_argument("--nights", type=int, default=30)
    parser.add_argument("--hosts", type=int, default=50, help="fake hosts, at most 250")
    parser.add_argument("--seed", type=int, default=2026, help="for the mix of links")
    parser.add_argument(
        "--max-minutes",
        type=float,
        default=20.0,
        help="stop after the night that passes this much wall time",
    )
    args = parser.parse_args()
    if not 1 <= args.hosts <= 250 or args.links < 1 or args.nights < 1:
        parser.error("need 1-250 hosts, at least one link and at least one night")

    plans = _plans(args.links, args.nights, args.seed)
    month = _Month({_path(number, args.hosts): plan for number, plan in plans})
    mix = dict(collections.Counter(plan.kind for _, plan in plans))
    deadline = time.monotonic() + args.max_minutes * 60
    with ExitStack() as stack, tempfile.TemporaryDirectory() as tmp:
        servers = _servers(stack, args.hosts, month)
        wayback = stack.enter_context(FakeWayback(log_limit=100_000))
        cwd = Path(tmp)
        _write_sources(cwd / "sources.csv", servers, plans)
        kind_of = {}
        for number, plan in plans:
            web = servers[number % len(servers)]
            kind_of[web.url(_path(number, args.hosts), host=web.host)] = plan.kind
        env = _env(servers[0].url("/reachability", host=servers[0].host), wayback)

        results: list[Night] = []
        stopped_early = None
        for number, now in _nights(FIRST_NIGHT, args.nights):
            night = _night(number, now, cwd, env, month, wayback)
            results.append(night)
            print(_night_line(night), file=sys.stderr, flush=True)
            if night.exit_code not in (0, 1):
                stopped_early = f"night {number} exited {night.exit_code}"
                break
            if time.monotonic() > deadline and number < args.nights:
                stopped_early = f"--max-minutes {args.max_minutes:g} spent after night {number}"
                break
        last_now = FIRST_NIGHT + timedelta(days=len(results) - 1)
        idle = _night(len(results), last_now, cwd, env, month, wayback)
        print("nothing due: " + _night_line(idle), file=sys.stderr, flush=True)
        statuses = _statuses(cwd / "archive.db")
        truth = _truth(cwd / "archive.db", kind_of)
    summary = _summary(args, results, idle, mix, truth, statuses, stopped_early)
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
