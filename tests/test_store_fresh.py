"""store/fresh.py: a new database gets, in one go, exactly the schema the migrations build."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlite_utils import Database

from citecheck.models import Citation
from citecheck.store import APPLICATION_ID, SCHEMA_VERSION, Store, fresh
from citecheck.store.schema import MIGRATIONS

T0 = datetime(2024, 5, 6, tzinfo=UTC)


def _migrated(path: Path, *, stop_before: str | None = None) -> Path:
    """A database built the old way: every migration through sqlite-utils."""
    db = Database(path)
    MIGRATIONS.apply(db, stop_before=stop_before)
    db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    db.conn.commit()
    db.close()
    return path


def _schema(path: Path) -> tuple:
    conn = sqlite3.connect(path)
    try:
        return (
            conn.execute(
                "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY rowid"
            ).fetchall(),
            conn.execute(
                "SELECT migration_set, name FROM _sqlite_migrations ORDER BY id"
            ).fetchall(),
            conn.execute("PRAGMA user_version").fetchone(),
            conn.execute("PRAGMA application_id").fetchone(),
        )
    finally:
        conn.close()


def _constants(path: Path) -> str:
    """fresh.py's constants for the database at ``path``, to paste in when a
    migration is added."""
    master, migrations, (version,), _ = _schema(path)
    statements = "\n".join(f"    {sql!r}," for _, _, _, sql in master if sql is not None)
    names = "\n".join(f"    {name!r}," for _, name in migrations)
    return (
        f"SCHEMA_AT = {version}\n\nSTATEMENTS = (\n{statements}\n)\n\n"
        f"MIGRATIONS_APPLIED = (\n{names}\n)\n"
    )


def test_a_new_database_has_exactly_the_schema_the_migrations_build(tmp_path: Path) -> None:
    migrated = _migrated(tmp_path / "migrated.db")
    with Store.open(tmp_path / "new.db"):
        pass
    assert _schema(tmp_path / "new.db") == _schema(migrated), (
        "store/fresh.py is behind the migrations; its constants should now be\n"
        + _constants(migrated)
    )
    assert fresh.SCHEMA_AT == SCHEMA_VERSION


def test_steps_added_after_the_fresh_schema_run_on_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Until fresh.py is brought up to date, a new database gets its schema and
    sqlite-utils runs the migrations added since."""
    last = MIGRATIONS._migrations[-1].name
    older = _migrated(tmp_path / "older.db", stop_before=last)
    master, migrations, (version,), _ = _schema(older)
    monkeypatch.setattr(fresh, "STATEMENTS", tuple(sql for *_, sql in master if sql))
    monkeypatch.setattr(fresh, "MIGRATIONS_APPLIED", tuple(name for _, name in migrations))
    monkeypatch.setattr(fresh, "SCHEMA_AT", version)
    assert version < SCHEMA_VERSION

    with Store.open(tmp_path / "new.db") as store:
        store.sync_citations([Citation(url="https://example.org/a")], now=T0)
    assert _schema(tmp_path / "new.db") == _schema(_migrated(tmp_path / "migrated.db"))


def test_an_empty_file_gets_the_fresh_schema(tmp_path: Path) -> None:
    path = tmp_path / "archive.db"
    path.touch()
    with Store.open(path) as store:
        store.sync_citations([Citation(url="https://example.org/a")], now=T0)
        assert [link.url for link in store.active_links()] == ["https://example.org/a"]
    assert _schema(path) == _schema(_migrated(tmp_path / "migrated.db"))


def test_opening_a_new_database_imports_no_sqlite_utils(tmp_path: Path) -> None:
    code = (
        "import sys; from pathlib import Path; from citecheck.store import Store;"
        f" Store.open(Path({str(tmp_path / 'archive.db')!r})).close();"
        " print('sqlite_utils' in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=30, check=True
    )
    assert done.stdout.strip() == "False"


def test_a_new_database_is_marked_and_given_its_schema_in_one_transaction(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One commit (before WAL, so the mark is in the file's header), not one for the
    mark and one for the schema."""
    from citecheck.store import sqlite as sqlite_backend

    statements: list[str] = []
    connect = sqlite3.connect

    def traced(*args: object, **kwargs: object) -> sqlite3.Connection:
        conn = connect(*args, **kwargs)  # type: ignore[arg-type]
        conn.set_trace_callback(statements.append)
        return conn

    monkeypatch.setattr(sqlite_backend.sqlite3, "connect", traced)
    path = tmp_path / "archive.db"
    with Store.open(path):
        pass
    assert [s for s in statements if s.startswith(("BEGIN", "COMMIT"))] == [
        "BEGIN IMMEDIATE",
        "COMMIT",
    ]
    header = path.read_bytes()[:100]
    assert int.from_bytes(header[68:72], "big") == APPLICATION_ID
    assert int.from_bytes(header[60:64], "big") == SCHEMA_VERSION
