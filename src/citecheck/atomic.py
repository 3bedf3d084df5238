"""Replace a file so that a reader sees the old one or the new one, never half of one.

Used for everything citecheck writes over a user's or a web server's file: the
documents ``fix`` rewrites, ``sources.csv``, and the reports ``run`` publishes.
"""

from __future__ import annotations

import os
import stat
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
    symbolic link is followed, not replaced. What is not a regular file (a device
    such as /dev/null or /dev/stdout, a FIFO) is written in place: a rename would
    replace it with a regular file. With ``text``, the file is UTF-8 text with
    ``newline`` as open() takes it. ``before_replace`` is called with the temporary
    file, complete and on disk, just before the rename (``fix`` records what it is
    about to do there); if it raises, nothing is replaced. A file written in place
    has no rename, so ``before_replace`` is not called for it.
    """
    try:
        status = path.stat()  # through links: /dev/stdout is a link to a pipe or a tty
    except FileNotFoundError:
        mode = NEW_FILE_MODE
    else:
        if not stat.S_ISREG(status.st_mode) and not stat.S_ISDIR(status.st_mode):
            with open(path, "w" if text else "wb", encoding="utf-8" if text else None,
                      newline=newline if text else None) as in_place:  # fmt: skip
                yield in_place
            return
        mode = stat.S_IMODE(status.st_mode)
    import tempfile  # only when a file is written: a check's start writes none

    target = path.resolve() if path.is_symlink() else path
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
