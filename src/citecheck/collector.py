"""Python's cyclic garbage collector, set for a process that is citecheck's command.

Two costs of CPython's defaults, both measured on ``citecheck check`` (issue 11;
BENCHMARKS.md "Thirteenth step: the garbage collector"), both of a collector that
walks objects which are alive and stay alive:

- **The start.** Importing the CLI and the check's pipeline builds some 40,000
  objects that live as long as the process (modules, classes, functions, compiled
  patterns). A collection of the youngest objects every 700 new ones, and of the
  middle generation every tenth time, made 70-80 collections before the first
  request, 21-24 ms of CPU of the 230-280 ms to get there, finding nothing.
  So the collector is off while a command imports (:func:`paused_while_importing`),
  and what the imports built is frozen after them (:func:`gc.freeze`: left out of
  every later collection).
- **The run.** While a check runs, the youngest generation holds the coroutines,
  futures and frames of the links in flight (some 13,000 objects with 128 links in
  flight), and a collection walks them all: about 2 ms. Any burst of 700
  allocations starts one (a page's words, a batch's rows), though almost nothing a
  check makes is ever cyclic garbage: at 20,000 links, 552 young collections, 50 of
  the middle generation and 4 full ones took 1.67 s of CPU. With the young
  threshold at :data:`YOUNG_THRESHOLD` they were 13 and 2 (0.2 s), peak memory
  unchanged. Memory stays bounded as before: a collection still comes once that
  many more objects are alive than were freed.

These are settings of the process, made by :func:`set_for_this_process` when
citecheck's command line is the program (``citecheck``, ``python -m citecheck``).
A script that imports citecheck, or the tests, keeps its own settings; there the
import blocks only pause the collector (a freeze would keep for ever the garbage
cycles of objects that are not citecheck's).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

#: The young generation's collection threshold in a citecheck process (CPython's is 700).
YOUNG_THRESHOLD = 10_000

_freeze_after_imports = False


def set_for_this_process() -> None:
    """Collect the young generation after :data:`YOUNG_THRESHOLD` net new objects,
    and freeze what each :func:`paused_while_importing` block builds. For a process
    that runs citecheck's command line and nothing else."""
    global _freeze_after_imports
    _freeze_after_imports = True
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, old)


@contextmanager
def paused_while_importing() -> Iterator[None]:
    """Run the block with the collector off; then freeze what is alive (after
    :func:`set_for_this_process`) and turn it back on. A nested block, and a
    collector that was already off, are left as they are: only the outermost block
    that turned it off turns it on again."""
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
