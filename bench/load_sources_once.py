"""One step of loading sources.csv, once, for an instruction counter (callgrind).

    python bench/load_sources_once.py 5000 read
    valgrind --tool=callgrind --callgrind-out-file=/dev/null \\
        python bench/load_sources_once.py 5000 read           # "Collected" = instructions
    PYTHONPATH=/tmp/before/src valgrind ... python bench/load_sources_once.py 5000 read

Writes a sources.csv of N rows (bench_load_sources.py's shape, 200 hosts), opens a
new store and runs STEP once: ``none`` (only the set-up: subtract it), ``validate``
(check_sources), ``read`` (iter_sources), ``load`` (load_sources) or ``reload``
(load_sources twice, the same file: subtract ``load`` for the nightly reload). Instruction
counts do not move with the machine's load, as times do; bench_load_sources.py
gives the times.
"""

from __future__ import annotations

import csv
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from citecheck import sources
from citecheck.pipeline import check_sources, load_sources
from citecheck.store import Store


def main() -> None:
    rows, step = int(sys.argv[1]), sys.argv[2]
    folder = Path(tempfile.mkdtemp(prefix="citecheck-load-once-"))
    path = folder / "sources.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["url", "cited_in"])
        for i in range(rows):
            host = i % 200
            url = f"http://127.0.{1 + host // 250}.{1 + host % 250}:9/p/{i}"
            writer.writerow([url, f"bench.md:{i + 1}"])
    with Store.open(folder / "archive.db") as store:
        if step == "validate":
            check_sources(path)
        elif step == "read":
            sum(1 for _ in sources.iter_sources(path))
        elif step in ("load", "reload"):
            load_sources(store, path, now=datetime.now(UTC))
            if step == "reload":  # the nightly case: the same file again
                load_sources(store, path, now=datetime.now(UTC))
        elif step != "none":
            raise SystemExit(f"unknown step {step!r}: none, validate, read, load or reload")


if __name__ == "__main__":
    main()
