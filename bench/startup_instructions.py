"""The instructions a check executes from Python's start to its first connection.

    python bench/startup_instructions.py                  # 2,000 links, this tree
    PYTHONPATH=/work/main/src python bench/startup_instructions.py   # an older tree
    python bench/startup_instructions.py --links 20000 --modules

Runs ``citecheck check --per-host 2 --timeout 10 --quiet`` under valgrind's
callgrind, in a temporary folder with a new archive.db and a sources.csv of
``--links`` URLs, and ends the process the moment the check opens its first
connection (``asyncio.open_connection`` is replaced by an exit: nothing is sent).
The count does not move with the machine's load, so a change of a few per cent
shows where wall time on a shared machine would not. Python's own start (``python
-c pass``) is counted too, for reference. ``--modules`` lists what the check had
imported by its first connection that ``--help`` does not import.
Bytecode is cached as a user's Python does (PYTHONDONTWRITEBYTECODE is unset, and
one run outside valgrind writes the .pyc files first); str hashes are fixed
(PYTHONHASHSEED=0), which leaves runs of one tree within about 0.1% of each other.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from bench_load_sources import _write_sources as write_sources  # (the same file's shape)

_COMMAND = ["citecheck", "check", "--per-host", "2", "--timeout", "10", "--quiet"]


def _env() -> dict[str, str]:
    """Bytecode cached; str hashes fixed, so that runs of one tree count alike."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    return env | {"PYTHONHASHSEED": "0"}


#: The check, run by ``python -c`` (so that this script's own imports are not
#: counted): it ends at the first connection, writing the names of the modules
#: imported by then to the file named by its first argument, if any.
_CHECK = f"""\
import asyncio, os, sys

listing_name = sys.argv[1]

async def first_connection(*args, **kwargs):
    if listing_name:
        with open(listing_name, "w") as listing:
            listing.write("\\n".join(sorted(sys.modules)))
    os._exit(0)

asyncio.open_connection = first_connection
from citecheck.cli import cli

sys.argv = {_COMMAND!r}
cli()
raise SystemExit("the check ended without opening a connection")
"""


def _run(folder: Path, command: list[str]) -> subprocess.CompletedProcess[str]:
    for leftover in folder.glob("archive*"):
        leftover.unlink()
    return subprocess.run(command, cwd=folder, env=_env(), capture_output=True, text=True)


def _instructions(folder: Path, command: list[str]) -> int:
    counted = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", *command]
    finished = _run(folder, counted)
    found = re.search(r"Collected : (\d+)", finished.stderr)
    if finished.returncode != 0 or found is None:
        raise SystemExit(f"no instruction count from valgrind:\n{finished.stderr[-2000:]}")
    return int(found.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--links", type=int, default=2000)
    parser.add_argument("--hosts", type=int, default=20)
    parser.add_argument("--modules", action="store_true", help="list the modules imported")
    options = parser.parse_args()
    if shutil.which("valgrind") is None:
        raise SystemExit("this benchmark needs valgrind")
    with tempfile.TemporaryDirectory(prefix="citecheck-start-") as name:
        folder = Path(name)
        write_sources(folder / "sources.csv", options.links, options.hosts)
        modules_file = str(folder / "modules.txt") if options.modules else ""
        check = [sys.executable, "-c", _CHECK, modules_file]
        warm = _run(folder, check)  # writes the .pyc files
        if warm.returncode != 0:
            raise SystemExit(f"the check failed:\n{warm.stderr[-2000:]}")
        python = _instructions(folder, [sys.executable, "-c", "pass"])
        total = _instructions(folder, check)
        print(f"python -c pass                        {python / 1e6:8.1f} M instructions")
        print(f"check, start to first connection      {total / 1e6:8.1f} M instructions")
        print(f"  of which citecheck's (less Python)  {(total - python) / 1e6:8.1f} M")
        if options.modules:
            imported = set((folder / "modules.txt").read_text().split())
            helped = _run(folder, [sys.executable, "-c", _HELP_MODULES])
            for name in sorted(imported - set(helped.stdout.split())):
                print(f"  {name}")


#: The modules ``citecheck check --help`` has imported when it exits.
_HELP_MODULES = (
    "import sys\n"
    "from citecheck.cli import cli\n"
    "try:\n"
    "    cli.main(['check', '--help'], standalone_mode=False)\n"
    "finally:\n"
    "    sys.stdout.write('\\n' + '\\n'.join(sorted(sys.modules)))\n"
)


if __name__ == "__main__":
    main()
