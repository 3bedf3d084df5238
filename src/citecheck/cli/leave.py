"""How the ``citecheck`` process ends: its output flushed, its exit handlers run,
then ``os._exit``, without tearing the interpreter down.

Why: once a command has returned, everything it wrote is closed (the database
committed and closed, reports renamed into place), and what is left is Python
freeing every module and object one by one: 0.1 to 0.2 s after a check, a tenth of
its time outside the network (issue 11, BENCHMARKS.md). Only the process's own
entry points leave this way (the console script and ``python -m citecheck`` call the
command group); click's test runner calls ``main`` and is not affected.
"""

from __future__ import annotations

import atexit
import os
import sys
from typing import NoReturn

#: The status Python itself exits with when flushing standard output fails at exit.
_FLUSH_FAILED = 120


def exit_status(code: object) -> int:
    """The process status of ``SystemExit(code)``, as Python would exit with it (a
    message is written to stderr and means 1)."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code % 256
    print(code, file=sys.stderr)
    return 1


def leave(code: object) -> NoReturn:
    """End the process with the status of ``SystemExit(code)``, now."""
    status = exit_status(code)
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:
                stream.flush()
        except (OSError, ValueError):  # a closed pipe (`citecheck report | head`)
            status = status or _FLUSH_FAILED
    atexit._run_exitfuncs()  # noqa: SLF001  (logging's flush, any library's clean-up)
    os._exit(status)
