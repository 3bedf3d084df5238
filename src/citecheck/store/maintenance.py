"""``db migrate`` and ``db copy`` as library calls over database addresses."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..dbaddress import DatabaseAddress, PostgresAddress, database_address
from ..errors import StoreError
from . import Store
from .copy import TableCopied, copy_tables
from .schema import SCHEMA_VERSION


@dataclass(frozen=True)
class Migrated:
    """What ``db migrate`` did: the schema version before (0: a new database) and now."""

    name: str
    before: int
    after: int


def migrate_database(address: str | DatabaseAddress) -> Migrated:
    """Create or bring the database at ``address`` to this citecheck's schema."""
    address = database_address(address)
    before = _schema_version(address)
    with Store.open(address) as store:
        return Migrated(store.name, before, SCHEMA_VERSION)


def copy_database(
    source: str | DatabaseAddress,
    target: str | DatabaseAddress,
    *,
    on_table: Callable[[TableCopied], None] | None = None,
) -> list[TableCopied]:
    """Copy every table of the citecheck database ``source`` into ``target``, which
    must hold no data (it is created, or migrated, first). The source is opened
    only if it exists, and is migrated to this citecheck's schema like any open."""
    source, target = database_address(source), database_address(target)
    if source == target:
        raise StoreError(f"{_name(source)}: db copy needs two different databases")
    with Store.open(source, create=False) as source_store, Store.open(target) as target_store:
        return copy_tables(source_store._conn, target_store._conn, on_table=on_table)


def database_exists(address: DatabaseAddress) -> bool:
    """Whether there is a citecheck database at ``address`` (a file; on PostgreSQL,
    citecheck's tables), without creating one."""
    if isinstance(address, Path):
        return address.exists()
    return _schema_version(address) > 0


def _schema_version(address: DatabaseAddress) -> int:
    if isinstance(address, PostgresAddress):
        from .postgres import PostgresConnection, connect, schema_version

        conn = PostgresConnection(address, connect(address))
        try:
            with conn.errors("read the schema version"):
                return schema_version(conn) or 0
        finally:
            conn.close()
    if not address.exists() or address.stat().st_size < 64:
        return 0
    with address.open("rb") as file:
        return int.from_bytes(file.read(64)[60:64], "big", signed=True)


def _name(address: DatabaseAddress) -> str:
    return str(address) if isinstance(address, Path) else address.name
