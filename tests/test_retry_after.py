"""retry_after.py: the one Retry-After reader, for sites and the archive alike."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from citecheck.retry_after import MAX_RETRY_AFTER_S, retry_after_s

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "value, seconds",
    [
        ("120", 120.0),
        (" 5 ", 5.0),
        ("0", 0.0),
        ("Sun, 01 Jun 2025 12:01:00 GMT", 60.0),  # an HTTP-date
        ("Sunday, 01-Jun-25 12:00:30 GMT", 30.0),  # the obsolete RFC 850 form
        ("Sun, 01 Jun 2025 11:00:00 GMT", 0.0),  # in the past: now
        ("9" * 40, MAX_RETRY_AFTER_S),  # clamped, not an overflow
        ("Fri, 31 Dec 9999 23:59:59 GMT", MAX_RETRY_AFTER_S),
    ],
)
def test_delta_seconds_and_http_dates(value: str, seconds: float) -> None:
    assert retry_after_s(value, now=NOW) == seconds


@pytest.mark.parametrize(
    "value", [None, "", "²", "٣", "1e3", "-5", "1.5", "soon", "Sun, 99 Foo 2025", "x" * 1000]
)
def test_garbage_is_no_advice(value: str | None) -> None:
    assert retry_after_s(value, now=NOW) is None


@given(st.text())
def test_any_text_is_a_bounded_wait_or_none(value: str) -> None:
    seconds = retry_after_s(value, now=NOW)
    assert seconds is None or 0.0 <= seconds <= MAX_RETRY_AFTER_S


@given(st.binary(max_size=80))
def test_any_header_bytes_are_a_bounded_wait_or_none(raw: bytes) -> None:
    seconds = retry_after_s(raw.decode("latin-1"), now=NOW)
    assert seconds is None or 0.0 <= seconds <= MAX_RETRY_AFTER_S
