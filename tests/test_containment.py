"""Containment (issue 10): no input makes a unit raise, and a bug inside one unit is
recorded on it (``internal_error``, traceback in the error log) while the run goes on.

Property tests drive the real check unit (Checker.check over Fetcher) with httpx's
MockTransport answering random Content-Types, Retry-Afters, pages and URLs; the
archive's units are driven over a real store with a hostile or buggy client."""

from __future__ import annotations

import asyncio
import functools
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from servers import FakeWayback

from citecheck import judges
from citecheck.archive import archive_links
from citecheck.archive import job as archive_module
from citecheck.check import Checker, CheckRequest
from citecheck.cli import EXIT_FAILED, cli
from citecheck.config import ArchiveSettings, RateLimit, Settings
from citecheck.errors import ArchiveError
from citecheck.fetch import Fetcher
from citecheck.models import CheckResult, Citation, LinkState, Reason, Status
from citecheck.pipeline import check_links_in_store
from citecheck.store import Store

NOW = datetime(2026, 11, 1, 3, 0, tzinfo=UTC)
SETTINGS = Settings(max_attempts=2, backoff_s=0.0, probe_urls=("https://probe.example/",))
PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


async def _no_sleep(seconds: float) -> None:
    return None


def _check(
    url: str, status: int, headers: list[tuple[bytes, bytes]], page: bytes = b""
) -> CheckResult:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, headers=headers, stream=httpx.ByteStream(page))

    async def run() -> CheckResult:
        transport = httpx.MockTransport(answer)
        async with Fetcher(SETTINGS, transport=transport, sleep=_no_sleep) as fetcher:
            checker = Checker(fetcher, SETTINGS, clock=lambda: NOW)
            return await checker.check(CheckRequest(url))

    return asyncio.run(run())


def _no_bug(result: CheckResult) -> None:
    assert result.reason is not Reason.INTERNAL_ERROR, result.detail


@PROPERTY
@given(st.binary(max_size=200), st.binary(max_size=3000))
def test_random_content_types_and_pages_never_raise_out_of_a_check(
    content_type: bytes, page: bytes
) -> None:
    _no_bug(_check("https://news.example/story", 200, [(b"Content-Type", content_type)], page))


@PROPERTY
@given(st.binary(max_size=60))
def test_random_retry_afters_never_raise_out_of_a_check(retry_after: bytes) -> None:
    result = _check("https://news.example/story", 503, [(b"Retry-After", retry_after)])
    _no_bug(result)
    assert result.status is Status.FAILING


@PROPERTY
@given(
    st.one_of(
        st.text(max_size=200),
        st.builds(lambda host: f"http://{host}/", st.text(min_size=1, max_size=40)),
        st.builds(lambda path: f"https://news.example/{path}", st.text(max_size=200)),
    )
)
def test_random_urls_never_raise_out_of_a_check(url: str) -> None:
    _no_bug(_check(url, 200, [(b"Content-Type", b"text/html")], b"<title>Fine</title>"))


@PROPERTY
@given(st.binary(max_size=300))
def test_random_redirect_targets_never_raise_out_of_a_check(location: bytes) -> None:
    _no_bug(_check("https://news.example/story", 302, [(b"Location", location)]))


# -- the last-resort guard -------------------------------------------------------------


def test_a_bug_in_one_check_is_that_links_internal_error_and_the_run_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_classify = judges.classify

    def buggy(outcome, page, **kwargs):
        if "bug" in outcome.url:
            raise KeyError("a bug in classify")
        return real_classify(outcome, page, **kwargs)

    monkeypatch.setattr(judges, "classify", buggy)
    web = {"https://a.example/bug": "Bug", "https://a.example/fine": "Fine"}

    def answer(request: httpx.Request) -> httpx.Response:
        title = web.get(str(request.url))
        if title is None:  # the soft-404 probe's random sibling
            return httpx.Response(404, stream=httpx.ByteStream(b"Not found"))
        return httpx.Response(200, stream=httpx.ByteStream(f"<title>{title}</title>".encode()))

    mocked = functools.partial(Fetcher, transport=httpx.MockTransport(answer))
    monkeypatch.setattr("citecheck.pipeline.Fetcher", mocked)
    with Store.open(tmp_path / "archive.db") as store:
        store.sync_citations([Citation(url) for url in web], now=NOW)
        summary = check_links_in_store(store, SETTINGS, clock=lambda: NOW)
        bug = store.link_state("https://a.example/bug")
        fine = store.link_state("https://a.example/fine")
    assert summary.checked == 2 and not summary.offline
    assert (bug.status, bug.reason) == (Status.BLOCKED, Reason.INTERNAL_ERROR)
    assert fine.status is Status.OK
    log = (tmp_path / "archive-errors.log").read_text()
    assert "KeyError: 'a bug in classify'" in log and "check https://a.example/bug" in log


def _archive_settings(base: str) -> ArchiveSettings:
    fast = RateLimit(60_000)
    return ArchiveSettings(
        wayback_url=base, cdx_rate=fast, save_rate=fast, status_rate=fast, poll_interval_s=0.01
    )


def test_a_bug_in_one_lookup_leaves_it_for_the_next_run_and_the_rest_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_choose = archive_module.choose_snapshot

    def buggy(candidates, wanted, original_type):
        found = list(candidates)
        if any("bug" in snapshot.original for snapshot in found):
            raise ZeroDivisionError("a bug in choose_snapshot")
        return real_choose(found, wanted, original_type)

    monkeypatch.setattr(archive_module, "choose_snapshot", buggy)
    with FakeWayback() as wayback, Store.open(tmp_path / "archive.db") as store:
        urls = ["http://a.example/bug", "http://a.example/fine"]
        store.sync_citations([Citation(url) for url in urls], now=NOW)
        run = store.begin_run("check", now=NOW)
        for url in urls:
            wayback.add_capture(url, "20240101000000")
            state = LinkState(url, Status.OK, http_status=200, checked_at=NOW, ever_ok=True)
            store.record_check(run, CheckResult(url, NOW, Status.OK, http_status=200), state)

        async def run_archive():
            async with httpx.AsyncClient() as http:
                settings = _archive_settings(wayback.base)
                client = archive_module.WaybackClient(http, replace(settings, save=False))
                incidents = archive_module.IncidentLog(tmp_path / "archive-errors.log")
                return await archive_links(
                    store, client, client.settings, clock=lambda: NOW, incidents=incidents
                )

        summary = asyncio.run(run_archive())
    assert (summary.lookups_left, summary.with_copy) == (1, 1)
    assert "ZeroDivisionError" in (tmp_path / "archive-errors.log").read_text()


# -- exit code 4 -------------------------------------------------------------------------


def test_an_unexpected_error_is_exit_4_with_one_line_and_the_traceback_logged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args, **kwargs):
        raise RuntimeError("something citecheck did not expect")

    monkeypatch.setattr("citecheck.pipeline.check_links_in_store", broken)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sources.csv").write_text("url\nhttps://a.example/\n")

    result = CliRunner().invoke(cli, ["check", "--db", str(tmp_path / "my.db")])

    assert result.exit_code == EXIT_FAILED == 4
    assert "citecheck failed: RuntimeError: something citecheck did not expect" in result.output
    assert "Traceback" not in result.output
    log = (tmp_path / "my-errors.log").read_text()
    assert "Traceback" in log and "citecheck check" in log


# -- the archive's answers -----------------------------------------------------------------


@PROPERTY
@given(st.binary(max_size=2000), st.binary(max_size=40))
def test_random_bytes_from_the_cdx_index_are_an_archive_error_at_worst(
    body: bytes, retry_after: bytes
) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        headers = [(b"Content-Type", b"application/json"), (b"Retry-After", retry_after)]
        return httpx.Response(200, headers=headers, stream=httpx.ByteStream(body))

    async def ask() -> None:
        async with httpx.AsyncClient(transport=httpx.MockTransport(answer)) as http:
            client = archive_module.WaybackClient(http, _archive_settings("https://wb.test"))
            try:
                found = await client.cdx("https://news.example/story")
            except ArchiveError:
                return
            assert all(len(snapshot.timestamp) == 14 for snapshot in found)

    asyncio.run(ask())
