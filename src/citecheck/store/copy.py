"""``db copy``: every table of one citecheck database into another, history included.

SQLite ⇄ PostgreSQL (or either to its own kind), so a project can move when it
grows. Both ends are opened (and so migrated) first, so they share one schema;
the target must hold no rows, so a copy never merges two histories. Tables are
copied parents first (a check's run and link exist before it), each streamed a
page at a time by key, each page one write transaction on the target; ids are
kept, so every reference stays right, and the target's id counters are moved past
them afterwards (PostgreSQL's sequences; SQLite needs nothing). Each backend's
bookkeeping (sqlite-utils' migrations table, ``citecheck_migrations``) is its own
and is not copied.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..errors import StoreError
from .connection import Connection

#: The tables in the order a copy fills them, each with its key columns (a page is
#: read after the last key of the one before, so composite keys page too). A table
#: of citecheck's that is not here is not copied: ``tests/test_store_copy.py`` fails
#: when a migration adds one without saying which it is.
COPIED_TABLES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("runs", ("id",)),
    ("links", ("id",)),
    ("citations", ("id",)),
    ("checks", ("id",)),
    ("snapshots", ("id",)),
    ("archive_lookups", ("link_id",)),
    ("captures", ("id",)),
    ("fixes", ("id",)),
    ("page_baselines", ("link_id", "label")),
    ("page_findings", ("link_id", "page", "claim")),
    ("archived_page_findings", ("link_id", "page", "claim")),
)
#: citecheck's tables that a copy leaves out: the leases of workers running now
#: (``run --worker``) belong to the source's workers and expire within minutes, and
#: the shared rate limits' slots are the source's workers' too.
NOT_COPIED: frozenset[str] = frozenset({"host_leases", "shared_limits"})
#: Rows read and written at a time: memory stays bounded at any size of history.
COPY_PAGE_ROWS = 1000


@dataclass(frozen=True)
class TableCopied:
    table: str
    rows: int


def columns_of(conn: Connection, table: str) -> list[str]:
    """The columns of ``table``, in the order the database keeps them."""
    with conn.errors(f"read the columns of {table}"), conn.read():
        cursor = conn.execute(f"SELECT * FROM {table} LIMIT 0")
        return [column[0] for column in cursor.description]


def copy_tables(
    source: Connection,
    target: Connection,
    *,
    on_table: Callable[[TableCopied], None] | None = None,
) -> list[TableCopied]:
    """Copy every citecheck table of ``source`` into the empty ``target``."""
    for table, _ in COPIED_TABLES:
        with target.errors(f"read {table}"):
            if target.execute(f"SELECT 1 FROM {table} LIMIT 1").fetchone() is not None:
                raise StoreError(
                    f"{target.name} already holds data (in {table}); db copy fills an empty"
                    " database only, so that two histories are never mixed"
                )
    copied = []
    for table, key in COPIED_TABLES:
        done = TableCopied(table, _copy_table(source, target, table, key))
        copied.append(done)
        if on_table is not None:
            on_table(done)
    return copied


def _copy_table(source: Connection, target: Connection, table: str, key: tuple[str, ...]) -> int:
    columns = columns_of(source, table)
    missing = set(columns) - set(columns_of(target, table))
    if missing:
        raise StoreError(
            f"{target.name} has no column {', '.join(sorted(missing))} in {table}:"
            " the two databases are at different schema versions"
        )
    names = ", ".join(f'"{column}"' for column in columns)
    key_names = ", ".join(f'"{column}"' for column in key)
    order = f"ORDER BY {key_names} LIMIT {COPY_PAGE_ROWS}"
    first = f"SELECT {names} FROM {table} {order}"
    # A row value comparison pages a composite key in the key's own order, on both engines.
    following = (
        f"SELECT {names} FROM {table} WHERE ({key_names}) > ({', '.join('?' * len(key))}) {order}"
    )
    insert = f"INSERT INTO {table} ({names}) VALUES ({', '.join('?' * len(columns))})"
    key_indexes = [columns.index(column) for column in key]
    after: tuple[object, ...] | None = None
    rows_copied = 0
    while True:
        with source.errors(f"read {table}"), source.read():
            if after is None:
                rows = source.execute(first).fetchall()
            else:
                rows = source.execute(following, after).fetchall()
        if not rows:
            break
        with target.errors(f"write {table}"), target.write():
            target.executemany(insert, rows)
        rows_copied += len(rows)
        after = tuple(rows[-1][index] for index in key_indexes)
        if len(rows) < COPY_PAGE_ROWS:
            break
    if key == ("id",):
        with target.errors(f"reset the ids of {table}"), target.write():
            target.reset_ids(table, "id")
    return rows_copied
