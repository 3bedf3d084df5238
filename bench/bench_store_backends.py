"""Benchmark the store on SQLite and on PostgreSQL: the same library calls, both backends.

Syncs N citations, records N checks (batched, as ``check`` does, and one transaction
each), streams the report rows, and copies the database SQLite → PostgreSQL with
``db copy``. Prints seconds and rows a second for each step and backend.

    python bench/bench_store_backends.py --pg postgresql://user@127.0.0.1:55432/postgres \\
        [--links 5000]

The PostgreSQL server must let the benchmark create and drop a database (the same as
CITECHECK_TEST_PG; ``. .ci/postgres.sh && start_postgres`` starts one on loopback).
"""

from __future__ import annotations

import argparse
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg

from citecheck.models import CheckResult, Citation, LinkState, Status
from citecheck.store import Store
from citecheck.store.maintenance import copy_database

T0 = datetime(2025, 6, 1, tzinfo=UTC)


def _timed(label: str, rows: int, step: Callable[[], object]) -> None:
    started = time.perf_counter()
    step()
    elapsed = time.perf_counter() - started
    print(f"  {label:<34} {elapsed:7.2f} s  {rows / elapsed:9.0f} rows/s", flush=True)


def _exercise(address: str | Path, links: int) -> None:
    urls = [f"https://site{n % 100}.example/report/{n}" for n in range(links)]
    with Store.open(address) as store:
        _timed(
            "sync citations",
            links,
            lambda: store.sync_citations(
                (Citation(url=url, document="campaign.md", line=n) for n, url in enumerate(urls)),
                now=T0,
            ),
        )
        run = store.begin_run("check", now=T0)

        def record(at: datetime, batched: bool) -> None:
            def one(url: str) -> None:
                result = CheckResult(url=url, checked_at=at, status=Status.OK, title="A title")
                state = LinkState(url=url, status=Status.OK, checked_at=at, ever_ok=True)
                store.record_check(run, result, state)

            if batched:
                with store.batched_writes():
                    for url in urls:
                        one(url)
            else:
                for url in urls:
                    one(url)

        _timed("record checks, batched", links, lambda: record(T0, True))
        later = T0 + timedelta(days=1)
        _timed("record checks, a commit each", links, lambda: record(later, False))
        _timed("stream report rows", links, lambda: sum(1 for _ in store.iter_report_rows()))


def _database_url(server: str, name: str) -> str:
    parts = urlsplit(server)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, ""))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pg", required=True, help="a PostgreSQL server URL")
    parser.add_argument("--links", type=int, default=5000)
    args = parser.parse_args()
    names = [f"citecheck_bench_{uuid.uuid4().hex[:8]}" for _ in range(2)]
    with psycopg.connect(args.pg, autocommit=True) as admin:
        for name in names:
            admin.execute(f"CREATE DATABASE {name}")
    try:
        with tempfile.TemporaryDirectory() as folder:
            sqlite_path = Path(folder) / "archive.db"
            print(f"SQLite ({args.links} links)")
            _exercise(sqlite_path, args.links)
            print(f"PostgreSQL ({args.links} links)")
            _exercise(_database_url(args.pg, names[0]), args.links)
            with Store.open(sqlite_path) as store:
                (checks,) = store._conn.execute("SELECT COUNT(*) FROM checks").fetchone()
            print("db copy")
            _timed(
                "SQLite → PostgreSQL (checks)",
                checks,
                lambda: copy_database(sqlite_path, _database_url(args.pg, names[1])),
            )
    finally:
        with psycopg.connect(args.pg, autocommit=True) as admin:
            for name in names:
                admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


if __name__ == "__main__":
    main()
