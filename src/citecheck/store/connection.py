"""The seam between the queries and a database backend.

Every query module (links, runs, reports, wayback, fixes) speaks to a
:class:`Connection`, never to a driver: SQLite today (``sqlite.py``), PostgreSQL
next. What a backend must give is small: run a statement, run one for many rows,
a write transaction, a read snapshot, keyset-paged reads, and the translation of
its own errors into citecheck's StoreError family, in one place.

The SQL the query modules send is kept portable where that costs nothing: ``?``
placeholders (a backend whose driver wants another style rewrites them),
``INSERT … RETURNING id`` rather than a driver's last-row-id, ``ON CONFLICT … DO
UPDATE`` with ``excluded``, no ``PRAGMA``, no JSON functions, no SQLite-only types.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from typing import Any, Protocol, TypeVar

#: Rows per page when streaming: bounds memory (a report page holds its links'
#: citations and full histories) while keeping the number of queries small.
PAGE_SIZE = 100

Row = tuple[Any, ...]
_Extra = TypeVar("_Extra")


class Cursor(Protocol):
    """What a statement returns: rows by position (reports read a million of them)."""

    @property
    def rowcount(self) -> int: ...

    @property
    def description(self) -> Any: ...

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...

    def __iter__(self) -> Iterator[Any]: ...


class Connection(Protocol):
    """An open database, as the query modules use it."""

    #: What error messages name: the database file (or a DSN without its password).
    name: str

    def execute(self, sql: str, parameters: Sequence[Any] = ()) -> Cursor:
        """Run one statement."""
        ...

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        """Run one statement for each of ``rows``."""
        ...

    def write(self) -> AbstractContextManager[None]:
        """One write transaction, the write lock taken up front; rolled back on error."""
        ...

    def batched(self, *, max_writes: int, max_seconds: float) -> AbstractContextManager[None]:
        """Group the writes made inside (each still all or nothing) into one
        transaction per ``max_writes`` writes or ``max_seconds``; commit on the way out."""
        ...

    def commit_batch(self) -> None:
        """Commit the writes grouped so far by :meth:`batched`, if any."""
        ...

    def read(self) -> AbstractContextManager[None]:
        """One read transaction, so that the statements inside see one snapshot."""
        ...

    def errors(self, action: str) -> AbstractContextManager[None]:
        """The one place where the driver's errors become StoreError and its subclasses;
        ``action`` completes "could not …" in the message."""
        ...

    def reset_ids(self, table: str, key: str) -> None:
        """After rows were written with their ids (``db copy``), make the next id the
        database gives ``table`` follow the highest one."""
        ...

    def close(self) -> None: ...


def paged(
    conn: Connection,
    sql: str,
    parameters: Sequence[Any],
    *,
    after: Any,
    action: str,
    key: int = 0,
    with_page: Callable[[list[Row]], _Extra] | None = None,
) -> Iterator[tuple[list[Row], _Extra | None]]:
    """Read a keyset-paged query a page at a time, each page in its own read snapshot.

    ``sql`` ends with ``… > ? … LIMIT ?``: it is given ``parameters``, then the key of
    the last row read (``after`` at first), then the page size. ``key`` is the column
    of that key. ``with_page`` runs more queries for the page inside the same
    snapshot (its citations, its histories); its result comes with the page.
    Nothing stays open between pages: an open cursor would pin a snapshot, and in
    WAL mode a pinned snapshot keeps the log from being recycled while checks are
    written.
    """
    while True:
        with conn.errors(action), conn.read():
            rows = conn.execute(sql, (*parameters, after, PAGE_SIZE)).fetchall()
            extra = with_page(rows) if with_page is not None and rows else None
        if rows:
            yield rows, extra
        if len(rows) < PAGE_SIZE:
            return
        after = rows[-1][key]


def placeholders(values: Sequence[Any]) -> str:
    """``?, ?, ?`` for an ``IN (…)`` list of ``values``."""
    return ", ".join("?" * len(values))
