"""The writer lock on PostgreSQL: a session-level advisory lock.

The server drops it when the session ends, however the holder dies (a ``kill -9``
closes the socket; a lost machine is noticed by TCP keepalive), so it never goes
stale, as ``flock`` never does on SQLite. Who holds it is read from the holder's
session name (``citecheck <pid>@<host>``, set at connect).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..errors import DatabaseBusyError, StoreError
from .postgres import PostgresConnection
from .schema import APPLICATION_ID

#: The advisory lock's second key (the first is citecheck's application id).
RUN_LOCK_KEY = 1
_LOCK_POLL_S = 0.1


class AdvisoryLock:
    """The writer lock of the PostgreSQL database behind ``conn``."""

    #: There is no lock file: the lock lives on the server.
    path: Path | None = None

    def __init__(self, conn: PostgresConnection) -> None:
        self._conn = conn
        self._held = False

    @contextmanager
    def hold(self, *, wait_s: float = 0) -> Iterator[None]:
        """Hold the lock; raises DatabaseBusyError if another session still holds it
        after ``wait_s``."""
        if self._held:
            raise StoreError(f"this process already holds the writer lock on {self._conn.name}")
        deadline = time.monotonic() + max(wait_s, 0)
        while not self._try():
            if time.monotonic() >= deadline:
                holder = self._holder()
                pid, _, host = (holder or "").partition("@")
                who = f"citecheck process {pid} on {host}" if pid else "another citecheck process"
                raise DatabaseBusyError(
                    f"{self._conn.name} is in use by {who}; wait for it to finish, or stop it"
                )
            time.sleep(min(_LOCK_POLL_S, max(deadline - time.monotonic(), 0)))
        self._held = True
        try:
            yield
        finally:
            self.release()

    def release(self) -> None:
        if not self._held:
            return
        self._held = False
        with self._conn.errors("release the writer lock"):
            self._conn.execute("SELECT pg_advisory_unlock(?, ?)", (APPLICATION_ID, RUN_LOCK_KEY))

    def owner_pid(self) -> int | None:
        """The pid holding the lock (-1 when its pid cannot be read), None when nobody does."""
        if self._held:
            return os.getpid()
        holder = self._holder()
        if holder is None:
            return None
        pid = holder.partition("@")[0]
        return int(pid) if pid.isdigit() else -1

    def _try(self) -> bool:
        with self._conn.errors("take the writer lock"):
            (taken,) = self._conn.execute(
                "SELECT pg_try_advisory_lock(?, ?)", (APPLICATION_ID, RUN_LOCK_KEY)
            ).fetchone()
        return bool(taken)

    def _holder(self) -> str | None:
        """``<pid>@<host>`` of the session holding the lock ('' if unreadable), or None."""
        with self._conn.errors("read who holds the writer lock"):
            row = self._conn.execute(
                "SELECT COALESCE(activity.application_name, '') FROM pg_locks AS locks"
                " LEFT JOIN pg_stat_activity AS activity ON activity.pid = locks.pid"
                " WHERE locks.locktype = 'advisory' AND locks.granted"
                " AND locks.database = (SELECT oid FROM pg_database"
                "   WHERE datname = current_database())"
                " AND locks.classid = ? AND locks.objid = ? AND locks.objsubid = 2",
                (APPLICATION_ID & 0xFFFFFFFF, RUN_LOCK_KEY),
            ).fetchone()
        if row is None:
            return None
        name = row[0]
        return name.removeprefix("citecheck ") if name.startswith("citecheck ") else ""
