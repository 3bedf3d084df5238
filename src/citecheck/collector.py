"""Python's cyclic garbage collector, kept out of the imports of a citecheck process.

A command's start builds tens of thousands of objects that live as long as the
process: modules, classes, functions, compiled patterns. CPython starts a
collection of its youngest objects every 700 new ones, and one of the middle
generation every tenth time: importing the CLI and the check's pipeline made 70-80
collections, 24-32 ms of CPU of a check's 230-280 ms before its first request
(issue 11, BENCHMARKS.md "Thirteenth step"), each walking the same new objects
again to find nothing to free. In a process that is citecheck's command and
nothing else (the console script, ``python -m citecheck``: :func:`freeze_imports`),
the collector is off while the imports run, and what they built is then frozen
(:func:`gc.freeze`): kept out of every later collection, which would only find it
alive again. The collector is back on for the command's work (reading sources.csv,
checking, recording), where it bounds the reference cycles a long run leaves.

In any other process (a script that imports citecheck, the tests) the blocks only
pause the collector: a freeze there would also keep for ever the garbage cycles of
objects that are not citecheck's.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

_freeze_after_imports = False


def freeze_imports() -> None:
    """From now on, what a :func:`paused_while_importing` block built is frozen after
    it. For a process that runs citecheck's command line and nothing else."""
    global _freeze_after_imports
    _freeze_after_imports = True


@contextmanager
def paused_while_importing() -> Iterator[None]:
    """Run the block with the collector off; then freeze what is alive (after
    :func:`freeze_imports`) and turn it back on. A nested block, and a collector
    that was already off, are left as they are: only the outermost block that
    turned it off turns it on again."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        if _freeze_after_imports:
            gc.freeze()
        gc.enable()
