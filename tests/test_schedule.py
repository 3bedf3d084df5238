"""The due-based schedule, over simulated weeks of nightly runs."""

from __future__ import annotations

import random
import re
from collections import Counter, defaultdict
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from citecheck.config import Schedule, Settings
from citecheck.models import LinkState, Status
from citecheck.schedule import due_links, interval_for, is_due, is_excluded, next_due

FIRST_NIGHT = datetime(2025, 3, 3, 3, 0, tzinfo=UTC)  # a Monday, 03:00 UTC
#: A run starts up to this long after 03:00 (a timer's RandomizedDelaySec) ...
START_JITTER_MIN = 60
#: ... and reaches a link up to this long after it started.
CHECK_DELAY_MIN = 45
NIGHTS = 30


def _urls(count: int, prefix: str = "ok") -> list[str]:
    return [f"https://site{i % 97}.example/{prefix}/{i}" for i in range(count)]


def _simulate(
    statuses: dict[str, Status], schedule: Schedule, nights: int = NIGHTS
) -> tuple[list[int], dict[str, list[int]]]:
    """Run ``nights`` nightly runs with random start and check delays (seeded); every
    check keeps the link's status.

    Returns the number of checks each night and, per URL, the nights it was checked.
    """
    rng = random.Random(20250303)
    states = {url: LinkState(url=url) for url in statuses}
    per_night: list[int] = []
    nights_checked: dict[str, list[int]] = defaultdict(list)
    for night in range(nights):
        start = FIRST_NIGHT + timedelta(days=night, minutes=rng.uniform(0, START_JITTER_MIN))
        due = [state.url for state in due_links(states.values(), schedule, start)]
        for url in due:
            moment = start + timedelta(minutes=rng.uniform(0, CHECK_DELAY_MIN))
            states[url] = replace(states[url], status=statuses[url], checked_at=moment)
            nights_checked[url].append(night)
        per_night.append(len(due))
    return per_night, nights_checked


def _gaps(nights: list[int]) -> list[int]:
    return [later - earlier for earlier, later in zip(nights, nights[1:], strict=False)]


def test_a_new_link_is_due_at_once() -> None:
    state = LinkState(url="https://example.org/")
    assert next_due(state, Schedule()) is None
    assert is_due(state, Schedule(), FIRST_NIGHT)


def test_a_skipped_link_is_decided_again_every_run() -> None:
    state = LinkState(url="mailto:a@example.org", status=Status.SKIPPED, checked_at=FIRST_NIGHT)
    assert next_due(state, Schedule()) is None
    assert is_due(state, Schedule(), FIRST_NIGHT + timedelta(minutes=1))


@pytest.mark.parametrize(
    ("status", "interval"),
    [
        (Status.OK, timedelta(days=7)),
        (Status.REDIRECTED, timedelta(days=7)),
        (Status.FAILING, timedelta(days=1)),
        (Status.BROKEN, timedelta(days=30)),
        (Status.BLOCKED, timedelta(days=14)),
    ],
)
def test_a_link_is_due_within_its_interval_never_later(status: Status, interval: timedelta) -> None:
    assert interval_for(status, Schedule()) == interval
    checked_at = FIRST_NIGHT + timedelta(minutes=20)
    days_ahead = Counter()
    for url in _urls(700):
        state = LinkState(url=url, status=status, checked_at=checked_at)
        due = next_due(state, Schedule())
        assert due is not None
        assert checked_at + timedelta(days=1) <= due <= checked_at + interval
        assert not is_due(state, Schedule(), checked_at + timedelta(hours=12))
        assert is_due(state, Schedule(), checked_at + interval)
        days_ahead[(due - checked_at) / timedelta(days=1)] += 1
    # The phase comes from the URL: every day of the interval gets its share.
    expected_days = {float(day) for day in range(1, interval.days + 1)}
    if interval.days >= 2:
        assert set(days_ahead) == expected_days
    else:
        assert set(days_ahead) == {1.0}


def test_next_due_depends_only_on_the_url_and_the_last_check() -> None:
    state = LinkState(url="https://example.org/a", status=Status.OK, checked_at=FIRST_NIGHT)
    first = next_due(state, Schedule())
    assert next_due(replace(state, title="another title"), Schedule()) == first
    assert next_due(replace(state, url="https://example.org/b"), Schedule()) != first


def test_a_link_checked_on_its_day_is_due_exactly_one_interval_later() -> None:
    state = LinkState(url="https://example.org/a", status=Status.OK, checked_at=FIRST_NIGHT)
    due = next_due(state, Schedule())
    assert due is not None
    for late in (timedelta(0), timedelta(minutes=50), timedelta(hours=-1)):
        on_its_day = replace(state, checked_at=due + late)
        assert next_due(on_its_day, Schedule()) == due + late + timedelta(days=7)


def test_intervals_under_two_days_have_no_phase() -> None:
    schedule = Schedule(ok=timedelta(hours=36))
    state = LinkState(url="https://example.org/a", status=Status.OK, checked_at=FIRST_NIGHT)
    assert next_due(state, schedule) == FIRST_NIGHT + timedelta(hours=36)
    assert not is_due(state, schedule, FIRST_NIGHT + timedelta(hours=26))
    assert is_due(state, schedule, FIRST_NIGHT + timedelta(hours=30))


def test_intervals_follow_the_schedule() -> None:
    schedule = Schedule(ok=timedelta(days=2))
    state = LinkState(url="https://example.org/a", status=Status.OK, checked_at=FIRST_NIGHT)
    due = next_due(state, schedule)
    assert due is not None and due <= FIRST_NIGHT + timedelta(days=2)


def test_a_schedule_refuses_a_non_positive_interval() -> None:
    with pytest.raises(ValueError, match="failing interval must be positive"):
        Schedule(failing=timedelta(0))


def test_ten_thousand_ok_links_spread_over_the_week() -> None:
    statuses = dict.fromkeys(_urls(10_000), Status.OK)
    per_night, nights_checked = _simulate(statuses, Schedule())

    assert per_night[0] == 10_000  # new links: all at once
    # The week after: about a seventh each night (1,429), not all on night 8.
    for count in per_night[1:8]:
        assert 1_300 <= count <= 1_560, per_night
    # After the first night, ~1,430 a night on average, and no night is a pile-up.
    average = sum(per_night[1:]) / len(per_night[1:])
    assert 1_380 <= average <= 1_480, per_night
    assert max(per_night[1:]) <= 1_560, per_night
    for nights in nights_checked.values():
        gaps = _gaps(nights)
        # Never more than a week between checks, and exactly a week once on its day.
        assert 1 <= gaps[0] <= 7
        assert all(gap == 7 for gap in gaps[1:]), nights


def test_failing_links_are_checked_every_night() -> None:
    statuses = dict.fromkeys(_urls(2_000, "failing"), Status.FAILING)
    per_night, nights_checked = _simulate(statuses, Schedule())
    assert per_night == [2_000] * NIGHTS
    assert all(nights == list(range(NIGHTS)) for nights in nights_checked.values())


def test_a_link_that_starts_failing_is_checked_the_next_night() -> None:
    checked_at = FIRST_NIGHT + timedelta(minutes=CHECK_DELAY_MIN + START_JITTER_MIN)
    next_run = FIRST_NIGHT + timedelta(days=1)  # started without any delay
    for url in _urls(300):
        state = LinkState(url=url, status=Status.FAILING, checked_at=checked_at)
        assert is_due(state, Schedule(), next_run)


def test_broken_and_blocked_links_come_back_on_their_own_intervals() -> None:
    statuses = {
        **dict.fromkeys(_urls(3_000, "broken"), Status.BROKEN),
        **dict.fromkeys(_urls(1_400, "blocked"), Status.BLOCKED),
    }
    schedule = Schedule()
    nights = 75
    per_night, nights_checked = _simulate(statuses, schedule, nights=nights)
    for url, checked in nights_checked.items():
        interval = interval_for(statuses[url], schedule)
        assert interval is not None
        gaps = _gaps(checked)
        assert gaps, url
        assert 1 <= gaps[0] <= interval.days
        assert all(gap == interval.days for gap in gaps[1:]), checked
    # After night 1, 3,000/30 + 1,400/14 = 200 a night on average.
    average = sum(per_night[1:]) / len(per_night[1:])
    assert 180 <= average <= 220, per_night


def test_a_mixed_project_over_a_month() -> None:
    statuses = {
        **dict.fromkeys(_urls(7_000, "ok"), Status.OK),
        **dict.fromkeys(_urls(300, "failing"), Status.FAILING),
        **dict.fromkeys(_urls(600, "broken"), Status.BROKEN),
        **dict.fromkeys(_urls(280, "blocked"), Status.BLOCKED),
    }
    per_night, nights_checked = _simulate(statuses, Schedule())
    checks = Counter()
    for url, nights in nights_checked.items():
        checks[statuses[url]] += len(nights)
    assert checks[Status.FAILING] == 300 * NIGHTS
    # ok: the first night, then once a week (4 or 5 times in the 29 nights after).
    assert 7_000 * 5 <= checks[Status.OK] <= 7_000 * 6
    # broken: the first night and once within the next 30 days (on night 31 for the
    # thirtieth of them whose day is the thirtieth).
    assert 600 * 2 - 600 // 30 * 2 <= checks[Status.BROKEN] <= 600 * 2
    # blocked: the first night, then every 14 days (2 or 3 times in the 29 nights after).
    assert 280 * 3 <= checks[Status.BLOCKED] <= 280 * 4
    # Expected after night 1: 1,000 ok + 300 failing + 20 broken + 20 blocked a night.
    assert max(per_night[1:]) <= 1_500, per_night


def test_due_links_streams_the_due_ones_in_order() -> None:
    states = [
        LinkState(url="https://example.org/new"),
        LinkState(url="https://example.org/fresh", status=Status.OK, checked_at=FIRST_NIGHT),
        LinkState(
            url="https://example.org/old",
            status=Status.OK,
            checked_at=FIRST_NIGHT - timedelta(days=8),
        ),
    ]
    due = due_links(iter(states), Schedule(), FIRST_NIGHT + timedelta(hours=1))
    assert next(due).url == "https://example.org/new"
    assert [state.url for state in due] == ["https://example.org/old"]


def _excluding(domains: tuple[str, ...] = (), patterns: tuple[str, ...] = ()) -> Settings:
    return Settings(
        exclude_domains=domains, exclude_patterns=tuple(re.compile(p) for p in patterns)
    )


def test_a_domain_excludes_itself_and_its_subdomains_only() -> None:
    settings = _excluding(domains=("example.com",))
    assert is_excluded("https://example.com/a", settings) == "the domain example.com is excluded"
    assert is_excluded("https://www.EXAMPLE.com./a", settings) is not None
    assert is_excluded("https://badexample.com/a", settings) is None
    assert is_excluded("https://example.com.evil.org/a", settings) is None


def test_a_pattern_is_searched_in_the_whole_url() -> None:
    settings = _excluding(patterns=(r"^https?://intranet\.", r"/drafts/"))
    assert is_excluded("http://intranet.example/x", settings) == (
        "the URL matches the exclude pattern '^https?://intranet\\\\.'"
    )
    assert is_excluded("https://example.org/drafts/1", settings) is not None
    assert is_excluded("https://example.org/intranet.html", settings) is None


def test_nothing_is_excluded_by_default() -> None:
    assert is_excluded("https://example.org/", Settings()) is None


@given(
    url=st.one_of(
        st.sampled_from(["https://www.EXAMPLE.com./a", "http://[::1/", "http://u@example.com:x/"]),
        st.text(alphabet=st.sampled_from(list("htps:/[].wexamplcom@?")), max_size=30),
    ),
    domains=st.sampled_from([(), ("example.com",), ("com", "example.org")]),
    patterns=st.sampled_from([(), (r"/a$",), (r"\[",)]),
)
def test_excludes_answer_as_the_plain_test_does(url, domains, patterns) -> None:
    """is_excluded looks no host up when no domain is excluded (issue 11): the same
    answer as looking it up every time."""
    settings = _excluding(domains, patterns)
    assert is_excluded(url, settings) == _plain_is_excluded(url, settings)


def _plain_is_excluded(url: str, settings: Settings) -> str | None:
    try:
        host = (urlsplit(url).hostname or "").lower().rstrip(".")
    except ValueError:
        host = ""
    for domain in settings.exclude_domains:
        if host == domain or host.endswith("." + domain):
            return f"the domain {domain} is excluded"
    for pattern in settings.exclude_patterns:
        if pattern.search(url):
            return f"the URL matches the exclude pattern {pattern.pattern!r}"
    return None
