"""Reads and writes by the batch (store/batches.py), and the chunked sync, on both backends."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

from citecheck.models import CheckResult, Citation, Hop, LinkState, PageSnapshot, Reason, Status
from citecheck.store import PendingCheck, Store, batches, connection, links, rows
from citecheck.store.rows import time_text
from citecheck.store.runs import baseline_row, check_row, state_row

T0 = datetime(2024, 5, 6, 3, 0, tzinfo=UTC)


def _result(url: str, status: Status = Status.OK, **fields) -> CheckResult:
    return CheckResult(url=url, checked_at=T0, status=status, **fields)


def _pending(
    run_id: int, result: CheckResult, state: LinkState, baseline=None, link_id=None
) -> PendingCheck:
    checked_at = time_text(result.checked_at)
    return PendingCheck(
        url=state.url,
        checked_at=checked_at,
        check=check_row(link_id, run_id, checked_at, result),
        state=state_row(state, link_id),
        baseline=None if baseline is None else baseline_row(baseline, link_id),
        link_id=link_id,
    )


def _state(url: str, **fields) -> LinkState:
    base = {"url": url, "status": Status.OK, "checked_at": T0, "ever_ok": True}
    return LinkState(**{**base, **fields})


def test_a_batch_records_what_record_check_records_one_by_one(store_backend: str) -> None:
    one, batched = "https://a.example/one", "https://a.example/batched"
    result = dict(
        http_status=301,
        reason=Reason.HTTP_ERROR,
        final_url="https://a.example/final",
        redirects=(Hop("https://a.example/x", 301, "/final"),),
        title="A title",
        content_type="text/html",
        elapsed_ms=12,
        etag='"e"',
        text_fingerprint="f" * 16,
    )
    state = dict(title="A title", etag='"e"', drift={"title": "Old"}, last_ok_at=T0)
    baseline = PageSnapshot("First", "0" * 16, T0 - timedelta(days=3))
    with Store.open(store_backend) as store:
        store.sync_citations([Citation(one), Citation(batched)], now=T0)
        run_id = store.begin_run("run", now=T0, worker=True)
        store.record_check(run_id, _result(one, **result), _state(one, **state), baseline=baseline)
        pending = _pending(run_id, _result(batched, **result), _state(batched, **state), baseline)
        store.record_checks(run_id, [pending])
        assert [dataclasses.replace(c, url="") for c in store.history(one)] == [
            dataclasses.replace(c, url="") for c in store.history(batched)
        ]
        assert dataclasses.replace(store.link_state(one), url="") == dataclasses.replace(
            store.link_state(batched), url=""
        )
        assert store.drift_baseline(one) == store.drift_baseline(batched) == baseline
        assert store.runs()[0]["links_checked"] == 2


def test_a_batch_is_written_in_order_and_creates_a_link_never_synced(store_backend: str) -> None:
    known, unknown = "https://a.example/known", "https://b.example/new"
    with Store.open(store_backend) as store:
        store.sync_citations([Citation(known)], now=T0)
        run_id = store.begin_run("run", now=T0, worker=True)
        down = _state(unknown, status=Status.FAILING, ever_ok=False)
        known_down = dataclasses.replace(down, url=known)
        store.record_checks(
            run_id,
            [
                _pending(run_id, _result(known), _state(known)),
                _pending(run_id, _result(unknown, Status.FAILING), down),
                _pending(run_id, _result(known, Status.FAILING), known_down),
            ],
        )
        assert [c.status for c in store.history(known)] == [Status.OK, Status.FAILING]
        assert store.link_state(known).status is Status.FAILING  # the later state stands
        assert [c.status for c in store.history(unknown)] == [Status.FAILING]
        assert store.runs()[0]["links_checked"] == 3
        store.record_checks(run_id, [])  # nothing to write: no transaction, no change
        assert store.runs()[0]["links_checked"] == 3


def test_links_are_read_a_chunk_at_a_time_with_baselines_and_cited_pages(
    store_backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(batches, "READ_CHUNK", 2)
    urls = [f"https://a.example/{n}" for n in range(5)]
    citations = [Citation(url) for url in urls] + [Citation(urls[3], page="12")]
    baseline = PageSnapshot("First", "0" * 16, T0)
    with Store.open(store_backend) as store:
        store.sync_citations(citations, now=T0)
        run_id = store.begin_run("run", now=T0)
        store.record_check(run_id, _result(urls[1]), _state(urls[1]), baseline=baseline)
        read = store.read_links([*urls, "https://a.example/never-cited"])
    assert list(read) == urls  # the unknown key is left out
    assert read[urls[1]].baseline == baseline
    assert read[urls[1]].state == _state(urls[1])
    assert [read[url].cites_pages for url in urls] == [False, False, False, True, False]
    assert read[urls[0]].state.checked_at is None and read[urls[0]].baseline is None


def test_a_run_reads_every_active_link_with_its_baseline_and_cited_pages_a_page_at_a_time(
    store_backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A plain check reads what it needs of each link with the link (store.LinkRead),
    in the order and the pages of active_links: no query a link after that."""
    monkeypatch.setattr(connection, "PAGE_SIZE", 2)
    urls = [f"https://a.example/{n}" for n in range(5)]
    citations = [Citation(url) for url in urls] + [Citation(urls[2], context="a claim")]
    citations += [Citation(urls[1], title="A title"), Citation(urls[3], title="")]
    baseline = PageSnapshot("First", "0" * 16, T0)
    with Store.open(store_backend) as store:
        store.sync_citations([*citations, Citation("https://a.example/dropped")], now=T0)
        store.sync_citations(citations, now=T0)  # the last one is no longer cited
        run_id = store.begin_run("run", now=T0)
        store.record_check(run_id, _result(urls[4]), _state(urls[4]), baseline=baseline)
        reads = list(store.active_link_reads())
        assert [read.state for read in reads] == list(store.active_links())
    assert [read.state.url for read in reads] == urls
    assert [read.baseline for read in reads] == [None, None, None, None, baseline]
    assert [read.cites_pages for read in reads] == [False, False, True, False, False]
    assert [read.cites_titles for read in reads] == [False, True, False, False, False]


def test_a_baseline_row_that_cannot_be_read_fails_where_it_is_used_not_in_the_read(
    store_backend: str,
) -> None:
    with Store.open(store_backend) as store:
        store.sync_citations([Citation("https://a.example/bad")], now=T0)
        with store._conn.write():
            store._conn.execute("UPDATE links SET baseline_at = 'not a time'")
        (read,) = store.active_link_reads()  # the link is read (its state is sound)
        with pytest.raises(ValueError):
            read.baseline  # noqa: B018 (the recorder's guard makes this the link's error)


def test_a_sync_in_chunks_keeps_the_ids_and_counts_of_one_by_one(
    store_backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(links, "_SYNC_CHUNK", 3)
    cited = ["https://a.example/1", "https://a.example/2", None, "https://a.example/1",
             "not a url", "https://A.example/2", "https://a.example/3",
             "https://a.example/4"]  # fmt: skip
    with Store.open(store_backend) as store:
        store.sync_citations([Citation("https://a.example/3")], now=T0)
        summary = store.sync_citations(
            [Citation(url, document="d.md", line=n) for n, url in enumerate(cited)], now=T0
        )
        assert (summary.citations, summary.new_links, summary.invalid_urls) == (8, 4, 1)
        assert (summary.active_links, summary.dropped_links) == (5, 0)
        ids = store._conn.execute("SELECT url, id FROM links ORDER BY id").fetchall()
        positions = store._conn.execute(
            "SELECT position, line, link_id IS NULL FROM citations ORDER BY position"
        ).fetchall()
    # links created in the order they are first cited, after the one synced before
    assert [url for url, _ in ids] == [
        "https://a.example/3", "https://a.example/1", "https://a.example/2", "not a url",
        "https://a.example/4",
    ]  # fmt: skip
    assert positions == [(n, n, url is None) for n, url in enumerate(cited)]


def test_a_batch_of_links_read_with_their_ids_is_written_without_looking_them_up(
    store_backend: str,
) -> None:
    """The links a run reads come with their ids (LinkRead.link_id): their batch is
    written with no query by URL, and a check given a link's id is recorded on it."""
    urls = [f"https://a.example/{n}" for n in range(3)]
    with Store.open(store_backend) as store:
        store.sync_citations([Citation(url) for url in urls], now=T0)
        run_id = store.begin_run("run", now=T0)
        reads = {read.state.url: read for read in store.active_link_reads()}
        assert [reads[url].link_id for url in urls] == [
            store._conn.execute("SELECT id FROM links WHERE url = ?", (url,)).fetchone()[0]
            for url in urls
        ]
        baseline = PageSnapshot("First", "0" * 16, T0)
        pending = [
            _pending(run_id, _result(url), _state(url), baseline if n else None, reads[url].link_id)
            for n, url in enumerate(urls)
        ]
        sent: list[str] = []
        execute, executemany = store._conn.execute, store._conn.executemany
        store._conn.execute = lambda sql, *args: sent.append(sql) or execute(sql, *args)
        store._conn.executemany = lambda sql, rows: sent.append(sql) or executemany(sql, rows)
        store.record_checks(run_id, pending)
        del store._conn.execute, store._conn.executemany
        assert not [sql for sql in sent if sql.lstrip().upper().startswith("SELECT")]
        assert [len(store.history(url)) for url in urls] == [1, 1, 1]
        assert [store.drift_baseline(url) for url in urls] == [None, baseline, baseline]
        assert store.link_state(urls[0]) == _state(urls[0])


def test_link_columns_follow_linkstate_fields() -> None:
    """rows.link_state_of builds a LinkState from a row by position."""
    columns = [name.strip() for name in rows.LINK_COLUMNS.split(",")]
    assert columns[0] == "id"
    assert columns[1:] == [field.name for field in dataclasses.fields(LinkState)]
