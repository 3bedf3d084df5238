"""The rows the store hands to the other commands: a report's, an archive run's, a fix's.

Each belongs to its queries (reports.py, wayback.py, fixes.py) and is imported by
the query that builds it: a check builds none, and a frozen dataclass costs about 4
million instructions to create, at every start (issue 11, BENCHMARKS.md's
thirteenth step). ``citecheck.store`` re-exports them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from ..models import Citation, HistoryEntry, LinkState

if TYPE_CHECKING:
    from ..captures import ArchiveLookup, CaptureRecord


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
    #: The archive holding the chosen copy, and how many archives hold one (None: not counted).
    archive_name: str | None = None
    archive_copies: int | None = None


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
class FixRecord:
    """One URL swapped in a document by ``citecheck fix --write``.

    ``start``/``end`` are byte offsets in the document as it was before the fix,
    ``old_text``/``new_text`` the exact bytes, so ``--undo`` can put them back.
    For Word documents ``part`` is the document part of the hyperlink and
    ``rels_member``/``rel_id`` the relationship whose target changed (``text_too``:
    hyperlink texts that were the URL changed too); offsets and texts are empty.
    ``old_sha256``/``new_sha256`` are the whole document's digests before and after
    the batch, set while the batch is pending.
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
    rels_member: str | None = None
    rel_id: str | None = None
    text_too: bool = False
    old_sha256: str | None = None
    new_sha256: str | None = None
