"""What Python's garbage collector costs a ``citecheck check`` against the fake web.

    python bench/gc_cost.py                                  # 2,000 links over 20 hosts
    python bench/gc_cost.py --links 20000 --hosts 200
    python bench/gc_cost.py --citecheck-src /tmp/before/src  # an older tree

Runs ``bench_peer.py --only citecheck`` (its fake web, its links) with the check as
``python -m citecheck`` and a ``sitecustomize`` module of this script's on its path,
which in the check's process only (not the fake web's) times every collection with
``gc.callbacks``: for each generation, how many ran and the CPU time of the thread
that ran them (``time.thread_time``), over the whole process (start included).
Prints one JSON object: those figures, the young threshold the check ran with, how
many objects it froze, and the check's wall and CPU from bench_peer.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

_SITECUSTOMIZE = """
import atexit, gc, json, os, sys, time
if "check" in sys.orig_argv:
    _counts = [0, 0, 0]
    _cpu = [0.0, 0.0, 0.0]
    _started = [0.0]

    def _timed(phase, info):
        if phase == "start":
            _started[0] = time.thread_time()
        else:
            generation = info["generation"]
            _counts[generation] += 1
            _cpu[generation] += time.thread_time() - _started[0]

    gc.callbacks.append(_timed)

    def _write():
        with open(os.environ["GC_COST_OUT"], "a") as out:
            out.write(json.dumps({
                "collections": _counts,
                "cpu_ms": [round(seconds * 1000, 1) for seconds in _cpu],
                "young_threshold": gc.get_threshold()[0],
                "frozen": gc.get_freeze_count(),
            }) + "\\n")

    atexit.register(_write)
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--links", type=int, default=2000)
    parser.add_argument("--hosts", type=int, default=20)
    parser.add_argument("--citecheck-src", help="run citecheck from this source tree")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="citecheck-gc-") as folder:
        (Path(folder) / "sitecustomize.py").write_text(_SITECUSTOMIZE)
        out = Path(folder) / "collections.jsonl"
        path = [folder]
        if options.citecheck_src:
            path.append(str(Path(options.citecheck_src).resolve()))
        env = dict(os.environ, GC_COST_OUT=str(out), PYTHONPATH=os.pathsep.join(path))
        done = subprocess.run(
            [
                sys.executable,
                str(Path(__file__).with_name("bench_peer.py")),
                "--only",
                "citecheck",
                "--links",
                str(options.links),
                "--hosts",
                str(options.hosts),
                "--citecheck",
                f"{sys.executable} -m citecheck",
            ],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        peer = json.loads(done.stdout[done.stdout.rindex("\n{\n") :])["citecheck"]
        (collected,) = [json.loads(line) for line in out.read_text().splitlines()]
    collected.update(wall_s=peer["wall_s"], cpu_s=peer["cpu_s"], links=options.links)
    collected["gc_cpu_ms"] = round(sum(collected["cpu_ms"]), 1)
    print(json.dumps(collected))


if __name__ == "__main__":
    main()
