"""A child process's own peak RSS, without its parent's.

Why not ``os.wait4``'s ``ru_maxrss``: on Linux a child's record starts from its
parent's memory at the spawn. subprocess forks (or vforks) and then execs, and the
kernel keeps the larger high-water mark of the old and the new image. So a
benchmark whose own process holds a fake web and its log reports its own RSS for
every tool that uses less: bench_peer.py's 20,000-link runs reported 59 MiB for a
first run and 90 MiB for a second one of the same check, the bench having grown in
between. GNU time forks the command from its own small process, and its ``%M`` is
that child's peak. Without /usr/bin/time the wait4 figure is kept: an upper bound.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Iterator, Sequence

_GNU_TIME = "/usr/bin/time"


@contextlib.contextmanager
def measured(args: Sequence[str]) -> Iterator[tuple[list[str], Callable[[float], float]]]:
    """``args`` to run instead (under GNU time, when it is there), and a function
    that gives the command's peak RSS in KiB once it has ended, given the figure
    rusage gave (``ru_maxrss``, KiB), which it returns without GNU time."""
    if not os.access(_GNU_TIME, os.X_OK):
        yield list(args), float
        return
    with tempfile.NamedTemporaryFile("r", suffix=".rss", encoding="ascii") as report:

        def peak(from_rusage: float) -> float:
            # GNU time writes "Command exited with non-zero status N" before the
            # format when the command fails; the figure is the last line.
            lines = [line for line in report.read().splitlines() if line.strip()]
            return float(lines[-1]) if lines else from_rusage

        yield [_GNU_TIME, "-f", "%M", "-o", report.name, *args], peak
