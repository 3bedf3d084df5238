"""Where a command writes its output: a file, standard output, or a device.

``-o -`` is standard output; anything else goes through atomic.py: a regular file
is replaced atomically, so a web server never serves half a report, and a device
or FIFO (/dev/null, /dev/stdout) is written in place, never renamed over.

:func:`check_output_path` is called before any work starts, so that a report
path in a missing folder fails at once (exit 2) instead of after an hour of
checks; :func:`open_output` turns a failed write (a full disk, a closed pipe)
into :class:`~citecheck.errors.OutputError`.
"""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

from .atomic import atomic_output
from .errors import OutputError

#: The path that means standard output.
STDOUT = "-"


def is_stdout(path: Path | str) -> bool:
    return str(path) == STDOUT


def _existing_kind(path: Path) -> int | None:
    """The file type bits of what ``path`` names (links followed), None if nothing."""
    try:
        return stat.S_IFMT(os.stat(path).st_mode)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise OutputError(f"{path}: cannot be written ({exc.strerror or exc})") from exc


def check_output_path(path: Path) -> None:
    """Refuse an output path that cannot be written, before any work is done."""
    if is_stdout(path):
        return
    kind = _existing_kind(path)
    if kind == stat.S_IFDIR:
        raise OutputError(f"{path}: is a folder; give a file name")
    if kind is not None and kind != stat.S_IFREG:
        if not os.access(path, os.W_OK):
            raise OutputError(f"{path}: cannot be written (permission denied)")
        return
    folder = path.parent
    if not folder.is_dir():
        raise OutputError(f"{path}: the folder {folder} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputError(f"{path}: the folder {folder} cannot be written (permission denied)")


@contextmanager
def open_output(path: Path) -> Iterator[TextIO]:
    """UTF-8 text output to ``path`` (see the module's docstring for which way).

    OSError while opening, writing or closing becomes OutputError naming the path;
    an atomic write that fails leaves the old file as it was.
    """
    try:
        if is_stdout(path):
            yield sys.stdout
            sys.stdout.flush()
            return
        with atomic_output(path, text=True, newline="\n") as out:
            yield out
    except OSError as exc:
        where = "standard output" if is_stdout(path) else str(path)
        raise OutputError(f"{where}: could not write the output ({exc.strerror or exc})") from exc
