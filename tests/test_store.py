from __future__ import annotations

import dataclasses
import json
import os
import signal
import sqlite3
import stat
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from citecheck import store as store_module
from citecheck.captures import Snapshot
from citecheck.errors import CorruptDatabaseError, DatabaseBusyError, SchemaTooNewError, StoreError
from citecheck.models import (
    STATUS_ORDER,
    CheckResult,
    Citation,
    Hop,
    LinkState,
    Reason,
    Status,
)
from citecheck.store import APPLICATION_ID, SCHEMA_VERSION, Store, SyncSummary
from citecheck.store.runs import CHECK_COLUMNS

T0 = datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=UTC)
SUBPROCESS_TIMEOUT_S = 30


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "archive.db"


@pytest.fixture
def db(store_backend: str) -> str:
    """The database, once per backend (tests/conftest.py): a SQLite path or a PostgreSQL URL."""
    return store_backend


@pytest.fixture
def store(db: str) -> Iterator[Store]:
    with Store.open(db) as opened:
        yield opened


def sql(db: str | Path, query: str) -> list[tuple]:
    """Rows of ``query`` read through a connection of its own (a SQLite file or a URL)."""
    if str(db).startswith("postgresql://"):
        import psycopg

        with psycopg.connect(str(db)) as conn:
            return conn.execute(query).fetchall()
    conn = sqlite3.connect(db)
    try:
        return conn.execute(query).fetchall()
    finally:
        conn.close()


def full_check(url: str, at: datetime) -> CheckResult:
    return CheckResult(
        url=url,
        checked_at=at,
        status=Status.REDIRECTED,
        reason=Reason.PERMANENT_REDIRECT,
        http_status=200,
        final_url=url + "new",
        redirects=(Hop(url, 301, url + "mid"), Hop(url + "mid", 302, url + "new")),
        title="Ünïcode title",
        page_count=12,
        content_type="application/pdf",
        elapsed_ms=345,
        detail="moved permanently",
        etag='"abc"',
        last_modified="Wed, 21 Oct 2015 07:28:00 GMT",
        text_fingerprint="0123456789abcdef",
    )


def ok_state(url: str, at: datetime, status: Status = Status.OK) -> LinkState:
    return LinkState(url=url, status=status, checked_at=at, last_ok_at=at, ever_ok=True)


def run_child(code: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for_line(child: subprocess.Popen[str], expected: str) -> None:
    assert child.stdout is not None
    line = child.stdout.readline().strip()
    if line != expected:
        child.kill()
        _, err = child.communicate(timeout=SUBPROCESS_TIMEOUT_S)
        pytest.fail(f"child said {line!r} instead of {expected!r}: {err}")


def kill_and_reap(child: subprocess.Popen[str]) -> None:
    os.kill(child.pid, signal.SIGKILL)
    child.communicate(timeout=SUBPROCESS_TIMEOUT_S)


# -- creating, reopening, migrating ------------------------------------------------------


def test_create_makes_a_marked_wal_database(db_path: Path) -> None:
    Store.open(db_path).close()
    assert sql(db_path, "PRAGMA application_id") == [(APPLICATION_ID,)]
    assert sql(db_path, "PRAGMA user_version") == [(SCHEMA_VERSION,)]
    assert sql(db_path, "PRAGMA journal_mode") == [("wal",)]
    tables = {name for (name,) in sql(db_path, "SELECT name FROM sqlite_master")}
    assert {"runs", "links", "citations", "checks", "idx_checks_link_id_checked_at"} <= tables


@pytest.mark.sqlite_only
def test_connection_settings(store: Store) -> None:
    conn = store._conn
    assert conn.execute("PRAGMA foreign_keys").fetchone() == (1,)
    assert conn.execute("PRAGMA synchronous").fetchone() == (1,)  # NORMAL
    assert conn.execute("PRAGMA busy_timeout").fetchone()[0] > 0


def test_an_empty_file_counts_as_new(db_path: Path) -> None:
    db_path.touch()
    Store.open(db_path).close()
    assert sql(db_path, "PRAGMA user_version") == [(SCHEMA_VERSION,)]


def test_open_without_create_refuses_a_missing_file(db_path: Path) -> None:
    with pytest.raises(StoreError, match="no citecheck database"):
        Store.open(db_path, create=False)
    assert not db_path.exists()


def test_reopen_keeps_the_data_and_migrates_once(db_path: Path) -> None:
    with Store.open(db_path) as first:
        first.sync_citations([Citation(url="https://example.org/a")], now=T0)
    schema = sql(db_path, "SELECT sql FROM sqlite_master ORDER BY name")
    for _ in range(3):
        with Store.open(db_path, create=False) as again:
            assert [link.url for link in again.active_links()] == ["https://example.org/a"]
    assert sql(db_path, "SELECT name FROM _sqlite_migrations") == [
        ("0001_initial",),
        ("0002_archive",),
        ("0003_fixes",),
        ("0004_schedule",),
        ("0005_fix_journal",),
        ("0006_pages",),
        ("0007_memento_archives",),
        ("0008_archived_pages",),
        ("0009_host_leases",),
        ("0010_shared_limits",),
    ]
    assert sql(db_path, "SELECT sql FROM sqlite_master ORDER BY name") == schema


def test_an_interrupted_creation_is_completed(db_path: Path) -> None:
    conn = sqlite3.connect(db_path)
    conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    conn.close()
    with Store.open(db_path) as opened:
        assert opened.status_counts()["unchecked"] == 0
    assert sql(db_path, "PRAGMA user_version") == [(SCHEMA_VERSION,)]


def test_an_empty_sqlite_database_is_adopted(db_path: Path) -> None:
    conn = sqlite3.connect(db_path)
    conn.execute("PRAGMA user_version = 0")
    conn.execute("VACUUM")
    conn.close()
    Store.open(db_path).close()
    assert sql(db_path, "PRAGMA application_id") == [(APPLICATION_ID,)]


# -- refusing files that are not ours ----------------------------------------------------


def assert_refused_untouched(path: Path, error: type[Exception], match: str) -> None:
    before = path.read_bytes()
    with pytest.raises(error, match=match) as raised:
        Store.open(path)
    assert str(path) in str(raised.value)
    assert path.read_bytes() == before
    assert not Path(f"{path}-wal").exists()
    assert not Path(f"{path}-shm").exists()
    assert not Path(f"{path}-journal").exists()


def test_foreign_database_is_refused_and_untouched(db_path: Path) -> None:
    conn = sqlite3.connect(db_path)
    conn.execute("CREATE TABLE foo (x)")
    conn.execute("INSERT INTO foo VALUES (1)")
    conn.commit()
    conn.close()
    assert_refused_untouched(db_path, CorruptDatabaseError, "another program.*foo")


def test_foreign_wal_database_is_refused_and_untouched(db_path: Path) -> None:
    conn = sqlite3.connect(db_path)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("CREATE TABLE foo (x)")
    conn.commit()
    conn.close()
    assert_refused_untouched(db_path, CorruptDatabaseError, "another program")


def test_other_application_id_is_refused_and_untouched(db_path: Path) -> None:
    conn = sqlite3.connect(db_path)
    conn.execute("PRAGMA application_id = 1234")
    conn.close()
    assert_refused_untouched(db_path, CorruptDatabaseError, "application id 0x4d2")


def test_garbage_file_is_refused_and_untouched(db_path: Path) -> None:
    db_path.write_bytes(b"these are my notes, not a database\n" * 100)
    assert_refused_untouched(db_path, CorruptDatabaseError, "not a SQLite database")


def test_truncated_header_is_refused_and_untouched(db_path: Path) -> None:
    db_path.write_bytes(b"SQLite format 3\x00\x10")
    assert_refused_untouched(db_path, CorruptDatabaseError, "not a SQLite database")


def test_damaged_sqlite_file_is_refused_and_untouched(db_path: Path) -> None:
    conn = sqlite3.connect(db_path)
    conn.execute("CREATE TABLE foo (x)")
    conn.commit()
    conn.close()
    data = bytearray(db_path.read_bytes())
    data[100:] = b"\xff" * (len(data) - 100)  # keep the header, wreck the schema page
    db_path.write_bytes(bytes(data))
    assert_refused_untouched(db_path, CorruptDatabaseError, "damaged")


def test_damaged_citecheck_database_is_refused(db_path: Path) -> None:
    with Store.open(db_path) as opened:
        opened.sync_citations([Citation(url="https://example.org/a")], now=T0)
    data = bytearray(db_path.read_bytes())
    page_size = int.from_bytes(data[16:18], "big")
    data[page_size:] = b"\xff" * (len(data) - page_size)
    db_path.write_bytes(bytes(data))
    with (
        pytest.raises(CorruptDatabaseError, match="damaged") as raised,
        Store.open(db_path) as opened,
    ):
        list(opened.active_links())
    assert str(db_path) in str(raised.value)


def test_citecheck_database_missing_its_tables_is_refused(db_path: Path) -> None:
    Store.open(db_path).close()
    conn = sqlite3.connect(db_path)
    conn.execute("DROP TABLE checks")
    conn.close()
    with pytest.raises(CorruptDatabaseError, match="checks are missing"):
        Store.open(db_path)


def test_newer_schema_is_refused_and_untouched(db_path: Path) -> None:
    Store.open(db_path).close()
    conn = sqlite3.connect(db_path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    assert_refused_untouched(db_path, SchemaTooNewError, "newer citecheck")


def test_newer_schema_still_in_the_wal_is_refused(db_path: Path) -> None:
    Store.open(db_path).close()
    holder = sqlite3.connect(db_path)  # kept open so the WAL is not checkpointed away
    holder.execute("PRAGMA wal_autocheckpoint = 0")
    holder.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    try:
        with pytest.raises(SchemaTooNewError):
            Store.open(db_path)
    finally:
        holder.close()


def test_a_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="directory"):
        Store.open(tmp_path)


# -- citations and links -----------------------------------------------------------------


def test_sync_upserts_links_by_normalised_url(store: Store) -> None:
    summary = store.sync_citations(
        [
            Citation(url="HTTPS://Example.org:443/a#top", document="a.md", line=1, column=5),
            Citation(url="https://example.org/a", document="b.md", line=9, column=1),
            Citation(url="https://example.org/b", document="b.md", line=10, column=1),
        ],
        now=T0,
    )
    assert summary == SyncSummary(
        citations=3, active_links=2, new_links=2, dropped_links=0, invalid_urls=0
    )
    links = list(store.active_links())
    assert [link.url for link in links] == ["https://example.org/a", "https://example.org/b"]
    assert all(link.status is Status.UNCHECKED for link in links)
    assert store.link_state("https://EXAMPLE.org/a") == links[0]


def test_sync_replaces_citations_and_keeps_dropped_links_history(store: Store) -> None:
    store.sync_citations(
        [Citation(url="https://example.org/old"), Citation(url="https://example.org/kept")],
        now=T0,
    )
    run_id = store.begin_run("check", now=T0)
    old = full_check("https://example.org/old", T0)
    store.record_check(run_id, old, ok_state(old.url, T0))

    later = T0 + timedelta(days=1)
    summary = store.sync_citations(
        [Citation(url="https://example.org/kept", line=2), Citation(url="https://example.org/new")],
        now=later,
    )
    assert summary == SyncSummary(
        citations=2, active_links=2, new_links=1, dropped_links=1, invalid_urls=0
    )
    assert [link.url for link in store.active_links()] == [
        "https://example.org/kept",
        "https://example.org/new",
    ]
    assert store.history("https://example.org/old") == [old]
    assert store.link_state("https://example.org/old").status is Status.OK
    assert sql(store.path, "SELECT line FROM citations") == [(2,), (None,)]

    summary = store.sync_citations([Citation(url="https://example.org/old")], now=later)
    assert summary.new_links == 0
    assert summary.dropped_links == 2
    assert [link.url for link in store.active_links()] == ["https://example.org/old"]


def test_sync_is_one_transaction(store: Store) -> None:
    store.sync_citations([Citation(url="https://example.org/a")], now=T0)

    def citations_then_failure() -> Iterator[Citation]:
        yield Citation(url="https://example.org/b")
        raise RuntimeError("the sources file went away")

    with pytest.raises(RuntimeError):
        store.sync_citations(citations_then_failure(), now=T0)
    assert [link.url for link in store.active_links()] == ["https://example.org/a"]
    assert store.link_state("https://example.org/b") is None
    store.sync_citations([Citation(url="https://example.org/c")], now=T0)
    assert [link.url for link in store.active_links()] == ["https://example.org/c"]


def test_invalid_url_citation_is_kept_under_its_raw_text(store: Store) -> None:
    summary = store.sync_citations(
        [Citation(url="  htp//broken link  ", document="a.md", line=3)], now=T0
    )
    assert summary.invalid_urls == 1
    [link] = store.active_links()
    assert link.url == "htp//broken link"
    assert store.link_state("htp//broken link ") == link
    [row] = store.iter_report_rows()
    assert row.citations == [Citation(url="  htp//broken link  ", document="a.md", line=3)]


def test_title_only_citation_is_stored_without_a_link(store: Store) -> None:
    summary = store.sync_citations([Citation(url=None, title="A book")], now=T0)
    assert summary == SyncSummary(
        citations=1, active_links=0, new_links=0, dropped_links=0, invalid_urls=0
    )
    assert list(store.active_links()) == []
    assert sql(store.path, "SELECT link_id, title FROM citations") == [(None, "A book")]


def test_sync_in_batches_stores_what_one_citation_at_a_time_would(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Citations are stored a batch at a time (store/links.py): duplicates within and
    across batches share one link, new links get ids in the order they are first
    cited, and a later sync keeps old links, counts dropped and new ones as before."""
    monkeypatch.setattr("citecheck.store.links._SYNC_CHUNK", 3)
    first = [
        Citation(url="https://example.org/c", title="C"),
        Citation(url="https://example.org/a"),
        Citation(url="HTTPS://example.org/c#x", title="C again"),  # same batch, same link
        Citation(url=None, title="A book"),
        Citation(url="  not a url  "),
        Citation(url="https://example.org/a", line=7),  # a later batch
        Citation(url="https://example.org/b"),
        Citation(url="   "),
    ]
    summary = store.sync_citations(first, now=T0)
    assert summary == SyncSummary(
        citations=8, active_links=4, new_links=4, dropped_links=0, invalid_urls=1
    )
    order = ["https://example.org/c", "https://example.org/a", "not a url", "https://example.org/b"]
    assert [url for url, _ in sql(store.path, "SELECT url, id FROM links ORDER BY id")] == order
    ids = dict(sql(store.path, "SELECT url, id FROM links"))
    rows = "SELECT link_id, url_as_cited, title, line, position FROM citations ORDER BY position"
    c, a, bad, b = (ids[url] for url in order)
    assert sql(store.path, rows) == [
        (c, "https://example.org/c", "C", None, 0),
        (a, "https://example.org/a", None, None, 1),
        (c, "HTTPS://example.org/c#x", "C again", None, 2),
        (None, None, "A book", None, 3),
        (bad, "  not a url  ", None, None, 4),
        (a, "https://example.org/a", None, 7, 5),
        (b, "https://example.org/b", None, None, 6),
        (None, "   ", None, None, 7),
    ]

    later = T0 + timedelta(days=1)
    second = [
        Citation(url="https://example.org/d"),
        Citation(url="https://example.org/c", title="C retitled"),
        Citation(url="https://example.org/e"),
        Citation(url="https://example.org/d", line=2),
    ]
    summary = store.sync_citations(second, now=later)
    assert summary == SyncSummary(
        citations=4, active_links=3, new_links=2, dropped_links=3, invalid_urls=0
    )
    assert sql(store.path, "SELECT url, first_seen_at FROM links ORDER BY id") == [
        *((url, T0.isoformat()) for url in order),
        ("https://example.org/d", later.isoformat()),
        ("https://example.org/e", later.isoformat()),
    ]
    ids = dict(sql(store.path, "SELECT url, id FROM links"))
    assert sql(store.path, rows) == [
        (ids["https://example.org/d"], "https://example.org/d", None, None, 0),
        (c, "https://example.org/c", "C retitled", None, 1),
        (ids["https://example.org/e"], "https://example.org/e", None, None, 2),
        (ids["https://example.org/d"], "https://example.org/d", None, 2, 3),
    ]


def test_sync_stores_every_column_whichever_a_batch_has(
    store: Store, db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A batch's insert names only the optional columns one of its citations has a
    value for (store/links.py): the table holds what naming them all would, each
    citation under the link of its key, on a new database and on a second sync that
    drops, repeats and adds citations."""
    from citecheck.store.rows import link_key

    monkeypatch.setattr("citecheck.store.links._SYNC_CHUNK", 3)
    first = [
        Citation(url="https://example.org/a", document="d.md", line=1),
        Citation(url="https://example.org/b", document="d.md", line=2),
        Citation(url="HTTPS://example.org/a", title="A", context="claim"),  # same link
        Citation(url="https://example.org/c", page="12", accessed="2024-01-02"),
        Citation(url="not a url", extra={"note": "é", "tag": ""}),
        Citation(url=None, title="A book", column=3),
        Citation(url="https://example.org/b", document="e.md", line=9),  # another batch
        Citation(url="   "),
    ]
    second = [
        Citation(url="https://example.org/c", document="d.md", line=4, extra={"note": "n"}),
        Citation(url="https://example.org/d"),
        Citation(url="https://example.org/d", document="f.md", line=1),
        Citation(url="https://example.org/a", title="A2", column=1),
    ]
    dump = (
        "SELECT links.url, url_as_cited, document, line, col, citations.title, context,"
        " page, accessed, extra, position FROM citations LEFT JOIN links"
        " ON links.id = citations.link_id ORDER BY position"
    )
    for citations in (first, second):
        store.sync_citations(citations, now=T0)
        assert sql(db, dump) == [
            (
                link_key(c.url)[0] if c.url is not None and c.url.strip() else None,
                c.url,
                c.document,
                c.line,
                c.column,
                c.title,
                c.context,
                c.page,
                c.accessed,
                json.dumps(dict(c.extra), ensure_ascii=False) if c.extra else None,
                position,
            )
            for position, c in enumerate(citations)
        ]


def test_citation_fields_round_trip(store: Store) -> None:
    citation = Citation(
        url="https://example.org/a",
        document="docs/claim.md",
        line=12,
        column=40,
        title="The report",
        context="Emissions fell by 12%",
        page="118-122",
        accessed="2024-01-02",
        extra={"publisher": "Agency", "note": "ünïcode"},
    )
    second = Citation(url="https://example.org/a", document="other.md", line=1)
    store.sync_citations([citation, second], now=T0)
    [row] = store.iter_report_rows()
    assert row.citations == [citation, second]
    assert list(row.history) == []


# -- runs and checks -------------------------------------------------------------------


def test_record_and_history_round_trip_every_field(store: Store) -> None:
    url = "https://example.org/report.pdf"
    store.sync_citations([Citation(url=url)], now=T0)
    run_id = store.begin_run("check", now=T0)
    first = full_check(url, T0)
    second = CheckResult(
        url=url, checked_at=T0 + timedelta(hours=1), status=Status.FAILING, reason=Reason.TIMEOUT
    )
    state = LinkState(
        url=url,
        status=Status.FAILING,
        reason=Reason.TIMEOUT,
        http_status=None,
        final_url="https://example.org/final",
        title="Ünïcode title",
        page_count=12,
        checked_at=second.checked_at,
        first_failure_at=second.checked_at,
        consecutive_failures=1,
        last_ok_at=T0,
        ever_ok=True,
    )
    store.record_check(run_id, first, ok_state(url, T0, Status.REDIRECTED))
    store.record_check(run_id, second, state)
    assert store.history(url) == [first, second]
    assert store.link_state(url) == state
    assert store.history("https://example.org/never-seen") == []


def test_history_is_ordered_by_check_time(store: Store) -> None:
    url = "https://example.org/"
    run_id = store.begin_run("check", now=T0)
    late = CheckResult(url=url, checked_at=T0 + timedelta(seconds=1), status=Status.OK)
    early = CheckResult(url=url, checked_at=T0, status=Status.OK)
    store.record_check(run_id, late, ok_state(url, late.checked_at))
    store.record_check(run_id, early, ok_state(url, late.checked_at))
    assert store.history(url) == [early, late]


def test_times_in_other_zones_come_back_as_utc(store: Store) -> None:
    url = "https://example.org/"
    paris = datetime(2024, 5, 6, 9, 0, tzinfo=UTC).astimezone(ZoneInfo("Europe/Paris"))
    run_id = store.begin_run("check", now=paris)
    store.record_check(
        run_id, CheckResult(url=url, checked_at=paris, status=Status.OK), ok_state(url, paris)
    )
    [check] = store.history(url)
    assert check.checked_at == paris
    assert check.checked_at.utcoffset() == timedelta(0)


def test_naive_times_are_refused(store: Store) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        store.begin_run("check", now=datetime(2024, 1, 1))


def test_check_columns_follow_checkresult_fields() -> None:
    columns = [name.strip() for name in CHECK_COLUMNS.split(",")]
    # The page check is stored in tables of its own (store/pages.py), not in checks.
    fields = [field.name for field in dataclasses.fields(CheckResult) if field.name != "pages"]
    assert columns[0] == "link_id"
    assert columns[1:] == fields[1:]


def test_record_check_counts_the_run_and_finish_run_closes_it(store: Store) -> None:
    run_id = store.begin_run("check", now=T0)
    for index in range(3):
        result = CheckResult(url=f"https://example.org/{index}", checked_at=T0, status=Status.OK)
        store.record_check(run_id, result, ok_state(result.url, T0))
    store.finish_run(run_id, now=T0 + timedelta(minutes=2), outcome="finished", summary={"ok": 3})
    [run] = store.runs()
    assert run == {
        "id": run_id,
        "command": "check",
        "started_at": T0,
        "finished_at": T0 + timedelta(minutes=2),
        "outcome": "finished",
        "pid": os.getpid(),
        "links_checked": 3,
        "summary": {"ok": 3},
    }


def test_runs_are_newest_first_and_limited(store: Store) -> None:
    ids = [store.begin_run(f"check {index}", now=T0) for index in range(4)]
    assert [run["id"] for run in store.runs(limit=2)] == ids[:-3:-1]


def test_finish_run_refuses_unknown_outcomes_and_runs(store: Store) -> None:
    run_id = store.begin_run("check", now=T0)
    with pytest.raises(ValueError, match="cannot finish"):
        store.finish_run(run_id, now=T0, outcome="running", summary={})
    with pytest.raises(StoreError, match="no run 999"):
        store.finish_run(999, now=T0, outcome="failed", summary={})


def test_sqlite_errors_become_store_errors_naming_the_file(store: Store) -> None:
    result = CheckResult(url="https://example.org/", checked_at=T0, status=Status.OK)
    with pytest.raises(StoreError, match="record the check") as raised:
        store.record_check(12345, result, ok_state(result.url, T0))  # no such run
    assert store.name in str(raised.value)
    assert store.history(result.url) == []  # the failed transaction left nothing


def test_status_counts_cover_active_links_only(store: Store) -> None:
    urls = [f"https://example.org/{index}" for index in range(4)]
    store.sync_citations([Citation(url=url) for url in urls], now=T0)
    run_id = store.begin_run("check", now=T0)
    for url, status in zip(urls, [Status.OK, Status.OK, Status.BROKEN], strict=False):
        result = CheckResult(url=url, checked_at=T0, status=status)
        store.record_check(run_id, result, LinkState(url=url, status=status, checked_at=T0))
    store.sync_citations([Citation(url=url) for url in urls[1:]], now=T0)
    counts = store.status_counts()
    assert list(counts) == [status.value for status in STATUS_ORDER]
    assert counts == {**dict.fromkeys(counts, 0), "ok": 1, "broken": 1, "unchecked": 1}


def test_report_rows_are_ordered_and_complete_across_pages(store: Store) -> None:
    statuses = [status for status in Status if status is not Status.UNCHECKED]
    count = store_module.PAGE_SIZE * 2 + 37
    urls = [f"https://example.org/{index:04d}" for index in range(count)]
    store.sync_citations(
        [Citation(url=url, document="a.md", line=index) for index, url in enumerate(urls)]
        + [Citation(url="https://example.org/gone")],
        now=T0,
    )
    run_id = store.begin_run("check", now=T0)
    expected: dict[str, Status] = {}
    for index, url in enumerate(urls):
        if index % 7 == 0:
            expected[url] = Status.UNCHECKED
            continue
        status = statuses[index % len(statuses)]
        expected[url] = status
        for hours in (2, 1):
            result = CheckResult(url=url, checked_at=T0 + timedelta(hours=hours), status=status)
            store.record_check(run_id, result, LinkState(url=url, status=status, checked_at=T0))
    store.sync_citations(
        [Citation(url=url, document="a.md", line=index) for index, url in enumerate(urls)],
        now=T0,
    )

    rows = list(store.iter_report_rows())
    assert [row.state.url for row in rows] == sorted(
        urls, key=lambda url: (STATUS_ORDER.index(expected[url]), url)
    )
    for row in rows:
        state = row.state
        assert state.status is expected[state.url]
        assert row.citations == [
            Citation(url=state.url, document="a.md", line=urls.index(state.url))
        ]
        if state.status is Status.UNCHECKED:
            assert (list(row.history), row.check_count) == ([], 0)
        else:
            assert list(row.history) == [
                (_text(T0 + timedelta(hours=hours)), state.status.value, None, None)
                for hours in (1, 2)
            ]
            assert row.check_count == 2
        assert sql(store.path, f"SELECT url FROM links WHERE id = {row.link_id}") == [(state.url,)]
    without = list(store.iter_report_rows(latest=0))
    assert [row.state for row in without] == [row.state for row in rows]
    assert all(row.history == () and row.check_count is None for row in without)
    latest = list(store.iter_report_rows(latest=1))
    assert [row.state for row in latest] == [row.state for row in rows]
    for full, cut in zip(rows, latest, strict=True):
        assert list(cut.history) == list(full.history)[-1:]
        assert cut.check_count == full.check_count


def _text(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


def test_report_rows_carry_the_latest_detail_and_the_archived_copy(store: Store) -> None:
    urls = ["https://example.org/a", "https://example.org/b", "https://example.org/c"]
    store.sync_citations([Citation(url=url) for url in urls], now=T0)
    run_id = store.begin_run("check", now=T0)
    for hours, detail in ((2, "later"), (1, "earlier")):
        result = CheckResult(
            url=urls[0], checked_at=T0 + timedelta(hours=hours), status=Status.OK, detail=detail
        )
        store.record_check(run_id, result, ok_state(urls[0], result.checked_at))
    link_ids = {row.state.url: row.link_id for row in store.iter_archive_rows()}
    copy = Snapshot("20240101000000", urls[0], 200)
    store.record_lookup(
        link_ids[urls[0]], looked_up_at=T0, anchor=None, found=[(copy, None)], chosen=copy,
        archive_url="https://web.archive.org/web/20240101000000/https://example.org/a",
    )  # fmt: skip
    store.record_lookup(
        link_ids[urls[1]], looked_up_at=T0, anchor=None, found=[], chosen=None, archive_url=None
    )
    rows = {row.state.url: row for row in store.iter_report_rows(latest=0)}
    assert rows[urls[0]].detail == "later"
    assert rows[urls[0]].archive_url.endswith("/20240101000000/https://example.org/a")
    assert rows[urls[0]].archive_timestamp == "20240101000000"
    for url in urls[1:]:  # no acceptable copy found; never looked up
        assert (rows[url].detail, rows[url].archive_url, rows[url].archive_timestamp) == (
            None,
            None,
            None,
        )


def test_report_rows_with_the_latest_checks_only(store: Store) -> None:
    url = "https://example.org/a"
    store.sync_citations([Citation(url=url), Citation(url="https://example.org/b")], now=T0)
    run_id = store.begin_run("check", now=T0)
    # Recorded out of order, two at the same time: the latest are by time, then by id.
    for hours, status in ((3, Status.OK), (1, Status.FAILING), (5, Status.BROKEN), (5, Status.OK)):
        result = CheckResult(url=url, checked_at=T0 + timedelta(hours=hours), status=status)
        store.record_check(run_id, result, LinkState(url=url, status=status, checked_at=T0))
    everything = {row.state.url: row for row in store.iter_report_rows()}
    assert [entry[1] for entry in everything[url].history] == ["failing", "ok", "broken", "ok"]
    for latest in (1, 3, 4, 10):
        rows = {row.state.url: row for row in store.iter_report_rows(latest=latest)}
        assert list(rows[url].history) == list(everything[url].history)[-latest:]
        assert rows[url].check_count == 4
        unchecked = rows["https://example.org/b"]
        assert (list(unchecked.history), unchecked.check_count) == ([], 0)
    with pytest.raises(ValueError):
        list(store.iter_report_rows(latest=-1))


def test_report_rows_of_an_unknown_status_fail_rather_than_vanish(store: Store) -> None:
    store.sync_citations([Citation(url="https://example.org/a")], now=T0)
    with store._conn.write():
        store._conn.execute("UPDATE links SET status = 'haunted'")
    with pytest.raises(KeyError):
        list(store.iter_report_rows())


def test_run_timeline_is_check_runs_that_ended_oldest_first(store: Store) -> None:
    outcomes = [
        ("check", "finished"),
        ("archive", "finished"),
        ("run", "offline"),
        ("run", "interrupted"),
        ("run-archive", "finished"),
        ("check", "failed"),
        ("run", "finished"),
    ]
    for index, (command, outcome) in enumerate(outcomes):
        run_id = store.begin_run(command, now=T0 + timedelta(hours=index))
        store.finish_run(
            run_id, now=T0 + timedelta(hours=index, minutes=5), outcome=outcome,
            summary={"ok": index, "broken": 1},
        )  # fmt: skip
    store.begin_run("check", now=T0 + timedelta(days=1))  # still running: not counted
    assert store.run_timeline(10) == [
        (T0 + timedelta(hours=index, minutes=5), {"ok": index, "broken": 1}) for index in (0, 2, 6)
    ]
    assert store.run_timeline(2) == [
        (T0 + timedelta(hours=index, minutes=5), {"ok": index, "broken": 1}) for index in (2, 6)
    ]


def test_active_links_stream_in_id_order_across_pages(store: Store) -> None:
    count = store_module.PAGE_SIZE + 5
    urls = [f"https://example.org/{count - index}" for index in range(count)]
    store.sync_citations([Citation(url=url) for url in urls], now=T0)
    assert [link.url for link in store.active_links()] == urls


# -- processes: the lock, crashes, interrupted runs ------------------------------------------

_HOLD_LOCK = """
    import sys, time
    from citecheck.store import Store
    store = Store.open(sys.argv[1])
    with store.writer_lock():
        print("locked", flush=True)
        time.sleep(float(sys.argv[2]))
    print("released", flush=True)
"""


def test_writer_lock_refuses_a_second_holder_until_it_is_killed(store: Store, db: str) -> None:
    child = run_child(_HOLD_LOCK, str(db), str(SUBPROCESS_TIMEOUT_S))
    try:
        wait_for_line(child, "locked")
        started = time.monotonic()
        with (
            pytest.raises(DatabaseBusyError, match=f"process {child.pid} ") as raised,
            store.writer_lock(wait_s=0.3),
        ):
            pytest.fail("the lock was granted twice")
        assert time.monotonic() - started >= 0.3
        assert store.name in str(raised.value)
    finally:
        kill_and_reap(child)
    if store.lock_path is not None:
        with store.writer_lock():
            assert store.lock_path.read_text().split()[0] == str(os.getpid())
    with store.writer_lock():
        pass


def test_writer_lock_waits_for_a_holder_that_finishes(store: Store, db: str) -> None:
    child = run_child(_HOLD_LOCK, str(db), "0.5")
    try:
        wait_for_line(child, "locked")
        with store.writer_lock(wait_s=SUBPROCESS_TIMEOUT_S):
            assert child.wait(timeout=SUBPROCESS_TIMEOUT_S) == 0
    finally:
        child.kill()
        child.communicate(timeout=SUBPROCESS_TIMEOUT_S)


def test_writer_lock_is_not_reentrant(store: Store) -> None:
    with (
        store.writer_lock(),
        pytest.raises(StoreError, match="already holds"),
        store.writer_lock(),
    ):
        pytest.fail("the lock was granted twice")


_RECORD_FOREVER = """
    import sys
    from datetime import UTC, datetime, timedelta
    from citecheck.models import CheckResult, LinkState, Status
    from citecheck.store import Store
    store = Store.open(sys.argv[1])
    start = datetime(2024, 1, 1, tzinfo=UTC)
    run_id = store.begin_run("check", now=start)
    print("started", flush=True)
    for index in range(1_000_000):
        at = start + timedelta(seconds=index)
        url = f"https://example.org/{index % 50}"
        result = CheckResult(url=url, checked_at=at, status=Status.OK, title="t" * 200)
        store.record_check(run_id, result, LinkState(url=url, status=Status.OK, checked_at=at))
        print(index + 1, flush=True)
"""


def test_kill_9_while_recording_keeps_every_committed_check(db_path: Path) -> None:
    Store.open(db_path).close()
    child = run_child(_RECORD_FOREVER, str(db_path))
    confirmed = 0
    try:
        wait_for_line(child, "started")
        deadline = time.monotonic() + SUBPROCESS_TIMEOUT_S
        while confirmed < 300 and time.monotonic() < deadline:
            line = child.stdout.readline()
            if not line:
                break
            confirmed = int(line)
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=SUBPROCESS_TIMEOUT_S)
        # read() and not communicate(): lines already in the reader's buffer count too
        rest, err = child.stdout.read(), child.stderr.read()
    assert confirmed >= 300, err
    confirmed = max([confirmed, *(int(line) for line in rest.split())])

    assert sql(db_path, "PRAGMA integrity_check") == [("ok",)]
    with Store.open(db_path) as reopened:
        (recorded,) = reopened._conn.execute("SELECT COUNT(*) FROM checks").fetchone()
        assert confirmed <= recorded <= confirmed + 1
        [run] = reopened.runs()
        assert run["links_checked"] == recorded
        reopened.begin_run("check", now=T0)
        assert reopened.runs()[1]["outcome"] == "interrupted"


_BEGIN_RUN = """
    import sys, time
    from datetime import UTC, datetime
    from citecheck.store import Store
    store = Store.open(sys.argv[1])
    hold = float(sys.argv[2])
    if hold:
        with store.writer_lock():
            store.begin_run("check", now=datetime.now(UTC))
            print("running", flush=True)
            time.sleep(hold)
    else:
        store.begin_run("check", now=datetime.now(UTC))
        print("running", flush=True)
"""


def test_runs_left_by_a_dead_process_are_marked_interrupted(store: Store, db: str) -> None:
    child = run_child(_BEGIN_RUN, str(db), "0")
    wait_for_line(child, "running")
    assert child.wait(timeout=SUBPROCESS_TIMEOUT_S) == 0
    child.communicate(timeout=SUBPROCESS_TIMEOUT_S)
    assert store.runs()[0]["outcome"] == "running"
    mine = store.begin_run("check", now=T0)
    runs = store.runs()
    assert [(run["id"], run["outcome"]) for run in runs] == [
        (mine, "running"),
        (runs[1]["id"], "interrupted"),
    ]
    assert runs[1]["pid"] == child.pid


def test_a_live_run_holding_the_lock_is_left_alone_until_killed(store: Store, db: str) -> None:
    child = run_child(_BEGIN_RUN, str(db), str(SUBPROCESS_TIMEOUT_S))
    try:
        wait_for_line(child, "running")
        store.begin_run("report", now=T0)
        assert [run["outcome"] for run in store.runs()] == ["running", "running"]
    finally:
        kill_and_reap(child)
    with store.writer_lock():
        store.begin_run("check", now=T0)
    # Newest first: this check, this process's report (alive), the killed child's check.
    assert [run["outcome"] for run in store.runs()] == ["running", "running", "interrupted"]


_WRITE_CHECKS = """
    import sys
    from datetime import UTC, datetime, timedelta
    from citecheck.models import CheckResult, LinkState, Status
    from citecheck.store import Store
    store = Store.open(sys.argv[1])
    run_id = store.begin_run("check", now=datetime.now(UTC))
    start = datetime(2024, 1, 1, tzinfo=UTC)
    for index in range(int(sys.argv[2])):
        at = start + timedelta(seconds=index)
        url = f"https://example.org/{sys.argv[3]}/{index % 20}"
        result = CheckResult(url=url, checked_at=at, status=Status.OK)
        store.record_check(run_id, result, LinkState(url=url, status=Status.OK, checked_at=at))
    store.close()
    print("done", flush=True)
"""


def test_two_processes_writing_at_once_do_not_corrupt_the_database(db_path: Path) -> None:
    Store.open(db_path).close()
    children = [run_child(_WRITE_CHECKS, str(db_path), "300", name) for name in ("a", "b")]
    for child in children:
        out, err = child.communicate(timeout=SUBPROCESS_TIMEOUT_S * 2)
        assert child.returncode == 0, err
        assert out.strip() == "done"
    assert sql(db_path, "PRAGMA integrity_check") == [("ok",)]
    assert sql(db_path, "SELECT COUNT(*) FROM checks") == [(600,)]
    assert sql(db_path, "SELECT COUNT(*) FROM links") == [(40,)]


# --- issue 13: side files left read-only; Word fixes recorded before schema 5 ---


def test_side_files_left_read_only_by_a_read_only_run_are_made_writable_again(
    db_path: Path,
) -> None:
    Store.open(db_path).close()
    holder = sqlite3.connect(db_path)  # keeps -wal and -shm in place, as a running reader does
    holder.execute("SELECT COUNT(*) FROM links").fetchall()
    side_files = [db_path.with_name(db_path.name + suffix) for suffix in ("-wal", "-shm")]
    for side in side_files:
        os.chmod(side, 0o444)  # as SQLite creates them while the database is read-only
    os.chmod(db_path, 0o640)  # the database made writable again
    try:
        with Store.open(db_path) as store:
            store.sync_citations([Citation(url="https://example.org/a")], now=T0)
        assert [stat.S_IMODE(side.stat().st_mode) for side in side_files] == [0o640, 0o640]
    finally:
        holder.close()


def test_a_word_fix_recorded_as_json_by_schema_4_moves_into_columns(db_path: Path) -> None:
    from sqlite_utils import Database

    from citecheck.store.schema import MIGRATIONS

    db = Database(db_path)
    MIGRATIONS.apply(db, stop_before="0005_fix_journal")
    db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    swap = {
        "document": "brief.docx", "line": 2, "column": 39, "part": "word/document.xml",
        "rels_member": "word/_rels/document.xml.rels", "rel_id": "rId9",
        "old_url": "https://example.org/a", "new_url": "https://web.archive.org/web/2021/x",
        "action": "swap", "text_too": True,
    }  # fmt: skip
    db["fixes"].insert(
        {
            "batch": 1,
            "document": "/docs/brief.docx",
            "fixed_at": T0.isoformat(),
            "line": 2,
            "col": 39,
            "start": 0,
            "end": 0,
            "old_url": swap["old_url"],
            "new_url": swap["new_url"],
            "action": "swap",
            "old_text": b"",
            "new_text": b"",
            "part": json.dumps(swap),
        }  # fmt: skip
    )
    db.conn.commit()
    db.close()
    with Store.open(db_path) as store:
        [record] = store.last_fix("/docs/brief.docx")
    assert (record.part, record.rels_member, record.rel_id, record.text_too) == (
        "word/document.xml",
        "word/_rels/document.xml.rels",
        "rId9",
        True,
    )


# --- issue 11: batched writes ---------------------------------------------------------


def test_batched_writes_commit_in_groups_and_on_the_way_out(store: Store, db: str) -> None:
    urls = [f"https://example.org/{n}" for n in range(5)]
    store.sync_citations([Citation(url=url) for url in urls], now=T0)
    run_id = store.begin_run("check", now=T0)
    with store.batched_writes(max_writes=2, max_seconds=3600):
        for n, url in enumerate(urls):
            store.record_check(run_id, full_check(url, T0), ok_state(url, T0))
            # Another connection sees every full group, never a part of one.
            assert sql(db, "select count(*) from checks") == [((n + 1) // 2 * 2,)]
    assert sql(db, "select count(*) from checks") == [(5,)]


def test_a_failed_write_in_a_batch_loses_only_itself(store: Store, db: str) -> None:
    store.sync_citations([Citation(url="https://example.org/a")], now=T0)
    run_id = store.begin_run("check", now=T0)
    good = full_check("https://example.org/a", T0)
    with store.batched_writes(max_writes=100, max_seconds=3600):
        store.record_check(run_id, good, ok_state(good.url, T0))
        with pytest.raises(StoreError):
            store.record_check(run_id + 99, good, ok_state(good.url, T0))  # no such run
        store.record_check(run_id, good, ok_state(good.url, T0))
    assert sql(db, "select run_id from checks") == [(run_id,), (run_id,)]
    assert sql(db, "select links_checked from runs") == [(2,)]


def test_commit_batch_commits_what_is_grouped_so_far(store: Store, db: str) -> None:
    store.sync_citations([Citation(url="https://example.org/a")], now=T0)
    run_id = store.begin_run("check", now=T0)
    check = full_check("https://example.org/a", T0)
    with store.batched_writes(max_writes=100, max_seconds=3600):
        store.record_check(run_id, check, ok_state(check.url, T0))
        assert sql(db, "select count(*) from checks") == [(0,)]
        store.commit_batch()
        assert sql(db, "select count(*) from checks") == [(1,)]


# --- issue 11: no commit waits for a checkpoint ------------------------------------------


@pytest.fixture
def held_checkpoints(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[list[Path], Any]]:
    """A checkpoint threshold of one page, and checkpoint threads that wait for the
    test's ``release`` before they copy: (the paths they were started for, release)."""
    import threading

    from citecheck.store import sqlite as sqlite_backend

    started: list[Path] = []
    release = threading.Event()
    checkpoint = sqlite_backend._checkpoint

    def held_checkpoint(path: Path) -> None:
        started.append(path)
        release.wait(SUBPROCESS_TIMEOUT_S)
        checkpoint(path)

    monkeypatch.setattr(sqlite_backend, "_WAL_AUTOCHECKPOINT", 1)
    monkeypatch.setattr(sqlite_backend, "_checkpoint", held_checkpoint)
    try:
        yield started, release
    finally:
        release.set()


def _checkpoint_thread(store: Store) -> Any:
    return store._conn._checkpoints._thread  # type: ignore[attr-defined]


def _in_the_file(db_path: Path, query: str) -> list[tuple]:
    """``query`` on the database file alone, without its WAL: what checkpoints copied."""
    conn = sqlite3.connect(db_path.resolve().as_uri() + "?mode=ro&immutable=1", uri=True)
    try:
        return conn.execute(query).fetchall()
    finally:
        conn.close()


def test_a_commit_past_the_threshold_leaves_the_checkpoint_to_a_thread(
    db_path: Path, held_checkpoints: tuple[list[Path], Any]
) -> None:
    """A commit copies nothing from the WAL into the database file, even past the
    checkpoint threshold: a thread does it, one at a time."""
    started, release = held_checkpoints
    urls = [f"https://example.org/{n}" for n in range(2000)]
    with Store.open(db_path) as store:
        raw = store._conn._conn  # type: ignore[attr-defined]
        assert raw.execute("PRAGMA wal_autocheckpoint").fetchone() == (0,)
        store.sync_citations([Citation(url=url) for url in urls], now=T0)
        assert started == [db_path]
        in_the_file = "select count(*) from citations"
        assert _in_the_file(db_path, in_the_file) == [(0,)]  # the sync's rows wait in the WAL
        store.begin_run("check", now=T0)  # a commit while the thread runs: no second one
        assert started == [db_path]
        assert _in_the_file(db_path, in_the_file) == [(0,)]
        release.set()
        _checkpoint_thread(store).join()
        assert _in_the_file(db_path, in_the_file) == [(2000,)]  # the thread copied them
    assert sql(db_path, "select count(*) from citations") == [(2000,)]
    assert sql(db_path, "select count(*) from runs") == [(1,)]


def test_closing_the_store_waits_for_its_checkpoint_thread(
    db_path: Path, held_checkpoints: tuple[list[Path], Any]
) -> None:
    import threading

    _, release = held_checkpoints
    store = Store.open(db_path)
    store.sync_citations([Citation(url=f"https://example.org/{n}") for n in range(500)], now=T0)
    thread = _checkpoint_thread(store)
    threading.Timer(0.2, release.set).start()
    store.close()
    assert not thread.is_alive()
    assert sql(db_path, "select count(*) from citations") == [(500,)]


def test_a_check_s_batched_commits_leave_their_checkpoints_to_threads(
    db_path: Path, held_checkpoints: tuple[list[Path], Any]
) -> None:
    """The recorder's batches (batched, commit_batch) as well as a sync: after the
    first thread is done, the next commit past the threshold starts another."""
    started, release = held_checkpoints
    release.set()
    urls = [f"https://example.org/{n}" for n in range(50)]
    with Store.open(db_path) as store:
        store.sync_citations([Citation(url=url) for url in urls], now=T0)
        _checkpoint_thread(store).join()
        run_id = store.begin_run("check", now=T0)
        first = _checkpoint_thread(store)
        first.join()
        with store.batched_writes(max_writes=100, max_seconds=3600):
            for url in urls:
                check = CheckResult(url=url, checked_at=T0, status=Status.OK)
                store.record_check(run_id, check, ok_state(url, T0))
            assert _in_the_file(db_path, "select count(*) from checks") == [(0,)]
            store.commit_batch()
            second = _checkpoint_thread(store)
            assert second is not None and second is not first
            second.join()
            assert _in_the_file(db_path, "select count(*) from checks") == [(50,)]
    assert len(started) >= 2
    assert sql(db_path, "select count(*) from checks") == [(50,)]


def test_a_commit_below_the_threshold_starts_no_checkpoint(db_path: Path) -> None:
    with Store.open(db_path) as store:
        store.sync_citations([Citation(url="https://example.org/a")], now=T0)
        store.begin_run("check", now=T0)
        assert _checkpoint_thread(store) is None


def test_a_write_that_fails_starts_no_checkpoint(
    db_path: Path, held_checkpoints: tuple[list[Path], Any]
) -> None:
    started, _ = held_checkpoints

    def citations() -> Iterator[Citation]:
        yield Citation(url="https://example.org/a")
        raise RuntimeError("the file went away")

    with Store.open(db_path) as store:
        with pytest.raises(RuntimeError):
            store.sync_citations(citations(), now=T0)
        assert _checkpoint_thread(store) is None
    assert started == []
    assert sql(db_path, "select count(*) from citations") == [(0,)]


def test_the_wal_starts_over_small_after_a_checkpoint_so_its_size_counts_its_frames(
    db_path: Path, held_checkpoints: tuple[list[Path], Any]
) -> None:
    """Its size is what tells a commit that the WAL is past the threshold: after a
    complete checkpoint the next write starts it over from an empty file
    (journal_size_limit = 0), so a small write is not taken for a large WAL."""
    _, release = held_checkpoints
    release.set()
    wal = Path(f"{db_path}-wal")
    with Store.open(db_path) as store:
        store.sync_citations(
            [Citation(url=f"https://example.org/{n}") for n in range(2000)], now=T0
        )
        large = wal.stat().st_size
        _checkpoint_thread(store).join()
        store.begin_run("check", now=T0)
        assert wal.stat().st_size < large / 10
