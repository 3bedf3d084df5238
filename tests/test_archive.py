"""archive/'s I/O: the Wayback client against each API response shape (respx), and
whole archive runs over a real store against the fake Wayback on 127.0.0.1."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs

import httpx
import pytest
import respx
from servers import FakeWayback

from citecheck.archive import (
    ArchiveServerError,
    ArchiveUnavailableError,
    JobStatus,
    WaybackClient,
    capture_timestamp,
)
from citecheck.captures import Snapshot
from citecheck.config import ArchiveSettings, RateLimit, Settings
from citecheck.errors import ArchiveError, RateLimitedError
from citecheck.models import CheckResult, Citation, LinkState, Reason, Status
from citecheck.pipeline import archive_links_in_store
from citecheck.report.build import build_report
from citecheck.store import Store

BASE = "https://wayback.test"
URL = "https://ngo.example/report"
NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
FAST = RateLimit(60_000)
TOO_MANY = (
    b"<html><head><title>429 Too Many Requests</title></head><body><h1>Too Many "
    b"Requests</h1>We are limiting the number of URLs you can submit.</body></html>"
)


def _settings(**values) -> ArchiveSettings:
    fields = {
        "wayback_url": BASE,
        "cdx_rate": FAST,
        "save_rate": FAST,
        "status_rate": FAST,
        "poll_interval_s": 0.01,
        "poll_budget_s": 5.0,
    }
    fields.update(values)
    return ArchiveSettings(**fields)


@pytest.fixture
async def client() -> Iterator[WaybackClient]:
    async with httpx.AsyncClient() as http:
        yield WaybackClient(http, _settings(access_key="key", secret_key="secret"))


# -- the CDX API ----------------------------------------------------------------------------


@respx.mock(base_url=BASE)
async def test_cdx_rows_become_snapshots(respx_mock: respx.MockRouter, client) -> None:
    rows = [
        ["timestamp", "original", "statuscode", "mimetype", "digest"],
        ["20240320000000", URL, "200", "text/html", "ABC"],
        ["20240321000000", URL, "-", "warc/revisit", "ABC"],
        ["not-a-time", URL, "200", "text/html", "X"],
    ]
    route = respx_mock.get("/cdx/search/cdx").respond(json=rows)
    found = await client.cdx(URL, closest="20240328000000", to_ts="20240328000000")
    assert found == [
        Snapshot("20240320000000", URL, 200, "text/html", "ABC"),
        Snapshot("20240321000000", URL, None, "warc/revisit", "ABC"),
    ]
    query = parse_qs(route.calls.last.request.url.query.decode())
    assert query == {
        "url": [URL],
        "output": ["json"],
        "fl": ["timestamp,original,statuscode,mimetype,digest"],
        "filter": ["statuscode:200"],
        "sort": ["closest"],
        "closest": ["20240328000000"],
        "to": ["20240328000000"],
        "limit": ["8"],
    }


@respx.mock(base_url=BASE)
async def test_cdx_empty_answer_is_no_snapshots(respx_mock: respx.MockRouter, client) -> None:
    respx_mock.get("/cdx/search/cdx").respond(200, content=b"[]")
    assert await client.cdx(URL) == []
    respx_mock.get("/cdx/search/cdx").respond(200, content=b"")
    assert await client.cdx(URL) == []


@respx.mock(base_url=BASE)
async def test_cdx_html_instead_of_json_is_an_error_not_no_captures(
    respx_mock: respx.MockRouter, client
) -> None:
    respx_mock.get("/cdx/search/cdx").respond(200, html="<html>Wayback is down</html>")
    with pytest.raises(ArchiveError, match="did not answer JSON"):
        await client.cdx(URL)


@respx.mock(base_url=BASE)
async def test_429_html_page_is_rate_limited_with_retry_after(
    respx_mock: respx.MockRouter, client
) -> None:
    respx_mock.get("/cdx/search/cdx").respond(
        429, content=TOO_MANY, headers={"Content-Type": "text/html", "Retry-After": "42"}
    )
    with pytest.raises(RateLimitedError) as raised:
        await client.cdx(URL)
    assert raised.value.retry_after == 42.0
    respx_mock.get("/cdx/search/cdx").respond(429, content=TOO_MANY)
    with pytest.raises(RateLimitedError) as raised:
        await client.cdx(URL)
    assert raised.value.retry_after is None


@pytest.mark.parametrize("status", [500, 502, 503, 520, 523])
@respx.mock(base_url=BASE)
async def test_5xx_and_cloudflare_52x_are_server_errors(
    respx_mock: respx.MockRouter, client, status: int
) -> None:
    respx_mock.get("/cdx/search/cdx").respond(status, html="<h1>Origin unreachable</h1>")
    respx_mock.post("/save").respond(status)
    with pytest.raises(ArchiveServerError) as raised:
        await client.cdx(URL)
    assert raised.value.status_code == status
    with pytest.raises(ArchiveServerError):
        await client.save_spn2(URL)


@respx.mock(base_url=BASE)
async def test_no_answer_says_whether_the_request_may_have_arrived(
    respx_mock: respx.MockRouter, client
) -> None:
    respx_mock.post("/save").mock(side_effect=httpx.ReadTimeout("stalled"))
    with pytest.raises(ArchiveUnavailableError) as raised:
        await client.save_spn2(URL)
    assert raised.value.submitted  # it may have been captured: "unknown"
    respx_mock.post("/save").mock(side_effect=httpx.ConnectError("refused"))
    with pytest.raises(ArchiveUnavailableError) as raised:
        await client.save_spn2(URL)
    assert not raised.value.submitted
    assert client.no_answer_streak == 2 and client.answers == 0


# -- Save Page Now ----------------------------------------------------------------------------


@respx.mock(base_url=BASE)
async def test_spn2_save_sends_keys_and_returns_the_job(
    respx_mock: respx.MockRouter, client
) -> None:
    route = respx_mock.post("/save").respond(json={"url": URL, "job_id": "spn2-abc"})
    assert await client.save_spn2(URL) == JobStatus(state="pending", detail="spn2-abc")
    request = route.calls.last.request
    assert request.headers["authorization"] == "LOW key:secret"
    assert request.headers["accept"] == "application/json"
    assert parse_qs(request.content.decode()) == {"url": [URL]}


@respx.mock(base_url=BASE)
async def test_spn2_refusal_is_an_error_and_quota_errors_are_flagged(
    respx_mock: respx.MockRouter, client
) -> None:
    respx_mock.post("/save").respond(
        json={
            "status": "error",
            "status_ext": "error:too-many-daily-captures",
            "message": "This URL has been captured 10 times today.",
        }
    )
    answer = await client.save_spn2(URL)
    assert answer.state == "error" and answer.quota
    assert answer.detail == (
        "error:too-many-daily-captures: This URL has been captured 10 times today."
    )


@respx.mock(base_url=BASE)
async def test_spn2_status_pending_success_and_error(respx_mock: respx.MockRouter, client) -> None:
    route = respx_mock.get("/save/status/spn2-abc")
    route.respond(json={"status": "pending", "job_id": "spn2-abc"})
    assert await client.job_status("spn2-abc") == JobStatus(state="pending")
    assert route.calls.last.request.headers["authorization"] == "LOW key:secret"
    route.respond(json={"status": "success", "timestamp": "20250601120005", "original_url": URL})
    assert await client.job_status("spn2-abc") == JobStatus(
        state="success", timestamp="20250601120005"
    )
    route.respond(json={"status": "success"})
    assert (await client.job_status("spn2-abc")).state == "error"
    route.respond(
        json={"status": "error", "status_ext": "error:not-found", "message": "Not found."}
    )
    failed = await client.job_status("spn2-abc")
    assert (failed.state, failed.detail, failed.quota) == (
        "error",
        "error:not-found: Not found.",
        False,
    )


@pytest.mark.parametrize(
    "headers",
    [
        {"Content-Location": f"/web/20250601120005/{URL}"},
        {"Location": f"{BASE}/web/20250601120005/{URL}"},
        {
            "Link": f'<{URL}>; rel="original", <{BASE}/web/timemap/link/{URL}>; '
            'rel="timemap"; type="application/link-format", '
            f'<{BASE}/web/20240101000000/{URL}>; rel="first memento"; datetime="x", '
            f'<{BASE}/web/20250601120005/{URL}>; rel="last memento"; datetime="y"'
        },
    ],
)
@respx.mock(base_url=BASE)
async def test_anonymous_save_reads_the_capture_from_the_headers(
    respx_mock: respx.MockRouter, headers: dict[str, str]
) -> None:
    route = respx_mock.get(f"/save/{URL}").respond(200, headers=headers, html="<p>saved</p>")
    async with httpx.AsyncClient() as http:
        anonymous = WaybackClient(http, _settings())
        answer = await anonymous.save_anonymous(URL)
    assert answer == JobStatus(state="success", timestamp="20250601120005")
    assert "authorization" not in route.calls.last.request.headers


@respx.mock(base_url=BASE)
async def test_anonymous_save_naming_no_capture_is_an_error(respx_mock: respx.MockRouter) -> None:
    respx_mock.get(f"/save/{URL}").respond(200, html="<p>Sorry</p>")
    async with httpx.AsyncClient() as http:
        answer = await WaybackClient(http, _settings()).save_anonymous(URL)
    assert answer.state == "error"
    assert capture_timestamp(httpx.Headers({"Link": "<x>; rel=original"})) is None


# -- whole runs against the fake Wayback ---------------------------------------------------


@pytest.fixture
def wayback() -> Iterator[FakeWayback]:
    with FakeWayback() as server:
        server.now = NOW
        yield server


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(tmp_path / "archive.db") as opened:
        yield opened


def _record(store: Store, url: str, state: LinkState, content_type: str = "text/html") -> None:
    run = store.begin_run("check", now=NOW)
    result = CheckResult(
        url,
        state.checked_at or NOW,
        state.status,
        state.reason,
        state.http_status,
        content_type=content_type if state.status.is_success else None,
    )
    store.record_check(run, result, state)
    store.finish_run(run, now=NOW, outcome="finished", summary={})


def _cite(store: Store, *citations: Citation) -> None:
    store.sync_citations(citations, now=NOW)


def _live(url: str) -> LinkState:
    return LinkState(url, Status.OK, http_status=200, checked_at=NOW, last_ok_at=NOW, ever_ok=True)


def _dead(url: str, first_failure: datetime, last_ok: datetime | None = None) -> LinkState:
    return LinkState(
        url,
        Status.BROKEN,
        Reason.NOT_FOUND,
        404,
        checked_at=NOW,
        first_failure_at=first_failure,
        consecutive_failures=3,
        last_ok_at=last_ok,
        ever_ok=last_ok is not None,
    )


def _archive(store: Store, wayback: FakeWayback, now: datetime = NOW, **values):
    settings = _settings(wayback_url=wayback.base, **values)
    return archive_links_in_store(store, Settings(), settings, clock=lambda: now)


def _copies(store: Store) -> dict[str, tuple[str | None, str | None]]:
    return {
        link.state.url: (link.archive_url, link.archive_timestamp)
        for link in build_report(store, now=NOW).iter_links()
    }


def test_a_broken_link_gets_the_closest_good_capture_before_it_was_cited(
    store: Store, wayback: FakeWayback
) -> None:
    dead = "https://ngo.example/dead"
    for ts in ("20230101000000", "20240310000000", "20240320000000"):
        wayback.add_capture(dead, ts)
    # After the page died, the archive only captured its 404 page.
    for ts in ("20240410000000", "20240601000000"):
        wayback.add_capture(dead, ts, status=404)
    _cite(store, Citation(url=dead, accessed="2024-03-15"))
    _record(store, dead, _dead(dead, datetime(2024, 4, 2, tzinfo=UTC)))
    summary = _archive(store, wayback)
    assert (summary.exit_code, summary.with_copy, summary.saves_requested) == (0, 1, 0)
    assert _copies(store)[dead] == (
        f"{wayback.base}/web/20240310000000/{dead}",
        "20240310000000",
    )
    recorded = store.snapshots(dead)
    assert [(s.timestamp, s.status_code, s.found_by, why) for s, why in recorded] == [
        ("20230101000000", 200, "cdx-before", None),
        ("20240310000000", 200, "cdx-before", None),
    ]
    assert wayback.saved == []


def test_404_captures_are_refused_even_when_the_index_ignores_the_filter(
    store: Store, wayback: FakeWayback
) -> None:
    dead = "https://ngo.example/gone"
    wayback.ignore_status_filter = True
    wayback.add_capture(dead, "20240101000000")
    wayback.add_capture(dead, "20240301000000", status=404)
    wayback.add_capture(dead, "20240302000000", status=302)
    _cite(store, Citation(url=dead))
    _record(store, dead, _dead(dead, datetime(2024, 4, 2, tzinfo=UTC)))
    _archive(store, wayback)
    assert _copies(store)[dead][1] == "20240101000000"
    rejected = {s.timestamp: why for s, why in store.snapshots(dead)}
    assert rejected["20240301000000"] == "the capture has status 404, not 200"


def test_without_a_capture_before_the_date_the_closest_after_is_offered_if_pre_death(
    store: Store, wayback: FakeWayback
) -> None:
    dead = "https://ngo.example/late"
    wayback.add_capture(dead, "20240325000000")  # after the citation, before the death
    wayback.add_capture(dead, "20240501000000")  # after the death: a 200 parking page
    _cite(store, Citation(url=dead, accessed="2024-03-01"))
    _record(store, dead, _dead(dead, datetime(2024, 4, 2, tzinfo=UTC)))
    _archive(store, wayback)
    assert _copies(store)[dead][1] == "20240325000000"
    found_by = {s.timestamp: s.found_by for s, _ in store.snapshots(dead)}
    assert found_by == {"20240325000000": "cdx-after"}


def test_cached_answers_are_not_asked_again(store: Store, wayback: FakeWayback) -> None:
    dead, live = "https://ngo.example/dead", "https://ngo.example/live"
    wayback.add_capture(dead, "20240101000000")
    wayback.add_capture(live, "20250520000000")
    _cite(store, Citation(url=dead), Citation(url=live))
    _record(store, dead, _dead(dead, datetime(2024, 4, 2, tzinfo=UTC)))
    _record(store, live, _live(live))
    first = _archive(store, wayback)
    assert (first.looked_up, first.cached) == (2, 0)
    wayback.clear_log()
    second = _archive(store, wayback, now=NOW + timedelta(days=1))
    assert (second.looked_up, second.cached, second.with_copy) == (0, 2, 2)
    assert wayback.count("/cdx/search/cdx") == 0
    # Forty days on, the live link's newest copy is too old: look again and capture.
    third = _archive(store, wayback, now=NOW + timedelta(days=40))
    assert (third.looked_up, third.cached, third.saves_verified) == (1, 1, 1)
    assert wayback.saved == [live]


def test_only_live_links_without_a_recent_copy_are_captured(
    store: Store, wayback: FakeWayback
) -> None:
    urls = {
        "fresh": "https://ngo.example/fresh",
        "stale": "https://ngo.example/stale",
        "never": "https://ngo.example/never",
        "dead": "https://ngo.example/dead",
        "blocked": "https://ngo.example/blocked",
    }
    wayback.add_capture(urls["fresh"], "20250525000000")
    wayback.add_capture(urls["stale"], "20250101000000")
    _cite(store, *(Citation(url=u) for u in urls.values()), Citation(url="mailto:a@b.example"))
    for name in ("fresh", "stale", "never"):
        _record(store, urls[name], _live(urls[name]))
    _record(store, urls["dead"], _dead(urls["dead"], datetime(2024, 4, 2, tzinfo=UTC)))
    _record(
        store,
        urls["blocked"],
        LinkState(urls["blocked"], Status.BLOCKED, Reason.BOT_PROTECTION, 403, checked_at=NOW),
    )
    summary = _archive(store, wayback)
    assert sorted(wayback.saved) == sorted([urls["stale"], urls["never"]])
    assert (summary.saves_requested, summary.saves_verified) == (2, 2)
    copies = _copies(store)
    assert copies[urls["never"]][1] is not None
    assert copies[urls["dead"]] == (None, None)


def test_no_save_and_max_saves(store: Store, wayback: FakeWayback) -> None:
    urls = [f"https://ngo.example/p{n}" for n in range(4)]
    _cite(store, *(Citation(url=u) for u in urls))
    for url in urls:
        _record(store, url, _live(url))
    summary = _archive(store, wayback, save=False)
    assert summary.saves_requested == 0 and wayback.saved == []
    summary = _archive(store, wayback, now=NOW + timedelta(days=1), max_saves=2)
    assert summary.saves_requested == 2 and len(wayback.saved) == 2


def test_after_three_429s_a_url_is_left_for_the_next_run(
    store: Store, wayback: FakeWayback
) -> None:
    live = "https://ngo.example/live"
    _cite(store, Citation(url=live))
    _record(store, live, _live(live))
    wayback.fail_next("save", 429, times=5, headers={"Retry-After": "0"})
    summary = _archive(store, wayback)
    assert wayback.count(f"/save/{live}") == 3
    assert (summary.exit_code, summary.saves_left, summary.saves_verified) == (0, 1, 0)
    # The next run tries again (two 429s are still queued, then it goes through).
    summary = _archive(store, wayback, now=NOW + timedelta(hours=1))
    assert summary.saves_verified == 1
    assert wayback.count(f"/save/{live}") == 6


def test_a_long_retry_after_stops_saving_for_the_run(store: Store, wayback: FakeWayback) -> None:
    urls = [f"https://ngo.example/p{n}" for n in range(3)]
    _cite(store, *(Citation(url=u) for u in urls))
    for url in urls:
        _record(store, url, _live(url))
    wayback.fail_next("save", 429, headers={"Retry-After": "3600"})
    summary = _archive(store, wayback)
    assert (
        wayback.count("/save/" + urls[0]) + sum(wayback.count("/save/" + u) for u in urls[1:]) == 1
    )
    assert summary.saves_left == 1 and summary.exit_code == 0


def test_a_spent_time_budget_leaves_the_rest_for_the_next_run(
    store: Store, wayback: FakeWayback
) -> None:
    urls = [f"https://ngo.example/p{n}" for n in range(4)]
    _cite(store, *(Citation(url=u) for u in urls))
    for url in urls:
        _record(store, url, _live(url))
    summary = _archive(store, wayback, time_budget_s=0)
    assert (summary.links, summary.looked_up, summary.lookups_left) == (4, 0, 4)
    assert wayback.count("/cdx/search/cdx") == 0 and wayback.saved == []
    summary = _archive(store, wayback, now=NOW + timedelta(days=1))
    assert (summary.looked_up, summary.lookups_left, summary.saves_requested) == (4, 0, 4)


def test_a_523_on_save_is_unknown_and_settled_by_a_later_lookup(
    store: Store, wayback: FakeWayback
) -> None:
    live = "https://ngo.example/live"
    _cite(store, Citation(url=live))
    _record(store, live, _live(live))
    wayback.fail_next("save", 523)
    summary = _archive(store, wayback)
    assert wayback.count(f"/save/{live}") == 1  # never resubmitted in the run
    assert summary.saves_left == 1
    # Meanwhile the capture did happen after all: the next run finds it and saves nothing.
    wayback.add_capture(live, "20250601120100")
    wayback.clear_log()
    summary = _archive(store, wayback, now=NOW + timedelta(hours=1))
    assert (summary.looked_up, summary.saves_requested) == (1, 0)
    assert wayback.count(f"/save/{live}") == 0
    assert _copies(store)[live][1] == "20250601120100"


def test_a_capture_of_an_error_page_does_not_count(store: Store, wayback: FakeWayback) -> None:
    live = "https://ngo.example/walled"
    _cite(store, Citation(url=live))
    _record(store, live, _live(live))
    wayback.capture_status = 403  # the archive's crawler met a bot wall
    summary = _archive(store, wayback)
    assert (summary.saves_requested, summary.saves_verified, summary.saves_left) == (1, 0, 1)
    assert _copies(store)[live] == (None, None)
    (snapshot, why), *_ = store.snapshots(live)
    assert (snapshot.found_by, why) == ("save", "the capture has status 403, not 200")


def test_spn2_polling_resumes_in_the_next_run(store: Store, wayback: FakeWayback) -> None:
    live = "https://ngo.example/slow"
    _cite(store, Citation(url=live))
    _record(store, live, _live(live))
    wayback.keys = ("key", "secret")
    wayback.pending_polls = 1000
    keys = {"access_key": "key", "secret_key": "secret"}
    first = _archive(store, wayback, poll_budget_s=0.2, **keys)
    assert (first.saves_requested, first.saves_pending, first.saves_verified) == (1, 1, 0)
    assert wayback.count("/save") == 1
    wayback.finish_jobs()
    second = _archive(store, wayback, now=NOW + timedelta(minutes=5), **keys)
    assert wayback.count("/save") == 1  # polled, not resubmitted
    assert second.saves_verified == 1 and second.saves_requested == 0
    assert _copies(store)[live][1] == wayback.captures(live)[0].timestamp
    conn = sqlite3.connect(store.path)
    try:
        rows = conn.execute("SELECT job_id, state FROM captures").fetchall()
    finally:
        conn.close()
    assert rows == [("spn2-000001", "verified")]


def test_an_unreachable_archive_is_exit_3_and_records_nothing(
    store: Store, wayback: FakeWayback
) -> None:
    urls = [f"https://ngo.example/p{n}" for n in range(8)]
    _cite(store, *(Citation(url=u) for u in urls))
    for url in urls:
        _record(store, url, _live(url))
    base = wayback.base
    wayback.stop()
    settings = _settings(wayback_url=base, cdx_concurrency=2)
    summary = archive_links_in_store(store, Settings(), settings, clock=lambda: NOW)
    assert summary.unreachable and summary.exit_code == 3
    assert "got no answer" in summary.unreachable_detail
    assert _copies(store) == {url: (None, None) for url in urls}
    assert store.runs(1)[0]["outcome"] == "offline"


def test_the_cdx_answer_is_json_rows(wayback: FakeWayback) -> None:
    """The fake answers as the real index does, so the client's parser is exercised."""
    wayback.add_capture(URL, "20240101000000")
    answer = httpx.get(
        wayback.url("/cdx/search/cdx"),
        params={"url": URL, "output": "json", "fl": "timestamp,statuscode"},
    )
    assert json.loads(answer.text) == [["timestamp", "statuscode"], ["20240101000000", "200"]]
