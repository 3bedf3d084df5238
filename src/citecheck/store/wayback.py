"""Wayback look-ups and captures: snapshots seen, each link's chosen copy, capture requests."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import TYPE_CHECKING

from ..errors import StoreError
from .connection import Connection, Row, paged, placeholders
from .rows import (
    LINK_COLUMNS,
    LINK_WIDTH,
    link_key,
    link_state_of,
    optional_time_text,
    parse_time,
    time_text,
)

if TYPE_CHECKING:  # built only when archiving: a check imports this module, not them
    from ..captures import CaptureRecord, Snapshot
    from .records import ArchiveRow

CAPTURE_COLUMNS = (
    "captures.id, captures.link_id, links.url, captures.requested_at, captures.mode,"
    " captures.state, captures.job_id, captures.timestamp, captures.detail"
)


class WaybackQueries:
    """The ``snapshots``, ``archive_lookups`` and ``captures`` tables."""

    _conn: Connection

    def iter_archive_rows(self) -> Iterator[ArchiveRow]:
        """Every cited link with its accessed dates, cached look-up and latest capture.

        Ordered by link id and read a page at a time, like :meth:`active_links`.
        """
        from ..captures import ArchiveLookup  # not on a check's path (captures.py)
        from .records import ArchiveRow

        pages = paged(
            self._conn,
            f"SELECT {LINK_COLUMNS},"
            " (SELECT content_type FROM checks WHERE checks.link_id = links.id"
            "   AND status IN ('ok', 'redirected') ORDER BY checked_at DESC, id DESC"
            "   LIMIT 1),"
            " l.looked_up_at, l.anchor, l.timestamp, l.archive_url, l.found_by,"
            " l.archive, l.copies, l.note,"
            " (SELECT id FROM captures WHERE captures.link_id = links.id"
            "   ORDER BY id DESC LIMIT 1)"
            " FROM links LEFT JOIN archive_lookups AS l ON l.link_id = links.id"
            " WHERE links.id > ? AND EXISTS"
            " (SELECT 1 FROM citations WHERE citations.link_id = links.id)"
            " ORDER BY links.id LIMIT ?",
            (),
            after=0,
            action="read the links to archive",
            with_page=self._page_accessed_and_captures,
        )
        for rows, (accessed_by_link, captures) in pages:
            for row in rows:
                link = row[:LINK_WIDTH]
                content_type = row[LINK_WIDTH]
                lookup = (
                    None
                    if row[LINK_WIDTH + 1] is None
                    else ArchiveLookup(
                        looked_up_at=datetime.fromisoformat(row[LINK_WIDTH + 1]),
                        anchor=parse_time(row[LINK_WIDTH + 2]),
                        timestamp=row[LINK_WIDTH + 3],
                        archive_url=row[LINK_WIDTH + 4],
                        found_by=row[LINK_WIDTH + 5],
                        archive=row[LINK_WIDTH + 6],
                        copies=row[LINK_WIDTH + 7],
                        note=row[LINK_WIDTH + 8],
                    )
                )
                yield ArchiveRow(
                    link_id=row[0],
                    state=link_state_of(link),
                    accessed=accessed_by_link.get(row[0], ()),
                    content_type=content_type,
                    lookup=lookup,
                    last_capture=captures.get(row[-1]) if row[-1] is not None else None,
                )

    def _page_accessed_and_captures(
        self, rows: list[Row]
    ) -> tuple[dict[int, tuple[str, ...]], dict[int, CaptureRecord]]:
        """A page's accessed dates (each link's distinct ones, in citation order) and
        latest captures."""
        ids = [row[0] for row in rows]
        accessed: dict[int, dict[str, None]] = {}
        for link_id, date in self._conn.execute(
            f"SELECT link_id, accessed FROM citations WHERE link_id IN ({placeholders(ids)})"
            " AND accessed IS NOT NULL ORDER BY link_id, position",
            ids,
        ):
            accessed.setdefault(link_id, {})[date] = None
        capture_ids = [row[-1] for row in rows if row[-1] is not None]
        return (
            {link_id: tuple(dates) for link_id, dates in accessed.items()},
            self._captures_by_id(capture_ids),
        )

    def _captures_by_id(self, ids: list[int]) -> dict[int, CaptureRecord]:
        if not ids:
            return {}
        return {
            row[0]: capture_of(row)
            for row in self._conn.execute(
                f"SELECT {CAPTURE_COLUMNS} FROM captures JOIN links ON links.id = captures.link_id"
                f" WHERE captures.id IN ({placeholders(ids)})",
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
        copies: int | None = None,
        note: str | None = None,
    ) -> None:
        """Record a look-up: every snapshot seen in any archive (with why it was
        rejected, or None when acceptable) and the copy chosen, in one transaction.
        ``copies`` is how many archives hold a copy (None when only the Wayback
        Machine was asked); ``note`` names the archives skipped."""
        with self._conn.errors("record a Wayback look-up"), self._conn.write():
            self._upsert_snapshots(link_id, found, time_text(looked_up_at))
            self._conn.execute(
                "INSERT INTO archive_lookups (link_id, looked_up_at, anchor, timestamp,"
                " archive_url, found_by, archive, copies, note)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (link_id) DO UPDATE SET looked_up_at = excluded.looked_up_at,"
                " anchor = excluded.anchor, timestamp = excluded.timestamp,"
                " archive_url = excluded.archive_url, found_by = excluded.found_by,"
                " archive = excluded.archive, copies = excluded.copies, note = excluded.note",
                (
                    link_id,
                    time_text(looked_up_at),
                    optional_time_text(anchor),
                    chosen.timestamp if chosen else None,
                    archive_url,
                    chosen.found_by if chosen else None,
                    chosen.archive if chosen else None,
                    copies,
                    note,
                ),
            )

    def record_snapshots(
        self, link_id: int, found: Iterable[tuple[Snapshot, str | None]], *, now: datetime
    ) -> None:
        """Record snapshots seen outside a look-up (verifying a capture)."""
        with self._conn.errors("record Wayback snapshots"), self._conn.write():
            self._upsert_snapshots(link_id, found, time_text(now))

    def _upsert_snapshots(
        self, link_id: int, found: Iterable[tuple[Snapshot, str | None]], now_text: str
    ) -> None:
        self._conn.executemany(
            "INSERT INTO snapshots (link_id, archive, timestamp, original, status_code,"
            " mimetype, digest, found_by, found_at, accepted, rejected_because, memento_url)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (link_id, archive, timestamp, original) DO UPDATE SET"
            " status_code = excluded.status_code, mimetype = excluded.mimetype,"
            " accepted = excluded.accepted, rejected_because = excluded.rejected_because,"
            " memento_url = excluded.memento_url",
            [
                (
                    link_id,
                    snapshot.archive,
                    snapshot.timestamp,
                    snapshot.original,
                    snapshot.status_code,
                    snapshot.mimetype,
                    snapshot.digest,
                    snapshot.found_by,
                    now_text,
                    int(rejected is None),
                    rejected,
                    snapshot.memento_url,
                )
                for snapshot, rejected in found
            ],
        )

    def snapshots(self, url: str) -> list[tuple[Snapshot, str | None]]:
        """Every snapshot recorded for ``url``, oldest first, with why it was rejected."""
        from ..captures import Snapshot

        key = link_key(url)[0]
        with self._conn.errors(f"read the snapshots of {key}"):
            return [
                (Snapshot(*row[:8]), row[8])
                for row in self._conn.execute(
                    "SELECT timestamp, original, status_code, mimetype, digest, found_by,"
                    " archive, memento_url, rejected_because"
                    " FROM snapshots JOIN links ON links.id = snapshots.link_id"
                    " WHERE links.url = ? ORDER BY timestamp, snapshots.id",
                    (key,),
                )
            ]

    def archived_since(self, link_id: int, since: datetime) -> bool:
        """Whether the link was looked up, or a capture of it asked for, at or after
        ``since`` (by another worker, archive/shared.py)."""
        moment = time_text(since)
        with self._conn.errors("read when the link was last archived"):
            row = self._conn.execute(
                "SELECT EXISTS (SELECT 1 FROM archive_lookups WHERE link_id = ?"
                " AND looked_up_at >= ?) OR EXISTS (SELECT 1 FROM captures"
                " WHERE link_id = ? AND requested_at >= ?)",
                (link_id, moment, link_id, moment),
            ).fetchone()
        return bool(row[0])

    def forget_lookup(self, link_id: int) -> None:
        """Drop a link's cached look-up, so that the next run asks the CDX index again."""
        with self._conn.errors("forget a Wayback look-up"), self._conn.write():
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
        check_capture_state(state)
        with self._conn.errors("record a capture request"), self._conn.write():
            (capture_id,) = self._conn.execute(
                "INSERT INTO captures (link_id, requested_at, finished_at, mode, job_id, state,"
                " timestamp, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                (
                    link_id,
                    time_text(requested_at),
                    None if state == "pending" else time_text(requested_at),
                    mode,
                    job_id,
                    state,
                    timestamp,
                    detail,
                ),
            ).fetchall()[0]
        return capture_id

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
        check_capture_state(state)
        with self._conn.errors("update a capture request"), self._conn.write():
            cursor = self._conn.execute(
                "UPDATE captures SET state = ?, finished_at = ?,"
                " timestamp = COALESCE(?, timestamp), detail = COALESCE(?, detail)"
                " WHERE id = ?",
                (
                    state,
                    None if state == "pending" else time_text(now),
                    timestamp,
                    detail,
                    capture_id,
                ),
            )
            if cursor.rowcount != 1:
                raise StoreError(f"{self._conn.name}: there is no capture {capture_id}")

    def pending_captures(self) -> Iterator[CaptureRecord]:
        """SPN2 jobs still to poll (left by this run or an earlier one), oldest first."""
        for rows, _ in paged(
            self._conn,
            f"SELECT {CAPTURE_COLUMNS} FROM captures"
            " JOIN links ON links.id = captures.link_id"
            " WHERE captures.state = 'pending' AND captures.job_id IS NOT NULL"
            " AND captures.id > ? ORDER BY captures.id LIMIT ?",
            (),
            after=0,
            action="read the pending captures",
        ):
            for row in rows:
                yield capture_of(row)


def capture_of(row: tuple) -> CaptureRecord:
    from ..captures import CaptureRecord

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


def check_capture_state(state: str) -> None:
    from ..captures import CAPTURE_STATES

    if state not in CAPTURE_STATES:
        raise ValueError(f"{state!r} is not a capture state ({', '.join(sorted(CAPTURE_STATES))})")
