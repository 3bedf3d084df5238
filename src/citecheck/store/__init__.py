"""archive.db: the links, where they are cited, every check ever made, and the runs.

The only package that knows SQL. :class:`Store` is assembled from one class of
queries per table group, each in its own module, all speaking to one small
:class:`~citecheck.store.connection.Connection` (the seam a second backend
implements); the SQLite backend (``sqlite.py``, ``schema.py``) opens, checks and
migrates the file, and ``lock.py`` holds the writer lock; the PostgreSQL backend
(``postgres.py``, ``pg_schema.py``, ``pg_lock.py``, psycopg imported only there) does
the same on a server, chosen by a ``postgresql://`` address (``dbaddress.py``);
``copy.py`` and ``maintenance.py`` are ``db copy`` and ``db migrate``::

    links.py     links and citations        runs.py      runs and checks
    reports.py   report rows                wayback.py   look-ups and captures
    leases.py    workers' host leases
    batches.py   workers' reads and writes by the batch
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

from ..dbaddress import DatabaseAddress, PostgresAddress, database_address
from ..errors import StoreError
from .batches import BatchQueries, LinkRead, PendingCheck
from .connection import PAGE_SIZE, Connection
from .fixes import FixQueries
from .leases import LeaseQueries
from .limits import LimitQueries
from .links import LinkQueries, SyncSummary
from .lock import RunLock, WriterLock
from .pages import PageQueries
from .reports import ReportQueries
from .runs import RUN_OUTCOMES, RunQueries
from .sqlite import DEFAULT_BUSY_TIMEOUT_S, open_sqlite
from .version import APPLICATION_ID, SCHEMA_VERSION
from .wayback import WaybackQueries

#: Writes grouped into one transaction by :meth:`Store.batched_writes`, and the most
#: seconds a group stays open (what a crash can lose, and how stale a reader's view is).
BATCH_WRITES = 200
BATCH_SECONDS = 1.0

#: The rows of the other commands (records.py), re-exported here and imported on
#: first use: a check builds none.
_RECORDS = frozenset({"ArchiveRow", "FixRecord", "ReportRow"})


def __getattr__(name: str) -> object:
    if name in _RECORDS:
        from . import records

        return getattr(records, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "APPLICATION_ID",
    "BATCH_SECONDS",
    "BATCH_WRITES",
    "DEFAULT_BUSY_TIMEOUT_S",
    "PAGE_SIZE",
    "RUN_OUTCOMES",
    "SCHEMA_VERSION",
    "ArchiveRow",
    "DatabaseAddress",
    "PostgresAddress",
    "FixRecord",
    "LinkRead",
    "PendingCheck",
    "ReportRow",
    "Store",
    "SyncSummary",
]


class Store(
    LinkQueries,
    RunQueries,
    ReportQueries,
    WaybackQueries,
    FixQueries,
    PageQueries,
    LeaseQueries,
    LimitQueries,
    BatchQueries,
):
    """An open archive.db. Use :meth:`open`; close it, or use it as a context manager."""

    def __init__(self, path: DatabaseAddress, conn: Connection, lock: RunLock) -> None:
        #: The SQLite file, or the PostgreSQL database (its URL without the password).
        self.path = path
        self._conn = conn
        self._lock = lock

    @classmethod
    def open(cls, path: str | DatabaseAddress, *, create: bool = True) -> Store:
        """Open (and if needed create or migrate) the database at ``path``: a SQLite
        file, or a ``postgresql://`` URL (psycopg, the ``postgres`` extra).

        Raises CorruptDatabaseError for a file that is not a citecheck database,
        SchemaTooNewError for one written by a newer citecheck, StoreError when
        ``create`` is false and there is no database.
        """
        address = database_address(path)
        if isinstance(address, PostgresAddress):
            return cls._open_postgres(address, create=create)
        return cls(address, open_sqlite(address, create=create), WriterLock(address))

    @classmethod
    def _open_postgres(cls, address: PostgresAddress, *, create: bool) -> Store:
        try:
            from .pg_lock import AdvisoryLock
            from .postgres import open_postgres
        except ImportError as exc:
            raise StoreError(
                f"{address.name}: PostgreSQL needs psycopg; install citecheck with the"
                " postgres extra (pip install 'citecheck[postgres]')"
            ) from exc
        conn = open_postgres(address, create=create)
        return cls(address, conn, AdvisoryLock(conn))

    @property
    def name(self) -> str:
        """What messages call the database: its path, or its URL without the password."""
        return self._conn.name

    @property
    def is_postgres(self) -> bool:
        return isinstance(self.path, PostgresAddress)

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
    def lock_path(self) -> Path | None:
        """The lock file (None on PostgreSQL, whose lock lives on the server)."""
        return self._lock.path

    @contextmanager
    def writer_lock(self, *, wait_s: float = 0) -> Iterator[None]:
        """Hold the exclusive right to run a check on this database.

        The lock is an ``flock`` on ``<db>.lock`` (on PostgreSQL, a session advisory
        lock): the kernel (the server) drops it when the holder dies, however it
        dies, so a ``kill -9`` never leaves a stale lock.
        Raises DatabaseBusyError if another process still holds it after ``wait_s``.
        """
        with self._lock.hold(wait_s=wait_s):
            yield
