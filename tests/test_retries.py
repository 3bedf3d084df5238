"""What a fetch tries again and after how long (fetch/retries.py)."""

from __future__ import annotations

import pytest

from citecheck.config import DEFAULT_BACKOFF_S, DEFAULT_RETRY_500_AFTER_S, Settings
from citecheck.fetch.retries import RETRYABLE_STATUSES, backoff_s, retry_delay

SETTINGS = Settings()


@pytest.mark.parametrize("status", [200, 301, 400, 403, 404, 410, 501])
def test_answers_that_are_final(status: int) -> None:
    assert retry_delay(status, {}, 1, SETTINGS) is None


@pytest.mark.parametrize("status", sorted(RETRYABLE_STATUSES - {500}))
def test_the_first_retry_waits_the_first_backoff(status: int) -> None:
    delay = retry_delay(status, {}, 1, SETTINGS)
    assert delay is not None and DEFAULT_BACKOFF_S <= delay <= 1.5 * DEFAULT_BACKOFF_S


def test_a_500_is_retried_after_a_short_pause_not_the_backoff() -> None:
    delays = {retry_delay(500, {}, 1, SETTINGS) for _ in range(200)}
    assert None not in delays
    assert all(DEFAULT_RETRY_500_AFTER_S <= d <= 1.5 * DEFAULT_RETRY_500_AFTER_S for d in delays)
    assert len(delays) > 1  # jittered, so retries to one host do not move in step
    assert max(delays) < DEFAULT_BACKOFF_S
    settings = Settings(retry_500_after_s=2.0, backoff_s=0.01)
    assert 2.0 <= retry_delay(500, {}, 1, settings) <= 3.0
    assert retry_delay(503, {}, 1, settings) <= 0.015


def test_a_500_is_retried_once_other_5xx_again() -> None:
    assert retry_delay(500, {}, 2, SETTINGS) is None
    assert retry_delay(500, {"retry-after": "2"}, 2, SETTINGS) is None
    for status in (502, 503, 504, 429):
        delay = retry_delay(status, {}, 2, SETTINGS)
        assert delay is not None and 2 * DEFAULT_BACKOFF_S <= delay <= 3 * DEFAULT_BACKOFF_S


def test_a_retry_after_is_obeyed_up_to_the_limit() -> None:
    assert retry_delay(500, {"retry-after": "3"}, 1, SETTINGS) == 3.0
    assert retry_delay(503, {"retry-after": "3"}, 2, SETTINGS) == 3.0
    too_long = str(int(SETTINGS.max_retry_after_s) + 1)
    assert retry_delay(429, {"retry-after": too_long}, 1, SETTINGS) is None


def test_backoff_doubles_with_jitter() -> None:
    settings = Settings(backoff_s=2.0)
    delays = [backoff_s(attempt, settings) for attempt in (1, 2, 3)]
    assert 2.0 <= delays[0] <= 3.0 and 4.0 <= delays[1] <= 6.0 and 8.0 <= delays[2] <= 12.0
