"""Report rows: every cited link as reports show it, streamed page by page."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

from ..models import STATUS_ORDER, Citation, HistoryEntry
from .connection import Connection, Row, paged, placeholders
from .rows import LINK_COLUMNS, LINK_WIDTH, link_state_of

if TYPE_CHECKING:
    from .records import ReportRow

CITATION_COLUMNS = (
    "link_id, url_as_cited, document, line, col, title, context, page, accessed, extra"
)


class ReportQueries:
    """Reads for reports over ``links``, ``citations``, ``checks`` and ``archive_lookups``."""

    _conn: Connection

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
        from .records import ReportRow  # not on a check's path (records.py)

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
            pages = paged(
                self._conn,
                f"SELECT {LINK_COLUMNS},"
                " (SELECT detail FROM checks WHERE checks.link_id = links.id"
                "   ORDER BY checked_at DESC, id DESC LIMIT 1),"
                " lookups.archive_url, lookups.timestamp, lookups.archive, lookups.copies"
                " FROM links LEFT JOIN archive_lookups AS lookups"
                "   ON lookups.link_id = links.id AND lookups.timestamp IS NOT NULL"
                f" WHERE {condition} AND url > ? AND EXISTS"
                " (SELECT 1 FROM citations WHERE citations.link_id = links.id)"
                " ORDER BY url LIMIT ?",
                values,
                after="",
                key=1,
                action="read the report",
                with_page=lambda links: self._page_details(links, latest),
            )
            for links, (citations, histories) in pages:
                for row in links:
                    link_id = row[0]
                    detail, archive_url, archive_timestamp, archive_name, copies = row[LINK_WIDTH:]
                    history, count = (
                        ((), None) if histories is None else histories.get(link_id, ((), 0))
                    )
                    yield ReportRow(
                        link_id,
                        link_state_of(row),
                        citations.get(link_id, []),
                        history,
                        detail,
                        archive_url,
                        archive_timestamp,
                        count,
                        archive_name,
                        copies,
                    )

    def _page_details(
        self, links: list[Row], latest: int | None
    ) -> tuple[dict[int, list[Citation]], dict[int, tuple[list[HistoryEntry], int]] | None]:
        """A page's citations and (unless ``latest`` is 0) histories, read in its snapshot."""
        ids = [row[0] for row in links]
        citations = self._page_citations(ids)
        histories = self._page_histories(ids, latest) if latest != 0 else None
        return citations, histories

    def _page_citations(self, ids: Sequence[int]) -> dict[int, list[Citation]]:
        marks = placeholders(ids)
        citations: dict[int, list[Citation]] = {}
        for row in self._conn.execute(
            f"SELECT {CITATION_COLUMNS} FROM citations WHERE link_id IN ({marks})"
            " ORDER BY link_id, position",
            ids,
        ):
            citations.setdefault(row[0], []).append(citation_of(row))
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
        marks = placeholders(ids)
        counts = self._conn.execute(
            f"SELECT link_id, COUNT(*) FROM checks WHERE link_id IN ({marks})"
            " GROUP BY link_id ORDER BY link_id",
            ids,
        ).fetchall()
        if latest is None:
            rows = self._conn.execute(
                "SELECT checked_at, status, reason, http_status FROM checks"
                f" WHERE link_id IN ({marks}) ORDER BY link_id, checked_at, id",
                ids,
            ).fetchall()
        else:
            rows = self._conn.execute(
                "SELECT checks.checked_at, checks.status, checks.reason, checks.http_status"
                " FROM links JOIN checks ON checks.id IN (SELECT id FROM checks AS latest"
                "   WHERE latest.link_id = links.id"
                "   ORDER BY latest.checked_at DESC, latest.id DESC LIMIT ?)"
                f" WHERE links.id IN ({marks})"
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


def citation_of(row: tuple) -> Citation:
    """A citations row (CITATION_COLUMNS) as the Citation stored: the columns after
    link_id follow Citation's field order."""
    return Citation(*row[1:9], extra=json.loads(row[9]) if row[9] else {})
