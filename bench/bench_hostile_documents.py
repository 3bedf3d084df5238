"""Benchmark extraction on hostile documents: the same few characters repeated, so
that a tag, comment, link destination or URL is opened thousands of times and
never closed, the texts that made the readers quadratic (or cubic) in time.

    python bench/bench_hostile_documents.py [--kb 25,100,200] [--timeout 60]
    python bench/bench_hostile_documents.py --src /tmp/before/src --kb 6,25   # an older tree

Each case runs in its own subprocess under a timeout, so a case that would take
hours is reported as "> timeout" and the benchmark still ends. Prints seconds per
case and size; a linear reader's time grows with the size, a quadratic one's with
its square.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CASES = {
    "html": ["<a ", '<a href="', "<!-- ", "<script>", "<b x='", "<a<a", "<pre>x ",
             "<a href=http://a.example/>", "<a href='http://a.example/"],
    "markdown": ["](http://a.example/", "[x](", "<!-- ", "[](<", "(http://a.example/"],
    "text": ["(http://a.example/", "](http://a.example/"],
}  # fmt: skip

_RUN_ONE = """
import sys, time
from citecheck.extract import extract_html, extract_markdown, extract_text
reader = {"html": extract_html, "markdown": extract_markdown, "text": extract_text}[sys.argv[1]]
piece, size = sys.argv[2], int(sys.argv[3])
text = piece * (size // len(piece)) + "\\nsee https://example.org/cited\\n"
started = time.perf_counter()
reader(text, "hostile")
print(time.perf_counter() - started)
"""


def _time_case(kind: str, piece: str, size: int, env: dict[str, str], timeout: float) -> str:
    try:
        done = subprocess.run(
            [sys.executable, "-c", _RUN_ONE, kind, piece, str(size)],
            env=env, capture_output=True, text=True, timeout=timeout, check=True,
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        return f"> {timeout:.0f} s"
    return f"{float(done.stdout):.2f} s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kb", default="25,100,200", help="document sizes, in thousands of chars")
    parser.add_argument("--timeout", type=float, default=60)
    parser.add_argument("--src", help="source tree to import citecheck from (default: this one)")
    options = parser.parse_args()
    env = dict(os.environ, PYTHONPATH=str(Path(options.src or ROOT / "src").resolve()))
    sizes = [int(kb) * 1000 for kb in options.kb.split(",")]
    print(f"{'reader':9} {'repeated piece':30} " + " ".join(f"{s // 1000:>8} KB" for s in sizes))
    started = time.monotonic()
    for kind, pieces in CASES.items():
        for piece in pieces:
            times = [_time_case(kind, piece, size, env, options.timeout) for size in sizes]
            print(f"{kind:9} {piece!r:30} " + " ".join(f"{t:>11}" for t in times), flush=True)
    print(f"total {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()
