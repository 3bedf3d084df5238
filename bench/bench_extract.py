"""Benchmark `extract`: documents citing 25,000 to 200,000 URLs, as Markdown, HTML
and plain text.

Each document is prose in paragraphs of four sentences, each sentence citing one
URL (a link in Markdown and HTML, a bare URL in text), over 500 hosts. Every run is
the real CLI in a subprocess (`citecheck extract DOC -o sources.csv`, a fresh
sources.csv), so the figures include reading, extracting, merging and writing.
Prints, per format and size, the time, the time per 1,000 URLs (flat when the cost
is linear) and the subprocess's peak RSS.

    python bench/bench_extract.py [--sizes 25000,100000,200000] [--formats md,html,txt]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

_SENTENCE = "Finding {n} shows that the measure affected {k} people in the region"


def _url(n: int) -> str:
    return f"https://site{n % 500}.example/reports/{n // 500}/item-{n}?ref=campaign"


def write_document(path: Path, fmt: str, count: int) -> None:
    """A document of ``count`` citations in ``fmt`` (md, html or txt)."""
    with path.open("w", encoding="utf-8") as out:
        if fmt == "html":
            out.write("<!doctype html>\n<html><head><title>Campaign</title></head><body>\n")
        for n in range(count):
            claim = _SENTENCE.format(n=n, k=n * 7 % 1000)
            if fmt == "md":
                out.write(f"{claim} ([source {n}]({_url(n)})).")
            elif fmt == "html":
                if n % 4 == 0:
                    out.write("<p>")
                out.write(f'{claim} (<a href="{_url(n)}">source {n}</a>).')
            else:
                out.write(f"{claim}: {_url(n)}.")
            if n % 4 == 3:
                out.write("</p>\n\n" if fmt == "html" else "\n\n")
            else:
                out.write(" " if fmt != "txt" else "\n")
        if fmt == "html":
            out.write("</body></html>\n")


def run_extract(document: Path, sources: Path) -> tuple[float, int]:
    """Seconds taken and peak RSS (bytes) of one `citecheck extract` subprocess."""
    started = time.monotonic()
    process = subprocess.Popen(
        [sys.executable, "-m", "citecheck", "extract", str(document), "-o", str(sources)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.monotonic() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    stderr = process.stderr.read().decode() if process.stderr else ""
    if process.returncode != 0:
        raise SystemExit(f"extract failed ({process.returncode}): {stderr}")
    return elapsed, usage.ru_maxrss * 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="25000,100000,200000")
    parser.add_argument("--formats", default="md,html,txt")
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    header = f"{'format':<6} {'URLs':>8} {'size MB':>8} {'time s':>7} {'s/1k URLs':>9}"
    print(f"{header} {'peak RSS MB':>11}")
    with tempfile.TemporaryDirectory() as folder:
        for fmt in args.formats.split(","):
            for count in sizes:
                document = Path(folder) / f"campaign.{fmt}"
                sources = Path(folder) / "sources.csv"
                sources.unlink(missing_ok=True)
                write_document(document, fmt, count)
                elapsed, peak = run_extract(document, sources)
                with sources.open(encoding="utf-8") as rows:
                    written = sum(1 for _ in rows) - 1
                assert written == count, f"{fmt}: {written} rows for {count} URLs"
                size_mb = document.stat().st_size / 1e6
                print(
                    f"{fmt:<6} {count:>8} {size_mb:>8.1f} {elapsed:>7.1f} "
                    f"{elapsed / count * 1000:>9.3f} {peak / 2**20:>11.0f}",
                    flush=True,
                )


if __name__ == "__main__":
    main()
