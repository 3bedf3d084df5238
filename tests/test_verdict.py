from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from citecheck.config import ConfirmationPolicy
from citecheck.models import CheckResult, LinkState, Reason, Status
from citecheck.verdict import next_state

URL = "https://example.org/report.pdf"
T0 = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)
POLICY = ConfirmationPolicy()


def check(
    status: Status, at: datetime, reason: Reason | None = None, **fields: object
) -> CheckResult:
    return CheckResult(url=URL, checked_at=at, status=status, reason=reason, **fields)


def ok(at: datetime, **fields: object) -> CheckResult:
    return check(Status.OK, at, **{"http_status": 200, **fields})


def timeout(at: datetime) -> CheckResult:
    return check(Status.FAILING, at, Reason.TIMEOUT)


def fold(checks: list[CheckResult], policy: ConfirmationPolicy = POLICY) -> LinkState:
    state = None
    for result in checks:
        state = next_state(state, result, policy)
    assert state is not None
    return state


def test_first_success_from_nothing() -> None:
    state = next_state(None, ok(T0, title="Report", final_url=URL), POLICY)
    assert state == LinkState(
        url=URL,
        status=Status.OK,
        http_status=200,
        final_url=URL,
        title="Report",
        checked_at=T0,
        last_ok_at=T0,
        ever_ok=True,
    )


def test_one_transient_failure_is_failing_not_broken() -> None:
    state = next_state(None, timeout(T0), POLICY)
    assert state.status is Status.FAILING
    assert state.reason is Reason.TIMEOUT
    assert state.consecutive_failures == 1
    assert state.first_failure_at == T0


def test_three_failures_within_two_days_stay_failing() -> None:
    state = fold([timeout(T0), timeout(T0 + timedelta(days=1)), timeout(T0 + timedelta(days=2))])
    assert state.status is Status.FAILING
    assert state.consecutive_failures == 3


def test_many_failures_within_the_span_stay_failing() -> None:
    state = fold([timeout(T0 + timedelta(hours=hour)) for hour in range(48)])
    assert state.status is Status.FAILING
    assert state.consecutive_failures == 48


def test_three_failures_over_three_days_are_broken_with_the_checks_reason() -> None:
    state = fold(
        [
            timeout(T0),
            timeout(T0 + timedelta(days=1)),
            check(Status.FAILING, T0 + timedelta(days=3), Reason.SERVER_ERROR, http_status=503),
        ]
    )
    assert state.status is Status.BROKEN
    assert state.reason is Reason.SERVER_ERROR
    assert state.http_status == 503
    assert state.first_failure_at == T0
    assert state.consecutive_failures == 3


def test_two_failures_over_a_week_are_not_enough() -> None:
    state = fold([timeout(T0), timeout(T0 + timedelta(days=7))])
    assert state.status is Status.FAILING


def test_policy_values_are_honoured() -> None:
    strict = ConfirmationPolicy(failures=1, span=timedelta(0))
    assert next_state(None, timeout(T0), strict).status is Status.BROKEN


def test_definitive_broken_is_broken_at_once() -> None:
    state = next_state(None, check(Status.BROKEN, T0, Reason.NOT_FOUND, http_status=404), POLICY)
    assert state.status is Status.BROKEN
    assert state.reason is Reason.NOT_FOUND
    assert state.consecutive_failures == 1
    assert state.first_failure_at == T0


def test_broken_and_failing_checks_count_together() -> None:
    state = fold(
        [
            check(Status.BROKEN, T0, Reason.NOT_FOUND),
            timeout(T0 + timedelta(days=1)),
            timeout(T0 + timedelta(days=3)),
        ]
    )
    assert state.consecutive_failures == 3
    assert state.first_failure_at == T0
    assert state.status is Status.BROKEN
    assert state.reason is Reason.TIMEOUT


def test_a_transient_failure_after_a_definitive_one_is_only_failing() -> None:
    state = fold([check(Status.BROKEN, T0, Reason.NOT_FOUND), timeout(T0 + timedelta(hours=1))])
    assert state.status is Status.FAILING
    assert state.reason is Reason.TIMEOUT


def test_success_resets_the_failure_counters() -> None:
    failed = fold([timeout(T0), timeout(T0 + timedelta(days=1)), timeout(T0 + timedelta(days=3))])
    assert failed.status is Status.BROKEN
    later = T0 + timedelta(days=4)
    state = next_state(failed, check(Status.REDIRECTED, later, final_url=URL + "?v=2"), POLICY)
    assert state.status is Status.REDIRECTED
    assert state.reason is None
    assert state.consecutive_failures == 0
    assert state.first_failure_at is None
    assert state.last_ok_at == later
    assert state.ever_ok is True


def test_failures_after_a_success_start_a_new_count() -> None:
    state = fold(
        [
            timeout(T0),
            timeout(T0 + timedelta(days=1)),
            ok(T0 + timedelta(days=2)),
            timeout(T0 + timedelta(days=3)),
            timeout(T0 + timedelta(days=4)),
            timeout(T0 + timedelta(days=5)),
        ]
    )
    assert state.status is Status.FAILING
    assert state.first_failure_at == T0 + timedelta(days=3)
    assert state.consecutive_failures == 3
    assert state.last_ok_at == T0 + timedelta(days=2)


def test_blocked_keeps_the_counters_and_is_blocked() -> None:
    failing = fold([timeout(T0), timeout(T0 + timedelta(days=1))])
    at = T0 + timedelta(days=2)
    state = next_state(
        failing, check(Status.BLOCKED, at, Reason.BOT_PROTECTION, http_status=403), POLICY
    )
    assert state.status is Status.BLOCKED
    assert state.reason is Reason.BOT_PROTECTION
    assert state.http_status == 403
    assert state.checked_at == at
    assert state.consecutive_failures == 2
    assert state.first_failure_at == T0
    assert state.last_ok_at is None
    assert state.ever_ok is False


def test_blocked_between_failures_does_not_break_the_run() -> None:
    state = fold(
        [
            timeout(T0),
            check(Status.BLOCKED, T0 + timedelta(days=1), Reason.RATE_LIMITED),
            timeout(T0 + timedelta(days=2)),
            timeout(T0 + timedelta(days=3)),
        ]
    )
    assert state.status is Status.BROKEN
    assert state.consecutive_failures == 3


def test_skipped_is_skipped_and_resets_nothing() -> None:
    previous = fold([ok(T0), timeout(T0 + timedelta(days=1))])
    at = T0 + timedelta(days=2)
    state = next_state(previous, check(Status.SKIPPED, at, Reason.EXCLUDED), POLICY)
    assert state.status is Status.SKIPPED
    assert state.reason is Reason.EXCLUDED
    assert state.consecutive_failures == 1
    assert state.first_failure_at == T0 + timedelta(days=1)
    assert state.last_ok_at == T0
    assert state.ever_ok is True


def test_title_and_page_count_survive_failures() -> None:
    state = fold(
        [
            ok(T0, title="Annual report", page_count=42),
            timeout(T0 + timedelta(days=1)),
            check(Status.BROKEN, T0 + timedelta(days=2), Reason.GONE, http_status=410),
        ]
    )
    assert state.title == "Annual report"
    assert state.page_count == 42
    assert state.http_status == 410


def test_an_error_pages_title_does_not_replace_the_pages() -> None:
    state = fold(
        [
            ok(T0, title="Annual report"),
            check(
                Status.BLOCKED,
                T0 + timedelta(days=1),
                Reason.BOT_PROTECTION,
                title="Just a moment...",
            ),
            check(Status.BROKEN, T0 + timedelta(days=2), Reason.NOT_FOUND, title="Page not found"),
        ]
    )
    assert state.title == "Annual report"


def test_a_new_title_replaces_the_old_one() -> None:
    state = fold([ok(T0, title="Draft"), ok(T0 + timedelta(days=1), title="Final")])
    assert state.title == "Final"


def test_latest_fields_are_the_checks_even_when_none() -> None:
    state = fold(
        [
            ok(T0, final_url=URL + "/", http_status=200),
            check(Status.FAILING, T0 + timedelta(days=1), Reason.DNS_TEMPORARY),
        ]
    )
    assert state.http_status is None
    assert state.final_url is None
    assert state.reason is Reason.DNS_TEMPORARY
    assert state.checked_at == T0 + timedelta(days=1)


def test_an_older_check_does_not_move_the_state() -> None:
    broken = next_state(None, check(Status.BROKEN, T0, Reason.NOT_FOUND), POLICY)
    late = next_state(broken, ok(T0 - timedelta(minutes=5), title="Old"), POLICY)
    assert late == broken


def test_a_check_at_the_same_moment_is_applied() -> None:
    first = next_state(None, timeout(T0), POLICY)
    second = next_state(first, ok(T0), POLICY)
    assert second.status is Status.OK


def test_the_link_url_is_kept_from_the_previous_state() -> None:
    previous = LinkState(url="https://example.org/")
    other = CheckResult(url="https://example.org", checked_at=T0, status=Status.OK)
    assert next_state(previous, other, POLICY).url == "https://example.org/"


def test_what_the_policy_does_not_decide_carries_over() -> None:
    """next_state builds the state whole: every LinkState field is either decided by
    the policy or carried over (a new field must be added to one of these)."""
    decided = {"status", "reason", "http_status", "final_url", "title", "page_count",
               "checked_at", "first_failure_at", "consecutive_failures", "last_ok_at",
               "ever_ok"}  # fmt: skip
    carried = {"url", "etag", "last_modified", "drift"}
    assert {f.name for f in dataclasses.fields(LinkState)} == decided | carried
    previous = LinkState(URL, Status.OK, etag='"v1"', last_modified="Mon", drift={"kind": "t"})
    blocked = check(Status.BLOCKED, T0, Reason.BOT_PROTECTION)
    for result in (ok(T0, etag='"v2"'), timeout(T0), blocked):
        state = next_state(previous, result, POLICY)
        assert {name: getattr(state, name) for name in carried} == {
            name: getattr(previous, name) for name in carried
        }


def test_an_unchecked_check_is_refused() -> None:
    with pytest.raises(ValueError, match="unchecked"):
        next_state(None, check(Status.UNCHECKED, T0), POLICY)


_CHECK_STATUSES = [status for status in Status if status is not Status.UNCHECKED]


@st.composite
def check_sequences(draw: st.DrawFn) -> list[CheckResult]:
    count = draw(st.integers(min_value=1, max_value=30))
    at = T0
    checks = []
    for _ in range(count):
        # Mostly forward in time, sometimes backwards (clock skew, replays).
        at += timedelta(hours=draw(st.integers(min_value=-30, max_value=60)))
        status = draw(st.sampled_from(_CHECK_STATUSES))
        title = draw(st.sampled_from([None, "A", "B"]))
        checks.append(check(status, at, title=title))
    return checks


@settings(max_examples=300, deadline=None)
@given(checks=check_sequences(), failures=st.integers(1, 5), span_hours=st.integers(0, 120))
def test_invariants_over_any_sequence(
    checks: list[CheckResult], failures: int, span_hours: int
) -> None:
    policy = ConfirmationPolicy(failures=failures, span=timedelta(hours=span_hours))
    state = None
    last_title = None
    for result in checks:
        previous = state
        state = next_state(previous, result, policy)
        if previous is not None and previous.checked_at > result.checked_at:
            assert state == previous
            continue
        if result.title is not None and result.status.is_success:
            last_title = result.title  # only a page that answered names the link
        assert state.checked_at == result.checked_at
        assert state.title == last_title
        if result.status.is_success:
            assert state.consecutive_failures == 0
            assert state.first_failure_at is None
            assert state.ever_ok and state.last_ok_at == result.checked_at
        if result.status in (Status.BLOCKED, Status.SKIPPED):
            before = previous or LinkState(url=URL)
            assert state.consecutive_failures == before.consecutive_failures
            assert state.first_failure_at == before.first_failure_at
        if state.status is Status.BROKEN:
            confirmed = (
                result.status is Status.FAILING
                and state.consecutive_failures >= policy.failures
                and result.checked_at - state.first_failure_at >= policy.span
            )
            assert result.status is Status.BROKEN or confirmed
        else:
            assert state.status is result.status
        assert state.consecutive_failures >= 0
        assert (state.consecutive_failures == 0) == (state.first_failure_at is None)
