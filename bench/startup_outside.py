"""A check's start measured from outside: spawn to its first TCP connection.

    python bench/startup_outside.py                       # 2,000 links, best of 5
    python bench/startup_outside.py --links 20000 --repeat 3
    PYTHONPATH=/tmp/before/src python bench/startup_outside.py   # an older tree

Listens on a socket of its own on 127.0.0.1, writes a sources.csv of ``--links``
URLs to it (in a temporary folder) and times, from the spawn of ``citecheck check``
(the console script beside this Python) to the moment the socket accepts the
check's first connection; the process is then stopped (nothing is answered).
It also times what every start pays before citecheck's own code: Python with and
without ``site`` (the virtual environment's .pth files), and ``citecheck check
--help``. Each figure is the best of ``--repeat`` runs (the machine is shared),
wall time and the process's CPU time (user + system, less noisy).
Bytecode is cached as a user's Python does (PYTHONDONTWRITEBYTECODE is unset).
"""

from __future__ import annotations

import argparse
import csv
import os
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _best(runs: int, action: Callable[[], object]) -> tuple[float, float]:
    """The least wall time and the least CPU time (the children's) of ``runs`` runs."""
    best_wall = best_cpu = float("inf")
    for _ in range(runs):
        started, cpu = time.perf_counter(), _children_cpu()
        action()
        best_wall = min(best_wall, time.perf_counter() - started)
        best_cpu = min(best_cpu, _children_cpu() - cpu)
    return best_wall, best_cpu


def _first_connection(command: list[str], folder: Path, listener: socket.socket) -> None:
    """Spawn ``command`` and stop it once the listener accepts its first connection
    (the CPU it used is then the children's)."""
    with (folder / "stderr.txt").open("wb") as errors:
        process = subprocess.Popen(
            command, cwd=folder, env=_env(), stdout=subprocess.DEVNULL, stderr=errors
        )
        try:
            connection, _ = listener.accept()
            connection.close()
        except TimeoutError:
            raise SystemExit(
                "no connection within the timeout: "
                + (folder / "stderr.txt").read_text(errors="replace")[-2000:]
            ) from None
        finally:
            process.kill()
            process.wait()
    _drain(listener)
    for leftover in folder.glob("archive*"):
        leftover.unlink()


def _drain(listener: socket.socket) -> None:
    """Accept and close what the stopped check left queued (its other connections),
    so the next run's first connection is its own."""
    listener.setblocking(False)
    try:
        while True:
            connection, _ = listener.accept()
            connection.close()
    except BlockingIOError:
        pass
    finally:
        listener.settimeout(60)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--links", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=5)
    options = parser.parse_args()
    script = Path(sys.executable).with_name("citecheck")
    folder = Path(tempfile.mkdtemp(prefix="citecheck-outside-"))
    listener = socket.create_server(("127.0.0.1", 0), backlog=64)
    listener.settimeout(60)
    port = listener.getsockname()[1]
    try:
        with (folder / "sources.csv").open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["url", "cited_in"])
            for i in range(options.links):
                writer.writerow([f"http://127.0.0.1:{port}/p/{i}", f"bench.md:{i + 1}"])
        check = [str(script), "check", "--per-host", "2", "--timeout", "10", "--quiet"]
        # Once first, so each measured run finds the bytecode cached.
        _first_connection(check, folder, listener)

        def run(args: list[str]) -> None:
            subprocess.run(args, cwd=folder, env=_env(), capture_output=True, check=True)

        figures = {
            "python -S -c pass (no site)": _best(
                options.repeat, lambda: run([sys.executable, "-S", "-c", "pass"])
            ),
            "python -c pass (site, .pth)": _best(
                options.repeat, lambda: run([sys.executable, "-c", "pass"])
            ),
            "citecheck --version": _best(options.repeat, lambda: run([str(script), "--version"])),
            "citecheck check --help": _best(
                options.repeat, lambda: run([str(script), "check", "--help"])
            ),
            f"check: spawn to first connection ({options.links:,} links)": _best(
                options.repeat, lambda: _first_connection(check, folder, listener)
            ),
        }
    finally:
        listener.close()
        shutil.rmtree(folder, ignore_errors=True)
    for name, (wall, cpu) in figures.items():
        print(
            f"{wall * 1000:7.0f} ms  {cpu * 1000:5.0f} ms CPU  {name}  (best of {options.repeat})"
        )


if __name__ == "__main__":
    main()
