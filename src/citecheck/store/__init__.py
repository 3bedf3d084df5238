"""archive.db: the links, where they are cited, every check ever made, and the runs.

The only package that knows SQL. :class:`Store` is assembled from one class of
queries per table group, each in its own module, all speaking to one small
:class:`~citecheck.store.connection.Connection` (the seam a second backend
implements); the SQLite backend (``sqlite.py``, ``schema.py``) opens, checks and
migrates the file, and ``lock.py`` holds the writer lock::

    links.py     links and citations        runs.py      runs and checks
    reports.py   report rows                wayback.py   look-ups and captures
    fixes.py     the swaps ``fix`` made     rows.py      rows ⇄ values
    pages.py     cited pages of PDFs

Trust rules that shape the code:

* Every write is one short transaction that takes the write lock up front.
* Reads that may be long (``active_links``, ``iter_report_rows``) page through
  the table by key instead of holding one cursor open (see ``connection.paged``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType

from .connection import PAGE_SIZE, Connection
from .fixes import FixQueries, FixRecord
from .links import LinkQueries, SyncSummary
from .lock import WriterLock
from .pages import PageQueries
from .reports import ReportQueries, ReportRow
from .runs import RUN_OUTCOMES, RunQueries
from .schema import APPLICATION_ID, SCHEMA_VERSION
from .sqlite import DEFAULT_BUSY_TIMEOUT_S, open_sqlite
from .wayback import ArchiveRow, WaybackQueries

#: Writes grouped into one transaction by :meth:`Store.batched_writes`, and the most
#: seconds a group stays open (what a crash can lose, and how stale a reader's view is).
BATCH_WRITES = 200
BATCH_SECONDS = 1.0

__all__ = [
    "APPLICATION_ID",
    "BATCH_SECONDS",
    "BATCH_WRITES",
    "DEFAULT_BUSY_TIMEOUT_S",
    "PAGE_SIZE",
    "RUN_OUTCOMES",
    "SCHEMA_VERSION",
    "ArchiveRow",
    "FixRecord",
    "ReportRow",
    "Store",
    "SyncSummary",
]


class Store(LinkQueries, RunQueries, ReportQueries, WaybackQueries, FixQueries, PageQueries):
    """An open archive.db. Use :meth:`open`; close it, or use it as a context manager."""

    def __init__(self, path: Path, conn: Connection) -> None:
        self.path = path
        self._conn = conn
        self._lock = WriterLock(path)

    @classmethod
    def open(cls, path: str | Path, *, create: bool = True) -> Store:
        """Open (and if needed create or migrate) the database at ``path``.

        Raises CorruptDatabaseError for a file that is not a citecheck database,
        SchemaTooNewError for one written by a newer citecheck, StoreError when
        ``create`` is false and there is no database.
        """
        path = Path(path)
        return cls(path, open_sqlite(path, create=create))

    def close(self) -> None:
        self._lock.release()
        self._conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @contextmanager
    def batched_writes(
        self, *, max_writes: int = BATCH_WRITES, max_seconds: float = BATCH_SECONDS
    ) -> Iterator[None]:
        """Group the writes made inside into one transaction per ``max_writes`` writes
        or ``max_seconds``, whichever comes first, and commit the last group on the
        way out (even on an error: what was recorded stands).

        A commit per check cost more than the check's own SQL; a write that fails
        inside a group is rolled back alone (a savepoint each), not its group.
        """
        with self._conn.batched(max_writes=max_writes, max_seconds=max_seconds):
            yield

    def commit_batch(self) -> None:
        """Commit the writes grouped so far by :meth:`batched_writes`, if any: for a
        caller that waits a long time between writes."""
        self._conn.commit_batch()

    @property
    def lock_path(self) -> Path:
        return self._lock.path

    @contextmanager
    def writer_lock(self, *, wait_s: float = 0) -> Iterator[None]:
        """Hold the exclusive right to run a check on this database.

        The lock is an ``flock`` on ``<db>.lock``: the kernel drops it when the
        holder dies, however it dies, so a ``kill -9`` never leaves a stale lock.
        Raises DatabaseBusyError if another process still holds it after ``wait_s``.
        """
        with self._lock.hold(wait_s=wait_s):
            yield
