"""archive/policy.py: the pure policy: which copy, whether to look again, whether to capture.

Plain values in, plain values out; time is always a parameter.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from citecheck.archive import (
    CopyWanted,
    RateLimiter,
    cdx_timestamp,
    choose_snapshot,
    copy_wanted,
    judge_snapshot,
    lookup_due,
    parse_accessed,
    replay_url,
    should_capture,
)
from citecheck.captures import ArchiveLookup, CaptureRecord, Snapshot
from citecheck.config import RateLimit
from citecheck.models import LinkState, Status

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
DIED = datetime(2024, 4, 1, tzinfo=UTC)
LAST_OK = datetime(2024, 3, 28, tzinfo=UTC)
MAX_AGE = timedelta(days=30)
URL = "https://ngo.example/report"


def _snap(ts: str, status: int | None = 200, mimetype: str = "text/html") -> Snapshot:
    return Snapshot(timestamp=ts, original=URL, status_code=status, mimetype=mimetype)


def _broken(**values) -> LinkState:
    fields = {"status": Status.BROKEN, "first_failure_at": DIED, "last_ok_at": LAST_OK}
    fields.update(values)
    return LinkState(url=URL, **fields)


# -- dates --------------------------------------------------------------------------------


def test_accessed_date_means_the_end_of_that_day() -> None:
    assert parse_accessed("2024-03-15") == datetime(2024, 3, 15, 23, 59, 59, tzinfo=UTC)
    assert parse_accessed(" 2024-03-15T08:30:00Z ") == datetime(2024, 3, 15, 8, 30, tzinfo=UTC)
    assert parse_accessed("2024-03-15T08:30:00") == datetime(2024, 3, 15, 8, 30, tzinfo=UTC)


@pytest.mark.parametrize("text", ["", "March 2024", "15/03/2024", "n.d."])
def test_accessed_text_that_is_not_a_date_is_ignored(text: str) -> None:
    assert parse_accessed(text) is None


def test_timestamps_and_replay_urls() -> None:
    assert cdx_timestamp(datetime(2024, 3, 5, 7, 8, 9, tzinfo=UTC)) == "20240305070809"
    with pytest.raises(ValueError):
        cdx_timestamp(datetime(2024, 3, 5))
    assert (
        replay_url("https://web.archive.org/", "20240305070809", URL)
        == "https://web.archive.org/web/20240305070809/" + URL
    )
    assert _snap("20240305070809").captured_at == datetime(2024, 3, 5, 7, 8, 9, tzinfo=UTC)


# -- which copy ----------------------------------------------------------------------------


def test_broken_link_wants_a_copy_before_the_latest_accessed_date() -> None:
    wanted = copy_wanted(_broken(), ["2023-01-10", "2024-02-20", "sometime"], now=NOW)
    assert wanted == CopyWanted(
        mode="before", anchor=datetime(2024, 2, 20, 23, 59, 59, tzinfo=UTC), not_after=DIED
    )


def test_broken_link_without_accessed_date_wants_a_copy_before_its_last_good_check() -> None:
    assert copy_wanted(_broken(), [], now=NOW).anchor == LAST_OK


def test_broken_link_never_seen_ok_wants_a_copy_before_its_first_failure() -> None:
    assert copy_wanted(_broken(last_ok_at=None), [], now=NOW).anchor == DIED


def test_an_accessed_date_after_the_page_died_is_clipped_to_the_death() -> None:
    assert copy_wanted(_broken(), ["2025-01-01"], now=NOW).anchor == DIED


@pytest.mark.parametrize("status", [Status.OK, Status.REDIRECTED, Status.BLOCKED])
def test_live_and_blocked_links_want_their_newest_copy(status: Status) -> None:
    wanted = copy_wanted(LinkState(url=URL, status=status), ["2020-01-01"], now=NOW)
    assert wanted == CopyWanted(mode="latest", anchor=NOW)
    assert wanted.cache_anchor is None


@pytest.mark.parametrize("status", [Status.SKIPPED, Status.UNCHECKED])
def test_skipped_and_unchecked_links_want_no_copy(status: Status) -> None:
    assert copy_wanted(LinkState(url=URL, status=status), [], now=NOW) is None


def test_closest_good_capture_before_the_date_is_chosen() -> None:
    wanted = CopyWanted(mode="before", anchor=LAST_OK, not_after=DIED)
    candidates = [_snap("20240101000000"), _snap("20240320000000"), _snap("20240329000000")]
    chosen, judged = choose_snapshot(candidates, wanted, "text/html")
    assert chosen == _snap("20240320000000")
    assert chosen.found_by == "cdx-before"
    assert [why for _, why in judged] == [None, None, None]


def test_captures_of_the_dead_page_are_never_offered() -> None:
    """The index sometimes ignores the status filter: 404s, 5xx and revisits with no
    status are refused here, and a 200 taken after the first failure too (a
    parking page or a soft 404 answers 200)."""
    wanted = CopyWanted(mode="before", anchor=LAST_OK, not_after=DIED)
    candidates = [
        _snap("20240327000000", status=404),
        _snap("20240327100000", status=None),
        _snap("20240327200000", status=503),
        _snap("20240501000000"),
    ]
    chosen, judged = choose_snapshot(candidates, wanted, "text/html")
    assert chosen is None
    reasons = [why for _, why in judged]
    assert reasons[0] == "the capture has status 404, not 200"
    assert reasons[1] == "the capture has no status, not 200"
    assert reasons[3] == "captured after the page started failing"


def test_closest_capture_after_the_date_is_a_fallback_before_the_death() -> None:
    wanted = CopyWanted(mode="before", anchor=datetime(2024, 1, 1, tzinfo=UTC), not_after=DIED)
    candidates = [_snap("20240301000000"), _snap("20240215000000"), _snap("20240402000000")]
    chosen, _ = choose_snapshot(candidates, wanted, None)
    assert chosen == Snapshot("20240215000000", URL, 200, "text/html", found_by="cdx-after")


def test_a_capture_of_another_media_type_is_refused() -> None:
    wanted = CopyWanted(mode="latest", anchor=NOW)
    candidates = [_snap("20250101000000", mimetype="text/plain"), _snap("20240101000000")]
    chosen, judged = choose_snapshot(candidates, wanted, "text/html; charset=utf-8")
    assert chosen is not None and chosen.timestamp == "20240101000000"
    assert judged[0][1] == "the capture is text/plain, the page is html"
    pdf = _snap("20250101000000", mimetype="application/pdf")
    assert judge_snapshot(pdf, wanted, "application/pdf") is None
    assert judge_snapshot(pdf, wanted, "text/html") is not None
    assert judge_snapshot(pdf, wanted, "image/png") is None  # no rule for other types


def test_newest_copy_of_a_live_link() -> None:
    wanted = CopyWanted(mode="latest", anchor=NOW)
    chosen, _ = choose_snapshot([_snap("20240101000000"), _snap("20250101000000")], wanted, None)
    assert chosen is not None
    assert (chosen.timestamp, chosen.found_by) == ("20250101000000", "cdx-latest")
    assert choose_snapshot([], wanted, None) == (None, [])


# -- whether to look again ------------------------------------------------------------------


def _lookup(
    anchor: datetime | None, timestamp: str | None, looked_up_at: datetime = NOW
) -> ArchiveLookup:
    return ArchiveLookup(
        looked_up_at=looked_up_at,
        anchor=anchor,
        timestamp=timestamp,
        archive_url=None,
        found_by=None,
    )


def test_a_copy_chosen_before_a_fixed_date_is_kept_for_good() -> None:
    wanted = CopyWanted(mode="before", anchor=LAST_OK, not_after=DIED)
    cached = _lookup(LAST_OK, "20240320000000", looked_up_at=NOW - timedelta(days=900))
    assert not lookup_due(wanted, cached, now=NOW, max_age=MAX_AGE)


def test_no_cache_or_a_moved_date_means_a_new_lookup() -> None:
    wanted = CopyWanted(mode="before", anchor=LAST_OK, not_after=DIED)
    assert lookup_due(wanted, None, now=NOW, max_age=MAX_AGE)
    assert lookup_due(wanted, _lookup(DIED, "20240320000000"), now=NOW, max_age=MAX_AGE)
    # A link that was live (newest copy) and is now broken: look again.
    assert lookup_due(wanted, _lookup(None, "20250520000000"), now=NOW, max_age=MAX_AGE)


def test_a_lookup_that_found_nothing_is_repeated_after_the_capture_age() -> None:
    wanted = CopyWanted(mode="before", anchor=LAST_OK, not_after=DIED)
    recent = _lookup(LAST_OK, None, looked_up_at=NOW - timedelta(days=2))
    old = _lookup(LAST_OK, None, looked_up_at=NOW - timedelta(days=31))
    assert not lookup_due(wanted, recent, now=NOW, max_age=MAX_AGE)
    assert lookup_due(wanted, old, now=NOW, max_age=MAX_AGE)


def test_a_live_links_copy_is_refreshed_only_when_older_than_the_capture_age() -> None:
    wanted = CopyWanted(mode="latest", anchor=NOW)
    assert not lookup_due(wanted, _lookup(None, "20250520000000"), now=NOW, max_age=MAX_AGE)
    assert lookup_due(wanted, _lookup(None, "20250401000000"), now=NOW, max_age=MAX_AGE)


# -- whether to capture ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "status",
    [Status.BROKEN, Status.FAILING, Status.BLOCKED, Status.SKIPPED, Status.UNCHECKED],
)
def test_only_live_links_are_ever_captured(status: Status) -> None:
    assert not should_capture(status, None, None, now=NOW, max_age=MAX_AGE)


@pytest.mark.parametrize("status", [Status.OK, Status.REDIRECTED])
def test_live_link_without_a_recent_copy_is_captured(status: Status) -> None:
    assert should_capture(status, None, None, now=NOW, max_age=MAX_AGE)
    assert should_capture(status, "20250401000000", None, now=NOW, max_age=MAX_AGE)
    assert not should_capture(status, "20250520000000", None, now=NOW, max_age=MAX_AGE)


def test_a_pending_job_is_polled_not_resubmitted() -> None:
    def capture(state: str) -> CaptureRecord:
        return CaptureRecord(
            id=1, link_id=1, url=URL, requested_at=NOW, mode="spn2", state=state, job_id="j"
        )

    assert not should_capture(Status.OK, None, capture("pending"), now=NOW, max_age=MAX_AGE)
    for state in ("failed", "unknown", "unverified", "rate_limited"):
        assert should_capture(Status.OK, None, capture(state), now=NOW, max_age=MAX_AGE)


# -- the rate limiter ---------------------------------------------------------------------------


class _FakeTime:
    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


async def test_rate_limiter_spaces_requests_evenly() -> None:
    fake = _FakeTime()
    limiter = RateLimiter(RateLimit(30), clock=fake.clock, sleep=fake.sleep)  # one per 2 s
    starts = []
    for _ in range(4):
        await limiter.wait()
        starts.append(fake.now)
    assert starts == [1000.0, 1002.0, 1004.0, 1006.0]


async def test_rate_limiter_does_not_make_up_for_idle_time() -> None:
    fake = _FakeTime()
    limiter = RateLimiter(RateLimit(30), clock=fake.clock, sleep=fake.sleep)
    await limiter.wait()
    fake.now += 60
    await limiter.wait()
    await limiter.wait()
    assert fake.sleeps == [2.0]


async def test_rate_limiter_holds_off_after_a_429() -> None:
    fake = _FakeTime()
    limiter = RateLimiter(RateLimit(60), clock=fake.clock, sleep=fake.sleep)
    await limiter.wait()
    limiter.hold_off(60)
    await limiter.wait()
    assert fake.now == 1060.0
    assert RateLimit(0.8 * 3).interval_s == pytest.approx(25.0)
    with pytest.raises(ValueError):
        RateLimit(0)
