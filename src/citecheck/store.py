"""archive.db: the links, where they are cited, every check ever made, and the runs.

This is the only module that knows SQL. The file is SQLite in WAL mode so that a
report can read while a check writes, with ``synchronous=NORMAL`` (in WAL mode a
committed transaction survives a process crash; only an OS crash or power loss
can lose the last few) and a busy timeout so that short write transactions from
two processes wait for each other instead of failing.

Trust rules that shape the code:

* A file that is not ours is never written to. Before SQLite touches a file we
  read its 100-byte header ourselves; a foreign or damaged file is refused with
  :class:`CorruptDatabaseError` and left byte-for-byte as it was (no ``-wal`` or
  ``-shm`` files either). A citecheck database is marked with
  ``PRAGMA application_id`` and its schema version is ``PRAGMA user_version``.
* Every write is one short ``BEGIN IMMEDIATE`` transaction. ``record_check``
  commits before it returns, so a ``kill -9`` loses at most the checks in flight.
* Reads that may be long (``active_links``, ``iter_report_rows``) page through
  the table by key instead of holding one cursor open: an open cursor pins a
  WAL snapshot, and while it is pinned the WAL cannot be recycled and grows with
  every check written.
* The ``checks`` table is the history: rows are appended, never changed.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import sqlite3
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from .errors import CorruptDatabaseError, DatabaseBusyError, SchemaTooNewError, StoreError
from .models import (
    STATUS_ORDER,
    CheckResult,
    Citation,
    HistoryEntry,
    Hop,
    LinkState,
    PageSnapshot,
    Reason,
    Snapshot,
    Status,
)
from .urls import InvalidURLError, normalize_url

#: ``PRAGMA application_id`` of a citecheck database: "CitC" in ASCII.
APPLICATION_ID = 0x43697443
#: ``PRAGMA user_version`` this citecheck writes; it refuses files with a higher one.
SCHEMA_VERSION = 4
#: Seconds a statement waits for another process's write transaction to finish.
#: Writes are short (one check, one sync), so a longer wait means something is stuck.
DEFAULT_BUSY_TIMEOUT_S = 30.0
#: Links per page when streaming: bounds memory (a page holds their citations and
#: full histories) while keeping the number of queries small.
_PAGE_SIZE = 100
#: Seconds between two attempts to take the writer lock while waiting for it.
_LOCK_POLL_S = 0.1

RUN_OUTCOMES = frozenset({"running", "finished", "offline", "interrupted", "failed"})

_SQLITE_MAGIC = b"SQLite format 3\x00"
_HEADER_SIZE = 100
_OWN_TABLES = frozenset(
    {
        "runs",
        "links",
        "citations",
        "checks",
        "snapshots",
        "archive_lookups",
        "captures",
        Migrations.migrations_table,
    }
)
_STATUS_BY_VALUE = {status.value: status for status in Status}
_REASON_BY_VALUE = {reason.value: reason for reason in Reason}
_STATUS_RANK_SQL = (
    "CASE status "
    + " ".join(f"WHEN '{status.value}' THEN {rank}" for rank, status in enumerate(STATUS_ORDER))
    + f" ELSE {len(STATUS_ORDER)} END"
)
_LINK_COLUMNS = (
    "id, url, status, reason, http_status, final_url, title, page_count, checked_at, "
    "first_failure_at, consecutive_failures, last_ok_at, ever_ok, etag, last_modified, drift"
)
_LINK_WIDTH = len(_LINK_COLUMNS.split(","))
#: In CheckResult's field order, link_id standing for url (see _check_result).
_CHECK_COLUMNS = (
    "link_id, checked_at, status, reason, http_status, final_url, redirects, title, "
    "page_count, content_type, elapsed_ms, detail, etag, last_modified, text_fingerprint"
)
_CAPTURE_COLUMNS = (
    "captures.id, captures.link_id, links.url, captures.requested_at, captures.mode,"
    " captures.state, captures.job_id, captures.timestamp, captures.detail"
)
_CITATION_COLUMNS = (
    "link_id, url_as_cited, document, line, col, title, context, page, accessed, extra"
)


@dataclass(frozen=True)
class SyncSummary:
    """What :meth:`Store.sync_citations` changed."""

    citations: int  # citations stored now
    active_links: int  # distinct links they cite
    new_links: int  # links never seen before
    dropped_links: int  # links cited before this sync and no longer
    invalid_urls: int  # citations whose URL is not a checkable URL (kept, keyed by raw text)


@dataclass(frozen=True)
class ArchiveLookup:
    """A link's cached CDX answer: which copy was chosen, against which date, when.

    ``anchor`` is the date the copy was chosen before (None: the newest copy was
    wanted). ``timestamp`` is None when no acceptable copy was found.
    """

    looked_up_at: datetime
    anchor: datetime | None
    timestamp: str | None
    archive_url: str | None
    found_by: str | None


@dataclass(frozen=True)
class CaptureRecord:
    """One capture request (Save Page Now) and what became of it.

    ``state`` is one of :data:`CAPTURE_STATES`.
    """

    id: int
    link_id: int
    url: str
    requested_at: datetime
    mode: str  # "spn2" or "anonymous"
    state: str
    job_id: str | None = None
    timestamp: str | None = None
    detail: str | None = None


@dataclass(frozen=True)
class ArchiveRow:
    """What archiving needs to know about one cited link."""

    link_id: int
    state: LinkState
    accessed: tuple[str, ...]  # the citations' accessed dates, as given
    content_type: str | None  # of the latest successful check
    lookup: ArchiveLookup | None
    last_capture: CaptureRecord | None


@dataclass(frozen=True)
class ReportRow:
    """What a report shows about one cited link, as :meth:`Store.iter_report_rows` reads it.

    ``detail`` is the latest check's sentence; ``archive_url``/``archive_timestamp``
    the chosen archived copy (None when there is none); ``history`` the checks
    asked for (every one, or the latest few, or none), oldest first;
    ``check_count`` how many checks the link has (None when none were asked for).
    """

    link_id: int
    state: LinkState
    citations: list[Citation]
    history: Sequence[HistoryEntry]
    detail: str | None = None
    archive_url: str | None = None
    archive_timestamp: str | None = None
    check_count: int | None = None


@dataclass(frozen=True)
class FixRecord:
    """One URL swapped in a document by ``citecheck fix --write``.

    ``start``/``end`` are byte offsets in the document as it was before the fix,
    ``old_text``/``new_text`` the exact bytes, so ``--undo`` can put them back;
    ``part`` is set for Word documents (the relationship changed, as JSON).
    """

    document: str
    line: int
    column: int
    start: int
    end: int
    old_url: str
    new_url: str
    action: str
    old_text: bytes
    new_text: bytes
    part: str | None = None
    batch: int | None = None
    fixed_at: datetime | None = None


#: pending: an SPN2 job to poll; verified: a capture confirmed by the CDX index;
#: unverified: the archive said done but the index does not show a good copy (yet);
#: unknown: 5xx or timeout, to be confirmed by a later look-up; failed: the archive
#: refused; rate_limited: given up after repeated 429s in a run.
CAPTURE_STATES = frozenset(
    {"pending", "verified", "unverified", "unknown", "failed", "rate_limited"}
)

_MIGRATIONS = Migrations("citecheck")


@_MIGRATIONS(name="0001_initial")
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


@_MIGRATIONS(name="0002_archive")
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


@_MIGRATIONS(name="0003_fixes")
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


@_MIGRATIONS(name="0004_schedule")
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


def _set_schema_version(db: Database, version: int) -> None:
    db.execute(f"PRAGMA user_version = {int(version)}")


class Store:
    """An open archive.db. Use :meth:`open`; close it, or use it as a context manager."""

    def __init__(self, path: Path, db: Database) -> None:
        self.path = path
        self._db = db
        self._conn = db.conn
        self._lock_fd: int | None = None

    # -- opening -------------------------------------------------------------------

    @classmethod
    def open(cls, path: str | Path, *, create: bool = True) -> Store:
        """Open (and if needed create or migrate) the database at ``path``.

        Raises CorruptDatabaseError for a file that is not a citecheck database,
        SchemaTooNewError for one written by a newer citecheck, StoreError when
        ``create`` is false and there is no database.
        """
        path = Path(path)
        if path.is_dir():
            raise StoreError(f"{path} is a directory, not a database file")
        is_new = not path.exists() or path.stat().st_size == 0
        if is_new and not create:
            raise StoreError(f"there is no citecheck database at {path}")
        if not is_new:
            _validate_before_opening(path)
        if not path.parent.is_dir():
            raise StoreError(f"cannot create {path}: the folder {path.parent} does not exist")
        try:
            conn = sqlite3.connect(path, timeout=DEFAULT_BUSY_TIMEOUT_S)
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open {path}: {exc}") from exc
        try:
            with _translate_errors(path, "open the database"):
                db = Database(conn, execute_plugins=False)
                _prepare(db, path)
        except BaseException:
            conn.close()
            raise
        return cls(path, db)

    def close(self) -> None:
        self._release_lock()
        self._conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- the writer lock -------------------------------------------------------------

    @property
    def lock_path(self) -> Path:
        return self.path.with_name(self.path.name + ".lock")

    @contextmanager
    def writer_lock(self, *, wait_s: float = 0) -> Iterator[None]:
        """Hold the exclusive right to run a check on this database.

        The lock is an ``flock`` on ``<db>.lock``: the kernel drops it when the
        holder dies, however it dies, so a ``kill -9`` never leaves a stale lock.
        The file holds the holder's pid and start time, for the error message.
        Raises DatabaseBusyError if another process still holds it after ``wait_s``.
        """
        if self._lock_fd is not None:
            raise StoreError(f"this process already holds the writer lock on {self.path}")
        if _lock_key(self.lock_path) in _JOB_LOCKS:
            yield  # held for the whole job by hold_writer_lock
            return
        try:
            fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise StoreError(
                f"cannot create the lock file {self.lock_path}: {exc.strerror}"
            ) from exc
        try:
            _acquire_flock(fd, self.lock_path, self.path, wait_s)
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()} {_now_text()}\n".encode(), 0)
        except BaseException:
            os.close(fd)
            raise
        self._lock_fd = fd
        try:
            yield
        finally:
            self._release_lock()

    def _release_lock(self) -> None:
        if self._lock_fd is None:
            return
        fd, self._lock_fd = self._lock_fd, None
        try:
            os.ftruncate(fd, 0)
        finally:
            os.close(fd)  # closing the only descriptor releases the flock

    def _lock_owner_pid(self) -> int | None:
        """The pid holding the writer lock, or None when nobody holds it."""
        if self._lock_fd is not None:
            return os.getpid()
        if not self.lock_path.exists():
            return None
        fd = os.open(self.lock_path, os.O_RDONLY)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:
                return _read_lock_owner(self.lock_path)[0] or -1
            fcntl.flock(fd, fcntl.LOCK_UN)
            return None
        finally:
            os.close(fd)

    # -- citations and links -----------------------------------------------------------

    def sync_citations(self, citations: Iterable[Citation], *, now: datetime) -> SyncSummary:
        """Make the stored citations exactly ``citations``, in one transaction.

        Each URL gets a link (keyed by its normalised form, or by its stripped text
        when it is not a valid URL, so that it is reported rather than lost). Links
        that are no longer cited keep their row and history but stop being active.
        A citation without a URL (a title only) is stored with no link. Citations
        are stored anew each time, so their ids are not stable across syncs.
        """
        now_text = _time_text(now)
        stored = invalid = new_links = 0
        with _translate_errors(self.path, "store the citations"), self._write():
            conn = self._conn
            conn.execute("CREATE TEMP TABLE _previously_active (link_id INTEGER PRIMARY KEY)")
            conn.execute(
                "INSERT INTO _previously_active SELECT DISTINCT link_id FROM citations"
                " WHERE link_id IS NOT NULL"
            )
            conn.execute("DELETE FROM citations")
            for position, citation in enumerate(citations):
                link_id = None
                if citation.url is not None and citation.url.strip():
                    key, valid = _link_key(citation.url)
                    invalid += not valid
                    link_id, created = self._ensure_link(key, now_text)
                    new_links += created
                conn.execute(
                    "INSERT INTO citations (link_id, url_as_cited, document, line, col, title,"
                    " context, page, accessed, extra, position)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        link_id,
                        citation.url,
                        citation.document,
                        citation.line,
                        citation.column,
                        citation.title,
                        citation.context,
                        citation.page,
                        citation.accessed,
                        json.dumps(dict(citation.extra), ensure_ascii=False)
                        if citation.extra
                        else None,
                        position,
                    ),
                )
                stored += 1
            (dropped,) = conn.execute(
                "SELECT COUNT(*) FROM _previously_active WHERE link_id NOT IN"
                " (SELECT link_id FROM citations WHERE link_id IS NOT NULL)"
            ).fetchone()
            conn.execute("DROP TABLE _previously_active")
            (active,) = conn.execute(
                "SELECT COUNT(DISTINCT link_id) FROM citations WHERE link_id IS NOT NULL"
            ).fetchone()
        return SyncSummary(
            citations=stored,
            active_links=active,
            new_links=new_links,
            dropped_links=dropped,
            invalid_urls=invalid,
        )

    def _ensure_link(self, key: str, now_text: str) -> tuple[int, bool]:
        """The id of the link keyed ``key``, creating it; and whether it was created."""
        row = self._conn.execute("SELECT id FROM links WHERE url = ?", (key,)).fetchone()
        if row is not None:
            return row[0], False
        cursor = self._conn.execute(
            "INSERT INTO links (url, first_seen_at) VALUES (?, ?)", (key, now_text)
        )
        return cursor.lastrowid, True

    def active_links(self, *, drifted_only: bool = False) -> Iterator[LinkState]:
        """Every link cited by at least one citation (with ``drifted_only``, those whose
        page drifted), ordered by id, a page at a time."""
        last_id = 0
        drifted = " AND drift IS NOT NULL" if drifted_only else ""
        while True:
            with _translate_errors(self.path, "read the links"):
                rows = self._conn.execute(
                    f"SELECT {_LINK_COLUMNS} FROM links WHERE id > ?{drifted} AND EXISTS"
                    " (SELECT 1 FROM citations WHERE citations.link_id = links.id)"
                    " ORDER BY id LIMIT ?",
                    (last_id, _PAGE_SIZE),
                ).fetchall()
            for row in rows:
                yield _link_state(row)
            if len(rows) < _PAGE_SIZE:
                return
            last_id = rows[-1][0]

    def link_state(self, url: str) -> LinkState | None:
        """The stored state of ``url`` (normalised as sync_citations does), if known."""
        with _translate_errors(self.path, "read a link"):
            row = self._conn.execute(
                f"SELECT {_LINK_COLUMNS} FROM links WHERE url = ?", (_link_key(url)[0],)
            ).fetchone()
        return None if row is None else _link_state(row)

    def status_counts(self) -> dict[str, int]:
        """Active links by status, every status present (0 when none), in report order."""
        counts = {status.value: 0 for status in STATUS_ORDER}
        with _translate_errors(self.path, "count the links"):
            for status, count in self._conn.execute(
                "SELECT status, COUNT(*) FROM links WHERE EXISTS"
                " (SELECT 1 FROM citations WHERE citations.link_id = links.id) GROUP BY status"
            ):
                counts[status] = count
        return counts

    # -- runs and checks -----------------------------------------------------------------

    def begin_run(self, command: str, *, now: datetime) -> int:
        """Record the start of a run by this process and return its id.

        Runs left ``running`` by a process that is gone, or that does not hold the
        writer lock, are marked ``interrupted`` first: runs that record checks are
        meant to be made under :meth:`writer_lock`.
        """
        now_text = _time_text(now)
        with _translate_errors(self.path, "start a run"):
            running = self._conn.execute(
                "SELECT id, pid FROM runs WHERE outcome = 'running'"
            ).fetchall()
            owner = self._lock_owner_pid() if running else None
            orphaned = [
                run_id
                for run_id, pid in running
                if pid is None or pid != owner or not _pid_alive(pid)
            ]
            with self._write():
                self._conn.executemany(
                    "UPDATE runs SET outcome = 'interrupted' WHERE id = ? AND outcome = 'running'",
                    [(run_id,) for run_id in orphaned],
                )
                cursor = self._conn.execute(
                    "INSERT INTO runs (command, started_at, outcome, pid, links_checked)"
                    " VALUES (?, ?, 'running', ?, 0)",
                    (command, now_text, os.getpid()),
                )
        return cursor.lastrowid

    def record_check(
        self,
        run_id: int,
        result: CheckResult,
        state: LinkState,
        *,
        baseline: PageSnapshot | None = None,
    ) -> None:
        """Append ``result`` to the history and store ``state`` as the link's verdict.

        One transaction, committed before returning. The check's link is
        ``state.url``; it is created if it was never synced. ``baseline``, when
        given, becomes the page's drift baseline (what it was when first seen live).
        """
        checked_at = _time_text(result.checked_at)
        with _translate_errors(self.path, f"record the check of {state.url}"), self._write():
            link_id, _ = self._ensure_link(state.url, checked_at)
            self._conn.execute(
                "INSERT INTO checks (link_id, run_id, checked_at, status, reason, http_status,"
                " final_url, redirects, title, page_count, content_type, elapsed_ms, detail,"
                " etag, last_modified, text_fingerprint)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    link_id,
                    run_id,
                    checked_at,
                    result.status.value,
                    _enum_value(result.reason),
                    result.http_status,
                    result.final_url,
                    json.dumps(
                        [[hop.url, hop.status_code, hop.location] for hop in result.redirects]
                    )
                    if result.redirects
                    else None,
                    result.title,
                    result.page_count,
                    result.content_type,
                    result.elapsed_ms,
                    result.detail,
                    result.etag,
                    result.last_modified,
                    result.text_fingerprint,
                ),
            )
            self._conn.execute(
                "UPDATE links SET status = ?, reason = ?, http_status = ?, final_url = ?,"
                " title = ?, page_count = ?, checked_at = ?, first_failure_at = ?,"
                " consecutive_failures = ?, last_ok_at = ?, ever_ok = ?, etag = ?,"
                " last_modified = ?, drift = ? WHERE id = ?",
                (
                    state.status.value,
                    _enum_value(state.reason),
                    state.http_status,
                    state.final_url,
                    state.title,
                    state.page_count,
                    _optional_time_text(state.checked_at),
                    _optional_time_text(state.first_failure_at),
                    state.consecutive_failures,
                    _optional_time_text(state.last_ok_at),
                    int(state.ever_ok),
                    state.etag,
                    state.last_modified,
                    json.dumps(dict(state.drift), sort_keys=True) if state.drift else None,
                    link_id,
                ),
            )
            if baseline is not None:
                self._conn.execute(
                    "UPDATE links SET baseline_title = ?, baseline_fingerprint = ?,"
                    " baseline_at = ? WHERE id = ?",
                    (
                        baseline.title,
                        baseline.text_fingerprint,
                        _time_text(baseline.seen_at),
                        link_id,
                    ),
                )
            self._conn.execute(
                "UPDATE runs SET links_checked = links_checked + 1 WHERE id = ?", (run_id,)
            )

    def drift_baseline(self, url: str) -> PageSnapshot | None:
        """What the page at ``url`` was when first seen live, or None if never."""
        with _translate_errors(self.path, f"read the drift baseline of {url}"):
            row = self._conn.execute(
                "SELECT baseline_title, baseline_fingerprint, baseline_at FROM links"
                " WHERE url = ? AND baseline_at IS NOT NULL",
                (_link_key(url)[0],),
            ).fetchone()
        if row is None:
            return None
        return PageSnapshot(title=row[0], text_fingerprint=row[1], seen_at=_parse_time(row[2]))

    def record_changes(self, run_id: int, changes: Mapping[str, Sequence[str]]) -> None:
        """What a run changed (newly broken, recovered, newly drifted: URLs)."""
        with _translate_errors(self.path, "record the run's changes"), self._write():
            self._conn.execute(
                "UPDATE runs SET changes = ? WHERE id = ?",
                (json.dumps({k: list(v) for k, v in changes.items()}, sort_keys=True), run_id),
            )

    def last_changes(self) -> tuple[datetime, dict[str, list[str]]] | None:
        """When the latest check run finished and what it changed, if any run did."""
        with _translate_errors(self.path, "read the last run's changes"):
            row = self._conn.execute(
                "SELECT finished_at, changes FROM runs WHERE changes IS NOT NULL"
                " AND outcome = 'finished' ORDER BY id DESC LIMIT 1"
            ).fetchone()
        if row is None:
            return None
        return _parse_time(row[0]), json.loads(row[1])

    def finish_run(
        self, run_id: int, *, now: datetime, outcome: str, summary: Mapping[str, int]
    ) -> None:
        """Close a run with its outcome and its counts by status."""
        if outcome not in RUN_OUTCOMES - {"running"}:
            raise ValueError(f"a run cannot finish as {outcome!r}")
        now_text = _time_text(now)
        with _translate_errors(self.path, "finish the run"), self._write():
            cursor = self._conn.execute(
                "UPDATE runs SET finished_at = ?, outcome = ?, summary = ? WHERE id = ?",
                (now_text, outcome, json.dumps(dict(summary), sort_keys=True), run_id),
            )
            if cursor.rowcount != 1:
                raise StoreError(f"{self.path}: there is no run {run_id} to finish")

    def runs(self, limit: int = 50) -> list[dict[str, Any]]:
        """The latest ``limit`` runs, newest first, times as datetimes, summary as a dict."""
        with _translate_errors(self.path, "read the runs"):
            rows = list(
                self._db.query(
                    "SELECT id, command, started_at, finished_at, outcome, pid, links_checked,"
                    " summary FROM runs ORDER BY id DESC LIMIT ?",
                    (limit,),
                )
            )
        for row in rows:
            row["started_at"] = _parse_time(row["started_at"])
            row["finished_at"] = _parse_time(row["finished_at"])
            row["summary"] = json.loads(row["summary"]) if row["summary"] else {}
        return rows

    # -- history and reports ---------------------------------------------------------------

    def history(self, url: str) -> list[CheckResult]:
        """Every check of ``url`` (normalised as sync_citations does), oldest first."""
        key = _link_key(url)[0]
        with _translate_errors(self.path, f"read the history of {key}"):
            row = self._conn.execute("SELECT id FROM links WHERE url = ?", (key,)).fetchone()
            if row is None:
                return []
            return [
                _check_result(key, check)
                for check in self._conn.execute(
                    f"SELECT {_CHECK_COLUMNS} FROM checks WHERE link_id = ?"
                    " ORDER BY checked_at, id",
                    (row[0],),
                )
            ]

    def iter_report_rows(self, *, latest: int | None = None) -> Iterator[ReportRow]:
        """Every active link as reports show it, streamed.

        Ordered as reports list them: by status (broken, failing, blocked,
        redirected, ok, skipped, unchecked), then by URL. Citations are in source
        order, history oldest first. Links are read a page at a time, status by
        status along the URL index, then each page's citations and checks with
        indexed queries, all in one read transaction: a page is consistent
        (a check written meanwhile is in its history and its state, or in
        neither), memory holds one page, and nothing pins a WAL snapshot between
        pages. ``latest=n`` reads only each link's latest ``n`` checks (reports that
        show a few), ``latest=0`` none at all (reports that show none); the latest
        detail and archived copy are read either way.
        """
        if latest is not None and latest < 0:
            raise ValueError(f"latest must be None or at least 0, not {latest}")
        # Statuses citecheck does not know come last, as before, and fail loudly in
        # _link_state rather than being left out of the report.
        passes: list[tuple[str, tuple[str, ...]]] = [
            ("status = ?", (status.value,)) for status in STATUS_ORDER
        ]
        known = tuple(status.value for status in STATUS_ORDER)
        passes.append((f"status NOT IN ({', '.join('?' * len(known))})", known))
        for condition, values in passes:
            after = ""
            while True:
                with _translate_errors(self.path, "read the report"), self._read():
                    links = self._conn.execute(
                        f"SELECT {_LINK_COLUMNS},"
                        " (SELECT detail FROM checks WHERE checks.link_id = links.id"
                        "   ORDER BY checked_at DESC, id DESC LIMIT 1),"
                        " lookups.archive_url, lookups.timestamp"
                        " FROM links LEFT JOIN archive_lookups AS lookups"
                        "   ON lookups.link_id = links.id AND lookups.timestamp IS NOT NULL"
                        f" WHERE {condition} AND url > ? AND EXISTS"
                        " (SELECT 1 FROM citations WHERE citations.link_id = links.id)"
                        " ORDER BY url LIMIT ?",
                        (*values, after, _PAGE_SIZE),
                    ).fetchall()
                    if not links:
                        break
                    ids = [row[0] for row in links]
                    citations = self._page_citations(ids)
                    histories = self._page_histories(ids, latest) if latest != 0 else None
                for row in links:
                    link_id = row[0]
                    detail, archive_url, archive_timestamp = row[_LINK_WIDTH:]
                    history, count = (
                        ((), None) if histories is None else histories.get(link_id, ((), 0))
                    )
                    yield ReportRow(
                        link_id,
                        _link_state(row),
                        citations.get(link_id, []),
                        history,
                        detail,
                        archive_url,
                        archive_timestamp,
                        count,
                    )
                if len(links) < _PAGE_SIZE:
                    break
                after = links[-1][1]

    def _page_citations(self, ids: Sequence[int]) -> dict[int, list[Citation]]:
        placeholders = ", ".join("?" * len(ids))
        citations: dict[int, list[Citation]] = {}
        for row in self._conn.execute(
            f"SELECT {_CITATION_COLUMNS} FROM citations WHERE link_id IN ({placeholders})"
            " ORDER BY link_id, position",
            ids,
        ):
            citations.setdefault(row[0], []).append(_citation(row))
        return citations

    def _page_histories(
        self, ids: Sequence[int], latest: int | None
    ) -> dict[int, tuple[list[HistoryEntry], int]]:
        """Each link's checks (all, or its ``latest``) as raw rows, oldest first, and
        how many checks it has.

        The rows carry no link id: how many belong to each link comes from a
        second, index-only query in the same read transaction, and each link's
        history is a slice of the one list SQLite returned. Grouping a million
        rows in Python instead costs more than reading them.
        """
        placeholders = ", ".join("?" * len(ids))
        counts = self._conn.execute(
            f"SELECT link_id, COUNT(*) FROM checks WHERE link_id IN ({placeholders})"
            " GROUP BY link_id ORDER BY link_id",
            ids,
        ).fetchall()
        if latest is None:
            rows = self._conn.execute(
                "SELECT checked_at, status, reason, http_status FROM checks"
                f" WHERE link_id IN ({placeholders}) ORDER BY link_id, checked_at, id",
                ids,
            ).fetchall()
        else:
            rows = self._conn.execute(
                "SELECT checks.checked_at, checks.status, checks.reason, checks.http_status"
                " FROM links JOIN checks ON checks.id IN (SELECT id FROM checks AS latest"
                "   WHERE latest.link_id = links.id"
                "   ORDER BY latest.checked_at DESC, latest.id DESC LIMIT ?)"
                f" WHERE links.id IN ({placeholders})"
                " ORDER BY links.id, checks.checked_at, checks.id",
                (latest, *ids),
            ).fetchall()
        histories: dict[int, tuple[list[HistoryEntry], int]] = {}
        start = 0
        for link_id, count in counts:
            taken = count if latest is None else min(count, latest)
            histories[link_id] = (rows[start : start + taken], count)
            start += taken
        return histories

    def run_timeline(self, limit: int) -> list[tuple[datetime, dict[str, int]]]:
        """Link health over the latest ``limit`` check runs, oldest first.

        Each is (when the run finished, its counts by status). Only runs that
        checked links (``check``, ``run``) and reached their end count: finished
        ones, and offline ones, whose counts are the links as they stood.
        """
        with _translate_errors(self.path, "read the runs"):
            rows = self._conn.execute(
                "SELECT finished_at, summary FROM runs WHERE command IN ('check', 'run')"
                " AND outcome IN ('finished', 'offline') AND finished_at IS NOT NULL"
                " ORDER BY id DESC LIMIT ?",
                (limit,),
            ).fetchall()
        return [
            (datetime.fromisoformat(finished_at), json.loads(summary) if summary else {})
            for finished_at, summary in reversed(rows)
        ]

    @contextmanager
    def _read(self) -> Iterator[None]:
        """One read transaction, so that the statements inside see one snapshot."""
        if self._conn.in_transaction:
            yield
            return
        self._conn.execute("BEGIN")
        try:
            yield
        finally:
            self._conn.execute("COMMIT")

    # -- archive -------------------------------------------------------------------------

    def iter_archive_rows(self) -> Iterator[ArchiveRow]:
        """Every cited link with its accessed dates, cached look-up and latest capture.

        Ordered by link id and read a page at a time, like :meth:`active_links`.
        """
        last_id = 0
        while True:
            with _translate_errors(self.path, "read the links to archive"):
                rows = self._conn.execute(
                    f"SELECT {_LINK_COLUMNS},"
                    " (SELECT json_group_array(DISTINCT accessed) FROM citations"
                    "   WHERE citations.link_id = links.id AND accessed IS NOT NULL),"
                    " (SELECT content_type FROM checks WHERE checks.link_id = links.id"
                    "   AND status IN ('ok', 'redirected') ORDER BY checked_at DESC, id DESC"
                    "   LIMIT 1),"
                    " l.looked_up_at, l.anchor, l.timestamp, l.archive_url, l.found_by,"
                    " (SELECT id FROM captures WHERE captures.link_id = links.id"
                    "   ORDER BY id DESC LIMIT 1)"
                    " FROM links LEFT JOIN archive_lookups AS l ON l.link_id = links.id"
                    " WHERE links.id > ? AND EXISTS"
                    " (SELECT 1 FROM citations WHERE citations.link_id = links.id)"
                    " ORDER BY links.id LIMIT ?",
                    (last_id, _PAGE_SIZE),
                ).fetchall()
                capture_ids = [row[-1] for row in rows if row[-1] is not None]
                captures = self._captures_by_id(capture_ids)
            for row in rows:
                link = row[:_LINK_WIDTH]
                accessed, content_type = row[_LINK_WIDTH], row[_LINK_WIDTH + 1]
                lookup = (
                    None
                    if row[_LINK_WIDTH + 2] is None
                    else ArchiveLookup(
                        looked_up_at=datetime.fromisoformat(row[_LINK_WIDTH + 2]),
                        anchor=_parse_time(row[_LINK_WIDTH + 3]),
                        timestamp=row[_LINK_WIDTH + 4],
                        archive_url=row[_LINK_WIDTH + 5],
                        found_by=row[_LINK_WIDTH + 6],
                    )
                )
                yield ArchiveRow(
                    link_id=row[0],
                    state=_link_state(link),
                    accessed=tuple(json.loads(accessed)) if accessed else (),
                    content_type=content_type,
                    lookup=lookup,
                    last_capture=captures.get(row[-1]) if row[-1] is not None else None,
                )
            if len(rows) < _PAGE_SIZE:
                return
            last_id = rows[-1][0]

    def _captures_by_id(self, ids: list[int]) -> dict[int, CaptureRecord]:
        if not ids:
            return {}
        placeholders = ", ".join("?" * len(ids))
        return {
            row[0]: _capture(row)
            for row in self._conn.execute(
                f"SELECT {_CAPTURE_COLUMNS} FROM captures JOIN links ON links.id = captures.link_id"
                f" WHERE captures.id IN ({placeholders})",
                ids,
            )
        }

    def record_lookup(
        self,
        link_id: int,
        *,
        looked_up_at: datetime,
        anchor: datetime | None,
        found: Iterable[tuple[Snapshot, str | None]],
        chosen: Snapshot | None,
        archive_url: str | None,
    ) -> None:
        """Record a CDX look-up: every snapshot seen (with why it was rejected, or
        None when acceptable) and the copy chosen, in one transaction."""
        with _translate_errors(self.path, "record a Wayback look-up"), self._write():
            self._upsert_snapshots(link_id, found, _time_text(looked_up_at))
            self._conn.execute(
                "INSERT INTO archive_lookups (link_id, looked_up_at, anchor, timestamp,"
                " archive_url, found_by) VALUES (?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (link_id) DO UPDATE SET looked_up_at = excluded.looked_up_at,"
                " anchor = excluded.anchor, timestamp = excluded.timestamp,"
                " archive_url = excluded.archive_url, found_by = excluded.found_by",
                (
                    link_id,
                    _time_text(looked_up_at),
                    _optional_time_text(anchor),
                    chosen.timestamp if chosen else None,
                    archive_url,
                    chosen.found_by if chosen else None,
                ),
            )

    def record_snapshots(
        self, link_id: int, found: Iterable[tuple[Snapshot, str | None]], *, now: datetime
    ) -> None:
        """Record snapshots seen outside a look-up (verifying a capture)."""
        with _translate_errors(self.path, "record Wayback snapshots"), self._write():
            self._upsert_snapshots(link_id, found, _time_text(now))

    def _upsert_snapshots(
        self, link_id: int, found: Iterable[tuple[Snapshot, str | None]], now_text: str
    ) -> None:
        self._conn.executemany(
            "INSERT INTO snapshots (link_id, timestamp, original, status_code, mimetype, digest,"
            " found_by, found_at, accepted, rejected_because)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (link_id, timestamp, original) DO UPDATE SET"
            " status_code = excluded.status_code, mimetype = excluded.mimetype,"
            " accepted = excluded.accepted, rejected_because = excluded.rejected_because",
            [
                (
                    link_id,
                    snapshot.timestamp,
                    snapshot.original,
                    snapshot.status_code,
                    snapshot.mimetype,
                    snapshot.digest,
                    snapshot.found_by,
                    now_text,
                    int(rejected is None),
                    rejected,
                )
                for snapshot, rejected in found
            ],
        )

    def snapshots(self, url: str) -> list[tuple[Snapshot, str | None]]:
        """Every snapshot recorded for ``url``, oldest first, with why it was rejected."""
        key = _link_key(url)[0]
        with _translate_errors(self.path, f"read the snapshots of {key}"):
            return [
                (
                    Snapshot(
                        timestamp=row[0],
                        original=row[1],
                        status_code=row[2],
                        mimetype=row[3],
                        digest=row[4],
                        found_by=row[5],
                    ),
                    row[6],
                )
                for row in self._conn.execute(
                    "SELECT timestamp, original, status_code, mimetype, digest, found_by,"
                    " rejected_because FROM snapshots JOIN links ON links.id = snapshots.link_id"
                    " WHERE links.url = ? ORDER BY timestamp, snapshots.id",
                    (key,),
                )
            ]

    def forget_lookup(self, link_id: int) -> None:
        """Drop a link's cached look-up, so that the next run asks the CDX index again."""
        with _translate_errors(self.path, "forget a Wayback look-up"), self._write():
            self._conn.execute("DELETE FROM archive_lookups WHERE link_id = ?", (link_id,))

    def add_capture(
        self,
        link_id: int,
        *,
        requested_at: datetime,
        mode: str,
        state: str,
        job_id: str | None = None,
        timestamp: str | None = None,
        detail: str | None = None,
    ) -> int:
        """Record a capture request; returns its id."""
        _check_capture_state(state)
        with _translate_errors(self.path, "record a capture request"), self._write():
            cursor = self._conn.execute(
                "INSERT INTO captures (link_id, requested_at, finished_at, mode, job_id, state,"
                " timestamp, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    link_id,
                    _time_text(requested_at),
                    None if state == "pending" else _time_text(requested_at),
                    mode,
                    job_id,
                    state,
                    timestamp,
                    detail,
                ),
            )
        return cursor.lastrowid

    def update_capture(
        self,
        capture_id: int,
        *,
        state: str,
        now: datetime,
        timestamp: str | None = None,
        detail: str | None = None,
    ) -> None:
        """Record what became of a capture request."""
        _check_capture_state(state)
        with _translate_errors(self.path, "update a capture request"), self._write():
            cursor = self._conn.execute(
                "UPDATE captures SET state = ?, finished_at = ?,"
                " timestamp = COALESCE(?, timestamp), detail = COALESCE(?, detail)"
                " WHERE id = ?",
                (
                    state,
                    None if state == "pending" else _time_text(now),
                    timestamp,
                    detail,
                    capture_id,
                ),
            )
            if cursor.rowcount != 1:
                raise StoreError(f"{self.path}: there is no capture {capture_id}")

    def pending_captures(self) -> Iterator[CaptureRecord]:
        """SPN2 jobs still to poll (left by this run or an earlier one), oldest first."""
        last_id = 0
        while True:
            with _translate_errors(self.path, "read the pending captures"):
                rows = self._conn.execute(
                    f"SELECT {_CAPTURE_COLUMNS} FROM captures"
                    " JOIN links ON links.id = captures.link_id"
                    " WHERE captures.state = 'pending' AND captures.job_id IS NOT NULL"
                    " AND captures.id > ? ORDER BY captures.id LIMIT ?",
                    (last_id, _PAGE_SIZE),
                ).fetchall()
            for row in rows:
                yield _capture(row)
            if len(rows) < _PAGE_SIZE:
                return
            last_id = rows[-1][0]

    # -- transactions ------------------------------------------------------------------

    # -- fixes ---------------------------------------------------------------------------

    def record_fix(self, document: str, swaps: Sequence[FixRecord], *, now: datetime) -> int:
        """Record the swaps written to ``document`` as one batch; returns the batch."""
        with _translate_errors(self.path, f"record the fix of {document}"), self._write():
            batch = self._conn.execute("SELECT COALESCE(MAX(batch), 0) + 1 FROM fixes").fetchone()[
                0
            ]
            self._conn.executemany(
                'INSERT INTO fixes (batch, document, fixed_at, line, col, start, "end",'
                " old_url, new_url, action, old_text, new_text, part)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        batch,
                        document,
                        _time_text(now),
                        swap.line,
                        swap.column,
                        swap.start,
                        swap.end,
                        swap.old_url,
                        swap.new_url,
                        swap.action,
                        swap.old_text,
                        swap.new_text,
                        swap.part,
                    )
                    for swap in swaps
                ],
            )
        return batch

    def last_fix(self, document: str) -> list[FixRecord]:
        """The swaps of the latest fix of ``document`` not yet undone (empty if none)."""
        with _translate_errors(self.path, f"read the fixes of {document}"):
            rows = self._conn.execute(
                'SELECT document, line, col, start, "end", old_url, new_url, action,'
                " old_text, new_text, part, batch, fixed_at FROM fixes"
                " WHERE batch = (SELECT MAX(batch) FROM fixes"
                "   WHERE document = ? AND undone_at IS NULL)"
                " ORDER BY start, id",
                (document,),
            ).fetchall()
        return [FixRecord(*row[:12], fixed_at=datetime.fromisoformat(row[12])) for row in rows]

    def mark_fix_undone(self, batch: int, *, now: datetime) -> None:
        with _translate_errors(self.path, "record an undone fix"), self._write():
            self._conn.execute(
                "UPDATE fixes SET undone_at = ? WHERE batch = ?", (_time_text(now), batch)
            )

    @contextmanager
    def _write(self) -> Iterator[None]:
        """One write transaction, taken with BEGIN IMMEDIATE.

        A deferred transaction that reads and then writes can fail with
        SQLITE_BUSY at once, without waiting, when another process wrote in
        between; taking the write lock up front makes the busy timeout apply.
        """
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            if self._conn.in_transaction:
                self._conn.execute("ROLLBACK")
            raise
        self._conn.execute("COMMIT")


# -- opening and validating -------------------------------------------------------------


def _validate_before_opening(path: Path) -> None:
    """Refuse a file that is not a citecheck database without SQLite writing anything.

    A file marked with our application_id is opened normally (its integrity is
    SQLite's business from there on). An unmarked SQLite file is inspected through
    an immutable read-only connection, which creates no -wal/-shm file: one with
    no tables can become a citecheck database, one with tables belongs to someone.
    """
    try:
        with path.open("rb") as file:
            header = file.read(_HEADER_SIZE)
    except OSError as exc:
        raise StoreError(f"cannot read {path}: {exc.strerror}") from exc
    if len(header) < _HEADER_SIZE or not header.startswith(_SQLITE_MAGIC):
        raise CorruptDatabaseError(
            f"{path} is not a SQLite database (damaged, or some other kind of file);"
            " it was left untouched"
        )
    application_id = int.from_bytes(header[68:72], "big", signed=True)
    user_version = int.from_bytes(header[60:64], "big", signed=True)
    if application_id == APPLICATION_ID:
        _check_schema_version(path, user_version)
        return
    if application_id != 0:
        raise CorruptDatabaseError(
            f"{path} is another program's SQLite database (application id"
            f" {application_id:#x}, citecheck's is {APPLICATION_ID:#x}); it was left untouched"
        )
    tables = _read_only_table_names(path)
    if tables:
        shown = ", ".join(sorted(tables)[:5])
        raise CorruptDatabaseError(
            f"{path} is another program's SQLite database (tables: {shown}); it was left untouched"
        )


def _read_only_table_names(path: Path) -> set[str]:
    uri = path.resolve().as_uri() + "?mode=ro&immutable=1"
    try:
        conn = sqlite3.connect(uri, uri=True)
        try:
            return {
                name
                for (name,) in conn.execute(
                    "SELECT name FROM sqlite_master WHERE type IN ('table', 'view')"
                )
            }
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise CorruptDatabaseError(
            f"{path} is a damaged SQLite database ({exc}); it was left untouched"
        ) from exc


def _check_schema_version(path: Path, user_version: int) -> None:
    if user_version > SCHEMA_VERSION:
        raise SchemaTooNewError(
            f"{path} was written by a newer citecheck (schema version {user_version}; this"
            f" citecheck knows up to {SCHEMA_VERSION}); upgrade citecheck to use it"
        )


def _prepare(db: Database, path: Path) -> None:
    """Claim, configure and migrate a connection that passed validation."""
    conn = db.conn
    conn.execute("PRAGMA foreign_keys = ON")
    (application_id,) = conn.execute("PRAGMA application_id").fetchone()
    if application_id != APPLICATION_ID:
        # Marked before WAL is enabled, so the mark is in the main file's header
        # where _validate_before_opening reads it.
        conn.execute("BEGIN IMMEDIATE")
        try:
            foreign = _table_names(conn) - _OWN_TABLES
            if foreign:
                raise CorruptDatabaseError(
                    f"{path} is another program's SQLite database (tables:"
                    f" {', '.join(sorted(foreign)[:5])})"
                )
            conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
    (user_version,) = conn.execute("PRAGMA user_version").fetchone()
    _check_schema_version(path, user_version)
    (journal_mode,) = conn.execute("PRAGMA journal_mode = WAL").fetchone()
    if journal_mode.lower() != "wal":
        raise StoreError(
            f"{path}: SQLite could not switch to WAL mode (got {journal_mode!r});"
            " is it on a network file system?"
        )
    conn.execute("PRAGMA synchronous = NORMAL")
    if user_version == SCHEMA_VERSION:
        # Each migration sets user_version, so nothing is pending. Damage deeper
        # than the schema surfaces as CorruptDatabaseError when it is read.
        missing = _OWN_TABLES - _table_names(conn)
        if missing:
            raise CorruptDatabaseError(
                f"{path} is damaged: the tables {', '.join(sorted(missing))} are missing"
            )
        return
    # Under one write lock, so that two processes opening a new file at once
    # cannot both see a migration as pending.
    conn.execute("BEGIN IMMEDIATE")
    try:
        _MIGRATIONS.apply(db)
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def _table_names(conn: sqlite3.Connection) -> set[str]:
    return {
        name
        for (name,) in conn.execute(
            "SELECT name FROM sqlite_master WHERE type IN ('table', 'view')"
            " AND name NOT LIKE 'sqlite_%'"
        )
    }


@contextmanager
def _translate_errors(path: Path, action: str) -> Iterator[None]:
    """The one place where sqlite3 errors become citecheck's StoreError family."""
    try:
        yield
    except sqlite3.DatabaseError as exc:
        code = getattr(exc, "sqlite_errorname", "") or ""
        if code.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB")):
            raise CorruptDatabaseError(f"{path} is damaged: could not {action}: {exc}") from exc
        if code.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")):
            raise DatabaseBusyError(
                f"{path} stayed locked by another process for {DEFAULT_BUSY_TIMEOUT_S:g} s:"
                f" could not {action}"
            ) from exc
        raise StoreError(f"{path}: could not {action}: {exc}") from exc


# -- the writer lock ------------------------------------------------------------------


#: The lock files this process holds for a whole job (hold_writer_lock), by real path.
_JOB_LOCKS: set[str] = set()


def _lock_key(lock_path: Path) -> str:
    return os.path.realpath(lock_path)


@contextmanager
def hold_writer_lock(db_path: str | Path, *, wait_s: float = 0) -> Iterator[None]:
    """Hold the writer lock of the database at ``db_path`` for a job that opens it
    several times (``run``: loading sources.csv, check, archive, reports), so that
    no other process can start or complete a run in between. Store.writer_lock in
    this process is then a no-op. Raises DatabaseBusyError like it.
    """
    db_path = Path(db_path)
    lock_path = db_path.with_name(db_path.name + ".lock")
    key = _lock_key(lock_path)
    if key in _JOB_LOCKS:
        raise StoreError(f"this process already holds the writer lock on {db_path}")
    if not lock_path.parent.is_dir():
        raise StoreError(f"cannot create {db_path}: the folder {lock_path.parent} does not exist")
    try:
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise StoreError(f"cannot create the lock file {lock_path}: {exc.strerror}") from exc
    try:
        _acquire_flock(fd, lock_path, db_path, wait_s)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()} {_now_text()}\n".encode(), 0)
        _JOB_LOCKS.add(key)
        try:
            yield
        finally:
            _JOB_LOCKS.discard(key)
            os.ftruncate(fd, 0)
    finally:
        os.close(fd)  # closing the only descriptor releases the flock


def _acquire_flock(fd: int, lock_path: Path, db_path: Path, wait_s: float) -> None:
    deadline = time.monotonic() + max(wait_s, 0)
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() >= deadline:
                break
            time.sleep(min(_LOCK_POLL_S, max(deadline - time.monotonic(), 0)))
    pid, started = _read_lock_owner(lock_path)
    holder = f"citecheck process {pid}" if pid else "another citecheck process"
    since = f" (running since {started})" if started else ""
    raise DatabaseBusyError(
        f"{db_path} is in use by {holder}{since}; wait for it to finish, or stop it"
    )


def _read_lock_owner(lock_path: Path) -> tuple[int | None, str | None]:
    """The pid and start time the lock holder wrote, if they can be read."""
    try:
        text = lock_path.read_text(encoding="utf-8", errors="replace").split()
    except OSError:
        return None, None
    pid = int(text[0]) if text and text[0].isdigit() else None
    return pid, text[1] if len(text) > 1 else None


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, it is just not ours
    except OSError as exc:
        return exc.errno != errno.ESRCH
    return True


# -- rows ⇄ values ---------------------------------------------------------------------


def _link_key(url: str) -> tuple[str, bool]:
    """The links.url key of a cited URL, and whether the URL is valid."""
    try:
        return normalize_url(url), True
    except InvalidURLError:
        return url.strip(), False


def _time_text(moment: datetime) -> str:
    """ISO-8601 in UTC: as text, these sort in time order."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"times must be timezone-aware, not {moment!r}")
    return moment.astimezone(UTC).isoformat()


def _optional_time_text(moment: datetime | None) -> str | None:
    return None if moment is None else _time_text(moment)


def _now_text() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _parse_time(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def _enum_value(member: Reason | None) -> str | None:
    return None if member is None else member.value


def _link_state(row: tuple) -> LinkState:
    return LinkState(
        url=row[1],
        status=_STATUS_BY_VALUE[row[2]],
        reason=None if row[3] is None else _REASON_BY_VALUE[row[3]],
        http_status=row[4],
        final_url=row[5],
        title=row[6],
        page_count=row[7],
        checked_at=_parse_time(row[8]),
        first_failure_at=_parse_time(row[9]),
        consecutive_failures=row[10],
        last_ok_at=_parse_time(row[11]),
        ever_ok=bool(row[12]),
        etag=row[13],
        last_modified=row[14],
        drift=json.loads(row[15]) if row[15] else None,
    )


def _check_result(url: str, row: tuple) -> CheckResult:
    """A checks row as the CheckResult that was recorded.

    Built positionally, because reports build a million of these and keyword
    arguments cost a third more: _CHECK_COLUMNS follows CheckResult's field
    order (link_id standing for url), which tests/test_store.py asserts.
    """
    redirects = row[6]
    return CheckResult(
        url,
        datetime.fromisoformat(row[1]),
        _STATUS_BY_VALUE[row[2]],
        None if row[3] is None else _REASON_BY_VALUE[row[3]],
        row[4],
        row[5],
        ()
        if redirects is None
        else tuple(
            Hop(hop_url, code, location) for hop_url, code, location in json.loads(redirects)
        ),
        *row[7:],
    )


def _citation(row: tuple) -> Citation:
    return Citation(
        url=row[1],
        document=row[2],
        line=row[3],
        column=row[4],
        title=row[5],
        context=row[6],
        page=row[7],
        accessed=row[8],
        extra=json.loads(row[9]) if row[9] else {},
    )


def _capture(row: tuple) -> CaptureRecord:
    return CaptureRecord(
        id=row[0],
        link_id=row[1],
        url=row[2],
        requested_at=datetime.fromisoformat(row[3]),
        mode=row[4],
        state=row[5],
        job_id=row[6],
        timestamp=row[7],
        detail=row[8],
    )


def _check_capture_state(state: str) -> None:
    if state not in CAPTURE_STATES:
        raise ValueError(f"{state!r} is not a capture state ({', '.join(sorted(CAPTURE_STATES))})")
