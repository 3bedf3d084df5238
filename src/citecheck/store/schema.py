"""The schema of archive.db and its migrations, one function per step.

Each step runs in the transaction :func:`citecheck.store.sqlite.open_sqlite` opens
for it (sqlite-utils' Migrations records what was applied) and sets
``PRAGMA user_version`` to its number, so a file tells its version in its header
before SQLite opens it. This is the SQLite schema: a second backend brings its own
DDL for the same tables and columns, which are the contract the query modules use.
"""

from __future__ import annotations

import json

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from ..models import Status
from .version import APPLICATION_ID as APPLICATION_ID
from .version import MIGRATIONS_TABLE
from .version import OWN_TABLES as OWN_TABLES
from .version import SCHEMA_VERSION as SCHEMA_VERSION
from .version import check_schema_version as check_schema_version

MIGRATIONS = Migrations("citecheck")
if Migrations.migrations_table != MIGRATIONS_TABLE:  # pragma: no cover
    raise RuntimeError("sqlite-utils renamed its migrations table: update store/version.py")


@MIGRATIONS(name="0001_initial")
def _migration_0001_initial(db: Database) -> None:
    db["runs"].create(
        {
            "id": int,
            "command": str,
            "started_at": str,
            "finished_at": str,
            "outcome": str,
            "pid": int,
            "links_checked": int,
            "summary": str,
        },
        pk="id",
        not_null={"command", "started_at", "outcome", "links_checked"},
        defaults={"links_checked": 0},
    )
    db["links"].create(
        {
            "id": int,
            "url": str,
            "status": str,
            "reason": str,
            "http_status": int,
            "final_url": str,
            "title": str,
            "page_count": int,
            "checked_at": str,
            "first_failure_at": str,
            "consecutive_failures": int,
            "last_ok_at": str,
            "ever_ok": int,
            "first_seen_at": str,
        },
        pk="id",
        not_null={"url", "status", "consecutive_failures", "ever_ok", "first_seen_at"},
        defaults={"status": Status.UNCHECKED.value, "consecutive_failures": 0, "ever_ok": 0},
    )
    db["links"].create_index(["url"], unique=True)
    db["citations"].create(
        {
            "id": int,
            "link_id": int,
            "url_as_cited": str,
            "document": str,
            "line": int,
            "col": int,
            "title": str,
            "context": str,
            "page": str,
            "accessed": str,
            "extra": str,
            "position": int,
        },
        pk="id",
        not_null={"position"},
        foreign_keys=[("link_id", "links", "id")],
    )
    db["citations"].create_index(["link_id", "position"])
    db["checks"].create(
        {
            "id": int,
            "link_id": int,
            "run_id": int,
            "checked_at": str,
            "status": str,
            "reason": str,
            "http_status": int,
            "final_url": str,
            "redirects": str,
            "title": str,
            "page_count": int,
            "content_type": str,
            "elapsed_ms": int,
            "detail": str,
            "etag": str,
            "last_modified": str,
            "text_fingerprint": str,
        },
        pk="id",
        not_null={"link_id", "checked_at", "status"},
        foreign_keys=[("link_id", "links", "id"), ("run_id", "runs", "id")],
    )
    db["checks"].create_index(["link_id", "checked_at"])
    db["checks"].create_index(["run_id"])
    _set_schema_version(db, 1)


@MIGRATIONS(name="0002_archive")
def _migration_0002_archive(db: Database) -> None:
    """Wayback snapshots found, each link's chosen copy, and capture requests."""
    db["snapshots"].create(
        {
            "id": int,
            "link_id": int,
            "timestamp": str,
            "original": str,
            "status_code": int,
            "mimetype": str,
            "digest": str,
            "found_by": str,
            "found_at": str,
            "accepted": int,
            "rejected_because": str,
        },
        pk="id",
        not_null={"link_id", "timestamp", "original", "found_by", "found_at", "accepted"},
        foreign_keys=[("link_id", "links", "id")],
    )
    db["snapshots"].create_index(["link_id", "timestamp", "original"], unique=True)
    db["archive_lookups"].create(
        {
            "link_id": int,
            "looked_up_at": str,
            "anchor": str,
            "timestamp": str,
            "archive_url": str,
            "found_by": str,
        },
        pk="link_id",
        not_null={"looked_up_at"},
        foreign_keys=[("link_id", "links", "id")],
    )
    db["captures"].create(
        {
            "id": int,
            "link_id": int,
            "requested_at": str,
            "finished_at": str,
            "mode": str,
            "job_id": str,
            "state": str,
            "timestamp": str,
            "detail": str,
        },
        pk="id",
        not_null={"link_id", "requested_at", "mode", "state"},
        foreign_keys=[("link_id", "links", "id")],
    )
    db["captures"].create_index(["link_id", "id"])
    db["captures"].create_index(["state"])
    _set_schema_version(db, 2)


@MIGRATIONS(name="0003_fixes")
def _migration_0003_fixes(db: Database) -> None:
    """Every swap ``fix --write`` made, so ``fix --undo`` can restore it exactly."""
    db["fixes"].create(
        {
            "id": int,
            "batch": int,
            "document": str,
            "fixed_at": str,
            "line": int,
            "col": int,
            "start": int,
            "end": int,
            "old_url": str,
            "new_url": str,
            "action": str,
            "old_text": bytes,
            "new_text": bytes,
            "part": str,
            "undone_at": str,
        },
        pk="id",
        not_null={"batch", "document", "fixed_at", "old_url", "new_url", "action"},
    )
    db["fixes"].create_index(["document", "batch"])
    _set_schema_version(db, 3)


@MIGRATIONS(name="0004_schedule")
def _migration_0004_schedule(db: Database) -> None:
    """Validators for conditional requests, the drift baseline and verdict, and what
    changed in each run."""
    db["links"].add_column("etag", str)
    db["links"].add_column("last_modified", str)
    db["links"].add_column("baseline_title", str)
    db["links"].add_column("baseline_fingerprint", str)
    db["links"].add_column("baseline_at", str)
    db["links"].add_column("drift", str)
    db["runs"].add_column("changes", str)
    _set_schema_version(db, 4)


@MIGRATIONS(name="0005_fix_journal")
def _migration_0005_fix_journal(db: Database) -> None:
    """A fix is recorded before its document is renamed into place (pending until
    written), with the document's digests; a Word swap gets columns of its own
    instead of a JSON text in ``part``."""
    fixes = db["fixes"]
    fixes.add_column("rels_member", str)
    fixes.add_column("rel_id", str)
    fixes.add_column("text_too", int, not_null_default=0)
    fixes.add_column("written", int, not_null_default=1)
    fixes.add_column("old_sha256", str)
    fixes.add_column("new_sha256", str)
    for fix_id, part in db.execute("SELECT id, part FROM fixes WHERE part LIKE '{%'").fetchall():
        swap = json.loads(part)
        db.execute(
            "UPDATE fixes SET part = ?, rels_member = ?, rel_id = ?, text_too = ? WHERE id = ?",
            (swap["part"], swap["rels_member"], swap["rel_id"], int(swap["text_too"]), fix_id),
        )
    _set_schema_version(db, 5)


@MIGRATIONS(name="0006_pages")
def _migration_0006_pages(db: Database) -> None:
    """Cited pages of PDFs: each cited page as first seen (where it was, its text
    fingerprint, its distinctive terms) and the latest findings on each citation's
    pages and claim. Plain SQL statements, as a second backend runs them too."""
    for statement in PAGES_DDL:
        db.execute(statement)
    _set_schema_version(db, 6)


#: Migration 0006 in portable SQL: INTEGER, TEXT and REAL columns, composite keys.
PAGES_DDL = (
    "CREATE TABLE page_baselines ("
    " link_id INTEGER NOT NULL REFERENCES links (id),"
    " label TEXT NOT NULL,"
    " pdf_page INTEGER NOT NULL,"
    " fingerprint TEXT,"
    " terms TEXT NOT NULL,"
    " numbering TEXT NOT NULL,"
    " seen_at TEXT NOT NULL,"
    " PRIMARY KEY (link_id, label))",
    "CREATE TABLE page_findings ("
    " link_id INTEGER NOT NULL REFERENCES links (id),"
    " page TEXT NOT NULL,"
    " claim TEXT NOT NULL,"
    " checked_at TEXT NOT NULL,"
    " finding TEXT,"
    " detail TEXT,"
    " pdf_page INTEGER,"
    " fix_page INTEGER,"
    " numbering TEXT,"
    " page_count INTEGER,"
    " support REAL,"
    " terms_found TEXT,"
    " terms_total INTEGER,"
    " best_page TEXT,"
    " best_support REAL,"
    " PRIMARY KEY (link_id, page, claim))",
)


#: Plain SQL that SQLite and PostgreSQL both run, for the second backend to port as is.
_MIGRATION_0007_SQL = (
    "ALTER TABLE snapshots ADD COLUMN archive TEXT NOT NULL DEFAULT 'wayback'",
    "ALTER TABLE snapshots ADD COLUMN memento_url TEXT",
    "DROP INDEX idx_snapshots_link_id_timestamp_original",
    "CREATE UNIQUE INDEX idx_snapshots_link_id_archive_timestamp_original"
    " ON snapshots (link_id, archive, timestamp, original)",
    "ALTER TABLE archive_lookups ADD COLUMN archive TEXT",
    "ALTER TABLE archive_lookups ADD COLUMN copies INTEGER",
    "ALTER TABLE archive_lookups ADD COLUMN note TEXT",
)


@MIGRATIONS(name="0007_memento_archives")
def _migration_0007_memento_archives(db: Database) -> None:
    """Snapshots of other Memento archives beside the Wayback Machine's (which archive,
    the memento's URL), and on each look-up the chosen copy's archive, how many
    archives hold a copy, and which were skipped."""
    for statement in _MIGRATION_0007_SQL:
        db.execute(statement)
    _set_schema_version(db, 7)


#: Migration 0008 in portable SQL: the page check of each link's archived copy.
ARCHIVED_PAGES_DDL = (
    "CREATE TABLE archived_page_findings ("
    " link_id INTEGER NOT NULL REFERENCES links (id),"
    " page TEXT NOT NULL,"
    " claim TEXT NOT NULL,"
    " archive_timestamp TEXT,"
    " archive_url TEXT NOT NULL,"
    " checked_at TEXT NOT NULL,"
    " finding TEXT,"
    " detail TEXT,"
    " pdf_page INTEGER,"
    " numbering TEXT,"
    " page_count INTEGER,"
    " support REAL,"
    " terms_found TEXT,"
    " terms_total INTEGER,"
    " baseline_taken INTEGER NOT NULL DEFAULT 0,"
    " PRIMARY KEY (link_id, page, claim))",
)


@MIGRATIONS(name="0008_archived_pages")
def _migration_0008_archived_pages(db: Database) -> None:
    """The cited pages of each link's chosen archived copy: the latest findings on
    each citation's pages and claim there, and which copy they are about."""
    for statement in ARCHIVED_PAGES_DDL:
        db.execute(statement)
    _set_schema_version(db, 8)


#: Plain SQL that SQLite and PostgreSQL both run (pg_schema.py's step 9 says BIGINT).
_MIGRATION_0009_SQL = (
    "CREATE TABLE host_leases (host TEXT PRIMARY KEY, holder TEXT NOT NULL,"
    " run_id INTEGER, expires_at TEXT NOT NULL)",
    "ALTER TABLE runs ADD COLUMN machine TEXT",
    "ALTER TABLE runs ADD COLUMN worker INTEGER NOT NULL DEFAULT 0",
)


@MIGRATIONS(name="0009_host_leases")
def _migration_0009_host_leases(db: Database) -> None:
    """Workers (``run --worker``): the lease each holds on a host it is checking, and
    on each run the machine it ran on and whether it was a worker's (workers.py)."""
    for statement in _MIGRATION_0009_SQL:
        db.execute(statement)
    _set_schema_version(db, 9)


#: Plain SQL that SQLite and PostgreSQL both run (pg_schema.py's step 10 says DOUBLE PRECISION).
_MIGRATION_0010_SQL = (
    "CREATE TABLE shared_limits (name TEXT PRIMARY KEY, next_at REAL NOT NULL,"
    " blocked_until REAL NOT NULL)",
)


@MIGRATIONS(name="0010_shared_limits")
def _migration_0010_shared_limits(db: Database) -> None:
    """The archive's rate limits as workers share them (store/limits.py): for each
    limit, the next free slot and the end of any hold-off, in UTC epoch seconds."""
    for statement in _MIGRATION_0010_SQL:
        db.execute(statement)
    _set_schema_version(db, 10)


def _set_schema_version(db: Database, version: int) -> None:
    db.execute(f"PRAGMA user_version = {int(version)}")
