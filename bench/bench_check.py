"""Benchmarks of `citecheck check` and `citecheck report` against the local fake web.

Everything runs on loopback: one FakeWeb server per fake host, each bound to its own
127.0.0.x address, so that both citecheck and a peer (LinkChecker) see distinct
hosts without any DNS. Every scenario is bounded and stops by itself.

    python bench/bench_check.py latency   # 2,000 links, 20 hosts, 100 ms: vs the floor
    python bench/bench_check.py memory    # 100,000 links: peak RSS of the check process
    python bench/bench_check.py report    # report over 10,000 links x 100 checks
    python bench/bench_check.py peer      # LinkChecker on the latency scenario's links
    python bench/bench_check.py all

The floor for a checker that honours a per-host limit C over N links on H hosts at
latency L is ceil(N / H / C) x L.
"""

from __future__ import annotations

import csv
import json
import math
import os
import random
import re
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

import peak_rss  # noqa: E402
from servers import FakeWeb  # noqa: E402

from citecheck.models import Citation  # noqa: E402
from citecheck.store import Store  # noqa: E402

PER_HOST = 2


def _servers(stack: ExitStack, hosts: int, latency_s: float) -> list[FakeWeb]:
    servers = []
    for index in range(hosts):
        web = FakeWeb(latency_s=latency_s, log_limit=1000)
        web.host = f"127.0.0.{index + 2}"
        servers.append(stack.enter_context(web))
    return servers


def _links(servers: list[FakeWeb], count: int, *, shuffle: bool) -> list[str]:
    urls = [
        servers[n % len(servers)].url(f"/page/p{n}", host=servers[n % len(servers)].host)
        for n in range(count)
    ]
    if shuffle:
        random.Random(42).shuffle(urls)
    else:
        urls.sort()  # grouped by host: the worst order for a naive worker pool
    return urls


def _write_sources(path: Path, urls: list[str]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["url", "cited_in"])
        for line, url in enumerate(urls, 1):
            writer.writerow([url, f"bench.md:{line}"])


def _run(args: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, int, int]:
    """Run a command; return (seconds, exit code, peak RSS of the child in MiB: its
    own, not this process's at the spawn, peak_rss.py).

    The command's standard output is kept in ``_run.last_stdout``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    with peak_rss.measured(args) as (counted, peak):
        started = time.perf_counter()
        proc = subprocess.run(
            counted, cwd=cwd, env=env, capture_output=True, text=True, timeout=1800
        )
        elapsed = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        peak_kib = peak(max(before, after))
    stdout, stderr = proc.stdout, proc.stderr
    _run.last_stdout = stdout
    if proc.returncode not in (0, 1):
        print(stdout[-2000:], stderr[-2000:], file=sys.stderr)
    return elapsed, proc.returncode, int(peak_kib // 1024)


def _env(probe: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CITECHECK_")}
    env["CITECHECK_PROBE_URLS"] = probe
    return env


def latency(links: int = 2000, hosts: int = 20, latency_s: float = 0.1) -> dict:
    with ExitStack() as stack, tempfile.TemporaryDirectory() as tmp:
        servers = _servers(stack, hosts, latency_s)
        cwd = Path(tmp)
        results = {}
        for order in ("grouped by host", "shuffled"):
            _write_sources(cwd / "sources.csv", _links(servers, links, shuffle=order == "shuffled"))
            (cwd / "archive.db").unlink(missing_ok=True)
            seconds, code, rss = _run(
                [sys.executable, "-m", "citecheck", "check", "--per-host", str(PER_HOST)],
                cwd,
                _env(servers[0].url("/ok", host=servers[0].host)),
            )
            requests = sum(s.count() for s in servers)
            for server in servers:
                server.clear_log()
            floor = math.ceil(links / hosts / PER_HOST) * latency_s
            # The CLI's own "Checked N links in X s": the checking, without start-up.
            phase = float(re.search(r" in ([0-9.]+)s", _run.last_stdout).group(1))
            results[order] = {
                "seconds": round(seconds, 2),
                "check_phase_s": phase,
                "floor_s": round(floor, 2),
                "ratio": round(seconds / floor, 2),
                "check_phase_ratio": round(phase / floor, 2),
                "exit": code,
                "requests": requests,
                "peak_rss_mib": rss,
            }
        return {"links": links, "hosts": hosts, "latency_s": latency_s, "runs": results}


def peer(links: int = 2000, hosts: int = 20, latency_s: float = 0.1) -> dict:
    linkchecker = shutil.which("linkchecker") or os.environ.get("LINKCHECKER")
    if not linkchecker:
        return {"skipped": "linkchecker not installed (pip install linkchecker)"}
    with ExitStack() as stack, tempfile.TemporaryDirectory() as tmp:
        servers = _servers(stack, hosts, latency_s)
        page = Path(tmp) / "links.html"
        body = "\n".join(
            f'<a href="{url}">{n}</a>' for n, url in enumerate(_links(servers, links, shuffle=True))
        )
        page.write_text(f"<!DOCTYPE html><html><body>{body}</body></html>")
        os.chmod(tmp, 0o755)
        os.chmod(page, 0o644)
        seconds, code, rss = _run(
            [
                linkchecker,
                "--check-extern",
                "-r1",
                "--threads",
                "40",
                "--no-status",
                "-o",
                "none",
                str(page),
            ],
            Path(tmp),
            dict(os.environ),
        )
        requests = sum(s.count() for s in servers)
        floor = math.ceil(links / hosts / PER_HOST) * latency_s
        return {
            "tool": "LinkChecker 10.6.0, --threads 40, default per-host rate limits",
            "seconds": round(seconds, 2),
            "ratio_to_citecheck_floor": round(seconds / floor, 2),
            "exit": code,
            "requests": requests,
            "peak_rss_mib": rss,
        }


def memory(links: int = 100_000, hosts: int = 20) -> dict:
    with ExitStack() as stack, tempfile.TemporaryDirectory() as tmp:
        servers = _servers(stack, hosts, 0.0)
        cwd = Path(tmp)
        _write_sources(cwd / "sources.csv", _links(servers, links, shuffle=True))
        seconds, code, rss = _run(
            [sys.executable, "-m", "citecheck", "check"],
            cwd,
            _env(servers[0].url("/ok", host=servers[0].host)),
        )
        db_mib = (cwd / "archive.db").stat().st_size / 2**20
        return {
            "links": links,
            "seconds": round(seconds, 1),
            "links_per_s": round(links / seconds),
            "exit": code,
            "peak_rss_mib": rss,
            "db_mib": round(db_mib, 1),
        }


def _fill(db_path: Path, links: int, checks: int) -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    with Store.open(db_path) as store:
        store.sync_citations(
            (
                Citation(url=f"https://site{n % 500}.example/a/{n}", document="doc.md", line=n)
                for n in range(links)
            ),
            now=now,
        )
        run_id = store.begin_run("bench", now=now)
        store.finish_run(run_id, now=now, outcome="finished", summary={})
    statuses = ["ok"] * 8 + ["failing", "broken"]
    with sqlite3.connect(db_path) as db:
        ids = [row[0] for row in db.execute("select id from links")]
        for start in range(0, len(ids), 500):
            rows = []
            for link_id in ids[start : start + 500]:
                for k in range(checks):
                    status = statuses[(link_id + k) % len(statuses)]
                    rows.append(
                        (
                            link_id,
                            run_id,
                            (now + timedelta(days=k)).isoformat(),
                            status,
                            None if status == "ok" else "server_error",
                            200 if status == "ok" else 503,
                        )
                    )
            db.executemany(
                "insert into checks (link_id, run_id, checked_at, status, reason, http_status)"
                " values (?, ?, ?, ?, ?, ?)",
                rows,
            )
        db.execute("update links set status = 'ok', checked_at = ?", (now.isoformat(),))


def report(links: int = 10_000, checks: int = 100) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        cwd = Path(tmp)
        _fill(cwd / "archive.db", links, checks)
        out = {}
        for fmt in ("json", "md", "html", "csv"):
            seconds, code, rss = _run(
                [
                    sys.executable,
                    "-m",
                    "citecheck",
                    "report",
                    "--format",
                    fmt,
                    "-o",
                    f"report.{fmt}",
                ],
                cwd,
                _env(""),
            )
            size = (cwd / f"report.{fmt}").stat().st_size if code == 0 else 0
            out[fmt] = {
                "seconds": round(seconds, 2),
                "exit": code,
                "peak_rss_mib": rss,
                "size_mib": round(size / 2**20, 1),
            }
        return {"links": links, "history_rows": links * checks, "formats": out}


SCENARIOS = {"latency": latency, "peer": peer, "memory": memory, "report": report}

if __name__ == "__main__":
    chosen = sys.argv[1:] or ["latency"]
    if chosen == ["all"]:
        chosen = list(SCENARIOS)
    for name in chosen:
        print(json.dumps({name: SCENARIOS[name]()}, indent=2), flush=True)
