"""A plain check's links read with what their check needs (pipeline, recorder.LinksInFlight):
no query a link for their drift baselines or cited pages, the same judgements."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from citecheck.config import Settings
from citecheck.incidents import error_log_path
from citecheck.models import Citation, Reason, Status
from citecheck.pipeline import check_links_in_store
from citecheck.store import Store

T0 = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)


def _article(title: str, text: str) -> str:
    return f"<html><head><title>{title}</title></head><body><article><p>{text}</p></article>"


STORY = _article(
    "Border cameras",
    "The regional police have used a face recognition system at the border crossing since "
    "the spring according to documents obtained by the campaign and seen by reporters",
)
REWRITE = _article(
    "Cycling report",
    "This page now hosts the annual report on cycling infrastructure with new lanes parking "
    "for bicycles and a survey of commuters across the whole of the capital region",
)


def _settings(fake_web) -> Settings:
    return Settings(probe_urls=(fake_web.url("/ok"),), soft404_probe=False)


def test_a_check_asks_no_query_a_link_and_still_finds_drift_and_cited_pages(
    store_backend: str, fake_web, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    fake_web.page("/story", body=STORY)
    story, claimed = fake_web.url("/story"), fake_web.url("/page/claimed")
    plain = [fake_web.url(f"/page/p{n}") for n in range(4)]
    citations = [Citation(url) for url in [story, claimed, *plain]]
    citations.append(Citation(claimed, context="A page."))
    asked: dict[str, list[str]] = {"page_question": [], "drift_baseline": []}
    for name, calls in asked.items():
        original = getattr(Store, name)

        def counting(self, url, _original=original, _calls=calls):
            _calls.append(url)
            return _original(self, url)

        monkeypatch.setattr(Store, name, counting)
    with Store.open(store_backend) as store:
        store.sync_citations(citations, now=T0)
        first = check_links_in_store(store, _settings(fake_web), clock=lambda: T0)
        fake_web.page("/story", body=REWRITE)
        later = T0 + timedelta(days=1)
        second = check_links_in_store(store, _settings(fake_web), clock=lambda: later)
        assert asked == {"page_question": [claimed, claimed], "drift_baseline": []}
        assert first.counts["ok"] == second.counts["ok"] == 6
        assert second.changes["newly_drifted"] == [story]
        drift = store.link_state(story).drift
        assert drift is not None and drift["before_title"] == "Border cameras"
        assert store.page_findings([1, 2])[2][0].claim == "A page."  # the claim was read


def test_a_baseline_it_cannot_read_is_that_links_internal_error_and_the_run_goes_on(
    store_backend: str, fake_web, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    bad, good = fake_web.url("/page/bad"), fake_web.url("/page/good")
    with Store.open(store_backend) as store:
        store.sync_citations([Citation(bad), Citation(good)], now=T0)
        check_links_in_store(store, _settings(fake_web), clock=lambda: T0)
        with store._conn.write():
            store._conn.execute("UPDATE links SET baseline_at = 'not a time' WHERE url = ?", (bad,))
        later = T0 + timedelta(days=1)
        summary = check_links_in_store(store, _settings(fake_web), clock=lambda: later)
        assert summary.checked == 2 and summary.counts["ok"] == 1
        state = store.link_state(bad)
        assert (state.status, state.reason) == (Status.BLOCKED, Reason.INTERNAL_ERROR)
        assert store.link_state(good).status is Status.OK
        log = error_log_path(store.path)
    assert "not a time" in log.read_text()
