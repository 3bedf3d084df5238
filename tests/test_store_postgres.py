"""The PostgreSQL backend's own behaviour (the shared behaviour is tested on both
backends in test_store.py and tests/e2e through the ``store_backend`` fixture)."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest

from citecheck.dbaddress import PostgresAddress, database_address
from citecheck.errors import CorruptDatabaseError, InputError, SchemaTooNewError, StoreError
from citecheck.models import Citation
from citecheck.store import SCHEMA_VERSION, Store
from citecheck.store.pg_schema import MIGRATIONS_TABLE, PG_MIGRATIONS
from citecheck.store.postgres import PG_TABLES, _pg_sql

T0 = datetime(2024, 5, 6, tzinfo=UTC)


@pytest.fixture
def pg(postgres_database: str) -> str:
    return postgres_database


def pg_sql(url: str, query: str) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute(query).fetchall()


# --- addresses ------------------------------------------------------------------------


def test_a_path_is_a_sqlite_file_and_a_url_is_postgresql() -> None:
    assert database_address("archive.db") == Path("archive.db")
    assert database_address("data/postgresql.db") == Path("data/postgresql.db")
    assert isinstance(database_address("postgresql://u@db.example/links"), PostgresAddress)
    assert isinstance(database_address("postgres://u@db.example/links"), PostgresAddress)


def test_another_kind_of_database_url_is_refused() -> None:
    with pytest.raises(InputError, match="mysql://"):
        database_address("mysql://u@db.example/links")
    with pytest.raises(InputError, match="needs a host"):
        database_address("postgresql:///links")


def test_the_password_is_never_shown() -> None:
    address = database_address("postgresql://editor:s3cret@db.example:5433/links?sslmode=require")
    assert address.name == "postgresql://editor@db.example:5433/links?sslmode=require"
    assert "s3cret" not in str(address) and "s3cret" not in repr(address)
    in_query = database_address("postgresql://db.example/links?user=e&password=s3cret")
    assert "s3cret" not in in_query.name


def test_an_unreachable_server_is_a_store_error_without_the_password() -> None:
    with pytest.raises(StoreError, match="cannot connect to") as raised:
        Store.open("postgresql://editor:s3cret@127.0.0.1:9/links?connect_timeout=2")
    assert "s3cret" not in str(raised.value)


# --- placeholders ---------------------------------------------------------------------


def test_placeholders_are_rewritten_outside_literals_only() -> None:
    assert _pg_sql("SELECT a FROM t WHERE b = ? AND c = ?") == (
        "SELECT a FROM t WHERE b = %s AND c = %s"
    )
    assert _pg_sql("SELECT '?', \"a?\" FROM t WHERE x LIKE '{%' AND y = ?") == (
        "SELECT '?', \"a?\" FROM t WHERE x LIKE '{%%' AND y = %s"
    )
    assert _pg_sql("SELECT 'it''s ?' , ?") == "SELECT 'it''s ?' , %s"


# --- schema and migrations --------------------------------------------------------------


def _columns_sqlite(path: Path) -> dict[str, list[str]]:
    conn = sqlite3.connect(path)
    try:
        tables = [
            name
            for (name,) in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'"
                " AND name NOT LIKE 'sqlite_%' AND name != '_sqlite_migrations'"
            )
        ]
        return {
            table: [row[1] for row in conn.execute(f"PRAGMA table_info({table})")]
            for table in tables
        }
    finally:
        conn.close()


def _columns_postgres(url: str) -> dict[str, list[str]]:
    columns: dict[str, list[str]] = {}
    for table, column in pg_sql(
        url,
        "SELECT table_name, column_name FROM information_schema.columns"
        f" WHERE table_schema = current_schema() AND table_name != '{MIGRATIONS_TABLE}'"
        " ORDER BY table_name, ordinal_position",
    ):
        columns.setdefault(table, []).append(column)
    return columns


def test_postgresql_has_the_same_tables_and_columns_as_sqlite(pg: str, tmp_path: Path) -> None:
    """The guard for a new migration: one added on SQLite and not here fails this."""
    Store.open(tmp_path / "archive.db").close()
    Store.open(pg).close()
    assert _columns_postgres(pg) == _columns_sqlite(tmp_path / "archive.db")
    assert PG_MIGRATIONS[-1].version == SCHEMA_VERSION
    assert [step.version for step in PG_MIGRATIONS] == list(range(1, SCHEMA_VERSION + 1))


def test_migrations_are_recorded_once(pg: str) -> None:
    for _ in range(3):
        Store.open(pg).close()
    assert pg_sql(pg, f"SELECT version, name FROM {MIGRATIONS_TABLE} ORDER BY version") == [
        (step.version, step.name) for step in PG_MIGRATIONS
    ]


def test_open_without_create_refuses_an_empty_database(pg: str) -> None:
    with pytest.raises(StoreError, match="no citecheck database"):
        Store.open(pg, create=False)
    assert pg_sql(pg, "SELECT to_regclass('links')") == [(None,)]


def test_a_database_with_tables_of_our_names_is_refused_untouched(pg: str) -> None:
    with psycopg.connect(pg, autocommit=True) as conn:
        conn.execute("CREATE TABLE links (id int, what text)")
    with pytest.raises(CorruptDatabaseError, match="not a citecheck database"):
        Store.open(pg)
    assert pg_sql(pg, "SELECT to_regclass('runs')") == [(None,)]


def test_a_newer_schema_is_refused(pg: str) -> None:
    Store.open(pg).close()
    with psycopg.connect(pg, autocommit=True) as conn:
        conn.execute(f"INSERT INTO {MIGRATIONS_TABLE} VALUES ({SCHEMA_VERSION + 1}, 'future', 'x')")
    with pytest.raises(SchemaTooNewError, match="newer citecheck"):
        Store.open(pg)


def test_a_database_missing_a_table_is_refused(pg: str) -> None:
    Store.open(pg).close()
    with psycopg.connect(pg, autocommit=True) as conn:
        conn.execute("DROP TABLE fixes")
    with pytest.raises(CorruptDatabaseError, match="fixes"):
        Store.open(pg)


_OPEN = """
    import sys
    from citecheck.store import Store
    Store.open(sys.argv[1]).close()
"""


def test_processes_creating_the_database_at_once_migrate_it_once(pg: str) -> None:
    children = [
        subprocess.Popen(
            [sys.executable, "-c", textwrap.dedent(_OPEN), pg],
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    for child in children:
        _, err = child.communicate(timeout=60)
        assert child.returncode == 0, err
    (count,) = pg_sql(pg, f"SELECT COUNT(*) FROM {MIGRATIONS_TABLE}")[0]
    assert count == len(PG_MIGRATIONS)
    assert {name for (name,) in pg_sql(pg, "SELECT tablename FROM pg_tables")} >= PG_TABLES


@pytest.fixture
def pg_store(pg: str) -> Iterator[Store]:
    with Store.open(pg) as store:
        yield store


def test_a_statement_error_leaves_the_connection_usable(pg_store: Store) -> None:
    with pytest.raises(StoreError, match="could not read"), pg_store._conn.errors("read"):
        pg_store._conn.execute("SELECT no_such_column FROM links")
    pg_store.sync_citations([Citation(url="https://example.org/a")], now=T0)
    assert pg_store.status_counts()["unchecked"] == 1


def test_a_nul_in_text_is_stored_as_a_replacement_character(pg_store: Store) -> None:
    """PostgreSQL's text cannot hold NUL; the citation is stored, not lost."""
    pg_store.sync_citations(
        [Citation(url="https://example.org/a", context="claim\x00text", title="t\x00")], now=T0
    )
    assert pg_store.cited_titles("https://example.org/a") == ["t\ufffd"]
