"""Snapshots of other Memento archives in archive.db (migration 0007, store/wayback.py)."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from citecheck.captures import Snapshot
from citecheck.models import Citation
from citecheck.store import SCHEMA_VERSION, Store

T0 = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
URL = "https://example.org/a"


def test_the_same_capture_time_in_two_archives_is_two_snapshots(tmp_path: Path) -> None:
    with Store.open(tmp_path / "archive.db") as store:
        store.sync_citations([Citation(url=URL, accessed="2019-06-01")], now=T0)
        (row,) = store.iter_archive_rows()
        wayback = Snapshot("20190301000000", URL, 200)
        memento = Snapshot(
            "20190301000000",
            URL,
            200,
            "text/html",
            archive="arquivo-pt",
            memento_url=f"https://arquivo.pt/wayback/20190301000000/{URL}",
            found_by="memento-before",
        )
        store.record_lookup(
            row.link_id,
            looked_up_at=T0,
            anchor=T0,
            found=[(wayback, "captured after the page started failing"), (memento, None)],
            chosen=memento,
            archive_url=memento.memento_url,
            copies=2,
            note="UK Web Archive skipped: did not answer in 20 s",
        )
        assert [(s.archive, s.memento_url, why) for s, why in store.snapshots(URL)] == [
            ("wayback", None, "captured after the page started failing"),
            ("arquivo-pt", memento.memento_url, None),
        ]
        (row,) = store.iter_archive_rows()
        assert row.lookup is not None
        assert (row.lookup.archive, row.lookup.copies) == ("arquivo-pt", 2)
        assert row.lookup.note == "UK Web Archive skipped: did not answer in 20 s"
        (report,) = store.iter_report_rows(latest=0)
        assert (report.archive_url, report.archive_name, report.archive_copies) == (
            memento.memento_url,
            "arquivo-pt",
            2,
        )


def test_migration_0007_keeps_wayback_snapshots(tmp_path: Path) -> None:
    path = tmp_path / "archive.db"
    with Store.open(path) as store:
        store.sync_citations([Citation(url=URL)], now=T0)
        (row,) = store.iter_archive_rows()
        store.record_snapshots(row.link_id, [(Snapshot("20190301000000", URL, 200), None)], now=T0)
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("SELECT archive, memento_url FROM snapshots").fetchall() == [
            ("wayback", None)
        ]
        assert conn.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)
    finally:
        conn.close()
