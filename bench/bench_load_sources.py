"""Loading sources.csv into the store, the part of a check's start that grows with it.

    python bench/bench_load_sources.py                    # 2,000 rows, best of 15
    python bench/bench_load_sources.py --rows 20000 --repeat 3
    PYTHONPATH=/tmp/before/src python bench/bench_load_sources.py   # an older tree

Writes a sources.csv of ``--rows`` URLs (the shape bench_peer.py checks: numbered
paths on 20 hosts) and times, each the best of ``--repeat`` runs: the validating
pass ``check`` makes before it opens the database (``check_sources``), reading the
citations (``iter_sources``: rows, keys, the duplicate check), and
``load_sources`` into a new database and again into the same one (a nightly run:
every row already stored). The URL keys remembered by ``normalize_url`` are
forgotten before each run, as a new process starts without them.
"""

from __future__ import annotations

import argparse
import csv
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from citecheck import sources, urls
from citecheck.pipeline import check_sources, load_sources
from citecheck.store import Store


def _write_sources(path: Path, rows: int, hosts: int) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["url", "cited_in"])
        for i in range(rows):
            host = i % hosts
            url = f"http://127.0.{1 + host // 250}.{1 + host % 250}:9/p/{i}"
            writer.writerow([url, f"bench.md:{i + 1}"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--hosts", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=15)
    options = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="citecheck-load-"))
    csv_path = folder / "sources.csv"
    _write_sources(csv_path, options.rows, options.hosts)
    now = datetime.now(UTC)
    best: dict[str, float] = {}

    def timed(name: str, action: Callable[[], object]) -> None:
        urls.normalize_url.cache_clear()
        started = time.perf_counter()
        action()
        best[name] = min(best.get(name, float("inf")), time.perf_counter() - started)

    for run in range(options.repeat):
        with Store.open(folder / f"archive-{run}.db") as store:
            timed("validate (check_sources)", lambda: check_sources(csv_path))
            timed("read (iter_sources)", lambda: sum(1 for _ in sources.iter_sources(csv_path)))
            timed("load_sources, new database", lambda: load_sources(store, csv_path, now=now))
            timed("load_sources, again", lambda: load_sources(store, csv_path, now=now))
    for name, seconds in best.items():
        per_row = seconds / options.rows * 1e6
        print(f"{name:28s} {seconds * 1000:8.1f} ms  {per_row:5.1f} µs a row")


if __name__ == "__main__":
    main()
