"""Page citations: the cited pages remembered of each PDF, and the latest findings
on each citation's pages and claim (the ``page_baselines`` and ``page_findings``
tables, migration 0006), and the findings in each link's chosen archived copy
(``archived_page_findings``, migration 0008).

A finding is keyed by what identifies a citation across syncs (citations are
stored anew each time): its link, its pages and its claim, "" standing for none.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from .connection import Connection, placeholders
from .rows import parse_time, time_text

if TYPE_CHECKING:
    # Imported where rows become values: a check whose citations name no page or
    # claim never builds one, and need not pay for the dataclasses (issue 11).
    from ..pages.models import (
        ArchivedPageFinding,
        PageAnswer,
        PageBaseline,
        PageFinding,
        PageQuestion,
    )

_FINDING_COLUMNS = (
    "link_id, page, claim, checked_at, finding, detail, pdf_page, fix_page, numbering,"
    " page_count, support, terms_found, terms_total, best_page, best_support"
)

_ARCHIVED_COLUMNS = (
    "link_id, page, claim, archive_timestamp, archive_url, checked_at, finding, detail,"
    " pdf_page, numbering, page_count, support, terms_found, terms_total, baseline_taken"
)


class PageQueries:
    """The ``page_baselines`` and ``page_findings`` tables."""

    _conn: Connection

    def page_question(self, url: str) -> PageQuestion | None:
        """What to check in the page at ``url``: its citations with a page or a claim,
        and its remembered pages. None when there is nothing to check."""
        with self._conn.errors("read the cited pages"), self._conn.read():
            row = self._conn.execute("SELECT id FROM links WHERE url = ?", (url,)).fetchone()
            if row is None:
                return None
            cited = self._conn.execute(
                "SELECT DISTINCT page, context FROM citations WHERE link_id = ?"
                " AND (page IS NOT NULL OR context IS NOT NULL) ORDER BY page, context",
                (row[0],),
            ).fetchall()
            if not cited:
                return None
            baselines = self._conn.execute(
                "SELECT label, pdf_page, fingerprint, terms, numbering, seen_at"
                " FROM page_baselines WHERE link_id = ?",
                (row[0],),
            ).fetchall()
        from ..pages.models import CitedClaim, PageBaseline, PageQuestion

        return PageQuestion(
            citations=tuple(CitedClaim(page, claim) for page, claim in cited),
            baselines={
                label: PageBaseline(
                    label,
                    pdf_page,
                    fingerprint,
                    tuple(terms.split()),
                    numbering,
                    parse_time(seen_at),
                )  # fmt: skip
                for label, pdf_page, fingerprint, terms, numbering, seen_at in baselines
            },
        )

    def record_pages(self, url: str, answer: PageAnswer) -> None:
        """Replace the link's findings with ``answer``'s and remember its new baselines
        (a page remembered before keeps what was first seen)."""
        with self._conn.errors("store the cited pages"), self._conn.write():
            row = self._conn.execute("SELECT id FROM links WHERE url = ?", (url,)).fetchone()
            if row is None:
                return
            link_id = row[0]
            self._conn.execute("DELETE FROM page_findings WHERE link_id = ?", (link_id,))
            self._conn.executemany(
                f"INSERT INTO page_findings ({_FINDING_COLUMNS})"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (link_id, page, claim) DO NOTHING",
                [_finding_row(link_id, finding) for finding in answer.findings],
            )
            self._conn.executemany(
                "INSERT INTO page_baselines"
                " (link_id, label, pdf_page, fingerprint, terms, numbering, seen_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (link_id, label) DO NOTHING",
                [_baseline_row(link_id, b) for b in answer.baselines],
            )

    def page_findings(self, link_ids: Iterable[int]) -> dict[int, list[PageFinding]]:
        """The latest findings of each of ``link_ids``."""
        ids = list(link_ids)
        found: dict[int, list[PageFinding]] = {}
        if not ids:
            return found
        with self._conn.errors("read the cited pages"), self._conn.read():
            rows = self._conn.execute(
                f"SELECT {_FINDING_COLUMNS} FROM page_findings"
                f" WHERE link_id IN ({placeholders(ids)}) ORDER BY link_id, page, claim",
                ids,
            ).fetchall()
        for row in rows:
            found.setdefault(row[0], []).append(_finding_of(row))
        return found

    def remembered_pages(self, url: str, *, archived_at: str | None = None) -> dict[str, int]:
        """Cited page label → the PDF page it was on when first seen, for ``url``;
        with ``archived_at``, where the archived copy of that timestamp has it
        instead, when that copy was read (a page it lacks maps to nothing)."""
        with self._conn.errors("read the cited pages"), self._conn.read():
            rows = self._conn.execute(
                "SELECT label, pdf_page FROM page_baselines JOIN links"
                " ON links.id = page_baselines.link_id WHERE links.url = ?",
                (url,),
            ).fetchall()
            archived = []
            if archived_at is not None:
                archived = self._conn.execute(
                    "SELECT page, finding, pdf_page FROM archived_page_findings JOIN links"
                    " ON links.id = archived_page_findings.link_id"
                    " WHERE links.url = ? AND archive_timestamp = ?",
                    (url, archived_at),
                ).fetchall()
        from ..pages.models import PAGES_UNREAD

        pages = {label: pdf_page for label, pdf_page in rows}
        for page, finding, pdf_page in archived:
            first = page.split("-", 1)[0].strip()
            if finding == PAGES_UNREAD or not first:
                continue
            if pdf_page:
                pages[first] = pdf_page
            else:
                pages.pop(first, None)
        return pages

    def archived_copy_type(self, link_id: int, timestamp: str) -> str | None:
        """The media type the Wayback index gave the link's capture at ``timestamp``."""
        with self._conn.errors("read the cited pages"), self._conn.read():
            row = self._conn.execute(
                "SELECT mimetype FROM snapshots WHERE link_id = ? AND timestamp = ?"
                " AND archive = 'wayback' ORDER BY id LIMIT 1",
                (link_id, timestamp),
            ).fetchone()
        return row[0] if row else None

    def archived_pages_read(self, link_id: int) -> tuple[set[str | None], set[str]]:
        """The archived copies (timestamps; None: one could not be fetched) the link's
        stored archived findings are about, and the pages they cover."""
        with self._conn.errors("read the cited pages"), self._conn.read():
            rows = self._conn.execute(
                "SELECT archive_timestamp, page FROM archived_page_findings WHERE link_id = ?",
                (link_id,),
            ).fetchall()
        return {timestamp for timestamp, _ in rows}, {page for _, page in rows}

    def record_archived_pages(
        self,
        link_id: int,
        findings: Iterable[ArchivedPageFinding],
        baselines: Iterable[PageBaseline] = (),
    ) -> None:
        """Replace the link's archived findings; remember ``baselines`` (taken from
        the archived copy of a PDF never seen live) where no page is remembered."""
        with self._conn.errors("store the cited pages"), self._conn.write():
            self._conn.execute("DELETE FROM archived_page_findings WHERE link_id = ?", (link_id,))
            self._conn.executemany(
                f"INSERT INTO archived_page_findings ({_ARCHIVED_COLUMNS})"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (link_id, page, claim) DO NOTHING",
                [_archived_row(link_id, archived) for archived in findings],
            )
            self._conn.executemany(
                "INSERT INTO page_baselines"
                " (link_id, label, pdf_page, fingerprint, terms, numbering, seen_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (link_id, label) DO NOTHING",
                [_baseline_row(link_id, b) for b in baselines],
            )

    def archived_page_findings(
        self, link_ids: Iterable[int]
    ) -> dict[int, list[ArchivedPageFinding]]:
        """The latest findings in the archived copy of each of ``link_ids``."""
        ids = list(link_ids)
        found: dict[int, list[ArchivedPageFinding]] = {}
        if not ids:
            return found
        with self._conn.errors("read the cited pages"), self._conn.read():
            rows = self._conn.execute(
                f"SELECT {_ARCHIVED_COLUMNS} FROM archived_page_findings"
                f" WHERE link_id IN ({placeholders(ids)}) ORDER BY link_id, page, claim",
                ids,
            ).fetchall()
        for row in rows:
            found.setdefault(row[0], []).append(_archived_of(row))
        return found


def _baseline_row(link_id: int, b: PageBaseline) -> tuple:
    return (
        link_id, b.label, b.pdf_page, b.fingerprint, " ".join(b.terms), b.numbering,
        time_text(b.seen_at),
    )  # fmt: skip


def _archived_row(link_id: int, archived: ArchivedPageFinding) -> tuple:
    f = archived.finding
    return (
        link_id, f.page or "", f.claim or "", archived.archive_timestamp, archived.archive_url,
        time_text(f.checked_at), f.finding, f.detail, f.pdf_page, f.numbering, f.page_count,
        f.support, " ".join(f.terms_found), f.terms_total, int(archived.baseline_taken),
    )  # fmt: skip


def _archived_of(row: tuple) -> ArchivedPageFinding:
    from ..pages.models import ArchivedPageFinding, PageFinding

    (_, page, claim, timestamp, archive_url, checked_at, finding, detail, pdf_page, numbering,
     page_count, support, terms_found, terms_total, baseline_taken) = row  # fmt: skip
    return ArchivedPageFinding(
        archive_url=archive_url,
        archive_timestamp=timestamp,
        finding=PageFinding(
            page=page or None,
            claim=claim or None,
            finding=finding,
            detail=detail,
            pdf_page=pdf_page,
            numbering=numbering,
            page_count=page_count,
            support=support,
            terms_found=tuple((terms_found or "").split()),
            terms_total=terms_total or 0,
            checked_at=parse_time(checked_at),
        ),
        baseline_taken=bool(baseline_taken),
    )


def _finding_row(link_id: int, f: PageFinding) -> tuple:
    return (
        link_id, f.page or "", f.claim or "", time_text(f.checked_at), f.finding, f.detail,
        f.pdf_page, f.fix_page, f.numbering, f.page_count, f.support,
        " ".join(f.terms_found), f.terms_total, f.best_page, f.best_support,
    )  # fmt: skip


def _finding_of(row: tuple) -> PageFinding:
    from ..pages.models import PageFinding

    (_, page, claim, checked_at, finding, detail, pdf_page, fix_page, numbering, page_count,
     support, terms_found, terms_total, best_page, best_support) = row  # fmt: skip
    return PageFinding(
        page=page or None,
        claim=claim or None,
        finding=finding,
        detail=detail,
        pdf_page=pdf_page,
        fix_page=fix_page,
        numbering=numbering,
        page_count=page_count,
        support=support,
        terms_found=tuple((terms_found or "").split()),
        terms_total=terms_total or 0,
        best_page=best_page,
        best_support=best_support,
        checked_at=parse_time(checked_at),
    )
