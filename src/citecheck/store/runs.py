"""Runs and checks: each run's start, end and counts, and the history of checks.

The ``checks`` table is the history: rows are appended, never changed.
``record_check`` commits before it returns, so a ``kill -9`` loses at most the
checks in flight.
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from ..errors import StoreError
from ..models import CheckResult, Hop, LastRun, LinkState, PageSnapshot
from .connection import Connection
from .leases import run_lease_key
from .links import ensure_link
from .lock import RunLock, pid_alive
from .rows import (
    REASON_BY_VALUE,
    STATUS_BY_VALUE,
    enum_value,
    link_key,
    optional_time_text,
    parse_time,
    time_text,
)

RUN_OUTCOMES = frozenset({"running", "finished", "offline", "interrupted", "failed"})
#: In CheckResult's field order, link_id standing for url (see check_result_of).
CHECK_COLUMNS = (
    "link_id, checked_at, status, reason, http_status, final_url, redirects, title, "
    "page_count, content_type, elapsed_ms, detail, etag, last_modified, text_fingerprint"
)
_RUN_FIELDS = (
    "id", "command", "started_at", "finished_at", "outcome", "pid", "links_checked", "summary"
)  # fmt: skip


class RunQueries:
    """The ``runs`` and ``checks`` tables (and the drift baseline kept on ``links``)."""

    _conn: Connection
    _lock: RunLock

    def begin_run(
        self,
        command: str,
        *,
        now: datetime,
        worker: bool = False,
        lease: timedelta | None = None,
    ) -> int:
        """Record the start of a run by this process and return its id.

        A worker's run (``worker``) given a ``lease`` holds a lease on itself
        (``run:<id>`` among the host leases, leases.py) from ``now``: its holder renews
        it while it works, :meth:`finish_run` ends it.

        Runs left ``running`` that are judged over are marked ``interrupted`` first.
        Only runs of this machine are judged by their pid (a pid means nothing on
        another machine): over when the process is gone or, for a run that is not a
        worker's, when it does not hold the writer lock (runs that record checks
        are made under :meth:`writer_lock`, except workers', which coexist). A run
        of another machine is judged over, when it is a worker's, once its lease on
        itself has lapsed (a worker killed, or its machine lost), and otherwise when
        nobody holds the writer lock (on PostgreSQL the lock lives on the server).
        """
        now_text = time_text(now)
        here = socket.gethostname()
        with self._conn.errors("start a run"):
            running = self._conn.execute(
                "SELECT id, pid, machine, worker FROM runs WHERE outcome = 'running'"
            ).fetchall()
            owner = self._lock.owner_pid() if running else None
            leased = self.live_run_leases(  # type: ignore[attr-defined]
                [row[0] for row in running if row[3] and row[2] not in (None, here)], now=now
            )
            orphaned = [
                run_id
                for run_id, pid, machine, was_worker in running
                if _run_is_over(
                    pid,
                    machine,
                    bool(was_worker),
                    here=here,
                    lock_owner=owner,
                    leased=run_id in leased,
                )  # fmt: skip
            ]
            with self._conn.write():
                self._conn.executemany(
                    "UPDATE runs SET outcome = 'interrupted' WHERE id = ? AND outcome = 'running'",
                    [(run_id,) for run_id in orphaned],
                )
                self._conn.executemany(  # their leases on themselves, lapsed or not
                    "DELETE FROM host_leases WHERE host = ?",
                    [(run_lease_key(run_id),) for run_id in orphaned],
                )
                (run_id,) = self._conn.execute(
                    "INSERT INTO runs (command, started_at, outcome, pid, links_checked,"
                    " machine, worker) VALUES (?, ?, 'running', ?, 0, ?, ?) RETURNING id",
                    (command, now_text, os.getpid(), here, int(worker)),
                ).fetchall()[0]
                if worker and lease is not None:
                    self._conn.execute(
                        "INSERT INTO host_leases (host, holder, run_id, expires_at)"
                        " VALUES (?, ?, ?, ?)",
                        (run_lease_key(run_id), f"{os.getpid()}@{here}", run_id,
                         time_text(now + lease)),
                    )  # fmt: skip
        return run_id

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
        checked_at = time_text(result.checked_at)
        with self._conn.errors(f"record the check of {state.url}"), self._conn.write():
            link_id, _ = ensure_link(self._conn, state.url, checked_at)
            self._conn.execute(INSERT_CHECK, check_row(link_id, run_id, checked_at, result))
            self._conn.execute(UPDATE_LINK_STATE, state_row(state, link_id))
            if baseline is not None:
                self._conn.execute(UPDATE_BASELINE, baseline_row(baseline, link_id))
            self._conn.execute(
                "UPDATE runs SET links_checked = links_checked + 1 WHERE id = ?", (run_id,)
            )

    def drift_baseline(self, url: str) -> PageSnapshot | None:
        """What the page at ``url`` was when first seen live, or None if never."""
        with self._conn.errors(f"read the drift baseline of {url}"):
            row = self._conn.execute(
                "SELECT baseline_title, baseline_fingerprint, baseline_at FROM links"
                " WHERE url = ? AND baseline_at IS NOT NULL",
                (link_key(url)[0],),
            ).fetchone()
        if row is None:
            return None
        return PageSnapshot(title=row[0], text_fingerprint=row[1], seen_at=parse_time(row[2]))

    def record_changes(self, run_id: int, changes: Mapping[str, Sequence[str]]) -> None:
        """What a run changed (newly broken, recovered, newly drifted: URLs)."""
        with self._conn.errors("record the run's changes"), self._conn.write():
            self._conn.execute(
                "UPDATE runs SET changes = ? WHERE id = ?",
                (json.dumps({k: list(v) for k, v in changes.items()}, sort_keys=True), run_id),
            )

    def last_changes(self) -> tuple[datetime, dict[str, list[str]]] | None:
        """When the latest check run finished and what it changed, if any run did."""
        with self._conn.errors("read the last run's changes"):
            row = self._conn.execute(
                "SELECT finished_at, changes FROM runs WHERE changes IS NOT NULL"
                " AND finished_at IS NOT NULL ORDER BY id DESC LIMIT 1"
            ).fetchone()
        if row is None:
            return None
        return parse_time(row[0]), json.loads(row[1])

    def last_run(self) -> LastRun | None:
        """The latest run that checked or archived links (None: there was none yet)."""
        with self._conn.errors("read the runs"):
            row = self._conn.execute(
                "SELECT command, outcome, started_at, finished_at FROM runs"
                " WHERE command IN ('check', 'run', 'archive', 'run-archive')"
                " AND outcome != 'running' ORDER BY id DESC LIMIT 1"
            ).fetchone()
            complete = self._conn.execute(
                "SELECT MAX(finished_at) FROM runs WHERE command IN ('check', 'run')"
                " AND outcome = 'finished'"
            ).fetchone()
        if row is None:
            return None
        return LastRun(
            command=row[0],
            outcome=row[1],
            started_at=datetime.fromisoformat(row[2]),
            finished_at=parse_time(row[3]),
            last_complete_at=parse_time(complete[0]),
        )

    def finish_run(
        self, run_id: int, *, now: datetime, outcome: str, summary: Mapping[str, int]
    ) -> None:
        """Close a run with its outcome and its counts by status."""
        if outcome not in RUN_OUTCOMES - {"running"}:
            raise ValueError(f"a run cannot finish as {outcome!r}")
        now_text = time_text(now)
        with self._conn.errors("finish the run"), self._conn.write():
            cursor = self._conn.execute(
                "UPDATE runs SET finished_at = ?, outcome = ?, summary = ? WHERE id = ?",
                (now_text, outcome, json.dumps(dict(summary), sort_keys=True), run_id),
            )
            if cursor.rowcount != 1:
                raise StoreError(f"{self._conn.name}: there is no run {run_id} to finish")
            self._conn.execute("DELETE FROM host_leases WHERE host = ?", (run_lease_key(run_id),))

    def runs(self, limit: int = 50) -> list[dict[str, Any]]:
        """The latest ``limit`` runs, newest first, times as datetimes, summary as a dict."""
        with self._conn.errors("read the runs"):
            rows = [
                dict(zip(_RUN_FIELDS, row, strict=True))
                for row in self._conn.execute(
                    f"SELECT {', '.join(_RUN_FIELDS)} FROM runs ORDER BY id DESC LIMIT ?",
                    (limit,),
                )
            ]
        for row in rows:
            row["started_at"] = parse_time(row["started_at"])
            row["finished_at"] = parse_time(row["finished_at"])
            row["summary"] = json.loads(row["summary"]) if row["summary"] else {}
        return rows

    def history(self, url: str) -> list[CheckResult]:
        """Every check of ``url`` (normalised as sync_citations does), oldest first."""
        key = link_key(url)[0]
        with self._conn.errors(f"read the history of {key}"):
            row = self._conn.execute("SELECT id FROM links WHERE url = ?", (key,)).fetchone()
            if row is None:
                return []
            return [
                check_result_of(key, check)
                for check in self._conn.execute(
                    f"SELECT {CHECK_COLUMNS} FROM checks WHERE link_id = ? ORDER BY checked_at, id",
                    (row[0],),
                )
            ]

    def run_timeline(self, limit: int) -> list[tuple[datetime, dict[str, int]]]:
        """Link health over the latest ``limit`` check runs, oldest first.

        Each is (when the run finished, its counts by status). Only runs that
        checked links (``check``, ``run``) and reached their end count: finished
        ones, and offline ones, whose counts are the links as they stood.
        """
        with self._conn.errors("read the runs"):
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


#: record_check's statements, shared with batches.py (record_checks).
INSERT_CHECK = (
    "INSERT INTO checks (link_id, run_id, checked_at, status, reason, http_status,"
    " final_url, redirects, title, page_count, content_type, elapsed_ms, detail,"
    " etag, last_modified, text_fingerprint)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
UPDATE_LINK_STATE = (
    "UPDATE links SET status = ?, reason = ?, http_status = ?, final_url = ?,"
    " title = ?, page_count = ?, checked_at = ?, first_failure_at = ?,"
    " consecutive_failures = ?, last_ok_at = ?, ever_ok = ?, etag = ?,"
    " last_modified = ?, drift = ? WHERE id = ?"
)
UPDATE_BASELINE = (
    "UPDATE links SET baseline_title = ?, baseline_fingerprint = ?, baseline_at = ? WHERE id = ?"
)
#: UPDATE_LINK_STATE and UPDATE_BASELINE in one rewrite of the row, for a batch in which
#: some links get a baseline: each baseline column is left as it is unless the flag
#: before it is 1 (the flags are integers: SQLite binds a bool as a subclass, slowly).
UPDATE_LINK_STATE_AND_BASELINE = UPDATE_LINK_STATE.removesuffix(" WHERE id = ?") + (
    ", baseline_title = CASE WHEN ? = 1 THEN ? ELSE baseline_title END,"
    " baseline_fingerprint = CASE WHEN ? = 1 THEN ? ELSE baseline_fingerprint END,"
    " baseline_at = COALESCE(?, baseline_at) WHERE id = ?"
)


def check_row(link_id: int | None, run_id: int, checked_at: str, result: CheckResult) -> tuple:
    """INSERT_CHECK's parameters."""
    return (
        link_id,
        run_id,
        checked_at,
        result.status.value,
        enum_value(result.reason),
        result.http_status,
        result.final_url,
        json.dumps([[hop.url, hop.status_code, hop.location] for hop in result.redirects])
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
    )


def state_row(
    state: LinkState, link_id: int | None, known_time: tuple[datetime, str] | None = None
) -> tuple:
    """UPDATE_LINK_STATE's parameters. ``known_time`` is a time and its text made
    already (the check's own: the state's times are often that very time)."""
    moment, text = known_time or (None, None)
    checked_at, first_failure_at, last_ok_at = (
        state.checked_at, state.first_failure_at, state.last_ok_at
    )  # fmt: skip
    return (
        state.status.value,
        enum_value(state.reason),
        state.http_status,
        state.final_url,
        state.title,
        state.page_count,
        text if checked_at is moment else optional_time_text(checked_at),
        text if first_failure_at is moment else optional_time_text(first_failure_at),
        state.consecutive_failures,
        text if last_ok_at is moment else optional_time_text(last_ok_at),
        int(state.ever_ok),
        state.etag,
        state.last_modified,
        json.dumps(dict(state.drift), sort_keys=True) if state.drift else None,
        link_id,
    )


def baseline_row(
    baseline: PageSnapshot, link_id: int | None, known_time: tuple[datetime, str] | None = None
) -> tuple:
    """UPDATE_BASELINE's parameters (``known_time`` as for :func:`state_row`)."""
    moment, text = known_time or (None, None)
    seen_at = baseline.seen_at
    return (
        baseline.title,
        baseline.text_fingerprint,
        text if seen_at is moment and text is not None else time_text(seen_at),
        link_id,
    )


def _run_is_over(
    pid: int | None,
    machine: str | None,
    worker: bool,
    *,
    here: str,
    lock_owner: int | None,
    leased: bool,
) -> bool:
    """Whether a run still marked ``running`` is over (see RunQueries.begin_run)."""
    if machine is not None and machine != here:
        return not leased if worker else lock_owner is None
    if pid is None or not pid_alive(pid):
        return True
    return not worker and pid != lock_owner


def check_result_of(url: str, row: tuple) -> CheckResult:
    """A checks row as the CheckResult that was recorded.

    Built positionally, because reports build a million of these and keyword
    arguments cost a third more: CHECK_COLUMNS follows CheckResult's field
    order (link_id standing for url), which tests/test_store.py asserts.
    """
    redirects = row[6]
    return CheckResult(
        url,
        datetime.fromisoformat(row[1]),
        STATUS_BY_VALUE[row[2]],
        None if row[3] is None else REASON_BY_VALUE[row[3]],
        row[4],
        row[5],
        ()
        if redirects is None
        else tuple(
            Hop(hop_url, code, location) for hop_url, code, location in json.loads(redirects)
        ),
        *row[7:],
    )
