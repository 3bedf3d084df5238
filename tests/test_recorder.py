"""A worker's results recorded by the batch (recorder.py), and what a kill -9 loses."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from citecheck.config import Settings
from citecheck.incidents import IncidentLog
from citecheck.models import CheckResult, Citation, Reason, Status
from citecheck.recorder import CheckRecorder
from citecheck.store import Store
from citecheck.urls import host_key
from citecheck.workers import work_due_hosts

T0 = datetime(2024, 5, 6, 3, 0, tzinfo=UTC)
LEASE_S = 60.0


def _ok(url: str, at: datetime = T0) -> CheckResult:
    return CheckResult(url=url, checked_at=at, status=Status.OK, http_status=200)


def _recorder(store: Store, run_id: int, tmp_path: Path, written: list[str], **kw) -> CheckRecorder:
    log = IncidentLog(tmp_path / "archive-errors.log")
    return CheckRecorder(store, run_id, Settings(), log, written.extend, **kw)


def test_checks_wait_for_their_batch_and_are_written_together(
    store_backend: str, tmp_path: Path
) -> None:
    urls = [f"https://a.example/{n}" for n in range(5)]
    written: list[str] = []
    with Store.open(store_backend) as store:
        store.sync_citations([Citation(url) for url in urls], now=T0)
        run_id = store.begin_run("run", now=T0, worker=True)
        recorder = _recorder(store, run_id, tmp_path, written, max_checks=3)
        states = [recorder.add(store.link_state(url), _ok(url), None) for url in urls[:2]]
        assert [state.status for state in states] == [Status.OK] * 2  # judged at once
        assert recorder.waiting == 2 and written == []
        assert store.history(urls[0]) == []  # nothing written yet
        recorder.add(store.link_state(urls[2]), _ok(urls[2]), None)  # the batch is full
        assert written == urls[:3] and recorder.waiting == 0
        assert [len(store.history(url)) for url in urls] == [1, 1, 1, 0, 0]
        recorder.add(store.link_state(urls[3]), _ok(urls[3]), None)
        recorder.flush()  # the worker's timer, or its end
        assert written == urls[:4]
        assert store.link_state(urls[3]).status is Status.OK
        assert store.runs()[0]["links_checked"] == 4
        recorder.flush()  # nothing waiting: nothing written, no call
        assert written == urls[:4]


def test_a_bug_while_judging_is_recorded_on_the_link_as_an_internal_error(
    store_backend: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr("citecheck.judges.judge", broken)
    written: list[str] = []
    with Store.open(store_backend) as store:
        store.sync_citations([Citation("https://a.example/bug")], now=T0)
        run_id = store.begin_run("run", now=T0, worker=True)
        recorder = _recorder(store, run_id, tmp_path, written)
        state = recorder.add(None, _ok("https://a.example/bug"), None)
        recorder.flush()
        assert (state.status, state.reason) == (Status.BLOCKED, Reason.INTERNAL_ERROR)
        (check,) = store.history("https://a.example/bug")
    assert check.reason is Reason.INTERNAL_ERROR
    assert "a bug" in (tmp_path / "archive-errors.log").read_text()


def test_a_run_reads_each_2xx_links_baseline_inside_the_same_guard(
    store_backend: str, tmp_path: Path
) -> None:
    """A run's recorder reads the drift baseline itself (read_baseline), for 2xx
    results only; a bug in that read is the link's internal_error, not the run's end,
    while the store's own errors still stop the run."""
    from citecheck.errors import StoreError

    asked: list[str] = []

    def broken(url: str):
        asked.append(url)
        raise RuntimeError("a bad baseline row")

    written: list[str] = []
    with Store.open(store_backend) as store:
        urls = ["https://a.example/ok", "https://a.example/gone"]
        store.sync_citations([Citation(url) for url in urls], now=T0)
        run_id = store.begin_run("run", now=T0)
        recorder = _recorder(store, run_id, tmp_path, written, read_baseline=broken)
        gone = CheckResult(url=urls[1], checked_at=T0, status=Status.BROKEN, http_status=404)
        assert recorder.add(None, gone, None).status is Status.BROKEN  # not read: no 2xx
        state = recorder.add(None, _ok(urls[0]), None)
        recorder.flush()
        assert asked == [urls[0]]
        assert (state.status, state.reason) == (Status.BLOCKED, Reason.INTERNAL_ERROR)
        assert "a bad baseline row" in (tmp_path / "archive-errors.log").read_text()

        def store_down(url: str):
            raise StoreError("the database is locked")

        stopping = _recorder(store, run_id, tmp_path, written, read_baseline=store_down)
        with pytest.raises(StoreError):
            stopping.add(None, _ok(urls[0]), None)


def test_a_killed_workers_unwritten_batch_is_checked_again_once_by_the_next_worker(
    store_backend: str, fake_web, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """kill -9 loses the checks waiting for their batch (at most BATCH_CHECKS, or
    FLUSH_EVERY_S worth): none of them is in the database, so their links are still
    due, and the dead worker's lease on their host (never released: a host is released
    only when all its checks are written) lapses; the next worker checks them, once."""
    monkeypatch.chdir(tmp_path)
    urls = [fake_web.url(f"/page/p{n}") for n in range(6)]
    settings = Settings(probe_urls=(fake_web.url("/ok"),), soft404_probe=False)
    written: list[str] = []
    with Store.open(store_backend) as store:
        store.sync_citations([Citation(url) for url in urls], now=T0)
        dead_run = store.begin_run("run", now=T0, worker=True)
        lease = timedelta(seconds=LEASE_S)
        host = host_key(urls[0])
        assert store.claim_host(host, holder="1@gone", run_id=dead_run, now=T0, lease=lease)
        recorder = _recorder(store, dead_run, tmp_path, written)
        for url in urls[:2]:
            recorder.add(store.link_state(url), _ok(url), None)
        recorder.flush()
        for url in urls[2:4]:  # judged, waiting for the batch: then kill -9
            recorder.add(store.link_state(url), _ok(url), None)
        assert written == urls[:2]
        assert [len(store.history(url)) for url in urls] == [1, 1, 0, 0, 0, 0]

    after_lease = T0 + lease + timedelta(seconds=1)
    with Store.open(store_backend) as store:
        outcome = work_due_hosts(store, settings, clock=lambda: after_lease, lease_s=LEASE_S)
        assert outcome.outcome == "finished" and outcome.checked == 4
        assert [len(store.history(url)) for url in urls] == [1] * 6
        assert store.host_lease(host) is None  # released once all were written
    fetched = [fake_web.count(f"/page/p{n}") for n in range(6)]
    assert fetched == [0, 0, 1, 1, 1, 1]  # the first two stand as the dead worker wrote them
