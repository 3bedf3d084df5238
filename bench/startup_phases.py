"""Where ``citecheck check`` spends its time before its first request, phase by phase.

    python bench/startup_phases.py                       # 2,000 links, this tree
    PYTHONPATH=/tmp/before/src python bench/startup_phases.py --links 20000
    python bench/startup_phases.py --repeat 5            # each phase's best of 5 runs

Runs the CLI in this process on a new archive.db and a sources.csv of ``--links``
URLs (in a temporary folder), timing the imports, the validation pass, opening the
database, loading the citations and the client's start, and stops the process at
the first request (nothing is sent: the transport is replaced by a stop). Times
are from the moment sources.csv is written, before citecheck is imported; Python's
own start (about 20 ms) is not in them. With ``--repeat`` it runs itself that many
times, each in a new process that caches bytecode as a user's Python does, and
prints each mark's best time (the machine is shared: the best is the least noisy).
The CPU column is the process's CPU time since the same moment (less noisy still).
"""

from __future__ import annotations

import time

_T0 = time.perf_counter()

import argparse  # noqa: E402
import csv  # noqa: E402
import os  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
from collections.abc import Callable  # noqa: E402
from typing import Any  # noqa: E402

_marks: list[tuple[str, float, float]] = []


def _mark(name: str) -> None:
    _marks.append((name, time.perf_counter() - _T0, time.process_time()))


def _timed(module: Any, name: str) -> None:
    inner: Callable[..., Any] = getattr(module, name)

    def timed(*args: Any, **kwargs: Any) -> Any:
        _mark(f"{name} starts")
        try:
            return inner(*args, **kwargs)
        finally:
            _mark(f"{name} ends")

    setattr(module, name, timed)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--links", type=int, default=2000)
    parser.add_argument("--hosts", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=1, help="runs; each mark's best is shown")
    options = parser.parse_args()
    if options.repeat > 1:
        _best_of(options)
        return
    folder = tempfile.mkdtemp(prefix="citecheck-startup-")
    os.chdir(folder)
    with open("sources.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["url", "cited_in"])
        for i in range(options.links):
            host = i % options.hosts
            url = f"http://127.0.{1 + host // 250}.{1 + host % 250}:9/p/{i}"
            writer.writerow([url, f"bench.md:{i + 1}"])
    _mark("sources.csv written")

    import citecheck.cli.commands as commands

    _mark("CLI imported")
    import citecheck.fetch.pools as pools
    import citecheck.pipeline as pipeline

    _mark("pipeline and fetch imported")
    for module, name in (
        (commands, "_valid_sources"),
        (commands, "_open_store"),
        (pipeline, "load_sources"),
        (commands, "result_printer"),
    ):
        _timed(module, name)

    async def first_request(self: Any, *args: Any, **kwargs: Any) -> Any:
        _mark("first request")
        _, base, cpu_base = _marks[0]
        previous = base
        for name, at, cpu in _marks[1:]:
            wall, step, used = (at - base) * 1000, (at - previous) * 1000, (cpu - cpu_base) * 1000
            print(f"{wall:7.0f} ms  {step:+6.0f}  {used:5.0f} ms CPU  {name}")
            previous = at
        sys.stdout.flush()
        shutil.rmtree(folder, ignore_errors=True)
        os._exit(0)

    # The pools' exchange: a fetch's first request reaches it with or without httpx.
    pools.PoolPerOrigin.exchange = first_request  # type: ignore[method-assign]
    sys.argv = ["citecheck", "check", "--per-host", "2", "--timeout", "10", "--quiet"]
    commands.cli()


def _best_of(options: argparse.Namespace) -> None:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    args = [sys.executable, __file__, "--links", str(options.links), "--hosts", str(options.hosts)]
    best: dict[str, tuple[float, float]] = {}
    for _ in range(options.repeat):
        out = subprocess.run(args, env=env, capture_output=True, text=True, check=True).stdout
        for line in out.splitlines():
            at, _ms, _step, cpu, _ms_cpu, _cpu, name = line.split(maxsplit=6)
            best_at, best_cpu = best.get(name, (float("inf"), float("inf")))
            best[name] = (min(best_at, float(at)), min(best_cpu, float(cpu)))
    previous = 0.0
    for name, (at, cpu) in best.items():
        step = at - previous
        print(f"{at:7.0f} ms  {step:+6.0f}  {cpu:5.0f} ms CPU  {name}  (best of {options.repeat})")
        previous = at


if __name__ == "__main__":
    main()
