"""build_report: one paged read of the store per report, only what the format shows."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from report_fixtures import NOW, fill_fixture_store, fixture_links

from citecheck.report import FORMATS, LinkReport, Report, write_report
from citecheck.report.build import build_report
from citecheck.report.csv import HISTORY_IN_CSV
from citecheck.store import Store


@pytest.fixture(scope="module")
def db_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("build") / "archive.db"
    fill_fixture_store(path)
    return path


@pytest.fixture
def store(db_path: Path) -> Iterator[Store]:
    with Store.open(db_path, create=False) as opened:
        yield opened


def test_timeline_is_the_check_runs_that_ended_oldest_first(store: Store) -> None:
    report = build_report(store, now=NOW)
    expected = [
        (run["finished_at"], run["summary"])
        for run in reversed(store.runs(limit=100))
        if run["command"] in ("check", "run") and run["outcome"] in ("finished", "offline")
    ]
    assert len(expected) == 7  # not the archive run, nor interrupted, failed or running ones
    assert list(report.timeline) == expected
    assert [when for when, _ in report.timeline] == sorted(when for when, _ in report.timeline)
    out = io.StringIO()
    write_report(report, "html", out)
    assert len(BeautifulSoup(out.getvalue(), "html.parser").select("svg#chart g.run")) == 7


@pytest.mark.parametrize(
    ("fmt", "latest"), [("json", None), ("md", 0), ("html", None), ("csv", HISTORY_IN_CSV)]
)
def test_each_format_reads_only_the_history_it_shows(
    store: Store, monkeypatch: pytest.MonkeyPatch, fmt: str, latest: int | None
) -> None:
    asked: list[int | None] = []
    read = store.iter_report_rows

    def recording(*, latest: int | None = None) -> Iterator:
        asked.append(latest)
        return read(latest=latest)

    monkeypatch.setattr(store, "iter_report_rows", recording)
    write_report(build_report(store, now=NOW), fmt, io.StringIO())
    assert asked == [latest]


def test_links_carry_their_detail_copy_and_count_without_history(store: Store) -> None:
    report = build_report(store, now=NOW)
    full = {link.state.url: link for link in report.iter_links()}
    bare = {link.state.url: link for link in report.iter_links(latest=0)}
    assert list(full) == list(bare)
    gone = "https://example.org/gone"
    assert bare[gone].history == () and full[gone].checks == 8
    for url, link in full.items():
        assert (bare[url].detail, bare[url].archive_url, bare[url].archive_timestamp) == (
            link.detail,
            link.archive_url,
            link.archive_timestamp,
        )
    assert full[gone].archive_timestamp == "20231120101010"
    assert full["https://slow.example.com/"].archive_url is None  # looked up, none found


def test_a_report_without_a_partial_stream_gives_full_histories() -> None:
    links = fixture_links()
    report = Report(generated_at=NOW, summary={}, links=lambda: iter(links))
    for latest in (None, 0, 3):
        assert list(report.iter_links(latest=latest)) == links


def test_checks_counts_the_history_unless_told_otherwise() -> None:
    link = fixture_links()[0]
    assert link.checks == len(link.history) == 100
    cut = LinkReport(link.state, link.citations, link.history[-2:], check_count=100)
    assert cut.checks == 100


def test_every_format_writes_the_same_from_a_store_twice(store: Store) -> None:
    report = build_report(store, now=NOW)
    for fmt in FORMATS:
        first, second = io.StringIO(), io.StringIO()
        write_report(report, fmt, first)
        write_report(report, fmt, second)
        assert first.getvalue() == second.getvalue()


def test_every_format_says_an_offline_last_run_at_its_top() -> None:
    from datetime import timedelta

    from citecheck.models import LastRun
    from citecheck.report import run_notice

    last = LastRun("run", "offline", NOW, NOW, NOW - timedelta(days=1))
    report = Report(generated_at=NOW, summary={}, links=lambda: iter(()), last_run=last)
    notice = run_notice(report, lambda moment: moment.date().isoformat() if moment else "never")
    assert notice is not None and "found the network unreachable" in notice
    assert f"The last complete check was {(NOW - timedelta(days=1)).date()}." in notice
    before = {"md": "| Status", "html": "At a glance", "json": '"links"'}
    for fmt, marker in before.items():
        out = io.StringIO()
        write_report(report, fmt, out)
        text = out.getvalue()
        assert 0 <= text.find("found the network unreachable") < text.index(marker), fmt
    finished = Report(generated_at=NOW, summary={}, links=lambda: iter(()),
                      last_run=LastRun("run", "finished", NOW, NOW, NOW))  # fmt: skip
    assert run_notice(finished, str) is None
