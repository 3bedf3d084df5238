"""interrupt.py: a stop signal cancels the job's task at its next await."""

from __future__ import annotations

import asyncio
import os
import signal

import pytest

from citecheck.interrupt import Interruption, exit_code_for, run_stoppable


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_cancels_the_work_and_is_kept(signum: signal.Signals) -> None:
    done: list[int] = []

    async def work() -> str:
        for step in range(100):
            done.append(step)
            if step == 2:
                os.kill(os.getpid(), signum)
            await asyncio.sleep(0.01)
        return "finished"

    interruption = Interruption()
    assert run_stoppable(work(), interruption) is None
    assert interruption.signum == signum
    assert len(done) < 100
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # handlers restored


def test_work_that_ends_returns_its_value() -> None:
    async def work() -> int:
        return 7

    interruption = Interruption()
    assert run_stoppable(work(), interruption) == 7
    assert interruption.signum is None


def test_exit_codes_follow_the_shell() -> None:
    assert (exit_code_for(signal.SIGINT), exit_code_for(signal.SIGTERM)) == (130, 143)
