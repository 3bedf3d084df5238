"""store/pages.py: cited pages remembered, findings replaced, migration 0006 portable."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from citecheck.models import Citation
from citecheck.pages.models import PAGE_MOVED, PageAnswer, PageBaseline, PageFinding
from citecheck.store import Store
from citecheck.store.schema import PAGES_DDL

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
URL = "https://edri.org/rise.pdf"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(tmp_path / "archive.db") as opened:
        opened.sync_citations(
            [
                Citation(URL, document="a.md", line=1, page="67", context="a claim"),
                Citation(URL, document="a.md", line=2, page="67", context="a claim"),
                Citation(URL, document="a.md", line=3, page="92"),
                Citation(URL, document="a.md", line=4),
                Citation("https://other.test/", document="a.md", line=5),
            ],
            now=NOW,
        )
        yield opened


def _baseline(label: str, pdf_page: int, terms: tuple[str, ...] = ("scent",)) -> PageBaseline:
    return PageBaseline(label, pdf_page, "00ff00ff00ff00ff", terms, "labels", NOW)


def test_the_question_holds_distinct_citations_with_a_page_or_claim(store: Store) -> None:
    question = store.page_question(URL)
    assert question is not None
    assert [(c.page, c.claim) for c in question.citations] == [("67", "a claim"), ("92", None)]
    assert question.baselines == {}
    assert store.page_question("https://other.test/") is None
    assert store.page_question("https://never.test/") is None


def test_baselines_are_kept_from_the_first_sight_and_findings_replaced(store: Store) -> None:
    first = PageFinding("67", "a claim", support=0.5, terms_found=("a", "b"), terms_total=3,
                        pdf_page=69, fix_page=69, numbering="labels", checked_at=NOW)  # fmt: skip
    store.record_pages(URL, PageAnswer((first,), (_baseline("67", 69),)))
    moved = PageFinding("67", "a claim", PAGE_MOVED, "p.67 is now p.69", pdf_page=71,
                        fix_page=69, checked_at=NOW)  # fmt: skip
    store.record_pages(URL, PageAnswer((moved,), (_baseline("67", 71, ("other",)),)))

    question = store.page_question(URL)
    assert question is not None
    assert question.baselines == {"67": _baseline("67", 69)}  # the first sight stands
    assert store.remembered_pages(URL) == {"67": 69}
    (link_id,) = store.page_findings(range(1, 10))  # the one link with findings
    assert store.page_findings([link_id]) == {link_id: [moved]}


def test_findings_read_back_as_written(store: Store) -> None:
    finding = PageFinding(None, "a claim", support=0.25, terms_found=("x",), terms_total=4,
                          best_page="12", best_support=0.9, checked_at=NOW)  # fmt: skip
    store.record_pages(URL, PageAnswer((finding,)))
    (found,) = store.page_findings([1]).values()
    assert found == [finding]
    assert store.page_findings([]) == {}


def test_recording_for_an_unknown_link_does_nothing(store: Store) -> None:
    store.record_pages("https://never.test/", PageAnswer((PageFinding("1", None),)))
    assert store.page_findings([1, 2, 3]) == {}


def test_migration_0006_is_plain_sql_any_backend_runs() -> None:
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE links (id INTEGER PRIMARY KEY)")
    for statement in PAGES_DDL:
        assert "AUTOINCREMENT" not in statement and "WITHOUT ROWID" not in statement
        conn.execute(statement)
    columns = {row[1]: row[2] for row in conn.execute("PRAGMA table_info(page_findings)")}
    assert set(columns.values()) == {"INTEGER", "TEXT", "REAL"}
