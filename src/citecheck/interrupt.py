"""Stopping cleanly on SIGINT (Ctrl-C) and SIGTERM (systemd, cron's kill, CI).

A signal that raised wherever the interpreter happened to be could land between
two statements of a store write. Instead, while a job's event loop runs, the
signal cancels the job's task: the work stops at its next ``await``, which is
never inside a store write (those are synchronous), so every result already in
hand is recorded and the run is closed as ``interrupted``.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Coroutine, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

T = TypeVar("T")

#: The signals a job stops on.
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def exit_code_for(signum: int) -> int:
    """The shell's convention: 128 + the signal's number (130 SIGINT, 143 SIGTERM)."""
    return 128 + signum


@dataclass(eq=False, repr=False)  # a flag: compared and printed by no one
class Interruption:
    """Set when a stop signal arrived; ``signum`` is the first one."""

    signum: int | None = None


@contextmanager
def _handlers(handler: Any) -> Iterator[None]:
    previous = {signum: signal.getsignal(signum) for signum in STOP_SIGNALS}
    try:
        for signum in STOP_SIGNALS:
            signal.signal(signum, handler)
        yield
    finally:
        for signum, old in previous.items():
            signal.signal(signum, old)


def run_stoppable(work: Coroutine[Any, Any, T], interruption: Interruption) -> T | None:
    """Run ``work`` in a new event loop; a stop signal cancels it and returns None.

    The signal's number is kept in ``interruption``. A second signal while the
    work winds down is ignored (the first already asked it to stop).
    """

    async def main() -> T | None:
        loop = asyncio.get_running_loop()
        task = asyncio.ensure_future(work)

        def stop(signum: int, _frame: object) -> None:
            if interruption.signum is None:
                interruption.signum = signum
                loop.call_soon_threadsafe(task.cancel)

        with _handlers(stop):
            try:
                return await task
            except asyncio.CancelledError:
                if interruption.signum is None:
                    raise
                return None

    return asyncio.run(main())
