"""``db copy``: SQLite → PostgreSQL → SQLite leaves every table identical."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from citecheck.cli import cli
from citecheck.errors import StoreError
from citecheck.models import CheckResult, Citation, Hop, LinkState, Reason, Status
from citecheck.store import Store
from citecheck.store.copy import COPIED_TABLES, NOT_COPIED
from citecheck.store.maintenance import copy_database, migrate_database
from citecheck.store.version import MIGRATIONS_TABLE, OWN_TABLES

T0 = datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=UTC)


def _fill(path: Path, links: int = 30) -> None:
    """A database with rows in every table: history, archive rows, fixes (bytes, NULLs,
    non-ASCII text), and ids with gaps, as a long-used database has."""
    with Store.open(path) as store:
        urls = [f"https://example.org/é/{n}" for n in range(links)]
        store.sync_citations(
            [Citation(url=url, document="campaign.md", line=n, title="Tïtle") for n, url in
             enumerate(urls)],
            now=T0,
        )  # fmt: skip
        for day in range(3):
            at = T0 + timedelta(days=day)
            run_id = store.begin_run("check", now=at)
            for url in urls:
                result = CheckResult(
                    url=url,
                    checked_at=at,
                    status=Status.REDIRECTED,
                    reason=Reason.PERMANENT_REDIRECT,
                    http_status=301,
                    redirects=(Hop(url, 301, url + "/new"),),
                    title="Ünïcode",
                )
                state = LinkState(url=url, status=Status.OK, checked_at=at, ever_ok=True)
                store.record_check(run_id, result, state)
            store.finish_run(run_id, now=at, outcome="finished", summary={"ok": links})
        conn = store._conn
        with conn.write():
            conn.execute("DELETE FROM checks WHERE id % 7 = 0")  # gaps in the ids
            conn.execute(
                "INSERT INTO snapshots (link_id, timestamp, original, status_code, found_by,"
                " found_at, accepted) VALUES (1, '20240101000000', ?, 200, 'cdx', ?, 1)",
                (urls[0], T0.isoformat()),
            )
            conn.execute(
                "INSERT INTO archive_lookups (link_id, looked_up_at, timestamp)"
                " VALUES (1, ?, NULL)",
                (T0.isoformat(),),
            )
            conn.execute(
                "INSERT INTO captures (link_id, requested_at, mode, state) VALUES (1, ?, 'spn2',"
                " 'pending')",
                (T0.isoformat(),),
            )
            for link_id in range(1, min(links, 3) + 1):  # composite keys, several pages
                for label in ("p.1", "p.67", "p.9", "ii"):
                    conn.execute(
                        "INSERT INTO page_baselines (link_id, label, pdf_page, fingerprint,"
                        " terms, numbering, seen_at) VALUES (?, ?, 3, 'ab12', '[\"rise\"]',"
                        " 'page labels', ?)",
                        (link_id, label, T0.isoformat()),
                    )
                    for claim in ("", "Clàim one", "claim two"):
                        conn.execute(
                            "INSERT INTO page_findings (link_id, page, claim, checked_at,"
                            " finding, support, terms_found, terms_total) VALUES"
                            " (?, ?, ?, ?, 'page_missing', 0.25, '[]', 4)",
                            (link_id, label, claim, T0.isoformat()),
                        )
                        conn.execute(
                            "INSERT INTO archived_page_findings (link_id, page, claim,"
                            " archive_timestamp, archive_url, checked_at, support)"
                            " VALUES (?, ?, ?, '20210714000000', ?, ?, 0.5)",
                            (link_id, label, claim, urls[0], T0.isoformat()),
                        )
            conn.execute(
                'INSERT INTO fixes (batch, document, fixed_at, start, "end", old_url, new_url,'
                " action, old_text, new_text) VALUES (1, 'doc.md', ?, 0, 4, 'a', 'b', 'swap',"
                " ?, ?)",
                (T0.isoformat(), b"\x00old\xff", b"new"),
            )


def _tables(path: Path) -> dict[str, list[tuple]]:
    conn = sqlite3.connect(path)
    try:
        return {
            table: conn.execute(f"SELECT * FROM {table} ORDER BY {', '.join(key)}").fetchall()
            for table, key in COPIED_TABLES
        }
    finally:
        conn.close()


def test_sqlite_to_postgresql_to_sqlite_leaves_every_table_identical(
    tmp_path: Path, postgres_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("citecheck.store.copy.COPY_PAGE_ROWS", 7)  # many pages
    original, back = tmp_path / "archive.db", tmp_path / "back.db"
    _fill(original)
    copied = copy_database(original, postgres_database)
    assert {done.table: done.rows for done in copied}["checks"] == len(_tables(original)["checks"])
    copy_database(postgres_database, back)
    before, after = _tables(original), _tables(back)
    assert all(before[table] for table in before)  # every table has rows
    assert after == before
    with Store.open(postgres_database) as store:  # the ids go on after the copied ones
        assert store.begin_run("check", now=T0) == len(before["runs"]) + 1


def test_every_table_of_citecheck_is_copied() -> None:
    """A migration that adds a table must say how ``db copy`` copies it."""
    copied = {table for table, _ in COPIED_TABLES}
    assert OWN_TABLES - {MIGRATIONS_TABLE} - NOT_COPIED == copied


def test_copy_into_a_database_with_data_is_refused(tmp_path: Path, store_backend: str) -> None:
    source = tmp_path / "source.db"
    _fill(source, links=2)
    copy_database(source, store_backend)
    with pytest.raises(StoreError, match="already holds data"):
        copy_database(source, store_backend)


def test_copy_of_a_missing_source_creates_nothing(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="no citecheck database"):
        copy_database(tmp_path / "none.db", tmp_path / "target.db")
    assert not (tmp_path / "target.db").exists()


def test_db_copy_and_db_migrate_commands(tmp_path: Path, store_backend: str) -> None:
    source = tmp_path / "source.db"
    _fill(source, links=3)
    result = CliRunner().invoke(cli, ["db", "copy", str(source), store_backend])
    assert result.exit_code == 0, result.output
    assert "checks: " in result.output
    result = CliRunner().invoke(cli, ["db", "migrate", "--db", store_backend])
    assert result.exit_code == 0, result.output
    assert "nothing to do" in result.output
    assert "s3cret" not in result.output


def test_db_migrate_creates_a_new_database(tmp_path: Path) -> None:
    done = migrate_database(tmp_path / "new.db")
    assert (done.before, done.after) == (0, done.after)
    result = CliRunner().invoke(cli, ["db", "copy", "mysql://x/y", str(tmp_path / "a.db")])
    assert result.exit_code == 2 and "mysql://" in result.output
