"""A new SQLite database's schema in one transaction, without sqlite-utils.

A new archive.db used to be built by running every migration through sqlite-utils
(schema.py): importing sqlite-utils and running the steps took 0.1-0.15 s of a first
check's start (issue 11). A file with no tables gets instead, in the same write
transaction, the schema those migrations leave, as SQLite keeps it
(``sqlite_master.sql``, in its order), and the rows sqlite-utils would have recorded
for them, so that a later migration runs on it as on any other database.
tests/test_store_fresh.py checks that this is exactly what the migrations build, and
prints the new constants when a migration is added (until then, a new database gets
this schema and sqlite-utils runs the steps added since).
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

#: The migration set's name in sqlite-utils' migrations table (schema.py).
MIGRATION_SET = "citecheck"
#: ``PRAGMA user_version`` once :data:`STATEMENTS` have run.
SCHEMA_AT = 10

#: The schema the migrations build, statement by statement.
STATEMENTS = (
    (
        'CREATE TABLE "_sqlite_migrations" (\n'
        '   "id" INTEGER PRIMARY KEY,\n'
        '   "migration_set" TEXT,\n'
        '   "name" TEXT,\n'
        '   "applied_at" TEXT\n'
        ")"
    ),
    (
        'CREATE UNIQUE INDEX "idx__sqlite_migrations_migration_set_name"\n'
        '    ON "_sqlite_migrations" ("migration_set", "name")'
    ),
    (
        'CREATE TABLE "runs" (\n'
        '   "id" INTEGER PRIMARY KEY,\n'
        '   "command" TEXT NOT NULL,\n'
        '   "started_at" TEXT NOT NULL,\n'
        '   "finished_at" TEXT,\n'
        '   "outcome" TEXT NOT NULL,\n'
        '   "pid" INTEGER,\n'
        '   "links_checked" INTEGER NOT NULL DEFAULT 0,\n'
        '   "summary" TEXT\n'
        ', "changes" TEXT, machine TEXT, worker INTEGER NOT NULL DEFAULT 0)'
    ),
    (
        'CREATE TABLE "links" (\n'
        '   "id" INTEGER PRIMARY KEY,\n'
        '   "url" TEXT NOT NULL,\n'
        "   \"status\" TEXT NOT NULL DEFAULT 'unchecked',\n"
        '   "reason" TEXT,\n'
        '   "http_status" INTEGER,\n'
        '   "final_url" TEXT,\n'
        '   "title" TEXT,\n'
        '   "page_count" INTEGER,\n'
        '   "checked_at" TEXT,\n'
        '   "first_failure_at" TEXT,\n'
        '   "consecutive_failures" INTEGER NOT NULL DEFAULT 0,\n'
        '   "last_ok_at" TEXT,\n'
        '   "ever_ok" INTEGER NOT NULL DEFAULT 0,\n'
        '   "first_seen_at" TEXT NOT NULL\n'
        ', "etag" TEXT, "last_modified" TEXT, "baseline_title" TEXT, '
        '"baseline_fingerprint" TEXT, "baseline_at" TEXT, "drift" TEXT)'
    ),
    ('CREATE UNIQUE INDEX "idx_links_url"\n    ON "links" ("url")'),
    (
        'CREATE TABLE "citations" (\n'
        '   "id" INTEGER PRIMARY KEY,\n'
        '   "link_id" INTEGER REFERENCES "links"("id"),\n'
        '   "url_as_cited" TEXT,\n'
        '   "document" TEXT,\n'
        '   "line" INTEGER,\n'
        '   "col" INTEGER,\n'
        '   "title" TEXT,\n'
        '   "context" TEXT,\n'
        '   "page" TEXT,\n'
        '   "accessed" TEXT,\n'
        '   "extra" TEXT,\n'
        '   "position" INTEGER NOT NULL\n'
        ")"
    ),
    ('CREATE INDEX "idx_citations_link_id_position"\n    ON "citations" ("link_id", "position")'),
    (
        'CREATE TABLE "checks" (\n'
        '   "id" INTEGER PRIMARY KEY,\n'
        '   "link_id" INTEGER NOT NULL REFERENCES "links"("id"),\n'
        '   "run_id" INTEGER REFERENCES "runs"("id"),\n'
        '   "checked_at" TEXT NOT NULL,\n'
        '   "status" TEXT NOT NULL,\n'
        '   "reason" TEXT,\n'
        '   "http_status" INTEGER,\n'
        '   "final_url" TEXT,\n'
        '   "redirects" TEXT,\n'
        '   "title" TEXT,\n'
        '   "page_count" INTEGER,\n'
        '   "content_type" TEXT,\n'
        '   "elapsed_ms" INTEGER,\n'
        '   "detail" TEXT,\n'
        '   "etag" TEXT,\n'
        '   "last_modified" TEXT,\n'
        '   "text_fingerprint" TEXT\n'
        ")"
    ),
    ('CREATE INDEX "idx_checks_link_id_checked_at"\n    ON "checks" ("link_id", "checked_at")'),
    ('CREATE INDEX "idx_checks_run_id"\n    ON "checks" ("run_id")'),
    (
        'CREATE TABLE "snapshots" (\n'
        '   "id" INTEGER PRIMARY KEY,\n'
        '   "link_id" INTEGER NOT NULL REFERENCES "links"("id"),\n'
        '   "timestamp" TEXT NOT NULL,\n'
        '   "original" TEXT NOT NULL,\n'
        '   "status_code" INTEGER,\n'
        '   "mimetype" TEXT,\n'
        '   "digest" TEXT,\n'
        '   "found_by" TEXT NOT NULL,\n'
        '   "found_at" TEXT NOT NULL,\n'
        '   "accepted" INTEGER NOT NULL,\n'
        '   "rejected_because" TEXT\n'
        ", archive TEXT NOT NULL DEFAULT 'wayback', memento_url TEXT)"
    ),
    (
        'CREATE TABLE "archive_lookups" (\n'
        '   "link_id" INTEGER PRIMARY KEY REFERENCES "links"("id"),\n'
        '   "looked_up_at" TEXT NOT NULL,\n'
        '   "anchor" TEXT,\n'
        '   "timestamp" TEXT,\n'
        '   "archive_url" TEXT,\n'
        '   "found_by" TEXT\n'
        ", archive TEXT, copies INTEGER, note TEXT)"
    ),
    (
        'CREATE TABLE "captures" (\n'
        '   "id" INTEGER PRIMARY KEY,\n'
        '   "link_id" INTEGER NOT NULL REFERENCES "links"("id"),\n'
        '   "requested_at" TEXT NOT NULL,\n'
        '   "finished_at" TEXT,\n'
        '   "mode" TEXT NOT NULL,\n'
        '   "job_id" TEXT,\n'
        '   "state" TEXT NOT NULL,\n'
        '   "timestamp" TEXT,\n'
        '   "detail" TEXT\n'
        ")"
    ),
    ('CREATE INDEX "idx_captures_link_id_id"\n    ON "captures" ("link_id", "id")'),
    ('CREATE INDEX "idx_captures_state"\n    ON "captures" ("state")'),
    (
        'CREATE TABLE "fixes" (\n'
        '   "id" INTEGER PRIMARY KEY,\n'
        '   "batch" INTEGER NOT NULL,\n'
        '   "document" TEXT NOT NULL,\n'
        '   "fixed_at" TEXT NOT NULL,\n'
        '   "line" INTEGER,\n'
        '   "col" INTEGER,\n'
        '   "start" INTEGER,\n'
        '   "end" INTEGER,\n'
        '   "old_url" TEXT NOT NULL,\n'
        '   "new_url" TEXT NOT NULL,\n'
        '   "action" TEXT NOT NULL,\n'
        '   "old_text" BLOB,\n'
        '   "new_text" BLOB,\n'
        '   "part" TEXT,\n'
        '   "undone_at" TEXT\n'
        ', "rels_member" TEXT, "rel_id" TEXT, "text_too" INTEGER NOT NULL DEFAULT 0, '
        '"written" INTEGER NOT NULL DEFAULT 1, "old_sha256" TEXT, "new_sha256" TEXT)'
    ),
    ('CREATE INDEX "idx_fixes_document_batch"\n    ON "fixes" ("document", "batch")'),
    (
        "CREATE TABLE page_baselines ( link_id INTEGER NOT NULL REFERENCES links (id), "
        "label TEXT NOT NULL, pdf_page INTEGER NOT NULL, fingerprint TEXT, terms TEXT "
        "NOT NULL, numbering TEXT NOT NULL, seen_at TEXT NOT NULL, PRIMARY KEY (link_id, "
        "label))"
    ),
    (
        "CREATE TABLE page_findings ( link_id INTEGER NOT NULL REFERENCES links (id), "
        "page TEXT NOT NULL, claim TEXT NOT NULL, checked_at TEXT NOT NULL, finding "
        "TEXT, detail TEXT, pdf_page INTEGER, fix_page INTEGER, numbering TEXT, "
        "page_count INTEGER, support REAL, terms_found TEXT, terms_total INTEGER, "
        "best_page TEXT, best_support REAL, PRIMARY KEY (link_id, page, claim))"
    ),
    (
        "CREATE UNIQUE INDEX idx_snapshots_link_id_archive_timestamp_original ON "
        "snapshots (link_id, archive, timestamp, original)"
    ),
    (
        "CREATE TABLE archived_page_findings ( link_id INTEGER NOT NULL REFERENCES links "
        "(id), page TEXT NOT NULL, claim TEXT NOT NULL, archive_timestamp TEXT, "
        "archive_url TEXT NOT NULL, checked_at TEXT NOT NULL, finding TEXT, detail TEXT, "
        "pdf_page INTEGER, numbering TEXT, page_count INTEGER, support REAL, terms_found "
        "TEXT, terms_total INTEGER, baseline_taken INTEGER NOT NULL DEFAULT 0, PRIMARY "
        "KEY (link_id, page, claim))"
    ),
    (
        "CREATE TABLE host_leases (host TEXT PRIMARY KEY, holder TEXT NOT NULL, run_id "
        "INTEGER, expires_at TEXT NOT NULL)"
    ),
    (
        "CREATE TABLE shared_limits (name TEXT PRIMARY KEY, next_at REAL NOT NULL, "
        "blocked_until REAL NOT NULL)"
    ),
)

#: The migrations that schema is the result of, in order.
MIGRATIONS_APPLIED = (
    "0001_initial",
    "0002_archive",
    "0003_fixes",
    "0004_schedule",
    "0005_fix_journal",
    "0006_pages",
    "0007_memento_archives",
    "0008_archived_pages",
    "0009_host_leases",
    "0010_shared_limits",
)


def create_schema(conn: sqlite3.Connection) -> int:
    """Create the schema in ``conn``, inside the write transaction it holds (a file
    with no tables); returns its version."""
    for statement in STATEMENTS:
        conn.execute(statement)
    applied_at = str(datetime.now(UTC))  # as sqlite-utils writes it
    conn.executemany(
        "INSERT INTO _sqlite_migrations (migration_set, name, applied_at) VALUES (?, ?, ?)",
        [(MIGRATION_SET, name, applied_at) for name in MIGRATIONS_APPLIED],
    )
    conn.execute(f"PRAGMA user_version = {SCHEMA_AT}")
    return SCHEMA_AT
