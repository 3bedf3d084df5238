"""The SQLite backend: checking a file before opening it, opening, and the connection.

The file is SQLite in WAL mode so that a report can read while a check writes,
with ``synchronous=NORMAL`` (in WAL mode a committed transaction survives a process
crash; only an OS crash or power loss can lose the last few) and a busy timeout so
that short write transactions from two processes wait for each other instead of
failing. Copying the WAL into the file (a checkpoint) is left to a thread, not done
by the commit that passes SQLite's threshold (:class:`_Checkpoints`).

A file that is not ours is never written to. Before SQLite touches a file we read
its 100-byte header ourselves; a foreign or damaged file is refused with
:class:`CorruptDatabaseError` and left byte-for-byte as it was (no ``-wal`` or
``-shm`` files either). A citecheck database is marked with ``PRAGMA
application_id`` and its schema version is ``PRAGMA user_version``.

This module and ``schema.py`` are the only ones that know SQLite's dialect.
"""

from __future__ import annotations

import os
import sqlite3
import stat
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import CorruptDatabaseError, DatabaseBusyError, StoreError
from .version import APPLICATION_ID, OWN_TABLES, SCHEMA_VERSION, check_schema_version

#: Seconds a statement waits for another process's write transaction to finish.
#: Writes are short (one check, one sync), so a longer wait means something is stuck.
DEFAULT_BUSY_TIMEOUT_S = 30.0

_SQLITE_MAGIC = b"SQLite format 3\x00"
_HEADER_SIZE = 100
#: The files SQLite keeps beside a database in WAL mode.
_WAL_SIDE_FILES = ("-wal", "-shm")
#: Pages of WAL after which a commit has them copied into the file (SQLite's own
#: threshold for the automatic checkpoint that :class:`_Checkpoints` replaces).
_WAL_AUTOCHECKPOINT = 1000
#: Bytes of a WAL frame besides its page (wal.c's frame header), and of the WAL's
#: own header.
_WAL_FRAME_HEADER = 24
_WAL_HEADER = 32

# sqlite3 passes every parameter that is not exactly an int, float, str or bytearray
# through its adapter registry, None included; finding no adapter for None, it asks
# its PrepareProtocol type for ``__adapt__``, and that failed look-up formats an
# AttributeError message before it is dropped: about 0.4 µs a None on the bench
# machine, and a recorded check binds a dozen of them (issue 11, BENCHMARKS.md).
# An adapter for None that returns None (``{}.get``, a C call) binds the same NULL
# without it. The registry is sqlite3's, for the whole process: every None bound
# anywhere is still bound as NULL, only sooner.
sqlite3.register_adapter(type(None), {}.get)


class SQLiteConnection:
    """A :class:`~citecheck.store.connection.Connection` over one sqlite3 connection."""

    def __init__(self, path: Path, conn: sqlite3.Connection) -> None:
        self.name = str(path)
        self._path = path
        self._conn = conn
        self._batch: _Batch | None = None
        (page_size,) = conn.execute("PRAGMA page_size").fetchone()
        self._checkpoints = _Checkpoints(path, page_size)

    def execute(self, sql: str, parameters: Sequence[Any] = ()) -> sqlite3.Cursor:
        return self._conn.execute(sql, parameters)

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        self._conn.executemany(sql, rows)

    @contextmanager
    def write(self) -> Iterator[None]:
        """One write transaction, taken with BEGIN IMMEDIATE (inside :meth:`batched`,
        a savepoint in the group's transaction).

        A deferred transaction that reads and then writes can fail with
        SQLITE_BUSY at once, without waiting, when another process wrote in
        between; taking the write lock up front makes the busy timeout apply.
        """
        if self._batch is not None:
            with self._batched_write(self._batch):
                yield
            return
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            if self._conn.in_transaction:
                self._conn.execute("ROLLBACK")
            raise
        self._commit()

    def _commit(self) -> None:
        self._conn.execute("COMMIT")
        self._checkpoints.after_commit()

    @contextmanager
    def batched(self, *, max_writes: int, max_seconds: float) -> Iterator[None]:
        """Group the writes made inside into one transaction per ``max_writes`` writes
        or ``max_seconds``, whichever comes first, and commit the last group on the
        way out (even on an error: what was recorded stands). A write that fails
        inside a group is rolled back alone (a savepoint each), not its group."""
        if self._batch is not None:
            yield
            return
        self._batch = _Batch(max_writes, max_seconds)
        try:
            yield
        finally:
            self._batch = None
            if self._conn.in_transaction:
                self._commit()

    def commit_batch(self) -> None:
        """Commit the writes grouped so far by :meth:`batched`, if any."""
        if self._batch is not None and self._conn.in_transaction:
            self._commit()

    @contextmanager
    def _batched_write(self, batch: _Batch) -> Iterator[None]:
        if not self._conn.in_transaction:
            self._conn.execute("BEGIN IMMEDIATE")
            batch.started = time.monotonic()
            batch.writes = 0
        self._conn.execute("SAVEPOINT batched_write")
        try:
            yield
        except BaseException:
            if self._conn.in_transaction:
                self._conn.execute("ROLLBACK TO batched_write")
                self._conn.execute("RELEASE batched_write")
            raise
        self._conn.execute("RELEASE batched_write")
        batch.writes += 1
        if batch.writes >= batch.max_writes or time.monotonic() - batch.started >= batch.max_s:
            self._commit()

    @contextmanager
    def read(self) -> Iterator[None]:
        """One read transaction, so that the statements inside see one snapshot."""
        if self._conn.in_transaction:
            yield
            return
        self._conn.execute("BEGIN")
        try:
            yield
        finally:
            self._conn.execute("COMMIT")

    @contextmanager
    def errors(self, action: str) -> Iterator[None]:
        """The one place where sqlite3 errors become citecheck's StoreError family."""
        with _translate_errors(self._path, action):
            yield

    def reset_ids(self, table: str, key: str) -> None:
        """Nothing to do: an INTEGER PRIMARY KEY's next id is always past the highest."""

    def close(self) -> None:
        self._checkpoints.wait()
        self._conn.close()


class _Checkpoints:
    """SQLite's automatic checkpoint, run by a thread instead of the commit.

    Once the WAL holds more than :data:`_WAL_AUTOCHECKPOINT` pages, SQLite copies
    them into the database file in the connection that commits, fsync included,
    before the commit returns: 45-65 ms after the 20,000 citations of a first
    check's sync, and some forty times in the batches of a check of 20,000 links,
    each time holding up the event loop and every link in flight (issue 11;
    BENCHMARKS.md, the twelfth and thirteenth steps). The connection's own
    checkpoint is off (``wal_autocheckpoint = 0``, set by :func:`_prepare`); after
    a commit that leaves the WAL past the same threshold, a thread does the copy
    on a connection of its own (:func:`_checkpoint`, PASSIVE: it waits for no one)
    while the commits go on. Nothing is less safe: committed rows are as durable in
    the WAL as in the file, and a checkpoint that fails leaves them for the next.

    The WAL's size says how many frames it holds because the file is cut back when
    SQLite starts it over after a complete checkpoint (``journal_size_limit = 0``).
    One thread at a time; :meth:`wait` (the connection's close) waits for it.
    """

    def __init__(self, path: Path, page_size: int) -> None:
        self._path = path
        self._wal = f"{path}-wal"
        self._threshold = _WAL_HEADER + _WAL_AUTOCHECKPOINT * (page_size + _WAL_FRAME_HEADER)
        self._thread: threading.Thread | None = None

    def after_commit(self) -> None:
        """Start the copy if the WAL is past the threshold and none is running."""
        if self._thread is not None:
            if self._thread.is_alive():
                return
            self._thread = None
        try:
            size = os.stat(self._wal).st_size
        except OSError:
            return  # (no WAL, or none to reach: SQLite's close checkpoints the rest)
        if size < self._threshold:
            return
        self._thread = threading.Thread(
            target=_checkpoint, args=(self._path,), name="citecheck-checkpoint", daemon=True
        )
        self._thread.start()

    def wait(self) -> None:
        if self._thread is not None:
            self._thread.join()
            self._thread = None


def _checkpoint(path: Path) -> None:
    """Copy the WAL into the database file, on a connection of this thread's own,
    without waiting for anyone (PASSIVE). Whatever fails, nothing is lost: the
    frames stay in the WAL, and a later commit's checkpoint copies them."""
    try:
        conn = sqlite3.connect(path, timeout=DEFAULT_BUSY_TIMEOUT_S)
        try:
            conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
        finally:
            conn.close()
    except sqlite3.Error:
        return


@dataclass(eq=False, repr=False)  # a counter: compared and printed by no one
class _Batch:
    max_writes: int
    max_s: float
    writes: int = 0
    started: float = 0.0


def open_sqlite(path: Path, *, create: bool = True) -> SQLiteConnection:
    """Open (and if needed create or migrate) the database at ``path``.

    Raises CorruptDatabaseError for a file that is not a citecheck database,
    SchemaTooNewError for one written by a newer citecheck, StoreError when
    ``create`` is false and there is no database.
    """
    if path.is_dir():
        raise StoreError(f"{path} is a directory, not a database file")
    is_new = not path.exists() or path.stat().st_size == 0
    if is_new and not create:
        raise StoreError(f"there is no citecheck database at {path}")
    if not is_new:
        _validate_before_opening(path)
        _match_side_file_modes(path)
    if not path.parent.is_dir():
        raise StoreError(f"cannot create {path}: the folder {path.parent} does not exist")
    try:
        conn = sqlite3.connect(path, timeout=DEFAULT_BUSY_TIMEOUT_S)
    except sqlite3.Error as exc:
        raise StoreError(f"cannot open {path}: {exc}") from exc
    try:
        with _translate_errors(path, "open the database"):
            _prepare(conn, path)
    except BaseException:
        conn.close()
        raise
    return SQLiteConnection(path, conn)


def _validate_before_opening(path: Path) -> None:
    """Refuse a file that is not a citecheck database without SQLite writing anything.

    A file marked with our application_id is opened normally (its integrity is
    SQLite's business from there on). An unmarked SQLite file is inspected through
    an immutable read-only connection, which creates no -wal/-shm file: one with
    no tables can become a citecheck database, one with tables belongs to someone.
    """
    try:
        with path.open("rb") as file:
            header = file.read(_HEADER_SIZE)
    except OSError as exc:
        raise StoreError(f"cannot read {path}: {exc.strerror}") from exc
    if len(header) < _HEADER_SIZE or not header.startswith(_SQLITE_MAGIC):
        raise CorruptDatabaseError(
            f"{path} is not a SQLite database (damaged, or some other kind of file);"
            " it was left untouched"
        )
    application_id = int.from_bytes(header[68:72], "big", signed=True)
    user_version = int.from_bytes(header[60:64], "big", signed=True)
    if application_id == APPLICATION_ID:
        check_schema_version(path, user_version)
        return
    if application_id != 0:
        raise CorruptDatabaseError(
            f"{path} is another program's SQLite database (application id"
            f" {application_id:#x}, citecheck's is {APPLICATION_ID:#x}); it was left untouched"
        )
    tables = _read_only_table_names(path)
    if tables:
        shown = ", ".join(sorted(tables)[:5])
        raise CorruptDatabaseError(
            f"{path} is another program's SQLite database (tables: {shown}); it was left untouched"
        )


def _read_only_table_names(path: Path) -> set[str]:
    uri = path.resolve().as_uri() + "?mode=ro&immutable=1"
    try:
        conn = sqlite3.connect(uri, uri=True)
        try:
            return {
                name
                for (name,) in conn.execute(
                    "SELECT name FROM sqlite_master WHERE type IN ('table', 'view')"
                )
            }
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise CorruptDatabaseError(
            f"{path} is a damaged SQLite database ({exc}); it was left untouched"
        ) from exc


def _prepare(conn: sqlite3.Connection, path: Path) -> None:
    """Claim, configure and migrate a connection that passed validation."""
    conn.execute("PRAGMA foreign_keys = ON")
    (application_id,) = conn.execute("PRAGMA application_id").fetchone()
    if application_id != APPLICATION_ID:
        # Marked before WAL is enabled, so the mark is in the main file's header
        # where _validate_before_opening reads it. A file with no tables gets its
        # schema in the same transaction: one commit for a new database, not two.
        conn.execute("BEGIN IMMEDIATE")
        try:
            foreign = _table_names(conn) - OWN_TABLES
            if foreign:
                raise CorruptDatabaseError(
                    f"{path} is another program's SQLite database (tables:"
                    f" {', '.join(sorted(foreign)[:5])})"
                )
            conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            _create_if_new(conn)
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
    (user_version,) = conn.execute("PRAGMA user_version").fetchone()
    check_schema_version(path, user_version)
    (journal_mode,) = conn.execute("PRAGMA journal_mode = WAL").fetchone()
    if journal_mode.lower() != "wal":
        raise StoreError(
            f"{path}: SQLite could not switch to WAL mode (got {journal_mode!r});"
            " is it on a network file system?"
        )
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA wal_autocheckpoint = 0")  # a thread does it: _Checkpoints
    conn.execute("PRAGMA journal_size_limit = 0")
    if user_version == SCHEMA_VERSION:
        # Each migration sets user_version, so nothing is pending. Damage deeper
        # than the schema surfaces as CorruptDatabaseError when it is read.
        missing = OWN_TABLES - _table_names(conn)
        if missing:
            raise CorruptDatabaseError(
                f"{path} is damaged: the tables {', '.join(sorted(missing))} are missing"
            )
        return
    # Under one write lock, so that two processes opening a new file at once
    # cannot both see a migration as pending.
    conn.execute("BEGIN IMMEDIATE")
    try:
        _migrate(conn)
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def _migrate(conn: sqlite3.Connection) -> None:
    """Bring the schema up to date inside the write transaction ``conn`` holds: a file
    with no tables at all gets the current schema in one go (fresh.py); the steps
    still pending after that, or on an older database, run through sqlite-utils."""
    if _create_if_new(conn) == SCHEMA_VERSION:
        return
    from sqlite_utils import Database  # only to migrate (store/version.py says why)

    from .schema import MIGRATIONS

    MIGRATIONS.apply(Database(conn, execute_plugins=False))


def _create_if_new(conn: sqlite3.Connection) -> int | None:
    """In a file with no tables and no schema version, the current schema
    (fresh.py), inside the write transaction ``conn`` holds; returns its version."""
    (user_version,) = conn.execute("PRAGMA user_version").fetchone()
    if user_version != 0 or _table_names(conn):
        return None
    from .fresh import create_schema

    return create_schema(conn)


def _table_names(conn: sqlite3.Connection) -> set[str]:
    return {
        name
        for (name,) in conn.execute(
            "SELECT name FROM sqlite_master WHERE type IN ('table', 'view')"
            " AND name NOT LIKE 'sqlite_%'"
        )
    }


@contextmanager
def _translate_errors(path: Path, action: str) -> Iterator[None]:
    """The one place where sqlite3 errors become citecheck's StoreError family."""
    try:
        yield
    except sqlite3.DatabaseError as exc:
        code = getattr(exc, "sqlite_errorname", "") or ""
        if code.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB")):
            raise CorruptDatabaseError(f"{path} is damaged: could not {action}: {exc}") from exc
        if code.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")):
            raise DatabaseBusyError(
                f"{path} stayed locked by another process for {DEFAULT_BUSY_TIMEOUT_S:g} s:"
                f" could not {action}"
            ) from exc
        raise StoreError(f"{path}: could not {action}: {exc}") from exc


def _match_side_file_modes(path: Path) -> None:
    """Give ``-wal`` and ``-shm`` back the write permission the database has.

    SQLite creates them with the database file's permission bits, so after a run
    against a read-only database they stay read-only when the database is made
    writable again, and every later write fails. A side file that lacks a write
    bit the database has gets the database's permission bits (when it is ours to
    change).
    """
    mode = stat.S_IMODE(path.stat().st_mode)
    for suffix in _WAL_SIDE_FILES:
        side = path.with_name(path.name + suffix)
        try:
            if mode & 0o222 & ~stat.S_IMODE(side.stat().st_mode):
                os.chmod(side, mode)
        except OSError:
            continue
