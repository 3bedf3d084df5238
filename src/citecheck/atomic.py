"""Replace a file so that a reader sees the old one or the new one, never half of one.

Used for everything citecheck writes over a user's or a web server's file: the
documents ``fix`` rewrites, ``sources.csv``, and the reports ``run`` publishes.
"""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

#: Permissions of a file written where there was none (a report a web server reads).
NEW_FILE_MODE = 0o644


@contextmanager
def atomic_output(
    path: Path,
    *,
    text: bool = False,
    newline: str | None = None,
    before_replace: Callable[[Path], None] | None = None,
) -> Iterator[IO[Any]]:
    """A temporary file beside ``path`` that replaces it only if the block succeeds.

    The temporary file gets the original's permission bits (NEW_FILE_MODE for a new
    file), is flushed to disk, then renamed over the original, which is atomic on
    POSIX and Windows; the folder is synced too so the rename survives a crash. A
    symbolic link is followed, not replaced. With ``text``, the file is UTF-8 text
    with ``newline`` as open() takes it. ``before_replace`` is called with the
    temporary file, complete and on disk, just before the rename (``fix`` records
    what it is about to do there); if it raises, nothing is replaced.
    """
    target = path.resolve() if path.is_symlink() else path
    try:
        mode = stat.S_IMODE(target.stat().st_mode)
    except FileNotFoundError:
        mode = NEW_FILE_MODE
    descriptor, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    temporary = Path(name)
    try:
        if text:
            handle = os.fdopen(descriptor, "w", encoding="utf-8", newline=newline)
        else:
            handle = os.fdopen(descriptor, "wb")
        with handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, mode)
        if before_replace is not None:
            before_replace(temporary)
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    _fsync_directory(target.parent)


def _fsync_directory(directory: Path) -> None:
    """Make the rename durable; not every platform can open a directory."""
    try:
        descriptor = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)
