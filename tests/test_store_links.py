"""store/links.py: a sync writes only from the first citation that differs from what
is stored, and ends as deleting every citation and inserting them all would."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from citecheck.models import Citation
from citecheck.store import Store
from citecheck.store import links as links_module

T0 = datetime(2026, 1, 1, tzinfo=UTC)
LATER = T0 + timedelta(days=1)
ROWS = (
    "SELECT links.url, c.url_as_cited, c.document, c.line, c.position, c.col, c.title,"
    " c.context, c.page, c.accessed, c.extra"
    " FROM citations AS c LEFT JOIN links ON links.id = c.link_id ORDER BY c.position"
)


def _citations(count: int, **changed: Citation) -> list[Citation]:
    rows = [
        Citation(url=f"https://example.org/{i % 5}/{i}", document="d.md", line=i + 1)
        for i in range(count)
    ]
    for at, citation in changed.items():
        rows[int(at.removeprefix("at"))] = citation
    return rows


FIRST = [
    *_citations(8),
    Citation(url=None, title="A book"),
    Citation(url="  not a url  ", extra={"note": "é"}),
    Citation(url="https://example.org/x", page="3", accessed="2024-01-02", context="c"),
]

SECOND = {
    "unchanged": FIRST,
    "empty": [],
    "one more": [*FIRST, Citation(url="https://example.org/new")],
    "one fewer": FIRST[:-1],
    "first differs": [Citation(url="https://example.org/0/0", line=9), *FIRST[1:]],
    "a middle row retitled": [*FIRST[:5], Citation(url=FIRST[5].url, title="T"), *FIRST[6:]],
    "a new link mid-way": [*FIRST[:4], Citation(url="https://example.org/n"), *FIRST[5:]],
    "a link no longer cited": [c for c in FIRST if c.url != "https://example.org/x"],
    "two rows swapped": [FIRST[1], FIRST[0], *FIRST[2:]],
    "the url as written": [*FIRST[:3], Citation(url="HTTPS://example.org/3/3"), *FIRST[4:]],
    "extra changed": [*FIRST[:9], Citation(url="  not a url  ", extra={"note": "e"}), FIRST[10]],
    "a title-only row dropped": [*FIRST[:8], *FIRST[9:]],
}


def _plain_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """Write every row, as a sync did before it compared them with the stored ones."""

    def write_all(self: links_module._Sync, rows: list[tuple], ids: dict[str, int]) -> int:
        self._start_writing()
        return 0

    monkeypatch.setattr(links_module._Sync, "_matching", write_all)


def _synced(path: Path, second: list[Citation]) -> Iterator[object]:
    with Store.open(path) as store:
        store.sync_citations(FIRST, now=T0)
        summary = store.sync_citations(second, now=LATER)
        yield summary
        yield store._conn.execute(ROWS).fetchall()
        yield store._conn.execute("SELECT url, first_seen_at FROM links ORDER BY id").fetchall()
        yield [link.url for link in store.active_links()]


@pytest.mark.parametrize("chunk", [1, 3, 500])
@pytest.mark.parametrize("case", list(SECOND))
def test_a_sync_ends_as_writing_every_row_does(
    case: str, chunk: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(links_module, "_SYNC_CHUNK", chunk)
    compared = list(_synced(tmp_path / "compared.db", SECOND[case]))
    _plain_path(monkeypatch)
    assert compared == list(_synced(tmp_path / "plain.db", SECOND[case]))


def test_an_unchanged_reload_writes_no_citation(store_backend: str) -> None:
    with Store.open(store_backend) as store:
        first = store.sync_citations(FIRST, now=T0)
        ids = store._conn.execute("SELECT id FROM citations ORDER BY id").fetchall()
        again = store.sync_citations(FIRST, now=LATER)
        assert store._conn.execute("SELECT id FROM citations ORDER BY id").fetchall() == ids
    assert again == type(first)(
        citations=11, active_links=first.active_links, new_links=0, dropped_links=0, invalid_urls=1
    )


def test_a_failed_sync_after_matching_rows_leaves_the_citations_as_they_were(
    store_backend: str,
) -> None:
    def changed_then_failure() -> Iterator[Citation]:
        yield from FIRST[:3]
        yield Citation(url="https://example.org/changed")
        raise RuntimeError("the sources file went away")

    with Store.open(store_backend) as store:
        store.sync_citations(FIRST, now=T0)
        before = store._conn.execute(ROWS).fetchall()
        with pytest.raises(RuntimeError):
            store.sync_citations(changed_then_failure(), now=LATER)
        assert store._conn.execute(ROWS).fetchall() == before
        assert store.link_state("https://example.org/changed") is None
