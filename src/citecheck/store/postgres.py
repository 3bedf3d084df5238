"""The PostgreSQL backend: connecting, migrating, and the connection the queries use.

The connection is in autocommit mode and every transaction is explicit, as on
SQLite: :meth:`PostgresConnection.write` is one ``READ COMMITTED`` transaction (a
savepoint inside :meth:`~PostgresConnection.batched`), :meth:`~PostgresConnection.read`
one ``REPEATABLE READ READ ONLY`` snapshot. The queries are written with ``?``
placeholders; each statement text is rewritten once for psycopg (``?`` → ``%s``,
``%`` → ``%%``, string literals and quoted names left alone) and the rewrite is
cached, so a statement run a million times is rewritten once and, after psycopg's
fifth use, prepared on the server.

This module and ``pg_schema.py`` are the only ones that know PostgreSQL's dialect;
psycopg's errors become StoreError and its subclasses in :func:`_translate_errors`
and nowhere else. Messages name the database by its URL without the password.
"""

from __future__ import annotations

import contextlib
import functools
import os
import socket
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import psycopg
from psycopg import errors as pg_errors
from psycopg.pq import TransactionStatus

from ..dbaddress import PostgresAddress
from ..errors import CorruptDatabaseError, DatabaseBusyError, SchemaTooNewError, StoreError
from .pg_schema import (
    CREATE_MIGRATIONS_TABLE,
    MIGRATION_LOCK_KEY,
    MIGRATIONS_TABLE,
    PG_MIGRATIONS,
)
from .version import APPLICATION_ID, OWN_TABLES, SCHEMA_VERSION

#: Seconds to wait for the server to answer a connection attempt.
CONNECT_TIMEOUT_S = 10
#: Milliseconds a statement waits for a row or table lock another session holds
#: before failing with DatabaseBusyError (writes are short; longer means stuck).
LOCK_TIMEOUT_MS = 30_000
#: Writes grouped into one transaction at most: each is a savepoint, a subtransaction
#: on the server, and past 64 of them in one transaction every session's visibility
#: checks slow down (the subtransaction cache overflows); measured in BENCHMARKS.md.
MAX_SAVEPOINTS_PER_GROUP = 32
#: The tables of a citecheck database on PostgreSQL (SQLite's own bookkeeping aside).
PG_TABLES = frozenset(OWN_TABLES - {"_sqlite_migrations"}) | {MIGRATIONS_TABLE}


class PostgresConnection:
    """A :class:`~citecheck.store.connection.Connection` over one psycopg connection."""

    def __init__(self, address: PostgresAddress, conn: psycopg.Connection[Any]) -> None:
        self.name = address.name
        self.address = address
        self._conn = conn
        self._batch: _Batch | None = None

    def execute(self, sql: str, parameters: Sequence[Any] = ()) -> psycopg.Cursor[Any]:
        return self._conn.execute(_pg_sql(sql), _storable(parameters))

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        with self._conn.cursor() as cursor:
            cursor.executemany(_pg_sql(sql), [_storable(row) for row in rows])

    @property
    def in_transaction(self) -> bool:
        return self._conn.info.transaction_status != TransactionStatus.IDLE

    @contextmanager
    def write(self) -> Iterator[None]:
        """One write transaction (inside :meth:`batched`, a savepoint in the group's)."""
        if self._batch is not None:
            with self._batched_write(self._batch):
                yield
            return
        if self.in_transaction:
            raise StoreError(f"{self.name}: a write began inside another transaction")
        self._conn.execute("BEGIN ISOLATION LEVEL READ COMMITTED")
        try:
            yield
        except BaseException:
            self._rollback()
            raise
        self._conn.execute("COMMIT")

    @contextmanager
    def batched(self, *, max_writes: int, max_seconds: float) -> Iterator[None]:
        """Group the writes made inside into one transaction per ``max_writes`` writes
        or ``max_seconds``; commit the last group on the way out (even on an error).
        A write that fails inside a group is rolled back alone (a savepoint each)."""
        if self._batch is not None:
            yield
            return
        self._batch = _Batch(min(max_writes, MAX_SAVEPOINTS_PER_GROUP), max_seconds)
        try:
            yield
        finally:
            self._batch = None
            self.commit_batch_now()

    def commit_batch(self) -> None:
        """Commit the writes grouped so far by :meth:`batched`, if any."""
        if self._batch is not None:
            self.commit_batch_now()

    def commit_batch_now(self) -> None:
        status = self._conn.info.transaction_status
        if status == TransactionStatus.INTRANS:
            self._conn.execute("COMMIT")
        elif status == TransactionStatus.INERROR:
            self._conn.execute("ROLLBACK")

    @contextmanager
    def _batched_write(self, batch: _Batch) -> Iterator[None]:
        if not self.in_transaction:
            self._conn.execute("BEGIN ISOLATION LEVEL READ COMMITTED")
            batch.started = time.monotonic()
            batch.writes = 0
        self._conn.execute("SAVEPOINT batched_write")
        try:
            yield
        except BaseException:
            if self._conn.info.transaction_status in _OPEN:
                self._conn.execute("ROLLBACK TO SAVEPOINT batched_write")
                self._conn.execute("RELEASE SAVEPOINT batched_write")
            raise
        self._conn.execute("RELEASE SAVEPOINT batched_write")
        batch.writes += 1
        if batch.writes >= batch.max_writes or time.monotonic() - batch.started >= batch.max_s:
            self._conn.execute("COMMIT")

    @contextmanager
    def read(self) -> Iterator[None]:
        """One read-only snapshot, so that the statements inside agree."""
        if self.in_transaction:
            yield
            return
        self._conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        try:
            yield
        finally:
            self._rollback()

    @contextmanager
    def errors(self, action: str) -> Iterator[None]:
        """The one place where psycopg errors become citecheck's StoreError family."""
        with _translate_errors(self.name, action):
            yield

    def reset_ids(self, table: str, key: str) -> None:
        """Move the identity sequence of ``table`` (if it has one) past its highest id."""
        self.execute(
            "SELECT setval(sequence::regclass, COALESCE((SELECT MAX("
            + f'"{key}"'
            + f") FROM {table}), 0)"
            " + 1, false) FROM (SELECT pg_get_serial_sequence(?, ?) AS sequence) AS s"
            " WHERE sequence IS NOT NULL",
            (table, key),
        )

    def close(self) -> None:
        self._conn.close()

    def _rollback(self) -> None:
        if self._conn.closed or not self.in_transaction:
            return
        # A connection that is gone took its transaction with it.
        with contextlib.suppress(psycopg.OperationalError):
            self._conn.execute("ROLLBACK")


_OPEN = (TransactionStatus.INTRANS, TransactionStatus.INERROR)


@dataclass
class _Batch:
    max_writes: int
    max_s: float
    writes: int = 0
    started: float = 0.0


def _storable(parameters: Sequence[Any]) -> tuple[Any, ...]:
    """``parameters`` as PostgreSQL can store them: its text cannot hold a NUL
    character (SQLite's can), so a NUL in text (a document's claim, a server's
    message) becomes U+FFFD, the replacement character, rather than failing the
    citation or the check that carries it."""
    return tuple(
        value.replace("\x00", "\ufffd") if type(value) is str and "\x00" in value else value
        for value in parameters
    )


@functools.lru_cache(maxsize=1024)
def _pg_sql(sql: str) -> str:
    """``sql`` with ``?`` placeholders as psycopg's ``%s`` (and a literal ``%`` as ``%%``),
    leaving string literals and quoted names alone."""
    out: list[str] = []
    quote = ""
    for char in sql:
        if quote:
            if char == quote:
                quote = ""
        elif char in "'\"":
            quote = char
        elif char == "?":
            out.append("%s")
            continue
        out.append("%%" if char == "%" else char)
    return "".join(out)


def application_name() -> str:
    """What a citecheck session is called on the server: who holds a lock, by pid and host."""
    return f"citecheck {os.getpid()}@{socket.gethostname()}"[:63]


def connect(address: PostgresAddress) -> psycopg.Connection[Any]:
    """A new autocommit session on ``address``; StoreError if the server cannot be reached."""
    try:
        conn = psycopg.connect(
            address.url,
            autocommit=True,
            connect_timeout=CONNECT_TIMEOUT_S,
            application_name=application_name(),
        )
    except psycopg.Error as exc:
        raise StoreError(f"cannot connect to {address.name}: {_first_line(exc)}") from exc
    try:
        conn.execute(f"SET lock_timeout = {LOCK_TIMEOUT_MS}")
        conn.execute("SET TIME ZONE 'UTC'")
    except psycopg.Error as exc:
        conn.close()
        raise StoreError(f"cannot set up the session on {address.name}: {exc}") from exc
    return conn


def open_postgres(address: PostgresAddress, *, create: bool = True) -> PostgresConnection:
    """Connect to ``address`` and (if needed) create or migrate citecheck's tables.

    Raises StoreError when the server cannot be reached or, without ``create``,
    holds no citecheck database; CorruptDatabaseError when the database has tables
    of citecheck's names but is not a citecheck database, or is missing some;
    SchemaTooNewError when a newer citecheck migrated it.
    """
    conn = connect(address)
    store = PostgresConnection(address, conn)
    try:
        with store.errors("open the database"):
            _prepare(store, create=create)
    except BaseException:
        conn.close()
        raise
    return store


def schema_version(store: PostgresConnection) -> int | None:
    """The version of the citecheck schema in the database (None: no citecheck database)."""
    # The catalog by query, not to_regclass(): a name lookup may use a cache that has
    # not yet seen the table another session just created (a race on a new database).
    if MIGRATIONS_TABLE not in _table_names(store):
        return None
    (version,) = store.execute(
        f"SELECT COALESCE(MAX(version), 0) FROM {MIGRATIONS_TABLE}"
    ).fetchone()
    return int(version)


def _table_names(store: PostgresConnection) -> set[str]:
    return {
        name
        for (name,) in store.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
        )
    }


def _prepare(store: PostgresConnection, *, create: bool) -> None:
    version = schema_version(store)
    if version is None and not create:
        raise StoreError(f"there is no citecheck database at {store.name}")
    if version is not None and version >= SCHEMA_VERSION:
        _check_version(store, version)
        missing = PG_TABLES - _table_names(store)
        if missing:
            raise CorruptDatabaseError(
                f"{store.name} is damaged: the tables {', '.join(sorted(missing))} are missing"
            )
        return
    migrate(store)


def _check_version(store: PostgresConnection, version: int) -> None:
    if version > SCHEMA_VERSION:
        raise SchemaTooNewError(
            f"{store.name} was written by a newer citecheck (schema version {version}; this"
            f" citecheck knows up to {SCHEMA_VERSION}); upgrade citecheck to use it"
        )


def migrate(store: PostgresConnection) -> list[str]:
    """Apply the pending migration steps, in one transaction under an advisory lock
    (a second process opening the database at once waits, then finds nothing to do).
    Returns the names of the steps applied.

    Whether the database is citecheck's is decided under the lock too: a database
    with tables of citecheck's names and no migrations table is someone else's.
    """
    applied: list[str] = []
    with store.write():
        store.execute("SELECT pg_advisory_xact_lock(?, ?)", (APPLICATION_ID, MIGRATION_LOCK_KEY))
        version = schema_version(store)
        if version is None:
            ours = _table_names(store) & PG_TABLES
            if ours:
                raise CorruptDatabaseError(
                    f"{store.name} has tables named like citecheck's"
                    f" ({', '.join(sorted(ours)[:5])}) but is not a citecheck database"
                    f" (no {MIGRATIONS_TABLE} table); it was left untouched"
                )
            store.execute(CREATE_MIGRATIONS_TABLE)
        else:
            _check_version(store, version)
        done = {version for (version,) in store.execute(f"SELECT version FROM {MIGRATIONS_TABLE}")}
        now = datetime.now(UTC).isoformat()
        for step in PG_MIGRATIONS:
            if step.version in done:
                continue
            for statement in step.statements:
                store.execute(statement)
            store.execute(
                f"INSERT INTO {MIGRATIONS_TABLE} (version, name, applied_at) VALUES (?, ?, ?)",
                (step.version, step.name, now),
            )
            applied.append(step.name)
    return applied


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


@contextmanager
def _translate_errors(name: str, action: str) -> Iterator[None]:
    """The one place where psycopg errors become citecheck's StoreError family."""
    try:
        yield
    except (
        pg_errors.LockNotAvailable,
        pg_errors.DeadlockDetected,
        pg_errors.SerializationFailure,
        pg_errors.QueryCanceled,
    ) as exc:
        raise DatabaseBusyError(
            f"{name}: could not {action}: another session held what it needed ({_first_line(exc)})"
        ) from exc
    except pg_errors.UndefinedTable as exc:
        raise CorruptDatabaseError(
            f"{name} is damaged: could not {action}: {_first_line(exc)}"
        ) from exc
    except psycopg.OperationalError as exc:
        raise StoreError(
            f"{name}: could not {action}: the connection failed ({_first_line(exc)})"
        ) from exc
    except psycopg.Error as exc:
        raise StoreError(f"{name}: could not {action}: {_first_line(exc)}") from exc
