"""archive/pages.py: which archived copies have their cited pages read, the raw
capture URL, and what a copy that cannot be read leaves on its citations."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from citecheck.archive.pages import _question, _unfetched, raw_capture_url
from citecheck.captures import Snapshot
from citecheck.models import Citation, FetchOutcome, Reason
from citecheck.pages.models import PAGE_MISSING, PAGES_UNREAD, ArchivedPageFinding, PageFinding
from citecheck.store import Store

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
URL = "https://edri.org/rise.pdf"
TS = "20210714093000"
REPLAY = f"https://web.archive.org/web/{TS}/{URL}"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(tmp_path / "archive.db") as opened:
        opened.sync_citations(
            [
                Citation(URL, document="a.md", line=1, page="67", context="a claim"),
                Citation(URL, document="a.md", line=2, page="118-122"),
                Citation(URL, document="a.md", line=3),  # no page: nothing to read
            ],
            now=NOW,
        )
        yield opened


def _row(store: Store, *, chosen: bool = True, mimetype: str = "application/pdf"):
    (row,) = store.iter_archive_rows()
    if chosen:
        snapshot = Snapshot(TS, URL, 200, mimetype)
        store.record_lookup(
            row.link_id,
            looked_up_at=NOW,
            anchor=None,
            found=[(snapshot, None)],
            chosen=snapshot,
            archive_url=REPLAY,
        )
        (row,) = store.iter_archive_rows()
    return row


def _archived(page: str, timestamp: str | None, finding: str | None = None, pdf_page=None):
    found = PageFinding(page, None, finding, pdf_page=pdf_page, checked_at=NOW)
    return ArchivedPageFinding(REPLAY, timestamp, found)


def test_the_raw_capture_is_the_id_form_of_the_replay_url() -> None:
    assert raw_capture_url(REPLAY, TS) == f"https://web.archive.org/web/{TS}id_/{URL}"
    assert raw_capture_url("https://archive.ph/abcd", TS) is None


def test_a_copy_is_read_once_unless_it_could_not_be_fetched(store: Store) -> None:
    assert _question(store, _row(store, chosen=False)) is None  # no copy chosen
    row = _row(store)
    question = _question(store, row)
    assert question is not None
    assert sorted(c.page for c in question.citations) == ["118-122", "67"]

    store.record_archived_pages(row.link_id, [_archived("67", TS), _archived("118-122", TS)])
    assert _question(store, row) is None  # read: not again
    store.record_archived_pages(row.link_id, [_archived("67", None, PAGES_UNREAD)])
    assert _question(store, row) is not None  # could not be fetched: asked again
    store.record_archived_pages(row.link_id, [_archived("67", TS)])
    assert _question(store, row) is not None  # a page cited since is not read yet


def test_only_a_copy_of_a_pdf_is_read(store: Store) -> None:
    assert _question(store, _row(store, mimetype="text/html")) is None
    assert _question(store, _row(store, mimetype="warc/revisit")) is not None  # a .pdf path


def test_fix_takes_the_archived_copys_pages_over_the_first_sight(store: Store) -> None:
    row = _row(store)
    store.record_archived_pages(
        row.link_id,
        [_archived("67", TS, pdf_page=71), _archived("118-122", TS, PAGE_MISSING)],
    )
    assert store.remembered_pages(URL) == {}
    assert store.remembered_pages(URL, archived_at=TS) == {"67": 71}  # 118 is not there
    assert store.remembered_pages(URL, archived_at="20200101000000") == {}
    store.record_archived_pages(row.link_id, [_archived("67", TS, PAGES_UNREAD)])
    assert store.remembered_pages(URL, archived_at=TS) == {}  # unread: no guess
    (stored,) = store.archived_page_findings([row.link_id])[row.link_id]
    assert stored.finding.finding == PAGES_UNREAD and stored.archive_url == REPLAY


@pytest.mark.parametrize(
    ("outcome", "why", "again"),
    [
        (FetchOutcome(URL, URL, error=Reason.TIMEOUT, error_detail="timed out"),
         "the archived copy could not be fetched (timed out)", True),
        (FetchOutcome(URL, URL, 503), "the archive answered 503 for the archived copy", True),
        (FetchOutcome(URL, URL, 404), "the archive answered 404 for the archived copy", False),
        (FetchOutcome(URL, URL, 200, {"content-type": "text/html"}, body=b"<html>"),
         "the archived copy is not a PDF (text/html)", False),
    ],
)  # fmt: skip
def test_a_copy_that_cannot_be_read_says_why_and_whether_to_ask_again(
    outcome: FetchOutcome, why: str, again: bool
) -> None:
    assert _unfetched(outcome) == (why, again)


def test_a_pdf_copy_is_read() -> None:
    pdf = FetchOutcome(URL, URL, 200, {"content-type": "application/pdf"}, body=b"%PDF-1.7")
    assert _unfetched(pdf) is None
