"""Build a :class:`Report` from the store: the one place reports meet the database."""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from datetime import datetime

from ..config import Schedule
from ..pages.models import ArchivedPageFinding, PageFinding
from ..schedule import next_due
from ..store import PAGE_SIZE, ReportRow, Store
from . import TIMELINE_RUNS, LinkReport, Report


def build_report(store: Store, *, now: datetime, schedule: Schedule | None = None) -> Report:
    """The report over every cited link, streamed from the store, with each link's
    archived copy (for a broken link, the one to swap in; for a live one, its newest),
    its drift, its citations' page checks (read a page of links at a time), when the
    schedule (if given) next checks it, and what the latest run changed."""

    def links(latest: int | None = None) -> Iterator[LinkReport]:
        rows = store.iter_report_rows(latest=latest)
        while batch := list(itertools.islice(rows, PAGE_SIZE)):
            ids = [row.link_id for row in batch]
            pages = store.page_findings(ids)
            archived = store.archived_page_findings(ids)
            for row in batch:
                yield _link_report(row, pages.get(row.link_id, ()), archived.get(row.link_id, ()))

    def _link_report(
        row: ReportRow, pages: Sequence[PageFinding], archived: Sequence[ArchivedPageFinding]
    ) -> LinkReport:
        state = row.state
        extra: dict[str, object] = {"drift": dict(state.drift) if state.drift else None}
        if schedule is not None:
            due = next_due(state, schedule)
            extra["next_due"] = due.isoformat() if due is not None else None
        return LinkReport(
            state=state,
            citations=row.citations,
            history=row.history,
            archive_url=row.archive_url,
            archive_timestamp=row.archive_timestamp,
            extra=extra,
            detail=row.detail,
            check_count=row.check_count,
            archive_name=row.archive_name,
            archive_copies=row.archive_copies,
            pages=pages,
            archived_pages=archived,
        )

    last = store.last_changes()
    return Report(
        generated_at=now,
        summary=store.status_counts(),
        links=links,
        links_latest=links,
        timeline=store.run_timeline(TIMELINE_RUNS),
        changes=last[1] if last else {},
        changes_at=last[0] if last else None,
        drifted=lambda: store.active_links(drifted_only=True),
        last_run=store.last_run(),
    )
