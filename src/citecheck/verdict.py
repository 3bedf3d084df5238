"""The confirmation policy: one more check → the link's new verdict.

A single failed check proves little. Servers have maintenance windows, CDNs have
bad hours, and a cron job that runs on Saturday morning will meet both. So a
transient failure (timeout, 5xx, connection refused) only makes a link
``failing``; it becomes ``broken`` once it has failed ``policy.failures`` times
in a row (3 by default) over at least ``policy.span`` (3 days by default). Three
checks are needed so that one bad hour cannot do it, and three days so that a
weekend outage cannot either: a report that turns red on Monday for a site that
was down from Friday night to Sunday would teach maintainers to ignore it.

Answers that are definitive on their own (404, 410, a soft 404, an invalid URL,
a redirect loop, a name that does not exist) arrive here as ``broken`` checks and
make the link broken at once. ``blocked`` proves neither life nor death, so it
leaves the failure counters alone; ``skipped`` says nothing about the link at all.

This module is pure: no I/O, no clock. The caller passes the check's own time.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import replace
from datetime import timedelta
from typing import Any

from .config import ConfirmationPolicy
from .frozen import builder
from .models import CheckResult, LinkState, Status


class _Keep(enum.Enum):
    """What the previous state had (the default of next_state's carried fields)."""

    KEEP = enum.auto()


KEEP = _Keep.KEEP
_link_state = builder(LinkState)


def next_state(
    previous: LinkState | None,
    check: CheckResult,
    policy: ConfirmationPolicy,
    *,
    etag: str | None | _Keep = KEEP,
    last_modified: str | None | _Keep = KEEP,
    drift: Mapping[str, Any] | None | _Keep = KEEP,
) -> LinkState:
    """The link's state after ``check``, given its state before (None: never checked).

    A check older than ``previous.checked_at`` (a skewed clock, a replayed
    result) returns ``previous`` unchanged: the store still records it in the
    history, but it must not move the verdict backwards, for instance turn a
    confirmed ``broken`` back into ``ok`` because an old success arrived late.
    A check at exactly the same time as the previous one is applied.

    ``etag``, ``last_modified`` and ``drift`` are what this policy does not decide:
    they carry over from ``previous`` unless the caller (judgement.py) gives them,
    so that the state is built once (a ``replace`` after it cost a tenth of judging).
    """
    if check.status is Status.UNCHECKED:
        raise ValueError(f"a check of {check.url} cannot have the status 'unchecked'")
    if previous is None:
        previous = LinkState(url=check.url)
    elif previous.checked_at is not None and check.checked_at < previous.checked_at:
        given = {"etag": etag, "last_modified": last_modified, "drift": drift}
        changes = {name: value for name, value in given.items() if value is not KEEP}
        return replace(previous, **changes) if changes else previous

    consecutive_failures = previous.consecutive_failures
    first_failure_at = previous.first_failure_at
    last_ok_at = previous.last_ok_at
    ever_ok = previous.ever_ok
    status = check.status
    fresh = check.status.is_success

    if fresh:
        consecutive_failures = 0
        first_failure_at = None
        last_ok_at = check.checked_at
        ever_ok = True
    elif check.status.is_error:
        consecutive_failures += 1
        if first_failure_at is None:
            first_failure_at = check.checked_at
        if check.status is Status.FAILING and _confirmed(
            consecutive_failures, check.checked_at - first_failure_at, policy
        ):
            status = Status.BROKEN

    # What this policy does not decide (the page's validators, its drift) carries
    # over unless the caller gives it (built whole: replace() cost a tenth of recording
    # a check; tests/test_verdict.py names every field, so that none is forgotten),
    # in one step (frozen.py: a LinkState's __init__ cost more than this function).
    return _link_state(
        url=previous.url,
        status=status,
        reason=check.reason,
        http_status=check.http_status,
        final_url=check.final_url,
        # Only a page that answered is the cited page: a 404 page's or a bot wall's
        # title ("Just a moment...") must not replace the one last seen.
        title=check.title if check.title is not None and fresh else previous.title,
        page_count=check.page_count
        if check.page_count is not None and fresh
        else previous.page_count,
        checked_at=check.checked_at,
        first_failure_at=first_failure_at,
        consecutive_failures=consecutive_failures,
        last_ok_at=last_ok_at,
        ever_ok=ever_ok,
        etag=previous.etag if etag is KEEP else etag,
        last_modified=previous.last_modified if last_modified is KEEP else last_modified,
        drift=previous.drift if drift is KEEP else drift,
    )


def _confirmed(
    consecutive_failures: int, failing_for: timedelta, policy: ConfirmationPolicy
) -> bool:
    return consecutive_failures >= policy.failures and failing_for >= policy.span
