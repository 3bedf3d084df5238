"""What importing citecheck's modules costs, in fresh processes.

    python bench/import_cost.py                         # best of 10, the default imports
    python bench/import_cost.py --instructions          # + callgrind instruction counts
    python bench/import_cost.py --self 25               # + the 25 dearest modules' own time
    python bench/import_cost.py citecheck.sites citecheck.classify
    python bench/import_cost.py "from citecheck.cli import cli; cli.main(['--version'])"
    PYTHONPATH=/work/main/src python bench/import_cost.py   # an older tree

Each import runs as ``python -c "import ..."`` in a new process that caches bytecode
as a user's Python does (PYTHONDONTWRITEBYTECODE is unset, and one warm-up run
writes the .pyc files first). Wall and CPU (user + system) are the best of
``--repeat`` runs: the machine is shared and the best is the least noisy.
``--instructions`` counts the instructions each import executes under valgrind's
callgrind (``pass`` is Python's own start): it does not move with the machine's
load, so a change of a few per cent shows. ``--self`` runs ``python -X importtime``
over the last import and prints the modules with the most time of their own (each
module's best of ``--repeat``), citecheck's and the libraries' alike.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import subprocess
import sys
import time

#: Python's own start; the values; the settings; the command line (what ``--help``
#: imports); what a check imports before its first request.
DEFAULT_IMPORTS = [
    "pass",
    "citecheck.models",
    "citecheck.config",
    "citecheck.cli",
    "citecheck.cli.commands, citecheck.pipeline, citecheck.configfile, citecheck.archive.archives",
]


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def _code(target: str) -> str:
    """A module list is imported; ``pass`` or a statement (``from ...``, a call) runs as is."""
    if target == "pass" or target.startswith(("from ", "import ")) or "(" in target:
        return target
    return f"import {target}"


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _best_times(target: str, repeat: int) -> tuple[float, float]:
    command = [sys.executable, "-c", _code(target)]
    quiet = {"env": _env(), "check": True, "stdout": subprocess.DEVNULL}
    subprocess.run(command, **quiet)  # writes the .pyc files
    best_wall = best_cpu = float("inf")
    for _ in range(repeat):
        started, cpu = time.perf_counter(), _children_cpu()
        subprocess.run(command, **quiet)
        best_wall = min(best_wall, time.perf_counter() - started)
        best_cpu = min(best_cpu, _children_cpu() - cpu)
    return best_wall, best_cpu


def _instructions(target: str) -> int:
    command = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null"]
    command += [sys.executable, "-c", _code(target)]
    finished = subprocess.run(command, env=_env(), capture_output=True, text=True, check=True)
    found = re.search(r"Collected : (\d+)", finished.stderr)
    if found is None:
        raise SystemExit(f"no instruction count from valgrind:\n{finished.stderr[-2000:]}")
    return int(found.group(1))


def _self_times(target: str, repeat: int) -> dict[str, tuple[int, int]]:
    """Each module's least own and cumulative time (microseconds) over ``repeat`` runs."""
    best: dict[str, tuple[int, int]] = {}
    command = [sys.executable, "-X", "importtime", "-c", _code(target)]
    for _ in range(repeat):
        finished = subprocess.run(command, env=_env(), capture_output=True, text=True, check=True)
        for line in finished.stderr.splitlines():
            parts = line.removeprefix("import time:").split("|")
            if len(parts) != 3 or not parts[0].strip().isdigit():
                continue
            name = parts[2].strip()
            own, total = int(parts[0]), int(parts[1])
            least_own, least_total = best.get(name, (own, total))
            best[name] = (min(least_own, own), min(least_total, total))
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("imports", nargs="*", default=DEFAULT_IMPORTS)
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--instructions", action="store_true", help="callgrind counts")
    parser.add_argument("--self", type=int, default=0, metavar="N", help="N dearest modules")
    options = parser.parse_args()
    if options.instructions and shutil.which("valgrind") is None:
        raise SystemExit("--instructions needs valgrind")
    print(
        f"{'import':<45} {'wall ms':>8} {'CPU ms':>8}" + ("  instructions" * options.instructions)
    )
    for target in options.imports:
        wall, cpu = _best_times(target, options.repeat)
        line = f"{target[:45]:<45} {wall * 1000:8.1f} {cpu * 1000:8.1f}"
        if options.instructions:
            line += f"  {_instructions(target) / 1e6:10.1f} M"
        print(line, flush=True)
    if options.self:
        times = _self_times(options.imports[-1], options.repeat)
        print(f"\n-X importtime of `{_code(options.imports[-1])}`, best of {options.repeat}:")
        print(f"{'module':<45} {'self ms':>8} {'cumulative':>10}")
        dearest = sorted(times.items(), key=lambda item: -item[1][0])[: options.self]
        for name, (own, total) in dearest:
            print(f"{name:<45} {own / 1000:8.1f} {total / 1000:10.1f}")
        ours = sum(own for name, (own, _) in times.items() if name.startswith("citecheck"))
        print(f"{'citecheck.* self, summed':<45} {ours / 1000:8.1f}")


if __name__ == "__main__":
    main()
