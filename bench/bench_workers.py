"""Benchmark `citecheck run --worker`: 1, 2 and 4 workers on one PostgreSQL database.

One fake web on 127.0.0.1 serves every host (named hosts through ``--resolve``) at a
fixed latency and counts, per Host, the most requests in flight at once: the
per-host limit is measured at the server, across all the workers. Then one worker of
two is killed with SIGKILL mid-run; the other takes over its hosts once their leases
expire, and every link must end with exactly one check in its history.

    python bench/bench_workers.py --pg "$CITECHECK_TEST_PG" \\
        [--links 20000] [--hosts 100] [--latency 0.1] [--workers 1,2,4] [--plain]

The floor for N links on H hosts at a per-host limit C and latency L is
ceil(N / H / C) x L, whatever the number of workers. The PostgreSQL server must let
the benchmark create and drop databases (``. .ci/postgres.sh && start_postgres``).
"""

from __future__ import annotations

import argparse
import collections
import csv
import math
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from servers import FakeWeb  # noqa: E402

PER_HOST = 2
KILL_LEASE_S = 5


def _database(admin_url: str) -> str:
    name = f"citecheck_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    parts = urlsplit(admin_url)
    return urlunsplit(parts._replace(path="/" + name))


def _drop(admin_url: str, url: str) -> None:
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {urlsplit(url).path[1:]} WITH (FORCE)")


def _sources(folder: Path, web: FakeWeb, links: int, hosts: int) -> Path:
    path = folder / "sources.csv"
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["url", "title", "cited_in", "context", "accessed"])
        for n in range(links):
            writer.writerow(
                [web.url(f"/page/p{n}", host=f"h{n % hosts}.bench"), "", "c.md", "", ""]
            )
    return path


def _worker(folder: Path, db: str, hosts: int, n: int, lease_s: float | None) -> subprocess.Popen:
    """A worker, or with no ``lease_s`` a plain ``citecheck run`` (the baseline)."""
    args = [sys.executable, "-m", "citecheck", "run", "--quiet", "--db", db]
    args += ["--sources", str(folder / "sources.csv"), "--per-host", str(PER_HOST)]
    args += ["-o", str(folder / f"report{n}.json")]
    if lease_s is not None:
        args += ["--worker", "--lease-seconds", str(lease_s)]
    for host in range(hosts):
        args += ["--resolve", f"h{host}.bench:127.0.0.1"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("CITECHECK_")}
    env["CITECHECK_PROBE_URLS"] = "http://h0.bench/ok"
    # The archive step (after each worker's check) finds the archive unreachable at
    # once: a port nothing listens on, its shared rate limits raised so that the
    # workers do not queue for its slots to learn it. What is measured is the check.
    env["CITECHECK_WAYBACK_URL"] = "http://127.0.0.1:9"
    for limit in ("CDX", "SAVES", "STATUS"):
        env[f"CITECHECK_WAYBACK_{limit}_PER_MIN"] = "60000"
    err = open(folder / f"worker{n}.err", "w+", encoding="utf-8")  # noqa: SIM115
    return subprocess.Popen(args, cwd=folder, env=env, stdout=subprocess.DEVNULL, stderr=err)


def _reap(proc: subprocess.Popen, folder: Path, n: int) -> float:
    """Wait for worker ``n``; its CPU seconds (user + system, from wait4)."""
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = (folder / f"worker{n}.err").read_text(encoding="utf-8", errors="replace")
    if proc.returncode not in (0, -signal.SIGKILL) or "Traceback" in err:
        raise SystemExit(f"a worker failed ({proc.returncode}): {err[-2000:]}")
    return usage.ru_utime + usage.ru_stime


def _clock_ticks(pid: int) -> int:
    """utime + stime + cutime + cstime of ``pid`` (its children reaped included)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(value) for value in fields[11:15])


def _server_cpu(admin_url: str) -> float | None:
    """CPU seconds the PostgreSQL server has used so far, when it runs on this machine:
    its postmaster's, its ended sessions' (reaped, so counted in the postmaster's
    children times) and its live processes'. None when it cannot be read."""
    try:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            backend = admin.execute("SELECT pg_backend_pid()").fetchone()[0]
        stat = Path(f"/proc/{backend}/stat").read_text().rsplit(")", 1)[1].split()
        postmaster = int(stat[1])
        ticks = _clock_ticks(postmaster)
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit() and entry.name != str(backend):
                try:
                    fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                if int(fields[1]) == postmaster:
                    ticks += sum(int(value) for value in fields[11:13])
    except (OSError, psycopg.Error, ValueError, IndexError):
        return None
    return ticks / os.sysconf("SC_CLK_TCK")


def _worker_runs(db: str) -> tuple[dict[int, int], float]:
    """Links checked by each worker's run (by pid), and the seconds from the first
    run's start to the last one's end (the checking, sources loaded)."""
    with psycopg.connect(db) as conn:
        rows = conn.execute(
            "SELECT pid, links_checked, started_at, finished_at FROM runs WHERE command = 'run'"
        ).fetchall()
    ends = [row[3] for row in rows if row[3] is not None]
    span = 0.0
    if ends:
        start = min(datetime.fromisoformat(row[2]) for row in rows)
        span = (max(datetime.fromisoformat(end) for end in ends) - start).total_seconds()
    return {pid: checked for pid, checked, _, _ in rows}, span


def _checks_per_link(db: str) -> collections.Counter[int]:
    with psycopg.connect(db) as conn:
        rows = conn.execute(
            "SELECT links.id, COUNT(checks.id) FROM links"
            " LEFT JOIN checks ON checks.link_id = links.id GROUP BY links.id"
        ).fetchall()
    return collections.Counter(count for _, count in rows)  # checks a link → links


def _recorded(db: str) -> int:
    try:
        with psycopg.connect(db) as conn:
            return conn.execute("SELECT COUNT(*) FROM checks").fetchone()[0]
    except psycopg.Error:  # the tables are not there yet
        return 0


def _scenario(
    admin: str, args: argparse.Namespace, workers: int, *, kill: bool, plain: bool = False
) -> None:
    db = _database(admin)
    try:
        with (
            tempfile.TemporaryDirectory() as tmp,
            FakeWeb(latency_s=args.latency, log_limit=args.links * 3) as web,
        ):
            folder = Path(tmp)
            _sources(folder, web, args.links, args.hosts)
            lease = None if plain else KILL_LEASE_S if kill else 120
            load_before = os.getloadavg()[0]
            server_before = _server_cpu(admin)
            self_before = _own_cpu()
            started = time.perf_counter()
            procs = [_worker(folder, db, args.hosts, n, lease) for n in range(workers)]
            killed_at = None
            if kill:
                while _recorded(db) < args.links // 3:
                    time.sleep(0.2)
                procs[0].send_signal(signal.SIGKILL)
                killed_at = _recorded(db)
            cpu = {proc.pid: _reap(proc, folder, n) for n, proc in enumerate(procs)}
            elapsed = time.perf_counter() - started
            server_after = _server_cpu(admin)
            web_cpu = _own_cpu() - self_before
            load_after = os.getloadavg()[0]
            checked, span = _worker_runs(db)
            per_host_max = max(web.max_concurrency(f"h{h}.bench") for h in range(args.hosts))
            cited = {f"/page/p{n}" for n in range(args.links)}
            served = collections.Counter(r.path for r in web.requests if r.path in cited)
            twice = sum(1 for count in served.values() if count > 1)
            histories = _checks_per_link(db)
            label = f"{workers} worker{'s' if workers > 1 else ''}"
            label += ", one killed" if kill else ""
            label = "plain run (no --worker)" if plain else label
            killed = f"  (killed after {killed_at} recorded, lease {KILL_LEASE_S} s)"
            server = (
                "n/a"
                if server_before is None or server_after is None
                else (f"{server_after - server_before:.1f} s")
            )
            per_worker = "  ".join(
                f"{cpu[pid]:.1f} s for {checked.get(pid, 0)}"
                + (f" ({cpu[pid] / checked[pid] * 1000:.1f} ms/link)" if checked.get(pid) else "")
                for pid in cpu
            )
            print(
                f"{label:<24} {elapsed:7.2f} s {args.links / elapsed:8.0f} links/s"
                f"  (checking {span:.1f} s: {args.links / span if span else 0:.0f} links/s)"
                f"  per-host max in flight {per_host_max} (limit {PER_HOST})"
                f"  total max {web.max_concurrency()}"
                f"  checks per link {dict(sorted(histories.items()))}"
                f"  fetched twice {twice}" + (killed if kill else "") + "\n"
                f"{'':<24} CPU: workers {per_worker};  PostgreSQL {server};"
                f"  bench + fake web {web_cpu:.1f} s;"
                f"  load average {load_before:.2f} at start, {load_after:.2f} at end",
                flush=True,
            )
    finally:
        _drop(admin, db)


def _own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pg", required=True, help="a PostgreSQL URL allowed to create databases")
    parser.add_argument("--links", type=int, default=20_000)
    parser.add_argument("--hosts", type=int, default=100)
    parser.add_argument("--latency", type=float, default=0.1)
    parser.add_argument("--workers", default="1,2,4", help="'' for the kill scenario alone")
    parser.add_argument("--plain", action="store_true", help="also a plain run, for scale")
    args = parser.parse_args()
    floor = math.ceil(args.links / args.hosts / PER_HOST) * args.latency
    print(
        f"{args.links} links over {args.hosts} hosts at {args.latency * 1000:.0f} ms,"
        f" per-host {PER_HOST}: floor {floor:.1f} s"
    )
    if args.plain:
        _scenario(args.pg, args, 1, kill=False, plain=True)
    for workers in (int(w) for w in args.workers.split(",") if w):
        _scenario(args.pg, args, workers, kill=False)
    _scenario(args.pg, args, 2, kill=True)


if __name__ == "__main__":
    main()
