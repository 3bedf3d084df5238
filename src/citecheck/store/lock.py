"""The writer lock: one process at a time runs a check (or an archive, or a fix).

The lock is an ``flock`` on ``<db>.lock``: the kernel drops it when the holder
dies, however it dies, so a ``kill -9`` never leaves a stale lock. The file holds
the holder's pid and start time, for the error message.
"""

from __future__ import annotations

import errno
import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from ..errors import DatabaseBusyError, StoreError

#: Seconds between two attempts to take the writer lock while waiting for it.
_LOCK_POLL_S = 0.1


class RunLock(Protocol):
    """What the store needs of a writer lock (this file lock, or pg_lock's advisory lock)."""

    @property
    def path(self) -> Path | None: ...

    def hold(self, *, wait_s: float = 0) -> AbstractContextManager[None]: ...

    def release(self) -> None: ...

    def owner_pid(self) -> int | None: ...


class WriterLock:
    """The writer lock of the database at ``db_path``."""

    def __init__(self, db_path: Path) -> None:
        self.db_path = db_path
        self.path = db_path.with_name(db_path.name + ".lock")
        self._fd: int | None = None

    @contextmanager
    def hold(self, *, wait_s: float = 0) -> Iterator[None]:
        """Hold the lock; raises DatabaseBusyError if another process still holds it
        after ``wait_s``."""
        if self._fd is not None:
            raise StoreError(f"this process already holds the writer lock on {self.db_path}")
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise StoreError(f"cannot create the lock file {self.path}: {exc.strerror}") from exc
        try:
            _acquire_flock(fd, self.path, self.db_path, wait_s)
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()} {_now_text()}\n".encode(), 0)
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd
        try:
            yield
        finally:
            self.release()

    def release(self) -> None:
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        try:
            os.ftruncate(fd, 0)
        finally:
            os.close(fd)  # closing the only descriptor releases the flock

    def owner_pid(self) -> int | None:
        """The pid holding the writer lock, or None when nobody holds it."""
        if self._fd is not None:
            return os.getpid()
        if not self.path.exists():
            return None
        fd = os.open(self.path, os.O_RDONLY)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:
                return _read_lock_owner(self.path)[0] or -1
            fcntl.flock(fd, fcntl.LOCK_UN)
            return None
        finally:
            os.close(fd)


def _acquire_flock(fd: int, lock_path: Path, db_path: Path, wait_s: float) -> None:
    deadline = time.monotonic() + max(wait_s, 0)
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() >= deadline:
                break
            time.sleep(min(_LOCK_POLL_S, max(deadline - time.monotonic(), 0)))
    pid, started = _read_lock_owner(lock_path)
    holder = f"citecheck process {pid}" if pid else "another citecheck process"
    since = f" (running since {started})" if started else ""
    raise DatabaseBusyError(
        f"{db_path} is in use by {holder}{since}; wait for it to finish, or stop it"
    )


def _read_lock_owner(lock_path: Path) -> tuple[int | None, str | None]:
    """The pid and start time the lock holder wrote, if they can be read."""
    try:
        text = lock_path.read_text(encoding="utf-8", errors="replace").split()
    except OSError:
        return None, None
    pid = int(text[0]) if text and text[0].isdigit() else None
    return pid, text[1] if len(text) > 1 else None


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, it is just not ours
    except OSError as exc:
        return exc.errno != errno.ESRCH
    return True


def _now_text() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
